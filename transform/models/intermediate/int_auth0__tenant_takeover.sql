{{ config(tags=['detection']) }}
{#- Steps to take over the tenant itself: a Dashboard member invited or removed, an application
    granted Management API scopes (the keys to every user and setting), an application's client
    secret read or rotated. Medium for one step (Auth0's catalog rates each medium: an
    administrator invites, removes, grants and reads secrets too); high when one actor takes
    several kinds of step within the window (an owner invited and members removed, a grant and a
    secret read: the catalog's takeover correlation). Automation named in
    `automation_clients` (Terraform or the Deploy CLI reading what it manages) is low, and its
    secret reads are no finding. Steps by one actor no more than the window apart are one
    finding. -#}
with steps as (
    select
        tenant, log_id, occurred_at, actor as subject, actor_kind,
        case
            when type = 'mgmt_api_read' and accessed_secrets like '%client_secret%'
                then 'a client secret read'
            when type <> 'sapi' then null
            when path like '%/rotate-secret%' then 'a client secret rotated'
            when path like '%/tenants/%invitations%' and method = 'post'
                then 'a dashboard member invited'
            when path like '%/tenants/%members%' and method = 'delete'
                then 'a dashboard member removed'
            when path like '%/client-grants%' and method in ('post', 'patch')
                 and audience like '%/api/v2/' and coalesce(body_scope, '[]') not in ('[]', '')
                then 'Management API scopes granted to an application'
        end as step
    from {{ ref('int_auth0__api_calls') }}
    where actor is not null
      and {{ auth0_logs.not_allowed('client_id', 'allowed_clients') }}
),
taken as (
    select steps.*,
        case when actor_kind = 'automation' then 1 else 2 end as rank
    from steps
    where step is not null and not (actor_kind = 'automation' and step = 'a client secret read')
),
bursts as ({{ auth0_logs.bursts('taken', var('tenant_takeover_window_minutes')) }})
select
    tenant, 'tenant_takeover' as detection, 'user' as subject_type, subject,
    min(occurred_at) as first_seen, max(occurred_at) as last_seen, count(*) as events,
    {{ auth0_logs.ordered_list('log_id', 'log_id') }} as log_ids,
    case when max(rank) = 1 then 'low'
         when count(distinct step) > 1 then 'high' else 'medium' end as severity,
    'T1098.003' as mitre_technique,
    string_agg(distinct step, ', ' order by step) || ' by ' || subject
        || case when max(rank) = 1 then ' (automation)' else '' end || ' in '
        || {{ auth0_logs.counted(auth0_logs.minutes_number('min(occurred_at)', 'max(occurred_at)'), 'minute', 'minutes') }} as description
from bursts
group by tenant, subject, burst
