{#- Management API calls (`sapi`, failed ones `fapi`, reads `mgmt_api_read`), with who made them
    (the dashboard user in `details.request.auth.user`, else the log's user or application) and
    what the request and its answer carried: the values the change detections decide on. -#}
select
    tenant, log_id, occurred_at, type, ip, description,
    coalesce({{ auth0_logs.json_text('details', 'request.auth.user.user_id') }}, user_id, client_id) as actor,
    lower(coalesce({{ auth0_logs.json_text('details', 'request.method') }}, '')) as method,
    lower(coalesce({{ auth0_logs.json_text('details', 'request.path') }}, '')) as path,
    {{ auth0_logs.json_text('details', 'request.body') }} as body,
    {{ auth0_logs.json_text('details', 'request.body.enabled') }} as body_enabled,
    {{ auth0_logs.json_text('details', 'request.body.status') }} as body_status,
    {{ auth0_logs.json_text('details', 'request.body.roles') }} as body_roles,
    {{ auth0_logs.json_text('details', 'request.body.allowlist') }} as body_allowlist,
    {{ auth0_logs.json_text('details', 'request.body.scope') }} as body_scope,
    coalesce({{ auth0_logs.json_text('details', 'request.body.audience') }},
             {{ auth0_logs.json_text('details', 'response.body.audience') }}) as audience,
    {{ auth0_logs.json_text('details', 'response.body.policy') }} as policy,
    {{ auth0_logs.json_text('details', 'response.body.passwordless_policy') }} as passwordless_policy,
    {{ auth0_logs.json_text('details', 'response.body.password_reset_policy') }} as password_reset_policy,
    {{ auth0_logs.json_text('details', 'accessedSecrets') }} as accessed_secrets
from {{ ref('auth0__events') }}
where type in ('sapi', 'fapi', 'mgmt_api_read')
