-- title: Fill, backorder and split-shipment rates
-- description: Per capture day and channel: orders reserved in full at the first try (fill rate),
-- description: orders that waited for stock (backorder rate), released orders sent from more than one
-- description: node (split-shipment rate).
-- columns: day date, channel string, orders integer, filled_first_try integer, backordered integer,
-- columns: released integer, split integer, fill_rate number, backorder_rate number, split_rate number
WITH orders AS (
    SELECT order_id, channel, CAST(min(occurred_at) AS DATE) AS day
    FROM facts WHERE event_type = 'captured' GROUP BY order_id, channel
),
flags AS (
    SELECT
        o.day, o.channel, o.order_id,
        max(CASE WHEN f.event_type = 'reserved' AND f.reason = 'first_try' THEN 1 ELSE 0 END) AS filled,
        max(CASE WHEN f.event_type = 'backordered' THEN 1 ELSE 0 END) AS backordered,
        count(DISTINCT CASE WHEN f.event_type = 'released' THEN f.node_id END) AS nodes
    FROM orders AS o
    JOIN facts AS f ON f.order_id = o.order_id
    GROUP BY o.day, o.channel, o.order_id
)
SELECT
    day, channel,
    count(*) AS orders,
    sum(filled) AS filled_first_try,
    sum(backordered) AS backordered,
    sum(CASE WHEN nodes > 0 THEN 1 ELSE 0 END) AS released,
    sum(CASE WHEN nodes > 1 THEN 1 ELSE 0 END) AS split,
    CAST(sum(filled) AS DOUBLE) / count(*) AS fill_rate,
    CAST(sum(backordered) AS DOUBLE) / count(*) AS backorder_rate,
    CAST(sum(CASE WHEN nodes > 1 THEN 1 ELSE 0 END) AS DOUBLE)
        / nullif(sum(CASE WHEN nodes > 0 THEN 1 ELSE 0 END), 0) AS split_rate
FROM flags
GROUP BY day, channel
ORDER BY day, channel
