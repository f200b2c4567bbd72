{#- Many MFA push notifications sent to or rejected by one user, no more than the window apart. -#}
with pushes as (
    select log_id, occurred_at, user_id as subject
    from {{ ref('auth0__events') }}
    where type in ('gd_send_pn', 'gd_auth_rejected') and user_id is not null
),
bursts as ({{ auth0_logs.bursts('pushes', var('mfa_fatigue_window_minutes')) }})
select
    'mfa_fatigue' as detection, 'user' as subject_type, subject,
    min(occurred_at) as first_seen, max(occurred_at) as last_seen, count(*) as events,
    {{ auth0_logs.ordered_list('log_id', 'log_id') }} as log_ids,
    'high' as severity
from bursts
group by subject, burst
having count(*) >= {{ var('mfa_fatigue_min_pushes') }}
