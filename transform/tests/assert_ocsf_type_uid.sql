-- OCSF: type_uid is class_uid * 100 + activity_id, in the columns and in the event.
select log_id
from {{ ref('auth0__ocsf') }}
where type_uid <> class_uid * 100 + activity_id
   or cast({{ auth0_logs.json_text('ocsf', 'type_uid') }} as integer) <> type_uid
