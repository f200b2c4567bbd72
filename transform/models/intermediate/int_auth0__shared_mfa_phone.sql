{{ config(tags=['detection']) }}
{#- One phone number enrolled as the second factor of several accounts: someone keeping a way
    into accounts they took. Both catalogs fire at 2 accounts (`shared_mfa_phone_min_users`);
    at 2 it is low (a family, a QA team's test accounts), from `shared_mfa_phone_medium_users`
    accounts on it is medium (Auth0's catalog). Over all time: the enrolments can be months
    apart. With keyed pseudonyms the number is a pseudonym, and the same number is still the
    same pseudonym. -#}
with enrolled as (
    select
        tenant, log_id, occurred_at, coalesce(user_id, user_name) as account,
        {{ auth0_logs.json_text('details', 'authenticator.phone_number') }} as subject
    from {{ ref('auth0__events') }}
    where type = 'gd_enrollment_complete'
      and {{ auth0_logs.not_allowed('ip', 'allowed_ips') }}
      and {{ auth0_logs.not_allowed('client_id', 'allowed_clients') }}
)
select {{ auth0_logs.finding_columns('shared_mfa_phone', 'phone', 'low', 'T1098.005',
    "'phone ' || subject || ' enrolled for MFA by ' || " ~ auth0_logs.counted('count(distinct account)', 'account', 'accounts')) | replace("'low' as severity", "case when count(distinct account) >= " ~ var('shared_mfa_phone_medium_users') ~ " then 'medium' else 'low' end as severity") }}
from enrolled
where subject is not null and account is not null
group by tenant, subject
having count(distinct account) >= {{ var('shared_mfa_phone_min_users') }}
