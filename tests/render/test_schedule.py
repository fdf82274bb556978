"""schedule.csv and plan.json: one row per visit, times as planned, no formula injection."""

from __future__ import annotations

from itinerant.plan import Plan
from itinerant.render import RenderContext, render_plan_json, render_schedule_csv
from itinerant.render.csv_format import column_keys, neutralise_cell, read_csv_text
from itinerant.render.schedule import SCHEDULE_COLUMNS
from itinerant.scenario import format_time


def _rows(text: str) -> list[dict[str, str]]:
    """Rows keyed by column key, whatever the language of the headers."""
    assert text.startswith("\ufeff")  # BOM: spreadsheets read the accents right
    header, *rows = read_csv_text(text)
    keys = column_keys(header)
    assert tuple(keys) == SCHEDULE_COLUMNS
    return [dict(zip(keys, row, strict=True)) for row in rows]


def test_every_visit_once_with_planned_times(week_plan: Plan, week_context: RenderContext) -> None:
    rows = _rows(render_schedule_csv(week_plan, week_context))
    expected = [
        (t.date.isoformat(), t.unit_id, v.insee, v.arrival, v.session_start, v.session_end,
         v.departure, v.drive_min, v.distance_m)
        for t in week_plan.tours
        for v in t.visits
    ]  # fmt: skip
    got = [
        (r["date"], r["unit_id"], r["insee"], r["arrival"], r["session_start"],
         r["session_end"], r["departure"], int(r["drive_min"]), int(r["distance_m"]))
        for r in rows
    ]  # fmt: skip
    assert got == [
        (d, u, i, format_time(a), format_time(s), format_time(e), format_time(x), m, km)
        for d, u, i, a, s, e, x, m, km in expected
    ]
    # crew by name, stops numbered within each tour
    first = week_plan.tours[0]
    assert rows[0]["crew"] == ", ".join(week_context.staff_name(s) for s in first.crew)
    assert [r["stop"] for r in rows[: len(first.visits)]] == [
        str(i) for i in range(1, len(first.visits) + 1)
    ]


def test_formula_cells_are_neutralised(evil_plan: Plan, evil_context: RenderContext) -> None:
    rows = _rows(render_schedule_csv(evil_plan, evil_context))
    evil = [r for r in rows if r["insee"] == "62549"]
    assert evil
    assert evil[0]["address"] == '\'=HYPERLINK("http://x")'
    assert evil[0]["crew"] == "'@Camille"
    assert evil[0]["commune"] == "<script>alert(1)</script>"  # text, harmless in a CSV
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r"))


def test_neutralise_cell() -> None:
    assert [neutralise_cell(v) for v in ("=1+2", "+3", "-4", "@x", "\tx", "\rx", "ok", "")] == [
        "'=1+2", "'+3", "'-4", "'@x", "'\tx", "'\rx", "ok", "",
    ]  # fmt: skip


def test_plan_json_round_trips(week_plan: Plan) -> None:
    assert Plan.model_validate_json(render_plan_json(week_plan)) == week_plan
