-- title: Operator actions by type
-- description: What operations did to the orders in range (cancellations by an ops key, hold
-- description: releases, retries, re-routes), per day of the action.
-- columns: day date, action string, actions integer, orders integer
SELECT
    CAST(occurred_at AS DATE) AS day,
    reason AS action,
    count(*) AS actions,
    count(DISTINCT order_id) AS orders
FROM facts
WHERE event_type = 'operator_action'
GROUP BY CAST(occurred_at AS DATE), reason
ORDER BY day, action
