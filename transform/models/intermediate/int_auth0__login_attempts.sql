{#- Login attempts from an address, guesses that failed or logins that worked, for the
    detections that weigh an address's failures against its successes (stuffing, spraying). A
    failure that is no guess (an Action's denial, a malformed request) is no attempt at a
    password; silent re-authentication neither; the password grant's (`sepft`, `fepft`) are
    logins too; the allow-lists are left out. -#}
select
    tenant, log_id, occurred_at, ip as subject,
    coalesce(user_id, user_name) as account,
    case when outcome = 'success' then 1 else 0 end as succeeded,
    case when outcome = 'failure' then 1 else 0 end as failed
from {{ ref('auth0__events') }}
where ip is not null
  and ({{ auth0_logs.is_login_success() }}
       or ({{ auth0_logs.is_login_failure() }}
           and {{ auth0_logs.failure_reason('type', 'description') }} in ('wrong_password', 'unknown_user')))
  and {{ auth0_logs.not_allowed('ip', 'allowed_ips') }}
  and {{ auth0_logs.not_allowed('client_id', 'allowed_clients') }}
