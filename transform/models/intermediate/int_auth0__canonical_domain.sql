{{ config(tags=['detection']) }}
{#- Logins and signups through the tenant's canonical domain (`*.auth0.com`) when it has a custom
    domain (`custom_domain`): someone going around the custom domain's WAF, filters and logs, or
    an application still misconfigured. Medium (Auth0's catalog). Nothing without the var. One
    finding per application and day. -#}
with canonical as (
    select tenant, log_id, occurred_at, hostname, type, client_id, ip,
        coalesce(client_id, 'an unknown application') as subject
    from {{ ref('auth0__events') }}
)
select {{ auth0_logs.finding_columns('canonical_domain', 'client', 'medium', 'T1562',
    auth0_logs.counted('count(*)', 'login', 'logins') ~ " || ' through ' || max(hostname) || ' instead of the custom domain by ' || subject") }}
from canonical
where '{{ var("custom_domain") }}' <> ''
  and type in ('s', 'f', 'fs', 'ss', 'w', 'fp', 'fu', 'scoa', 'fcoa', 'sepft', 'fepft')
  and hostname like '%.auth0.com' and hostname <> '{{ var("custom_domain") }}'
  and {{ auth0_logs.not_allowed('client_id', 'allowed_clients') }}
  and {{ auth0_logs.not_allowed('ip', 'allowed_ips') }}
group by tenant, subject, cast(occurred_at as date)
