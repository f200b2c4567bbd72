{{ config(tags=['detection']) }}
{#- One address guessing at many accounts (wrong passwords, unknown users, the password grant's
    failures), each guess within `credential_stuffing_window_minutes` of the last, and mostly
    failing: at least `credential_stuffing_min_failures` failed guesses at
    `credential_stuffing_min_users` accounts or more, failures `credential_stuffing_min_failure_share`
    of the address's attempts (Auth0's catalog, signal 1: failed events per address). An office's
    or a classroom's shared address has people mistyping now and then, and far more of them
    getting in; an Action denying a whole office is no guess at all. -#}
with attempts as (select * from {{ ref('int_auth0__login_attempts') }}),
bursts as ({{ auth0_logs.bursts('attempts', var('credential_stuffing_window_minutes')) }}),
stuffed as (
    select tenant, subject, burst
    from bursts
    group by tenant, subject, burst
    having count(distinct case when failed = 1 then account end) >= {{ var('credential_stuffing_min_users') }}
       and sum(failed) >= {{ var('credential_stuffing_min_failures') }}
       and sum(failed) >= {{ var('credential_stuffing_min_failure_share') }} * count(*)
)
select {{ auth0_logs.finding_columns('credential_stuffing', 'ip', 'medium', 'T1110.004',
    auth0_logs.counted('count(*)', 'failed guess', 'failed guesses') ~ " || ' from ' || b.subject || ' at ' || " ~ auth0_logs.counted('count(distinct b.account)', 'account', 'accounts') ~ " || ' in ' || " ~ auth0_logs.counted(auth0_logs.minutes_number('min(b.occurred_at)', 'max(b.occurred_at)'), 'minute', 'minutes'),
    subject='b.subject', alias='b.') }}
from bursts as b
join stuffed as s on s.tenant = b.tenant and s.subject = b.subject and s.burst = b.burst
where b.failed = 1
group by b.tenant, b.subject, b.burst
