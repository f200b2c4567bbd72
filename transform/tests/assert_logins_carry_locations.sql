{{ config(severity='warn') }}
{#- `impossible_travel` reads the places Auth0 puts in `location_info`: with logins but none of
    them placed (a loader that dropped the column, or addresses pseudonymised before Auth0's
    geolocation was kept), the detection is not quiet but blind, and the build says so. -#}
select count(*) as successful_logins
from {{ ref('auth0__events') }}
where category = 'login' and outcome = 'success'
having count(*) > 0 and count(latitude) = 0
