-- title: Return rate by SKU and reason
-- description: Units asked back (RMAs opened) against units ordered, per SKU and reason, and per SKU
-- description: over all reasons (reason '(all)').
-- columns: sku string, reason string, returns integer, units_returned integer, units_ordered integer,
-- columns: return_rate number
WITH ordered AS (
    SELECT sku, sum(quantity) AS units FROM facts WHERE event_type = 'captured_line' GROUP BY sku
),
returned AS (
    SELECT sku, reason, shipment_id AS rma_id, quantity FROM facts WHERE event_type = 'return_opened'
),
grouped AS (
    SELECT sku, reason, count(DISTINCT rma_id) AS returns, sum(quantity) AS units
    FROM returned GROUP BY sku, reason
    UNION ALL
    SELECT sku, '(all)', count(DISTINCT rma_id), sum(quantity) FROM returned GROUP BY sku
)
SELECT
    g.sku, g.reason, g.returns, g.units AS units_returned, o.units AS units_ordered,
    CAST(g.units AS DOUBLE) / o.units AS return_rate
FROM grouped AS g
JOIN ordered AS o ON o.sku = g.sku
ORDER BY g.sku, g.reason
