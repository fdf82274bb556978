"""Run a :class:`RoutingProblem` through itinerant's routing core, PyVRP or VROOM.

Every runner takes the same integer ``RoutingProblem`` (the one the shared builder
solves) and returns the routes as node ids, so the benchmark scripts re-check and score
all solvers the same way. PyVRP and VROOM are the benchmark-only ``bench`` extra: a
missing one is reported by :func:`missing` and skipped by the scripts.

Solvers:

* ``itinerant``: what the planner runs for a week's routing,
  :func:`itinerant.optimize.routing.solve_with` with ``SolverSettings()`` (the default
  work budget in solutions, first-solution strategy and metaheuristic), the benchmark's
  limit as the wall-clock safety net; the note says which limit ended the run;
* ``itinerant-core``: :func:`itinerant.optimize.routing.solve` with its own defaults
  (``AUTOMATIC``: on Solomon iterated local search with fleet search, on OPTW guided
  local search), stopped by the time limit only (the solution limit is lifted): the
  Solomon configuration;
* variants, all through the same ``solve``, time limit only: ``itinerant-gls`` (guided
  local search, the default before issue 3), ``itinerant-ils-nofleet`` (iterated local
  search without the fleet search), ``itinerant-ils-rw`` (a random-walk ruin alongside
  SISR), ``itinerant-ils-abs`` (absences-based acceptance), ``itinerant-tabu`` (tabu
  search), ``itinerant-warm`` (VROOM's routes for at most a third of the limit as
  ``initial_routes``, guided local search for the time left) and ``itinerant-pyvrp``
  (the same from PyVRP's routes after half the limit: a hybrid);
* ``pyvrp``: PyVRP's ``Model`` (one vehicle type per class of identical vehicles,
  explicit edges), ``MaxRuntime(limit)``, the given seed;
* ``vroom``: pyvroom with custom duration and cost matrices, exploration level 5, the
  limit as its timeout (it usually stops well before).

The translation covers what the benchmarks use (one depot, one window per node, service,
demand, capacity, fixed cost, prizes); anything else raises ``NotImplementedError``.
"""

from __future__ import annotations

import importlib.util
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import reduce
from typing import TYPE_CHECKING, Any

from ortools.constraint_solver import routing_enums_pb2

from itinerant.optimize.routing import RoutingResult, solve, solve_with
from itinerant.scenario import MetaheuristicName, SolverSettings

if TYPE_CHECKING:
    from itinerant.optimize.problem import RoutingProblem, Vehicle

SOLVERS = (
    "itinerant",
    "itinerant-core",
    "itinerant-gls",
    "itinerant-ils-nofleet",
    "itinerant-ils-rw",
    "itinerant-ils-abs",
    "itinerant-ils-savings",
    "itinerant-tabu",
    "itinerant-warm",
    "itinerant-pyvrp",
    "pyvrp",
    "vroom",
)
_NEEDS = {"itinerant-warm": "vroom", "itinerant-pyvrp": "pyvrp", "pyvrp": "pyvrp", "vroom": "vroom"}
NO_LIMIT = 10**9
"""Solution limit given to the routing core so that only the time limit stops it."""


@dataclass(frozen=True)
class Solved:
    """Routes (node ids, one list per used vehicle), wall time and a short note.

    From the routing core also its solutions and what ended it (``RoutingResult.ended_by``).
    """

    routes: tuple[tuple[str, ...], ...]
    wall_s: float
    note: str = ""
    solutions: int | None = None
    ended_by: str = ""


def missing(solver: str) -> str | None:
    """Return why a solver cannot run here (its package is missing), else ``None``."""
    if solver not in SOLVERS:
        return f"unknown solver {solver!r}; choose from {', '.join(SOLVERS)}"
    package = _NEEDS.get(solver)
    if package and importlib.util.find_spec(package) is None:
        return f"{solver}: package {package!r} not installed (pip install '.[bench]'), skipped"
    return None


