-- A finding starts no later than it ends and counts at least one log.
select finding_id
from {{ ref('auth0__detections') }}
where first_seen > last_seen or events < 1
