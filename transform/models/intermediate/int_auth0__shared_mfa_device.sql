{{ config(tags=['detection']) }}
{#- One authenticator (the Guardian app on one device: `details.enrollment.identifier`, or
    `details.authenticator.id`) enrolled for several accounts: an attacker's own device kept
    in the accounts they took. Fires at 2 accounts as Auth0's catalog does; low at 2 (one person
    with two accounts), medium from `shared_mfa_phone_medium_users` on. -#}
with enrolled as (
    select
        tenant, log_id, occurred_at, coalesce(user_id, user_name) as account,
        coalesce({{ auth0_logs.json_text('details', 'enrollment.identifier') }},
                 {{ auth0_logs.json_text('details', 'authenticator.id') }}) as subject
    from {{ ref('auth0__events') }}
    where type = 'gd_enrollment_complete'
      and {{ auth0_logs.not_allowed('ip', 'allowed_ips') }}
      and {{ auth0_logs.not_allowed('client_id', 'allowed_clients') }}
)
select {{ auth0_logs.finding_columns('shared_mfa_device', 'device', 'low', 'T1098.005',
    "'authenticator ' || subject || ' enrolled for MFA by ' || " ~ auth0_logs.counted('count(distinct account)', 'account', 'accounts')) | replace("'low' as severity", "case when count(distinct account) >= " ~ var('shared_mfa_phone_medium_users') ~ " then 'medium' else 'low' end as severity") }}
from enrolled
where subject is not null and account is not null
group by tenant, subject
having count(distinct account) >= {{ var('shared_mfa_phone_min_users') }}
