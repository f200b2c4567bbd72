{#- One phone number enrolled as the second factor of many accounts: someone keeping a way into
    accounts they took (a family sharing a phone is two or three). Over all time: the
    enrolments can be months apart. With keyed pseudonyms the number is a pseudonym, and the
    same number is still the same pseudonym. -#}
with enrolled as (
    select
        tenant, log_id, occurred_at, coalesce(user_id, user_name) as account,
        {{ auth0_logs.json_text('details', 'authenticator.phone_number') }} as subject
    from {{ ref('auth0__events') }}
    where type = 'gd_enrollment_complete'
)
select {{ auth0_logs.finding_columns('shared_mfa_phone', 'phone', 'medium', 'T1098.005',
    "'phone ' || subject || ' enrolled for MFA by ' || cast(count(distinct account) as varchar) || ' accounts'") }}
from enrolled
where subject is not null and account is not null
group by tenant, subject
having count(distinct account) >= {{ var('shared_mfa_phone_min_users') }}
