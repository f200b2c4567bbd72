{#- One row per log of a tenant, typed and explained. Several tenants may load one table: a log is
    keyed on (tenant, log_id), since two tenants' log ids can be the same. The tenant is the
    record's `tenant` (what the tap writes, the STATE's tenant), else `auth0_default_tenant`: a
    table loaded before records named their tenant is one tenant.
    Incremental: a run transforms the logs the table lacks
    (an anti-join on tenant and log_id, not "newer than the newest": a failed run can leave older logs to
    arrive later, and they must still come in exactly once), each once however many copies a
    loader wrote (a crash repeats at most a page; Airbyte's append mode keeps every copy), and
    again every log whose type the `auth0__event_types` seed now explains differently: a code the
    seed learns is classified at the next build, without a full refresh. -#}
{{ config(materialized='incremental', unique_key=['tenant', 'log_id'], on_schema_change='append_new_columns') }}

{%- set logs = source('auth0', 'logs') -%}
{%- set types = ref('auth0__event_types') -%}
{%- set present = auth0_logs.column_names(logs) -%}
{%- set tenant = auth0_logs.tenant_of(present, 'l') -%}
{%- if is_incremental() -%}{{ auth0_logs.require_tenant_column(this) }}{%- endif %}

with wanted as (
    select l.*, {{ tenant }} as tenant_key
    from {{ logs }} as l
    {% if is_incremental() %}
    where not exists (
        select 1 from {{ this }} as seen where seen.log_id = l.log_id and seen.tenant = {{ tenant }}
    )
    union all
    select l.*, {{ tenant }} as tenant_key
    from {{ logs }} as l
    where exists (
        select 1
        from {{ this }} as seen
        left join {{ types }} as t on t.code = seen.type
        where seen.log_id = l.log_id and seen.tenant = {{ tenant }}
          and (coalesce(t.category, 'other') <> seen.category
           or coalesce(t.outcome, 'other') <> seen.outcome
           or t.ocsf_class_uid is distinct from seen.ocsf_class_uid
           or t.ocsf_activity_id is distinct from seen.ocsf_activity_id)
    )
    {% endif %}
),

new_logs as (
    select *
    from (
        select
            wanted.*,
            row_number() over (partition by wanted.tenant_key, wanted.log_id order by wanted.log_id) as copy_number
        from wanted
    ) as numbered
    where copy_number = 1
),

typed as (
    select
        l.tenant_key as tenant,
        l.log_id,
        {{ auth0_logs.utc_timestamp(logs, 'l', 'date') }} as occurred_at,
        l.type,
        coalesce(nullif({{ auth0_logs.optional_column(present, 'l', 'type_description', 'varchar') }}, ''), t.description) as type_description,
        coalesce(t.category, 'other') as category,
        coalesce(t.outcome, 'other') as outcome,
        nullif(l.user_id, '') as user_id,
        nullif({{ auth0_logs.optional_column(present, 'l', 'user_name', 'varchar') }}, '') as user_name,
        nullif(l.client_id, '') as client_id,
        nullif({{ auth0_logs.optional_column(present, 'l', 'client_name', 'varchar') }}, '') as client_name,
        nullif({{ auth0_logs.optional_column(present, 'l', 'connection', 'varchar') }}, '') as connection,
        nullif({{ auth0_logs.optional_column(present, 'l', 'ip', 'varchar') }}, '') as ip,
        {%- set location = auth0_logs.optional_column(present, 'l', 'location_info', auth0_logs.json_type()) %}
        nullif({{ auth0_logs.json_text(location, 'country_code') }}, '') as country_code,
        nullif({{ auth0_logs.json_text(location, 'city_name') }}, '') as city,
        cast({{ auth0_logs.json_text(location, 'latitude') }} as double precision) as latitude,
        cast({{ auth0_logs.json_text(location, 'longitude') }} as double precision) as longitude,
        nullif({{ auth0_logs.optional_column(present, 'l', 'user_agent', 'varchar') }}, '') as user_agent,
        nullif({{ auth0_logs.optional_column(present, 'l', 'organization_id', 'varchar') }}, '') as organization_id,
        nullif({{ auth0_logs.optional_column(present, 'l', 'description', 'varchar') }}, '') as description,
        nullif({{ auth0_logs.optional_column(present, 'l', 'hostname', 'varchar') }}, '') as hostname,
        nullif({{ auth0_logs.optional_column(present, 'l', 'strategy', 'varchar') }}, '') as strategy,
        {{ auth0_logs.optional_column(present, 'l', 'details', auth0_logs.json_type()) }} as details,
        {{ auth0_logs.optional_column(present, 'l', 'security_context', auth0_logs.json_type()) }} as security_context,
        nullif({{ auth0_logs.optional_column(present, 'l', 'tenant_name', 'varchar') }}, '') as tenant_name,
        t.ocsf_class_uid,
        t.ocsf_activity_id,
        nullif(t.ocsf_activity_name, '') as ocsf_activity_name,
        t.ocsf_auth_protocol_id
    from new_logs as l
    left join {{ types }} as t on t.code = l.type
)

select * from typed
