-- OCSF: type_uid is class_uid * 100 + activity_id (the event's JSON is built from these columns).
select log_id
from {{ ref('auth0__ocsf') }}
where type_uid <> class_uid * 100 + activity_id
