"""Bases, days that differ by weekday and exact session times (#14), on solver plans."""

from __future__ import annotations

import datetime as dt
import json
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner
from reference_week import NEAR, make_scenario, matrices_for, stops_near, tiny_house

from itinerant.cli import cli
from itinerant.errors import ScenarioError
from itinerant.geo.matrix import TravelMatrix
from itinerant.loading import load_scenario
from itinerant.optimize.problem import build_problem, week_dates
from itinerant.optimize.week import plan_week
from itinerant.pipeline import plan_prepared, prepare
from itinerant.plan import Plan
from itinerant.scenario import Scenario, SessionWindow, StopRule, format_time
from itinerant.territory import Territory

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "scenarios" / "deux-bases-soirees.yaml"
GOLDEN = ROOT / "tests" / "data" / "plan_7vallees_w49_straight.json"
WEEK = "2026-W49"


def _example_text(*replacements: tuple[str, str]) -> str:
    """The bundled two-base example on straight lines, with a small search budget."""
    text = EXAMPLE.read_text(encoding="utf-8")
    for old, new in (
        ("source: auto", "source: straight_line"),
        ("lns_iterations: 1000", "lns_iterations: 30\n  solution_limit: 30"),
        *replacements,
    ):
        assert old in text, old
        text = text.replace(old, new, 1)
    return text


@dataclass(frozen=True)
class Planned:
    """The example scenario, its travel matrices and its week plan."""

    scenario: Scenario
    matrices: dict[str, TravelMatrix]
    plan: Plan


