{{ config(tags=['detection']) }}
{#- MFA push bombing: many push notifications to one user (`gd_send_pn`) within any
    `mfa_fatigue_window_minutes` (the window slides; pushes spread over a day never add up): at
    least `mfa_fatigue_min_pushes` of them, `mfa_fatigue_min_unanswered` or more not approved (no
    `gd_auth_succeed` of that user before the next push: ignored, timed out or rejected). Every
    push counts, so a bombing the user finally gives in to is found with its approval; step-up
    MFA, a push approved before each sensitive action, has next to no push left unanswered and
    stays quiet. -#}
with events as (
    select
        tenant, log_id, occurred_at, user_id, type,
        lead(type) over (partition by tenant, user_id order by occurred_at, log_id) as next_type
    from {{ ref('auth0__events') }}
    where type in ('gd_send_pn', 'gd_auth_succeed') and user_id is not null
      and {{ auth0_logs.not_allowed('ip', 'allowed_ips') }}
      and {{ auth0_logs.not_allowed('client_id', 'allowed_clients') }}
),
pushes as (
    select tenant, log_id, occurred_at, user_id as subject,
        case when coalesce(next_type, '') = 'gd_auth_succeed' then 0 else 1 end as unanswered
    from events
    where type = 'gd_send_pn'
),
members as ({{ auth0_logs.window_members('pushes', var('mfa_fatigue_window_minutes'),
    "count(*) >= " ~ var('mfa_fatigue_min_pushes') ~ " and sum(q.unanswered) >= " ~ var('mfa_fatigue_min_unanswered')) }}),
bursts as ({{ auth0_logs.bursts('members', var('mfa_fatigue_window_minutes')) }})
select {{ auth0_logs.finding_columns('mfa_fatigue', 'user', 'medium', 'T1621',
    auth0_logs.counted('count(*)', 'MFA push', 'MFA pushes') ~ " || ' to ' || subject || ', ' || cast(sum(unanswered) as varchar) || ' not approved, in ' || " ~ auth0_logs.counted(auth0_logs.minutes_number('min(occurred_at)', 'max(occurred_at)'), 'minute', 'minutes')) }}
from bursts
group by tenant, subject, burst
