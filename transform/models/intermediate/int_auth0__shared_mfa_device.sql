{{ config(tags=['detection']) }}
{#- One authenticator (the Guardian app on one device: `details.enrollment.identifier`, or
    `details.authenticator.id`) enrolled for several accounts: an attacker's own device kept in
    the accounts they took (`shared_mfa_factor`). -#}
{{ auth0_logs.shared_mfa_factor('shared_mfa_device', 'device', ['enrollment.identifier', 'authenticator.id'], 'authenticator') }}
