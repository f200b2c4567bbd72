{{ config(tags=['detection']) }}
{#- Auth0 blocked something itself, any of its seven limits (`auth0_block_types`): an address on
    one account (`limit_wc`, brute-force protection), an account from one address (`limit_sul`),
    an address for everyone behind it (`limit_mu`, suspicious-IP throttling), MFA codes or
    recovery codes guessed too often, the delegation endpoint or the APIs' rate limit. Low: the
    attack, if it was one, was stopped, and a forgotten password ends in `limit_wc` every day;
    `block_surge` and `success_after_attack` say when blocks matter more. Per subject (the
    account; the address for `limit_mu`; the application for the rate limits), no more than
    the window apart. -#}
with blocks as (
    select
        tenant, log_id, occurred_at, type,
        case when type = 'limit_mu' then 'ip'
             when type in ('api_limit', 'limit_delegation') then 'client'
             else 'user' end as subject_type,
        case when type = 'limit_mu' then ip
             when type in ('api_limit', 'limit_delegation') then coalesce(client_id, ip)
             else coalesce(user_id, user_name) end as subject
    from {{ ref('auth0__events') }}
    where type in ({{ auth0_logs.quoted(var('auth0_block_types')) }})
      and {{ auth0_logs.not_allowed('ip', 'allowed_ips') }}
      and {{ auth0_logs.not_allowed('client_id', 'allowed_clients') }}
),
bursts as ({{ auth0_logs.bursts('blocks', var('auth0_blocks_window_minutes')) }})
{% for subject_type, noun in [('user', 'account'), ('ip', 'address'), ('client', 'application')] %}
select {{ auth0_logs.finding_columns('auth0_blocks', subject_type, 'low', 'T1110',
    auth0_logs.counted('count(*)', 'block', 'blocks') ~ " || ' by Auth0 (' || string_agg(distinct type, ', ' order by type) || ') of " ~ noun ~ " ' || subject || ' in ' || " ~ auth0_logs.counted(auth0_logs.minutes_number('min(occurred_at)', 'max(occurred_at)'), 'minute', 'minutes')) }}
from bursts
where subject_type = '{{ subject_type }}' and subject is not null
group by tenant, subject, burst
{% if not loop.last %}union all{% endif %}
{% endfor %}
