-- golden SQL: query week_dow_filter, dialect sqlite. Regenerate: ML_UPDATE_GOLDEN=1 pytest tests/golden
WITH orders_agg AS (
  /* aggregate orders of semantic model 'orders' by metric_time__week, metric_time__extract_dow where {{ Dimension('customer__segment') }} IN ('smb', 'enterprise') and {{ Dimension('order__status') }} != 'cancelled' */
  SELECT
    DATE(
      DATE(
        orders.ordered_at,
        '-' || (
          (
            (
              CAST(STRFTIME('%w', orders.ordered_at) AS INTEGER) + 6
            ) % 7
          ) + 1 - 1
        ) || ' days'
      )
    ) AS metric_time__week,
    (
      (
        (
          CAST(STRFTIME('%w', orders.ordered_at) AS INTEGER) + 6
        ) % 7
      ) + 1
    ) AS metric_time__extract_dow,
    COUNT(orders.order_id) AS orders
  FROM main.orders AS orders
  LEFT JOIN main.customers AS customers
    ON orders.customer_id = customers.customer_id
  WHERE
    customers.segment IN ('smb', 'enterprise')
    AND orders.status <> 'cancelled'
    AND orders.ordered_at >= DATE('2024-12-30')
    AND orders.ordered_at < DATE('2025-04-07')
  GROUP BY
    DATE(
      DATE(
        orders.ordered_at,
        '-' || (
          (
            (
              CAST(STRFTIME('%w', orders.ordered_at) AS INTEGER) + 6
            ) % 7
          ) + 1 - 1
        ) || ' days'
      )
    ),
    (
      (
        (
          CAST(STRFTIME('%w', orders.ordered_at) AS INTEGER) + 6
        ) % 7
      ) + 1
    )
)
SELECT
  orders_agg.metric_time__week AS metric_time__week,
  orders_agg.metric_time__extract_dow AS metric_time__extract_dow,
  orders_agg.orders AS order_count
FROM orders_agg
