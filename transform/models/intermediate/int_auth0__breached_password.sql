{{ config(tags=['detection']) }}
{#- Auth0's breached-password detection: a login, signup or reset with a password from a known
    breach (`pwd_leak`, `signup_pwd_leak`, `reset_pwd_leak`), per account and day. Low for one
    account alone: people reuse leaked passwords, and one use cannot tell the owner from whoever
    else holds it (have the password changed: that is what the finding is for). Medium when its
    address was working through a list: breached passwords of `breached_password_min_accounts`
    accounts or more within a day, or `breached_password_min_guesses` failed guesses within an
    hour of it (Auth0's catalog counts `pwd_leak` among the signals of credential stuffing).
    `success_after_attack` says when the account then got in. -#}
with leaked as (
    select tenant, log_id, occurred_at, ip, coalesce(user_id, user_name) as subject
    from {{ ref('auth0__events') }}
    where type in ('pwd_leak', 'signup_pwd_leak', 'reset_pwd_leak')
      and coalesce(user_id, user_name) is not null
      and {{ auth0_logs.not_allowed('ip', 'allowed_ips') }}
      and {{ auth0_logs.not_allowed('client_id', 'allowed_clients') }}
),
listed as (
    {# Uses whose address worked through a list. #}
    select l.tenant, l.log_id
    from leaked as l
    where exists (
        select 1 from leaked as o
        where o.tenant = l.tenant and o.ip = l.ip and o.subject <> l.subject
          and o.occurred_at between {{ auth0_logs.shifted('l.occurred_at', -86400) }} and {{ auth0_logs.shifted('l.occurred_at', 86400) }}
        group by o.tenant
        having count(distinct o.subject) + 1 >= {{ var('breached_password_min_accounts') }})
       or (
        select count(*) from {{ ref('int_auth0__login_failures') }} as f
        where f.tenant = l.tenant and f.ip = l.ip and f.reason in ('wrong_password', 'unknown_user')
          and f.occurred_at between {{ auth0_logs.shifted('l.occurred_at', -3600) }} and {{ auth0_logs.shifted('l.occurred_at', 3600) }}
       ) >= {{ var('breached_password_min_guesses') }}
)
select
    l.tenant, 'breached_password' as detection, 'user' as subject_type, l.subject,
    min(l.occurred_at) as first_seen, max(l.occurred_at) as last_seen, count(*) as events,
    {{ auth0_logs.ordered_list('l.log_id', 'l.log_id') }} as log_ids,
    case when count(x.log_id) > 0 then 'medium' else 'low' end as severity,
    'T1078' as mitre_technique,
    {{ auth0_logs.counted('count(*)', 'use', 'uses') }} || ' of a breached password for ' || l.subject
        || case when count(x.log_id) > 0 then ' from an address working through a list'
                else ' (one account: have its password changed)' end as description
from leaked as l
left join listed as x on x.tenant = l.tenant and x.log_id = l.log_id
group by l.tenant, l.subject, cast(l.occurred_at as date)
