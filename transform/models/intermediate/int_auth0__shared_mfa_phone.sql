{{ config(tags=['detection']) }}
{#- One phone number enrolled as the second factor of several accounts (`shared_mfa_factor`).
    With keyed pseudonyms the number is a pseudonym, and the same number is still the same
    pseudonym. -#}
{{ auth0_logs.shared_mfa_factor('shared_mfa_phone', 'phone', ['authenticator.phone_number'], 'phone') }}
