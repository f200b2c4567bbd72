{{ config(tags=['detection']) }}
{#- Applications created through dynamic client registration ("Dynamic client registration"
    `sapi`, or a POST to /oidc/register), at least `dynamic_registration_min_clients` within any
    `dynamic_registration_window_minutes` (the window slides: an MCP server's clients
    registering one every twenty minutes all afternoon never add up): consent phishing with
    look-alike apps, or exhausting the tenant. Medium (Auth0's catalog). -#}
with registered as (
    select e.tenant, e.log_id, e.occurred_at, t.name as subject
    from {{ ref('auth0__events') }} as e
    join (
        select tenant, coalesce(max(tenant_name), tenant) as name
        from {{ ref('auth0__events') }} group by tenant
    ) as t on t.tenant = e.tenant
    where e.type = 'sapi'
      and {{ auth0_logs.not_allowed('e.ip', 'allowed_ips') }}
      and {{ auth0_logs.not_allowed('e.client_id', 'allowed_clients') }}
      and (e.description = 'Dynamic client registration'
           or lower(coalesce({{ auth0_logs.json_text('e.details', 'request.path') }}, '')) like '%/oidc/register')
),
members as ({{ auth0_logs.window_members('registered', var('dynamic_registration_window_minutes'),
    "count(*) >= " ~ var('dynamic_registration_min_clients')) }}),
bursts as ({{ auth0_logs.bursts('members', var('dynamic_registration_window_minutes')) }})
select {{ auth0_logs.finding_columns('dynamic_client_registration', 'tenant', 'medium', 'T1499',
    auth0_logs.counted('count(*)', 'application', 'applications') ~ " || ' created by dynamic registration in ' || subject || ' in ' || " ~ auth0_logs.counted(auth0_logs.minutes_number('min(occurred_at)', 'max(occurred_at)'), 'minute', 'minutes')) }}
from bursts
group by tenant, subject, burst
