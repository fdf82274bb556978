"""The maps in a real headless browser (Debian chromium): no JavaScript error, every route
and marker drawn, with the network off; a screenshot is kept for a human to look at."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from itinerant.plan import Plan
from itinerant.render import RenderContext, render_tour_map, render_week_map

CHROMIUM = next((p for n in ("chromium", "chromium-browser") if (p := shutil.which(n))), None)
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="chromium not installed: run scripts/install-system-deps.sh (Debian package chromium)",
)

# Records errors from the very first script on, then writes a report into the DOM.
PROBE = """<script>
window.__errors = [];
window.alert = function (m) { window.__errors.push('alert: ' + m); };
window.addEventListener('error', function (e) { window.__errors.push(String(e.message)); });
window.addEventListener('load', function () { setTimeout(function () {
  var pre = document.createElement('pre'); pre.id = 'probe';
  pre.textContent = JSON.stringify({
    errors: window.__errors,
    leaflet: typeof L !== 'undefined',
    routes: document.querySelectorAll('path.itn-route').length,
    dashed: document.querySelectorAll('path.itn-approximate').length,
    stops: document.querySelectorAll('.itn-stop').length,
    outlines: document.querySelectorAll('path.leaflet-interactive').length
  });
  document.body.appendChild(pre);
}, 200); });
</script>"""


def _chromium(tmp_path: Path, *args: str) -> str:
    assert CHROMIUM is not None
    command = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-dev-shm-usage",
        # the van has no internet: any request to the outside fails
        "--host-resolver-rules=MAP * ~NOTFOUND",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--virtual-time-budget=5000",
        *args,
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def _probe(tmp_path: Path, page: str, name: str) -> dict[str, object]:
    path = tmp_path / name
    path.write_text(page.replace("<head>", "<head>" + PROBE, 1), encoding="utf-8")
    dom = _chromium(tmp_path, "--dump-dom", path.as_uri())
    match = re.search(r'<pre id="probe">(.*?)</pre>', dom, re.DOTALL)
    assert match is not None, dom[-2000:]
    report: dict[str, object] = json.loads(match.group(1).replace("&quot;", '"'))
    return report


def test_week_map_loads_offline_without_errors(
    week_plan: Plan, week_context: RenderContext, tmp_path: Path
) -> None:
    page = render_week_map(week_plan, week_context)
    report = _probe(tmp_path, page, "week.html")
    assert report["errors"] == []
    assert report["leaflet"] is True
    assert report["routes"] == len(week_plan.tours)
    assert report["dashed"] == len(week_plan.tours)  # straight-line plan
    assert report["stops"] == sum(len(t.visits) for t in week_plan.tours)
    # the offline base: commune outlines drawn (69 communes, plus the 8 routes)
    assert isinstance(report["outlines"], int)
    assert report["outlines"] > 60
    # a screenshot for a human (kept in pytest's tmp folder)
    shot = tmp_path / "week.png"
    (tmp_path / "plain.html").write_text(page, encoding="utf-8")
    _chromium(
        tmp_path,
        "--window-size=1200,900",
        f"--screenshot={shot}",
        (tmp_path / "plain.html").as_uri(),
    )
    assert shot.stat().st_size > 20_000


def test_tour_maps_load_and_escape(
    evil_plan: Plan, evil_context: RenderContext, tmp_path: Path
) -> None:
    """The attacker's names are shown as text: the page has no error and no extra script."""
    for tour in evil_plan.tours:
        page = render_tour_map(evil_plan, tour, evil_context)
        report = _probe(tmp_path, page, f"{tour.date}.html")
        assert report["errors"] == []
        assert report["routes"] == 1
        assert report["stops"] == len(tour.visits)
