"""Output formats for findings: text (like ruff), json, github annotations, SARIF 2.1.0, JUnit XML."""

from __future__ import annotations

import json
from xml.sax.saxutils import escape, quoteattr

from .. import __version__
from .issue import ERROR, Issue
from .registry import RULES

FORMATS = ("text", "json", "github", "sarif", "junit")


def render(issues: list[Issue], fmt: str) -> str:
    return {"text": text, "json": as_json, "github": github, "sarif": sarif, "junit": junit}[fmt](issues)


def _where(i: Issue) -> str:
    if not i.file:
        return "metricslayer"
    return f"{i.file}:{max(i.line, 1)}:{max(i.column, 1)}"


def text(issues: list[Issue]) -> str:
    lines = []
    for i in issues:
        lines.append(f"{_where(i)}: {i.code} {'[warning] ' if i.severity != ERROR else ''}{i.message}")
        if i.help:
            lines.append(f"  help: {i.help}")
    errors = sum(1 for i in issues if i.severity == ERROR)
    warnings = len(issues) - errors
    if not issues:
        lines.append("All checks passed!")
    else:
        lines.append(f"Found {errors} error{'s' * (errors != 1)} and {warnings} warning{'s' * (warnings != 1)}.")
    return "\n".join(lines)


def as_json(issues: list[Issue]) -> str:
    return json.dumps([i.to_dict() for i in issues], indent=2)


def _gh_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _gh_prop(value: str) -> str:
    return _gh_data(value).replace(":", "%3A").replace(",", "%2C")


def github(issues: list[Issue]) -> str:
    lines = []
    for i in issues:
        kind = "error" if i.severity == ERROR else "warning"
        props = [f"file={_gh_prop(i.file)}", f"line={max(i.line, 1)}", f"col={max(i.column, 1)}"] if i.file else []
        props.append(f"title={_gh_prop(i.code)}")
        message = i.message + (f" (help: {i.help})" if i.help else "")
        lines.append(f"::{kind} {','.join(props)}::{_gh_data(message)}")
    return "\n".join(lines)


def sarif(issues: list[Issue]) -> str:
    codes = sorted({i.code for i in issues} | set())
    rules = []
    for code in codes:
        r = RULES.get(code)
        rules.append({"id": code, "name": r.name if r else code,
                      "shortDescription": {"text": r.summary if r else code},
                      "fullDescription": {"text": (r.what if r else code)},
                      "help": {"text": r.doc() if r else code, "markdown": r.doc() if r else code},
                      "defaultConfiguration": {"level": (r.severity if r else "error")}})
    results = []
    for i in issues:
        result = {"ruleId": i.code, "ruleIndex": codes.index(i.code),
                  "level": "error" if i.severity == ERROR else "warning",
                  "message": {"text": i.message + (f"\nhelp: {i.help}" if i.help else "")}}
        if i.file:
            result["locations"] = [{"physicalLocation": {
                "artifactLocation": {"uri": i.file, "uriBaseId": "%SRCROOT%"},
                "region": {"startLine": max(i.line, 1), "startColumn": max(i.column, 1)}}}]
        results.append(result)
    doc = {"$schema": "https://json.schemastore.org/sarif-2.1.0.json", "version": "2.1.0",
           "runs": [{"tool": {"driver": {"name": "metricslayer", "version": __version__,
                                         "informationUri": "https://github.com/metricslayer/metricslayer",
                                         "rules": rules}},
                     "results": results}]}
    return json.dumps(doc, indent=2)


def junit(issues: list[Issue]) -> str:
    errors = sum(1 for i in issues if i.severity == ERROR)
    cases = []
    for i in issues:
        name = quoteattr(f"{i.code} {_where(i)}")
        body = escape(f"{_where(i)}: {i.code} {i.message}" + (f"\nhelp: {i.help}" if i.help else ""))
        tag = "failure" if i.severity == ERROR else "skipped"
        cases.append(f'    <testcase classname={quoteattr(i.file or "metricslayer")} name={name}>\n'
                     f'      <{tag} message={quoteattr(i.message)} type={quoteattr(i.code)}>{body}</{tag}>\n'
                     f'    </testcase>')
    if not issues:
        cases.append('    <testcase classname="metricslayer" name="lint"/>')
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<testsuites name="metricslayer lint" tests="{max(len(issues), 1)}" failures="{errors}">\n'
            f'  <testsuite name="metricslayer lint" tests="{max(len(issues), 1)}" failures="{errors}" '
            f'skipped="{len(issues) - errors}">\n' + "\n".join(cases) + "\n  </testsuite>\n</testsuites>")
