{{ config(tags=['detection']) }}
{#- Signups with throw-away e-mail domains (`disposable_email_domains`, a var list: extend it with
    a public list), across the tenant and across those domains: at least
    `disposable_signup_min_signups` within any `disposable_signup_window_minutes` (Auth0's catalog
    counts them per hour, whatever the domain): fake accounts for fraud. Medium (Auth0's
    catalog). A QA harness signing up test accounts is left out by naming it in
    `allowed_clients`. -#}
with signups as (
    select e.tenant, e.log_id, e.occurred_at, lower(split_part(e.user_name, '@', 2)) as domain,
        coalesce(e.user_id, e.user_name) as account, t.name as subject
    from {{ ref('auth0__events') }} as e
    join (
        select tenant, coalesce(max(tenant_name), tenant) as name
        from {{ ref('auth0__events') }} group by tenant
    ) as t on t.tenant = e.tenant
    where e.type in ('ss', 'fs', 'signup_pwd_leak') and e.user_name like '%@%'
      and lower(split_part(e.user_name, '@', 2)) in ({{ auth0_logs.quoted(var('disposable_email_domains')) }})
      and {{ auth0_logs.not_allowed('e.ip', 'allowed_ips') }}
      and {{ auth0_logs.not_allowed('e.client_id', 'allowed_clients') }}
),
members as ({{ auth0_logs.window_members('signups', var('disposable_signup_window_minutes'),
    "count(distinct q.account) >= " ~ var('disposable_signup_min_signups')) }}),
bursts as ({{ auth0_logs.bursts('members', var('disposable_signup_window_minutes')) }})
select {{ auth0_logs.finding_columns('disposable_signup', 'tenant', 'medium', 'T1136.003',
    auth0_logs.counted('count(*)', 'signup', 'signups') ~ " || ' with throw-away domains (' || string_agg(distinct domain, ', ' order by domain) || ') in ' || subject || ' in ' || " ~ auth0_logs.counted(auth0_logs.minutes_number('min(occurred_at)', 'max(occurred_at)'), 'minute', 'minutes')) }}
from bursts
group by tenant, subject, burst
