{#- Failed logins (wrong password, unknown user, any other login failure), with who and where.
    A failed silent authentication is no password failure (an app polling with an expired
    session); addresses and clients on the allow-lists are left out. -#}
select
    tenant, log_id, occurred_at, type, ip,
    coalesce(user_id, user_name) as account
from {{ ref('auth0__events') }}
where category = 'login' and outcome = 'failure'
  and type not in ('fsa', 'fdelsa')
  and {{ auth0_logs.not_allowed('ip', 'allowed_ips') }}
  and {{ auth0_logs.not_allowed('client_id', 'allowed_clients') }}
