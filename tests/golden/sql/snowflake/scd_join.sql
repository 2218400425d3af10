-- golden SQL: query scd_join, dialect snowflake. Regenerate: ML_UPDATE_GOLDEN=1 pytest tests/golden
WITH orders_agg AS (
  /* aggregate order_total of semantic model 'orders' by customer__tier where {{ Dimension('order__status') }} != 'cancelled' */
  SELECT
    customer_tiers.tier AS customer__tier,
    SUM(orders.order_total) AS order_total
  FROM main.orders AS orders
  LEFT JOIN main.customer_tiers AS customer_tiers
    ON orders.customer_id = customer_tiers.customer_id
    AND CAST(orders.ordered_at AS DATE) >= customer_tiers.valid_from
    AND (
      CAST(orders.ordered_at AS DATE) < customer_tiers.valid_to
      OR customer_tiers.valid_to IS NULL
    )
  WHERE
    orders.status <> 'cancelled'
  GROUP BY
    customer_tiers.tier
)
SELECT
  orders_agg.customer__tier AS customer__tier,
  COALESCE(orders_agg.order_total, 0) AS revenue
FROM orders_agg
ORDER BY
  revenue DESC NULLS LAST
LIMIT 5
