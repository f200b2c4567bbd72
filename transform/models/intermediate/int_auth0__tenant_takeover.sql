{{ config(tags=['detection']) }}
{#- Steps to take over the tenant itself, and Auth0's catalog's correlation of them.

    Each step, by the actor who took it (steps no more than `tenant_takeover_window_minutes`
    apart are one finding, at its worst step's severity): a Dashboard owner invited (medium: the
    catalog's own selection), another member invited or one removed (low: offboarding a leaver and
    inviting an editor is an ordinary day; Panther rates both informational); Management API
    scopes that write (`create:`, `update:`, `delete:`) granted to an application, for the
    tenant's own Management API (`https://<tenant>.auth0.com/api/v2/`, or
    `management_api_audience`), not an API of the tenant's own that happens to end in /api/v2/
    (medium; read-only scopes low); a client secret read, medium for the clients named in
    `critical_clients` (the catalog watches the listed ones: the Dashboard reads a secret every
    time someone opens an application's page) and low otherwise; a secret rotated (low: a
    scheduled rotation). Automation named in `automation_clients` is low, and its secret reads are
    no step.

    The takeover (high): an owner invited to a personal address (`personal_email_domains`, the
    catalog's list), then at least `tenant_takeover_min_removals` Dashboard members removed within
    `tenant_takeover_correlation_minutes`, by anyone (the new owner removes the others); medium
    when the invited address is a corporate one. Its subject is the invited address. -#}
{%- set management = var('management_api_audience') | replace("'", "''") -%}
with calls as (
    select calls.*,
        case
            when audience like 'https://%.auth0.com/api/v2/'{% if management %} or audience = '{{ management }}'{% endif %}
            then 1 else 0 end as management_api,
        case when body_scope like '%"create:%' or body_scope like '%"update:%' or body_scope like '%"delete:%'
            then 1 else 0 end as writes
    from {{ ref('int_auth0__api_calls') }} as calls
    where actor is not null
      and {{ auth0_logs.not_allowed('client_id', 'allowed_clients') }}
      and {{ auth0_logs.not_allowed('ip', 'allowed_ips') }}
),
steps as (
    select
        tenant, log_id, occurred_at, actor as subject, actor_kind, type, method, path, body_owners,
        case
            when type = 'mgmt_api_read' and accessed_secrets like '%client_secret%'
                then 'a client secret read'
            when type <> 'sapi' then null
            when path like '%/rotate-secret%' then 'a client secret rotated'
            when path like '%/tenants/%invitations%' and method = 'post' and body_roles like '%"owner"%'
                then 'a dashboard owner invited'
            when path like '%/tenants/%invitations%' and method = 'post'
                then 'a dashboard member invited'
            when path like '%/tenants/%members%' and method = 'delete'
                then 'a dashboard member removed'
            when path like '%/client-grants%' and method in ('post', 'patch') and management_api = 1
                 and writes = 1
                then 'Management API write scopes granted to an application'
            when path like '%/client-grants%' and method in ('post', 'patch') and management_api = 1
                 and coalesce(body_scope, '[]') not in ('[]', '')
                then 'read-only Management API scopes granted to an application'
        end as step,
        coalesce(target_client, split_part(path, '/clients/', 2)) as client
    from calls
),
taken as (
    select steps.*,
        case
            when actor_kind = 'automation' then 'low'
            when step in ('a dashboard owner invited', 'Management API write scopes granted to an application') then 'medium'
            when step = 'a client secret read'
                 and client in ({{ auth0_logs.quoted(var('critical_clients')) }}) then 'medium'
            else 'low'
        end as rank_severity
    from steps
    where step is not null and not (actor_kind = 'automation' and step = 'a client secret read')
),
bursts as ({{ auth0_logs.bursts('taken', var('tenant_takeover_window_minutes')) }}),
by_actor as (
    select
        tenant, 'tenant_takeover' as detection, 'user' as subject_type, subject,
        min(occurred_at) as first_seen, max(occurred_at) as last_seen, count(*) as events,
        {{ auth0_logs.ordered_list('log_id', 'log_id') }} as log_ids,
        max(rank_severity) as severity,  -- 'medium' > 'low'
        'T1098.003' as mitre_technique,
        string_agg(distinct step, ', ' order by step) || ' by ' || subject
            || case when max(actor_kind) = 'automation' then ' (automation)' else '' end || ' in '
            || {{ auth0_logs.counted(auth0_logs.minutes_number('min(occurred_at)', 'max(occurred_at)'), 'minute', 'minutes') }} as description
    from bursts
    group by tenant, subject, burst
),
invited as (
    select i.tenant, i.log_id, i.occurred_at, i.subject as inviter, lower(elements.element) as invitee,
        case when lower(split_part(elements.element, '@', 2)) in ({{ auth0_logs.quoted(var('personal_email_domains')) }})
             then 1 else 0 end as personal
    from steps as i
    cross join lateral {{ auth0_logs.json_elements('i.body_owners') }}
    where i.step = 'a dashboard owner invited'
),
correlated as (
    select i.tenant, i.invitee, i.log_id as invite_log_id, i.occurred_at as invited_at, i.inviter, i.personal,
        r.log_id, r.occurred_at, r.subject as remover
    from invited as i
    join steps as r
      on r.tenant = i.tenant and r.step = 'a dashboard member removed'
     and r.occurred_at >= i.occurred_at
     and {{ auth0_logs.seconds_between('i.occurred_at', 'r.occurred_at') }} <= {{ var('tenant_takeover_correlation_minutes') }} * 60
),
takeovers as (
    select tenant, invitee, invite_log_id, min(invited_at) as invited_at, max(inviter) as inviter,
        max(personal) as personal, count(distinct log_id) as removals,
        string_agg(distinct remover, ', ' order by remover) as removers
    from correlated
    group by tenant, invitee, invite_log_id
    having count(distinct log_id) >= {{ var('tenant_takeover_min_removals') }}
),
takeover_logs as (
    select tenant, invitee, invite_log_id, invite_log_id as log_id, invited_at as occurred_at from takeovers
    union
    select c.tenant, c.invitee, c.invite_log_id, c.log_id, c.occurred_at
    from correlated as c
    join takeovers as t on t.tenant = c.tenant and t.invitee = c.invitee and t.invite_log_id = c.invite_log_id
)
select * from by_actor
union all
select
    t.tenant, 'tenant_takeover' as detection, 'user' as subject_type, t.invitee as subject,
    min(l.occurred_at) as first_seen, max(l.occurred_at) as last_seen, count(*) as events,
    {{ auth0_logs.ordered_list('l.log_id', 'l.log_id') }} as log_ids,
    case when max(t.personal) = 1 then 'high' else 'medium' end as severity,
    'T1098.003' as mitre_technique,
    'a dashboard owner invited (' || t.invitee
        || case when max(t.personal) = 1 then ', a personal address' else '' end
        || ') by ' || max(t.inviter) || ', then ' || {{ auth0_logs.counted('max(t.removals)', 'member', 'members') }}
        || ' removed by ' || max(t.removers) || ' within '
        || {{ auth0_logs.counted(auth0_logs.minutes_number('min(l.occurred_at)', 'max(l.occurred_at)'), 'minute', 'minutes') }} as description
from takeovers as t
join takeover_logs as l on l.tenant = t.tenant and l.invitee = t.invitee and l.invite_log_id = t.invite_log_id
group by t.tenant, t.invitee, t.invite_log_id
