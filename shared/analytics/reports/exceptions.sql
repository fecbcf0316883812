-- title: Exceptions by type
-- description: Exceptions raised for the orders in range (payment hold, unfillable, fulfilment
-- description: failed, delivery exception, fulfilment problem), how many were resolved and how long
-- description: that took, in minutes.
-- columns: exception_type string, raised integer, resolved integer, still_open integer,
-- columns: avg_minutes_to_resolve number, max_minutes_to_resolve number
WITH raised AS (
    SELECT order_id, coalesce(shipment_id, '') AS sid, reason, occurred_at,
        row_number() OVER (PARTITION BY order_id, coalesce(shipment_id, ''), reason ORDER BY occurred_at) AS k
    FROM facts WHERE event_type = 'exception_raised'
),
resolved AS (
    SELECT order_id, coalesce(shipment_id, '') AS sid, reason, occurred_at,
        row_number() OVER (PARTITION BY order_id, coalesce(shipment_id, ''), reason ORDER BY occurred_at) AS k
    FROM facts WHERE event_type = 'exception_resolved'
),
paired AS (
    SELECT r.reason, s.occurred_at AS resolved_at,
        CAST(date_diff('second', r.occurred_at, s.occurred_at) AS DOUBLE) / 60 AS minutes
    FROM raised AS r
    LEFT JOIN resolved AS s ON s.order_id = r.order_id AND s.sid = r.sid AND s.reason = r.reason AND s.k = r.k
)
SELECT
    reason AS exception_type,
    count(*) AS raised,
    count(resolved_at) AS resolved,
    count(*) - count(resolved_at) AS still_open,
    avg(minutes) AS avg_minutes_to_resolve,
    max(minutes) AS max_minutes_to_resolve
FROM paired
GROUP BY reason
ORDER BY exception_type
