-- golden SQL: query month_to_date, dialect clickhouse. Regenerate: ML_UPDATE_GOLDEN=1 pytest tests/golden
WITH orders_agg_periods AS (
  /* aggregate running order_total of semantic model 'orders' by metric_time__day where {{ Dimension('order__status') }} != 'cancelled' */
  SELECT
    CAST(orders.ordered_at AS Nullable(DATE)) AS metric_time__day,
    SUM(orders.order_total) AS order_total
  FROM main.orders AS orders
  WHERE
    orders.status <> 'cancelled'
    AND orders.ordered_at >= CAST('2025-02-01' AS Nullable(DATE))
    AND orders.ordered_at < CAST('2025-03-11' AS Nullable(DATE))
  GROUP BY
    CAST(orders.ordered_at AS Nullable(DATE))
), orders_agg_spine AS (
  /* time spine: one row per day */
  SELECT
    CAST(arrayJoin(
      arrayMap(
        i -> DATE_ADD(DAY, i * 1, bounds.lo),
        range(
          toUInt64(
            intDiv(
              DATE_DIFF(DAY, CAST(bounds.lo AS Nullable(DATE)), CAST(bounds.hi AS Nullable(DATE))),
              1
            ) + 1
          )
        )
      )
    ) AS Nullable(DATE)) AS __ml_period
  FROM (
    SELECT
      MIN(orders_agg_periods.metric_time__day) AS lo,
      CAST('2025-03-10' AS Nullable(DATE)) AS hi
    FROM orders_agg_periods
  ) AS bounds
), orders_agg_framed AS (
  SELECT
    orders_agg_spine.__ml_period AS __ml_period,
    COUNT(orders_agg_periods.metric_time__day) OVER (
      PARTITION BY CAST(dateTrunc('MONTH', orders_agg_spine.__ml_period) AS Nullable(DATE))
      ORDER BY orders_agg_spine.__ml_period ASC NULLS FIRST
      ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
    ) AS __ml_rows,
    SUM(orders_agg_periods.order_total) OVER (
      PARTITION BY CAST(dateTrunc('MONTH', orders_agg_spine.__ml_period) AS Nullable(DATE))
      ORDER BY orders_agg_spine.__ml_period ASC NULLS FIRST
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
    __ml_rows > 0 AND __ml_period >= CAST('2025-02-20' AS Nullable(DATE))
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
