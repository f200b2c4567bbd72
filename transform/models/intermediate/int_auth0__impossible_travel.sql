{{ config(tags=['detection']) }}
{#- Two consecutive interactive logins of one user from places farther apart than
    `impossible_travel_min_km`, at a speed above `impossible_travel_max_kmh`. Medium when the two
    come from different programs (user agents, without version numbers) and neither address is a
    shared exit (one that `impossible_travel_shared_exit_accounts` accounts or more sign in from:
    a company's VPN, a proxy): another device where the user cannot be. Low otherwise: someone
    switching the company's VPN on or off, its exit in another city, looks exactly so; and
    neither catalog has a rule for travel at all. -#}
with exits as (
    select tenant, ip
    from {{ ref('auth0__events') }}
    where category = 'login' and outcome = 'success' and ip is not null and user_id is not null
    group by tenant, ip
    having count(distinct user_id) >= {{ var('impossible_travel_shared_exit_accounts') }}
),
logins as (
    select
        tenant, log_id, occurred_at, user_id, latitude, longitude, ip,
        lag(ip) over (partition by tenant, user_id order by occurred_at, log_id) as previous_ip,
        {{ auth0_logs.without_versions('user_agent') }} as agent,
        lag({{ auth0_logs.without_versions('user_agent') }}) over (partition by tenant, user_id order by occurred_at, log_id) as previous_agent,
        lag(log_id) over (partition by tenant, user_id order by occurred_at, log_id) as previous_log_id,
        lag(occurred_at) over (partition by tenant, user_id order by occurred_at, log_id) as previous_at,
        lag(latitude) over (partition by tenant, user_id order by occurred_at, log_id) as previous_latitude,
        lag(longitude) over (partition by tenant, user_id order by occurred_at, log_id) as previous_longitude
    from {{ ref('auth0__events') }}
    where category = 'login' and outcome = 'success'
      and type not in ('ssa', 'sdelsa')  -- silent authentication is a session, not a new login
      and {{ auth0_logs.not_allowed('ip', 'allowed_ips') }}
      and {{ auth0_logs.not_allowed('client_id', 'allowed_clients') }}
      and user_id is not null and latitude is not null and longitude is not null
),
hops as (
    select
        logins.*,
        case when exists (select 1 from exits as x where x.tenant = logins.tenant and x.ip in (logins.ip, logins.previous_ip))
             then 1 else 0 end as shared_exit,
        {{ auth0_logs.distance_km('previous_latitude', 'previous_longitude', 'latitude', 'longitude') }} as km,
        {{ auth0_logs.seconds_between('previous_at', 'occurred_at') }} as seconds
    from logins
    where previous_log_id is not null
)
select
    tenant, 'impossible_travel' as detection, 'user' as subject_type, user_id as subject,
    previous_at as first_seen, occurred_at as last_seen, 2 as events,
    {{ auth0_logs.pair_list('previous_log_id', 'log_id') }} as log_ids,
    case when agent <> previous_agent and shared_exit = 0 then 'medium' else 'low' end as severity,
    'T1078' as mitre_technique,
    'logins of ' || user_id || ' ' || cast(cast(round(km) as integer) as varchar) || ' km apart in '
        || {{ auth0_logs.counted(auth0_logs.minutes_number('previous_at', 'occurred_at'), 'minute', 'minutes') }}
        || case when shared_exit = 1 then ', one of them through an address many accounts sign in from (a VPN''s or a proxy''s exit)'
                when agent <> previous_agent then ', from another program (' || previous_agent || ', then ' || agent || ')'
                else ', from the same program or an unknown one (a VPN switched on or off looks so)' end as description
from hops
where km >= {{ var('impossible_travel_min_km') }}
  and km > {{ var('impossible_travel_max_kmh') }} * greatest(seconds, 1) / 3600.0
