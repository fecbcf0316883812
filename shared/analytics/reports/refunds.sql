-- title: Refunds by cause
-- description: Refunds settled at Stripe for the orders in range, by cause (cancellation, return,
-- description: goodwill) and currency; amounts in minor units.
-- columns: cause string, currency string, refunds integer, amount integer, orders integer
SELECT
    reason AS cause, currency,
    count(*) AS refunds,
    sum(amount) AS amount,
    count(DISTINCT order_id) AS orders
FROM facts
WHERE event_type = 'refund_settled'
GROUP BY reason, currency
ORDER BY cause, currency
