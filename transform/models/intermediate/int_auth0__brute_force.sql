{#- Many failed logins on one account, no more than `brute_force_window_minutes` apart. -#}
with failures as (
    select log_id, occurred_at, account as subject
    from {{ ref('int_auth0__login_failures') }}
    where account is not null
),
bursts as ({{ auth0_logs.bursts('failures', var('brute_force_window_minutes')) }})
select {{ auth0_logs.finding_columns('brute_force', 'user', 'medium') }}
from bursts
group by subject, burst
having count(*) >= {{ var('brute_force_min_failures') }}
