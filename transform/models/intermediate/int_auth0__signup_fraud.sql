{{ config(tags=['detection']) }}
{#- Many signups (successful, failed, or with a breached password) from one address: a script
    making accounts. By address, because a launch brings a burst of signups to the whole tenant,
    each from an address of its own: at least `signup_fraud_min_signups` within any
    `signup_fraud_window_minutes` (the window slides; overlapping windows are one finding).
    Medium when fewer than half of the accounts made verified their e-mail (`sv`) within
    `signup_fraud_verify_minutes` (Auth0's "many unverified accounts"); low when most did: an
    event's signup desk or a company's proxy. A signup through a social or enterprise identity
    provider, or passwordless, is verified by that provider (Auth0 sends no verification e-mail
    for it): people signing up with Google behind a carrier's address are not unverified. A burst is judged
    once that long has passed since its last signup (at the tenant's newest log): before, its
    people may not have opened their e-mail yet, and a finding raised then would be a false alarm
    an alerter had already sent. -#}
with signups as (
    select tenant, log_id, occurred_at, ip as subject, type, coalesce(user_id, user_name) as account,
        case when coalesce(strategy, 'auth0') = 'auth0' then 0 else 1 end as provider_verified
    from {{ ref('auth0__events') }}
    where type in ('ss', 'fs', 'signup_pwd_leak') and ip is not null
      and {{ auth0_logs.not_allowed('ip', 'allowed_ips') }}
      and {{ auth0_logs.not_allowed('client_id', 'allowed_clients') }}
),
verified as (
    select distinct s.tenant, s.log_id
    from signups as s
    join {{ ref('auth0__events') }} as v
      on v.tenant = s.tenant and v.type = 'sv' and coalesce(v.user_id, v.user_name) = s.account
     and v.occurred_at >= s.occurred_at
     and {{ auth0_logs.seconds_between('s.occurred_at', 'v.occurred_at') }} <= {{ var('signup_fraud_verify_minutes') }} * 60
    where s.type = 'ss'
),
marked as (
    select signups.tenant, signups.log_id, signups.occurred_at, signups.subject, signups.type, signups.account,
        case when v.log_id is null and signups.provider_verified = 0 then 0 else 1 end as verified
    from signups left join verified as v on v.tenant = signups.tenant and v.log_id = signups.log_id
),
members as ({{ auth0_logs.window_members('marked', var('signup_fraud_window_minutes'), "count(*) >= " ~ var('signup_fraud_min_signups')) }}),
bursts as ({{ auth0_logs.bursts('members', var('signup_fraud_window_minutes')) }}),
newest as (
    select tenant, max(occurred_at) as newest_at from {{ ref('auth0__events') }} group by tenant
)
select
    tenant, 'signup_fraud' as detection, 'ip' as subject_type, subject,
    min(occurred_at) as first_seen, max(occurred_at) as last_seen, count(*) as events,
    {{ auth0_logs.ordered_list('log_id', 'log_id') }} as log_ids,
    case when 2 * sum(verified) >= count(*) then 'low' else 'medium' end as severity,
    'T1136.003' as mitre_technique,
    {{ auth0_logs.counted('count(*)', 'signup', 'signups') }} || ' from ' || subject || ' ('
        || cast(sum(case when type = 'ss' then 1 else 0 end) as varchar) || ' succeeded, '
        || cast(sum(verified) as varchar) || ' verified) in '
        || {{ auth0_logs.counted(auth0_logs.minutes_number('min(occurred_at)', 'max(occurred_at)'), 'minute', 'minutes') }} as description
from (select bursts.*, newest.newest_at from bursts join newest on newest.tenant = bursts.tenant) as b
group by tenant, subject, burst, newest_at
having {{ auth0_logs.seconds_between('max(occurred_at)', 'newest_at') }} >= {{ var('signup_fraud_verify_minutes') }} * 60
