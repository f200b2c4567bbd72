{#- Failed logins with why they failed (`failure_reason`): a wrong password or an unknown user is
    a guess; a malformed authorization request, a blocked user, or a denial by policy or by an
    Action is not. A failed silent authentication is no failure of anyone's password (an app
    polling with an expired session); a password sent through the password grant (`fepft`) is a
    login too. Addresses and clients on the allow-lists are left out. -#}
select
    tenant, log_id, occurred_at, type, ip, client_id,
    coalesce(user_id, user_name) as account, lower(user_id) as user_key, lower(user_name) as name_key,
    {{ auth0_logs.failure_reason('type', 'description') }} as reason,
    case when {{ auth0_logs.failure_reason('type', 'description') }} = 'authorization' then description end as refused_value
from {{ ref('auth0__events') }}
where {{ auth0_logs.is_login_failure() }}
  and {{ auth0_logs.not_allowed('ip', 'allowed_ips') }}
  and {{ auth0_logs.not_allowed('client_id', 'allowed_clients') }}
