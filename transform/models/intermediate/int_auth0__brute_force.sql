{{ config(tags=['detection']) }}
{#- Many guesses at one account's password (wrong passwords), no more than
    `brute_force_window_minutes` apart. Medium; low when the owner changed the password within
    `success_after_attack_window_minutes` after (`scp`): a forgotten password, which Auth0's own
    brute-force protection answered with its block. -#}
with failures as (
    select tenant, log_id, occurred_at, account as subject, ip
    from {{ ref('int_auth0__login_failures') }}
    where account is not null and reason = 'wrong_password'
),
bursts as ({{ auth0_logs.bursts('failures', var('brute_force_window_minutes')) }}),
found as (
    select tenant, subject, burst, min(occurred_at) as first_at, max(occurred_at) as last_at,
        count(*) as failures, count(distinct ip) as addresses
    from bursts
    group by tenant, subject, burst
    having count(*) >= {{ var('brute_force_min_failures') }}
),
recovered as (
    select f.tenant, f.subject, f.burst, min(e.occurred_at) as reset_at
    from found as f
    join {{ ref('auth0__events') }} as e
      on e.tenant = f.tenant and e.type = 'scp' and coalesce(e.user_id, e.user_name) = f.subject
     and e.occurred_at >= f.first_at
     and {{ auth0_logs.seconds_between('f.last_at', 'e.occurred_at') }} <= {{ var('success_after_attack_window_minutes') }} * 60
    group by f.tenant, f.subject, f.burst
)
select
    b.tenant, 'brute_force' as detection, 'user' as subject_type, b.subject,
    min(b.occurred_at) as first_seen, max(b.occurred_at) as last_seen, count(*) as events,
    {{ auth0_logs.ordered_list('b.log_id', 'b.log_id') }} as log_ids,
    case when max(r.reset_at) is null then 'medium' else 'low' end as severity,
    'T1110.001' as mitre_technique,
    {{ auth0_logs.counted('count(*)', 'wrong password', 'wrong passwords') }} || ' for ' || b.subject
        || ' from ' || {{ auth0_logs.counted('count(distinct b.ip)', 'address', 'addresses') }}
        || ' in ' || {{ auth0_logs.counted(auth0_logs.minutes_number('min(b.occurred_at)', 'max(b.occurred_at)'), 'minute', 'minutes') }}
        || case when max(r.reset_at) is null then '' else ', then the owner changed the password (a forgotten password)' end
        as description
from bursts as b
join found as f on f.tenant = b.tenant and f.subject = b.subject and f.burst = b.burst
left join recovered as r on r.tenant = b.tenant and r.subject = b.subject and r.burst = b.burst
group by b.tenant, b.subject, b.burst
