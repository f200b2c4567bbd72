{#- One row per finding, every detection in one table, kept from build to build so that an alerter
    can follow them. Each build computes every detection over all events (a burst can grow with new
    logs); a computed finding that overlaps a kept one of the same tenant, detection and subject
    continues it: it keeps that finding's `finding_id` and `first_detected_at` (the build that first saw it)
    while it grows and while late logs arrive. Findings no longer computed (a threshold raised) stay,
    as what was already alerted; new ones get `first_detected_at` of this build, so an alerter
    selects `first_detected_at > <its last run>`. -#}
{{ config(materialized='incremental', unique_key='finding_id', on_schema_change='append_new_columns') }}

{%- set detections = auth0_logs.detection_models() -%}
{%- set this_build = "cast('" ~ run_started_at.strftime('%Y-%m-%d %H:%M:%S') ~ "' as timestamp)" -%}

with computed as (
    {% for name in detections + auth0_logs.sigma_models() %}
    select tenant, detection, subject_type, subject, first_seen, last_seen, events, log_ids, severity,
        mitre_technique, description
    from {{ ref(name) }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

{% if is_incremental() %}
{#- Findings kept before they had a tenant (one tenant's) continue whatever tenant computes them. -#}
{%- set kept_has_tenant = 'tenant' in auth0_logs.column_names(this) %}
continued as (
    {#- The kept finding each computed one continues: the one that starts where it starts, else
        the first detected of those it overlaps (sharing only an end is no overlap: an impossible
        trip and the way back share a log). -#}
    select
        c.*,
        kept.finding_id as kept_id,
        kept.first_detected_at as kept_detected_at,
        case when kept.first_seen = c.first_seen then 0 else 1 end as inexact,
        row_number() over (
            partition by c.tenant, c.detection, c.subject, c.first_seen
            order by case when kept.first_seen = c.first_seen then 0 else 1 end,
                kept.first_detected_at, kept.finding_id
        ) as pick
    from computed as c
    left join {{ this }} as kept
      on {% if kept_has_tenant %}kept.tenant = c.tenant and {% endif %}kept.detection = c.detection
     and kept.subject = c.subject
     and (kept.first_seen = c.first_seen
          or (kept.first_seen < c.last_seen and kept.last_seen > c.first_seen))
),

claimed as (
    {#- Two computed findings that overlap one kept finding (a burst cut in two): the earlier
        continues it, the later is new. -#}
    select
        continued.*,
        row_number() over (partition by kept_id order by inexact, first_seen, tenant, subject) as claim
    from continued
    where pick = 1
),

fresh as (
    {#- A new finding's id, unless a kept finding has it already (then its end joins it). -#}
    select
        claimed.*,
        md5(claimed.tenant || '|' || claimed.detection || '|' || claimed.subject || '|'
            || cast(claimed.first_seen as varchar)) as plain_id
    from claimed
),

findings as (
    select
        case when f.claim = 1 and f.kept_id is not null then f.kept_id
             when taken.finding_id is null then f.plain_id
             else md5(f.plain_id || '|' || cast(f.last_seen as varchar)) end as finding_id,
        case when f.claim = 1 and f.kept_detected_at is not null then f.kept_detected_at
             else {{ this_build }} end as first_detected_at,
        f.tenant, f.detection, f.subject_type, f.subject, f.first_seen, f.last_seen, f.events, f.log_ids,
        f.severity, f.mitre_technique, f.description
    from fresh as f
    left join {{ this }} as taken on taken.finding_id = f.plain_id
)
{% else %}
findings as (
    select
        md5(tenant || '|' || detection || '|' || subject || '|' || cast(first_seen as varchar)) as finding_id,
        {{ this_build }} as first_detected_at,
        computed.*
    from computed
)
{% endif %}

select
    finding_id, tenant, detection, subject_type, subject, first_seen, last_seen, events, log_ids, severity,
    mitre_technique, description, first_detected_at
from findings
