{{ config(tags=['detection']) }}
{#- Many authorization requests refused for a wrong parameter (a redirect URI, client, audience,
    response type or challenge method nobody registered: `failure_reason` 'authorization'), at
    least `failed_authorization_min_requests` from one address within any
    `failed_authorization_window_minutes` (the window slides):
    someone harvesting codes or probing redirects. A well-configured tenant has next to none;
    one misconfigured app makes a few. Medium. -#}
with refused as (
    select tenant, log_id, occurred_at, ip as subject
    from {{ ref('int_auth0__login_failures') }}
    where reason = 'authorization' and ip is not null
),
members as ({{ auth0_logs.window_members('refused', var('failed_authorization_window_minutes'),
    "count(*) >= " ~ var('failed_authorization_min_requests')) }}),
bursts as ({{ auth0_logs.bursts('members', var('failed_authorization_window_minutes')) }})
select {{ auth0_logs.finding_columns('failed_authorization', 'ip', 'medium', 'T1110',
    auth0_logs.counted('count(*)', 'authorization request', 'authorization requests') ~ " || ' refused for a wrong parameter from ' || subject || ' in ' || " ~ auth0_logs.counted(auth0_logs.minutes_number('min(occurred_at)', 'max(occurred_at)'), 'minute', 'minutes')) }}
from bursts
group by tenant, subject, burst
