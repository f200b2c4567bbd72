{#- One row per finding, every detection in one table. Rebuilt on each run: a burst can grow
    with new logs, so findings are recomputed over all events (each detection reads only its
    own event types). -#}
{%- set detections = [
    'brute_force', 'credential_stuffing', 'password_spraying', 'mfa_fatigue',
    'impossible_travel', 'breached_password', 'management_change'] -%}

with findings as (
    {% for name in detections %}
    select detection, subject_type, subject, first_seen, last_seen, events, log_ids, severity
    from {{ ref('int_auth0__' ~ name) }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
)

select
    md5(detection || '|' || subject || '|' || cast(first_seen as varchar)) as finding_id,
    *
from findings
