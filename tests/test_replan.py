"""Replanning a week after a disruption: real solver on real 7 Vallées communes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

import pytest
from click.testing import CliRunner
from reference_week import NEAR, WEEK, check_plan, make_scenario, matrices_for, stops_near

from itinerant.cli import cli
from itinerant.errors import DisruptionIgnoredWarning, ScenarioError
from itinerant.optimize.week import plan_week
from itinerant.plan import Plan
from itinerant.render.csv_format import column_keys, read_csv_text
from itinerant.replan import (
    Disruption,
    ReplanResult,
    apply_disruptions,
    changes_csv,
    format_changes,
    parse_disruption,
    replan_week,
)
from itinerant.scenario import Scenario, SolverSettings
from itinerant.territory import Territory

ROOT = Path(__file__).resolve().parents[1]
FAST = SolverSettings(time_limit_s=4, solution_limit=100)
MONDAY = dt.date(2026, 11, 30)
WEDNESDAY = MONDAY + dt.timedelta(days=2)
SCORES = dict.fromkeys(NEAR, 0.8)


@pytest.fixture(scope="module")
def week_plan(territory: Territory) -> tuple[Scenario, Plan]:
    scenario = make_scenario(solver=FAST)
    stops = stops_near(scenario, territory, NEAR)
    plan = plan_week(
        scenario, stops, SCORES, {}, matrices_for(scenario, stops), week=WEEK, scenario_hash="h"
    )
    return scenario, plan


def _replan(
    scenario: Scenario,
    territory: Territory,
    previous: Plan,
    disruptions: Sequence[Disruption],
) -> tuple[Scenario, ReplanResult]:
    disrupted = apply_disruptions(scenario, territory, disruptions)
    stops = stops_near(disrupted, territory, NEAR)
    matrices = matrices_for(disrupted, stops)
    result = replan_week(
        disrupted, stops, SCORES, {}, matrices, previous, start=WEDNESDAY, scenario_hash="h"
    )
    check_plan(result.plan, disrupted, stops, matrices)
    return disrupted, result


def test_van_unavailable_wednesday(territory: Territory, week_plan: tuple[Scenario, Plan]) -> None:
    scenario, previous = week_plan
    assert any(t.unit_id == "bus" and t.date == WEDNESDAY for t in previous.tours)
    off = Disruption(kind="unit_unavailable", target="bus", dates=(WEDNESDAY,))
    _, result = _replan(scenario, territory, previous, [off])
    plan = result.plan
    assert not any(t.unit_id == "bus" and t.date == WEDNESDAY for t in plan.tours)
    # Monday and Tuesday are done: in the new plan as they were, so the plan is the week's
    assert result.unchanged_dates == (MONDAY, MONDAY + dt.timedelta(days=1))
    assert plan.dates == previous.dates
    assert [t for t in plan.tours if t.date < WEDNESDAY] == [
        t for t in previous.tours if t.date < WEDNESDAY
    ]
    assert [r for r in plan.roster if r.date < WEDNESDAY] == [
        r for r in previous.roster if r.date < WEDNESDAY
    ]
    assert plan.kpis.visits == sum(len(t.visits) for t in plan.tours)
    assert plan.kpis.distance_km == round(sum(t.distance_m for t in plan.tours) / 1000, 1)
    visited = {v.stop_id for t in plan.tours for v in t.visits}
    assert not visited & {u.stop_id for u in plan.unvisited}
    by_origin = {(c.stop_id, c.from_date, c.from_unit): c for c in result.changes if c.from_date}
    for tour in previous.tours:
        for visit in tour.visits:
            if tour.date < WEDNESDAY:
                continue
            change = by_origin[(visit.stop_id, tour.date, tour.unit_id)]
            if tour.unit_id == "bus" and tour.date == WEDNESDAY:
                assert change.kind in ("moved", "cancelled")
                assert change.reason == "unit unavailable"
            elif tour.date > WEDNESDAY:
                # announced later visits still fit: kept (the roster may send another
                # crew, which is reported as such)
                assert change.kind in ("kept", "recrewed"), change
                assert (change.kind == "recrewed") == (change.from_crew != change.to_crew)
    kept = {(c.stop_id, c.to_date, c.to_unit) for c in result.changes if c.kind == "kept"}
    new = {(v.stop_id, t.date, t.unit_id) for t in plan.tours for v in t.visits}
    assert kept <= new
    # every session time a commune was told is either unchanged or reported
    Key = tuple[str, dt.date | None]
    old_start: dict[Key, int] = {
        (v.stop_id, t.date): v.session_start for t in previous.tours for v in t.visits
    }
    new_start: dict[Key, int] = {
        (v.stop_id, t.date): v.session_start for t in plan.tours for v in t.visits
    }
    for c in result.changes:
        if c.kind in ("kept", "retimed"):
            assert c.from_start == old_start[(c.stop_id, c.from_date)]
            assert c.to_start == new_start[(c.stop_id, c.to_date)]
            assert (c.from_start == c.to_start) == (c.kind == "kept")
        if c.kind in ("moved", "added"):
            assert c.to_start == new_start[(c.stop_id, c.to_date)]
    lines = changes_csv(result).splitlines()  # French by default: it goes to the communes
    assert lines[0].startswith("\ufeffchangement;code INSEE;commune;date prévue")
    assert lines[1] == "jour inchangé (fait);;;2026-11-30;;;;2026-11-30;;;;"
    assert any(line.startswith(("annulée;", "déplacée;")) for line in lines)
    assert "unité indisponible" in "\n".join(lines)
    english = changes_csv(result, "en").splitlines()
    assert english[0].startswith("\ufeffchange,insee,commune,from_date,from_time")
    assert any(line.endswith(",unit unavailable") for line in english)
    text = format_changes(result)
    assert text.startswith("Replanifié à partir du mercredi 2 décembre.")
    assert "Jours inchangés (faits) : lundi 30 novembre, mardi 1er décembre" in text
    assert format_changes(result, "en").startswith("Replanned from Wednesday 2 December.")


def test_staff_absence_is_a_crew_change(
    territory: Territory, week_plan: tuple[Scenario, Plan]
) -> None:
    """A mediator absent on a day the van keeps its visits: those visits are changes.

    The replacement crew must be in the change list and in changes.csv; before #13 every
    visit was listed as kept although another person went.
    """
    scenario, previous = week_plan
    (tour,) = [t for t in previous.tours if t.unit_id == "bus" and t.date == WEDNESDAY]
    absent = tour.crew[0]
    off = Disruption(kind="staff_absent", target=absent, dates=(WEDNESDAY,))
    _, result = _replan(scenario, territory, previous, [off])
    names = {m.id: m.name for m in scenario.staff}
    for visit in tour.visits:
        (change,) = [
            c for c in result.changes if c.stop_id == visit.stop_id and c.from_date == WEDNESDAY
        ]
        assert change.kind != "kept", change  # the absent member cannot have gone
        assert names[absent] in change.from_crew
        assert names[absent] not in change.to_crew
        if change.kind == "recrewed":
            assert change.reason == "crew absent"
            assert change.to_crew  # who goes instead
    recrewed = [c for c in result.changes if c.kind == "recrewed"]
    assert recrewed  # Julien replaces Camille: said in the CSV and on the console
    header, *rows = read_csv_text(changes_csv(result))
    keys = column_keys(header)
    table = [dict(zip(keys, row, strict=True)) for row in rows]
    row = next(r for r in table if r["change"] == "équipe modifiée" and r["reason"])
    assert names[absent] in row["from_crew"]
    assert row["to_crew"]
    assert names[absent] not in row["to_crew"]
    assert row["reason"] == "équipe absente"
    assert "équipe modifiée" in format_changes(result)


def test_closed_stop_moves_or_cancels(
    territory: Territory, week_plan: tuple[Scenario, Plan]
) -> None:
    scenario, previous = week_plan
    later = [(v.stop_id, t.date) for t in previous.tours if t.date > WEDNESDAY for v in t.visits]
    assert later
    stop_id, day = later[0]
    closed = Disruption(kind="stop_closed", target=stop_id, dates=(day,))
    _, result = _replan(scenario, territory, previous, [closed])
    assert not any(
        v.stop_id == stop_id and t.date == day for t in result.plan.tours for v in t.visits
    )
    (change,) = [c for c in result.changes if c.stop_id == stop_id and c.from_date == day]
    assert change.kind in ("moved", "cancelled")
    assert change.reason == "closed"


def test_unknown_targets_are_named(territory: Territory) -> None:
    scenario = make_scenario()
    items = [
        Disruption(kind="unit_unavailable", target="camion", dates=(WEDNESDAY,)),
        Disruption(kind="staff_absent", target="nobody", dates=(WEDNESDAY,)),
        Disruption(kind="stop_closed", target="99999", dates=(WEDNESDAY,)),
    ]
    with pytest.raises(ScenarioError) as info:
        apply_disruptions(scenario, territory, items)
    assert info.value.problems[0].startswith("--unit-unavailable: unknown unit 'camion'")
    assert "--staff-absent: unknown staff member 'nobody'" in info.value.problems[1]
    assert "--stop-closed: unknown commune '99999'" in info.value.problems[2]


def test_cli_unknown_unit_exits_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, week_plan: tuple[Scenario, Plan]
) -> None:
    monkeypatch.setenv("ITINERANT_OFFLINE", "1")
    monkeypatch.setenv("ITINERANT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("ITINERANT_OUTPUT_DIR", str(tmp_path / "maps"))
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(week_plan[1].model_dump_json(), encoding="utf-8")
    bundled = ROOT / "scenarios" / "7-vallees.yaml"
    result = CliRunner().invoke(
        cli,
        [
            "replan",
            str(plan_file),
            "--from",
            WEDNESDAY.isoformat(),
            "-s",
            str(bundled),
            "--unit-unavailable",
            "camion:2026-12-02",
        ],
    )
    assert result.exit_code == 1, result.output
    assert result.output.startswith("Error: --unit-unavailable: unknown unit 'camion'")
    assert "Traceback" not in result.output
    assert not (tmp_path / "maps").exists()


def test_hours_worked_before_the_replan_count_against_the_week(
    territory: Territory, week_plan: tuple[Scenario, Plan]
) -> None:
    """A mediator who has used most of their week by Tuesday cannot be rostered past it."""
    scenario, previous = week_plan
    worked: dict[str, int] = {}
    for tour in previous.tours:
        if tour.date < WEDNESDAY:
            for sid in tour.crew:
                worked[sid] = worked.get(sid, 0) + tour.shift_end - tour.shift_start
    busiest = max(worked, key=lambda sid: worked[sid])
    staff = tuple(
        m.model_copy(update={"max_hours_week": worked[busiest] / 60 + 1}) if m.id == busiest else m
        for m in scenario.staff
    )
    tight = scenario.model_copy(update={"staff": staff})
    _, result = _replan(tight, territory, previous, [])  # check_plan: hours over the week
    later = [t for t in result.plan.tours if t.date >= WEDNESDAY and busiest in t.crew]
    assert sum(t.shift_end - t.shift_start for t in later) <= 60


def test_disruption_dates_outside_the_replan_are_said_to_be_ignored() -> None:
    week = [MONDAY + dt.timedelta(days=i) for i in range(5)]
    with pytest.warns(DisruptionIgnoredWarning, match=r"bus:2026-11-30 : 2026-11-30 ignorée"):
        item = parse_disruption(
            "unit_unavailable", "bus:2026-11-30", start=WEDNESDAY, week_dates=week
        )
    with pytest.warns(DisruptionIgnoredWarning, match=r"bus:2026-11-30: 2026-11-30 ignored"):
        parse_disruption(
            "unit_unavailable", "bus:2026-11-30", start=WEDNESDAY, week_dates=week, lang="en"
        )
    assert item.dates == (MONDAY,)
    no_date = parse_disruption("staff_absent", "sarah", start=WEDNESDAY, week_dates=week)
    assert no_date.dates == tuple(week[2:])  # from --from to the end of the week
