{#- Steps to take over the tenant itself: a dashboard member invited or removed, an application
    granted Management API scopes (the keys to every user and setting), an application's client
    secret read or rotated. Steps by one actor no more than the window apart are one finding. -#}
with steps as (
    select
        tenant, log_id, occurred_at, actor as subject,
        case
            when type = 'mgmt_api_read' and accessed_secrets like '%client_secret%'
                then 'a client secret read'
            when type <> 'sapi' then null
            when path like '%/rotate-secret%' then 'a client secret rotated'
            when (path like '%/tenants/%invitations%' or description = 'Create tenant invitations for a given client')
                 and method = 'post'
                then 'a dashboard member invited'
            when (path like '%/tenants/%members%' or description = 'Delete tenant member') and method = 'delete'
                then 'a dashboard member removed'
            when path like '%/client-grants%' and method in ('post', 'patch')
                 and audience like '%/api/v2/' and coalesce(body_scope, '[]') not in ('[]', '')
                then 'Management API scopes granted to an application'
        end as step
    from {{ ref('int_auth0__api_calls') }}
    where actor is not null
),
taken as (select * from steps where step is not null),
bursts as ({{ auth0_logs.bursts('taken', var('tenant_takeover_window_minutes')) }})
select {{ auth0_logs.finding_columns('tenant_takeover', 'user', 'high', 'T1098.003',
    "string_agg(distinct step, ', ' order by step) || ' by ' || subject || ' in ' || " ~ auth0_logs.minutes_text('min(occurred_at)', 'max(occurred_at)') ~ " || ' minutes'") }}
from bursts
group by tenant, subject, burst
