{{ config(tags=['detection']) }}
{#- MFA push bombing: many push notifications to one user (`gd_send_pn`) within any
    `mfa_fatigue_window_minutes` (the window slides; pushes spread over a day never add up): at
    least `mfa_fatigue_min_pushes` of them, with `mfa_fatigue_min_unanswered` prompts or more
    left unanswered one after another (no approval between them: the bomber keeps pushing, the
    user keeps ignoring; a busy user whose phone now and then misses a push, approving the one
    sent again, never has such a run, nor has a user with two step-up sessions at once).
    Pushes sent within `mfa_fatigue_same_prompt_seconds` of the one before are one prompt (a
    page open in several tabs asks in each at once); a prompt is approved when the user's next
    MFA event after it is `gd_auth_succeed`, not when it is a rejection (`gd_auth_rejected`) or
    another push. Every push counts, so a bombing the user finally gives in to is found with its
    approval; step-up MFA, a prompt approved before each sensitive action, stays quiet. Medium;
    low when the last prompt ends in MFA passed with a factor of the owner's own device that no
    push delivers (`details.authenticator.type` among `mfa_fatigue_own_factors`, Auth0's one-time
    code of the authenticator app, a recovery code, a security key): a phone without signal,
    whose pushes never arrived (Auth0's catalog names network problems as this rule's false
    positive). -#}
with events as (
    select
        tenant, log_id, occurred_at, user_id, type,
        case when type = 'gd_auth_succeed'
              and lower(coalesce({{ auth0_logs.json_text('details', 'authenticator.type') }}, ''))
                  in ({{ auth0_logs.quoted(var('mfa_fatigue_own_factors')) }}) then 1 else 0 end as own_factor,
        lag(type) over (partition by tenant, user_id order by occurred_at, log_id) as previous_type,
        lag(occurred_at) over (partition by tenant, user_id order by occurred_at, log_id) as previous_at
    from {{ ref('auth0__events') }}
    where type in ('gd_send_pn', 'gd_auth_succeed', 'gd_auth_rejected') and user_id is not null
      and {{ auth0_logs.not_allowed('ip', 'allowed_ips') }}
      and {{ auth0_logs.not_allowed('client_id', 'allowed_clients') }}
),
numbered as (
    {# Each push that starts a prompt counts one up; an answer takes its prompt's number. #}
    select events.*,
        sum(case when type = 'gd_send_pn'
                  and not (previous_type = 'gd_send_pn'
                           and {{ auth0_logs.seconds_between('previous_at', 'occurred_at') }} <= {{ var('mfa_fatigue_same_prompt_seconds') }})
                 then 1 else 0 end) over (
            partition by tenant, user_id order by occurred_at, log_id
            rows between unbounded preceding and current row) as prompt
    from events
),
prompts as (
    {# How each prompt was answered: the first answer after it. #}
    select tenant, user_id, prompt,
        max(case when type = 'gd_auth_succeed' and own_factor = 0 and first_answer = 1 then 1 else 0 end) as approved,
        max(case when own_factor = 1 and first_answer = 1 then 1 else 0 end) as own_factor
    from (
        select numbered.*,
            case when type <> 'gd_send_pn' and row_number() over (
                partition by tenant, user_id, prompt, case when type = 'gd_send_pn' then 0 else 1 end
                order by occurred_at, log_id) = 1 then 1 else 0 end as first_answer
        from numbered
    ) as answers
    group by tenant, user_id, prompt
),
runs as (
    {# Prompts left unanswered one after another: a run ends at the prompt the user approved. #}
    select tenant, user_id, prompt, approved, own_factor,
        sum(approved) over (partition by tenant, user_id order by prompt
                            rows between unbounded preceding and current row) - approved as run
    from prompts
),
run_lengths as (
    select tenant, user_id, run, sum(1 - approved) as unanswered_in_a_row
    from runs group by tenant, user_id, run
),
pushes as (
    select n.tenant, n.log_id, n.occurred_at, n.user_id as subject, n.prompt,
        1 - r.approved as unanswered, r.own_factor, l.unanswered_in_a_row
    from numbered as n
    join runs as r on r.tenant = n.tenant and r.user_id = n.user_id and r.prompt = n.prompt
    join run_lengths as l on l.tenant = r.tenant and l.user_id = r.user_id and l.run = r.run
    where n.type = 'gd_send_pn'
),
members as ({{ auth0_logs.window_members('pushes', var('mfa_fatigue_window_minutes'),
    "count(*) >= " ~ var('mfa_fatigue_min_pushes')
    ~ " and sum(q.unanswered) >= " ~ var('mfa_fatigue_min_unanswered')
    ~ " and max(q.unanswered_in_a_row) >= " ~ var('mfa_fatigue_min_unanswered')) }}),
bursts as ({{ auth0_logs.bursts('members', var('mfa_fatigue_window_minutes')) }})
select
    tenant, 'mfa_fatigue' as detection, 'user' as subject_type, subject,
    min(occurred_at) as first_seen, max(occurred_at) as last_seen, count(*) as events,
    {{ auth0_logs.ordered_list('log_id', 'log_id') }} as log_ids,
    case when max(own_factor * prompt) = max(prompt) then 'low' else 'medium' end as severity,
    'T1621' as mitre_technique,
    {{ auth0_logs.counted('count(*)', 'MFA push', 'MFA pushes') }} || ' to ' || subject || ', '
        || cast(sum(unanswered) as varchar) || ' not approved, in '
        || {{ auth0_logs.counted(auth0_logs.minutes_number('min(occurred_at)', 'max(occurred_at)'), 'minute', 'minutes') }}
        || case when max(own_factor * prompt) = max(prompt)
                then ', then MFA passed with the owner''s own code (a phone the pushes did not reach)' else '' end as description
from bursts
group by tenant, subject, burst
