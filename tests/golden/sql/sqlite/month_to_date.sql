-- golden SQL: query month_to_date, dialect sqlite. Regenerate: ML_UPDATE_GOLDEN=1 pytest tests/golden
WITH orders_agg_periods AS (
  /* aggregate running order_total of semantic model 'orders' by metric_time__day where {{ Dimension('order__status') }} != 'cancelled' */
  SELECT
    DATE(orders.ordered_at) AS metric_time__day,
    SUM(orders.order_total) AS order_total
  FROM main.orders AS orders
  WHERE
    orders.status <> 'cancelled'
    AND orders.ordered_at >= DATE('2025-02-01')
    AND orders.ordered_at < DATE('2025-03-11')
  GROUP BY
    DATE(orders.ordered_at)
), orders_agg_spine AS (
  /* time spine: one row per day */
  SELECT
    DATE(s.period) AS __ml_period
  FROM (
    SELECT
      s.period
    FROM (
      WITH RECURSIVE s(period) AS (
        SELECT
          b.lo
        FROM (
          SELECT
            MIN(orders_agg_periods.metric_time__day) AS lo,
            DATE('2025-03-10') AS hi
          FROM orders_agg_periods
        ) AS b
        UNION ALL
        SELECT
          DATE(s.period, '+1 day')
        FROM s
        CROSS JOIN (
          SELECT
            MIN(orders_agg_periods.metric_time__day) AS lo,
            DATE('2025-03-10') AS hi
          FROM orders_agg_periods
        ) AS b
        WHERE
          DATE(s.period, '+1 day') <= b.hi
      )
      SELECT
        period
      FROM s
    ) AS s
  ) AS s
), orders_agg_framed AS (
  SELECT
    orders_agg_spine.__ml_period AS __ml_period,
    COUNT(orders_agg_periods.metric_time__day) OVER (
      PARTITION BY DATE(DATE(orders_agg_spine.__ml_period, 'start of month'))
      ORDER BY orders_agg_spine.__ml_period ASC
      ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
    ) AS __ml_rows,
    SUM(orders_agg_periods.order_total) OVER (
      PARTITION BY DATE(DATE(orders_agg_spine.__ml_period, 'start of month'))
      ORDER BY orders_agg_spine.__ml_period ASC
      ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
    ) AS order_total
  FROM orders_agg_spine
  LEFT JOIN orders_agg_periods
    ON orders_agg_periods.metric_time__day = orders_agg_spine.__ml_period
), orders_agg_running AS (
  /* aggregate running order_total of semantic model 'orders' by metric_time__day where {{ Dimension('order__status') }} != 'cancelled', month to date (periods with none are left out) */
  SELECT
    __ml_period,
    order_total
  FROM orders_agg_framed
  WHERE
    __ml_rows > 0 AND __ml_period >= DATE('2025-02-20')
), orders_agg AS (
  SELECT
    orders_agg_running.__ml_period AS metric_time__day,
    orders_agg_running.order_total AS order_total
  FROM orders_agg_running
)
SELECT
  orders_agg.metric_time__day AS metric_time__day,
  orders_agg.order_total AS revenue_mtd
FROM orders_agg
