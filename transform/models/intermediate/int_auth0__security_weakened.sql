{{ config(tags=['detection']) }}
{#- A protection made weaker, read as state before -> state after from `auth0__security_settings`:
    attack protection (brute force, suspicious-IP throttling, breached passwords) switched off,
    left on but no longer blocking (`shields` without `block`: monitoring only; for breached
    passwords, at signup too), its threshold
    raised, or an address added to its allow-list; bot detection turned off for a flow; the MFA
    policy set to never; an MFA factor disabled; adaptive MFA's risk assessment turned off; a log
    stream paused or deleted. A form resent unchanged changes nothing, switching on is never
    "off", and with no earlier state in the logs the finding says so. Medium (Auth0's catalog);
    by automation named in `automation_clients`, low. Changes by one actor no more than the
    window apart are one finding. -#}
{%- set named = {
    'attack-protection/brute-force-protection': 'brute-force protection',
    'attack-protection/suspicious-ip-throttling': 'suspicious-IP throttling',
    'attack-protection/breached-password-detection': 'breached-password detection'} -%}
{%- set jt = auth0_logs.json_text -%}
{%- set entries = {} -%}
{%- set attempts = {} -%}
{%- for side in ['after_json', 'before_json'] -%}
  {%- set list_text = "coalesce(" ~ jt(side, 'allowlist') ~ ", '[]')" -%}
  {%- do entries.update({side: "(length(" ~ list_text ~ ") - length(replace(" ~ list_text ~ ", '\"', ''))) / 2"}) -%}
  {%- do attempts.update({side: "cast(coalesce(" ~ jt(side, 'max_attempts') ~ ", " ~ jt(side, 'stage.\"pre-login\".max_attempts') ~ ") as integer)"}) -%}
{%- endfor %}

with settings as (
    select
        s.*,
        {{ auth0_logs.json_type_cast('s.state') }} as after_json,
        {{ auth0_logs.json_type_cast('s.state_before') }} as before_json
    from {{ ref('auth0__security_settings') }} as s
    where {{ auth0_logs.not_allowed('s.client_id', 'allowed_clients') }}
),

changes as (
    {% for path, name in named.items() %}
    select tenant, log_id, occurred_at, actor, actor_kind, state_before,
        case
            when {{ jt('after_json', 'enabled') }} = 'false' and coalesce({{ jt('before_json', 'enabled') }}, '') <> 'false'
                then '{{ name }} off'
            when {{ jt('after_json', 'enabled') }} = 'true' and coalesce({{ jt('after_json', 'shields') }}, '[]') not like '%"block"%'
                 and (before_json is null or coalesce({{ jt('before_json', 'shields') }}, '') like '%"block"%')
                then '{{ name }} no longer blocking (monitoring only)'
            {%- if path.endswith('breached-password-detection') %}
            when {{ jt('after_json', 'enabled') }} = 'true'
                 and {{ jt('after_json', 'stage.\"pre-user-registration\".shields') }} is not null
                 and {{ jt('after_json', 'stage.\"pre-user-registration\".shields') }} not like '%"block"%'
                 and coalesce({{ jt('before_json', 'stage.\"pre-user-registration\".shields') }}, '"block"') like '%"block"%'
                then '{{ name }} no longer blocking signups'
            {%- endif %}
            when {{ attempts['after_json'] }} > {{ attempts['before_json'] }}
                then '{{ name }} threshold raised from ' || cast({{ attempts['before_json'] }} as varchar) || ' to ' || cast({{ attempts['after_json'] }} as varchar)
            when before_json is not null and {{ jt('before_json', 'allowlist') }} is null and {{ entries['after_json'] }} > 0
                then 'an address allowed past {{ name }} (no earlier list in the logs)'
            when {{ entries['after_json'] }} > coalesce({{ entries['before_json'] }}, 0)
                 or (before_json is not null and {{ entries['after_json'] }} = {{ entries['before_json'] }}
                     and replace(coalesce({{ jt('after_json', 'allowlist') }}, ''), ' ', '') <> replace(coalesce({{ jt('before_json', 'allowlist') }}, ''), ' ', ''))
                then 'an address allowed past {{ name }}'
        end as weakened
    from settings
    where setting = '{{ path }}'
    union all
    {% endfor %}
    select tenant, log_id, occurred_at, actor, actor_kind, state_before,
        case
            when before_json is null
                 and {{ jt('after_json', 'policy') }} = 'off' and {{ jt('after_json', 'passwordless_policy') }} = 'off'
                 and {{ jt('after_json', 'password_reset_policy') }} = 'off'
                then 'bot detection off'
            when before_json is not null and (
                    ({{ jt('after_json', 'policy') }} = 'off' and coalesce({{ jt('before_json', 'policy') }}, 'off') <> 'off')
                 or ({{ jt('after_json', 'passwordless_policy') }} = 'off' and coalesce({{ jt('before_json', 'passwordless_policy') }}, 'off') <> 'off')
                 or ({{ jt('after_json', 'password_reset_policy') }} = 'off' and coalesce({{ jt('before_json', 'password_reset_policy') }}, 'off') <> 'off'))
                then 'bot detection turned off for a flow'
        end as weakened
    from settings
    where setting like 'attack-protection/bot-detection%' or setting like 'anomaly/captcha%'
    union all
    select tenant, log_id, occurred_at, actor, actor_kind, state_before,
        case when replace(coalesce(state, ''), ' ', '') = '[]' and replace(coalesce(state_before, ''), ' ', '') <> '[]'
             then 'MFA policy set to never' end as weakened
    from settings
    where setting = 'guardian/policies'
    union all
    select tenant, log_id, occurred_at, actor, actor_kind, state_before,
        case when {{ jt('after_json', 'enabled') }} = 'false' and coalesce({{ jt('before_json', 'enabled') }}, '') <> 'false'
             then 'MFA factor ' || replace(setting, 'guardian/factors/', '') || ' disabled' end as weakened
    from settings
    where setting like 'guardian/factors/%'
    union all
    select tenant, log_id, occurred_at, actor, actor_kind, state_before,
        case when coalesce({{ jt('after_json', 'AfterAuthentication') }}, {{ jt('after_json', 'enabled') }}) = 'false'
              and coalesce({{ jt('before_json', 'AfterAuthentication') }}, {{ jt('before_json', 'enabled') }}, '') <> 'false'
             then 'adaptive MFA risk assessment off' end as weakened
    from settings
    where setting like 'risk-assessment%'
    union all
    select tenant, log_id, occurred_at, actor, actor_kind, state_before,
        case when method = 'delete' then 'a log stream deleted'
             when {{ jt('after_json', 'status') }} in ('paused', 'suspended')
              and coalesce({{ jt('before_json', 'status') }}, '') not in ('paused', 'suspended')
             then 'a log stream paused' end as weakened
    from settings
    where setting like 'log-streams/%'
),

weakened as (
    select tenant, log_id, occurred_at, actor as subject, actor_kind,
        weakened || case when state_before is null then ' (no earlier state in the logs)' else '' end as setting,
        case
            when actor_kind = 'automation' then 'low'
            when weakened like 'an address allowed%' and (state_before is null or weakened like '%no earlier list%')
                then 'low'  -- a list first seen: nothing says it grew
            else 'medium'
        end as rank_severity
    from changes
    where weakened is not null and actor is not null
),
bursts as ({{ auth0_logs.bursts('weakened', var('security_weakened_window_minutes')) }})
select
    tenant, 'security_weakened' as detection, 'user' as subject_type, subject,
    min(occurred_at) as first_seen, max(occurred_at) as last_seen, count(*) as events,
    {{ auth0_logs.ordered_list('log_id', 'log_id') }} as log_ids,
    max(rank_severity) as severity,  -- 'medium' > 'low'
    'T1562.001' as mitre_technique,
    string_agg(distinct setting, ', ' order by setting) || ' by ' || subject
        || case when max(actor_kind) = 'automation' then ' (automation)' else '' end
        || ' (' || {{ auth0_logs.counted('count(*)', 'change', 'changes') }} || ' in '
        || {{ auth0_logs.counted(auth0_logs.minutes_number('min(occurred_at)', 'max(occurred_at)'), 'minute', 'minutes') }} || ')' as description
from bursts
group by tenant, subject, burst
