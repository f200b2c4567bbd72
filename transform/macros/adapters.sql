{#- What differs between DuckDB and PostgreSQL, in one place: JSON, time and lists.
    target-duckdb stores JSON columns as DuckDB `JSON` (text), target-postgres as `jsonb`. -#}

{#- The text at a dotted path inside a JSON column, or null. -#}
{% macro json_text(column, path) %}{{ return(adapter.dispatch('json_text', 'auth0_logs')(column, path)) }}{% endmacro %}
{% macro duckdb__json_text(column, path) %}json_extract_string({{ column }}, '$.{{ path }}'){% endmacro %}
{% macro postgres__json_text(column, path) %}({{ column }} #>> '{{ "{" ~ path.split(".") | join(",") ~ "}" }}'){% endmacro %}

{#- A JSON object from `'key', value, ...` (the caller block), keys with null values left out. -#}
{% macro json_build() %}{{ return(adapter.dispatch('json_build', 'auth0_logs')(caller())) }}{% endmacro %}
{% macro duckdb__json_build(pairs) %}json_object({{ pairs }}){% endmacro %}
{% macro postgres__json_build(pairs) %}jsonb_build_object({{ pairs }}){% endmacro %}

{#- The same object without its null members, at every depth (RFC 7396 merge into {}). -#}
{% macro json_strip_nulls(json) %}{{ return(adapter.dispatch('json_strip_nulls', 'auth0_logs')(json)) }}{% endmacro %}
{% macro duckdb__json_strip_nulls(json) %}json_merge_patch('{}', {{ json }}){% endmacro %}
{% macro postgres__json_strip_nulls(json) %}jsonb_strip_nulls({{ json }}){% endmacro %}

{#- The adapter's JSON type, for a column a source table may lack. -#}
{% macro json_type() %}{{ return(adapter.dispatch('json_type', 'auth0_logs')()) }}{% endmacro %}
{% macro duckdb__json_type() %}json{% endmacro %}
{% macro postgres__json_type() %}jsonb{% endmacro %}

{#- Milliseconds since the epoch of a UTC timestamp (OCSF's `time`). -#}
{% macro epoch_ms(ts) %}{{ return(adapter.dispatch('epoch_ms', 'auth0_logs')(ts)) }}{% endmacro %}
{% macro duckdb__epoch_ms(ts) %}epoch_ms({{ ts }}){% endmacro %}
{% macro postgres__epoch_ms(ts) %}cast(floor(extract(epoch from {{ ts }}) * 1000) as bigint){% endmacro %}

{#- Seconds from `earlier` to `later` (timestamps), fractional. -#}
{% macro seconds_between(earlier, later) %}{{ return(adapter.dispatch('seconds_between', 'auth0_logs')(earlier, later)) }}{% endmacro %}
{% macro duckdb__seconds_between(earlier, later) %}(epoch({{ later }}) - epoch({{ earlier }})){% endmacro %}
{% macro postgres__seconds_between(earlier, later) %}extract(epoch from ({{ later }} - {{ earlier }})){% endmacro %}

{#- An ordered list of values (a finding's log_ids). -#}
{% macro ordered_list(column, order_by) %}{{ return(adapter.dispatch('ordered_list', 'auth0_logs')(column, order_by)) }}{% endmacro %}
{% macro duckdb__ordered_list(column, order_by) %}list({{ column }} order by {{ order_by }}){% endmacro %}
{% macro postgres__ordered_list(column, order_by) %}array_agg({{ column }} order by {{ order_by }}){% endmacro %}

{#- A list of two values, in the type `ordered_list` makes. -#}
{% macro pair_list(first, second) %}{{ return(adapter.dispatch('pair_list', 'auth0_logs')(first, second)) }}{% endmacro %}
{% macro duckdb__pair_list(first, second) %}list_value({{ first }}, {{ second }}){% endmacro %}
{% macro postgres__pair_list(first, second) %}array[{{ first }}, {{ second }}]{% endmacro %}

{#- Lower-case names of a relation's columns (a privacy recipe may have dropped some). -#}
{% macro column_names(relation) %}
  {%- if not execute -%}{{ return([]) }}{%- endif -%}
  {{ return(adapter.get_columns_in_relation(relation) | map(attribute='name') | map('lower') | list) }}
{% endmacro %}

{#- `alias.name` when the source has that column, else a typed null. -#}
{% macro optional_column(present, alias, name, type) %}
  {%- if name in present -%}{{ alias }}.{{ adapter.quote(name) if name != name | lower else name }}
  {%- else -%}cast(null as {{ type }}){%- endif -%}
{% endmacro %}

{#- A UTC timestamp without time zone from the source's `name` column, whatever type the loader
    gave it: a zoned timestamp is converted to UTC (not to the session's time zone), text is cast. -#}
{% macro utc_timestamp(relation, alias, name) %}
  {%- set dtype = [''] -%}
  {%- if execute -%}
    {%- for column in adapter.get_columns_in_relation(relation) if column.name | lower == name -%}
      {%- do dtype.append(column.data_type | lower) -%}
    {%- endfor -%}
  {%- endif -%}
  {%- if 'with time zone' in dtype[-1] or dtype[-1] == 'timestamptz' -%}
    {{ return(adapter.dispatch('utc_from_zoned', 'auth0_logs')(alias ~ '.' ~ name)) }}
  {%- else -%}
    {{ return('cast(' ~ alias ~ '.' ~ name ~ ' as timestamp)') }}
  {%- endif -%}
{% endmacro %}
{% macro duckdb__utc_from_zoned(column) %}{{ return("timezone('UTC', " ~ column ~ ")") }}{% endmacro %}
{% macro postgres__utc_from_zoned(column) %}{{ return("(" ~ column ~ " at time zone 'UTC')") }}{% endmacro %}

{#- A JSON array of the JSON values the caller lists. -#}
{% macro json_list() %}{{ return(adapter.dispatch('json_list', 'auth0_logs')(caller())) }}{% endmacro %}
{% macro duckdb__json_list(items) %}json_array({{ items }}){% endmacro %}
{% macro postgres__json_list(items) %}jsonb_build_array({{ items }}){% endmacro %}

{#- True when the text is written as an IPv4 or IPv6 address (a keyed pseudonym is not). -#}
{% macro is_ip(text) %}{{ return(adapter.dispatch('matches', 'auth0_logs')(text, '^([0-9]{1,3}[.]){3}[0-9]{1,3}$|^[0-9A-Fa-f]*:[0-9A-Fa-f:.]*$')) }}{% endmacro %}
{#- True when the text is written as an e-mail address (a keyed pseudonym is not). -#}
{% macro is_email(text) %}{{ return(adapter.dispatch('matches', 'auth0_logs')(text, '^[^@ ]+@[^@ ]+[.][^@ ]+$')) }}{% endmacro %}
{% macro duckdb__matches(text, pattern) %}coalesce(regexp_full_match({{ text }}, '{{ pattern }}'), false){% endmacro %}
{% macro postgres__matches(text, pattern) %}coalesce(({{ text }}) ~ '{{ pattern }}', false){% endmacro %}

{#- An IPv4 address as its number (a.b.c.d: a·2^24 + b·2^16 + c·2^8 + d); null for anything else
    (an IPv6 address, a pseudonym). -#}
{% macro ipv4_number(column) %}{{ return(adapter.dispatch('ipv4_number', 'auth0_logs')(column)) }}{% endmacro %}
{% macro ipv4_number_of(column, matches) -%}
  case when {{ matches }} then
    cast(split_part({{ column }}, '.', 1) as bigint) * 16777216 + cast(split_part({{ column }}, '.', 2) as bigint) * 65536
    + cast(split_part({{ column }}, '.', 3) as bigint) * 256 + cast(split_part({{ column }}, '.', 4) as bigint)
  end
{%- endmacro %}
{% macro duckdb__ipv4_number(column) %}{{ auth0_logs.ipv4_number_of(column, "regexp_full_match(" ~ column ~ ", '[0-9]{1,3}(\\.[0-9]{1,3}){3}')") }}{% endmacro %}
{% macro postgres__ipv4_number(column) %}{{ auth0_logs.ipv4_number_of(column, column ~ " ~ '^[0-9]{1,3}(\\.[0-9]{1,3}){3}$'") }}{% endmacro %}

{#- JSON text (or null) as the adapter's JSON type, for `json_text` on it. -#}
{% macro json_type_cast(text) %}{{ return(adapter.dispatch('json_type_cast', 'auth0_logs')(text)) }}{% endmacro %}
{% macro duckdb__json_type_cast(text) %}cast({{ text }} as json){% endmacro %}
{% macro postgres__json_type_cast(text) %}cast({{ text }} as jsonb){% endmacro %}

{#- A timestamp moved by a whole number of seconds (negative: earlier). -#}
{% macro shifted(ts, seconds) %}({{ ts }} + interval '{{ seconds | int }} seconds'){% endmacro %}

{#- The elements of a JSON array (JSON text or the adapter's JSON type) as text, one row each in
    a column `element`: a FROM item for `exists (select 1 from <these> where ...)`. Anything that
    is no array has no elements. -#}
{% macro json_elements(json, alias='elements') %}{{ return(adapter.dispatch('json_elements', 'auth0_logs')(json, alias)) }}{% endmacro %}
{% macro duckdb__json_elements(json, alias) -%}
  (select unnest(case when json_type(cast({{ json }} as json)) = 'ARRAY'
      then json_extract_string(cast({{ json }} as json), '$[*]') end) as element) as {{ alias }}
{%- endmacro %}
{% macro postgres__json_elements(json, alias) -%}
  (select found.element from jsonb_array_elements_text(
      case when jsonb_typeof(cast({{ json }} as jsonb)) = 'array' then cast({{ json }} as jsonb) else cast('[]' as jsonb) end
   ) as found(element)) as {{ alias }}
{%- endmacro %}

{#- Text with every run of digits and dots taken out: a user agent's family and platform
    ("Chrome / Mac OS X"), the same across the browser's updates. -#}
{% macro without_versions(text) %}{{ return(adapter.dispatch('without_versions', 'auth0_logs')(text)) }}{% endmacro %}
{% macro duckdb__without_versions(text) %}trim(regexp_replace({{ text }}, '[0-9.]+', '', 'g')){% endmacro %}
{% macro postgres__without_versions(text) %}trim(regexp_replace({{ text }}, '[0-9.]+', '', 'g')){% endmacro %}
