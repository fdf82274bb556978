"""The maps in a real headless browser (Debian chromium): no JavaScript error, every route
and marker drawn, with the network off; a screenshot is kept for a human to look at."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from itinerant.plan import Plan
from itinerant.render import RenderContext, render_tour_map, render_week_html, render_week_map
from itinerant.scenario import Scenario
from itinerant.territory import Territory

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
function box(el) {
  if (!el) { return null; }
  var r = el.getBoundingClientRect();
  return [r.left, r.top, r.right, r.bottom];
}
window.addEventListener('load', function () { setTimeout(function () {
  var pre = document.createElement('pre'); pre.id = 'probe';
  pre.textContent = JSON.stringify({
    errors: window.__errors,
    leaflet: typeof L !== 'undefined',
    routes: document.querySelectorAll('path.itn-route').length,
    dashed: document.querySelectorAll('path.itn-approximate').length,
    stops: document.querySelectorAll('.itn-stop').length,
    outlines: document.querySelectorAll('path.leaflet-interactive').length,
    viewport: [window.innerWidth, window.innerHeight],
    map: box(document.querySelector('.leaflet-container')),
    control: box(document.querySelector('.leaflet-control-layers')),
    control_expanded: !!document.querySelector('.leaflet-control-layers-expanded'),
    legend: box(document.querySelector('.itn-legend')),
    legend_open: !!document.querySelector('.itn-legend[open]'),
    title: box(document.querySelector('.itn-title')),
    markers: Array.from(document.querySelectorAll('.itn-stop, .itn-depot')).map(box),
    labels: Array.from(document.querySelectorAll('.itn-commune'))
      .filter(function (el) { return el.style.visibility !== 'hidden'; }).map(box)
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
    # a generous limit, only to fail a hung browser (never a speed check)
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


# Shows a page in a frame of the given size (headless chromium will not make its own window
# narrower than 500 px) and copies the frame's probe report out once it is written.
FRAME = """<!DOCTYPE html><html><body style="margin:0">
<iframe id="page" src="{src}" style="width:{width}px;height:{height}px;border:0"></iframe>
<script>
(function wait() {{
  var inner = document.getElementById('page').contentDocument;
  var probe = inner && inner.getElementById('probe');
  if (!probe) {{ setTimeout(wait, 50); return; }}
  var copy = document.createElement('pre'); copy.id = 'probe';
  copy.textContent = probe.textContent; document.body.appendChild(copy);
}})();
</script></body></html>"""


def _probe(tmp_path: Path, page: str, name: str, window: str = "1200,900") -> dict[str, Any]:
    """Load ``page`` in a ``window`` (``"width,height"``) frame; return the probe's report."""
    path = tmp_path / name
    path.write_text(page.replace("<head>", "<head>" + PROBE, 1), encoding="utf-8")
    width, height = window.split(",")
    frame = tmp_path / f"frame-{name}"
    frame.write_text(FRAME.format(src=path.name, width=width, height=height), encoding="utf-8")
    dom = _chromium(
        tmp_path, "--allow-file-access-from-files", "--window-size=1300,1000", "--dump-dom",
        frame.as_uri(),
    )  # fmt: skip
    match = re.search(r'<pre id="probe">(.*?)</pre>', dom, re.DOTALL)
    assert match is not None, dom[-2000:]
    report: dict[str, Any] = json.loads(match.group(1).replace("&quot;", '"'))
    assert report["viewport"] == [int(width), int(height)]  # the page saw that window
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


Box = list[float]


