select tenant, activity_date, client_id
from {{ ref('auth0__daily_activity') }}
group by tenant, activity_date, client_id
having count(*) > 1
