{#- The tenant's security settings over time, as its logs show them: one row per successful
    Management API write to a settings endpoint (attack protection, bot detection, MFA policies
    and factors, risk assessment, log streams, a connection's options (`PATCH
    /api/v2/connections/{id}`), an application's configuration: `PATCH
    /api/v2/clients/{id}`, and `POST /api/v2/clients` that creates one (its id from the answer),
    for its grant types and cross-origin authentication), with the state the answer carried after it (else
    the request's body), the request's body itself, and the
    state before it (the previous answer for the same setting; null when the logs hold none).
    Incremental: kept from build to build, so the state before is known even when the logs that
    showed it are long gone from the source; a new write continues from the last kept state. -#}
{{ config(materialized='incremental', unique_key=['tenant', 'log_id'], on_schema_change='append_new_columns') }}

with writes as (
    select
        tenant, log_id, occurred_at, actor, actor_kind, client_id, ip, method, description,
        case when method = 'post' and (path like '%/clients' or path like '%/clients/')
             then 'clients/' || lower(target_client)  -- a new application: its id is in the answer
             else replace(replace(path, '/api/v2/', ''), '/v2/', '') end as setting,
        coalesce(answer, body) as state, body as request
    from {{ ref('int_auth0__api_calls') }} as calls
    where type = 'sapi' and method in ('put', 'patch', 'post', 'delete')
      and (path like '%/attack-protection/%' or path like '%/guardian/policies%'
           or path like '%/guardian/factors/%' or path like '%/risk-assessment%'
           or path like '%/log-streams/%'
           or (path like '%/connections/%' and method = 'patch' and path not like '%/connections/%/%')
           or (path like '%/clients/%' and method = 'patch' and path not like '%/clients/%/%')
           or ((path like '%/clients' or path like '%/clients/') and method = 'post' and target_client is not null))
      and path not like '%/guardian/factors/%/providers/%'
    {% if is_incremental() %}
      and not exists (select 1 from {{ this }} as seen where seen.tenant = calls.tenant and seen.log_id = calls.log_id)
    {% endif %}
),

timeline as (
    select tenant, setting, log_id, occurred_at, state, 1 as fresh from writes
    {% if is_incremental() %}
    union all
    select tenant, setting, log_id, occurred_at, state, 0 as fresh
    from (
        select kept.*, row_number() over (partition by tenant, setting order by occurred_at desc, log_id desc) as latest
        from {{ this }} as kept
    ) as last_kept
    where latest = 1
    {% endif %}
),

ordered as (
    select
        timeline.*,
        lag(state) over (partition by tenant, setting order by occurred_at, log_id) as state_before,
        lag(log_id) over (partition by tenant, setting order by occurred_at, log_id) as log_id_before
    from timeline
)

select
    w.tenant, w.log_id, w.occurred_at, w.setting, w.actor, w.actor_kind, w.client_id, w.ip, w.method,
    w.description, w.state, o.state_before, o.log_id_before, w.request
from writes as w
join ordered as o on o.tenant = w.tenant and o.log_id = w.log_id and o.fresh = 1
