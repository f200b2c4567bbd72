{#- Many MFA push notifications sent to or rejected by one user, no more than the window apart. -#}
with pushes as (
    select tenant, log_id, occurred_at, user_id as subject
    from {{ ref('auth0__events') }}
    where type in ('gd_send_pn', 'gd_auth_rejected') and user_id is not null
),
bursts as ({{ auth0_logs.bursts('pushes', var('mfa_fatigue_window_minutes')) }})
select {{ auth0_logs.finding_columns('mfa_fatigue', 'user', 'high', 'T1621',
    "cast(count(*) as varchar) || ' MFA pushes sent to or rejected by ' || subject || ' in ' || " ~ auth0_logs.minutes_text('min(occurred_at)', 'max(occurred_at)') ~ " || ' minutes'") }}
from bursts
group by tenant, subject, burst
having count(*) >= {{ var('mfa_fatigue_min_pushes') }}
