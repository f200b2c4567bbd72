{#- Management API calls (`sapi`, failed ones `fapi`, reads `mgmt_api_read`), with who made them
    (the Dashboard user in `details.request.auth.user`, else the log's user or application), what
    kind of actor that is (`actor_kind`: automation named in `automation_clients`, an
    administrator, another application), and what the request and its answer carried: the values
    the change detections decide on. -#}
select
    tenant, log_id, occurred_at, type, ip, description, client_id,
    coalesce({{ auth0_logs.json_text('details', 'request.auth.user.user_id') }}, user_id, client_id) as actor,
    {{ auth0_logs.actor_kind(auth0_logs.json_text('details', 'request.auth.user.user_id'), 'client_id') }} as actor_kind,
    lower(coalesce({{ auth0_logs.json_text('details', 'request.method') }}, '')) as method,
    lower(coalesce({{ auth0_logs.json_text('details', 'request.path') }}, '')) as path,
    {{ auth0_logs.json_text('details', 'request.channel') }} as channel,
    {{ auth0_logs.json_text('details', 'request.body') }} as body,
    {{ auth0_logs.json_text('details', 'request.body.roles') }} as body_roles,
    {{ auth0_logs.json_text('details', 'request.body.owners') }} as body_owners,
    coalesce({{ auth0_logs.json_text('details', 'response.body.client_id') }},
             {{ auth0_logs.json_text('details', 'request.body.client_id') }}) as target_client,
    {{ auth0_logs.json_text('details', 'request.body.scope') }} as body_scope,
    coalesce({{ auth0_logs.json_text('details', 'request.body.audience') }},
             {{ auth0_logs.json_text('details', 'response.body.audience') }}) as audience,
    {{ auth0_logs.json_text('details', 'request.auth.credentials.scopes') }} as credential_scopes,
    {{ auth0_logs.json_text('details', 'response.body') }} as answer,
    cast({{ auth0_logs.json_text('details', 'response.statusCode') }} as integer) as status_code,
    {{ auth0_logs.json_text('details', 'accessedSecrets') }} as accessed_secrets
from {{ ref('auth0__events') }}
where type in ('sapi', 'fapi', 'mgmt_api_read')
