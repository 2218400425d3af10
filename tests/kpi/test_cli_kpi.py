"""The `kpi` click group and `report` command, invoked with CliRunner: output, JSON, exit codes, webhook."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from click.testing import CliRunner
from conftest import TINY_KPIS

from metricslayer.cli_kpi import kpi, report

AS_OF = ["--as-of", "2025-03-31"]


def run(command, args, project):
    return CliRunner().invoke(command, [*args, "--project-dir", str(project.root)], catch_exceptions=False)


def test_status_table_and_exit_0(tiny):
    result = run(kpi, ["status", *AS_OF], tiny)
    assert result.exit_code == 0, result.output
    assert "Revenue 2025" in result.output and "at-risk" in result.output and "on-track" in result.output


def test_status_json(tiny):
    result = run(kpi, ["status", *AS_OF, "--format", "json"], tiny)
    data = json.loads(result.output)
    assert data["as_of"] == "2025-03-31" and data["counts"] == {"on-track": 5, "at-risk": 2}
    node = next(n for n in data["nodes"] if n["name"] == "revenue_2025")
    assert node["actual"] == 36000 and node["status"] == "on-track" and node["owner"] == "cfo@acme.test"


@pytest.mark.parametrize("level,code", [("at-risk", 1), ("off-track", 0)])
def test_fail_on(tiny, level, code):
    assert run(kpi, ["status", *AS_OF, "--fail-on", level], tiny).exit_code == code


def test_fail_on_off_track(make_tiny):
    project = make_tiny(TINY_KPIS.replace("target: 0.05", "target: 0.08"))  # cvr 0.04 / 0.08 = 50 %
    assert run(kpi, ["status", *AS_OF, "--fail-on", "off-track"], project).exit_code == 1


def test_timing_and_tree(tiny):
    result = CliRunner().invoke(kpi, ["status", *AS_OF, "--tree", "shop", "--timing", "--project-dir",
                                      str(tiny.root)])
    assert result.exit_code == 0
    assert "timing: kpi status" in result.output and "queries" in result.output
    assert "Revenue 2025" not in result.output


def test_unknown_tree_and_bad_flags_exit_2(tiny):
    result = run(kpi, ["status", "--tree", "shopp"], tiny)
    assert result.exit_code == 2 and "unknown KPI tree 'shopp'" in result.output and "did you mean" in result.output
    assert run(kpi, ["status", "--fail-on", "bad"], tiny).exit_code == 2
    assert run(kpi, ["status", "--as-of", "31/03/2025"], tiny).exit_code == 2


def test_node_error_exits_1_but_prints_the_tree(make_tiny):
    project = make_tiny(TINY_KPIS + "  - {name: broken, parent: shop, metric: nope, target: 1, period: month}\n")
    result = run(kpi, ["status", *AS_OF, "--format", "json"], project)
    assert result.exit_code == 1
    data = json.loads(result.output)
    broken = next(n for n in data["nodes"] if n["name"] == "broken")
    assert broken["status"] == "error" and "unknown metric" in broken["message"].lower() or "nope" in broken["message"]


class _Hook(BaseHTTPRequestHandler):
    received: list = []

    def do_POST(self):  # noqa: N802 - http.server's naming
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append((self.path, self.headers["Content-Type"], json.loads(body)))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def webhook():
    _Hook.received = []
    server = HTTPServer(("127.0.0.1", 0), _Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", _Hook.received
    server.shutdown()
    server.server_close()


def test_notify_posts_off_target_nodes_with_owners(tiny, webhook):
    url, received = webhook
    result = run(kpi, ["status", *AS_OF, "--notify", url, "--format", "json"], tiny)
    assert result.exit_code == 0
    path, content_type, body = received[0]
    assert path == "/hook" and content_type == "application/json"
    assert body["as_of"] == "2025-03-31"
    assert {(n["name"], n["status"], n["owner"]) for n in body["nodes"]} == {
        ("cvr_q", "at-risk", "shop@acme.test"), ("shop", "at-risk", "shop@acme.test")}


def test_notify_failure_exits_1(tiny):
    result = run(kpi, ["status", *AS_OF, "--notify", "http://127.0.0.1:9/nothing-listens"], tiny)
    assert result.exit_code == 1 and "could not post" in result.output


def test_check_passes_and_fails(make_tiny):
    good = make_tiny()
    result = run(kpi, ["check", *AS_OF], good)
    assert result.exit_code == 0 and "holds in 3 month(s)" in result.output
    drifted = make_tiny(TINY_KPIS.replace("revenue = visits * cvr * aov", "revenue = visits * aov"))
    result = run(kpi, ["check", *AS_OF, "--format", "json"], drifted)
    assert result.exit_code == 1
    data = json.loads(result.output)[0]
    assert not data["ok"] and len([p for p in data["periods"] if not p["ok"]]) == 3


def test_identity_that_does_not_parse_names_file_and_line(make_tiny):
    project = make_tiny(TINY_KPIS.replace("revenue = visits * cvr * aov", "revenue = visits * * aov"))
    result = run(kpi, ["check", *AS_OF], project)
    assert result.exit_code == 2
    assert "metrics/kpis.yml:4" in result.output and "does not parse" in result.output


def test_identity_with_unknown_metric(make_tiny):
    project = make_tiny(TINY_KPIS.replace("visits * cvr * aov", "visits * cvrr * aov"))
    result = run(kpi, ["check", *AS_OF], project)
    assert result.exit_code == 2 and "'cvrr', which is not a metric" in result.output


def test_explain_by_identity(tiny):
    result = run(kpi, ["explain", "revenue_2025", "--period", "2025-03", "--vs", "2025-02", "--format", "json"],
                 tiny)
    data = json.loads(result.output)
    # 31 days vs 28 days of 400/day: all of the change comes from visits
    assert data["change"] == pytest.approx(1200.0) and data["method"] == "shapley"
    contributions = {d["name"]: d["contribution"] for d in data["drivers"]}
    assert contributions["visits"] == pytest.approx(1200.0)
    assert contributions["cvr"] == pytest.approx(0.0, abs=1e-9) and contributions["aov"] == pytest.approx(0, abs=1e-9)
    assert sum(contributions.values()) == pytest.approx(data["change"])


def test_explain_by_segment_table(tiny):
    result = run(kpi, ["explain", "revenue_2025", "--period", "2025-03", "--vs", "2025-02", "--by", "row__channel"],
                 tiny)
    assert result.exit_code == 0, result.output
    assert "segments (additive)" in result.output and "web" in result.output and "+750" in result.output


def test_explain_errors(tiny):
    assert run(kpi, ["explain", "nope", "--period", "2025-03", "--vs", "2025-02"], tiny).exit_code == 2
    result = run(kpi, ["explain", "shop", "--period", "2025-03", "--vs", "2025-02"], tiny)
    assert result.exit_code == 2 and "has no metric" in result.output
    result = run(kpi, ["explain", "cvr_q", "--period", "March", "--vs", "2025-02"], tiny)
    assert result.exit_code == 2 and "is not a period" in result.output


def test_report_command(tiny, tmp_path):
    result = run(report, ["--out", str(tmp_path / "site"), *AS_OF], tiny)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "site" / "index.html").exists() and (tmp_path / "site" / "catalog.html").exists()
