"""Broken YAML never makes the linter crash: mutated keys, wrong types, truncated files, random Jinja."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lint_helpers import BASE, run, write

SOURCES = [BASE["models/shop.yml"], BASE["metrics/shop.yml"], BASE["metrics/kpis.yml"]]
JINJA = ["{{", "}}", "{%", "%}", "{{ var('x') }}", "{% if %}", "{{ undefined_name }}", "{{ 1/0 }}",
         "{% for x in y %}", "{# ", "{{ Dimension('a__b') }}", "{{ ref('x') }}", "{{ env_var('NOPE') }}"]
NOISE = ["-", ":", " ", "\n", "  ", "'", '"', "[", "]", "{", "}", "#", "&a", "*a", "!!python/object", "\t",
         "name", "type", "agg", "null", "~", "1e9", "true"]


@st.composite
def broken_file(draw) -> str:
    text = draw(st.sampled_from(SOURCES))
    for _ in range(draw(st.integers(1, 4))):
        action = draw(st.sampled_from(["truncate", "insert", "delete", "swap_key", "replace_value"]))
        at = draw(st.integers(0, max(len(text) - 1, 0)))
        if action == "truncate":
            text = text[:at]
        elif action == "insert":
            text = text[:at] + draw(st.sampled_from(JINJA + NOISE) | st.text(max_size=6)) + text[at:]
        elif action == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 20)):]
        elif action == "swap_key":
            key = draw(st.sampled_from(["name:", "type:", "agg:", "measure:", "expr:", "filter:", "entities:",
                                        "parent:", "kind:", "target:", "type_params:", "metrics:"]))
            text = text.replace(key, draw(st.sampled_from(["nmae:", "typ:", "agg: [1, 2]\n", ": x", "- ", "[]:"])) + key, 1) \
                if draw(st.booleans()) else text.replace(key, key + " 42 #", 1)
        else:
            value = draw(st.sampled_from(["{}", "[]", "null", "3.5", "yes", "'{{'", "[a, [b]]"]))
            text = text.replace(": ", f": {value} ", 1) if draw(st.booleans()) else text.replace(
                ": ", ": " + value + "\n  ", 1)
    return text


@settings(max_examples=int(__import__("os").environ.get("ML_FUZZ_EXAMPLES", "60")), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(["models/shop.yml", "metrics/shop.yml", "metrics/kpis.yml",
                                           "metricslayer.yml"]), broken_file()), min_size=1, max_size=3),
       st.sampled_from(["text", "json", "github", "sarif", "junit"]))
def test_broken_yaml_never_crashes(files, fmt):
    root = Path(tempfile.mkdtemp(prefix="ml-fuzz-"))
    try:
        write(root, {**BASE, **dict(files)})
        result = run(root, "--format", fmt)
        assert result.exit_code in (0, 1, 2), result.output
        assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
        assert "Traceback" not in result.output and "internal error" not in result.output
        if fmt == "json" and result.stdout.strip():
            for item in json.loads(result.stdout):
                assert item["code"] != "ML000", item
                assert item["line"] >= 0 and item["column"] >= 0
    finally:
        shutil.rmtree(root, ignore_errors=True)