def run(solver: str, problem: RoutingProblem, *, limit_s: float, seed: int, threads: int) -> Solved:
    """Run one solver on a problem with a wall-clock limit.

    Parameters
    ----------
    solver
        One of :data:`SOLVERS`.
    problem
        The integer problem, as built for the shared routing core.
    limit_s
        Time limit in seconds.
    seed
        Seed (PyVRP; the routing core is deterministic, VROOM takes none).
    threads
        Threads for VROOM.

    Returns
    -------
    Solved
        The routes found (empty when none) and the wall time around the call.
    """
    runners: dict[str, Callable[[], Solved]] = {
        "itinerant": lambda: run_planner(problem, limit_s),
        "itinerant-core": lambda: run_itinerant(problem, limit_s),
        "itinerant-gls": lambda: run_itinerant(
            problem, limit_s, metaheuristic="GUIDED_LOCAL_SEARCH"
        ),
        "itinerant-ils-nofleet": lambda: run_itinerant(problem, limit_s, fleet_search=False),
        "itinerant-ils-rw": lambda: run_itinerant(problem, limit_s, tune=_random_walk),
        "itinerant-ils-abs": lambda: run_itinerant(problem, limit_s, tune=_absences),
        "itinerant-ils-savings": lambda: run_itinerant(problem, limit_s, tune=_savings),
        "itinerant-tabu": lambda: run_itinerant_warm(problem, limit_s, metaheuristic="TABU_SEARCH"),
        "itinerant-warm": lambda: run_itinerant_warm(
            problem, limit_s, start_with=lambda t: run_vroom(problem, t, threads)
        ),
        "itinerant-pyvrp": lambda: run_itinerant_warm(
            problem, limit_s, start_with=lambda t: run_pyvrp(problem, t, seed), start_share=0.5
        ),
        "pyvrp": lambda: run_pyvrp(problem, limit_s, seed),
        "vroom": lambda: run_vroom(problem, limit_s, threads),
    }
    return runners[solver]()


# --------------------------------------------------------------------------- itinerant


def _random_walk(params: Any) -> None:
    """ILS variant: a random-walk ruin of 10 visits alongside SISR, one at random."""
    ruin = params.iterated_local_search_parameters.ruin_recreate_parameters.ruin_strategies
    ruin.add().random_walk.num_removed_visits = 10


def _savings(params: Any) -> None:
    """ILS variant: savings first solution (fewer, fuller routes to start from)."""
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.SAVINGS


def _absences(params: Any) -> None:
    """ILS variant: reference accepted on fewer absences (SISR's fleet criterion)."""
    accept = params.iterated_local_search_parameters.reference_solution_acceptance_strategy
    accept.absences_based.remove_route_with_lowest_absences = False


def _solved(result: RoutingResult, wall: float, note: str) -> Solved:
    """Return the routing core's result as :class:`Solved`."""
    routes = tuple(tuple(node for node, _ in r.visits) for r in result.routes)
    return Solved(routes, wall, note, result.solutions, result.ended_by)


def run_planner(problem: RoutingProblem, limit_s: float) -> Solved:
    """Route as the planner does with the default settings, ``limit_s`` as safety net."""
    settings = SolverSettings(time_limit_s=float(limit_s))
    began = time.perf_counter()
    result = solve_with(problem, settings)
    wall = time.perf_counter() - began
    note = (
        f"{settings.metaheuristic.lower()}, {result.solutions}/{result.solution_limit}"
        f" solutions, ended by {result.ended_by}"
    )
    return _solved(result, wall, note)


def run_itinerant(
    problem: RoutingProblem,
    limit_s: float,
    *,
    metaheuristic: MetaheuristicName = "ITERATED_LOCAL_SEARCH",
    fleet_search: bool | None = None,
    tune: Callable[[Any], None] | None = None,
) -> Solved:
    """Solve with the shared routing core (its defaults unless given), time limit only."""
    began = time.perf_counter()
    result = solve(
        problem,
        solution_limit=NO_LIMIT,
        time_limit_s=limit_s,
        metaheuristic=metaheuristic,
        fleet_search=fleet_search,
        tune=tune,
    )
    wall = time.perf_counter() - began
    return _solved(result, wall, f"{result.status}, {result.solutions} solutions")


