{{ config(tags=['detection']) }}
{#- Many guesses at one account's password (wrong passwords), in either shape: at least
    `brute_force_min_failures`, each within `brute_force_window_minutes` of the last (what
    Auth0's brute-force protection counts, from one address); or slowly, under Auth0's count: at
    least `brute_force_slow_min_failures` within any `brute_force_slow_window_hours` (one finding
    for the whole window), from `brute_force_slow_min_addresses` addresses or more (1: one
    patient address is as much an attack as rotating ones), while the account's own logins are
    few (its failures `brute_force_slow_min_failure_share` of its attempts). Medium; low when the
    owner took the account back between the first guess and the first login after it from an
    address the guesses came from, within
    `success_after_attack_window_minutes` of the last guess (int_auth0__recoveries: the password
    changed, the block released, an administrator's unblock of a blocked account; a recovery
    after that login is the one who logged in, perhaps the attacker making the account theirs),
    or signed in from the very address Auth0 had blocked on the account (`limit_wc`) with no
    guess from it after the block (that login means the block was lifted; guesses after it mean
    Auth0 only watched: monitoring mode logs the block and blocks nothing): a forgotten password.
    The slow shape is low too when the account was signed into while the guesses went on (from
    anywhere, its home router included), or from an address none of them came from: an old
    password saved on a device that retries on its own. An attacker who got in stops guessing. -#}
{%- set slow_seconds = (var('brute_force_slow_window_hours') | float * 3600) | int -%}
with failures as (
    select tenant, log_id, occurred_at, account as subject, ip, user_key, name_key
    from {{ ref('int_auth0__login_failures') }}
    where account is not null and reason = 'wrong_password'
),
fast as ({{ auth0_logs.bursts('failures', var('brute_force_window_minutes')) }}),
fast_found as (
    select tenant, subject, 'fast' as shape, burst
    from fast
    group by tenant, subject, burst
    having count(*) >= {{ var('brute_force_min_failures') }}
),
busy as (
    {# Accounts with enough wrong passwords for the slow shape at all (a cheap first cut). #}
    select tenant, subject from failures group by tenant, subject
    having count(*) >= {{ var('brute_force_slow_min_failures') }}
),
successes as (
    select e.tenant, e.occurred_at, coalesce(e.user_id, e.user_name) as subject
    from {{ ref('auth0__events') }} as e
    join busy on busy.tenant = e.tenant and busy.subject = coalesce(e.user_id, e.user_name)
    where {{ auth0_logs.is_login_success('e.') }}
),
slow_candidates as (
    select f.*
    from failures as f join busy on busy.tenant = f.tenant and busy.subject = f.subject
),
slow_ends as (
    select p.tenant, p.subject, p.occurred_at as end_at
    from slow_candidates as p
    join slow_candidates as q
      on q.tenant = p.tenant and q.subject = p.subject and q.occurred_at <= p.occurred_at
     and q.occurred_at >= {{ auth0_logs.shifted('p.occurred_at', -slow_seconds) }}
    group by p.tenant, p.subject, p.log_id, p.occurred_at
    having count(*) >= {{ var('brute_force_slow_min_failures') }}
       and count(distinct q.ip) >= {{ var('brute_force_slow_min_addresses') }}
       and count(*) >= {{ var('brute_force_slow_min_failure_share') }} * (count(*) + (
           select count(*) from successes as s
           where s.tenant = p.tenant and s.subject = p.subject and s.occurred_at <= p.occurred_at
             and s.occurred_at >= {{ auth0_logs.shifted('p.occurred_at', -slow_seconds) }}))
),
slow as (
    select c.*
    from slow_candidates as c
    where exists (
        select 1 from slow_ends as e
        where e.tenant = c.tenant and e.subject = c.subject and c.occurred_at <= e.end_at
          and c.occurred_at >= {{ auth0_logs.shifted('e.end_at', -slow_seconds) }})
),
slow_bursts as ({{ auth0_logs.bursts('slow', var('brute_force_slow_window_hours') | float * 60,
    var('brute_force_slow_window_hours')) }}),
fast_events as (
    select f.tenant, f.subject, 'fast' as shape, f.burst, fast.log_id, fast.occurred_at, fast.ip, fast.user_key, fast.name_key
    from fast_found as f join fast on fast.tenant = f.tenant and fast.subject = f.subject and fast.burst = f.burst
),
grouped as (
    select * from fast_events
    union all
    {# The slow shape where no fast burst already says it. #}
    select s.tenant, s.subject, 'slow' as shape, s.burst, s.log_id, s.occurred_at, s.ip, s.user_key, s.name_key
    from slow_bursts as s
    where not exists (
        select 1 from slow_bursts as t
        join fast_events as f on f.tenant = t.tenant and f.log_id = t.log_id
        where t.tenant = s.tenant and t.subject = s.subject and t.burst = s.burst)
),
found as (
    select tenant, subject, shape, burst, min(occurred_at) as first_at, max(occurred_at) as last_at,
        coalesce(max(user_key), lower(subject)) as user_key, coalesce(max(name_key), lower(subject)) as name_key
    from grouped
    group by tenant, subject, shape, burst
),
logins as (
    {# The account's logins after its first guess, within the window after its last.  #}
    select f.tenant, f.subject, f.shape, f.burst, e.occurred_at, e.ip
    from found as f
    join {{ ref('auth0__events') }} as e
      on e.tenant = f.tenant and (lower(e.user_id) in (f.user_key, f.name_key) or lower(e.user_name) in (f.user_key, f.name_key))
     and e.occurred_at > f.first_at
     and {{ auth0_logs.seconds_between('f.last_at', 'e.occurred_at') }} <= {{ var('success_after_attack_window_minutes') }} * 60
    where {{ auth0_logs.is_login_success('e.') }}
),
first_login as (
    {# The first login from an address the guesses came from (one from elsewhere is the owner's own device). #}
    select l.tenant, l.subject, l.shape, l.burst, min(l.occurred_at) as login_at
    from logins as l
    where exists (
        select 1 from grouped as g
        where g.tenant = l.tenant and g.subject = l.subject and g.shape = l.shape and g.burst = l.burst
          and g.ip = l.ip)
    group by l.tenant, l.subject, l.shape, l.burst
),
recovered as (
    select f.tenant, f.subject, f.shape, f.burst, min(r.recovery) as recovery, 1 as implied
    from found as f
    left join first_login as l on l.tenant = f.tenant and l.subject = f.subject and l.shape = f.shape and l.burst = f.burst
    join {{ ref('int_auth0__recoveries') }} as r
      on r.tenant = f.tenant and r.account_key in (f.user_key, f.name_key) and r.recovery <> 'MFA passed'
     and r.occurred_at >= f.first_at and (l.login_at is null or r.occurred_at <= l.login_at)
     and {{ auth0_logs.seconds_between('f.last_at', 'r.occurred_at') }} <= {{ var('success_after_attack_window_minutes') }} * 60
    group by f.tenant, f.subject, f.shape, f.burst
    union all
    {# A login from an address Auth0 blocked on the account, no guess from it since: the block was lifted. #}
    select f.tenant, f.subject, f.shape, f.burst, 'Auth0''s block was lifted' as recovery, 2 as implied
    from found as f
    join {{ ref('auth0__events') }} as b
      on b.tenant = f.tenant and b.type = 'limit_wc' and (lower(b.user_id) in (f.user_key, f.name_key) or lower(b.user_name) in (f.user_key, f.name_key))
     and b.occurred_at >= f.first_at
     and {{ auth0_logs.seconds_between('f.last_at', 'b.occurred_at') }} <= {{ var('success_after_attack_window_minutes') }} * 60
    join logins as s
      on s.tenant = f.tenant and s.subject = f.subject and s.shape = f.shape and s.burst = f.burst
     and s.ip = b.ip and s.occurred_at > b.occurred_at
    where not exists (
        {# A guess more than a few seconds after the block: the attempt that tripped it may be
           logged just after it. #}
        select 1 from failures as g
        where g.tenant = f.tenant and g.subject = f.subject and g.ip = b.ip
          and g.occurred_at > {{ auth0_logs.shifted('b.occurred_at', var('brute_force_block_grace_seconds')) }}
          and g.occurred_at < s.occurred_at)
    group by f.tenant, f.subject, f.shape, f.burst
    union all
    {# The slow shape, the owner signing in while it went on (guesses after the login, or the
       login from an address no guess came from): a device's old password. #}
    select f.tenant, f.subject, f.shape, f.burst, 'the owner signed in meanwhile' as recovery, 3 as implied
    from found as f
    join logins as s
      on s.tenant = f.tenant and s.subject = f.subject and s.shape = f.shape and s.burst = f.burst
     and s.occurred_at <= f.last_at
    where f.shape = 'slow'
      and (s.occurred_at < f.last_at
           or not exists (
             select 1 from grouped as g
             where g.tenant = f.tenant and g.subject = f.subject and g.shape = f.shape and g.burst = f.burst
               and g.ip = s.ip))
    group by f.tenant, f.subject, f.shape, f.burst
),
judged as (
    select tenant, subject, shape, burst,
        coalesce(min(case when implied = 1 then recovery end), min(case when implied = 2 then recovery end),
                 min(recovery)) as recovery
    from recovered group by tenant, subject, shape, burst
)
select
    g.tenant, 'brute_force' as detection, 'user' as subject_type, g.subject,
    min(g.occurred_at) as first_seen, max(g.occurred_at) as last_seen, count(*) as events,
    {{ auth0_logs.ordered_list('g.log_id', 'g.log_id') }} as log_ids,
    case when max(j.recovery) is null then 'medium' else 'low' end as severity,
    'T1110.001' as mitre_technique,
    {{ auth0_logs.counted('count(*)', 'wrong password', 'wrong passwords') }} || ' for ' || g.subject
        || ' from ' || {{ auth0_logs.counted('count(distinct g.ip)', 'address', 'addresses') }}
        || ' in ' || {{ auth0_logs.counted(auth0_logs.minutes_number('min(g.occurred_at)', 'max(g.occurred_at)'), 'minute', 'minutes') }}
        || case when g.shape = 'slow' then ' (slowly)' else '' end
        || case when max(j.recovery) is null then ''
                when max(j.recovery) = 'the owner signed in meanwhile'
                then ', while the owner signed in and the guesses went on (an old password saved on a device)'
                else ', then ' || max(j.recovery) || ' (a forgotten password)' end as description
from grouped as g
left join judged as j on j.tenant = g.tenant and j.subject = g.subject and j.shape = g.shape and j.burst = g.burst
group by g.tenant, g.subject, g.shape, g.burst
