{{ config(tags=['detection']) }}
{#- A protection made weaker: the state after a write against the state before it, as
    `auth0__security_settings` keeps them (kept from build to build). Weaker is stronger ->
    weaker, read per setting:
    - brute-force protection, suspicious-IP throttling, breached-password detection: switched
      off; left on but no longer blocking (`shields` without `block`: monitoring only); for
      breached passwords, signups no longer blocked; for suspicious-IP throttling, administrators
      no longer notified (`admin_notification` taken out: the catalog's own condition) or a
      limit raised (`max_attempts` up or `rate` down, at login or at signup); for brute force,
      its threshold raised or account lockout turned off (`mode` from `count_per_identifier` to
      per address); an allow-list widened: an entry the earlier list did not cover, however many
      it replaces (`0.0.0.0/0` for two addresses is wider, not shorter);
    - bot detection: a flow's policy lowered (`always` > `when_risky` > `off`), its level
      lowered (`high` > `medium` > `low`), its allow-list widened;
    - the MFA policy lowered (always, `all-applications` > adaptive, `confidence-score` > never,
      none); an MFA factor disabled; adaptive MFA's risk assessment turned off
      (`AfterAuthentication`, or `Enabled`, false; the request's body when the answer says
      neither); a log stream paused or deleted, or its `filters` narrowed (a category it sent no
      longer sent, or filters where it sent every event); breached-password detection's `method`
      lowered (enhanced > standard) or its password-reset stage (`pre-change-password`) no longer
      blocking; a database connection's `options.brute_force_protection` off or its
      `passwordPolicy` lowered (excellent > good > fair > low > none; Auth0's default is fair);
    - an application (`PATCH /api/v2/clients/{id}`, or created so by `POST /api/v2/clients`): cross-origin authentication turned on, the
      password or the implicit grant added to its `grant_types` (Auth0's catalog: both are
      avoided by OAuth 2.1).
    What was only switched on, or resent unchanged (a list in another order is the same list),
    is no weakening. A weak state first seen (no earlier state in the logs) is the catalogs' own
    trigger and is medium, saying so, but an allow-list first seen is low: nothing says it grew.
    Medium (Auth0's catalog); by automation named in `automation_clients`, low. Changes by one
    actor no more than the window apart are one finding. -#}
{%- set jt = auth0_logs.json_text -%}
{%- set has = auth0_logs.setting_has -%}
{%- set widened = auth0_logs.allowlist_widened -%}
{%- set level = auth0_logs.setting_level -%}
{%- set protections = {
    'attack-protection/brute-force-protection': 'brute-force protection',
    'attack-protection/suspicious-ip-throttling': 'suspicious-IP throttling',
    'attack-protection/breached-password-detection': 'breached-password detection'} -%}
{%- set rules = [] -%}
{%- for path, name in protections.items() -%}
  {%- do rules.append((path, "'" ~ name ~ " off'",
      jt('after_json', 'enabled') ~ " = 'false' and coalesce(" ~ jt('before_json', 'enabled') ~ ", '') <> 'false'")) -%}
  {%- do rules.append((path, "'" ~ name ~ " no longer blocking (monitoring only)'",
      jt('after_json', 'enabled') ~ " = 'true' and not " ~ has('after_json', 'shields', 'block')
      ~ " and (before_json is null or (coalesce(" ~ jt('before_json', 'enabled') ~ ", 'true') = 'true' and " ~ has('before_json', 'shields', 'block') ~ "))")) -%}
  {%- do rules.append((path, "'an address allowed past " ~ name ~ " (' || " ~ widened('allowlist') ~ " || ' added)'",
      "before_json is not null and " ~ jt('before_json', 'allowlist') ~ " is not null and " ~ widened('allowlist') ~ " is not null")) -%}
  {%- do rules.append((path, "'an address allowed past " ~ name ~ " (no earlier list in the logs)'",
      "(before_json is null or " ~ jt('before_json', 'allowlist') ~ " is null) and " ~ jt('after_json', 'allowlist') ~ " like '%\"%'")) -%}
{%- endfor -%}
{%- set bf = 'attack-protection/brute-force-protection' -%}
{%- do rules.append((bf, "'brute-force protection threshold raised from ' || " ~ jt('before_json', 'max_attempts') ~ " || ' to ' || " ~ jt('after_json', 'max_attempts'),
    "cast(" ~ jt('after_json', 'max_attempts') ~ " as integer) > cast(" ~ jt('before_json', 'max_attempts') ~ " as integer)")) -%}
{%- do rules.append((bf, "'brute-force protection''s account lockout off (blocks by address only)'",
    jt('before_json', 'mode') ~ " = 'count_per_identifier' and " ~ jt('after_json', 'mode') ~ " = 'count_per_identifier_and_ip'")) -%}
{%- set sit = 'attack-protection/suspicious-ip-throttling' -%}
{%- do rules.append((sit, "'suspicious-IP throttling no longer notifying administrators'",
    jt('after_json', 'enabled') ~ " = 'true' and " ~ has('before_json', 'shields', 'admin_notification') ~ " and not " ~ has('after_json', 'shields', 'admin_notification'))) -%}
{%- for stage, flow in [('pre-login', 'login'), ('pre-user-registration', 'signup')] -%}
  {%- set attempts = 'stage."' ~ stage ~ '".max_attempts' -%}
  {%- set rate = 'stage."' ~ stage ~ '".rate' -%}
  {%- do rules.append((sit, "'suspicious-IP throttling " ~ flow ~ " limit raised from ' || " ~ jt('before_json', attempts) ~ " || ' to ' || " ~ jt('after_json', attempts) ~ " || ' attempts'",
      "cast(" ~ jt('after_json', attempts) ~ " as bigint) > cast(" ~ jt('before_json', attempts) ~ " as bigint)")) -%}
  {%- do rules.append((sit, "'suspicious-IP throttling " ~ flow ~ " attempts granted faster (every ' || " ~ jt('after_json', rate) ~ " || ' ms, was ' || " ~ jt('before_json', rate) ~ " || ')'",
      "cast(" ~ jt('after_json', rate) ~ " as bigint) < cast(" ~ jt('before_json', rate) ~ " as bigint)")) -%}
{%- endfor -%}
{%- set bpd = 'attack-protection/breached-password-detection' -%}
{%- do rules.append((bpd, "'breached-password detection no longer blocking signups'",
    jt('after_json', 'enabled') ~ " = 'true' and " ~ jt('after_json', 'stage."pre-user-registration".shields') ~ " is not null and not "
    ~ has('after_json', 'stage."pre-user-registration".shields', 'block')
    ~ " and (before_json is null or (coalesce(" ~ jt('before_json', 'enabled') ~ ", 'true') = 'true' and coalesce("
    ~ jt('before_json', 'stage."pre-user-registration".shields') ~ ", '\"block\"') like '%\"block\"%'))")) -%}
{%- do rules.append((bpd, "'breached-password detection no longer blocking password resets'",
    jt('after_json', 'enabled') ~ " = 'true' and " ~ jt('after_json', 'stage."pre-change-password".shields') ~ " is not null and not "
    ~ has('after_json', 'stage."pre-change-password".shields', 'block')
    ~ " and " ~ has('before_json', 'stage."pre-change-password".shields', 'block'))) -%}
{%- do rules.append((bpd, "'breached-password detection lowered from ' || " ~ jt('before_json', 'method') ~ " || ' to ' || " ~ jt('after_json', 'method'),
    level('after_json', 'method', ['standard', 'enhanced']) ~ " < " ~ level('before_json', 'method', ['standard', 'enhanced']))) -%}
{%- set bot = 'attack-protection/bot-detection' -%}
{%- for flow, name in [('policy', 'password logins'), ('passwordless_policy', 'passwordless logins'), ('password_reset_policy', 'password resets')] -%}
  {%- do rules.append((bot, "'bot detection for " ~ name ~ " lowered from ' || " ~ jt('before_json', flow) ~ " || ' to ' || " ~ jt('after_json', flow),
      level('after_json', flow, ['off', 'when_risky', 'always']) ~ " < " ~ level('before_json', flow, ['off', 'when_risky', 'always']))) -%}
{%- endfor -%}
{%- do rules.append((bot, "'bot detection off'",
    "before_json is null and " ~ jt('after_json', 'policy') ~ " = 'off' and " ~ jt('after_json', 'passwordless_policy') ~ " = 'off' and "
    ~ jt('after_json', 'password_reset_policy') ~ " = 'off'")) -%}
{%- do rules.append((bot, "'bot detection level lowered from ' || " ~ jt('before_json', 'bot_detection_level') ~ " || ' to ' || " ~ jt('after_json', 'bot_detection_level'),
    level('after_json', 'bot_detection_level', ['low', 'medium', 'high']) ~ " < " ~ level('before_json', 'bot_detection_level', ['low', 'medium', 'high']))) -%}
{%- do rules.append((bot, "'an address allowed past bot detection (' || " ~ widened('allowlist') ~ " || ' added)'",
    "before_json is not null and " ~ jt('before_json', 'allowlist') ~ " is not null and " ~ widened('allowlist') ~ " is not null")) -%}
{%- do rules.append((bot, "'an address allowed past bot detection (no earlier list in the logs)'",
    "(before_json is null or " ~ jt('before_json', 'allowlist') ~ " is null) and " ~ jt('after_json', 'allowlist') ~ " like '%\"%'")) -%}

with settings as (
    select
        s.*,
        {{ auth0_logs.json_type_cast('s.state') }} as after_json,
        {{ auth0_logs.json_type_cast('s.state_before') }} as before_json,
        {{ auth0_logs.json_type_cast('s.request') }} as request_json,
        {# The MFA policy's strength: always 2, adaptive 1, never 0. #}
        case when s.state like '%all-applications%' then 2 when s.state like '%confidence-score%' then 1 else 0 end as mfa_after,
        case when s.state_before like '%all-applications%' then 2 when s.state_before like '%confidence-score%' then 1
             when s.state_before is null then null else 0 end as mfa_before
    from {{ ref('auth0__security_settings') }} as s
    where {{ auth0_logs.not_allowed('s.client_id', 'allowed_clients') }}
      and {{ auth0_logs.not_allowed('s.ip', 'allowed_ips') }}
),
risk as (
    select settings.*,
        coalesce({{ jt('after_json', 'AfterAuthentication') }}, {{ jt('after_json', 'Enabled') }},
                 {{ jt('after_json', 'enabled') }}, {{ jt('request_json', 'AfterAuthentication') }}) as risk_after,
        coalesce({{ jt('before_json', 'AfterAuthentication') }}, {{ jt('before_json', 'Enabled') }},
                 {{ jt('before_json', 'enabled') }}) as risk_before
    from settings
    where setting like 'risk-assessment%'
),

changes as (
    {% for path, label, condition in rules %}
    select tenant, log_id, occurred_at, actor, actor_kind, state_before, method, {{ label }} as weakened
    from settings
    where setting = '{{ path }}' and {{ condition }}
    union all
    {% endfor %}
    select tenant, log_id, occurred_at, actor, actor_kind, state_before, method,
        case mfa_after when 0 then 'MFA policy set to never' else 'MFA policy lowered to adaptive (when risky)' end
            || case when mfa_before = 2 then ' from always' when mfa_before = 1 then ' from adaptive' else '' end as weakened
    from settings
    where setting = 'guardian/policies' and mfa_after < coalesce(mfa_before, 1)
    union all
    select tenant, log_id, occurred_at, actor, actor_kind, state_before, method,
        'MFA factor ' || replace(setting, 'guardian/factors/', '') || ' disabled' as weakened
    from settings
    where setting like 'guardian/factors/%'
      and {{ jt('after_json', 'enabled') }} = 'false' and coalesce({{ jt('before_json', 'enabled') }}, '') <> 'false'
    union all
    select tenant, log_id, occurred_at, actor, actor_kind, state_before, method, 'adaptive MFA risk assessment off' as weakened
    from risk
    where lower(risk_after) = 'false' and lower(coalesce(risk_before, '')) <> 'false'
    union all
    select tenant, log_id, occurred_at, actor, actor_kind, state_before, method,
        'cross-origin authentication turned on for application ' || replace(setting, 'clients/', '') as weakened
    from settings
    where setting like 'clients/%'
      and lower({{ jt('after_json', 'cross_origin_authentication') }}) = 'true'
      and lower(coalesce({{ jt('before_json', 'cross_origin_authentication') }}, '')) <> 'true'
    union all
    {% for grant, name in [('password', 'the password grant'), ('implicit', 'the implicit grant')] %}
    select tenant, log_id, occurred_at, actor, actor_kind, state_before, method,
        '{{ name }} turned on for application ' || replace(setting, 'clients/', '') as weakened
    from settings
    where setting like 'clients/%'
      and {{ has('after_json', 'grant_types', grant) }} and not {{ has('before_json', 'grant_types', grant) }}
    union all
    {% endfor %}
    select tenant, log_id, occurred_at, actor, actor_kind, state_before, method,
        'log stream ' || replace(setting, 'log-streams/', '') || ' narrowed ('
            || coalesce(dropped, 'every event') || ' no longer sent)' as weakened
    from (
        select settings.*,
            (select string_agg({{ jt(auth0_logs.json_type_cast('gone.element'), 'name') }}, ', '
                               order by {{ jt(auth0_logs.json_type_cast('gone.element'), 'name') }})
             from {{ auth0_logs.json_elements(jt('before_json', 'filters'), 'gone') }}
             where not exists (
                 select 1 from {{ auth0_logs.json_elements(jt('after_json', 'filters'), 'kept') }}
                 where {{ jt(auth0_logs.json_type_cast('kept.element'), 'name') }}
                     = {{ jt(auth0_logs.json_type_cast('gone.element'), 'name') }})) as dropped
        from settings
        where setting like 'log-streams/%' and method <> 'delete' and before_json is not null
    ) as streams
    where {{ jt('after_json', 'filters') }} like '%"name"%'
      and (dropped is not null or coalesce({{ jt('before_json', 'filters') }}, '') not like '%"name"%')
    union all
    select tenant, log_id, occurred_at, actor, actor_kind, state_before, method,
        'connection ' || replace(setting, 'connections/', '') || ' ' || weakened as weakened
    from (
        select settings.*, 'brute-force protection off' as weakened
        from settings
        where setting like 'connections/%'
          and lower({{ jt('after_json', 'options.brute_force_protection') }}) = 'false'
          and lower(coalesce({{ jt('before_json', 'options.brute_force_protection') }}, 'true')) <> 'false'
        union all
        select settings.*, 'password policy lowered from ' || coalesce({{ jt('before_json', 'options.passwordPolicy') }}, 'its default')
            || ' to ' || {{ jt('after_json', 'options.passwordPolicy') }} as weakened
        from settings
        where setting like 'connections/%'
          and {{ level('after_json', 'options.passwordPolicy', ['none', 'low', 'fair', 'good', 'excellent']) }}
            < coalesce({{ level('before_json', 'options.passwordPolicy', ['none', 'low', 'fair', 'good', 'excellent']) }}, 3)
    ) as connections
    union all
    select tenant, log_id, occurred_at, actor, actor_kind, state_before, method,
        case when method = 'delete' then 'a log stream deleted' else 'a log stream paused' end as weakened
    from settings
    where setting like 'log-streams/%'
      and (method = 'delete'
           or ({{ jt('after_json', 'status') }} in ('paused', 'suspended')
               and coalesce({{ jt('before_json', 'status') }}, '') not in ('paused', 'suspended')))
),

weakened as (
    select tenant, log_id, occurred_at, actor as subject, actor_kind,
        weakened || case when state_before is null and method = 'post' and weakened like '% for application %'
                         then ' (a new application)'
                         when state_before is null and weakened not like '%no earlier list%'
                         then ' (no earlier state in the logs)' else '' end as setting,
        case
            when actor_kind = 'automation' then 'low'
            when weakened like '%no earlier list in the logs%' then 'low'  -- a list first seen: nothing says it grew
            else 'medium'
        end as rank_severity
    from changes
    where weakened is not null and actor is not null
),
bursts as ({{ auth0_logs.bursts('weakened', var('security_weakened_window_minutes')) }})
select
    tenant, 'security_weakened' as detection, 'user' as subject_type, subject,
    min(occurred_at) as first_seen, max(occurred_at) as last_seen, count(distinct log_id) as events,
    {{ auth0_logs.ordered_list('distinct log_id', 'log_id') }} as log_ids,
    max(rank_severity) as severity,  -- 'medium' > 'low'
    'T1562.001' as mitre_technique,
    string_agg(distinct setting, ', ' order by setting) || ' by ' || subject
        || case when max(actor_kind) = 'automation' then ' (automation)' else '' end
        || ' (' || {{ auth0_logs.counted('count(distinct log_id)', 'change', 'changes') }} || ' in '
        || {{ auth0_logs.counted(auth0_logs.minutes_number('min(occurred_at)', 'max(occurred_at)'), 'minute', 'minutes') }} || ')' as description
from bursts
group by tenant, subject, burst
