{{ config(tags=['detection']) }}
{#- Credential stuffing spread over many addresses, each trying a couple of accounts: no address
    crosses a threshold, the tenant's guesses do (Auth0's catalog, signals 2 and 3: a surge of
    failures, a surge of addresses, against the tenant's normal). Guesses at unknown users and
    wrong passwords on real accounts are weighed apart, each against its own usual. A window is
    `distributed_stuffing_window_minutes` long and slides by half of it; it is a finding when
    its guesses of one kind reach `distributed_stuffing_min_failures`, come from at least
    `distributed_stuffing_min_addresses` addresses, and are `distributed_stuffing_baseline_factor`
    times the tenant's usual: the greater of its average per window and its peak at that time of
    day (within `distributed_stuffing_time_of_day_minutes`) on the other days its logs cover, so
    a morning rush of people mistyping their names every working day is the tenant's rhythm, not
    an attack. Overlapping windows are one finding. -#}
{%- set half = (var('distributed_stuffing_window_minutes') | float * 30) | int -%}
{%- set per_day = 86400 // half -%}
{%- set near = ((var('distributed_stuffing_time_of_day_minutes') | float * 60) // half) | int -%}

with guesses as (
    select
        f.tenant, f.log_id, f.occurred_at, f.ip, f.reason,
        cast(floor({{ auth0_logs.epoch_seconds('f.occurred_at') }} / {{ half }}) as bigint) as slot
    from {{ ref('int_auth0__login_failures') }} as f
    where f.reason in ('unknown_user', 'wrong_password') and f.ip is not null
),
per_slot as (
    select tenant, reason, slot, count(*) as failures from guesses group by tenant, reason, slot
),
windows as (
    {# A window starts at a slot with guesses and takes the next slot too. #}
    select tenant, reason, slot as start,
        sum(failures) over (partition by tenant, reason order by slot range between current row and 1 following) as failures
    from per_slot
),
tenants as (
    {# The subject is the tenant as Auth0 names it (`tenant_name`), else the tenant's key. #}
    select
        tenant, coalesce(max(tenant_name), tenant) as name,
        greatest(1.0, {{ auth0_logs.seconds_between('min(occurred_at)', 'max(occurred_at)') }} / ({{ half }} * 2.0)) as spans
    from {{ ref('auth0__events') }}
    group by tenant
),
active as (
    {# The slots the tenant's logs cover (any event): the days that can say what is usual. #}
    select distinct tenant, cast(floor({{ auth0_logs.epoch_seconds('occurred_at') }} / {{ half }}) as bigint) as slot
    from {{ ref('auth0__events') }}
),
flat as (
    select g.tenant, g.reason, count(*) / max(t.spans) as per_window
    from guesses as g join tenants as t on t.tenant = g.tenant
    group by g.tenant, g.reason
),
candidates as (
    select w.tenant, w.reason, w.start, w.failures, f.per_window,
        (select count(distinct g.ip) from guesses as g
         where g.tenant = w.tenant and g.reason = w.reason and g.slot between w.start and w.start + 1) as addresses
    from windows as w
    join flat as f on f.tenant = w.tenant and f.reason = w.reason
    where w.failures >= {{ var('distributed_stuffing_min_failures') }}
      and w.failures >= {{ var('distributed_stuffing_baseline_factor') }} * f.per_window
),
other_days as (
    {# The peak of the same kind of guess around the same time of day on each other day. #}
    select c.tenant, c.reason, c.start, a.slot, coalesce(max(w.failures), 0) as peak
    from candidates as c
    join active as a
      on a.tenant = c.tenant and a.slot <> c.start and (a.slot - c.start) % {{ per_day }} = 0
    left join windows as w
      on w.tenant = c.tenant and w.reason = c.reason
     and w.start between a.slot - {{ near }} and a.slot + {{ near }}
    group by c.tenant, c.reason, c.start, a.slot
),
surges as (
    select c.tenant, c.reason, c.start, c.failures,
        greatest(c.per_window, coalesce(avg(o.peak), 0)) as usual
    from candidates as c
    left join other_days as o on o.tenant = c.tenant and o.reason = c.reason and o.start = c.start
    where c.addresses >= {{ var('distributed_stuffing_min_addresses') }}
    group by c.tenant, c.reason, c.start, c.failures, c.per_window
    having c.failures >= {{ var('distributed_stuffing_baseline_factor') }} * greatest(c.per_window, coalesce(avg(o.peak), 0))
),
runs as (
    {# Windows one slot apart overlap: one finding. #}
    select surges.*, start - row_number() over (partition by tenant, reason order by start) as run
    from surges
),
spans as (
    select tenant, reason, run, min(start) as first_slot, max(start) + 1 as last_slot,
        max(failures) as peak, max(failures / greatest(usual, 0.1)) as ratio
    from runs
    group by tenant, reason, run
)
select
    g.tenant, 'distributed_stuffing' as detection, 'tenant' as subject_type, max(t.name) as subject,
    min(g.occurred_at) as first_seen, max(g.occurred_at) as last_seen, count(*) as events,
    {{ auth0_logs.ordered_list('g.log_id', 'g.log_id') }} as log_ids,
    'medium' as severity, 'T1110.004' as mitre_technique,
    {{ auth0_logs.counted('count(*)', 'failed login', 'failed logins') }}
        || case when g.reason = 'unknown_user' then ' on unknown users' else ' with wrong passwords' end
        || ' from ' || {{ auth0_logs.counted('count(distinct g.ip)', 'address', 'addresses') }} || ' in '
        || {{ auth0_logs.counted(auth0_logs.minutes_number('min(g.occurred_at)', 'max(g.occurred_at)'), 'minute', 'minutes') }}
        || ', ' || cast(cast(round(max(s.ratio)) as integer) as varchar)
        || ' times the tenant''s usual at that time of day' as description
from guesses as g
join spans as s on s.tenant = g.tenant and s.reason = g.reason and g.slot between s.first_slot and s.last_slot
join tenants as t on t.tenant = g.tenant
group by g.tenant, g.reason, s.run
