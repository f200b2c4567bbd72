{#- A successful login for an account under attack, from an address the attack came from: during
    or within the window after brute force on the account, MFA fatigue or a breached password of
    it, Auth0 blocking it, or credential stuffing, spraying or Auth0's block from that address.
    The highest severity, because the attack may have worked: one finding per success, naming the account, the address and the log
    of the success. The account's own logins from its own addresses are no such finding. An attack
    and a success are of one tenant. -#}
{%- set attacks = ['brute_force', 'credential_stuffing', 'password_spraying', 'mfa_fatigue', 'breached_password', 'auth0_blocks'] -%}

with attacks as (
    {% for name in attacks %}
    select tenant, detection, subject_type, subject, first_seen, last_seen, log_ids
    from {{ ref('int_auth0__' ~ name) }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
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
        a.detection as attack, a.subject as attack_subject,
        row_number() over (partition by s.tenant, s.log_id order by a.first_seen, a.detection) as pick
    from successes as s
    join attack_addresses as a
      on a.tenant = s.tenant and a.ip = s.ip and (a.subject_type = 'ip' or a.subject = s.account)
     and s.occurred_at >= a.first_seen
     and {{ auth0_logs.seconds_between('a.last_seen', 's.occurred_at') }}
         <= {{ var('success_after_attack_window_minutes') }} * 60
)

select
    tenant, 'success_after_attack' as detection, 'user' as subject_type, account as subject,
    min(occurred_at) as first_seen, max(occurred_at) as last_seen, count(*) as events,
    {{ auth0_logs.ordered_list('log_id', 'log_id') }} as log_ids,
    'critical' as severity, 'T1078' as mitre_technique,
    min('successful login of ' || account || ' from ' || coalesce(ip, 'an unknown address')
        || ' during or after ' || replace(attack, '_', ' ') || ' (' || attack_subject || ')') as description
from followed
where pick = 1
group by tenant, log_id, account
