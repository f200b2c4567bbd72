{#- Number each subject's events into bursts, per tenant (the same user id or address in two
    tenants is two subjects): a burst is a run of events with no pause longer
    than `gap_minutes`, cut every `burst_max_hours` (a busy address is not one burst for days), or
    every `max_hours` for a detection whose window is longer (a slow brute force's 24 hours, a
    refresh token's 30 days: one finding for what its window saw, not 4-hour pieces).
    Detections then count within one burst, which keeps them portable (no distinct counts over
    sliding windows) and makes "how close together" one var. -#}
{% macro bursts(relation, gap_minutes, max_hours=none) %}
  select
    spans.*,
    spans.gap_burst * 100000 + cast(floor({{ auth0_logs.seconds_between('spans.burst_start', 'spans.occurred_at') }}
      / ({{ max_hours if max_hours is not none else var('burst_max_hours') }} * 3600.0)) as integer) as burst
  from (
    select
      numbered.*,
      min(numbered.occurred_at) over (partition by numbered.tenant, numbered.subject, numbered.gap_burst) as burst_start
    from (
      select
        marked.*,
        sum(marked.starts_burst) over (
          partition by marked.tenant, marked.subject order by marked.occurred_at, marked.log_id
          rows between unbounded preceding and current row
        ) as gap_burst
      from (
        select
          events.*,
          case
            when lag(events.occurred_at) over (partition by events.tenant, events.subject order by events.occurred_at, events.log_id) is null then 1
            when {{ auth0_logs.seconds_between(
                  "lag(events.occurred_at) over (partition by events.tenant, events.subject order by events.occurred_at, events.log_id)",
                  "events.occurred_at") }} > {{ gap_minutes }} * 60 then 1
            else 0
          end as starts_burst
        from {{ relation }} as events
      ) as marked
    ) as numbered
  ) as spans
{% endmacro %}

{#- `column` is not on an allow-list var: exact values (an address, a client_id), or IPv4 ranges
    in CIDR form (`10.20.0.0/16`), matched on the address's number; empty: nothing is allowed. -#}
{% macro not_allowed(column, allow_list) %}
  {%- set allowed = var(allow_list) -%}
  {%- set exact, ranges = [], [] -%}
  {%- for value in allowed -%}
    {%- do (ranges if '/' in value else exact).append(value) -%}
  {%- endfor -%}
  {%- if allowed -%}
    ({{ column }} is null or (
      {%- if exact %}{{ column }} not in ({% for value in exact %}'{{ value | replace("'", "''") }}'{% if not loop.last %}, {% endif %}{% endfor %}){% else %}1 = 1{% endif %}
      {%- for cidr in ranges %}
        {%- set address, bits = cidr.split('/') -%}
        {%- set octets = address.split('.') | map('int') | list -%}
        {%- set size = 2 ** (32 - (bits | int)) -%}
        {%- set first = ((octets[0] * 16777216 + octets[1] * 65536 + octets[2] * 256 + octets[3]) // size) * size %}
        and coalesce({{ auth0_logs.ipv4_number(column) }} not between {{ first }} and {{ first + size - 1 }}, true)
      {%- endfor -%}
    ))
  {%- else -%}
    (1 = 1)
  {%- endif -%}
{% endmacro %}

{#- The columns of a finding, aggregated over one group of a detection's events (grouped by
    tenant as well): its tenant, what it is, its MITRE ATT&CK technique, and `description`, a line a
    person reads (an SQL expression over the group). Every detection ends in these columns. -#}
{#- `severity` is a name (`'low'`); `severity_sql`, when given, an expression that chooses it. -#}
{% macro finding_columns(detection, subject_type, severity, mitre, description, subject='subject', alias='', severity_sql=none) %}
    {{ alias }}tenant as tenant, '{{ detection }}' as detection, '{{ subject_type }}' as subject_type, {{ subject }} as subject,
    min({{ alias }}occurred_at) as first_seen, max({{ alias }}occurred_at) as last_seen, count(*) as events,
    {{ auth0_logs.ordered_list(alias ~ 'log_id', alias ~ 'log_id') }} as log_ids,
    {% if severity_sql is none %}'{{ severity }}'{% else %}{{ severity_sql }}{% endif %} as severity, '{{ mitre }}' as mitre_technique,
    {{ description }} as description
{% endmacro %}

{#- Whole minutes between two moments, as a number. -#}
{% macro minutes_number(earlier, later) %}cast(floor({{ auth0_logs.seconds_between(earlier, later) }} / 60) as integer){% endmacro %}

{#- The events of `relation` (tenant, subject, log_id, occurred_at, ...) that lie in a window of
    `minutes` (any window: it slides, it never chains) whose events meet `condition`, an aggregate
    over the window's events `q` (e.g. `count(*) >= 10`, `sum(q.unanswered) >= 4`). A window
    ends at one of the subject's events; the caller groups what it returns into findings
    (`bursts` with the same `minutes`: windows that overlap are one finding). -#}
{% macro window_members(relation, minutes, condition) %}
  {%- set seconds = (minutes | float * 60) | int -%}
  select r.*
  from {{ relation }} as r
  where exists (
    select 1
    from (
      select p.tenant, p.subject, p.occurred_at as end_at
      from {{ relation }} as p
      join {{ relation }} as q
        on q.tenant = p.tenant and q.subject = p.subject
       and q.occurred_at <= p.occurred_at
       and q.occurred_at >= {{ auth0_logs.shifted('p.occurred_at', -seconds) }}
      group by p.tenant, p.subject, p.log_id, p.occurred_at
      having {{ condition }}
    ) as peaks
    where peaks.tenant = r.tenant and peaks.subject = r.subject
      and r.occurred_at <= peaks.end_at
      and r.occurred_at >= {{ auth0_logs.shifted('peaks.end_at', -seconds) }}
  )
{% endmacro %}

{#- The most events of one finding's group within any `minutes` (for its description): a
    subquery over `relation` for the group's tenant, subject and span. -#}
{% macro most_within(relation, minutes, alias='') %}
  {%- set seconds = (minutes | float * 60) | int -%}
  (select max(within.n) from (
     select count(*) as n
     from {{ relation }} as p
     join {{ relation }} as q
       on q.tenant = p.tenant and q.subject = p.subject
      and q.occurred_at <= p.occurred_at
      and q.occurred_at >= {{ auth0_logs.shifted('p.occurred_at', -seconds) }}
     where p.tenant = {{ alias }}tenant and p.subject = {{ alias }}subject
       and p.occurred_at between min({{ alias }}occurred_at) and max({{ alias }}occurred_at)
     group by p.log_id) as within)
{% endmacro %}
