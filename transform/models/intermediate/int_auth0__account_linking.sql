{{ config(tags=['detection']) }}
{#- An identity linked to a user's account (`POST /api/v2/users/{id}/identities`, "Link a User
    Account") with a token the user delegated (`channel` api, the
    `update:current_user_identities` scope): the way an attacker holding a single-page app's
    token adds their own login to a victim's account. High when the account then holds two
    identities of one connection (more identities than connections in the answer: Auth0's
    catalog's own test, the shape of the attack); low otherwise: a user linking their Google
    login to their password account is self-service linking, the same call. -#}
with linked as (
    select tenant, log_id, occurred_at, coalesce(client_id, actor) as subject, path,
        (select count(*) from {{ auth0_logs.json_elements('answer') }}) as identities,
        (select count(distinct {{ auth0_logs.json_text(auth0_logs.json_type_cast('element'), 'connection') }})
         from {{ auth0_logs.json_elements('answer') }}) as connections
    from {{ ref('int_auth0__api_calls') }}
    where type = 'sapi' and method = 'post' and path like '%/users/%/identities'
      and channel = 'api' and credential_scopes like '%"update:current_user_identities"%'
      and {{ auth0_logs.not_allowed('client_id', 'allowed_clients') }}
      and {{ auth0_logs.not_allowed('ip', 'allowed_ips') }}
)
select
    tenant, 'account_linking' as detection, 'user' as subject_type, subject,
    min(occurred_at) as first_seen, max(occurred_at) as last_seen, count(*) as events,
    {{ auth0_logs.ordered_list('log_id', 'log_id') }} as log_ids,
    case when max(identities - connections) > 0 then 'high' else 'low' end as severity,
    'T1098' as mitre_technique,
    {{ auth0_logs.counted('count(*)', 'identity', 'identities') }} || ' linked by ' || subject || ' with a delegated token'
        || case when max(identities - connections) > 0 then ', leaving an account with two identities of one connection'
                else ' (self-service linking: each identity of its own connection)' end as description
from linked
group by tenant, subject, cast(occurred_at as date)
