-- golden SQL: query median, dialect postgres. Regenerate: ML_UPDATE_GOLDEN=1 pytest tests/golden
WITH orders_agg AS (
  /* aggregate median_order_total of semantic model 'orders' by metric_time__quarter */
  SELECT
    CAST(DATE_TRUNC('QUARTER', CAST(orders.ordered_at AS TIMESTAMP)) AS DATE) AS metric_time__quarter,
    PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY
      CAST(orders.order_total AS DOUBLE PRECISION)) AS median_order_total
  FROM main.orders AS orders
  GROUP BY
    CAST(DATE_TRUNC('QUARTER', CAST(orders.ordered_at AS TIMESTAMP)) AS DATE)
)
SELECT
  orders_agg.metric_time__quarter AS metric_time__quarter,
  orders_agg.median_order_total AS median_order_value
FROM orders_agg
