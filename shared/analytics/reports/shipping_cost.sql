-- title: Shipping cost per order and per node
-- description: Label cost against the shipping the customer was charged (shared evenly between an
-- description: order's shipments), per shipping node and over all nodes ('(all)'); minor units.
-- columns: node_id string, currency string, orders integer, shipments integer, label_cost integer,
-- columns: shipping_charged number, label_cost_per_order number, margin number
WITH orders AS (
    SELECT order_id, max(shipping_amount) AS charged
    FROM facts WHERE event_type = 'captured' GROUP BY order_id
),
shipped AS (
    SELECT order_id, shipment_id, node_id, max(currency) AS currency, max(amount) AS label_cost
    FROM facts WHERE event_type = 'shipment_shipped' GROUP BY order_id, shipment_id, node_id
),
per_order AS (
    SELECT order_id, count(*) AS shipments FROM shipped GROUP BY order_id
),
costed AS (
    SELECT s.node_id, s.currency, s.order_id, s.label_cost, CAST(o.charged AS DOUBLE) / p.shipments AS charged
    FROM shipped AS s
    JOIN orders AS o ON o.order_id = s.order_id
    JOIN per_order AS p ON p.order_id = s.order_id
),
grouped AS (
    SELECT node_id, currency, count(DISTINCT order_id) AS orders, count(*) AS shipments,
        sum(label_cost) AS label_cost, sum(charged) AS charged
    FROM costed GROUP BY node_id, currency
    UNION ALL
    SELECT '(all)', currency, count(DISTINCT order_id), count(*), sum(label_cost), sum(charged)
    FROM costed GROUP BY currency
)
SELECT
    node_id, currency, orders, shipments, label_cost,
    charged AS shipping_charged,
    CAST(label_cost AS DOUBLE) / orders AS label_cost_per_order,
    charged - label_cost AS margin
FROM grouped
ORDER BY node_id, currency
