{#- Many failed logins on one account, no more than `brute_force_window_minutes` apart. -#}
with failures as (
    select log_id, occurred_at, account as subject
    from {{ ref('int_auth0__login_failures') }}
    where account is not null
),
bursts as ({{ auth0_logs.bursts('failures', var('brute_force_window_minutes')) }})
select
    'brute_force' as detection, 'user' as subject_type, subject,
    min(occurred_at) as first_seen, max(occurred_at) as last_seen, count(*) as events,
    {{ auth0_logs.ordered_list('log_id', 'log_id') }} as log_ids,
    'medium' as severity
from bursts
group by subject, burst
having count(*) >= {{ var('brute_force_min_failures') }}
