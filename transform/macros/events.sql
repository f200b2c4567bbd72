{#- The columns of `auth0__events`, in order. -#}
{% macro event_columns() %}
  {{ return([
      'tenant', 'log_id', 'occurred_at', 'type', 'type_description', 'category', 'outcome',
      'user_id', 'user_name', 'client_id', 'client_name', 'connection', 'ip', 'country_code',
      'city', 'latitude', 'longitude', 'user_agent', 'organization_id', 'description', 'hostname',
      'strategy', 'details', 'security_context', 'tenant_name', 'ocsf_class_uid', 'ocsf_activity_id',
      'ocsf_activity_name', 'ocsf_auth_protocol_id']) }}
{% endmacro %}

{#- The logs of one table (`logs`, its columns `present`) as `event_columns`, typed and explained
    by the `types` seed; the caller adds its `where` on `l` (the table's row, with its tenant as
    `l.tenant_key`: a column, not an expression, so that an anti-join on it stays a hash join). A
    column the table lacks (a privacy recipe dropped it, another loader never wrote it) is a typed
    null. -#}
{% macro typed_logs(logs, present, types) %}
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
    from (
        select raw.*, {{ auth0_logs.tenant_of(present, 'raw') }} as tenant_key from {{ logs }} as raw
    ) as l
    left join {{ types }} as t on t.code = l.type
{% endmacro %}
