"""ML4xx time: granularity, agg_time_dimension, windows and offsets."""

from __future__ import annotations

import re

from ...errors import did_you_mean
from ...spec.model import GRAIN_RANK, GRAINS
from ..context import LintContext
from ..issue import at
from ..registry import rule

WINDOW = re.compile(r"^\s*(\d+)\s+([a-z_]+?)s?\s*$", re.I)


@rule("ML401", "time-dimension-without-granularity", "A time dimension does not state its granularity.",
      what="Time dimensions should say `type_params: {time_granularity: day}` (or their real grain).",
      why="The grain decides which metric_time grains are valid; an unstated grain is assumed to be day, "
          "which is wrong for monthly snapshots and too coarse for event timestamps. MetricFlow requires it.",
      severity="warning",
      example="dimensions:\n  - name: ordered_at\n    type: time",
      fix="dimensions:\n  - name: ordered_at\n    type: time\n    type_params: {time_granularity: day}")
def time_without_grain(ctx: LintContext):
    for source, model, _ in ctx.raw_items("semantic_models"):
        dims = model.get("dimensions")
        if not isinstance(dims, list):
            continue
        for i, dim in enumerate(dims):
            if not isinstance(dim, dict) or str(dim.get("type", "")).lower() != "time":
                continue
            params = dim.get("type_params")
            if not isinstance(params, dict) or not params.get("time_granularity"):
                loc = source.loc(dims.pos(i) if hasattr(dims, "pos") else (0, 0))
                yield at(loc, "ML401", f"time dimension '{dim.get('name')}' has no time_granularity",
                         "add type_params: {time_granularity: day} (or its real grain)")


@rule("ML402", "bad-agg-time-dimension", "agg_time_dimension does not name a time dimension of the semantic model.",
      what="`defaults.agg_time_dimension` of a semantic model and `agg_time_dimension` of a measure must name "
           "a dimension of type time in the same semantic model.",
      why="metric_time is undefined for the measures, so no time series of their metrics compiles.",
      example="defaults: {agg_time_dimension: order_date}\ndimensions:\n  - {name: ordered_at, type: time}",
      fix="defaults: {agg_time_dimension: ordered_at}\ndimensions:\n  - {name: ordered_at, type: time}")
def bad_agg_time(ctx: LintContext):
    for model in ctx.spec.semantic_models.values():
        times = [d.name for d in model.dimensions if d.is_time]
        checks = [(model.default_agg_time_dimension, model.loc, f"semantic model '{model.name}'")]
        checks += [(m.agg_time_dimension, m.loc, f"measure '{m.name}'") for m in model.measures]
        for name, loc, what in checks:
            if not name:
                continue
            dim = model.dimension(str(name))
            if dim is None:
                yield at(loc, "ML402", f"agg_time_dimension '{name}' of {what} is not a dimension of "
                         f"semantic model '{model.name}'", did_you_mean(str(name), times) or "add the time dimension")
            elif not dim.is_time:
                yield at(loc, "ML402", f"agg_time_dimension '{name}' of {what} is a {dim.type} dimension, "
                         "not a time dimension", did_you_mean(str(name), times) or "name a dimension of type: time")


@rule("ML403", "measure-without-agg-time", "A measure has no agg_time_dimension (nor a model default).",
      what="Every measure needs a time dimension to aggregate over: its own `agg_time_dimension` or the "
           "semantic model's `defaults.agg_time_dimension`.",
      why="Without one the measure's metrics cannot be grouped by metric_time or filtered to a period.",
      example="semantic_models:\n  - name: orders\n    measures: [{name: revenue, agg: sum}]",
      fix="semantic_models:\n  - name: orders\n    defaults: {agg_time_dimension: ordered_at}\n"
          "    measures: [{name: revenue, agg: sum}]")
def measure_without_time(ctx: LintContext):
    for model in ctx.spec.semantic_models.values():
        for measure in model.measures:
            if not model.agg_time_dimension(measure):
                yield at(measure.loc, "ML403", f"measure '{measure.name}' of semantic model '{model.name}' has no "
                         "agg_time_dimension", "set defaults.agg_time_dimension on the semantic model")


def window_problem(text: str | None) -> str:
    """'' when `text` is a window like '7 days' / '1 month', else what is wrong."""
    if text is None:
        return ""
    match = WINDOW.match(str(text))
    if not match:
        return f"'{text}' is not a window like '7 days' or '1 month'"
    grain = match.group(2).lower()
    if grain not in GRAINS:
        return f"'{text}': unknown grain '{grain}'" + (f" ({did_you_mean(grain, GRAINS)})"
                                                       if did_you_mean(grain, GRAINS) else "")
    if int(match.group(1)) <= 0:
        return f"'{text}': the count must be positive"
    return ""


