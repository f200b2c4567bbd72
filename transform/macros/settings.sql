{#- Reading a security setting's state (JSON) in `int_auth0__security_weakened`. -#}

{#- Whether the array at `path` of `side` holds the text `value`. -#}
{% macro setting_has(side, path, value) -%}
  coalesce({{ auth0_logs.json_text(side, path) }}, '') like '%"{{ value }}"%'
{%- endmacro %}

{#- The entries of the allow-list at `path` after a write that the list before did not cover
    (an entry within an earlier range is covered), joined by ', '; null when none. -#}
{% macro allowlist_widened(path) -%}
  (select string_agg(added.element, ', ' order by added.element)
   from {{ auth0_logs.json_elements(auth0_logs.json_text('after_json', path), 'added') }}
   where not exists (
       select 1 from {{ auth0_logs.json_elements(auth0_logs.json_text('before_json', path), 'kept') }}
       where {{ auth0_logs.ipv4_entry_within('added.element', 'kept.element') }}))
{%- endmacro %}

{#- The rank of the value at `path` in `order` (weakest first, from 1); null for any other. -#}
{% macro setting_level(side, path, order) -%}
  case {{ auth0_logs.json_text(side, path) }}{% for value in order %} when '{{ value }}' then {{ loop.index }}{% endfor %} end
{%- endmacro %}