def _overlap(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _area(a: Box) -> float:
    return max(a[2] - a[0], 0) * max(a[3] - a[1], 0)


def test_phone_window_keeps_the_map_clear(
    week_plan: Plan, week_context: RenderContext, tmp_path: Path
) -> None:
    """On a 390x844 phone the layer control and legend fold away; the communes are named."""
    page = render_week_map(week_plan, week_context)
    phone = _probe(tmp_path, page, "phone.html", window="390,844")
    assert phone["errors"] == []
    assert phone["control_expanded"] is False
    assert phone["legend_open"] is False
    controls = [phone["control"], phone["legend"], phone["title"]]
    # the three boxes cover under 8 % of the map and none covers another
    assert sum(_area(b) for b in controls) < 0.08 * _area(phone["map"])
    for i, a in enumerate(controls):
        assert not any(_overlap(a, b) for b in controls[i + 1 :])
    # commune names: written, and none over another or over a stop or the depot
    labels = phone["labels"]
    assert len(labels) >= 10
    for i, a in enumerate(labels):
        assert not any(_overlap(a, b) for b in labels[i + 1 :] + phone["markers"])
    # a day's map has a longer title: it wraps rather than run under the layer control
    for tour in week_plan.tours:
        day = _probe(
            tmp_path, render_tour_map(week_plan, tour, week_context), "day.html", "390,844"
        )
        assert not _overlap(day["title"], day["control"])
        assert day["control_expanded"] is False
    # a wide window keeps both open: the folding depends on the width
    wide = _probe(tmp_path, page, "wide.html", window="1200,900")
    assert wide["control_expanded"] is True
    assert wide["legend_open"] is True
    assert len(wide["labels"]) > len(labels) / 2


# Measures, in each route sketch, the boxes the browser really draws (SVG getBBox).
SKETCH_PROBE = """<script>
window.addEventListener('load', function () {
  function box(el) { var b = el.getBBox(); return [b.x, b.y, b.x + b.width, b.y + b.height]; }
  var sketches = Array.from(document.querySelectorAll('svg.sketch')).map(function (svg) {
    var view = svg.viewBox.baseVal;
    return {
      frame: [0, 0, view.width, view.height],
      labels: Array.from(svg.querySelectorAll('text.l:not(.h), text.o')).map(function (t) {
        return {name: t.textContent, box: box(t)}; }),
      depot: box(svg.querySelector('rect[fill="#000"]')),
      stops: Array.from(svg.querySelectorAll('circle.n')).map(box),
      scale: box(svg.querySelector('g.scale')),
      north: box(svg.querySelector('g.north'))
    };
  });
  var pre = document.createElement('pre'); pre.id = 'probe';
  pre.textContent = JSON.stringify(sketches);
  document.body.appendChild(pre);
});
</script>"""


def test_sketch_labels_clear_the_markers_scale_and_frame(
    week_plan: Plan, week_scenario: Scenario, territory: Territory, tmp_path: Path
) -> None:
    """On every sheet of the week, each name the browser draws stays inside the frame and
    off the depot, the stops, the scale bar, the north arrow and the other names."""
    context = RenderContext.from_scenario(week_scenario, territory)  # bundled outlines
    page = render_week_html(week_plan, context)
    path = tmp_path / "sheets.html"
    path.write_text(page.replace("<head>", "<head>" + SKETCH_PROBE, 1), encoding="utf-8")
    dom = _chromium(tmp_path, "--dump-dom", path.as_uri())
    match = re.search(r'<pre id="probe">(.*?)</pre>', dom, re.DOTALL)
    assert match is not None, dom[-2000:]
    sketches = json.loads(match.group(1).replace("&quot;", '"'))
    assert len(sketches) == len(week_plan.tours)
    for sketch, tour in zip(sketches, week_plan.tours, strict=True):
        names = [label["name"] for label in sketch["labels"]]
        assert context.depot.name in names
        assert all(v.commune_name in names for v in tour.visits)
        assert len(names) > len(tour.visits) + 3  # neighbouring communes named too
        frame = sketch["frame"]
        obstacles = [sketch["depot"], sketch["scale"], sketch["north"], *sketch["stops"]]
        boxes = [label["box"] for label in sketch["labels"]]
        for i, (name, b) in enumerate(zip(names, boxes, strict=True)):
            inside = frame[0] <= b[0] <= b[2] <= frame[2] and frame[1] <= b[1] <= b[3] <= frame[3]
            assert inside, name  # not cut at the frame
            assert not any(_overlap(b, o) for o in obstacles), name
            assert not any(_overlap(b, o) for o in boxes[i + 1 :]), name
