{{ config(tags=['detection']) }}
{#- A successful login for an account under attack, from an address the attack came from: during
    or within the window after guesses at the account (brute force), MFA pushes it did not approve,
    a breached password of it, or Auth0 blocking its MFA codes; or after credential stuffing or
    spraying from that very address. One finding per success, naming the account, the address
    and the attack. Critical when the success is plausibly the attacker's: from the attacking
    address, with no recovery by the owner (a password changed, `scp`; a new MFA enrolment) in
    between. After such a recovery, low, saying so. An address Auth0 blocked for everyone behind
    it (`limit_mu` on an office's NAT) is no attack of its own: colleagues signing in from it are
    no finding. -#}
{%- set attacks = ['brute_force', 'credential_stuffing', 'password_spraying', 'mfa_fatigue', 'breached_password'] -%}

with attacks as (
    {% for name in attacks %}
    select tenant, detection, subject_type, subject, first_seen, last_seen, log_ids
    from {{ ref('int_auth0__' ~ name) }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
    union all
    select tenant, detection, subject_type, subject, first_seen, last_seen, log_ids
    from {{ ref('int_auth0__auth0_blocks') }}
    where subject_type = 'user'  -- MFA codes guessed until Auth0 blocked them, an account held back
),

attack_logs as (
    select tenant, detection, subject_type, subject, first_seen, last_seen, unnest(log_ids) as log_id
    from attacks
),

attack_addresses as (
    select distinct a.tenant, a.detection, a.subject_type, a.subject, a.first_seen, a.last_seen, e.ip
    from attack_logs as a
    join {{ ref('auth0__events') }} as e on e.tenant = a.tenant and e.log_id = a.log_id
    where e.ip is not null
),

successes as (
    select tenant, log_id, occurred_at, coalesce(user_id, user_name) as account, ip
    from {{ ref('auth0__events') }}
    where category = 'login' and outcome = 'success'
      and type not in ('ssa', 'sdelsa')  -- a silent re-authentication is no new way in
      and coalesce(user_id, user_name) is not null
),

followed as (
    select
        s.tenant, s.log_id, s.occurred_at, s.account, s.ip,
        a.detection as attack, a.subject as attack_subject, a.first_seen as attack_started,
        row_number() over (partition by s.tenant, s.log_id order by a.first_seen, a.detection) as pick
    from successes as s
    join attack_addresses as a
      on a.tenant = s.tenant and a.ip = s.ip and (a.subject_type = 'ip' or a.subject = s.account)
     and s.occurred_at >= a.first_seen
     and {{ auth0_logs.seconds_between('a.last_seen', 's.occurred_at') }}
         <= {{ var('success_after_attack_window_minutes') }} * 60
),

recoveries as (
    {#- The owners' recoveries: a password changed, an MFA enrolment (few events). -#}
    select tenant, coalesce(user_id, user_name) as account, occurred_at, type
    from {{ ref('auth0__events') }}
    where type in ('scp', 'gd_enrollment_complete')
),

judged as (
    select
        f.tenant, f.log_id, f.occurred_at, f.account, f.ip, f.attack, f.attack_subject,
        max(r.type) as recovery
    from followed as f
    left join recoveries as r
      on r.tenant = f.tenant and r.account = f.account
     and r.occurred_at >= f.attack_started and r.occurred_at <= f.occurred_at
    where f.pick = 1
    group by f.tenant, f.log_id, f.occurred_at, f.account, f.ip, f.attack, f.attack_subject
)

select
    tenant, 'success_after_attack' as detection, 'user' as subject_type, account as subject,
    min(occurred_at) as first_seen, max(occurred_at) as last_seen, count(*) as events,
    {{ auth0_logs.ordered_list('log_id', 'log_id') }} as log_ids,
    case when max(recovery) is null then 'critical' else 'low' end as severity,
    'T1078' as mitre_technique,
    min('successful login of ' || account || ' from ' || coalesce(ip, 'an unknown address')
        || ' during or after ' || replace(attack, '_', ' ') || ' (' || attack_subject || ')'
        || case recovery
             when 'scp' then ', after the owner changed the password'
             when 'gd_enrollment_complete' then ', after a new MFA enrolment of the account'
             else '' end) as description
from judged
group by tenant, log_id, account