@pytest.fixture(scope="module")
def two_bases(tmp_path_factory: pytest.TempPathFactory) -> Planned:
    """The bundled two-base example planned for 2026-W49 (straight lines, 30 solutions)."""
    folder = tmp_path_factory.mktemp("two-bases")
    path = folder / "deux-bases-soirees.yaml"
    path.write_text(_example_text(), encoding="utf-8")
    scenario, territory = load_scenario(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        prepared = prepare(scenario, territory, cache_dir=folder / "cache", allow_download=False)
    plan = plan_prepared(prepared, week=WEEK, last_visits={})
    return Planned(scenario, prepared.matrices, plan)


def _minutes(matrix: TravelMatrix, a: str, b: str) -> int:
    return -(-matrix.travel_time_s[matrix.index(a)][matrix.index(b)] // 60)


def test_each_unit_starts_and_ends_every_tour_at_its_base(two_bases: Planned) -> None:
    """The first leg leaves the unit's base and the last leg drives back to it.

    The car is based in Campagne-lès-Hesdin, 12 km west of Hesdin (the first base): its
    legs from and to its base differ from those of Hesdin, so a tour started from the
    wrong base fails the drive-time check.
    """
    scenario, plan = two_bases.scenario, two_bases.plan
    units = {u.id: u for u in scenario.units}
    assert {t.unit_id for t in plan.tours} == {"bus", "voiture"}
    differs = 0
    for tour in plan.tours:
        unit = units[tour.unit_id]
        base = scenario.base_of(unit).id
        assert base == {"bus": "hesdin", "voiture": "campagne"}[tour.unit_id]
        matrix = two_bases.matrices[unit.vehicle.key]
        first, last = tour.visits[0].stop_id, tour.visits[-1].stop_id
        assert tour.visits[0].drive_min == _minutes(matrix, base, first)
        assert tour.return_drive_min == _minutes(matrix, last, base)
        other = "hesdin" if base == "campagne" else "campagne"
        differs += _minutes(matrix, other, first) != _minutes(matrix, base, first)
    assert differs > 0


def test_evening_tours_have_no_lunch(two_bases: Planned) -> None:
    """The bus's Tuesday (16:30-21:30) does not span the 12:00-14:00 lunch: no lunch.

    Before #14.8 such a tour printed a lunch at 12:00, before leaving the depot.
    """
    tuesdays = [t for t in two_bases.plan.tours if t.unit_id == "bus" and t.date.weekday() == 1]
    assert tuesdays, "the must-visit 17:30 appointment makes a Tuesday evening tour"
    for tour in tuesdays:
        assert tour.lunch is None
        assert tour.departure >= 16 * 60 + 30
        assert tour.return_time <= 21 * 60 + 30
    for tour in two_bases.plan.tours:  # the other days keep their lunch
        assert (tour.lunch is None) == (tour.date.weekday() in (1, 5) and tour.unit_id == "bus")


def test_saturday_morning_keeps_its_own_window_and_stop_cap(two_bases: Planned) -> None:
    """Saturday's day is 08:30-13:30 with one stop and no lunch; other days cap at 2.

    Two 2-hour visits would fit between 09:00 and 13:30 with the Saturday windows, so the
    cap is what keeps the day to one stop; the routing problem holds it per weekday.
    """
    scenario, plan = two_bases.scenario, two_bases.plan
    saturdays = [t for t in plan.tours if t.date.weekday() == 5]
    assert saturdays
    for tour in saturdays:
        assert tour.unit_id == "bus"
        assert len(tour.visits) == 1
        assert tour.lunch is None
        assert tour.departure >= 8 * 60 + 30
        assert tour.return_time <= 13 * 60 + 30
    assert max(len(t.visits) for t in plan.tours if t.unit_id == "bus") == 2
    problem = build_problem(
        scenario,
        [],
        {},
        {},
        two_bases.matrices,
        week_dates=week_dates(scenario.period, WEEK),
        week=WEEK,
    )
    caps = {v.id: v.max_stops for v in problem.vehicles if v.id.startswith("bus@")}
    assert caps == {
        "bus@2026-12-01": 2,
        "bus@2026-12-02": 2,
        "bus@2026-12-03": 2,
        "bus@2026-12-04": 2,
        "bus@2026-12-05": 1,
    }


def test_an_at_session_starts_on_its_minute(two_bases: Planned) -> None:
    """``{at: "17:30"}`` in Auchy-lès-Hesdin: the session starts at 17:30, not 17:31."""
    visits = [
        (tour.date, visit)
        for tour in two_bases.plan.tours
        for visit in tour.visits
        if visit.commune_name == "Auchy-lès-Hesdin"
    ]
    assert len(visits) == 1
    date, visit = visits[0]
    assert date == dt.date(2026, 12, 1)
    assert format_time(visit.session_start) == "17:30"


def test_an_at_session_holds_for_a_single_stop_unit(territory: Territory) -> None:
    """The tiny house (planned by stay options, not routing) holds ``at`` too.

    Marconne opens only on Tuesday at 10:00 sharp and must be visited: the tiny house's
    earliest start from the depot would be later than 09:00 (60 min set-up), so 10:00 is
    reachable, and the session must start at 10:00, not at the first quarter after it.
    """
    rule = StopRule(
        commune="62549",
        units=("tiny-house",),
        windows={"tue": (SessionWindow(start=10 * 60, end=10 * 60),)},
        must_visit=True,
    )
    scenario = make_scenario(units=(tiny_house(),), communes=(rule,))
    stops = stops_near(scenario, territory, NEAR)
    plan = plan_week(
        scenario,
        stops,
        dict.fromkeys(NEAR, 0.5),
        {},
        matrices_for(scenario, stops),
        week=WEEK,
        scenario_hash="h",
    )
    visits = [(t.date, v) for t in plan.tours for v in t.visits if v.insee == "62549"]
    assert [(d, format_time(v.session_start)) for d, v in visits] == [
        (dt.date(2026, 12, 1), "10:00")
    ]


def test_the_example_plans_with_every_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``validate`` and ``plan`` run on the example; map and sheets show each base."""
    monkeypatch.setenv("ITINERANT_OFFLINE", "1")
    monkeypatch.setenv("ITINERANT_CACHE_DIR", str(tmp_path / "cache"))
    path = tmp_path / "deux-bases-soirees.yaml"
    path.write_text(_example_text(), encoding="utf-8")
    runner = CliRunner()
    assert runner.invoke(cli, ["validate", str(path)]).exit_code == 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = runner.invoke(cli, ["plan", str(path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    week_map = (tmp_path / "out" / "maps" / "semaine.html").read_text(encoding="utf-8")
    assert week_map.count("itn-marker-depot") == 2  # one marker per base
    sheets = sorted((tmp_path / "out" / "sheets").glob("*_voiture.html"))
    assert sheets
    for sheet in sheets:
        text = sheet.read_text(encoding="utf-8")
        assert "Antenne de Campagne-lès-Hesdin" in text
        assert "Coopérative — Hesdin" not in text


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "    base: campagne\n",
            "    base: fruges\n",
            "units[1].base: 'fruges' is not a base (bases: hesdin, campagne)",
        ),
        (
            '      tue: [{at: "17:30"}]',
            '      tue: [{at: "21:00"}]',
            (
                "communes[0].windows.tue[0].at: '21:00' is outside the tue working day of "
                "every unit allowed there, with set-up and pack-up (bus 16:30-21:30)"
            ),
        ),
        (
            "      sat: {day:",
            "      sunday: {day:",
            "units[0].days.sunday",
        ),
    ],
)
def test_bad_bases_days_and_times_get_one_named_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, old: str, new: str, message: str
) -> None:
    """An unknown base, an ``at`` no unit's day can hold, a bad weekday: exit 1, no output."""
    monkeypatch.setenv("ITINERANT_OFFLINE", "1")
    monkeypatch.setenv("ITINERANT_CACHE_DIR", str(tmp_path / "cache"))
    path = tmp_path / "bad.yaml"
    path.write_text(_example_text((old, new)), encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert len(caught.value.problems) == 1
    assert message in caught.value.problems[0]
    result = CliRunner().invoke(cli, ["plan", str(path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert result.output.startswith("Error: ")
    assert message in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


def test_depot_and_bases_together_are_refused(tmp_path: Path) -> None:
    """``depot:`` is the one-base shorthand: giving both is ambiguous."""
    path = tmp_path / "both.yaml"
    path.write_text(
        _example_text(("bases:\n", 'depot: {name: "D", point: {lat: 50.37, lon: 2.03}}\nbases:\n')),
        encoding="utf-8",
    )
    with pytest.raises(ScenarioError, match="give either 'depot' \\(one base\\) or 'bases'"):
        load_scenario(path)


def test_one_depot_scenarios_keep_their_scenario_dump() -> None:
    """The new fields stay out of a ``depot:`` scenario's dump, so its hash is unchanged."""
    scenario, _ = load_scenario(ROOT / "scenarios" / "7-vallees.yaml")
    dump = scenario.model_dump(mode="json")
    assert "bases" not in dump
    assert "depot" in dump
    for unit in dump["units"]:
        assert "base" not in unit
        assert "days" not in unit
    assert [b.id for b in scenario.all_bases] == ["depot"]


def test_bundled_plan_is_byte_identical_to_before_bases(
    straight_line_week: tuple[Path, Path],
) -> None:
    """The bundled scenario's plan.json is the one planned before #14 (tests/data golden).

    Only what changes from run to run is blanked: the clock (generated_at, solve time)
    and the scenario hash (it covers the history's absolute path, here a temp folder).
    """
    _, plan_json = straight_line_week
    text = plan_json.read_text(encoding="utf-8")
    for pattern, blank in (
        (r'"solve_time_s": [0-9.]+', '"solve_time_s": 0.0'),
        (r'"generated_at": "[^"]*"', '"generated_at": "2026-12-01T00:00:00Z"'),
        (r'"scenario_hash": "[^"]*"', '"scenario_hash": ""'),
    ):
        text = re.sub(pattern, blank, text)
    assert text == GOLDEN.read_text(encoding="utf-8")
    assert json.loads(text)["tours"]
