"""The 7 Vallées week: our planner against VROOM on the same matrix, and time limits.

Run on demand (not a test)::

    python benchmarks/bench_week.py [--runs 5] [--limits 10 30 120] [--week 2026-W49]
        [--metaheuristic GUIDED_LOCAL_SEARCH]

Prints, side by side: value served, visits, driving time and run time of our planner and
of VROOM (pyvroom, benchmark extra) given the same unit-days (our roster: VROOM cannot
crew), skills, opening windows, lunch breaks, driving and stop caps, priorities from the
same visit values, and the same matrices; then the median planning time of the default
configuration over ``--runs`` runs, and the value reached when the search is stopped by
a wall-clock limit only.

No OSM extract of the 7 Vallées is available offline, so the matrices are the flagged
straight-line fallback (x 1.3); with a cached network the same script uses the roads.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import statistics
import tempfile
import time
import warnings
from pathlib import Path
from typing import get_args

from itinerant.errors import ApproximateDistancesWarning
from itinerant.loading import load_scenario, with_week
from itinerant.optimize.problem import build_problem, week_dates
from itinerant.pipeline import Prepared, plan_prepared, prepare
from itinerant.plan import Plan
from itinerant.scenario import WEEKDAYS, MetaheuristicName

ROOT = Path(__file__).resolve().parents[1]
DAY_S = 86_400


def prepared_week(week: str) -> Prepared:
    """Load the bundled scenario for a week and prepare it (offline)."""
    scenario, territory = load_scenario(ROOT / "scenarios" / "7-vallees.yaml")
    scenario = with_week(scenario, week)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ApproximateDistancesWarning)
        return prepare(
            scenario, territory, cache_dir=Path(tempfile.mkdtemp()), allow_download=False
        )


def with_solver(prepared: Prepared, **solver: object) -> Prepared:
    """Return the prepared scenario with other solver settings."""
    scenario = prepared.scenario
    updated = scenario.model_copy(update={"solver": scenario.solver.model_copy(update=solver)})
    return dataclasses.replace(prepared, scenario=updated)


def plan_ours(prepared: Prepared, week: str) -> tuple[Plan, float]:
    """Plan the week with our planner; return the plan and its wall time."""
    start = time.perf_counter()
    plan = plan_prepared(prepared, week=week, last_visits={})
    return plan, time.perf_counter() - start


def first_visit_values(prepared: Prepared, week: str) -> dict[str, float]:
    """Value of a first visit to each stop this week, as our objective counts it."""
    dates = week_dates(prepared.scenario.period, week)
    problem = build_problem(
        prepared.scenario,
        prepared.stops,
        prepared.scores,
        {},
        prepared.matrices,
        week_dates=dates,
        week=week,
    )
    return {
        node.id.split("#")[0]: node.prize / 100 for node in problem.nodes if node.id.endswith("#1")
    }


def crew_window(
    prepared: Prepared, unit_id: str, crew: tuple[str, ...], day: dt.date
) -> tuple[int, int]:
    """The unit's working day cut to the window every crew member is available that day."""
    unit = next(u for u in prepared.scenario.units if u.id == unit_id)
    start, end = unit.day.start, unit.day.end
    weekday = WEEKDAYS[day.weekday()]
    for person in prepared.scenario.staff:
        if person.id in crew:
            windows = person.availability.get(weekday, ())
            start = max(start, min(w.start for w in windows))
            end = min(end, max(w.end for w in windows))
    return start, end


