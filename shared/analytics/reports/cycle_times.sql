-- title: Order cycle times
-- description: Minutes from capture to release, release to shipping, shipping to delivery and capture
-- description: to delivery, per shipment, p50 and p90 (nearest rank), by capture day, channel and node.
-- columns: day date, channel string, node_id string, stage string, shipments integer,
-- columns: p50_minutes number, p90_minutes number
WITH orders AS (
    SELECT order_id, channel, min(occurred_at) AS captured_at
    FROM facts WHERE event_type = 'captured' GROUP BY order_id, channel
),
released AS (
    SELECT order_id, min(occurred_at) AS released_at FROM facts WHERE event_type = 'released' GROUP BY order_id
),
shipments AS (
    SELECT
        order_id, shipment_id, node_id,
        min(CASE WHEN event_type = 'shipment_shipped' THEN occurred_at END) AS shipped_at,
        min(CASE WHEN event_type = 'shipment_delivered' THEN occurred_at END) AS delivered_at
    FROM facts
    WHERE event_type IN ('shipment_shipped', 'shipment_delivered')
    GROUP BY order_id, shipment_id, node_id
),
timed AS (
    SELECT
        CAST(o.captured_at AS DATE) AS day, o.channel, s.node_id,
        o.captured_at, r.released_at, s.shipped_at, s.delivered_at
    FROM shipments AS s
    JOIN orders AS o ON o.order_id = s.order_id
    LEFT JOIN released AS r ON r.order_id = s.order_id
),
stages AS (
    SELECT day, channel, node_id, 'capture_to_release' AS stage, released_at IS NOT NULL AS known,
        CAST(date_diff('second', captured_at, released_at) AS DOUBLE) / 60 AS minutes
    FROM timed
    UNION ALL
    SELECT day, channel, node_id, 'release_to_ship', shipped_at IS NOT NULL AND released_at IS NOT NULL,
        CAST(date_diff('second', released_at, shipped_at) AS DOUBLE) / 60
    FROM timed
    UNION ALL
    SELECT day, channel, node_id, 'ship_to_deliver', delivered_at IS NOT NULL AND shipped_at IS NOT NULL,
        CAST(date_diff('second', shipped_at, delivered_at) AS DOUBLE) / 60
    FROM timed
    UNION ALL
    SELECT day, channel, node_id, 'capture_to_deliver', delivered_at IS NOT NULL,
        CAST(date_diff('second', captured_at, delivered_at) AS DOUBLE) / 60
    FROM timed
),
ranked AS (
    SELECT
        day, channel, node_id, stage, minutes,
        row_number() OVER (PARTITION BY day, channel, node_id, stage ORDER BY minutes) AS rn,
        count(*) OVER (PARTITION BY day, channel, node_id, stage) AS n
    FROM stages
    WHERE known
)
SELECT
    day, channel, node_id, stage,
    max(n) AS shipments,
    min(CASE WHEN rn >= ceil(0.5 * n) THEN minutes END) AS p50_minutes,
    min(CASE WHEN rn >= ceil(0.9 * n) THEN minutes END) AS p90_minutes
FROM ranked
GROUP BY day, channel, node_id, stage
ORDER BY day, channel, node_id, stage
