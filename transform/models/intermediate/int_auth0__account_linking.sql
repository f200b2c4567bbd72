{{ config(tags=['detection']) }}
{#- An identity linked to another user's account (`POST /api/v2/users/{id}/identities`, "Link a
    User Account") with a token the user delegated (`channel` api, the
    `update:current_user_identities` scope): the way an attacker holding a single-page app's
    token adds their own login to a victim's account. High (Auth0's catalog); the catalog's
    further check, two identities of one connection, is left to the reader of the finding. -#}
with linked as (
    select tenant, log_id, occurred_at, coalesce(client_id, actor) as subject, path
    from {{ ref('int_auth0__api_calls') }}
    where type = 'sapi' and method = 'post' and path like '%/users/%/identities'
      and channel = 'api' and credential_scopes like '%"update:current_user_identities"%'
      and {{ auth0_logs.not_allowed('client_id', 'allowed_clients') }}
      and {{ auth0_logs.not_allowed('ip', 'allowed_ips') }}
)
select {{ auth0_logs.finding_columns('account_linking', 'user', 'high', 'T1098',
    auth0_logs.counted('count(*)', 'identity', 'identities') ~ " || ' linked by ' || subject || ' with a delegated token'") }}
from linked
group by tenant, subject, cast(occurred_at as date)