def plan_vroom(prepared: Prepared, plan: Plan, values: dict[str, float]) -> dict[str, float]:
    """Solve the same unit-days with VROOM; return its figures."""
    import numpy as np
    import vroom

    scenario = prepared.scenario
    units = {unit.id: unit for unit in scenario.units}
    # VROOM skills are requirements: a job allowed to some units only requires the skill
    # of that set, which the vehicles of those units hold
    all_units = tuple(sorted(units))
    allowed_sets = sorted({tuple(sorted(s.units)) for s in prepared.stops} - {all_units})
    skill_of = {allowed: number for number, allowed in enumerate(allowed_sets, start=1)}
    monday = plan.dates[0] - dt.timedelta(days=plan.dates[0].weekday())
    problem = vroom.Input()
    for unit in scenario.units:
        matrix = prepared.matrices[unit.vehicle.key]
        problem.set_durations_matrix(unit.id, np.array(matrix.travel_time_s, dtype=np.uint32))
    point_index = {pid: i for i, pid in enumerate(next(iter(prepared.matrices.values())).point_ids)}
    # the vehicles: the unit-days our roster crews, over the unit's whole working day
    # and the crew's availability (not our tour's shift, which fits our own route)
    for number, tour in enumerate(plan.tours, start=1):
        unit = units[tour.unit_id]
        offset = (tour.date - monday).days * DAY_S
        shift_start, shift_end = crew_window(prepared, tour.unit_id, tour.crew, tour.date)
        breaks = []
        lunch = unit.lunch
        if lunch is not None:
            # the break starts inside the lunch window and within the shift
            earliest = max(lunch.start, shift_start)
            latest = min(lunch.end, shift_end) - lunch.duration_min
            if earliest <= latest:
                breaks.append(
                    vroom.Break(
                        1,
                        time_windows=[
                            vroom.TimeWindow(offset + earliest * 60, offset + latest * 60)
                        ],
                        service=lunch.duration_min * 60,
                    )
                )
        problem.add_vehicle(
            vroom.Vehicle(
                number,
                start=0,
                end=0,
                profile=unit.id,
                skills={skill for allowed, skill in skill_of.items() if unit.id in allowed},
                time_window=vroom.TimeWindow(offset + shift_start * 60, offset + shift_end * 60),
                breaks=breaks,
                max_tasks=unit.stops_per_day,
                max_travel_time=unit.max_drive_min * 60,
                type=unit.id,
            )
        )
    top = max(values.values())
    crewed = sorted({tour.date for tour in plan.tours})
    for number, stop in enumerate(prepared.stops, start=1):
        if stop.id not in values:
            continue
        setup = min(units[u].setup_min for u in stop.units) * 60
        windows = [
            vroom.TimeWindow(
                (day - monday).days * DAY_S + w.start * 60 - setup,
                (day - monday).days * DAY_S + w.end * 60 - setup,
            )
            for day in crewed
            for w in stop.windows_on(day)
        ]
        if not windows:
            continue
        problem.add_job(
            vroom.Job(
                number,
                location=point_index[stop.id],
                skills=(
                    {skill_of[tuple(sorted(stop.units))]}
                    if tuple(sorted(stop.units)) in skill_of
                    else set()
                ),
                priority=round(100 * values[stop.id] / top),
                time_windows=windows,
                setup_per_type={u: units[u].setup_min * 60 for u in stop.units},
                service_per_type={
                    u: (units[u].session_min + units[u].packup_min) * 60 for u in stop.units
                },
                description=stop.id,
            )
        )
    start = time.perf_counter()
    solution = problem.solve(exploration_level=5, nb_threads=2)
    elapsed = time.perf_counter() - start
    routes = solution.routes
    jobs = routes[routes["type"] == "job"]
    visited = [prepared.stops[int(j) - 1].id for j in jobs["id"]]
    return {
        "value": sum(values[s] for s in visited),
        "visits": len(visited),
        "drive_h": float(solution.summary.duration) / 3600 if hasattr(solution, "summary") else 0,
        "seconds": elapsed,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--week", default="2026-W49")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--limits", type=float, nargs="*", default=[10, 30, 120])
    parser.add_argument(
        "--metaheuristic",
        choices=get_args(MetaheuristicName),
        help="override the scenario's solver.metaheuristic",
    )
    args = parser.parse_args()
    prepared = prepared_week(args.week)
    if args.metaheuristic:
        prepared = with_solver(prepared, metaheuristic=args.metaheuristic)
    values = first_visit_values(prepared, args.week)
    print(
        f"7 Vallées, week {args.week}: {len(prepared.stops)} stops, "
        f"matrices {'approximate (straight line x 1.3)' if prepared.approximate else 'road'}, "
        f"{prepared.scenario.solver.metaheuristic}"
    )

    times = []
    plan: Plan | None = None
    for _ in range(args.runs):
        plan, seconds = plan_ours(prepared, args.week)
        times.append(seconds)
    assert plan is not None
    print(
        f"\nours, default settings ({plan.provenance.search_ended_by}): median "
        f"{statistics.median(times):.2f} s over {args.runs} runs "
        f"(min {min(times):.2f}, max {max(times):.2f})"
    )
    rows: list[tuple[str, float, float, float, float]] = [
        (
            "ours",
            plan.kpis.value_served,
            plan.kpis.visits,
            plan.kpis.driving_h,
            statistics.median(times),
        )
    ]
    try:
        theirs = plan_vroom(prepared, plan, values)
        rows.append(
            ("VROOM x=5", theirs["value"], theirs["visits"], theirs["drive_h"], theirs["seconds"])
        )
    except ImportError:
        print("VROOM: not installed (pip install -e '.[bench]')")
    print(f"\n{'planner':<12} {'value':>8} {'visits':>7} {'drive h':>8} {'time s':>7}")
    for name, value, visits, drive, seconds in rows:
        print(f"{name:<12} {value:>8.1f} {visits:>7} {drive:>8.2f} {seconds:>7.2f}")
    if len(rows) == 2:
        print(f"value ratio ours / VROOM: {rows[0][1] / max(rows[1][1], 1e-9):.3f}")
    print(
        "VROOM leaves out: crews (given our roster), urgency beyond a priority 0-100, "
        "second visits, multi-day stays, mandatory visits."
    )

    print(f"\n{'time limit':>10} {'value':>8} {'visits':>7} {'ended by':>14}")
    for limit in args.limits:
        limited = with_solver(prepared, time_limit_s=limit, lns_iterations=10**9)
        result, seconds = plan_ours(limited, args.week)
        print(
            f"{limit:>9.0f}s {result.kpis.value_served:>8.1f} {result.kpis.visits:>7} "
            f"{result.provenance.search_ended_by:>14} ({seconds:.1f} s)"
        )


if __name__ == "__main__":
    main()
