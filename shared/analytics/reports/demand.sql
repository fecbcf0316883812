-- title: Demand per SKU per day
-- description: Units, orders and revenue (minor units) ordered per SKU and capture day; the SKU's
-- description: rank among the top sellers of the range (by units); its trend: the change against
-- description: its previous selling day and the average over its last 7 selling days.
-- columns: day date, sku string, currency string, units integer, orders integer, revenue integer,
-- columns: top_seller_rank integer, change_vs_previous number, units_7_day_avg number
WITH daily AS (
    SELECT CAST(occurred_at AS DATE) AS day, sku, currency,
        sum(quantity) AS units, count(DISTINCT order_id) AS orders, sum(amount) AS revenue
    FROM facts WHERE event_type = 'captured_line'
    GROUP BY CAST(occurred_at AS DATE), sku, currency
),
totals AS (
    SELECT sku, sum(units) AS total_units FROM daily GROUP BY sku
),
ranked AS (
    SELECT sku, dense_rank() OVER (ORDER BY total_units DESC) AS top_seller_rank FROM totals
)
SELECT
    d.day, d.sku, d.currency, d.units, d.orders, d.revenue, r.top_seller_rank,
    CAST(d.units - lag(d.units) OVER (PARTITION BY d.sku, d.currency ORDER BY d.day) AS DOUBLE)
        AS change_vs_previous,
    avg(CAST(d.units AS DOUBLE)) OVER (
        PARTITION BY d.sku, d.currency ORDER BY d.day ROWS BETWEEN 6 PRECEDING AND CURRENT ROW
    ) AS units_7_day_avg
FROM daily AS d
JOIN ranked AS r ON r.sku = d.sku
ORDER BY d.day, r.top_seller_rank, d.sku
