{{ config(tags=['detection']) }}
{#- Many authorization requests refused for a wrong parameter (a redirect URI, client, audience,
    response type or challenge method nobody registered: `failure_reason` 'authorization'), at
    least `failed_authorization_min_requests` from one address within any
    `failed_authorization_window_minutes` (the window slides): someone harvesting codes or
    probing redirects tries many values. Medium when they name `failed_authorization_min_values`
    wrong values or more (Auth0's catalog counts the distinct malformed values: the description
    with its value, and the client); low when they name fewer: one misconfigured value, many
    users (a release with a wrong callback URL, an office behind one address). A well-configured
    tenant has next to none. -#}
with refused as (
    select tenant, log_id, occurred_at, ip as subject, coalesce(client_id, '') || ' ' || coalesce(refused_value, '') as refused_value
    from {{ ref('int_auth0__login_failures') }}
    where reason = 'authorization' and ip is not null
),
members as ({{ auth0_logs.window_members('refused', var('failed_authorization_window_minutes'),
    "count(*) >= " ~ var('failed_authorization_min_requests')) }}),
bursts as ({{ auth0_logs.bursts('members', var('failed_authorization_window_minutes')) }})
select
    tenant, 'failed_authorization' as detection, 'ip' as subject_type, subject,
    min(occurred_at) as first_seen, max(occurred_at) as last_seen, count(*) as events,
    {{ auth0_logs.ordered_list('log_id', 'log_id') }} as log_ids,
    case when count(distinct refused_value) >= {{ var('failed_authorization_min_values') }} then 'medium' else 'low' end as severity,
    'T1110' as mitre_technique,
    {{ auth0_logs.counted('count(*)', 'authorization request', 'authorization requests') }}
        || ' refused for a wrong parameter from ' || subject || ' in '
        || {{ auth0_logs.counted(auth0_logs.minutes_number('min(occurred_at)', 'max(occurred_at)'), 'minute', 'minutes') }}
        || ', naming ' || {{ auth0_logs.counted('count(distinct refused_value)', 'value', 'values') }}
        || case when count(distinct refused_value) >= {{ var('failed_authorization_min_values') }} then ''
                else ' (few wrong values: a misconfigured application, not probing)' end as description
from bursts
group by tenant, subject, burst
