"""`report --out DIR`: a static, offline site; and a headless Chromium test of its main page.

The browser test skips when no chromium is installed, unless ML_REQUIRE_BROWSER=1 (CI installs Debian's
chromium with .ci/setup_browser.sh). ML_UPDATE_SCREENSHOT=1 also refreshes docs/report-screenshot.png.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile

import pytest
from conftest import AS_OF, ROOT

from metricslayer.kpi.report import metric_lineage, write_report
from metricslayer.kpi.svg import Chart, Line, render_chart

Q1_END = AS_OF.replace(month=3, day=31)


@pytest.fixture(scope="module")
def demo_site(demo, tmp_path_factory):
    out = tmp_path_factory.mktemp("site")
    write_report(demo, out, AS_OF)
    return out


def test_site_pages(tiny, tmp_path):
    pages = write_report(tiny, tmp_path / "site", Q1_END)
    names = {p.relative_to(tmp_path / "site").as_posix() for p in pages}
    assert {"index.html", "catalog.html", "departments/index.html", "departments/finance.html",
            "departments/marketing.html", "departments/sales.html"} <= names
    index = (tmp_path / "site" / "index.html").read_text()
    assert index.count("<svg class=\"chart\"") == 5  # one per node with a metric
    assert 'class="node at-risk"' in index and 'id="kpi-cvr_q"' in index
    finance = (tmp_path / "site" / "departments" / "finance.html").read_text()
    assert "Revenue 2025" in finance and "aov" in finance


def test_site_is_offline(demo_site):
    for page in demo_site.rglob("*.html"):
        text = page.read_text()
        assert "<script" not in text
        assert not re.search(r"""(src|href)=["']?(https?:)?//""", text), page
        assert "@import" not in text and "url(http" not in text


def test_catalog_has_sql_and_lineage(demo, demo_site):
    catalog = (demo_site / "catalog.html").read_text()
    assert 'id="metric-conversion_rate"' in catalog and "SELECT" in catalog.upper()
    models, tables, sql = metric_lineage(demo, "conversion_rate")
    assert set(models) >= {"orders", "sessions"} and tables and "select" in sql.lower()
    assert all(m in catalog for m in models)


def test_chart_svg_draws_lines_and_legend():
    import datetime as dt

    d = dt.date
    svg = render_chart(Chart("t", [Line([(d(2025, 1, 1), 0.0), (d(2025, 6, 1), 10.0)], "actual"),
                                   Line([(d(2025, 6, 1), 10.0), (d(2025, 12, 1), 20.0)], "forecast", dashed=True)],
                             marker=d(2025, 6, 30)))
    assert svg.count("<polyline") == 2 and "stroke-dasharray" in svg and ">forecast<" in svg and "as of" in svg
    assert "no data" in render_chart(Chart("empty"))


# -- headless Chromium -----------------------------------------------------------------------------------


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _run_chromium(binary: str, url: str, *extra: str) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run(
            [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
             f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0", *extra, url],
            capture_output=True, text=True, timeout=120)


def console_problems(stderr: str) -> list[str]:
    """Lines of Chromium's log that are page console output or script errors."""
    return [line for line in stderr.splitlines() if ":CONSOLE" in line or "Uncaught" in line]


@pytest.fixture(scope="module")
def chromium():
    binary = _chromium()
    if binary is None:
        if os.environ.get("ML_REQUIRE_BROWSER") == "1":
            pytest.fail("chromium is not installed and ML_REQUIRE_BROWSER=1 (run .ci/setup_browser.sh)")
        pytest.skip("chromium is not installed (run .ci/setup_browser.sh)")
    return binary


def test_console_check_catches_errors(chromium, tmp_path):
    """The check is not vacuous: a page with a script error is caught."""
    bad = tmp_path / "bad.html"
    bad.write_text("<!DOCTYPE html><html><body><script>throw new Error('boom')</script></body></html>")
    result = _run_chromium(chromium, bad.as_uri(), "--dump-dom")
    assert any("boom" in line for line in console_problems(result.stderr))


def test_report_loads_in_chromium_without_console_errors(chromium, demo_site, tmp_path):
    for page in ("index.html", "catalog.html", "departments/marketing.html"):
        result = _run_chromium(chromium, (demo_site / page).as_uri(), "--dump-dom")
        assert result.returncode == 0, result.stderr[-2000:]
        assert console_problems(result.stderr) == [], page
        assert "</html>" in result.stdout
    dom = _run_chromium(chromium, (demo_site / "index.html").as_uri(), "--dump-dom").stdout
    assert 'class="tree root"' in dom and "<polyline" in dom and 'class="node off-track"' in dom


def test_report_screenshot_shows_tree_and_chart(chromium, demo_site, tmp_path):
    shot = tmp_path / "report.png"
    result = _run_chromium(chromium, (demo_site / "index.html").as_uri(), f"--screenshot={shot}",
                           "--window-size=1280,1500")
    assert shot.exists(), result.stderr[-2000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 50_000  # a blank page is a few kB
    if os.environ.get("ML_UPDATE_SCREENSHOT") == "1":
        shutil.copy(shot, ROOT / "docs" / "report-screenshot.png")
