-- golden SQL: query multi_model_region, dialect trino. Regenerate: ML_UPDATE_GOLDEN=1 pytest tests/golden
WITH orders_agg AS (
  /* aggregate order_total of semantic model 'orders' by customer__region where {{ Dimension('order__status') }} != 'cancelled' */
  SELECT
    customers.region AS customer__region,
    SUM(orders.order_total) AS order_total
  FROM main.orders AS orders
  LEFT JOIN main.customers AS customers
    ON orders.customer_id = customers.customer_id
  WHERE
    orders.status <> 'cancelled'
  GROUP BY
    customers.region
), sessions_agg AS (
  /* aggregate sessions of semantic model 'sessions' by customer__region */
  SELECT
    customers.region AS customer__region,
    COUNT(sessions.session_id) AS sessions
  FROM main.sessions AS sessions
  LEFT JOIN main.customers AS customers
    ON sessions.customer_id = customers.customer_id
  GROUP BY
    customers.region
), sessions_agg_2 AS (
  /* aggregate sessions of semantic model 'sessions' by customer__region where {{ Dimension('session__form_submitted') }} = true
AND {{ Dimension('session__lead_score') }} >= 50
*/
  SELECT
    customers.region AS customer__region,
    COUNT(sessions.session_id) AS sessions
  FROM main.sessions AS sessions
  LEFT JOIN main.customers AS customers
    ON sessions.customer_id = customers.customer_id
  WHERE
    sessions.form_submitted = TRUE AND sessions.lead_score >= 50
  GROUP BY
    customers.region
)
SELECT
  COALESCE(
    orders_agg.customer__region,
    sessions_agg.customer__region,
    sessions_agg_2.customer__region
  ) AS customer__region,
  COALESCE(orders_agg.order_total, 0) AS revenue,
  sessions_agg.sessions AS sessions,
  sessions_agg_2.sessions AS leads
FROM orders_agg
FULL OUTER JOIN sessions_agg
  ON orders_agg.customer__region IS NOT DISTINCT FROM sessions_agg.customer__region
FULL OUTER JOIN sessions_agg_2
  ON COALESCE(orders_agg.customer__region, sessions_agg.customer__region) IS NOT DISTINCT FROM sessions_agg_2.customer__region
