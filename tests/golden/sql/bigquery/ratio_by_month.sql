-- golden SQL: query ratio_by_month, dialect bigquery. Regenerate: ML_UPDATE_GOLDEN=1 pytest tests/golden
WITH orders_agg AS (
  /* aggregate order_total, orders of semantic model 'orders' by metric_time__month where {{ Dimension('order__status') }} != 'cancelled' */
  SELECT
    CAST(DATETIME_TRUNC(CAST(orders.ordered_at AS DATETIME), MONTH) AS DATE) AS metric_time__month,
    SUM(orders.order_total) AS order_total,
    COUNT(orders.order_id) AS orders
  FROM main.orders AS orders
  WHERE
    orders.status <> 'cancelled'
  GROUP BY
    CAST(DATETIME_TRUNC(CAST(orders.ordered_at AS DATETIME), MONTH) AS DATE)
)
SELECT
  orders_agg.metric_time__month AS metric_time__month,
  COALESCE(orders_agg.order_total, 0) AS revenue,
  orders_agg.orders AS order_count,
  CAST(COALESCE(orders_agg.order_total, 0) AS FLOAT64) / NULLIF(CAST(orders_agg.orders AS FLOAT64), 0) AS aov
FROM orders_agg
