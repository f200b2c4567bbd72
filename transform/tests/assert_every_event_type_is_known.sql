{{ config(severity='warn') }}
{#- Event types in the data that the `auth0__event_types` seed does not know: they are classified
    `other` and stay outside OCSF until the seed learns them (the next build then classifies them,
    without a full refresh). A warning, naming each type and its count: Auth0 adds codes. -#}
select e.type, count(*) as events
from {{ ref('auth0__events') }} as e
left join {{ ref('auth0__event_types') }} as t on t.code = e.type
where t.code is null
group by e.type
