{{ config(tags=['detection']) }}
{#- A successful login (`s`, `scoa`) with a TLS fingerprint (`security_context.ja4` or `ja3`)
    that the tenant's own failed guesses came from: at least `tls_fingerprint_min_failures`
    failed guesses from one address with that fingerprint (the catalog's correlation) and most
    of the fingerprint's logins failing (a browser's fingerprint is everyone's), or a
    fingerprint on `suspicious_tls_fingerprints`. The same tool that failed is now getting in.
    Medium (Auth0's catalog). -#}
with prints as (
    select tenant, log_id, occurred_at, type, outcome, ip, coalesce(user_id, user_name) as account,
        coalesce({{ auth0_logs.json_text('security_context', 'ja4') }},
                 {{ auth0_logs.json_text('security_context', 'ja3') }}) as fingerprint,
        {{ auth0_logs.failure_reason('type', 'description') }} as reason
    from {{ ref('auth0__events') }}
    where category = 'login' and security_context is not null
      and {{ auth0_logs.not_allowed('ip', 'allowed_ips') }}
      and {{ auth0_logs.not_allowed('client_id', 'allowed_clients') }}
),
attacking as (
    select tenant, fingerprint from prints
    where outcome = 'failure' and reason in ('wrong_password', 'unknown_user') and fingerprint is not null
    group by tenant, fingerprint, ip
    having count(*) >= {{ var('tls_fingerprint_min_failures') }}
    intersect
    select tenant, fingerprint from prints  -- a tool's fingerprint mostly fails; a browser's mostly gets in
    where fingerprint is not null
    group by tenant, fingerprint
    having sum(case when outcome = 'failure' then 1 else 0 end) >= 0.5 * count(*)
    union
    select tenant, fingerprint from prints where fingerprint in ({{ auth0_logs.quoted(var('suspicious_tls_fingerprints')) }})
)
select {{ auth0_logs.finding_columns('suspicious_tls_fingerprint', 'user', 'medium', 'T1110.004',
    auth0_logs.counted('count(*)', 'login', 'logins') ~ " || ' of ' || account || ' with the TLS fingerprint ' || max(fingerprint) || ' of failed guesses'",
    subject='account') }}
from prints
where outcome = 'success' and type in ('s', 'scoa') and account is not null
  and (tenant, fingerprint) in (select tenant, fingerprint from attacking)
group by tenant, account, cast(occurred_at as date)
