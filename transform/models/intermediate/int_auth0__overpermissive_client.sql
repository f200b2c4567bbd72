{{ config(tags=['detection']) }}
{#- An application calling the Management API with a token that holds too much: more than
    `overpermissive_max_scopes` scopes, or any of `overpermissive_scopes` (the scopes that can
    change every user or application). Read from the scopes the call's credentials carried
    (`details.request.auth.credentials.scopes`); the Dashboard's own calls carry a user and are
    left out. Medium when the token holds one of `overpermissive_scopes` (Auth0's catalog, its
    second option: the scopes that matter); low when it holds only many scopes (its first option:
    a posture report every deployment tool matches; trim the grant or name the tool); automation
    named in `automation_clients` is low (it needs broad scopes to manage the tenant). One
    finding per application and day. -#}
with calls as (
    select
        tenant, log_id, occurred_at, client_id as subject, actor_kind, credential_scopes,
        cast((length(credential_scopes) - length(replace(credential_scopes, '"', ''))) / 2 as integer) as scopes
    from {{ ref('int_auth0__api_calls') }}
    where credential_scopes is not null and actor_kind <> 'administrator' and client_id is not null
      and {{ auth0_logs.not_allowed('client_id', 'allowed_clients') }}
      and {{ auth0_logs.not_allowed('ip', 'allowed_ips') }}
),
flagged as (
    select calls.*,
        case when scopes > {{ var('overpermissive_max_scopes') }} then 1 else 0 end as broad,
        0
        {%- for scope in var('overpermissive_scopes') %}
        + case when credential_scopes like '%"{{ scope }}"%' then 1 else 0 end
        {%- endfor %} as sensitive
    from calls
)
select
    tenant, 'overpermissive_client' as detection, 'client' as subject_type, subject,
    min(occurred_at) as first_seen, max(occurred_at) as last_seen, count(*) as events,
    {{ auth0_logs.ordered_list('log_id', 'log_id') }} as log_ids,
    case when max(actor_kind) = 'automation' or max(sensitive) = 0 then 'low' else 'medium' end as severity,
    'T1098.001' as mitre_technique,
    'application ' || subject || case when max(actor_kind) = 'automation' then ' (automation)' else '' end
        || ' called the Management API with ' || {{ auth0_logs.counted('max(scopes)', 'scope', 'scopes') }}
        || case when max(sensitive) > 0 then ', among them a scope that can change every user or application'
                else ' (many scopes, none of the sensitive ones: a posture report)' end
        || ' (' || {{ auth0_logs.counted('count(*)', 'call', 'calls') }} || ')' as description
from flagged
where broad + sensitive > 0
group by tenant, subject, cast(occurred_at as date)
