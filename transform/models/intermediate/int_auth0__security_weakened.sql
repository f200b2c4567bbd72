{#- A protection switched off or loosened through the Management API: attack protection
    (brute force, suspicious-IP throttling, breached passwords, their allow-lists), bot
    detection, the MFA policy set to never, an MFA factor or risk assessment disabled, a log
    stream paused or deleted (the attacker's next move is to stop the logs). Each change is read
    from its request and answer; changes by one actor no more than the window apart are one
    finding, naming what was turned off. -#}
with changes as (
    select
        tenant, log_id, occurred_at, actor as subject,
        case
            when path like '%/attack-protection/brute-force-protection%' and body_enabled = 'false'
                then 'brute-force protection off'
            when path like '%/attack-protection/suspicious-ip-throttling%' and body_enabled = 'false'
                then 'suspicious-IP throttling off'
            when path like '%/attack-protection/breached-password-detection%' and body_enabled = 'false'
                then 'breached-password detection off'
            when path like '%/attack-protection/%' and coalesce(body_allowlist, '[]') not in ('[]', '')
                then 'an address allowed past attack protection'
            when 'off' in (coalesce(policy, ''), coalesce(passwordless_policy, ''), coalesce(password_reset_policy, ''))
                then 'bot detection off'
            when path like '%/guardian/policies%' and method = 'put' and replace(coalesce(body, ''), ' ', '') = '[]'
                then 'MFA policy set to never'
            when path like '%/guardian/factors/%' and body_enabled = 'false'
                then 'an MFA factor disabled'
            when path like '%/risk-assessments/settings%' and body_enabled = 'false'
                then 'risk assessment off'
            when path like '%/log-streams/%' and (method = 'delete' or body_status in ('paused', 'suspended'))
                then 'a log stream paused or deleted'
        end as setting
    from {{ ref('int_auth0__api_calls') }}
    where type = 'sapi' and method <> 'get' and actor is not null
),
weakened as (select * from changes where setting is not null),
bursts as ({{ auth0_logs.bursts('weakened', var('security_weakened_window_minutes')) }})
select {{ auth0_logs.finding_columns('security_weakened', 'user', 'high', 'T1562.001',
    "string_agg(distinct setting, ', ' order by setting) || ' by ' || subject || ' (' || cast(count(*) as varchar) || ' changes in ' || " ~ auth0_logs.minutes_text('min(occurred_at)', 'max(occurred_at)') ~ " || ' minutes)'") }}
from bursts
group by tenant, subject, burst
