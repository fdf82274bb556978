"""Plan weeks of growing territories: time, value, bound, visits and what ended each search.

Run on demand (not a test)::

    python benchmarks/bench_scale.py [--sizes 69 200 400 900] [--seed 0] [--budget 1.0]
        [--week 2026-W49]

Each territory is the bundled 7 Vallées (69 real communes) plus synthetic communes drawn
from ``--seed`` around Hesdin at the same density (see :func:`scale_scenario`), planned
offline on straight lines with the bundled scenario's units, staff and rules.
``--budget`` scales both work budgets (the roster's deterministic time and the routing's
solution limit) from their defaults, so ``--budget 0.1`` gives a fast run.

Prints, one line per size: planning time, value served, the roster's upper bound and
gap, visits, and which limit ended the roster and the routing searches.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import random
import tempfile
import time
import warnings
from pathlib import Path

from itinerant.errors import ApproximateDistancesWarning
from itinerant.loading import load_scenario, with_week
from itinerant.pipeline import Prepared, plan_prepared, prepare
from itinerant.plan import Plan

ROOT = Path(__file__).resolve().parents[1]
BUNDLED = ROOT / "scenarios" / "7-vallees.yaml"
BUNDLED_COMMUNES = ROOT / "itinerant" / "data" / "communes_7vallees.csv"
HESDIN = (50.373001, 2.03727)
BUNDLED_RADIUS_KM = 17.0
"""Radius of a disc around Hesdin about as large as the 7 Vallées (69 communes)."""


def scale_scenario(n_communes: int, seed: int, folder: Path) -> Path:
    """Write a scenario of ``n_communes`` communes into ``folder``; return its path.

    The 69 communes of the 7 Vallées, then ``n_communes - 69`` synthetic ones (codes
    ``99001``...), uniform in a disc around Hesdin whose area grows with their number (the
    same density), with log-normal populations; the same ``seed``, the same territory.
    The scenario is the bundled one on straight lines (no road network).
    """
    if n_communes < 69:
        msg = f"a scaled territory has at least the 69 bundled communes, not {n_communes}"
        raise ValueError(msg)
    rng = random.Random(seed)
    lines = BUNDLED_COMMUNES.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    rows = [",".join(header[:6])]
    rows += [",".join(line.split(",")[:6]) for line in lines[1:]]
    radius_km = BUNDLED_RADIUS_KM * math.sqrt(n_communes / 69)
    for k in range(n_communes - 69):
        distance = radius_km * math.sqrt(rng.random())
        angle = 2 * math.pi * rng.random()
        lat = HESDIN[0] + distance * math.cos(angle) / 111.2
        lon = HESDIN[1] + distance * math.sin(angle) / (111.2 * math.cos(math.radians(HESDIN[0])))
        population = max(50, round(rng.lognormvariate(6.0, 0.9)))
        rows.append(f"{99001 + k},Commune {k + 1},{population},2023,{lat:.6f},{lon:.6f}")
    (folder / "communes.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    text = BUNDLED.read_text(encoding="utf-8")
    text = text.replace("  bundled: 7-vallees", "  communes_csv: communes.csv", 1)
    text = text.replace("  source: auto", "  source: straight_line", 1)
    path = folder / "scenario.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def prepared_scale(n_communes: int, seed: int, week: str, folder: Path) -> Prepared:
    """Load and prepare a scaled territory for a week (offline, straight lines)."""
    scenario, territory = load_scenario(scale_scenario(n_communes, seed, folder))
    scenario = with_week(scenario, week)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ApproximateDistancesWarning)
        return prepare(scenario, territory, cache_dir=folder / "cache", allow_download=False)


def with_budget(prepared: Prepared, factor: float) -> Prepared:
    """Return the prepared scenario with both work budgets scaled by ``factor``."""
    solver = prepared.scenario.solver
    update = {
        "roster_work_limit": solver.roster_work_limit * factor,
        "solution_limit": max(1, round(factor * solver.routing_solution_limit)),
    }
    scenario = prepared.scenario.model_copy(update={"solver": solver.model_copy(update=update)})
    return dataclasses.replace(prepared, scenario=scenario)


def _row(n: int, plan: Plan, seconds: float) -> str:
    stats = plan.provenance.search
    assert stats is not None  # the planner always records it
    roster, routing = stats.roster, stats.routing
    bound = f"{roster.bound:,.0f}" if roster.bound is not None else "-"
    gap = f"{100 * roster.gap:.1f} %" if roster.gap is not None else "-"
    return (
        f"{n:>6} {seconds:>8.1f} {plan.kpis.value_served:>10,.0f} {bound:>12} {gap:>7} "
        f"{plan.kpis.visits:>6} {roster.ended_by:>15} {routing.ended_by:>15}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[69, 200, 400, 900])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--budget", type=float, default=1.0, help="factor on the work budgets")
    parser.add_argument("--week", default="2026-W49")
    args = parser.parse_args()
    print(
        f"{'size':>6} {'time s':>8} {'value':>10} {'roster bound':>12} {'gap':>7} "
        f"{'visits':>6} {'roster ended':>15} {'routing ended':>15}"
    )
    for n in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            prepared = with_budget(prepared_scale(n, args.seed, args.week, Path(tmp)), args.budget)
            start = time.perf_counter()
            plan = plan_prepared(prepared, week=args.week, last_visits={})
            print(_row(n, plan, time.perf_counter() - start), flush=True)


if __name__ == "__main__":
    main()
