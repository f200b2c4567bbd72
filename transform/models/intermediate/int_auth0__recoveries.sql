{#- The ways an account's owner (or the tenant's administrators for them) take it back, as
    Auth0 documents them: the password changed (`scp`, after a reset e-mail or by the owner), a
    brute-force block released (`ublkdu`), an administrator's unblock through the Management
    API (`DELETE /api/v2/user-blocks/{id}` or `?identifier=`, `PATCH /api/v2/users/{id}` with
    `blocked: false`) of an account that was blocked (Auth0's `limit_wc`, or an administrator's
    `blocked: true`, before it: a sync job's hourly `blocked: false` on every user unblocks
    nothing), an MFA recovery code used, and an MFA passed (`gd_auth_succeed`: after Auth0
    blocked the account's codes, the owner's device with its clock right again). A new MFA
    enrolment is none: Auth0 asks for it right after the password, so the attacker's first login
    enrols the attacker's phone. The caller decides when a recovery counts (before the login it
    excuses). One row per account key the event names (user id and user name, lower case), so
    that an event naming only the e-mail still finds the account. -#}
with direct as (
    select tenant, log_id, occurred_at, user_id, user_name,
        case type
            when 'scp' then 'the owner changed the password'
            when 'ublkdu' then 'the block was released'
            when 'gd_auth_succeed' then 'MFA passed'
            else 'an MFA recovery code was used'
        end as recovery
    from {{ ref('auth0__events') }}
    where type in ('scp', 'ublkdu', 'gd_recovery_succeed', 'sercft', 'sepkrcft', 'gd_auth_succeed')
),
calls as (
    select tenant, log_id, occurred_at, details,
        lower(coalesce({{ auth0_logs.json_text('details', 'request.path') }}, '')) as path,
        lower(coalesce({{ auth0_logs.json_text('details', 'request.method') }}, '')) as method,
        {{ auth0_logs.json_text('details', 'request.body.blocked') }} as blocked
    from {{ ref('auth0__events') }}
    where type = 'sapi'
),
{#- The account an administrator's call names: in the path (`/user-blocks/{id}`, `/users/{id}`,
    URL-encoded or not) or in the query (`?identifier=`). #}
{%- set account_named -%}
    replace(replace(replace(
        coalesce(nullif(split_part(path, '/user-blocks/', 2), ''),
                 nullif(split_part(path, '/users/', 2), ''),
                 lower({{ auth0_logs.json_text('details', 'request.query.identifier') }})),
        '%7c', '|'), '%40', '@'), '%2b', '+')
{%- endset %}
blocks as (
    {# An account blocked: by Auth0 (`limit_wc`), or by an administrator (`blocked: true`). #}
    select tenant, occurred_at, nullif(lower(user_id), '') as account_key
    from {{ ref('auth0__events') }} where type = 'limit_wc'
    union all
    select tenant, occurred_at, nullif(lower(user_name), '') as account_key
    from {{ ref('auth0__events') }} where type = 'limit_wc'
    union all
    select tenant, occurred_at, {{ account_named }} as account_key
    from calls where method = 'patch' and path like '%/users/%' and blocked = 'true'
),
identities as (
    {# An account's user id and user name together (a block may name only the e-mail). #}
    select distinct tenant, lower(user_id) as user_key, lower(user_name) as name_key
    from {{ ref('auth0__events') }}
    where coalesce(user_id, '') <> '' and coalesce(user_name, '') <> ''
),
unblocked as (
    select tenant, log_id, occurred_at, {{ account_named }} as account_key
    from calls
    where (method = 'delete' and path like '%/user-blocks%')
       or (method = 'patch' and path like '%/users/%' and blocked = 'false')
),
admitted as (
    select u.*
    from unblocked as u
    where exists (
        select 1 from blocks as b
        where b.tenant = u.tenant and b.occurred_at < u.occurred_at
          and (b.account_key = u.account_key or exists (
              select 1 from identities as i
              where i.tenant = u.tenant
                and ((i.user_key = u.account_key and i.name_key = b.account_key)
                     or (i.name_key = u.account_key and i.user_key = b.account_key)))))
)
select tenant, log_id, occurred_at, lower(user_id) as account_key, recovery from direct where user_id is not null
union all
select tenant, log_id, occurred_at, lower(user_name) as account_key, recovery from direct where user_name is not null
union all
select tenant, log_id, occurred_at, account_key, 'an administrator unblocked the account' as recovery
from admitted where account_key is not null and account_key <> ''
