{{ config(tags=['detection']) }}
{#- Auth0's breached-password detection: a login, signup or reset with a leaked password. Medium
    (Auth0's catalog counts `pwd_leak` among its medium stuffing signals; Auth0 blocked the login
    if its shield blocks); `success_after_attack` says when the account then got in. -#}
select {{ auth0_logs.finding_columns('breached_password', 'user', 'medium', 'T1078',
    auth0_logs.counted('count(*)', 'use', 'uses') ~ " || ' of a breached password for ' || coalesce(user_id, user_name)",
    subject='coalesce(user_id, user_name)') }}
from {{ ref('auth0__events') }}
where type in ('pwd_leak', 'signup_pwd_leak', 'reset_pwd_leak')
  and coalesce(user_id, user_name) is not null
  and {{ auth0_logs.not_allowed('ip', 'allowed_ips') }}
group by tenant, coalesce(user_id, user_name), cast(occurred_at as date)
