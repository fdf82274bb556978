"""School calendars: term-time venues on solver-produced plans, zones, bad input."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from click.testing import CliRunner
from reference_week import NEAR, check_plan, make_scenario, matrices_for, stops_near, van

from itinerant.calendars import school_calendar, zone_of_communes
from itinerant.cli import cli
from itinerant.errors import ScenarioError
from itinerant.optimize.week import plan_week
from itinerant.plan import Plan
from itinerant.scenario import DateRange, Period, Scenario, SolverSettings, StopRule
from itinerant.territory import Territory, build_stops

ROOT = Path(__file__).resolve().parents[1]
BUNDLED = ROOT / "scenarios" / "7-vallees.yaml"
FAST = SolverSettings(time_limit_s=60, solution_limit=100)
SCHOOL, WORKSHOP = "62461", "62549"  # Huby-Saint-Leu, Marconne: 2 and 1 km from Hesdin
TERM_WEEK = "2026-W49"  # 30 Nov - 4 Dec 2026: term time in every zone
CHRISTMAS = "2026-W52"  # 21-24 Dec 2026 (25th: public holiday): holidays in every zone
FEB_WEEK = "2026-W09"  # 23-27 Feb 2026: zone B (and C) on holiday, zone A back at school


def _scenario(**period: object) -> Scenario:
    """The van around Hesdin; a school (term time only) and a holiday workshop."""
    return make_scenario(
        units=(van(),),
        period=Period.model_validate(period),
        communes=(
            StopRule(commune=SCHOOL, opening="term_time"),
            StopRule(commune=WORKSHOP, opening="school_holidays"),
        ),
        solver=FAST,
    )


def _plan(scenario: Scenario, territory: Territory, week: str) -> Plan:
    """Plan a week over four communes, all worth a visit, and check every hard rule."""
    codes = (SCHOOL, WORKSHOP, *NEAR[:2])
    stops = stops_near(scenario, territory, codes)
    matrices = matrices_for(scenario, stops)
    plan = plan_week(
        scenario, stops, dict.fromkeys(codes, 1.0), {}, matrices, week=week, scenario_hash="h"
    )
    check_plan(plan, scenario, stops, matrices)
    return plan


def _visit_dates(plan: Plan, code: str) -> list[dt.date]:
    return [tour.date for tour in plan.tours for visit in tour.visits if visit.stop_id == code]


def _reason(plan: Plan, code: str) -> str | None:
    return next((u.reason for u in plan.unvisited if u.stop_id == code), None)


def test_the_7_vallees_are_in_zone_b_with_lille_dates(territory: Territory) -> None:
    """Pas-de-Calais is in the académie de Lille, zone B: the package's zone B dates are
    Lille's winter holidays of 2026 (14 Feb - 1 Mar), a week after zone A's."""
    assert zone_of_communes(c.insee for c in territory.communes) == "B"
    zone_b, zone_a = school_calendar("B"), school_calendar("A")
    assert DateRange(start=dt.date(2026, 2, 14), end=dt.date(2026, 3, 1)) in zone_b.holidays
    assert DateRange(start=dt.date(2026, 2, 7), end=dt.date(2026, 2, 22)) in zone_a.holidays
    assert zone_b.is_holiday(dt.date(2026, 12, 21))
    assert not zone_b.is_holiday(dt.date(2026, 12, 1))


def test_term_time_venue_is_never_used_in_the_school_holidays(territory: Territory) -> None:
    """The school is visited in a term week and never in the Christmas holidays; the
    holiday workshop the other way round. The zone is derived (B): no school_zone set."""
    scenario = _scenario()
    term = _plan(scenario, territory, TERM_WEEK)
    assert _visit_dates(term, SCHOOL)
    assert not _visit_dates(term, WORKSHOP)
    assert _reason(term, WORKSHOP) == "no_window_on_crewed_day"
    christmas = _plan(scenario, territory, CHRISTMAS)
    assert christmas.tours  # the van goes out: the other communes are open
    assert not _visit_dates(christmas, SCHOOL)
    assert _reason(christmas, SCHOOL) == "no_window_on_crewed_day"
    (skipped,) = [u for u in christmas.unvisited if u.stop_id == SCHOOL]
    assert skipped.detail == (
        "fermée les jours où ses unités sortent (ouverte en période scolaire seulement, zone B)"
    )
    assert _visit_dates(christmas, WORKSHOP)


def test_the_zone_decides_the_february_holidays(territory: Territory) -> None:
    """In 2026-W09 zone B is on holiday and zone A is not: the school is visited only
    when the period says the schools are in zone A."""
    derived = _plan(_scenario(), territory, FEB_WEEK)
    assert not _visit_dates(derived, SCHOOL)
    assert _visit_dates(derived, WORKSHOP)
    zone_a = _plan(_scenario(school_zone="A"), territory, FEB_WEEK)
    assert _visit_dates(zone_a, SCHOOL)
    assert not _visit_dates(zone_a, WORKSHOP)


def test_stops_without_a_rule_carry_no_calendar(territory: Territory) -> None:
    """Only the stops with an opening rule know the school calendar; others are as before."""
    stops = {s.insee: s for s in build_stops(_scenario(), territory)}
    calendar = stops[SCHOOL].school_calendar
    assert calendar is not None
    assert calendar.zone == "B"
    assert stops["62447"].opening == "always"
    assert stops["62447"].school_calendar is None


def test_a_week_beyond_the_calendar_is_named(territory: Territory) -> None:
    """The package knows 1990 to 2028: a 2029 week with a term-time rule is refused
    (on its first working day: 1 January is a public holiday)."""
    scenario = _scenario()
    with pytest.raises(ScenarioError, match=r"period\.week: 2029-01-02 is outside"):
        _plan(scenario, territory, "2029-W01")


def _validate(tmp_path: Path, *replacements: tuple[str, str]) -> tuple[int, str]:
    text = BUNDLED.read_text(encoding="utf-8")
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new, 1)
    path = tmp_path / "scenario.yaml"
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(cli, ["validate", str(path)])
    return result.exit_code, result.output


def test_unknown_zone_is_named(tmp_path: Path) -> None:
    code, output = _validate(tmp_path, ("  # school_zone: B", "  school_zone: D"))
    assert code == 1
    assert output == (
        f"Error: {tmp_path / 'scenario.yaml'}: period.school_zone: 'D': "
        "input should be 'A', 'B' or 'C'\n"
    )


ANDORRA = """
name: Andorra school tour
territory: {communes_csv: parishes.csv}
depot: {name: Depot, point: {lat: 42.5075, lon: 1.5250}}
units:
  - id: van
    name: Van
    session_min: 90
    day: {start: "08:30", end: "17:30"}
    crew: [{role: mediator, skills: [mediator]}]
staff: [{id: ana, name: Ana, skills: [mediator]}]
communes:
  - commune: Canillo
    opening: term_time
"""
PARISHES = """insee,name,population,lat,lon
AD002,Canillo,4500,42.5676,1.5976
AD007,Andorra la Vella,22000,42.5063,1.5218
"""


def test_term_time_rule_without_a_zone_is_named(tmp_path: Path) -> None:
    """Andorra's parishes are in no French zone: a term-time rule needs school_zone."""
    (tmp_path / "parishes.csv").write_text(PARISHES, encoding="utf-8")
    path = tmp_path / "andorra.yaml"
    path.write_text(ANDORRA, encoding="utf-8")
    result = CliRunner().invoke(cli, ["validate", str(path)])
    assert result.exit_code == 1, result.output
    assert result.output == (
        f"Error: {path}: period.school_zone: is not set and cannot be derived "
        "(département(s) AD are in no zone A, B or C), and communes[0].opening "
        "'term_time' needs it: set school_zone to A, B or C\n"
    )
    path.write_text(ANDORRA.replace("units:", "period: {school_zone: C}\nunits:"), "utf-8")
    result = CliRunner().invoke(cli, ["validate", str(path)])
    assert result.exit_code == 0, result.output
