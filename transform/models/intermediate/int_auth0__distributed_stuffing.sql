{{ config(tags=['detection']) }}
{#- Credential stuffing spread over many addresses, each trying a couple of names: no address
    crosses a threshold, the tenant's failures on unknown users do. Fixed windows of
    `distributed_stuffing_window_minutes`; a window is a finding when its failures on unknown
    users reach `distributed_stuffing_min_failures`, come from at least
    `distributed_stuffing_min_addresses` addresses, and are `distributed_stuffing_baseline_factor`
    times the tenant's own average per window (over all the windows its events span). -#}
with guesses as (
    select
        f.tenant, f.log_id, f.occurred_at, f.ip,
        cast(floor({{ auth0_logs.epoch_seconds('f.occurred_at') }} / ({{ var('distributed_stuffing_window_minutes') }} * 60.0)) as bigint) as slot
    from {{ ref('int_auth0__login_failures') }} as f
    where f.reason = 'unknown_user'
),
tenants as (
    {#- The subject is the tenant as Auth0 names it (`tenant_name`), else the tenant's key. -#}
    select
        tenant, coalesce(max(tenant_name), tenant) as name,
        greatest(1.0, {{ auth0_logs.seconds_between('min(occurred_at)', 'max(occurred_at)') }}
            / ({{ var('distributed_stuffing_window_minutes') }} * 60.0)) as windows
    from {{ ref('auth0__events') }}
    group by tenant
),
baseline as (
    select t.tenant, t.name, count(g.log_id) / max(t.windows) as per_window
    from tenants as t left join guesses as g on g.tenant = t.tenant
    group by t.tenant, t.name
),
surges as (
    select g.tenant, g.slot
    from guesses as g join baseline as b on b.tenant = g.tenant
    group by g.tenant, g.slot
    having count(*) >= {{ var('distributed_stuffing_min_failures') }}
       and count(distinct g.ip) >= {{ var('distributed_stuffing_min_addresses') }}
       and count(*) >= {{ var('distributed_stuffing_baseline_factor') }} * max(b.per_window)
)
select
    g.tenant, 'distributed_stuffing' as detection, 'tenant' as subject_type, max(b.name) as subject,
    min(g.occurred_at) as first_seen, max(g.occurred_at) as last_seen, count(*) as events,
    {{ auth0_logs.ordered_list('g.log_id', 'g.log_id') }} as log_ids,
    'medium' as severity, 'T1110.004' as mitre_technique,
    {{ auth0_logs.counted('count(*)', 'failed login', 'failed logins') }} || ' on unknown users from '
        || {{ auth0_logs.counted('count(distinct g.ip)', 'address', 'addresses') }} || ' in '
        || {{ auth0_logs.counted(auth0_logs.minutes_number('min(g.occurred_at)', 'max(g.occurred_at)'), 'minute', 'minutes') }}
        || ', ' || cast(cast(round(count(*) / greatest(max(b.per_window), 0.1)) as integer) as varchar)
        || ' times the tenant''s usual' as description
from guesses as g
join surges as s on s.tenant = g.tenant and s.slot = g.slot
join baseline as b on b.tenant = g.tenant
group by g.tenant, g.slot
