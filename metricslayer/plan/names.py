"""Names as users write them (``customer__region``, ``metric_time__month``, ``{{ Dimension(...) }}``)
parsed into typed requests, once, at the edge."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from functools import lru_cache

from ..errors import QueryError
from ..spec.model import DATE_PARTS, GRAINS

METRIC_TIME = "metric_time"
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class ElementRequest:
    """A group-by item or filter reference, not yet resolved against a semantic model."""

    text: str  # how the user wrote it
    chain: tuple[str, ...]  # entity path before the element
    element: str  # dimension or entity name, or metric_time / a metric name
    kind: str  # dimension | entity | metric_time | metric
    grain: str | None = None
    date_part: str | None = None
    metric_group_by: tuple[str, ...] = ()
    descending: bool = False

    def output_name(self, default_grain: str | None = None) -> str:
        """The result column name, as MetricFlow names it."""
        if self.kind == "metric":
            return self.element
        base = "__".join(self.chain + (self.element,))
        if self.date_part:
            return f"{base}__extract_{self.date_part}"
        grain = self.grain or default_grain
        return f"{base}__{grain}" if grain else base


def _check_name(text: str, where: str) -> None:
    if not text or not all(_NAME.match(p) for p in text.split("__")):
        raise QueryError(f"{where} {text!r} is not a valid name",
                         help="names are letters, digits and underscores, joined by '__' "
                              "(e.g. customer__region, metric_time__month)")


def parse_group_by(text: str) -> list[ElementRequest]:
    """All readings of a group-by name, most specific first (``x__ordered_at__month`` may be a grain)."""
    text = text.strip()
    if text.startswith("{{") or "(" in text:
        return [parse_object_call(text)]
    _check_name(text, "group-by item")
    parts = tuple(text.split("__"))
    if parts[0] == METRIC_TIME:
        if len(parts) == 1:
            return [ElementRequest(text, (), METRIC_TIME, "metric_time")]
        if len(parts) == 2:
            return [_metric_time_suffix(text, parts[1])]
    readings = []
    last = parts[-1]
    if len(parts) >= 2 and last in GRAINS:
        readings.append(ElementRequest(text, parts[:-2], parts[-2], "dimension", grain=last))
    if len(parts) >= 2 and last.startswith("extract_") and last[8:] in DATE_PARTS:
        readings.append(ElementRequest(text, parts[:-2], parts[-2], "dimension", date_part=last[8:]))
    readings.append(ElementRequest(text, parts[:-1], last, "dimension"))
    readings.append(ElementRequest(text, parts[:-1], last, "entity"))
    return readings


def _metric_time_suffix(text: str, suffix: str) -> ElementRequest:
    if suffix in GRAINS:
        return ElementRequest(text, (), METRIC_TIME, "metric_time", grain=suffix)
    if suffix.startswith("extract_") and suffix[8:] in DATE_PARTS:
        return ElementRequest(text, (), METRIC_TIME, "metric_time", date_part=suffix[8:])
    # a custom granularity (fiscal_quarter) is checked against the time spine later
    return ElementRequest(text, (), METRIC_TIME, "metric_time", grain=suffix)


# -- Jinja object calls: Dimension(...), TimeDimension(...), Entity(...), Metric(...) ----------------
class _Ref:
    """What a Dimension()/TimeDimension()/Entity()/Metric() call returns while a filter renders."""

    def __init__(self, registry: list, request: ElementRequest):
        self._registry = registry
        self._request = request
        self._index = len(registry)
        registry.append(request)

    def _replace(self, **changes) -> _Ref:
        fields = {**self._request.__dict__, **changes}
        self._registry[self._index] = ElementRequest(**fields)
        self._request = self._registry[self._index]
        return self

    def grain(self, grain: str) -> _Ref:
        return self._replace(grain=str(grain).lower())

    def date_part(self, part: str) -> _Ref:
        return self._replace(date_part=str(part).lower())

    def descending(self, flag: bool = True) -> _Ref:
        return self._replace(descending=bool(flag))

    def __str__(self) -> str:
        return placeholder(self._index)


def placeholder(index: int) -> str:
    return f"__ml_ref_{index}__"


def _dimension_request(text, name, entity_path, kind, grain=None, date_part=None) -> ElementRequest:
    _check_name(name, "name")
    parts = tuple(name.split("__"))
    chain = tuple(entity_path or ()) + parts[:-1]
    if parts[-1] == METRIC_TIME and not chain:
        return ElementRequest(text, (), METRIC_TIME, "metric_time", grain=grain, date_part=date_part)
    return ElementRequest(text, chain, parts[-1], kind, grain=grain, date_part=date_part)


def _functions(registry: list) -> dict:
    def dimension(name, entity_path=(), **_):
        return _Ref(registry, _dimension_request(f"Dimension('{name}')", name, entity_path, "dimension"))

    def time_dimension(name, time_granularity_name=None, entity_path=(), descending=None,
                       date_part_name=None, **_):
        grain = str(time_granularity_name).lower() if time_granularity_name else None
        part = str(date_part_name).lower() if date_part_name else None
        return _Ref(registry, _dimension_request(f"TimeDimension('{name}')", name, entity_path,
                                                 "dimension", grain, part))

    def entity(name, entity_path=(), **_):
        return _Ref(registry, _dimension_request(f"Entity('{name}')", name, entity_path, "entity"))

    def metric(name, group_by=(), **_):
        if isinstance(group_by, str):
            group_by = [group_by]
        return _Ref(registry, ElementRequest(f"Metric('{name}')", (), str(name), "metric",
                                             metric_group_by=tuple(str(g) for g in group_by)))

    return {"Dimension": dimension, "TimeDimension": time_dimension, "Entity": entity, "Metric": metric}


_ENV = None
_EXPRESSION = re.compile(r"\{\{(.*?)\}\}", re.S)


def _environment():
    global _ENV
    if _ENV is None:
        import jinja2
        from jinja2.sandbox import SandboxedEnvironment

        _ENV = SandboxedEnvironment(undefined=jinja2.StrictUndefined)
    return _ENV


def _fast_render(template: str, functions: dict) -> str | None:
    """Render templates made only of plain calls (``{{ Dimension('x', entity_path=['y']).grain('month') }}``)
    without Jinja: parse each call with `ast` (literal arguments only, never evaluated code). None when the
    template needs the real Jinja (control blocks, other expressions)."""
    if "{%" in template or "{#" in template:
        return None
    parts, position = [], 0
    for match in _EXPRESSION.finditer(template):
        try:
            node = ast.parse(match.group(1).strip(), mode="eval").body
            calls = []
            while isinstance(node, ast.Call):
                calls.append(node)
                node = node.func.value if isinstance(node.func, ast.Attribute) else None
                if node is None:
                    break
            if not calls or not isinstance(calls[-1].func, ast.Name) or calls[-1].func.id not in functions:
                return None
            first = calls[-1]
            value = functions[first.func.id](*[ast.literal_eval(a) for a in first.args],
                                             **{k.arg: ast.literal_eval(k.value) for k in first.keywords})
            for call in reversed(calls[:-1]):
                if call.keywords or call.func.attr.startswith("_"):
                    return None
                value = getattr(value, call.func.attr)(*[ast.literal_eval(a) for a in call.args])
        except (SyntaxError, ValueError, TypeError, AttributeError):
            return None
        parts.append(template[position:match.start()])
        parts.append(str(value))
        position = match.end()
    if template.count("{{") != len(parts) // 2:
        return None
    parts.append(template[position:])
    return "".join(parts)


def render_template(template: str) -> tuple[str, list[ElementRequest]]:
    """Render a filter template: each object call becomes a placeholder column; return the refs too."""
    text, refs = _render_cached(template)
    return text, list(refs)


@lru_cache(maxsize=4096)
def _render_cached(template: str) -> tuple[str, tuple[ElementRequest, ...]]:
    registry: list[ElementRequest] = []
    text = _fast_render(template, _functions(registry))
    if text is not None:
        return text, tuple(registry)
    registry.clear()
    import jinja2

    try:
        text = _environment().from_string(template).render(**_functions(registry))
    except jinja2.TemplateError as exc:
        raise QueryError(f"filter {template!r} does not render: {getattr(exc, 'message', exc)}",
                         help="reference names as {{ Dimension('entity__dimension') }}, "
                              "{{ TimeDimension('metric_time', 'day') }}, {{ Entity('x') }} "
                              "or {{ Metric('m', group_by=['entity']) }}") from None
    except TypeError as exc:
        raise QueryError(f"filter {template!r}: {exc}",
                         help="check the arguments of Dimension/TimeDimension/Entity/Metric") from None
    return text, tuple(registry)


def parse_object_call(text: str) -> ElementRequest:
    """A saved query's ``"TimeDimension('metric_time', 'month')"`` group-by item -> request."""
    template = text if text.startswith("{{") else "{{ " + text + " }}"
    _, refs = render_template(template)
    if len(refs) != 1:
        raise QueryError(f"group-by item {text!r} must be one Dimension/TimeDimension/Entity call",
                         help="write e.g. Dimension('customer__region') or TimeDimension('metric_time', 'month')")
    ref = refs[0]
    display = "__".join(ref.chain + (ref.element,)) if ref.kind != "metric" else ref.element
    if ref.kind == "metric_time":
        display = METRIC_TIME
        if ref.grain:
            display += f"__{ref.grain}"
    elif ref.grain:
        display += f"__{ref.grain}"
    return ElementRequest(display, ref.chain, ref.element, ref.kind, ref.grain, ref.date_part)


def parse_order_by(text: str) -> tuple[str, bool]:
    """``-revenue`` -> (``revenue``, descending)."""
    text = text.strip()
    if text.startswith("-"):
        return text[1:].strip(), True
    if text.startswith("{{") or "(" in text:
        template = text if text.startswith("{{") else "{{ " + text + " }}"
        _, refs = render_template(template)
        if len(refs) != 1:
            raise QueryError(f"order_by item {text!r} must be one name or one Metric/Dimension/TimeDimension call",
                             help="write e.g. -revenue or Metric('revenue').descending(True)")
        ref = refs[0]
        request = parse_object_call(text) if ref.kind != "metric" else ref
        return request.output_name(), ref.descending
    return text, False
