-- golden SQL: query week_dow_filter, dialect snowflake. Regenerate: ML_UPDATE_GOLDEN=1 pytest tests/golden
WITH orders_agg AS (
  /* aggregate orders of semantic model 'orders' by metric_time__week, metric_time__extract_dow where {{ Dimension('customer__segment') }} IN ('smb', 'enterprise') and {{ Dimension('order__status') }} != 'cancelled' */
  SELECT
    CAST(DATE_TRUNC('WEEK', orders.ordered_at) AS DATE) AS metric_time__week,
    DATE_PART(DAYOFWEEKISO, orders.ordered_at) AS metric_time__extract_dow,
    COUNT(orders.order_id) AS orders
  FROM main.orders AS orders
  LEFT JOIN main.customers AS customers
    ON orders.customer_id = customers.customer_id
  WHERE
    customers.segment IN ('smb', 'enterprise')
    AND orders.status <> 'cancelled'
    AND orders.ordered_at >= CAST('2024-12-30' AS DATE)
    AND orders.ordered_at < CAST('2025-04-07' AS DATE)
  GROUP BY
    CAST(DATE_TRUNC('WEEK', orders.ordered_at) AS DATE),
    DATE_PART(DAYOFWEEKISO, orders.ordered_at)
)
SELECT
  orders_agg.metric_time__week AS metric_time__week,
  orders_agg.metric_time__extract_dow AS metric_time__extract_dow,
  orders_agg.orders AS order_count
FROM orders_agg
