{#- Many signups (successful, failed, or with a breached password) from one address: a script
    making accounts. By address, because a launch brings a burst of signups to the whole tenant,
    each from an address of its own. -#}
with signups as (
    select tenant, log_id, occurred_at, ip as subject, type
    from {{ ref('auth0__events') }}
    where type in ('ss', 'fs', 'signup_pwd_leak') and ip is not null
      and {{ auth0_logs.not_allowed('ip', 'allowed_ips') }}
),
bursts as ({{ auth0_logs.bursts('signups', var('signup_fraud_window_minutes')) }})
select {{ auth0_logs.finding_columns('signup_fraud', 'ip', 'medium', 'T1136.003',
    "cast(count(*) as varchar) || ' signups from ' || subject || ' (' || cast(sum(case when type = 'ss' then 1 else 0 end) as varchar) || ' succeeded) in ' || " ~ auth0_logs.minutes_text('min(occurred_at)', 'max(occurred_at)') ~ " || ' minutes'") }}
from bursts
group by tenant, subject, burst
having count(*) >= {{ var('signup_fraud_min_signups') }}
