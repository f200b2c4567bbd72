{{ config(tags=['detection']) }}
{#- A rotated refresh token presented again (`ferrt` that Auth0 marks as reuse): someone holds a
    copy of the token, or the application races itself. Medium (Auth0's catalog) when it happens
    `refresh_token_reuse_min_events` times or more, or from a network (an IPv4 /16, an IPv6 /32)
    the account never exchanged a token from; low otherwise: a single-page app open in two tabs,
    and a mobile app retrying after its carrier moved it to another address of its pool, reuse a
    token once from the user's own network (Auth0's own false positives). The count is within any
    `refresh_token_reuse_window_minutes` (the window slides): a second tab's reuse every 55
    minutes is never 3 within an hour, and stays low however long the tabs stay open. -#}
with reused as (
    select tenant, log_id, occurred_at, coalesce(user_id, user_name, client_id) as subject, ip,
        {{ auth0_logs.network_of('ip') }} as network
    from {{ ref('auth0__events') }}
    where type = 'ferrt' and lower(coalesce(description, '')) like '%reuse%'
      and {{ auth0_logs.not_allowed('client_id', 'allowed_clients') }}
      and {{ auth0_logs.not_allowed('ip', 'allowed_ips') }}
),
own as (
    select distinct tenant, coalesce(user_id, user_name, client_id) as subject, {{ auth0_logs.network_of('ip') }} as network
    from {{ ref('auth0__events') }}
    where type in ('seacft', 'sertft', 's') and ip is not null
),
marked as (
    select r.*, case when o.network is null then 1 else 0 end as foreign_network
    from reused as r
    left join own as o on o.tenant = r.tenant and o.subject = r.subject and o.network = r.network
),
members as ({{ auth0_logs.window_members('marked', var('refresh_token_reuse_window_minutes'),
    "count(*) >= " ~ var('refresh_token_reuse_min_events') ~ " or max(q.foreign_network) = 1") }}),
judged as (
    select marked.*, case when exists (
        select 1 from members as m where m.tenant = marked.tenant and m.log_id = marked.log_id) then 1 else 0 end as peak
    from marked
),
bursts as ({{ auth0_logs.bursts('judged', var('refresh_token_reuse_window_minutes')) }})
select
    tenant, 'refresh_token_reuse' as detection, 'user' as subject_type, subject,
    min(occurred_at) as first_seen, max(occurred_at) as last_seen, count(*) as events,
    {{ auth0_logs.ordered_list('log_id', 'log_id') }} as log_ids,
    case when max(peak) = 1 then 'medium' else 'low' end as severity,
    'T1550.001' as mitre_technique,
    {{ auth0_logs.counted('count(*)', 'reused refresh token', 'reused refresh tokens') }} || ' of ' || subject || ' from '
        || {{ auth0_logs.counted('count(distinct ip)', 'address', 'addresses') }}
        || case when max(foreign_network) = 1 then ' in a network it never exchanged a token from' else '' end
        || ' in ' || {{ auth0_logs.counted(auth0_logs.minutes_number('min(occurred_at)', 'max(occurred_at)'), 'minute', 'minutes') }} as description
from bursts
where subject is not null
group by tenant, subject, burst
