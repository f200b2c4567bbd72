{#- Many failed logins on one account, no more than `brute_force_window_minutes` apart. -#}
with failures as (
    select tenant, log_id, occurred_at, account as subject, ip
    from {{ ref('int_auth0__login_failures') }}
    where account is not null
),
bursts as ({{ auth0_logs.bursts('failures', var('brute_force_window_minutes')) }})
select {{ auth0_logs.finding_columns('brute_force', 'user', 'medium', 'T1110.001',
    "cast(count(*) as varchar) || ' failed logins on ' || subject || ' from ' || cast(count(distinct ip) as varchar) || ' addresses in ' || " ~ auth0_logs.minutes_text('min(occurred_at)', 'max(occurred_at)') ~ " || ' minutes'") }}
from bursts
group by tenant, subject, burst
having count(*) >= {{ var('brute_force_min_failures') }}
