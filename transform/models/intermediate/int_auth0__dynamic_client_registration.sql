{{ config(tags=['detection']) }}
{#- Applications created through dynamic client registration ("Dynamic client registration"
    `sapi`, or a POST to /oidc/register), at least `dynamic_registration_min_clients` no more than
    the window apart: consent phishing with look-alike apps, or exhausting the tenant. Medium
    (Auth0's catalog). -#}
with registered as (
    select e.log_id, e.occurred_at, coalesce(max(t.name) over (), 'tenant') as subject
    from {{ ref('auth0__events') }} as e
    cross join (select max(tenant_name) as name from {{ ref('auth0__events') }}) as t
    where e.type = 'sapi'
      and (e.description = 'Dynamic client registration'
           or lower(coalesce({{ auth0_logs.json_text('e.details', 'request.path') }}, '')) like '%/oidc/register')
),
bursts as ({{ auth0_logs.bursts('registered', var('dynamic_registration_window_minutes')) }})
select {{ auth0_logs.finding_columns('dynamic_client_registration', 'tenant', 'medium', 'T1499',
    auth0_logs.counted('count(*)', 'application', 'applications') ~ " || ' created by dynamic registration in ' || subject || ' in ' || " ~ auth0_logs.counted(auth0_logs.minutes_number('min(occurred_at)', 'max(occurred_at)'), 'minute', 'minutes')) }}
from bursts
group by subject, burst
having count(*) >= {{ var('dynamic_registration_min_clients') }}
