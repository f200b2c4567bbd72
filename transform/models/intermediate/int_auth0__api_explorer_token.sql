{{ config(tags=['detection']) }}
{#- The Dashboard's API Explorer token issued (`seccft` for the client in `api_explorer_client`):
    a token with every Management API scope, which whoever copies it can use from anywhere.
    Medium (Auth0's catalog). Nothing without the var: each tenant's API Explorer application
    has its own client_id. -#}
with issued as (
    select tenant, log_id, occurred_at, coalesce(ip, 'an unknown address') as subject
    from {{ ref('auth0__events') }}
    where type = 'seccft' and client_id = '{{ var("api_explorer_client") | replace("'", "''") }}'
      and {{ auth0_logs.not_allowed('ip', 'allowed_ips') }}
      and {{ auth0_logs.not_allowed('client_id', 'allowed_clients') }}
)
select {{ auth0_logs.finding_columns('api_explorer_token', 'ip', 'medium', 'T1528',
    auth0_logs.counted('count(*)', 'API Explorer token', 'API Explorer tokens') ~ " || ' issued to ' || subject") }}
from issued
group by tenant, subject, cast(occurred_at as date)
