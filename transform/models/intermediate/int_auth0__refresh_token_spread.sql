{{ config(tags=['detection']) }}
{#- One refresh token family (`details.familyId` of `seacft`/`sertft`) exchanged from too many
    places or programs within any `refresh_token_spread_days` (the window slides, Auth0's catalog's
    30 days): `refresh_token_max_networks` networks or more, or `refresh_token_max_agents` user
    agents or more. The token is used by someone else. Medium (Auth0's catalog). A place is a
    network, not an address (an IPv4 /16, an IPv6 /32: no ASN is in the logs): a phone on a
    carrier changes address all day within its carrier's pool, and a laptop goes between home and
    office; Auth0's catalog names both as its false positives. An agent is its family and
    platform without version numbers, so a browser's update adds none. One finding for what the
    window saw, not 4-hour pieces. -#}
{%- set seconds = (var('refresh_token_spread_days') | float * 86400) | int -%}
with exchanges as (
    select tenant, log_id, occurred_at, coalesce(user_id, user_name) as account, ip,
        {{ auth0_logs.network_of('ip') }} as network,
        {{ auth0_logs.without_versions('user_agent') }} as agent,
        {{ auth0_logs.json_text('details', 'familyId') }} || '|' || coalesce(client_id, '') as subject,
        {{ auth0_logs.json_text('details', 'familyId') }} as family
    from {{ ref('auth0__events') }}
    where type in ('seacft', 'sertft')
      and {{ auth0_logs.json_text('details', 'familyId') }} is not null
      and coalesce(user_id, user_name) is not null
      and {{ auth0_logs.not_allowed('ip', 'allowed_ips') }}
      and {{ auth0_logs.not_allowed('client_id', 'allowed_clients') }}
),
members as ({{ auth0_logs.window_members('exchanges', var('refresh_token_spread_days') | float * 1440,
    "count(distinct q.network) >= " ~ var('refresh_token_max_networks') ~ " or count(distinct q.agent) >= " ~ var('refresh_token_max_agents')) }}),
bursts as ({{ auth0_logs.bursts('members', var('refresh_token_spread_days') | float * 1440,
    var('refresh_token_spread_days') | float * 24) }})
select
    tenant, 'refresh_token_spread' as detection, 'user' as subject_type, max(account) as subject,
    min(occurred_at) as first_seen, max(occurred_at) as last_seen, count(*) as events,
    {{ auth0_logs.ordered_list('log_id', 'log_id') }} as log_ids,
    'medium' as severity, 'T1550.001' as mitre_technique,
    'refresh token family ' || max(family) || ' of ' || max(account) || ' exchanged from '
        || case when count(distinct agent) > 0
                then {{ auth0_logs.counted('count(distinct agent)', 'user agent', 'user agents') }} || ' and '
                else '' end
        || {{ auth0_logs.counted('count(distinct network)', 'network', 'networks') }} || ' ('
        || {{ auth0_logs.counted('count(distinct ip)', 'address', 'addresses') }} || ') '
        || case when {{ auth0_logs.seconds_between('min(occurred_at)', 'max(occurred_at)') }} < 86400 then 'within a day'
                else 'in ' || {{ auth0_logs.counted('cast(floor(' ~ auth0_logs.seconds_between('min(occurred_at)', 'max(occurred_at)') ~ ' / 86400) as integer)', 'day', 'days') }} end as description
from bursts
group by tenant, subject, burst
