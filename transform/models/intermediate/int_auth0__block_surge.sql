{{ config(tags=['detection']) }}
{#- Auth0's blocks piling up across the tenant (any account or address, `limit_wc` included): a
    distributed attack that Auth0 stops one account at a time, which no per-account detection
    sees whole. A surge is `block_surge_min_blocks` blocks with no pause longer than
    `block_surge_gap_minutes`; a tenant's everyday blocks are minutes apart. -#}
with tenants as (
    {#- The subject is the tenant as Auth0 names it (`tenant_name`), else the tenant's key. -#}
    select tenant, coalesce(max(tenant_name), tenant) as name
    from {{ ref('auth0__events') }}
    group by tenant
),
blocks as (
    select e.tenant, e.log_id, e.occurred_at, e.ip, tenants.name as subject
    from {{ ref('auth0__events') }} as e
    join tenants on tenants.tenant = e.tenant
    where e.type in ('limit_wc', 'limit_sul', 'limit_mu', 'gd_otp_rate_limit_exceed', 'gd_recovery_rate_limit_exceed')
      and {{ auth0_logs.not_allowed('e.ip', 'allowed_ips') }}
      and {{ auth0_logs.not_allowed('e.client_id', 'allowed_clients') }}
),
bursts as ({{ auth0_logs.bursts('blocks', var('block_surge_gap_minutes')) }})
select {{ auth0_logs.finding_columns('block_surge', 'tenant', 'high', 'T1110',
    auth0_logs.counted('count(*)', 'block', 'blocks') ~ " || ' by Auth0 across ' || subject || ' from ' || " ~ auth0_logs.counted('count(distinct ip)', 'address', 'addresses') ~ " || ' in ' || " ~ auth0_logs.counted(auth0_logs.minutes_number('min(occurred_at)', 'max(occurred_at)'), 'minute', 'minutes')) }}
from bursts
group by tenant, subject, burst
having count(*) >= {{ var('block_surge_min_blocks') }}
