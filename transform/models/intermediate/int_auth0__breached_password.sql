{#- Auth0's breached-password detection: a login, signup or reset with a leaked password. -#}
select
    'breached_password' as detection, 'user' as subject_type,
    coalesce(user_id, user_name) as subject,
    min(occurred_at) as first_seen, max(occurred_at) as last_seen, count(*) as events,
    {{ auth0_logs.ordered_list('log_id', 'log_id') }} as log_ids,
    'high' as severity
from {{ ref('auth0__events') }}
where type in ('pwd_leak', 'signup_pwd_leak', 'reset_pwd_leak')
  and coalesce(user_id, user_name) is not null
group by coalesce(user_id, user_name), cast(occurred_at as date)
