-- golden SQL: query median, dialect spark. Regenerate: ML_UPDATE_GOLDEN=1 pytest tests/golden
WITH orders_agg AS (
  /* aggregate median_order_total of semantic model 'orders' by metric_time__quarter */
  SELECT
    CAST(DATE_TRUNC('QUARTER', orders.ordered_at) AS DATE) AS metric_time__quarter,
    PERCENTILE(CAST(orders.order_total AS DOUBLE), 0.5) AS median_order_total
  FROM main.orders AS orders
  GROUP BY
    CAST(DATE_TRUNC('QUARTER', orders.ordered_at) AS DATE)
)
SELECT
  orders_agg.metric_time__quarter AS metric_time__quarter,
  orders_agg.median_order_total AS median_order_value
FROM orders_agg
