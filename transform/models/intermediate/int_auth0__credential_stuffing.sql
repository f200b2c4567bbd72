{#- One IP failing against many accounts, failures no more than the window apart. -#}
with failures as (
    select log_id, occurred_at, ip as subject, account
    from {{ ref('int_auth0__login_failures') }}
    where ip is not null
),
bursts as ({{ auth0_logs.bursts('failures', var('credential_stuffing_window_minutes')) }})
select {{ auth0_logs.finding_columns('credential_stuffing', 'ip', 'high', 'T1110.004',
    "cast(count(*) as varchar) || ' failed logins from ' || subject || ' against ' || cast(count(distinct account) as varchar) || ' accounts in ' || " ~ auth0_logs.minutes_text('min(occurred_at)', 'max(occurred_at)') ~ " || ' minutes'") }}
from bursts
group by subject, burst
having count(distinct account) >= {{ var('credential_stuffing_min_users') }}