def run_itinerant_warm(
    problem: RoutingProblem,
    limit_s: float,
    *,
    start_with: Callable[[float], Solved] | None = None,
    start_share: float = 1 / 3,
    metaheuristic: MetaheuristicName = "GUIDED_LOCAL_SEARCH",
) -> Solved:
    """Solve with the shared core, another metaheuristic and/or a peer's routes as start.

    ``start_with(seconds)`` (a peer) runs for at most ``start_share`` of the limit; its
    routes seed :func:`itinerant.optimize.routing.solve` for the time left (the peer's
    time counts against ``limit_s``). Nodes the start leaves out are inserted by the search.
    """
    began = time.perf_counter()
    start = start_with(limit_s * start_share) if start_with else None
    left = max(0.1, limit_s - (time.perf_counter() - began))
    result = solve(
        problem,
        solution_limit=NO_LIMIT,
        time_limit_s=left,
        metaheuristic=metaheuristic,
        initial_routes=start.routes if start is not None else None,
    )
    wall = time.perf_counter() - began
    note = metaheuristic.lower()
    if start is not None:
        note += f", from {len(start.routes)} routes in {start.wall_s:.1f}s"
    return _solved(result, wall, f"{note}, {result.solutions} solutions")


# --------------------------------------------------------------------------- peers


def _check_supported(problem: RoutingProblem) -> None:
    depots = {v.start_location for v in problem.vehicles} | {
        v.end_location for v in problem.vehicles
    }
    reasons = []
    if len(depots) != 1:
        reasons.append("more than one depot")
    if len({v.profile for v in problem.vehicles}) != 1:
        reasons.append("more than one profile")
    if any(v.setup or v.service or v.lunch or v.max_drive or v.max_stops for v in problem.vehicles):
        reasons.append("vehicle setup/service/lunch/driving or stop caps")
    if any(len(n.windows) != 1 or n.vehicles or n.requires for n in problem.nodes):
        reasons.append("several windows, allowed vehicles or linked visits")
    if reasons:
        msg = f"peer translation does not support: {'; '.join(reasons)}"
        raise NotImplementedError(msg)


def _costs(problem: RoutingProblem, v: Vehicle) -> list[list[int]]:
    m = problem.matrix(v.profile)
    n = len(m.travel)
    distance = m.distances([(a, b) for a in range(n) for b in range(n)])
    return [
        [
            v.cost_per_time * m.travel[a][b] + v.cost_per_distance * distance[a * n + b]
            for b in range(n)
        ]
        for a in range(n)
    ]


def _vehicle_type(v: Vehicle) -> tuple[Any, ...]:
    return (v.capacity, v.fixed_cost, v.start_window, v.end_window, v.cost_per_time)


def _optional(problem: RoutingProblem) -> list[tuple[bool, int]]:
    """Per node: (required, prize) as the shared builder sets its disjunctions."""
    out = []
    for n in problem.nodes:
        if not n.mandatory:
            out.append((False, max(1, n.prize)))
        elif problem.mandatory_penalty is not None:
            out.append((False, problem.mandatory_penalty))
        else:
            out.append((True, 0))
    return out


