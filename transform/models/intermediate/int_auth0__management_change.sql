{{ config(tags=['detection']) }}
{#- Changes made through the Management API (not reads), grouped by who made them: the
    Dashboard user (`details.request.auth.user`) or else the application's client_id. Low: the
    record of who changed what, to read beside the other findings. -#}
with changes as (
    select tenant, log_id, occurred_at, actor as subject, actor_kind
    from {{ ref('int_auth0__api_calls') }}
    where type in ('sapi', 'fapi') and method <> 'get'
      and {{ auth0_logs.not_allowed('client_id', 'allowed_clients') }}
      and {{ auth0_logs.not_allowed('ip', 'allowed_ips') }}
),
bursts as ({{ auth0_logs.bursts('changes', var('management_change_window_minutes')) }})
select {{ auth0_logs.finding_columns('management_change', 'user', 'low', 'T1098',
    auth0_logs.counted('count(*)', 'Management API change', 'Management API changes') ~ " || ' by ' || subject || case when max(actor_kind) = 'automation' then ' (automation)' else '' end || ' in ' || " ~ auth0_logs.counted(auth0_logs.minutes_number('min(occurred_at)', 'max(occurred_at)'), 'minute', 'minutes')) }}
from bursts
where subject is not null
group by tenant, subject, burst
