{#- The ways an account's owner (or the tenant's administrators for them) take it back, as
    Auth0 documents them: the password changed (`scp`, after a reset e-mail or by the owner), a
    brute-force block released (`ublkdu`), an administrator's unblock through the Management
    API (`DELETE /api/v2/user-blocks/{id}` or `?identifier=`, `PATCH /api/v2/users/{id}` with
    `blocked: false`), a new MFA enrolment, an MFA recovery code used, and an MFA passed
    (`gd_auth_succeed`: after Auth0 blocked the account's codes, the owner's device with its
    clock right again). One row per account key the event names (user id and user name, lower
    case), so that an event naming only the e-mail still finds the account. -#}
with direct as (
    select tenant, log_id, occurred_at, user_id, user_name,
        case type
            when 'scp' then 'the owner changed the password'
            when 'ublkdu' then 'the block was released'
            when 'gd_enrollment_complete' then 'a new MFA enrolment'
            when 'gd_auth_succeed' then 'MFA passed'
            else 'an MFA recovery code was used'
        end as recovery
    from {{ ref('auth0__events') }}
    where type in ('scp', 'ublkdu', 'gd_enrollment_complete', 'gd_recovery_succeed', 'sercft', 'sepkrcft', 'gd_auth_succeed')
),
unblocked as (
    {# The account is in the path (`/user-blocks/{id}`, `/users/{id}`, URL-encoded or not) or
        in the query (`?identifier=`). #}
    select tenant, log_id, occurred_at,
        replace(replace(replace(
            coalesce(nullif(split_part(path, '/user-blocks/', 2), ''),
                     nullif(split_part(path, '/users/', 2), ''),
                     lower({{ auth0_logs.json_text('details', 'request.query.identifier') }})),
            '%7c', '|'), '%40', '@'), '%2b', '+') as account_key
    from (
        select tenant, log_id, occurred_at, details,
            lower(coalesce({{ auth0_logs.json_text('details', 'request.path') }}, '')) as path,
            lower(coalesce({{ auth0_logs.json_text('details', 'request.method') }}, '')) as method,
            {{ auth0_logs.json_text('details', 'request.body.blocked') }} as blocked
        from {{ ref('auth0__events') }}
        where type = 'sapi'
    ) as calls
    where (method = 'delete' and path like '%/user-blocks%')
       or (method = 'patch' and path like '%/users/%' and blocked = 'false')
)
select tenant, log_id, occurred_at, lower(user_id) as account_key, recovery from direct where user_id is not null
union all
select tenant, log_id, occurred_at, lower(user_name) as account_key, recovery from direct where user_name is not null
union all
select tenant, log_id, occurred_at, account_key, 'an administrator unblocked the account' as recovery
from unblocked where account_key is not null and account_key <> ''
