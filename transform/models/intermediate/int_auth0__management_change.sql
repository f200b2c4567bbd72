{#- Changes made through the Management API (not reads), grouped by who made them: the
    dashboard user (`details.request.auth.user`) or else the application's client_id. -#}
with changes as (
    select
        log_id, occurred_at,
        coalesce({{ auth0_logs.json_text('details', 'request.auth.user.user_id') }}, user_id, client_id) as subject
    from {{ ref('auth0__events') }}
    where type in ('sapi', 'fapi')
      and lower(coalesce({{ auth0_logs.json_text('details', 'request.method') }}, 'post')) <> 'get'
),
bursts as ({{ auth0_logs.bursts('changes', var('management_change_window_minutes')) }})
select
    'management_change' as detection, 'user' as subject_type, subject,
    min(occurred_at) as first_seen, max(occurred_at) as last_seen, count(*) as events,
    {{ auth0_logs.ordered_list('log_id', 'log_id') }} as log_ids,
    'low' as severity
from bursts
where subject is not null
group by subject, burst
