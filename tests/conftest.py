"""Fixtures shared by every test folder (builders and checks: ``reference_week.py``)."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import pytest
from click.testing import CliRunner
from reference_week import check_plan

from itinerant.cli import cli
from itinerant.geo.matrix import TravelMatrix
from itinerant.loading import load_bundled_territory
from itinerant.plan import Plan
from itinerant.scenario import Scenario
from itinerant.territory import Stop, Territory

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def territory() -> Territory:
    """The 69 real communes of the CC des 7 Vallées (bundled CSV, town-hall points)."""
    return load_bundled_territory("7-vallees")


@pytest.fixture
def plan_checker() -> Callable[[Plan, Scenario, Sequence[Stop], Mapping[str, TravelMatrix]], None]:
    """The function that asserts every hard rule of a plan."""
    return check_plan


@pytest.fixture(scope="session")
def straight_line_week(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The bundled scenario on straight lines with a small search budget, and its week plan.

    ``itinerant plan`` once per session (a few seconds): returns the scenario file (its
    history in the same temporary folder) and the ``plan.json`` of 2026-W49.
    """
    folder = tmp_path_factory.mktemp("straight-line-week")
    text = (ROOT / "scenarios" / "7-vallees.yaml").read_text(encoding="utf-8")
    for old, new in (
        ("source: auto", "source: straight_line"),
        ("lns_iterations: 2000", "lns_iterations: 20\n  solution_limit: 20"),
        ("history: history/7-vallees.sqlite", "history: history.sqlite"),
    ):
        assert old in text, old
        text = text.replace(old, new, 1)
    scenario = folder / "scenario.yaml"
    scenario.write_text(text, encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = CliRunner().invoke(
            cli, ["plan", str(scenario), "--week", "2026-W49", "--out", str(folder / "w49")]
        )
    assert result.exit_code == 0, result.output
    return scenario, folder / "w49" / "plan.json"
