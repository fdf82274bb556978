"""Comparison of scenarios: indicators, best values, differences, validation first, escaping."""

from __future__ import annotations

import datetime as dt
import time
import warnings
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from itinerant.cli import cli
from itinerant.compare import (
    INDICATOR_SPECS,
    Indicators,
    compare,
    compute_indicators,
    concentration_index,
    scenario_differences,
)
from itinerant.errors import ApproximateDistancesWarning
from itinerant.horizon import scenario_labels
from itinerant.loading import load_scenario
from itinerant.outputs import safe_file_name
from itinerant.pipeline import plan_prepared, prepare
from itinerant.render.csv_format import column_keys, parse_number, read_csv_text
from itinerant.scenario import SolverSettings, Staff, StopRule

ROOT = Path(__file__).resolve().parents[1]
BUNDLED = ROOT / "scenarios" / "7-vallees.yaml"
FAST_SOLVER = {"seed": 0, "solution_limit": 20, "lns_iterations": 20, "time_limit_s": 20}
FAST_SETTINGS = SolverSettings(**FAST_SOLVER)
HOSTILE_NAME = 'Sans <script>alert("x")</script> tiny & house'


def bundled_data() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(BUNDLED.read_text(encoding="utf-8"))
    data["solver"] = {**data["solver"], **FAST_SOLVER}
    return data


