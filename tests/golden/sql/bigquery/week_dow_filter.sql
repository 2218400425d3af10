-- golden SQL: query week_dow_filter, dialect bigquery. Regenerate: ML_UPDATE_GOLDEN=1 pytest tests/golden
WITH orders_agg AS (
  /* aggregate orders of semantic model 'orders' by metric_time__week, metric_time__extract_dow where {{ Dimension('customer__segment') }} IN ('smb', 'enterprise') and {{ Dimension('order__status') }} != 'cancelled' */
  SELECT
    CAST(DATETIME_TRUNC(CAST(orders.ordered_at AS DATETIME), ISOWEEK) AS DATE) AS metric_time__week,
    (
      MOD(EXTRACT(DAYOFWEEK FROM orders.ordered_at) + 5, 7) + 1
    ) AS metric_time__extract_dow,
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
    CAST(DATETIME_TRUNC(CAST(orders.ordered_at AS DATETIME), ISOWEEK) AS DATE),
    (
      MOD(EXTRACT(DAYOFWEEK FROM orders.ordered_at) + 5, 7) + 1
    )
)
SELECT
  orders_agg.metric_time__week AS metric_time__week,
  orders_agg.metric_time__extract_dow AS metric_time__extract_dow,
  orders_agg.orders AS order_count
FROM orders_agg
