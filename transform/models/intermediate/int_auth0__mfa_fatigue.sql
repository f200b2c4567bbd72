{{ config(tags=['detection']) }}
{#- MFA push bombing: push notifications a user did not approve (`gd_send_pn` with no
    `gd_auth_succeed` of that user before the next push), at least `mfa_fatigue_min_pushes` of
    them within any `mfa_fatigue_window_minutes`. Approved pushes are step-up MFA working (a push
    before each sensitive action) and are not counted; a window has a longest span, so pushes
    spread over a day never add up. -#}
with pushes as (
    select
        tenant, log_id, occurred_at, user_id, ip, type,
        lead(type) over (partition by tenant, user_id order by occurred_at, log_id) as next_type
    from {{ ref('auth0__events') }}
    where type in ('gd_send_pn', 'gd_auth_succeed') and user_id is not null
      and {{ auth0_logs.not_allowed('ip', 'allowed_ips') }}
      and {{ auth0_logs.not_allowed('client_id', 'allowed_clients') }}
),
unapproved as (
    select tenant, log_id, occurred_at, user_id as subject, ip
    from pushes
    where type = 'gd_send_pn' and coalesce(next_type, '') <> 'gd_auth_succeed'
),
peaks as (
    {#- a push with enough unapproved pushes of its user in the window that ends with it -#}
    select p.tenant, p.log_id
    from unapproved as p
    join unapproved as q
      on q.tenant = p.tenant and q.subject = p.subject and q.occurred_at <= p.occurred_at
     and {{ auth0_logs.seconds_between('q.occurred_at', 'p.occurred_at') }} <= {{ var('mfa_fatigue_window_minutes') }} * 60
    group by p.tenant, p.log_id
    having count(*) >= {{ var('mfa_fatigue_min_pushes') }}
),
bursts as (
    select b.*, case when peaks.log_id is null then 0 else 1 end as peak
    from ({{ auth0_logs.bursts('unapproved', var('mfa_fatigue_window_minutes')) }}) as b
    left join peaks on peaks.tenant = b.tenant and peaks.log_id = b.log_id
)
select {{ auth0_logs.finding_columns('mfa_fatigue', 'user', 'medium', 'T1621',
    auth0_logs.counted('count(*)', 'MFA push', 'MFA pushes') ~ " || ' not approved by ' || subject || ' in ' || " ~ auth0_logs.counted(auth0_logs.minutes_number('min(occurred_at)', 'max(occurred_at)'), 'minute', 'minutes')) }}
from bursts
group by tenant, subject, burst
having max(peak) = 1
