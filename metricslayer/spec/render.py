"""Sandboxed, strict Jinja rendering of definition files and SQL models, with line mapping."""

from __future__ import annotations

import difflib
import os
import re
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from ..errors import DefinitionError

# MetricFlow's filter helpers stay as written at load time: they are rendered per query.
QUERY_TEMPLATE_FUNCTIONS = ("Dimension", "TimeDimension", "Entity", "Metric")


class _Passthrough:
    """Renders back to the call that produced it, e.g. ``{{ Dimension('customer__region') }}``."""

    def __init__(self, call: str):
        self._call = call

    def __str__(self) -> str:
        return "{{ " + self._call + " }}"

    def __getattr__(self, method: str):
        if method.startswith("_"):
            raise AttributeError(method)

        def chained(*args, **kwargs):
            return _Passthrough(f"{self._call}.{method}({_args(args, kwargs)})")

        return chained


def _args(args, kwargs) -> str:
    parts = [repr(a) for a in args] + [f"{k}={v!r}" for k, v in kwargs.items()]
    return ", ".join(parts)


def _passthrough_function(name: str):
    def call(*args, **kwargs):
        return _Passthrough(f"{name}({_args(args, kwargs)})")

    return call


ENV_READS: dict[str, str | None] | None = None  # set while a project loads: what env_var() read


def _env_var(name: str, default: Any = None) -> Any:
    if ENV_READS is not None:
        ENV_READS[name] = os.environ.get(name)
    value = os.environ.get(name, default)
    if value is None:
        raise jinja2.UndefinedError(
            f"environment variable {name!r} is not set; set it or give env_var() a default"
        )
    return value


def make_var_function(variables: dict[str, Any]) -> Callable:
    def var(name: str, default: Any = jinja2.Undefined) -> Any:
        if name in variables:
            return variables[name]
        if default is not jinja2.Undefined:
            return default
        raise jinja2.UndefinedError(
            f"var {name!r} is not defined; pass --vars '{{{name}: ...}}', add it to vars: in "
            f"metricslayer.yml, or give var() a default"
        )

    return var


def make_environment(variables: dict[str, Any], extra_globals: dict[str, Any] | None = None) -> SandboxedEnvironment:
    """A sandboxed Jinja environment where an undefined name is an error."""
    env = SandboxedEnvironment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
                               extensions=["jinja2.ext.do"])
    env.globals.update(var=make_var_function(variables), env_var=_env_var)
    for name in QUERY_TEMPLATE_FUNCTIONS:
        env.globals[name] = _passthrough_function(name)
    env.globals.update(
        ref=lambda *a: f"ref({_args(a, {})})",
        source=lambda *a: f"source({_args(a, {})})",
        doc=lambda name: name,
    )
    if extra_globals:
        env.globals.update(extra_globals)
    return env


def load_macros(env: SandboxedEnvironment, macro_files: list[Path], root: Path) -> None:
    """Register every ``{% macro %}`` in `macro_files` as a global of `env`."""
    for path in macro_files:
        rel = _rel(path, root)
        source = path.read_text(encoding="utf-8")
        module = _render_module(env, source, rel)
        for name in dir(module):
            if not name.startswith("_"):
                env.globals[name] = getattr(module, name)


def _render_module(env, source: str, rel: str):
    try:
        return env.from_string(source).make_module()
    except jinja2.TemplateError as exc:
        raise _jinja_error(exc, rel) from None


def render(env: SandboxedEnvironment, source: str, file: str, context: dict | None = None) -> tuple[str, Callable[[int], int]]:
    """Render `source`; return the text and a function mapping a rendered line to a source line."""
    if "{%" not in source and "{#" not in source and _only_query_calls(source):
        return source, _identity
    try:
        template = env.from_string(source)
        rendered = template.render(**(context or {}))
    except jinja2.TemplateError as exc:
        raise _jinja_error(exc, file) from None
    except Exception as exc:  # a macro or filter that raised: still a user error at a template line
        raise DefinitionError(f"Jinja rendering failed: {exc}", file=file, line=_template_line(exc),
                              help="fix the template expression on that line") from None
    return rendered, line_mapper(source, rendered)


_EXPRESSION = re.compile(r"\{\{(.*?)\}\}", re.S)
_QUERY_CALL = re.compile(r"^\s*(?:" + "|".join(QUERY_TEMPLATE_FUNCTIONS) + r")\s*\(")


def _only_query_calls(source: str) -> bool:
    """True when every {{ }} in `source` is a query-time call that rendering would give back unchanged."""
    if "{{" not in source:
        return True
    expressions = _EXPRESSION.findall(source)
    return len(expressions) == source.count("{{") and all(
        _QUERY_CALL.match(inner) and "var(" not in inner for inner in expressions)


def _identity(line: int) -> int:
    return line


def line_mapper(source: str, rendered: str) -> Callable[[int], int]:
    """Map rendered lines back to source lines (exact where a line survived rendering unchanged)."""
    src_lines, out_lines = source.splitlines(), rendered.splitlines()
    if len(src_lines) == len(out_lines):
        return _identity
    mapping: dict[int, int] = {}
    matcher = difflib.SequenceMatcher(a=src_lines, b=out_lines, autojunk=False)
    for tag, a0, a1, b0, b1 in matcher.get_opcodes():
        for j in range(b0, b1):
            if tag == "equal":
                mapping[j + 1] = a0 + (j - b0) + 1
            else:  # text produced by a tag or macro: blame the template line that produced it
                mapping[j + 1] = min(a0 + (j - b0), max(a1 - 1, a0)) + 1
    return lambda line: mapping.get(line, line)


def _template_line(exc: BaseException) -> int:
    """The innermost template line in the traceback of an error raised while rendering."""
    lines = [f.lineno for f in traceback.extract_tb(exc.__traceback__) if f.filename == "<template>"]
    return lines[-1] if lines else 0


def _jinja_error(exc: jinja2.TemplateError, file: str) -> DefinitionError:
    line = getattr(exc, "lineno", None) or _template_line(exc)
    message = getattr(exc, "message", None) or str(exc)
    if isinstance(exc, jinja2.UndefinedError):
        help_text = "define it (vars: in metricslayer.yml, --vars, a macro in macros/) or give it a default"
    elif isinstance(exc, jinja2.TemplateSyntaxError):
        help_text = "fix the Jinja syntax: every {{ needs }}, every {% if %} an {% endif %}"
    else:
        help_text = "fix the template expression on that line"
    return DefinitionError(f"Jinja error: {message}", help=help_text, file=file, line=line or None)


def _rel(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)
