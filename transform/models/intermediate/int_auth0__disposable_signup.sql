{{ config(tags=['detection']) }}
{#- Signups with throw-away e-mail domains (`disposable_email_domains`, a var list: extend it with
    a public list), at least `disposable_signup_min_signups` within a day: fake accounts for
    fraud. Medium (Auth0's catalog). -#}
with signups as (
    select tenant, log_id, occurred_at, lower(split_part(user_name, '@', 2)) as domain
    from {{ ref('auth0__events') }}
    where type in ('ss', 'fs', 'signup_pwd_leak') and user_name like '%@%'
      and {{ auth0_logs.not_allowed('ip', 'allowed_ips') }}
)
select {{ auth0_logs.finding_columns('disposable_signup', 'domain', 'medium', 'T1136.003',
    auth0_logs.counted('count(*)', 'signup', 'signups') ~ " || ' with the throw-away domain ' || subject") }}
from (select signups.*, domain as subject from signups) as s
where domain in ({{ auth0_logs.quoted(var('disposable_email_domains')) }})
group by tenant, subject, cast(occurred_at as date)
having count(*) >= {{ var('disposable_signup_min_signups') }}
