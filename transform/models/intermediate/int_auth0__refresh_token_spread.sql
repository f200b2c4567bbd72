{{ config(tags=['detection']) }}
{#- One refresh token family (`details.familyId` of `seacft`/`sertft`) exchanged from too many
    user agents (`refresh_token_max_agents`) or addresses (`refresh_token_max_addresses`) within
    `refresh_token_spread_days`: the token is used by someone else. Medium (Auth0's catalog); a
    browser update or a phone moving from Wi-Fi to mobile data adds one agent or address, so the
    defaults leave room for them. -#}
with exchanges as (
    select tenant, log_id, occurred_at, coalesce(user_id, user_name) as account, client_id, ip, user_agent,
        {{ auth0_logs.json_text('details', 'familyId') }} as family
    from {{ ref('auth0__events') }}
    where type in ('seacft', 'sertft')
      and {{ auth0_logs.not_allowed('ip', 'allowed_ips') }}
      and {{ auth0_logs.not_allowed('client_id', 'allowed_clients') }}
)
select
    tenant, 'refresh_token_spread' as detection, 'user' as subject_type, max(account) as subject,
    min(occurred_at) as first_seen, max(occurred_at) as last_seen, count(*) as events,
    {{ auth0_logs.ordered_list('log_id', 'log_id') }} as log_ids,
    'medium' as severity, 'T1550.001' as mitre_technique,
    'refresh token family ' || family || ' of ' || max(account) || ' exchanged from '
        || {{ auth0_logs.counted('count(distinct user_agent)', 'user agent', 'user agents') }} || ' and '
        || {{ auth0_logs.counted('count(distinct ip)', 'address', 'addresses') }} as description
from exchanges
where family is not null and account is not null
group by tenant, family, client_id, cast(floor({{ auth0_logs.epoch_seconds('occurred_at') }} / ({{ var('refresh_token_spread_days') }} * 86400.0)) as bigint)
having count(distinct user_agent) >= {{ var('refresh_token_max_agents') }}
    or count(distinct ip) >= {{ var('refresh_token_max_addresses') }}
