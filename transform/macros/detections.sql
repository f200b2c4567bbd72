{#- The package's own detections: every model tagged `detection` (tests/test_detections.py
    fails when a tagged model is missing here, or a name here has no model). `auth0__detections`
    unions these, and any list of models beside them (Sigma's) concatenates to it. -#}
{% macro detection_models() %}
  {{ return([
    'int_auth0__account_linking', 'int_auth0__api_explorer_token', 'int_auth0__auth0_blocks',
    'int_auth0__block_surge', 'int_auth0__breached_password', 'int_auth0__brute_force',
    'int_auth0__canonical_domain', 'int_auth0__credential_stuffing',
    'int_auth0__disposable_signup', 'int_auth0__distributed_stuffing',
    'int_auth0__dynamic_client_registration', 'int_auth0__failed_authorization',
    'int_auth0__impossible_travel', 'int_auth0__management_change', 'int_auth0__mfa_fatigue',
    'int_auth0__organization_invitation', 'int_auth0__overpermissive_client',
    'int_auth0__password_spraying', 'int_auth0__refresh_token_reuse',
    'int_auth0__refresh_token_spread', 'int_auth0__security_weakened',
    'int_auth0__shared_mfa_device', 'int_auth0__shared_mfa_phone', 'int_auth0__signup_fraud',
    'int_auth0__sms_bombing', 'int_auth0__success_after_attack',
    'int_auth0__suspicious_tls_fingerprint', 'int_auth0__tenant_takeover'
  ]) }}
{% endmacro %}

{#- Why a login failed, from its code and, for `f` and its kin, the description Auth0 writes
    (for a post-login Action's denial, the Action's own reason): `wrong_password` and
    `unknown_user` are guesses; `authorization` a malformed authorization request (a redirect
    URI, client, audience or response type no application registered); `blocked` a user an
    administrator blocked; `denied` anything else (a policy or an Action said no). The texts are
    vars, so a tenant whose Actions word things otherwise can say so; a text of
    `failed_authorization_texts` matches where Auth0 puts it, at the start or the end of the
    description ("Callback URL mismatch. {url} is not in the list ..."), never inside an Action's
    own reason ("email domain mismatch for this organization" is a denial). -#}
{% macro failure_reason(type, description) -%}
  case
    when {{ type }} = 'fu' then 'unknown_user'
    when {{ type }} = 'fp' then 'wrong_password'
    when {{ description }} in ({{ auth0_logs.quoted(var('wrong_password_descriptions')) }}) then 'wrong_password'
    when {{ description }} in ({{ auth0_logs.quoted(var('unknown_user_descriptions')) }}) then 'unknown_user'
    {%- for text in var('failed_authorization_texts') %}
    when {{ description }} like '{{ text | replace("'", "''") }}%' or {{ description }} like '%{{ text | replace("'", "''") }}' then 'authorization'
    {%- endfor %}
    when {{ description }} in ({{ auth0_logs.quoted(var('blocked_user_descriptions')) }}) then 'blocked'
    else 'denied'
  end
{%- endmacro %}

{#- An interactive login that failed: the login page's and cross-origin failures, and a password
    sent through the Resource Owner Password grant (`fepft`, Auth0's `/oauth/token`); not a
    failed silent authentication (an app polling with an expired session: no one typed). -#}
{% macro is_login_failure(alias='') -%}
  (({{ alias }}category = 'login' and {{ alias }}outcome = 'failure' and {{ alias }}type not in ('fsa', 'fdelsa')) or {{ alias }}type = 'fepft')
{%- endmacro %}

{#- An interactive login that worked, the password grant's (`sepft`) included; silent
    re-authentication is a session going on, no new way in. -#}
{% macro is_login_success(alias='') -%}
  (({{ alias }}category = 'login' and {{ alias }}outcome = 'success' and {{ alias }}type not in ('ssa', 'sdelsa')) or {{ alias }}type = 'sepft')
{%- endmacro %}

{#- A Jinja list as SQL string literals ('' for an empty list, which matches nothing). -#}
{% macro quoted(values) -%}
  {%- for value in values %}'{{ value | replace("'", "''") }}'{% if not loop.last %}, {% endif %}{% endfor -%}
  {%- if not values %}''{% endif -%}
{%- endmacro %}

{#- "1 address", "2 addresses": a count and its noun, singular or plural (SQL text). -#}
{% macro counted(expression, singular, plural) -%}
  (cast({{ expression }} as varchar) || case when {{ expression }} = 1 then ' {{ singular }}' else ' {{ plural }}' end)
{%- endmacro %}

{#- Whole seconds since the epoch of a timestamp (fixed windows). -#}
{% macro epoch_seconds(ts) %}{{ auth0_logs.seconds_between("cast('1970-01-01 00:00:00' as timestamp)", ts) }}{% endmacro %}

{#- The kind of actor that made a Management API call: `automation` for the clients named in
    `automation_clients` (Terraform, the Deploy CLI, a provisioning backend), `administrator`
    for a Dashboard user, `application` for any other client. -#}
{% macro actor_kind(user_column, client_column) -%}
  case
    when {{ client_column }} in ({{ auth0_logs.quoted(var('automation_clients')) }}) then 'automation'
    when {{ user_column }} is not null then 'administrator'
    else 'application'
  end
{%- endmacro %}

{#- One second factor (a phone number, an authenticator device: `factor`, a JSON path into
    `details`, or several joined by coalesce) enrolled for several accounts: someone keeping a
    way into accounts they took. Both catalogs fire at 2 accounts (`shared_mfa_phone_min_users`):
    low there (a family, a QA team's test accounts), medium from `shared_mfa_phone_medium_users`
    accounts on (Auth0's catalog). Over all time: the enrolments can be months apart. -#}
{% macro shared_mfa_factor(detection, subject_type, factor_paths, label) %}
with enrolled as (
    select
        tenant, log_id, occurred_at, coalesce(user_id, user_name) as account,
        coalesce(
          {%- for path in factor_paths %}{{ auth0_logs.json_text('details', path) }}{{ ', ' if not loop.last }}{% endfor -%}
          {%- if factor_paths | length == 1 %}, null{% endif %}) as subject
    from {{ ref('auth0__events') }}
    where type = 'gd_enrollment_complete'
      and {{ auth0_logs.not_allowed('ip', 'allowed_ips') }}
      and {{ auth0_logs.not_allowed('client_id', 'allowed_clients') }}
)
select {{ auth0_logs.finding_columns(detection, subject_type, 'low', 'T1098.005',
    "'" ~ label ~ " ' || subject || ' enrolled for MFA by ' || " ~ auth0_logs.counted('count(distinct account)', 'account', 'accounts'),
    severity_sql="case when count(distinct account) >= " ~ var('shared_mfa_phone_medium_users') ~ " then 'medium' else 'low' end") }}
from enrolled
where subject is not null and account is not null
group by tenant, subject
having count(distinct account) >= {{ var('shared_mfa_phone_min_users') }}
{% endmacro %}
