{#- Auth0 blocked an account or an address itself (the types in `auth0_block_types`: an address
    blocked after failing on many accounts, an account's logins or MFA codes blocked): the attack
    was stopped, but someone made it. A block of one address on one account (`limit_wc`) is left
    out by default: it happens daily to people who forgot a password; `block_surge` counts it. -#}
with blocks as (
    select
        tenant, log_id, occurred_at, type,
        case when type = 'limit_mu' then 'ip' else 'user' end as subject_type,  -- an address's block
        case when type = 'limit_mu' then ip else coalesce(user_id, user_name) end as subject
    from {{ ref('auth0__events') }}
    where type in ({% for t in var('auth0_block_types') %}'{{ t }}'{% if not loop.last %}, {% endif %}{% endfor %})
      and {{ auth0_logs.not_allowed('ip', 'allowed_ips') }}
),
bursts as ({{ auth0_logs.bursts('blocks', var('auth0_blocks_window_minutes')) }})
{% for subject_type in ['user', 'ip'] %}
select {{ auth0_logs.finding_columns('auth0_blocks', subject_type, 'medium', 'T1110',
    "cast(count(*) as varchar) || ' blocks by Auth0 (' || string_agg(distinct type, ', ' order by type) || ') of " ~ ("address " if subject_type == 'ip' else "account ") ~ "' || subject || ' in ' || " ~ auth0_logs.minutes_text('min(occurred_at)', 'max(occurred_at)') ~ " || ' minutes'") }}
from bursts
where subject_type = '{{ subject_type }}' and subject is not null
group by tenant, subject, burst
{% if not loop.last %}union all{% endif %}
{% endfor %}
