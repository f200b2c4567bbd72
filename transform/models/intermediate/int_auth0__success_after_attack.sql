{{ config(tags=['detection']) }}
{#- A successful login for an account under attack, from an address the attack came from: during
    or within `success_after_attack_window_minutes` after guesses at the account (brute force),
    MFA pushes it did not approve, a breached password of it, or Auth0 blocking it; or after
    credential stuffing or spraying from that very address. One finding per success, naming the
    account, the address and the attack. Critical when the success is plausibly the attacker's:
    the attack was above low, and no recovery by the owner came between the attack's last event
    before the login and the login (int_auth0__recoveries: the password changed, a block released
    or lifted by an administrator, an MFA recovery code; or the login comes from the very address
    Auth0 had blocked on the account, `limit_wc`, which means the block was lifted). What comes
    after the login is no recovery: the one who got in changing the password or enrolling a phone
    is making the account theirs. Otherwise low, saying why: after the owner's recovery, or after
    what was already judged ordinary (a breached password one person used, Auth0's own block of
    an owner's mistakes, pushes that ended in the owner's own one-time code). An address Auth0 blocked for everyone behind it (`limit_mu` on an office's NAT) is
    no attack of its own: colleagues signing in from it are no finding. -#}
{%- set attacks = ['brute_force', 'credential_stuffing', 'password_spraying', 'mfa_fatigue', 'breached_password'] -%}

with attacks as (
    {% for name in attacks %}
    select tenant, detection, subject_type, subject, first_seen, last_seen, severity, log_ids
    from {{ ref('int_auth0__' ~ name) }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
    union all
    select tenant, detection, subject_type, subject, first_seen, last_seen, severity, log_ids
    from {{ ref('int_auth0__auth0_blocks') }}
    where subject_type = 'user'  -- an account Auth0 held back (its password or its MFA codes)
),

attack_events as (
    select a.tenant, a.detection, a.subject_type, a.subject, a.first_seen, a.last_seen, a.severity,
        e.occurred_at, e.ip
    from (
        select tenant, detection, subject_type, subject, first_seen, last_seen, severity, unnest(log_ids) as log_id
        from attacks
    ) as a
    join {{ ref('auth0__events') }} as e on e.tenant = a.tenant and e.log_id = a.log_id
    where e.ip is not null
),

successes as (
    select tenant, log_id, occurred_at, coalesce(user_id, user_name) as account,
        lower(user_id) as user_key, lower(user_name) as name_key, ip
    from {{ ref('auth0__events') }}
    where {{ auth0_logs.is_login_success() }}
      and coalesce(user_id, user_name) is not null
      and {{ auth0_logs.not_allowed('ip', 'allowed_ips') }}
      and {{ auth0_logs.not_allowed('client_id', 'allowed_clients') }}
),

followed as (
    {# Each (success, attack) pair, with the attack's last event before the success. #}
    select
        s.tenant, s.log_id, s.occurred_at, s.account, s.user_key, s.name_key, s.ip,
        a.detection as attack, a.subject as attack_subject, a.first_seen as attack_started,
        a.severity as attack_severity, max(a.occurred_at) as attack_last
    from successes as s
    join attack_events as a
      on a.tenant = s.tenant and a.ip = s.ip
     and (a.subject_type = 'ip' or lower(a.subject) in (s.user_key, s.name_key))
     and a.occurred_at <= s.occurred_at
     and {{ auth0_logs.seconds_between('a.last_seen', 's.occurred_at') }}
         <= {{ var('success_after_attack_window_minutes') }} * 60
    group by s.tenant, s.log_id, s.occurred_at, s.account, s.user_key, s.name_key, s.ip,
        a.detection, a.subject, a.first_seen, a.severity
),

recoveries as (
    select r.tenant, r.account_key, r.occurred_at, r.recovery, cast(null as varchar) as ip
    from {{ ref('int_auth0__recoveries') }} as r
    union all
    {# Auth0's block of the account from an address: a login from it later means it was lifted. #}
    select tenant, lower(coalesce(user_id, user_name)), occurred_at,
        'Auth0''s block of the address was lifted', ip
    from {{ ref('auth0__events') }}
    where type = 'limit_wc' and coalesce(user_id, user_name) is not null
    union all
    select tenant, lower(user_name), occurred_at, 'Auth0''s block of the address was lifted', ip
    from {{ ref('auth0__events') }}
    where type = 'limit_wc' and user_id is not null and user_name is not null
),

judged as (
    select
        f.tenant, f.log_id, f.occurred_at, f.account, f.ip, f.attack, f.attack_subject,
        f.attack_started, f.attack_severity,
        coalesce(min(case when r.ip is null then r.recovery end), min(r.recovery)) as recovery
    from followed as f
    left join recoveries as r
      on r.tenant = f.tenant and r.account_key in (f.user_key, f.name_key)
     and r.occurred_at >= f.attack_last and r.occurred_at <= f.occurred_at
     and (r.ip is null or r.ip = f.ip)
     and (r.recovery <> 'MFA passed' or f.attack = 'auth0_blocks')
    group by f.tenant, f.log_id, f.occurred_at, f.account, f.ip, f.attack, f.attack_subject,
        f.attack_started, f.attack_severity
),

ranked as (
    {# One line per success: the attack that makes it worst, then the earliest. #}
    select judged.*,
        case when recovery is null and attack_severity <> 'low' then 'critical' else 'low' end as severity,
        row_number() over (
            partition by tenant, log_id
            order by case when recovery is null and attack_severity <> 'low' then 0 else 1 end,
                attack_started, attack
        ) as pick
    from judged
)

select
    tenant, 'success_after_attack' as detection, 'user' as subject_type, account as subject,
    occurred_at as first_seen, occurred_at as last_seen, 1 as events,
    {{ auth0_logs.ordered_list('log_id', 'log_id') }} as log_ids,
    severity,
    'T1078' as mitre_technique,
    'successful login of ' || account || ' from ' || coalesce(ip, 'an unknown address')
        || ' during or after ' || replace(attack, '_', ' ') || ' (' || attack_subject || ')'
        || case
             when recovery is not null then ', after ' || recovery
             when attack_severity = 'low' then ', which was judged ordinary (low)'
             else '' end as description
from ranked
where pick = 1
group by tenant, log_id, account, occurred_at, ip, attack, attack_subject, recovery, attack_severity, severity
