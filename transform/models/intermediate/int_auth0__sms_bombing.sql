{{ config(tags=['detection']) }}
{#- Many MFA text messages sent to one account (`gd_send_sms`): someone bombarding a user, or
    running up the tenant's SMS bill (toll fraud). -#}
with sent as (
    select tenant, log_id, occurred_at, coalesce(user_id, user_name) as subject, ip
    from {{ ref('auth0__events') }}
    where type = 'gd_send_sms'
      and {{ auth0_logs.not_allowed('ip', 'allowed_ips') }}
      and {{ auth0_logs.not_allowed('client_id', 'allowed_clients') }}
),
bursts as ({{ auth0_logs.bursts('sent', var('sms_bombing_window_minutes')) }})
select {{ auth0_logs.finding_columns('sms_bombing', 'user', 'medium', 'T1499.002',
    auth0_logs.counted('count(*)', 'MFA text message', 'MFA text messages') ~ " || ' to ' || subject || ' in ' || " ~ auth0_logs.counted(auth0_logs.minutes_number('min(occurred_at)', 'max(occurred_at)'), 'minute', 'minutes')) }}
from bursts
where subject is not null
group by tenant, subject, burst
having count(*) >= {{ var('sms_bombing_min_sms') }}
