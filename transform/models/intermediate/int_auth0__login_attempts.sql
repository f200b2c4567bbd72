{#- Login attempts from an address, failed or successful, for the detections that weigh an
    address's failures against its successes (stuffing, spraying). Silent re-authentication is no
    guess; addresses and clients on the allow-lists are left out. -#}
select
    tenant, log_id, occurred_at, ip as subject,
    coalesce(user_id, user_name) as account,
    case when outcome = 'success' then 1 else 0 end as succeeded,
    case when outcome = 'failure' then 1 else 0 end as failed
from {{ ref('auth0__events') }}
where category = 'login' and outcome in ('success', 'failure') and ip is not null
  and type not in ('ssa', 'fsa', 'sdelsa', 'fdelsa')
  and {{ auth0_logs.not_allowed('ip', 'allowed_ips') }}
  and {{ auth0_logs.not_allowed('client_id', 'allowed_clients') }}