def write(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def without_tiny_house(data: dict[str, Any]) -> dict[str, Any]:
    """The same scenario, less the tiny house (staff keep the skills only it needed)."""
    variant = dict(data)
    variant["name"] = HOSTILE_NAME
    variant["units"] = [u for u in data["units"] if u["id"] != "tiny-house"]
    return variant


@pytest.fixture(scope="module")
def comparison_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``itinerant compare`` of the bundled scenario against itself less the tiny house, 2 weeks."""
    folder = tmp_path_factory.mktemp("compare")
    data = bundled_data()
    a = write(folder / "reference.yaml", data)
    b = write(folder / "sans-tiny-house.yaml", without_tiny_house(data))
    out = folder / "out"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ITINERANT_OFFLINE", "1")
        mp.setenv("ITINERANT_CACHE_DIR", str(folder / "cache"))
        result = CliRunner().invoke(
            cli,
            ["compare", str(a), str(b), "--weeks", "2", "--week", "2026-W49", "--out", str(out)],
        )
    assert result.exit_code == 0, result.output
    return out


def read_csv(path: Path) -> list[list[str]]:
    """Rows of a CSV the project wrote, header mapped back to column keys."""
    header, *rows = read_csv_text(path.read_text(encoding="utf-8"))
    return [column_keys(header), *rows]


def indicator_table(out: Path) -> dict[str, dict[str, float | None]]:
    """Indicator key -> scenario label -> value, read with the French settings."""
    rows = read_csv(out / "indicateurs.csv")
    header = rows[0]
    assert header[:2] == ["indicator", "label"]
    return {
        row[0]: {
            label: parse_number(value) if value else None
            for label, value in zip(header[2:-1], row[2:-1], strict=True)
        }
        for row in rows[1:]
    }


def test_more_capacity_reaches_at_least_as_many_communes(comparison_dir: Path) -> None:
    table = indicator_table(comparison_dir)
    assert list(table) == [spec.key for spec in INDICATOR_SPECS]
    reached = table["communes_reached"]
    assert reached["reference"] >= reached["sans-tiny-house"]  # type: ignore[operator]
    # the tiny house drives too: more km with it
    assert table["unit_km"]["reference"] >= table["unit_km"]["sans-tiny-house"]  # type: ignore[operator]
    report = (comparison_dir / "rapport.html").read_text(encoding="utf-8")
    # the difference is listed at the top, in words
    assert "Tiny house fab lab retirée" in report
    assert "units[" not in report
    assert "staff[" not in report
    assert report.count("<svg") >= 3  # maps, scatter, weekly reach: inline, no files
    assert "cdn" not in report.lower()


def test_indicators_match_the_schedules_written(comparison_dir: Path, tmp_path: Path) -> None:
    """Communes reached, visits and km recomputed from each week's schedule.csv agree.

    ``schedule.csv`` holds each leg to a stop; the leg back to the depot is not in it, so
    it comes from the scenario's travel matrix (last stop of each tour to the depot).
    """
    table = indicator_table(comparison_dir)
    for label in ("reference", "sans-tiny-house"):
        scenario, territory = load_scenario(comparison_dir.parent / f"{label}.yaml")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ApproximateDistancesWarning)
            prepared = prepare(scenario, territory, cache_dir=tmp_path, allow_download=False)
        units = {u.id: u for u in scenario.units}
        communes: set[str] = set()
        visits = 0
        metres = 0
        for week in ("2026-W49", "2026-W50"):
            rows = read_csv(comparison_dir / label / week / "schedule.csv")
            header, body = rows[0], rows[1:]
            tours: dict[tuple[str, str], str] = {}
            for values in body:
                row = dict(zip(header, values, strict=True))
                communes.add(row["insee"])
                visits += 1
                metres += int(row["distance_m"])
                tours[row["date"], row["unit_id"]] = row["insee"]  # rows in tour order
            for (_, unit_id), last in tours.items():
                matrix = prepared.matrices[units[unit_id].vehicle.key]
                metres += matrix.distances_m([(matrix.index(last), matrix.index("depot"))])[0]
        assert table["communes_reached"][label] == len(communes)
        assert table["visits"][label] == visits
        assert table["km_driven"][label] == pytest.approx(metres / 1000, abs=0.11)


def test_invalid_scenario_stops_before_solving(tmp_path: Path) -> None:
    """A bad field stops everything at once: its file, field and value; nothing written."""
    good = write(tmp_path / "good.yaml", bundled_data())
    data = bundled_data()
    data["units"][0]["session_min"] = "two hours"
    bad = write(tmp_path / "bad.yaml", data)
    out = tmp_path / "out"
    started = time.perf_counter()
    result = CliRunner().invoke(cli, ["compare", str(good), str(bad), "--out", str(out)])
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: {bad}: units[0].session_min: 'two hours': ")
    assert "Traceback" not in result.output
    assert not out.exists()
    assert time.perf_counter() - started < 10  # no solving took place


def test_scenario_names_are_escaped_in_the_report(comparison_dir: Path) -> None:
    report = (comparison_dir / "rapport.html").read_text(encoding="utf-8")
    assert "<script>" not in report
    assert "&lt;script&gt;" in report


def test_concentration_index_known_values() -> None:
    # visits proportional to the weights: perfectly fair
    assert concentration_index([1, 2, 3], [10, 20, 30]) == pytest.approx(0.0)
    # every visit to one of four equal communes: 1 - 1/4
    assert concentration_index([4, 0, 0, 0], [1, 1, 1, 1]) == pytest.approx(0.75)
    assert concentration_index([0, 0], [1, 1]) is None


def test_differences_are_described_in_words() -> None:
    """Units and staff are matched by id and named; skills and days change item by item.

    Before #13 the report showed ``staff[2].skills[0]`` and JSON dumps.
    """
    a = {
        "name": "A",
        "units": [
            {"id": "bus", "name": "Bus numérique", "cost_per_km": 0.35},
            {"id": "tiny-house", "name": "Tiny house fab lab"},
        ],
        "staff": [{"id": "sarah", "name": "Sarah", "skills": ["fab_manager", "driver_b"]}],
        "period": {"working_days": ["mon", "tue"], "days_off": []},
        "x": 1,
    }
    b = {
        "name": "B",
        "units": [{"id": "bus", "name": "Bus numérique", "cost_per_km": 0.4}],
        "staff": [{"id": "sarah", "name": "Sarah", "skills": ["driver_b"]}],
        "period": {"working_days": ["mon", "tue", "sat"], "days_off": []},
        "x": 1,
    }
    diffs = {d.what: d.values for d in scenario_differences([a, b])}
    assert diffs == {
        "name": ("A", "A → B"),
        "Bus numérique : cost_per_km": ("0,35", "0,35 → 0,4"),
        "Unité Tiny house fab lab": ("présente", "Tiny house fab lab retirée"),
        "Sarah : compétences": ("fab_manager, driver_b", "compétence fab_manager retirée"),
        "period.working_days": ("mon, tue", "sat en plus"),
    }
    english = {d.what: d.values for d in scenario_differences([b, a], "en")}
    assert english["Unit Tiny house fab lab"] == ("absent", "Tiny house fab lab added")
    assert english["Sarah: skills"] == ("driver_b", "skill fab_manager added")


def test_excluded_communes_are_not_never_visited_and_costs_without_rates_not_best() -> None:
    """An excluded commune is counted apart; 0 € with no rate given is not the cheapest."""
    scenario, territory = load_scenario(BUNDLED, today=dt.date(2026, 11, 23))
    code = territory.communes[0].insee
    rule = StopRule(commune=code, exclude=True)
    excluded = scenario.model_copy(
        update={"communes": (*scenario.communes, rule), "solver": FAST_SETTINGS}
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ApproximateDistancesWarning)
        prepared = prepare(excluded, territory, cache_dir=Path("unused"), allow_download=False)
    plan = plan_prepared(prepared, week="2026-W49", last_visits={})
    matrix = prepared.matrices[excluded.units[0].vehicle.key]

    def indicators(staff: tuple[Staff, ...]) -> Indicators:
        return compute_indicators(
            [plan],
            territory=territory,
            scores=prepared.scores,
            matrix=matrix,
            units=excluded.units,
            staff=staff,
        )

    free = indicators(excluded.staff)
    assert free.excluded == (code,)
    assert free.communes_excluded == 1
    assert free.visits_by_commune[code] == 0
    assert free.communes_never_visited == 69 - free.communes_reached - 1
    assert not free.staff_rate_given  # the bundled staff cost nothing per hour
    paid = tuple(m.model_copy(update={"cost_per_hour": 20.0}) for m in excluded.staff)
    costed = indicators(paid)
    assert costed.staff_cost_eur > 0
    rows = {r.spec.key: r for r in compare(["free", "paid"], [free, costed], [{}, {}]).rows}
    assert rows["staff_cost_eur"].values[0] == 0.0
    assert rows["staff_cost_eur"].unranked == (0,)
    assert rows["staff_cost_eur"].best == ()  # one ranked column: nothing to beat
    assert rows["total_cost_eur"].best == ()
    assert rows["cost_eur"].best == ()  # same mileage cost: a tie


def test_best_value_marks_and_ties() -> None:
    from itinerant.compare import Indicators

    base = {
        "weeks": 1,
        "communes_total": 2,
        "population_total": 100,
        "communes_reached": 1,
        "population_reached": 50,
        "reach_share": 0.5,
        "reach_share_by_week": (0.5,),
        "mean_interval_days": None,
        "max_interval_days": None,
        "communes_never_visited": 1,
        "visits": 1,
        "visits_per_1000": 10.0,
        "concentration_population": 0.5,
        "concentration_demand": 0.5,
        "demand_share_served": 0.5,
        "km_driven": 10.0,
        "unit_km": 10.0,
        "driving_h": 1.0,
        "on_site_h": 2.0,
        "staff_h": 3.0,
        "fuel_l": 1.0,
        "co2_kg": 2.5,
        "cost_eur": 3.5,
        "staff_cost_eur": 0.0,
        "total_cost_eur": 3.5,
        "visits_by_commune": {"1": 1, "2": 0},
    }
    one = Indicators.model_validate(base)
    two = Indicators.model_validate(base | {"communes_reached": 2, "km_driven": 12.0})
    rows = {row.spec.key: row for row in compare(["a", "b"], [one, two], [{}, {}]).rows}
    assert rows["communes_reached"].best == (1,)  # higher is better
    assert rows["km_driven"].best == (0,)  # lower is better
    assert rows["visits"].best == ()  # all equal: nothing marked
    assert rows["staff_h"].best == ()  # not ranked


def test_staff_cost_counts_each_crew_member_hours() -> None:
    """Staff cost = sum over tours of span hours x each crew member's hourly cost."""
    from itinerant.compare import compute_indicators
    from itinerant.loading import load_scenario
    from itinerant.pipeline import plan_prepared, prepare

    scenario, territory = load_scenario(BUNDLED)
    staff = tuple(m.model_copy(update={"cost_per_hour": 20.0}) for m in scenario.staff)
    scenario = scenario.model_copy(
        update={
            "staff": staff,
            "solver": scenario.solver.model_copy(update={"solution_limit": 20}),
        }
    )
    import tempfile
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        prepared = prepare(
            scenario, territory, cache_dir=Path(tempfile.mkdtemp()), allow_download=False
        )
    plan = plan_prepared(prepared, week="2026-W49", last_visits={})
    indicators = compute_indicators(
        [plan],
        territory=territory,
        scores=prepared.scores,
        matrix=next(iter(prepared.matrices.values())),
        units=scenario.units,
        staff=staff,
    )
    person_hours = sum(t.span_min * len(t.crew) for t in plan.tours) / 60
    assert indicators.staff_cost_eur == pytest.approx(20.0 * person_hours, abs=0.01)
    assert indicators.total_cost_eur == pytest.approx(
        indicators.cost_eur + indicators.staff_cost_eur, abs=0.01
    )
    assert indicators.staff_cost_eur > 0


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (["s.yaml", "...yaml"], ["s", safe_file_name("..")]),
        (["a/x.yaml", "b/x.yaml", "x-1.yaml"], ["x-2", "x-3", "x-1"]),
        (["A.yaml", "a.yaml"], ["a-1", "a-2"]),
        (["../up.yaml", "CON.yaml"], ["up", safe_file_name("con")]),
    ],
)
def test_scenario_labels_are_safe_and_unique(names: list[str], expected: list[str]) -> None:
    """``...yaml`` gave the label ``..`` and overwrote a published week; x-1 came twice (#18)."""
    labels = scenario_labels([Path(name) for name in names])
    assert labels == expected
    assert len({label.casefold() for label in labels}) == len(labels)
    assert all(label not in ("", ".", "..") and "/" not in label for label in labels)
