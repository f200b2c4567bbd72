{#- The OCSF 1.5 event of one row of `auth0__ocsf`'s `named` step, as adapter JSON.
    Auth0's fields go where OCSF names them, each only where its class defines it and its type
    holds it (a keyed pseudonym of an address is an endpoint's `uid`, not its `ip`); an object is
    built only when it has what OCSF requires of it; what has no OCSF attribute goes to
    `unmapped`. docs/ocsf-mapping.md has the table. -#}
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
    'metadata', {{ auth0_logs.ocsf_metadata('log_id') }},
    'src_endpoint', case
        when src_ip is not null or src_uid is not null then
          {% call auth0_logs.json_build() %}
            'ip', src_ip, 'uid', src_uid,
            'location', case when country_code is not null or city is not null or latitude is not null then
              {% call auth0_logs.json_build() %}'country', country_code, 'city', city, 'lat', latitude, 'long', longitude{% endcall %}
            end
          {% endcall %}
        {#- API Activity requires where the call came from: without an address, the calling app. -#}
        when ocsf_class_uid = 6003 then
          {% call auth0_logs.json_build() %}'uid', coalesce(client_id, 'unknown'), 'name', client_name{% endcall %}
      end,
    'http_request', case when user_agent is not null then
        {% call auth0_logs.json_build() %}'user_agent', user_agent{% endcall %}
      end,
    'http_response', case when ocsf_class_uid = 6003 and api_status_code is not null then
        {% call auth0_logs.json_build() %}'code', api_status_code{% endcall %}
      end,
    'user', case when ocsf_class_uid <> 6003 then
        case
          when user_id is not null or user_name is not null then
            {% call auth0_logs.json_build() %}
              'uid', user_id, 'name', user_name, 'email_addr', user_email, 'type_id', 1, 'type', 'User'
            {% endcall %}
          when client_id is not null or client_name is not null then
            {% call auth0_logs.json_build() %}
              'uid', client_id, 'name', client_name, 'type_id', 3, 'type', 'System'
            {% endcall %}
          else {% call auth0_logs.json_build() %}'name', 'Unknown', 'type_id', 0, 'type', 'Unknown'{% endcall %}
        end
      end,
    'is_mfa', case when ocsf_class_uid = 3002 and category = 'mfa' then true end,
    'auth_protocol_id', case when ocsf_class_uid = 3002 then auth_protocol_id end,
    'auth_protocol', case when ocsf_class_uid = 3002 then auth_protocol end,
    'service', case when ocsf_class_uid = 3002 then
        {% call auth0_logs.json_build() %}'uid', client_id, 'name', coalesce(client_name, client_id, 'Auth0'){% endcall %}
      end,
    'session', case when ocsf_class_uid = 3002 and session_uid is not null then
        {% call auth0_logs.json_build() %}'uid', session_uid{% endcall %}
      end,
    'actor', case
        when ocsf_class_uid = 6003 then
          {% call auth0_logs.json_build() %}
            'app_uid', client_id,
            'app_name', coalesce(client_name, case when client_id is null then 'unknown' end),
            'user', case when coalesce(requester_uid, user_id, requester_name) is not null then
                {% call auth0_logs.json_build() %}
                  'uid', coalesce(requester_uid, user_id), 'name', requester_name,
                  'email_addr', requester_email_addr
                {% endcall %}
              end
          {% endcall %}
        {#- An account changed by an administrator, through the dashboard or the API. -#}
        when ocsf_class_uid = 3001 and coalesce(requester_uid, requester_name) is not null then
          {% call auth0_logs.json_build() %}
            'user', {% call auth0_logs.json_build() %}
                'uid', requester_uid, 'name', requester_name, 'email_addr', requester_email_addr
              {% endcall %}
          {% endcall %}
      end,
    'api', case when ocsf_class_uid = 6003 then
        {% call auth0_logs.json_build() %}
          'operation', coalesce(upper(api_method) || ' ' || api_path, type_description, type),
          'service', {% call auth0_logs.json_build() %}'name', 'Auth0 Management API'{% endcall %}
        {% endcall %}
      end,
    'resources', case when ocsf_class_uid = 6003 and api_path is not null then
        {% call auth0_logs.json_list() %}
          {{ auth0_logs.json_strip_nulls(auth0_logs.ocsf_resource('api_path')) }}
        {% endcall %}
      end,
    'dst_endpoint', case when ocsf_class_uid <> 3001 and hostname is not null then
        {% call auth0_logs.json_build() %}'hostname', hostname{% endcall %}
      end,
    'unmapped', {% call auth0_logs.json_build() %}
        'auth0_type', type, 'connection', connection, 'strategy', strategy,
        'organization_id', organization_id, 'requester_email', requester_email_other
      {% endcall %}
  {%- endcall -%}
{% endmacro %}

{#- OCSF `metadata`: the version, the event's own id, the product, the tenant (the event's
    `tenant`, the one it was loaded for: Auth0's `tenant_name` is missing from older events). -#}
{% macro ocsf_metadata(uid, log_name='Auth0 tenant logs') %}
  {%- call auth0_logs.json_build() -%}
    'version', '1.5.0',
    'uid', {{ uid }},
    'log_name', '{{ log_name }}',
    'tenant_uid', tenant,
    'product', {% call auth0_logs.json_build() %}'name', 'Auth0', 'vendor_name', 'Okta'{% endcall %}
  {%- endcall -%}
{% endmacro %}

{#- The Management API resource a call touched, from its path: /api/v2/<type>/<id>/... (the
    Dashboard's calls may leave out /api; the dynamic client registration endpoint is
    /oidc/register: its type `oidc`). -#}
{% macro ocsf_resource(path) %}
  {%- set below = "case when " ~ path ~ " like '/api/v2/%' then substr(" ~ path ~ ", 8) when " ~ path
      ~ " like '/v2/%' then substr(" ~ path ~ ", 4) else " ~ path ~ " end" -%}
  {%- call auth0_logs.json_build() -%}
    'type', nullif(split_part({{ below }}, '/', 2), ''),
    'uid', nullif(split_part({{ below }}, '/', 3), ''),
    'name', {{ path }}
  {%- endcall -%}
{% endmacro %}

{#- The OCSF 1.5 Detection Finding of one row of `auth0__ocsf_findings`' `findings` step. -#}
{% macro json_build_finding() %}
  {%- call auth0_logs.json_build() -%}
    'class_uid', 2004, 'class_name', 'Detection Finding',
    'category_uid', 2, 'category_name', 'Findings',
    'activity_id', 1, 'activity_name', 'Create',
    'type_uid', 200401, 'type_name', 'Detection Finding: Create',
    'time', {{ auth0_logs.epoch_ms('last_seen') }},
    'start_time', {{ auth0_logs.epoch_ms('first_seen') }},
    'end_time', {{ auth0_logs.epoch_ms('last_seen') }},
    'count', events,
    'severity_id', severity_id,
    'severity', case severity_id when 1 then 'Informational' when 2 then 'Low' when 3 then 'Medium' when 4 then 'High' else 'Critical' end,
    'status_id', 1, 'status', 'New',
    'message', description,
    'metadata', {{ auth0_logs.ocsf_metadata('finding_id', 'Auth0 tenant logs: auth0_logs detections') }},
    'finding_info', {% call auth0_logs.json_build() %}
        'uid', finding_id,
        'title', title,
        'desc', description,
        'created_time', {{ auth0_logs.epoch_ms('first_detected_at') }},
        'types', {% call auth0_logs.json_list() %}detection{% endcall %},
        'attacks', case when mitre_technique is not null then {% call auth0_logs.json_list() %}
            {% call auth0_logs.json_build() %}
              'technique', {% call auth0_logs.json_build() %}
                'uid', mitre_technique, 'name', {{ auth0_logs.mitre_name('mitre_technique') }}
              {% endcall %}
            {% endcall %}
          {% endcall %} end,
        'first_seen_time', {{ auth0_logs.epoch_ms('first_seen') }},
        'last_seen_time', {{ auth0_logs.epoch_ms('last_seen') }},
        'analytic', {% call auth0_logs.json_build() %}
            'uid', detection, 'name', detection, 'type_id', 1, 'type', 'Rule'
          {% endcall %}
      {% endcall %},
    'evidences', {% call auth0_logs.json_list() %}
        {{ auth0_logs.json_strip_nulls(auth0_logs.ocsf_evidence()) }}
      {% endcall %}
  {%- endcall -%}
{% endmacro %}

{#- The evidence of a finding: its subject (a user, an address, or in `data` a tenant or a phone
    number), and the logs it rests on (`data.auth0_log_ids`). -#}
{% macro ocsf_evidence() %}
  {%- call auth0_logs.json_build() -%}
    'data', {% call auth0_logs.json_build() %}
        'auth0_log_ids', log_ids,
        'subject_type', case when subject_type not in ('user', 'ip') then subject_type end,
        'subject', case when subject_type not in ('user', 'ip') then subject end
      {% endcall %},
    'user', case when subject_type = 'user' then
        {% call auth0_logs.json_build() %}'uid', subject{% endcall %}
      end,
    'src_endpoint', case when subject_type = 'ip' then
        {% call auth0_logs.json_build() %}
          'ip', subject_ip, 'uid', case when subject_ip is null then subject end
        {% endcall %}
      end
  {%- endcall -%}
{% endmacro %}

{#- The names of the MITRE ATT&CK techniques the detections answer. -#}
{% macro mitre_name(column) %}
  case {{ column }}
    {%- for uid, name in {
        'T1110.001': 'Brute Force: Password Guessing',
        'T1110.003': 'Brute Force: Password Spraying',
        'T1110.004': 'Brute Force: Credential Stuffing',
        'T1621': 'Multi-Factor Authentication Request Generation',
        'T1078': 'Valid Accounts',
        'T1098': 'Account Manipulation',
        'T1098.001': 'Account Manipulation: Additional Cloud Credentials',
        'T1136': 'Create Account',
        'T1499': 'Endpoint Denial of Service',
        'T1528': 'Steal Application Access Token',
        'T1562': 'Impair Defenses',
        'T1098.003': 'Account Manipulation: Additional Cloud Roles',
        'T1098.005': 'Account Manipulation: Device Registration',
        'T1562.001': 'Impair Defenses: Disable or Modify Tools',
        'T1550.001': 'Use Alternate Authentication Material: Application Access Token',
        'T1110': 'Brute Force',
        'T1136.003': 'Create Account: Cloud Account',
        'T1499.002': 'Endpoint Denial of Service: Service Exhaustion Flood'}.items() %}
    when '{{ uid }}' then '{{ name }}'
    {%- endfor %}
  end
{% endmacro %}
