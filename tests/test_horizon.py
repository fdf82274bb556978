"""Rolling horizon: weeks follow each other's history; the rotation calendar tabulates them."""

from __future__ import annotations

import datetime as dt
import warnings
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from itinerant.cli import cli
from itinerant.errors import ApproximateDistancesWarning
from itinerant.horizon import (
    Horizon,
    advance_last_visits,
    horizon_files,
    plan_horizon,
    rotation_calendar,
    week_sequence,
)
from itinerant.loading import load_scenario
from itinerant.pipeline import Prepared, prepare
from itinerant.render.csv_format import column_keys, read_csv_text

ROOT = Path(__file__).resolve().parents[1]
BUNDLED = ROOT / "scenarios" / "7-vallees.yaml"
FAST_SOLVER = {"seed": 0, "solution_limit": 20, "lns_iterations": 20, "time_limit_s": 20}


def write_bundled_copy(folder: Path, *, name: str = "7-vallees", **changes: object) -> Path:
    """Copy the bundled scenario into ``folder`` with a fast solver and ``changes`` applied."""
    data = yaml.safe_load(BUNDLED.read_text(encoding="utf-8"))
    data["solver"] = {**data["solver"], **FAST_SOLVER}
    data.update(changes)
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def bundled_prepared(tmp_path_factory: pytest.TempPathFactory) -> Prepared:
    """The bundled 7 Vallées scenario (69 real communes), fast solver, straight-line times."""
    folder = tmp_path_factory.mktemp("horizon")
    scenario, territory = load_scenario(write_bundled_copy(folder))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ApproximateDistancesWarning)  # no road network offline
        return prepare(scenario, territory, cache_dir=folder / "cache", allow_download=False)


@pytest.fixture(scope="module")
def two_weeks(bundled_prepared: Prepared) -> Horizon:
    """Two weeks of the bundled scenario from an empty history."""
    return plan_horizon(bundled_prepared, weeks=("2026-W49", "2026-W50"), last_visits={})


def test_week_sequence_crosses_the_year() -> None:
    # 2026 starts on a Thursday, so it has an ISO week 53
    assert week_sequence("2026-W52", 3) == ("2026-W52", "2026-W53", "2027-W01")
    with pytest.raises(ValueError, match="--weeks"):
        week_sequence("2026-W52", 0)


def test_advance_last_visits_keeps_the_latest_date(two_weeks: Horizon) -> None:
    first = two_weeks.plans[0]
    before = {"62018": dt.date(2026, 1, 5)}
    after = advance_last_visits(before, first)
    visited = {v.insee: t.date for t in first.tours for v in t.visits}
    assert before == {"62018": dt.date(2026, 1, 5)}  # not mutated
    for insee, day in visited.items():
        assert after[insee] >= day
    assert after["62018"] >= dt.date(2026, 1, 5)


def test_week_two_follows_week_one(two_weeks: Horizon) -> None:
    """With 69 communes and ~15-30 visits a week, week 2 goes elsewhere than week 1.

    A commune visited in week 1 is a week into a target interval of 14 to 56 days: its
    urgency is low, while dozens of never-visited communes remain.
    """
    first, second = ({v.insee for t in plan.tours for v in t.visits} for plan in two_weeks.plans)
    assert first
    assert second
    assert not first & second


def test_horizon_is_deterministic(bundled_prepared: Prepared, two_weeks: Horizon) -> None:
    again = plan_horizon(bundled_prepared, weeks=two_weeks.weeks, last_visits={})
    assert [p.without_timing() for p in again.plans] == [
        p.without_timing() for p in two_weeks.plans
    ]


def test_rotation_calendar_rows_and_columns(bundled_prepared: Prepared, two_weeks: Horizon) -> None:
    calendar = rotation_calendar(two_weeks, bundled_prepared.scenario, bundled_prepared.territory)
    assert len(calendar.rows) == 69  # one row per commune of the territory
    assert all(len(row.cells) == 2 for row in calendar.rows)  # one column per week
    sessions = sum(len(t.visits) for p in two_weeks.plans for t in p.tours)
    assert sum(row.visits for row in calendar.rows) == sessions

    files = horizon_files(bundled_prepared, two_weeks, full=False)
    table = list(read_csv_text(str(files["rotation.csv"])))
    assert table[0] == ["code INSEE", "commune", "habitants", "2026-W49", "2026-W50", "visites"]
    assert column_keys(table[0]) == [
        "insee", "commune", "population", "2026-W49", "2026-W50", "visits"
    ]  # fmt: skip
    assert len(table) == 1 + 69
    assert {"2026-W49/schedule.csv", "2026-W50/plan.json", "rotation.html"} <= set(files)
    html = str(files["rotation.html"])
    assert html.count("<tr>") >= 69


def test_plan_weeks_command_writes_each_week_and_not_the_history(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``plan --weeks 2``: a folder per week, a rotation calendar; the history stays unwritten."""
    monkeypatch.setenv("ITINERANT_OFFLINE", "1")
    monkeypatch.setenv("ITINERANT_CACHE_DIR", str(tmp_path / "cache"))
    scenario = write_bundled_copy(tmp_path)
    out = tmp_path / "out"
    result = CliRunner().invoke(
        cli, ["plan", str(scenario), "--week", "2026-W49", "--weeks", "2", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert (out / "rotation.csv").exists()
    assert (out / "rotation.html").exists()
    for week in ("2026-W49", "2026-W50"):
        assert (out / week / "plan.json").exists()
        assert (out / week / "schedule.csv").exists()
    assert not (tmp_path / "history").exists()  # fed forward in memory only
