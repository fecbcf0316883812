-- title: Headline figures
-- description: For the orders in range: how many, how many were delivered, the median minutes from
-- description: capture to the last delivery, the share of delivered orders with a return, and the
-- description: label cost per shipped order (minor units).
-- columns: orders integer, delivered_orders integer, median_capture_to_delivery_minutes number,
-- columns: return_rate number, shipping_cost_per_order number
WITH orders AS (
    SELECT order_id, min(occurred_at) AS captured_at FROM facts WHERE event_type = 'captured' GROUP BY order_id
),
delivered AS (
    SELECT order_id, max(occurred_at) AS delivered_at
    FROM facts WHERE event_type = 'shipment_delivered' GROUP BY order_id
),
times AS (
    SELECT
        CAST(date_diff('second', o.captured_at, d.delivered_at) AS DOUBLE) / 60 AS minutes,
        row_number() OVER (ORDER BY date_diff('second', o.captured_at, d.delivered_at)) AS rn,
        count(*) OVER () AS n
    FROM orders AS o
    JOIN delivered AS d ON d.order_id = o.order_id
),
returned AS (
    SELECT count(DISTINCT order_id) AS n FROM facts WHERE event_type = 'return_opened'
),
labels AS (
    SELECT sum(amount) AS cost, count(DISTINCT order_id) AS orders FROM facts WHERE event_type = 'shipment_shipped'
)
SELECT
    (SELECT count(*) FROM orders) AS orders,
    (SELECT count(*) FROM delivered) AS delivered_orders,
    (SELECT min(CASE WHEN rn >= ceil(0.5 * n) THEN minutes END) FROM times) AS median_capture_to_delivery_minutes,
    CAST(returned.n AS DOUBLE) / nullif((SELECT count(*) FROM delivered), 0) AS return_rate,
    CAST(labels.cost AS DOUBLE) / nullif(labels.orders, 0) AS shipping_cost_per_order
FROM returned CROSS JOIN labels
