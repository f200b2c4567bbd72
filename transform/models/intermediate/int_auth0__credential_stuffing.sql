{#- One IP failing against many accounts, failures no more than the window apart. -#}
with failures as (
    select log_id, occurred_at, ip as subject, account
    from {{ ref('int_auth0__login_failures') }}
    where ip is not null
),
bursts as ({{ auth0_logs.bursts('failures', var('credential_stuffing_window_minutes')) }})
select
    'credential_stuffing' as detection, 'ip' as subject_type, subject,
    min(occurred_at) as first_seen, max(occurred_at) as last_seen, count(*) as events,
    {{ auth0_logs.ordered_list('log_id', 'log_id') }} as log_ids,
    'high' as severity
from bursts
group by subject, burst
having count(distinct account) >= {{ var('credential_stuffing_min_users') }}
