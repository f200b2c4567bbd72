{#- Changes made through the Management API (not reads), grouped by who made them: the
    dashboard user (`details.request.auth.user`) or else the application's client_id. -#}
with changes as (
    select tenant, log_id, occurred_at, actor as subject
    from {{ ref('int_auth0__api_calls') }}
    where type in ('sapi', 'fapi') and method <> 'get'
),
bursts as ({{ auth0_logs.bursts('changes', var('management_change_window_minutes')) }})
select {{ auth0_logs.finding_columns('management_change', 'user', 'low', 'T1098',
    "cast(count(*) as varchar) || ' Management API changes by ' || subject || ' in ' || " ~ auth0_logs.minutes_text('min(occurred_at)', 'max(occurred_at)') ~ " || ' minutes'") }}
from bursts
where subject is not null
group by tenant, subject, burst
