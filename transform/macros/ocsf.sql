{#- The OCSF 1.5 event of one row of `auth0__ocsf`'s `named` step, as adapter JSON.
    Auth0's fields go where OCSF names them; what has no OCSF attribute goes to `unmapped`. -#}
{% macro json_build_event() %}
  {%- call auth0_logs.json_build() -%}
    'class_uid', ocsf_class_uid, 'class_name', class_name,
    'category_uid', category_uid, 'category_name', category_name,
    'activity_id', activity_id, 'activity_name', activity_name,
    'type_uid', ocsf_class_uid * 100 + activity_id, 'type_name', class_name || ': ' || activity_name,
    'time', {{ auth0_logs.epoch_ms('occurred_at') }},
    'severity_id', severity_id, 'severity', severity,
    'status_id', status_id, 'status', status,
    'status_detail', description,
    'message', type_description,
    'metadata', {% call auth0_logs.json_build() %}
        'version', '1.5.0',
        'uid', log_id,
        'log_name', 'Auth0 tenant logs',
        'product', {% call auth0_logs.json_build() %}'name', 'Auth0', 'vendor_name', 'Okta'{% endcall %}
      {% endcall %},
    'src_endpoint', {% call auth0_logs.json_build() %}
        'ip', ip,
        'location', case when country_code is not null or city is not null or latitude is not null then
          {% call auth0_logs.json_build() %}'country', country_code, 'city', city, 'lat', latitude, 'long', longitude{% endcall %}
        end
      {% endcall %},
    'http_request', case when user_agent is not null then
        {% call auth0_logs.json_build() %}'user_agent', user_agent{% endcall %}
      end,
    'user', case when ocsf_class_uid <> 6003 then
        {% call auth0_logs.json_build() %}
          'uid', coalesce(user_id, case when user_name is null then client_id end),
          'name', coalesce(user_name, case when user_id is null then client_name end),
          'type_id', case when user_id is null and user_name is null then 3 else 1 end,
          'type', case when user_id is null and user_name is null then 'System' else 'User' end
        {% endcall %}
      end,
    'is_mfa', case when ocsf_class_uid = 3002 then category = 'mfa' end,
    'service', case when ocsf_class_uid = 3002 then
        {% call auth0_logs.json_build() %}'uid', client_id, 'name', client_name{% endcall %}
      end,
    'session', case when {{ auth0_logs.json_text('details', 'session_id') }} is not null then
        {% call auth0_logs.json_build() %}'uid', {{ auth0_logs.json_text('details', 'session_id') }}{% endcall %}
      end,
    'actor', case when ocsf_class_uid = 6003 then
        {% call auth0_logs.json_build() %}
          'app_uid', client_id, 'app_name', client_name,
          'user', {% call auth0_logs.json_build() %}
              'uid', coalesce({{ auth0_logs.json_text('details', 'request.auth.user.user_id') }}, user_id),
              'name', {{ auth0_logs.json_text('details', 'request.auth.user.name') }},
              'email_addr', {{ auth0_logs.json_text('details', 'request.auth.user.email') }}
            {% endcall %}
        {% endcall %}
      end,
    'api', case when ocsf_class_uid = 6003 then
        {% call auth0_logs.json_build() %}
          'operation', coalesce(upper(api_method) || ' ' || api_path, type_description, type),
          'service', {% call auth0_logs.json_build() %}'name', 'Auth0 Management API'{% endcall %}
        {% endcall %}
      end,
    'dst_endpoint', {% call auth0_logs.json_build() %}'hostname', hostname{% endcall %},
    'unmapped', {% call auth0_logs.json_build() %}
        'auth0_type', type, 'connection', connection, 'strategy', strategy, 'organization_id', organization_id
      {% endcall %}
  {%- endcall -%}
{% endmacro %}
