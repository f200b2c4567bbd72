{{ config(tags=['detection']) }}
{#- One address trying a password or two on each of many real accounts, and getting into some:
    login attempts (failed or successful) from the address, each within the window of the last,
    in the shape of spraying: at least `password_spraying_min_users` accounts it failed on and
    never got into, no more than `password_spraying_max_attempts_per_user` failures on any, at
    least `password_spraying_min_successes` accounts it got into, and the accounts it never got
    into `password_spraying_min_failure_share` of all it tried. A classroom's or an office's
    address (people mistyping once or twice, then getting in) has next to no account that never
    got in. -#}
with attempts as (select * from {{ ref('int_auth0__login_attempts') }}),
bursts as ({{ auth0_logs.bursts('attempts', var('password_spraying_window_minutes')) }}),
per_account as (
    select tenant, subject, burst, account, sum(failed) as failures, sum(succeeded) as successes
    from bursts
    where account is not null
    group by tenant, subject, burst, account
),
sprayed as (
    select tenant, subject, burst
    from per_account
    group by tenant, subject, burst
    having count(case when failures > 0 and successes = 0 then 1 end) >= {{ var('password_spraying_min_users') }}
       and max(failures) <= {{ var('password_spraying_max_attempts_per_user') }}
       and count(case when successes > 0 then 1 end) >= {{ var('password_spraying_min_successes') }}
       and count(case when failures > 0 and successes = 0 then 1 end) >= {{ var('password_spraying_min_failure_share') }} * count(*)
)
select {{ auth0_logs.finding_columns('password_spraying', 'ip', 'high', 'T1110.003',
    auth0_logs.counted('count(distinct b.account)', 'account', 'accounts') ~ " || ' tried from ' || b.subject || ', ' || cast(count(distinct case when b.succeeded = 1 then b.account end) as varchar) || ' got into, in ' || " ~ auth0_logs.counted(auth0_logs.minutes_number('min(b.occurred_at)', 'max(b.occurred_at)'), 'minute', 'minutes'),
    subject='b.subject', alias='b.') }}
from bursts as b
join sprayed as s on s.tenant = b.tenant and s.subject = b.subject and s.burst = b.burst
group by b.tenant, b.subject, b.burst
