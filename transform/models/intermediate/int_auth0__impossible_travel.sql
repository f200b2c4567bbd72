{{ config(tags=['detection']) }}
{#- Two consecutive interactive logins of one user from places farther apart than
    `impossible_travel_min_km`, at a speed above `impossible_travel_max_kmh`. -#}
with logins as (
    select
        tenant, log_id, occurred_at, user_id, latitude, longitude,
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
        {{ auth0_logs.distance_km('previous_latitude', 'previous_longitude', 'latitude', 'longitude') }} as km,
        {{ auth0_logs.seconds_between('previous_at', 'occurred_at') }} as seconds
    from logins
    where previous_log_id is not null
)
select
    tenant, 'impossible_travel' as detection, 'user' as subject_type, user_id as subject,
    previous_at as first_seen, occurred_at as last_seen, 2 as events,
    {{ auth0_logs.pair_list('previous_log_id', 'log_id') }} as log_ids,
    'medium' as severity,
    'T1078' as mitre_technique,
    'logins of ' || user_id || ' ' || cast(cast(round(km) as integer) as varchar) || ' km apart in '
        || {{ auth0_logs.counted(auth0_logs.minutes_number('previous_at', 'occurred_at'), 'minute', 'minutes') }} as description
from hops
where km >= {{ var('impossible_travel_min_km') }}
  and km > {{ var('impossible_travel_max_kmh') }} * greatest(seconds, 1) / 3600.0
