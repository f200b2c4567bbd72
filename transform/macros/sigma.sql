{#- Sigma rules a team brings (docs/sigma.md): `sigma` compiles each into a model of
    models/sigma/ and writes their list as the macro `sigma_compiled_models` (a git-ignored file);
    `auth0__detections` unions them beside the package's own detections. What differs between
    DuckDB and PostgreSQL in the compiled conditions is here. -#}

{#- The compiled Sigma models, by name; none before a compile (or after one of an empty folder). -#}
{% macro sigma_models() %}
  {%- if auth0_logs.sigma_compiled_models is defined -%}
    {{ return(auth0_logs.sigma_compiled_models()) }}
  {%- endif -%}
  {{ return([]) }}
{% endmacro %}

{#- The text at a path of keys inside an event's `details` (null where there is none). -#}
{% macro sigma_json(keys) %}{{ return(adapter.dispatch('sigma_json', 'auth0_logs')(keys)) }}{% endmacro %}
{% macro duckdb__sigma_json(keys) %}json_extract_string(details, '{{ auth0_logs.sigma_json_path(keys) }}'){% endmacro %}
{% macro postgres__sigma_json(keys) %}(cast(details as jsonb) #>> '{ {%- for key in keys %}"{{ key }}"{% if not loop.last %},{% endif %}{% endfor -%} }'){% endmacro %}
{% macro sigma_json_path(keys) %}${% for key in keys %}."{{ key }}"{% endfor %}{% endmacro %}

{#- The elements of the array at a path inside `details`, as the text of each (`element`), for
    `exists (select 1 from <these> where <a condition on element>)`; a value that is no array is
    its own one element (PostgreSQL's lax JSON path reads it so; DuckDB is told to). -#}
{% macro sigma_elements(keys) %}{{ return(adapter.dispatch('sigma_elements', 'auth0_logs')(keys)) }}{% endmacro %}
{% macro duckdb__sigma_elements(keys) -%}
  {%- set path = auth0_logs.sigma_json_path(keys) -%}
  (select unnest(case when json_type(details, '{{ path }}') = 'ARRAY'
      then json_extract_string(details, '{{ path }}[*]')
      else [json_extract_string(details, '{{ path }}')] end) as element) as elements
{%- endmacro %}
{% macro postgres__sigma_elements(keys) -%}
  (select found.value #>> '{}' as element
   from jsonb_path_query(cast(details as jsonb), 'lax {{ auth0_logs.sigma_json_path(keys) }}[*]') as found(value)) as elements
{%- endmacro %}

{#- Whether the caller's text matches a regular expression: RE2's in DuckDB, its ARE twin in
    PostgreSQL (the compiler writes both, with the same meaning). -#}
{% macro sigma_regex(re2, are) %}{{ return(adapter.dispatch('sigma_regex', 'auth0_logs')(re2, are, caller())) }}{% endmacro %}
{% macro duckdb__sigma_regex(re2, are, text) %}regexp_matches({{ text }}, '{{ re2 | replace("'", "''") }}'){% endmacro %}
{% macro postgres__sigma_regex(re2, are, text) %}(({{ text }}) ~ '{{ are | replace("'", "''") }}'){% endmacro %}

{#- The caller's text as a number, null where it is none (`|gt`, `|lte`, ... on text). -#}
{% macro sigma_number() %}{{ return(adapter.dispatch('sigma_number', 'auth0_logs')(caller())) }}{% endmacro %}
{% macro duckdb__sigma_number(text) %}try_cast({{ text }} as double){% endmacro %}
{% macro postgres__sigma_number(text) -%}
  (case when ({{ text }}) ~ '^\s*[-+]?([0-9]+([.][0-9]*)?|[.][0-9]+)([eE][-+]?[0-9]+)?\s*$'
   then cast({{ text }} as double precision) end)
{%- endmacro %}
