{#- Several tenants, one warehouse: every event, finding and daily row belongs to a tenant. -#}

{#- The tenant of a source row: the record's `tenant` (the tap writes the host of the tenant's
    Management API identifier, the value its STATE is bound to), else `auth0_default_tenant` (a
    table loaded before records named their tenant, or a row without one, is that one tenant). -#}
{% macro tenant_of(present, alias) -%}
  {%- set fallback = "'" ~ (var('auth0_default_tenant') | string | replace("'", "''")) ~ "'" -%}
  {%- if 'tenant' in present -%}
    coalesce(nullif(cast({{ alias }}.tenant as varchar), ''), {{ fallback }})
  {%- else -%}
    {{ fallback }}
  {%- endif -%}
{%- endmacro %}

{#- Stop an incremental build of a model built before it had a `tenant` column, saying how to
    rebuild it once: its rows cannot be told apart by tenant, and appending to them would
    transform every log again. -#}
{% macro require_tenant_column(relation) %}
  {%- if execute and 'tenant' not in auth0_logs.column_names(relation) -%}
    {{ exceptions.raise_compiler_error(
        relation ~ " was built before events were keyed on their tenant: rebuild it once with "
        ~ "`dbt build --full-refresh --select auth0__events auth0__ocsf` (in Meltano: `meltano invoke "
        ~ "dbt-duckdb build --full-refresh --select auth0__events auth0__ocsf`, or dbt-postgres); "
        ~ "auth0__detections keeps its findings and their ids.") }}
  {%- endif -%}
{% endmacro %}
