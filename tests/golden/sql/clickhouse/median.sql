-- golden SQL: query median, dialect clickhouse. Regenerate: ML_UPDATE_GOLDEN=1 pytest tests/golden
WITH orders_agg AS (
  /* aggregate median_order_total of semantic model 'orders' by metric_time__quarter */
  SELECT
    CAST(dateTrunc('QUARTER', orders.ordered_at) AS Nullable(DATE)) AS metric_time__quarter,
    quantileExactInclusive(0.5)(toFloat64(CAST(orders.order_total AS Nullable(Float64)))) AS median_order_total
  FROM main.orders AS orders
  GROUP BY
    CAST(dateTrunc('QUARTER', orders.ordered_at) AS Nullable(DATE))
)
SELECT
  orders_agg.metric_time__quarter AS metric_time__quarter,
  orders_agg.median_order_total AS median_order_value
FROM orders_agg