@rule("ML404", "bad-window", "A window or offset does not parse ('7 days', '1 month').",
      what="Cumulative `window`, conversion `window` and input `offset_window` are '<count> <grain>'; "
           "`grain_to_date` and `offset_to_grain` are grains.",
      why="The metric does not compile.",
      example="cumulative_type_params: {window: 7 dayz}", fix="cumulative_type_params: {window: 7 days}")
def bad_windows(ctx: LintContext):
    for metric in ctx.spec.metrics.values():
        checks = [(metric.window, metric.loc, "window")]
        if metric.conversion:
            checks.append((metric.conversion.window, metric.loc, "conversion window"))
        for _kind, item in ctx.metric_inputs(metric):
            checks.append((item.offset_window, item.loc or metric.loc, f"offset_window of '{item.name}'"))
            if item.offset_to_grain and item.offset_to_grain.lower() not in GRAINS:
                yield at(item.loc or metric.loc, "ML404", f"offset_to_grain '{item.offset_to_grain}' of metric "
                         f"'{metric.name}' is not a grain", did_you_mean(item.offset_to_grain, GRAINS) or
                         "use day, week, month, quarter or year")
        if metric.grain_to_date and metric.grain_to_date.lower() not in GRAINS:
            yield at(metric.loc, "ML404", f"grain_to_date '{metric.grain_to_date}' of metric '{metric.name}' is "
                     "not a grain", did_you_mean(metric.grain_to_date, GRAINS) or "use month, quarter or year")
        for text, loc, what in checks:
            problem = window_problem(text)
            if problem:
                yield at(loc, "ML404", f"{what} of metric '{metric.name}': {problem}",
                         "write the window as '<count> <grain>', e.g. '7 days'")


@rule("ML405", "metric-grain-too-fine", "A metric's time_granularity is finer than its measures' time dimension.",
      what="`time_granularity` on a metric sets its default grain; it cannot be finer than the grain of the "
           "agg_time_dimension of any measure it uses.",
      why="Every default query of the metric fails.",
      example="# ordered_at has grain month\nmetrics:\n  - name: revenue\n    time_granularity: day",
      fix="metrics:\n  - name: revenue\n    time_granularity: month")
def grain_too_fine(ctx: LintContext):
    for metric in ctx.spec.metrics.values():
        grain = str(metric.time_granularity or "").lower()
        if grain not in GRAIN_RANK:
            continue
        for model_name in sorted(ctx.models_of(metric.name)):
            model = ctx.spec.semantic_models[model_name]
            for measure in model.measures:
                dim = model.dimension(model.agg_time_dimension(measure) or "")
                if dim and dim.is_time and GRAIN_RANK[grain] < GRAIN_RANK.get(dim.granularity or "day", 0):
                    yield at(metric.loc, "ML405", f"metric '{metric.name}' has time_granularity {grain}, finer "
                             f"than the {dim.granularity} grain of '{model.name}.{dim.name}'",
                             f"use {dim.granularity} or coarser")
                    break
            else:
                continue
            break


@rule("ML406", "bad-non-additive-dimension", "non_additive_dimension does not name a time dimension of the model.",
      what="Semi-additive measures (balances, MRR) name the time dimension they must not be summed over.",
      why="The measure would be summed across snapshots, multiplying balances.",
      example="non_additive_dimension: {name: snapshot_dt}", fix="non_additive_dimension: {name: snapshot_date}")
def bad_non_additive(ctx: LintContext):
    for model in ctx.spec.semantic_models.values():
        times = [d.name for d in model.dimensions if d.is_time]
        for measure in model.measures:
            nad = measure.non_additive_dimension
            if nad is None:
                continue
            if nad.name not in times:
                yield at(measure.loc, "ML406", f"non_additive_dimension '{nad.name}' of measure '{measure.name}' "
                         f"is not a time dimension of semantic model '{model.name}'",
                         did_you_mean(nad.name, times) or "name a dimension of type: time")
            if nad.window_choice not in ("min", "max"):
                yield at(measure.loc, "ML406", f"window_choice '{nad.window_choice}' of measure '{measure.name}' "
                         "must be min or max", "use window_choice: min (first snapshot) or max (last)")
