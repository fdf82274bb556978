"""render_plan: every output of a week, under stable names, written by outputs.py."""

from __future__ import annotations

from pathlib import Path

from itinerant.outputs import write_outputs
from itinerant.plan import Plan
from itinerant.render import RenderContext, render_plan
from itinerant.render._common import tour_slug


def test_bundle_names_and_write(
    week_plan: Plan, week_context: RenderContext, tmp_path: Path
) -> None:
    files = render_plan(week_plan, week_context, pdf=False)
    slugs = [tour_slug(t) for t in week_plan.tours]
    crew = sorted({s for t in week_plan.tours for s in t.crew})
    assert set(files) == {
        "plan.json",
        "schedule.csv",
        "itineraires.html",
        "maps/semaine.html",
        *(f"sheets/{s}.html" for s in slugs),
        *(f"maps/{s}.html" for s in slugs),
        *(f"routes/{s}.gpx" for s in slugs),
        "calendars/unit-bus.ics",
        "calendars/unit-tiny-house.ics",
        *(f"calendars/staff-{s}.ics" for s in crew),
    }
    written = write_outputs(tmp_path, files)
    assert len(written) == len(files)
    # each sheet links its own map, relative to the sheet
    sheet = (tmp_path / "sheets" / f"{slugs[0]}.html").read_text(encoding="utf-8")
    assert f'href="../maps/{slugs[0]}.html"' in sheet
    assert (tmp_path / "maps" / f"{slugs[0]}.html").is_file()


def test_bundle_in_english_is_deterministic(week_plan: Plan, week_context: RenderContext) -> None:
    first = render_plan(week_plan, week_context, lang="en", pdf=False)
    second = render_plan(week_plan, week_context, lang="en", pdf=False)
    assert any(name.startswith("maps/") for name in first)
    assert first == second  # the maps too: folium's random element ids are numbered
    assert "Itinerary" in str(first["itineraires.html"])
