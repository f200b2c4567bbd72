{#- One row per log of a tenant, typed and explained. Several tenants may load one table: a log is
    keyed on (tenant, log_id), since two tenants' log ids can be the same. The tenant is the
    record's `tenant` (what the tap writes, the STATE's tenant), else `auth0_default_tenant`: a
    table loaded before records named their tenant is one tenant. The logs are the source
    `auth0.logs`, or the tables `auth0_logs_relations` names (one per Airbyte connection, say),
    each read with the columns it has.
    Incremental: a run transforms the logs the table lacks
    (an anti-join on tenant and log_id, not "newer than the newest": a failed run can leave older logs to
    arrive later, and they must still come in exactly once), each once however many copies a
    loader wrote (a crash repeats at most a page; Airbyte's append mode keeps every copy), and
    again every log whose type the `auth0__event_types` seed now explains differently: a code the
    seed learns is classified at the next build, without a full refresh. -#}
{{ config(materialized='incremental', unique_key=['tenant', 'log_id'], on_schema_change='append_new_columns') }}

{%- set types = ref('auth0__event_types') -%}
{%- if is_incremental() -%}{{ auth0_logs.require_tenant_column(this) }}{%- endif %}

with wanted as (
    {% for logs in auth0_logs.logs_relations() %}
    {%- set present = auth0_logs.column_names(logs) -%}
    {%- set tenant = auth0_logs.tenant_of(present, 'l') %}
    {{ auth0_logs.typed_logs(logs, present, tenant, types) }}
    {% if is_incremental() %}
    where not exists (
        select 1 from {{ this }} as seen where seen.log_id = l.log_id and seen.tenant = {{ tenant }}
    )
    union all
    {{ auth0_logs.typed_logs(logs, present, tenant, types) }}
    where exists (
        select 1
        from {{ this }} as seen
        left join {{ types }} as known on known.code = seen.type
        where seen.log_id = l.log_id and seen.tenant = {{ tenant }}
          and (coalesce(known.category, 'other') <> seen.category
           or coalesce(known.outcome, 'other') <> seen.outcome
           or known.ocsf_class_uid is distinct from seen.ocsf_class_uid
           or known.ocsf_activity_id is distinct from seen.ocsf_activity_id)
    )
    {% endif %}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

numbered as (
    select wanted.*, row_number() over (partition by wanted.tenant, wanted.log_id order by wanted.log_id) as copy_number
    from wanted
)

select {{ auth0_logs.event_columns() | join(', ') }}
from numbered
where copy_number = 1
