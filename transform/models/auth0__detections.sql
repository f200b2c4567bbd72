{#- One row per finding, every detection in one table, kept from build to build so that an alerter
    can follow them. Each build computes every detection over all events (a burst can grow with new
    logs); a computed finding that overlaps a kept one of the same detection and subject continues
    it: it keeps that finding's `finding_id` and `first_detected_at` (the build that first saw it)
    while it grows and while late logs arrive. Findings no longer computed (a threshold raised) stay,
    as what was already alerted; new ones get `first_detected_at` of this build, so an alerter
    selects `first_detected_at > <its last run>`. -#}
{{ config(materialized='incremental', unique_key='finding_id', on_schema_change='append_new_columns') }}

{%- set detections = [
    'brute_force', 'credential_stuffing', 'password_spraying', 'mfa_fatigue',
    'impossible_travel', 'breached_password', 'management_change', 'success_after_attack'] -%}
{%- set this_build = "cast('" ~ run_started_at.strftime('%Y-%m-%d %H:%M:%S') ~ "' as timestamp)" -%}

with computed as (
    {% for name in detections %}
    select detection, subject_type, subject, first_seen, last_seen, events, log_ids, severity,
        mitre_technique, description
    from {{ ref('int_auth0__' ~ name) }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

{% if is_incremental() %}
continued as (
    {#- The kept finding each computed one continues: the first detected of those it overlaps. -#}
    select
        c.*,
        kept.finding_id as kept_id,
        kept.first_detected_at as kept_detected_at,
        row_number() over (
            partition by c.detection, c.subject, c.first_seen
            order by kept.first_detected_at, kept.finding_id
        ) as pick
    from computed as c
    left join {{ this }} as kept
      on kept.detection = c.detection and kept.subject = c.subject
     and kept.first_seen <= c.last_seen and kept.last_seen >= c.first_seen
),

claimed as (
    {#- Two computed findings that overlap one kept finding (a burst cut in two): the earlier
        continues it, the later is new. -#}
    select
        continued.*,
        row_number() over (partition by kept_id order by first_seen, subject) as claim
    from continued
    where pick = 1
),

findings as (
    select
        case when claim = 1 and kept_id is not null then kept_id
             else md5(detection || '|' || subject || '|' || cast(first_seen as varchar)) end as finding_id,
        case when claim = 1 and kept_detected_at is not null then kept_detected_at
             else {{ this_build }} end as first_detected_at,
        detection, subject_type, subject, first_seen, last_seen, events, log_ids, severity,
        mitre_technique, description
    from claimed
)
{% else %}
findings as (
    select
        md5(detection || '|' || subject || '|' || cast(first_seen as varchar)) as finding_id,
        {{ this_build }} as first_detected_at,
        computed.*
    from computed
)
{% endif %}

select
    finding_id, detection, subject_type, subject, first_seen, last_seen, events, log_ids, severity,
    mitre_technique, description, first_detected_at
from findings
