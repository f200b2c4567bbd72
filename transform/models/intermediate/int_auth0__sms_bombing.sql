{{ config(tags=['detection']) }}
{#- MFA text messages (`gd_send_sms`) in two shapes. One account bombarded: at least
    `sms_bombing_min_sms` texts to it within any `sms_bombing_window_minutes` (Auth0's catalog:
    10 an hour; the window slides, so a finance user's step-ups every twenty minutes all
    afternoon never add up). Toll fraud, the tenant's SMS bill run up across accounts: at least
    `sms_toll_fraud_min_sms` texts to `sms_toll_fraud_min_accounts` accounts or more within any
    window, `sms_toll_fraud_baseline_factor` times the tenant's usual texts per window. -#}
with sent as (
    select tenant, log_id, occurred_at, coalesce(user_id, user_name) as account, ip
    from {{ ref('auth0__events') }}
    where type = 'gd_send_sms' and coalesce(user_id, user_name) is not null
      and {{ auth0_logs.not_allowed('ip', 'allowed_ips') }}
      and {{ auth0_logs.not_allowed('client_id', 'allowed_clients') }}
),
per_account as (select sent.*, account as subject from sent),
bombed as ({{ auth0_logs.window_members('per_account', var('sms_bombing_window_minutes'),
    "count(*) >= " ~ var('sms_bombing_min_sms')) }}),
bombed_bursts as ({{ auth0_logs.bursts('bombed', var('sms_bombing_window_minutes')) }}),
tenants as (
    select tenant, coalesce(max(tenant_name), tenant) as name,
        greatest(1.0, {{ auth0_logs.seconds_between('min(occurred_at)', 'max(occurred_at)') }}
            / ({{ var('sms_bombing_window_minutes') }} * 60.0)) as windows
    from {{ ref('auth0__events') }}
    group by tenant
),
usual as (
    select s.tenant, count(*) / max(t.windows) as per_window
    from sent as s join tenants as t on t.tenant = s.tenant
    group by s.tenant
),
per_tenant as (
    select sent.*, t.name as subject, u.per_window
    from sent
    join tenants as t on t.tenant = sent.tenant
    join usual as u on u.tenant = sent.tenant
),
tolled as ({{ auth0_logs.window_members('per_tenant', var('sms_bombing_window_minutes'),
    "count(*) >= " ~ var('sms_toll_fraud_min_sms') ~ " and count(distinct q.account) >= " ~ var('sms_toll_fraud_min_accounts')
    ~ " and count(*) >= " ~ var('sms_toll_fraud_baseline_factor') ~ " * max(q.per_window)") }}),
tolled_bursts as ({{ auth0_logs.bursts('tolled', var('sms_bombing_window_minutes')) }})
select {{ auth0_logs.finding_columns('sms_bombing', 'user', 'medium', 'T1499.002',
    auth0_logs.counted('count(*)', 'MFA text message', 'MFA text messages') ~ " || ' to ' || subject || ' in ' || " ~ auth0_logs.counted(auth0_logs.minutes_number('min(occurred_at)', 'max(occurred_at)'), 'minute', 'minutes')) }}
from bombed_bursts
group by tenant, subject, burst
union all
select {{ auth0_logs.finding_columns('sms_bombing', 'tenant', 'medium', 'T1499.002',
    auth0_logs.counted('count(*)', 'MFA text message', 'MFA text messages') ~ " || ' to ' || " ~ auth0_logs.counted('count(distinct account)', 'account', 'accounts') ~ " || ' of ' || subject || ' from ' || " ~ auth0_logs.counted('count(distinct ip)', 'address', 'addresses') ~ " || ' in ' || " ~ auth0_logs.counted(auth0_logs.minutes_number('min(occurred_at)', 'max(occurred_at)'), 'minute', 'minutes') ~ " || ' (toll fraud: the tenant''s SMS bill)'") }}
from tolled_bursts
group by tenant, subject, burst
