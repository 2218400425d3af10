"""Alerts for scheduled runs: which nodes are off target, and a JSON POST to a webhook."""

from __future__ import annotations

import json
import urllib.request

from .render import clean
from .status import AT_RISK, OFF_TRACK, SEVERITY

LEVELS = {"at-risk": SEVERITY[AT_RISK], "off-track": SEVERITY[OFF_TRACK]}


def off_target(report, level: str = "at-risk") -> list:
    """Nodes at `level` or worse."""
    floor = LEVELS[level]
    return [n for n in report.nodes if SEVERITY.get(n.status, 0) >= floor]


def payload(report, nodes, tree: str | None = None) -> dict:
    return clean({
        "source": "metricslayer kpi status", "as_of": report.as_of.isoformat(), "tree": tree,
        "counts": report.counts(),
        "nodes": [{k: getattr(n, k) for k in ("name", "label", "kind", "status", "owner", "department", "metric",
                                              "actual", "target", "expected", "attainment", "forecast",
                                              "window_start", "window_end", "message")} for n in nodes],
    })


def post_json(url: str, data: dict, timeout: float = 10.0) -> int:
    """POST `data` as JSON; returns the HTTP status; raises OSError (URLError/HTTPError) on failure."""
    if not url.startswith(("http://", "https://")):
        raise OSError("the webhook URL must start with http:// or https://")
    body = json.dumps(data, default=str).encode("utf-8")
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": "application/json",
                                              "User-Agent": "metricslayer-kpi"})
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - http(s) only, checked above
        return response.status
