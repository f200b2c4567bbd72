{#- A rotated refresh token presented again (`ferrt` that Auth0 marks as reuse): someone holds a
    copy of the token, or the application caches it. Other failed exchanges (an expired or
    revoked token) are not reuse. Per account, no more than the window apart. -#}
with reused as (
    select tenant, log_id, occurred_at, coalesce(user_id, user_name, client_id) as subject, ip
    from {{ ref('auth0__events') }}
    where type = 'ferrt' and lower(coalesce(description, '')) like '%reuse%'
      and {{ auth0_logs.not_allowed('client_id', 'allowed_clients') }}
),
bursts as ({{ auth0_logs.bursts('reused', var('refresh_token_reuse_window_minutes')) }})
select {{ auth0_logs.finding_columns('refresh_token_reuse', 'user', 'high', 'T1550.001',
    "cast(count(*) as varchar) || ' reused refresh tokens of ' || subject || ' from ' || cast(count(distinct ip) as varchar) || ' addresses in ' || " ~ auth0_logs.minutes_text('min(occurred_at)', 'max(occurred_at)') ~ " || ' minutes'") }}
from bursts
where subject is not null
group by tenant, subject, burst
having count(*) >= {{ var('refresh_token_reuse_min_events') }}
