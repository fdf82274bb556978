"""Same inputs, same plan on any machine: both searches stop on work, not on the clock.

The roster (CP-SAT) stops on its deterministic time, the routing on its solution budget;
the wall-clock limit is only a safety net. A plan made while two processes burn the
machine's CPU must be byte for byte the plan made alone (``solve_time_s``, the one
wall-clock figure, zeroed).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import subprocess
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from itinerant.errors import ApproximateDistancesWarning
from itinerant.loading import load_scenario, with_week
from itinerant.pipeline import Prepared, plan_prepared, prepare
from itinerant.render.schedule import render_plan_json

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # benchmarks/ is run from the repository root, not installed
    sys.path.insert(0, str(ROOT))

from benchmarks.bench_scale import prepared_scale

WEEK = "2026-W49"
STAMP = dt.datetime(2026, 11, 23, 8, 0, tzinfo=dt.UTC)


@contextmanager
def cpu_burners(count: int = 2) -> Iterator[None]:
    """Run ``count`` processes that spin on the CPU for the duration of the block."""
    burners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(count)]
    try:
        yield
    finally:
        for burner in burners:
            burner.kill()
        for burner in burners:
            burner.wait()


def _plan_json(prepared: Prepared) -> bytes:
    plan = plan_prepared(prepared, week=WEEK, last_visits={}, generated_at=STAMP)
    assert plan.provenance.search is not None
    # the work budgets, not the clock, ended both searches
    assert plan.provenance.search.timed_out == ()
    return render_plan_json(plan.without_timing()).encode("utf-8")


def _alone_then_loaded(prepared: Prepared) -> tuple[bytes, bytes]:
    alone = _plan_json(prepared)
    with cpu_burners():
        loaded = _plan_json(prepared)
    return alone, loaded


@pytest.mark.slow
def test_bundled_scenario_same_plan_under_cpu_load(tmp_path: Path) -> None:
    """The 7 Vallées week (69 communes, straight lines, default budgets) under load."""
    scenario, territory = load_scenario(ROOT / "scenarios" / "7-vallees.yaml")
    scenario = with_week(scenario, WEEK)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ApproximateDistancesWarning)
        prepared = prepare(scenario, territory, cache_dir=tmp_path, allow_download=False)
    alone, loaded = _alone_then_loaded(prepared)
    assert b'"tours": []' not in alone
    assert alone == loaded


@pytest.mark.slow
def test_large_territory_same_plan_under_cpu_load(tmp_path: Path) -> None:
    """300 communes drawn from a seed; a routing budget of 200 solutions keeps it short."""
    prepared = prepared_scale(300, 7, WEEK, tmp_path)
    assert len(prepared.stops) == 300
    solver = prepared.scenario.solver.model_copy(update={"solution_limit": 200})
    scenario = prepared.scenario.model_copy(update={"solver": solver})
    alone, loaded = _alone_then_loaded(dataclasses.replace(prepared, scenario=scenario))
    assert alone == loaded
