{#- Failed logins (wrong password, unknown user, any other login failure), with who and where. -#}
select
    log_id, occurred_at, type, ip,
    coalesce(user_id, user_name) as account
from {{ ref('auth0__events') }}
where category = 'login' and outcome = 'failure'