def run_pyvrp(problem: RoutingProblem, limit_s: float, seed: int) -> Solved:
    """Solve with PyVRP on the same integer data (explicit edges, no coordinates)."""
    from pyvrp import Model
    from pyvrp.stop import MaxRuntime

    _check_supported(problem)
    began = time.perf_counter()
    v0 = problem.vehicles[0]
    travel = problem.matrix(v0.profile).travel
    costs = _costs(problem, v0)
    model = Model()
    places = [v0.start_location, *(n.location for n in problem.nodes)]
    locations = [model.add_location(0, 0) for _ in places]
    depot = model.add_depot(
        locations[0],
        tw_early=v0.start_window[0],
        tw_late=max(v.end_window[1] for v in problem.vehicles),
    )
    groups: dict[tuple[Any, ...], list[Vehicle]] = {}
    for v in problem.vehicles:
        groups.setdefault(_vehicle_type(v), []).append(v)
    for group in groups.values():
        v = group[0]
        model.add_vehicle_type(
            num_available=len(group),
            capacity=[] if v.capacity is None else v.capacity,
            start_depot=depot,
            end_depot=depot,
            fixed_cost=v.fixed_cost,
            tw_early=v.start_window[0],
            tw_late=v.end_window[1],
            start_late=v.start_window[1],
        )
    for node, loc, (required, prize) in zip(
        problem.nodes, locations[1:], _optional(problem), strict=True
    ):
        model.add_client(
            loc,
            delivery=[] if v0.capacity is None else node.demand,
            service_duration=node.service,
            tw_early=node.windows[0][0],
            tw_late=node.windows[0][1],
            prize=prize,
            required=required,
            name=node.id,
        )
    for i, a in enumerate(places):
        for j, b in enumerate(places):
            if i != j:
                model.add_edge(
                    locations[i], locations[j], distance=costs[a][b], duration=travel[a][b]
                )
    result = model.solve(stop=MaxRuntime(limit_s), seed=seed, display=False)
    wall = time.perf_counter() - began
    if not result.best.is_feasible():
        return Solved((), wall, "no feasible solution")
    # a client activity's idx counts clients only, in the order they were added
    routes = tuple(
        tuple(problem.nodes[a.idx].id for a in route if a.is_client())
        for route in result.best.routes()
    )
    return Solved(routes, wall, f"{result.num_iterations} iterations")


def run_vroom(problem: RoutingProblem, limit_s: float, threads: int) -> Solved:
    """Solve with VROOM (pyvroom) on the same integer matrices; prizes become priorities.

    VROOM maximises the priority sum of assigned jobs first (priorities 0..100): a prize
    is divided by the greatest common divisor of all prizes (exact when the largest is
    then at most 100, else scaled to 100 and rounded, noted). Required jobs get 100.
    """
    import vroom

    _check_supported(problem)
    began = time.perf_counter()
    v0 = problem.vehicles[0]
    inp = vroom.Input()
    inp.set_durations_matrix("car", [list(row) for row in problem.matrix(v0.profile).travel])
    inp.set_costs_matrix("car", _costs(problem, v0))
    for k, v in enumerate(problem.vehicles):
        inp.add_vehicle(
            vroom.Vehicle(
                id=k,
                start=v.start_location,
                end=v.end_location,
                profile="car",
                capacity=[] if v.capacity is None else [v.capacity],
                time_window=vroom.TimeWindow(v.start_window[0], v.end_window[1]),
                costs=vroom.VehicleCosts(fixed=v.fixed_cost),
            )
        )
    optional = _optional(problem)
    prizes = [p for required, p in optional if not required]
    divisor = reduce(math.gcd, prizes, 0) or 1
    top = max((p // divisor for p in prizes), default=0)
    note = "" if top <= 100 else f"priorities rounded ({top} > 100)"
    for i, (node, (required, prize)) in enumerate(zip(problem.nodes, optional, strict=True)):
        priority = 100 if required else prize // divisor
        if top > 100 and not required:
            priority = round(100 * priority / top)
        inp.add_job(
            vroom.Job(
                id=i,
                location=node.location,
                default_service=node.service,
                delivery=vroom.Amount([node.demand])
                if v0.capacity is not None
                else vroom.Amount([]),
                priority=priority,
                time_windows=[vroom.TimeWindow(*node.windows[0])],
            )
        )
    solution = inp.solve(
        exploration_level=5, nb_threads=threads, timeout=timedelta(seconds=limit_s)
    )
    wall = time.perf_counter() - began
    frame = solution.routes
    jobs = frame[frame["type"] == "job"]
    routes = tuple(
        tuple(problem.nodes[int(j)].id for j in group["id"])
        for _, group in jobs.groupby("vehicle_id", sort=True)
    )
    return Solved(routes, wall, note)
