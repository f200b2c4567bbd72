{#- Per tenant, day (UTC) and client application: logins, failed logins, signups, distinct users. -#}
select
    tenant,
    cast(occurred_at as date) as activity_date,
    coalesce(client_id, '(none)') as client_id,
    max(client_name) as client_name,
    sum(case when category = 'login' and outcome = 'success' then 1 else 0 end) as logins,
    sum(case when category = 'login' and outcome = 'failure' then 1 else 0 end) as failed_logins,
    sum(case when category = 'signup' and outcome = 'success' then 1 else 0 end) as signups,
    count(distinct user_id) as distinct_users,
    count(*) as events
from {{ ref('auth0__events') }}
group by 1, 2, 3
