{#- Every finding of `auth0__detections` as an OCSF 1.5 Detection Finding (2004), the class SIEMs
    take findings as: the finding's stable id in `finding_info.uid`, the detection as its
    analytic, and the logs it rests on as its evidence. Rebuilt with the detections. -#}
with findings as (
    select
        d.*,
        case when d.subject_type = 'ip' and {{ auth0_logs.is_ip('d.subject') }} then d.subject end as subject_ip,
        case d.severity when 'low' then 2 when 'medium' then 3 when 'high' then 4 else 5 end as severity_id,
        replace(d.detection, '_', ' ') as title
    from {{ ref('auth0__detections') }} as d
)

select
    finding_id,
    tenant,
    2004 as class_uid,
    1 as activity_id,
    2 as category_uid,
    200401 as type_uid,
    {{ auth0_logs.epoch_ms('last_seen') }} as time,
    severity_id,
    1 as status_id,
    {{ auth0_logs.json_strip_nulls(auth0_logs.json_build_finding()) }} as ocsf
from findings
