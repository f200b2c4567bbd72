{{ config(tags=['detection']) }}
{#- Invitations to an organization (`POST /api/v2/organizations/{id}/invitations`): someone is
    let into a customer's organization. Low: organizations invite people every day; the finding
    names who invited whom, for the record and for a search after an incident. -#}
with invited as (
    select tenant, log_id, occurred_at, actor as subject, actor_kind
    from {{ ref('int_auth0__api_calls') }}
    where type = 'sapi' and method = 'post' and path like '%/organizations/%/invitations'
      and {{ auth0_logs.not_allowed('client_id', 'allowed_clients') }}
      and {{ auth0_logs.not_allowed('ip', 'allowed_ips') }}
),
bursts as ({{ auth0_logs.bursts('invited', var('management_change_window_minutes')) }})
select {{ auth0_logs.finding_columns('organization_invitation', 'user', 'low', 'T1136',
    auth0_logs.counted('count(*)', 'organization invitation', 'organization invitations') ~ " || ' by ' || subject || case when max(actor_kind) = 'automation' then ' (automation)' else '' end") }}
from bursts
group by tenant, subject, burst
