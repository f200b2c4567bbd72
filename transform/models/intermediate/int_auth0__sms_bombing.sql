{#- Many MFA text messages sent to one account (`gd_send_sms`): someone bombarding a user, or
    running up the tenant's SMS bill (toll fraud). -#}
with sent as (
    select tenant, log_id, occurred_at, coalesce(user_id, user_name) as subject, ip
    from {{ ref('auth0__events') }}
    where type = 'gd_send_sms'
),
bursts as ({{ auth0_logs.bursts('sent', var('sms_bombing_window_minutes')) }})
select {{ auth0_logs.finding_columns('sms_bombing', 'user', 'medium', 'T1499.002',
    "cast(count(*) as varchar) || ' MFA text messages to ' || subject || ' in ' || " ~ auth0_logs.minutes_text('min(occurred_at)', 'max(occurred_at)') ~ " || ' minutes'") }}
from bursts
where subject is not null
group by tenant, subject, burst
having count(*) >= {{ var('sms_bombing_min_sms') }}
