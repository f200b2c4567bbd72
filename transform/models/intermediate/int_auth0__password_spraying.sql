{#- One IP trying few passwords each on many real accounts, slowly, and getting into some: login
    attempts (failed or successful) from the IP, no more than the window apart, mostly failing. An
    office's address (many colleagues, most of them getting in, a few mistyping once) is not. -#}
with attempts as (
    select
        log_id, occurred_at, ip as subject,
        coalesce(user_id, user_name) as account,
        case when outcome = 'success' then 1 else 0 end as succeeded,
        case when outcome = 'failure' then 1 else 0 end as failed
    from {{ ref('auth0__events') }}
    where category = 'login' and outcome in ('success', 'failure') and ip is not null
      and type not in ('ssa', 'fsa', 'sdelsa', 'fdelsa')  -- silent re-authentication is no guess
      and {{ auth0_logs.not_allowed('ip', 'allowed_ips') }}
      and {{ auth0_logs.not_allowed('client_id', 'allowed_clients') }}
),
bursts as ({{ auth0_logs.bursts('attempts', var('password_spraying_window_minutes')) }}),
per_account as (
    select subject, burst, account, sum(failed) as failures, sum(succeeded) as successes
    from bursts
    where account is not null
    group by subject, burst, account
),
sprayed as (
    select subject, burst
    from per_account
    group by subject, burst
    having count(case when failures > 0 then 1 end) >= {{ var('password_spraying_min_users') }}
       and max(failures) <= {{ var('password_spraying_max_attempts_per_user') }}
       and sum(successes) >= {{ var('password_spraying_min_successes') }}
       and count(case when failures > 0 then 1 end) >= {{ var('password_spraying_min_failure_share') }} * count(*)
)
select {{ auth0_logs.finding_columns('password_spraying', 'ip', 'high', 'T1110.003',
    "cast(count(distinct b.account) as varchar) || ' accounts tried from ' || b.subject || ', ' || cast(sum(b.succeeded) as varchar) || ' got into, in ' || " ~ auth0_logs.minutes_text('min(b.occurred_at)', 'max(b.occurred_at)') ~ " || ' minutes'",
    subject='b.subject', alias='b.') }}
from bursts as b
join sprayed as s on s.subject = b.subject and s.burst = b.burst
group by b.subject, b.burst
