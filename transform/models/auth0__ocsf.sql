{#- Every log an OCSF 1.5 class covers, as that class's event: Authentication (3002) for logins,
    logouts, MFA steps, token exchanges, breached-password logins and blocked addresses; Account
    Change (3001) for signups, password changes and resets, blocks and MFA enrolments; API Activity
    (6003) for Management API operations. The codes' classes and activities are the
    `auth0__event_types` seed; docs/ocsf-mapping.md says why each is what it is. Incremental like
    the events, per tenant and log_id; `metadata.tenant_uid` is the event's tenant. -#}
{{ config(materialized='incremental', unique_key=['tenant', 'log_id'], on_schema_change='append_new_columns') }}
{%- if is_incremental() -%}{{ auth0_logs.require_tenant_column(this) }}{%- endif %}

with events as (
    select e.*
    from {{ ref('auth0__events') }} as e
    where e.ocsf_class_uid is not null
    {% if is_incremental() %}
      and not exists (select 1 from {{ this }} as seen where seen.tenant = e.tenant and seen.log_id = e.log_id)
    {% endif %}
),

request as (
    select
        events.*,
        {{ auth0_logs.json_text('events.details', 'request.method') }} as api_method,
        {{ auth0_logs.json_text('events.details', 'request.path') }} as api_path,
        cast({{ auth0_logs.json_text('events.details', 'response.statusCode') }} as integer) as api_status_code,
        coalesce(ip, {{ auth0_logs.json_text('events.details', 'request.ip') }}) as source_ip,
        {{ auth0_logs.json_text('events.details', 'request.auth.user.user_id') }} as requester_uid,
        {{ auth0_logs.json_text('events.details', 'request.auth.user.name') }} as requester_name,
        {{ auth0_logs.json_text('events.details', 'request.auth.user.email') }} as requester_email,
        {{ auth0_logs.json_text('events.details', 'session_id') }} as session_uid
    from events
),

classified as (
    select
        request.*,
        case
            when ocsf_class_uid = 6003 then
                case lower(api_method)
                    when 'post' then 1 when 'get' then 2 when 'put' then 3 when 'patch' then 3
                    when 'delete' then 4 else ocsf_activity_id
                end
            else ocsf_activity_id
        end as activity_id,
        case outcome when 'success' then 1 when 'failure' then 2 else 99 end as status_id,
        case
            when type in ('pwd_leak', 'signup_pwd_leak', 'reset_pwd_leak') then 4
            when type in ('limit_wc', 'limit_sul', 'limit_mu', 'gd_otp_rate_limit_exceed') then 3
            when outcome = 'failure' then 2
            else 1
        end as severity_id,
        {#- Where the log says how: OAuth 2.0 for token exchanges (the seed), else the strategy. -#}
        coalesce(
            ocsf_auth_protocol_id,
            case when ocsf_class_uid = 3002 and ocsf_activity_id in (1, 2) then
                case strategy when 'samlp' then 5 when 'oidc' then 4 end
            end
        ) as auth_protocol_id,
        {#- A keyed pseudonym is no address: typed fields take only what their type is. -#}
        case when {{ auth0_logs.is_ip('source_ip') }} then source_ip end as src_ip,
        case when not {{ auth0_logs.is_ip('source_ip') }} then source_ip end as src_uid,
        case when {{ auth0_logs.is_email('user_name') }} then user_name end as user_email,
        case when {{ auth0_logs.is_email('requester_email') }} then requester_email end as requester_email_addr,
        case when not {{ auth0_logs.is_email('requester_email') }} then requester_email end as requester_email_other
    from request
),

named as (
    select
        classified.*,
        case ocsf_class_uid
            when 3001 then 'Account Change' when 3002 then 'Authentication' else 'API Activity'
        end as class_name,
        case ocsf_class_uid when 6003 then 6 else 3 end as category_uid,
        case ocsf_class_uid when 6003 then 'Application Activity' else 'Identity & Access Management' end as category_name,
        case
            when activity_id = 99 then coalesce(ocsf_activity_name, 'Other')
            when ocsf_class_uid = 3002 then case activity_id
                when 1 then 'Logon' when 2 then 'Logoff' else 'Other' end
            when ocsf_class_uid = 3001 then case activity_id
                when 1 then 'Create' when 2 then 'Enable' when 3 then 'Password Change'
                when 4 then 'Password Reset' when 5 then 'Disable' when 6 then 'Delete'
                when 9 then 'Lock' when 10 then 'MFA Factor Enable' when 11 then 'MFA Factor Disable'
                when 12 then 'Unlock' else 'Other' end
            else case activity_id
                when 1 then 'Create' when 2 then 'Read' when 3 then 'Update' when 4 then 'Delete'
                else 'Other' end
        end as activity_name,
        case auth_protocol_id when 4 then 'OpenID' when 5 then 'SAML' when 6 then 'OAUTH 2.0' end as auth_protocol,
        case status_id when 1 then 'Success' when 2 then 'Failure' else 'Other' end as status,
        case severity_id when 1 then 'Informational' when 2 then 'Low' when 3 then 'Medium' else 'High' end as severity
    from classified
)

select
    tenant,
    log_id,
    ocsf_class_uid as class_uid,
    activity_id,
    category_uid,
    ocsf_class_uid * 100 + activity_id as type_uid,
    {{ auth0_logs.epoch_ms('occurred_at') }} as time,
    severity_id,
    status_id,
    {{ auth0_logs.json_strip_nulls(auth0_logs.json_build_event()) }} as ocsf
from named
