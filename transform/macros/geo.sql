{#- Great-circle distance in km between two points (haversine; the Earth's mean radius). -#}
{% macro distance_km(lat1, lon1, lat2, lon2) %}
  (2 * 6371.0 * asin(sqrt(
      power(sin(radians({{ lat2 }} - {{ lat1 }}) / 2), 2)
    + cos(radians({{ lat1 }})) * cos(radians({{ lat2 }})) * power(sin(radians({{ lon2 }} - {{ lon1 }}) / 2), 2)
  )))
{% endmacro %}

{#- The network an address belongs to, as far as the logs can tell without an ASN: an IPv4
    address's /16 (a carrier's or an ISP's pool moves a phone within it), an IPv6 address's /32;
    anything else (a keyed pseudonym) is its own network. -#}
{% macro network_of(ip) -%}
  case
    when {{ ip }} is null then null
    when {{ ip }} like '%.%.%.%' and {{ ip }} not like '%:%'
      then split_part({{ ip }}, '.', 1) || '.' || split_part({{ ip }}, '.', 2) || '.0.0/16'
    when {{ ip }} like '%:%' then split_part({{ ip }}, ':', 1) || ':' || split_part({{ ip }}, ':', 2) || '::/32'
    else {{ ip }}
  end
{%- endmacro %}

{#- Whether allow-list entry `inner` (an address or IPv4 range) lies within entry `outer`: the
    same text in any case (IPv6 is hexadecimal: `2001:DB8::/32` is `2001:db8::/32`), or IPv4
    ranges one inside the other. -#}
{% macro ipv4_entry_within(inner, outer) -%}
  (lower(trim({{ inner }})) = lower(trim({{ outer }}))
   or ({{ auth0_logs.ipv4_entry_first(inner) }} >= {{ auth0_logs.ipv4_entry_first(outer) }}
       and {{ auth0_logs.ipv4_entry_last(inner) }} <= {{ auth0_logs.ipv4_entry_last(outer) }}))
{%- endmacro %}
{% macro ipv4_entry_size(entry) -%}
  cast(power(2, 32 - coalesce(cast(nullif(split_part(trim({{ entry }}), '/', 2), '') as integer), 32)) as bigint)
{%- endmacro %}
{% macro ipv4_entry_first(entry) -%}
  ({{ auth0_logs.ipv4_number("split_part(trim(" ~ entry ~ "), '/', 1)") }}
   - {{ auth0_logs.ipv4_number("split_part(trim(" ~ entry ~ "), '/', 1)") }} % {{ auth0_logs.ipv4_entry_size(entry) }})
{%- endmacro %}
{% macro ipv4_entry_last(entry) -%}
  ({{ auth0_logs.ipv4_entry_first(entry) }} + {{ auth0_logs.ipv4_entry_size(entry) }} - 1)
{%- endmacro %}
