-- title: On-time shipping
-- description: Shipments handed over within the handling time after release (24 hours for standard,
-- description: 8 hours for express), per shipping day and node.
-- columns: day date, node_id string, shipments integer, on_time integer, on_time_rate number,
-- columns: avg_hours_to_ship number
WITH released AS (
    SELECT order_id, min(occurred_at) AS released_at, max(service_level) AS service_level
    FROM facts WHERE event_type = 'released' GROUP BY order_id
),
shipped AS (
    SELECT order_id, shipment_id, node_id, min(occurred_at) AS shipped_at
    FROM facts WHERE event_type = 'shipment_shipped' GROUP BY order_id, shipment_id, node_id
),
timed AS (
    SELECT
        CAST(s.shipped_at AS DATE) AS day, s.node_id,
        CAST(date_diff('second', r.released_at, s.shipped_at) AS DOUBLE) / 3600 AS hours,
        CASE WHEN r.service_level = 'express' THEN 8 ELSE 24 END AS allowed_hours
    FROM shipped AS s
    JOIN released AS r ON r.order_id = s.order_id
)
SELECT
    day, node_id,
    count(*) AS shipments,
    sum(CASE WHEN hours <= allowed_hours THEN 1 ELSE 0 END) AS on_time,
    CAST(sum(CASE WHEN hours <= allowed_hours THEN 1 ELSE 0 END) AS DOUBLE) / count(*) AS on_time_rate,
    avg(hours) AS avg_hours_to_ship
FROM timed
GROUP BY day, node_id
ORDER BY day, node_id
