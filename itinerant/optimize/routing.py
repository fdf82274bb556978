"""Build and solve the OR-Tools routing model of a :class:`RoutingProblem`.

The builder is generic (a prize-collecting VRP with time windows, per-vehicle service
times, driving caps, stop caps, capacities and a lunch break), so benchmark adapters
(Solomon VRPTW, orienteering with time windows) use it as the planner does. Routes come
back as plain data (:class:`RoutingResult`); OR-Tools types never leave this module.

Idiom: native transit matrices (``RegisterTransitMatrix``), a ``time`` dimension with
slack for waiting and a cumul range per window, start/end times squeezed by finalizers,
``AddDisjunction`` for optional visits, ``SetBreakIntervalsOfVehicle`` for lunch.
OR-Tools is imported by the functions that build and solve (it is slow to import).
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from itertools import pairwise
from typing import Any, Final, Literal

from itinerant.optimize.problem import Matrix, RoutingProblem, Vehicle
from itinerant.scenario import FirstSolutionStrategy, MetaheuristicName, SolverSettings

__all__ = [
    "FirstSolution",
    "Route",
    "RoutingResult",
    "build_model",
    "solve",
    "solve_with",
]

logger = logging.getLogger(__name__)

FirstSolution = FirstSolutionStrategy

_STATUS = {
    0: "NOT_SOLVED",
    1: "SUCCESS",
    2: "PARTIAL_SUCCESS_LOCAL_OPTIMUM_NOT_REACHED",
    3: "FAIL",
    4: "FAIL_TIMEOUT",
    5: "INVALID",
    6: "INFEASIBLE",
    7: "OPTIMAL",
}


@dataclass(frozen=True)
class Route:
    """One vehicle's route: departure, visits (node id, service start), return, lunch."""

    vehicle: str
    departure: int
    visits: tuple[tuple[str, int], ...]
    return_time: int
    lunch: tuple[int, int] | None


@dataclass(frozen=True)
class RoutingResult:
    """Routes of the used vehicles, dropped nodes and how the search went."""

    routes: tuple[Route, ...]
    dropped: tuple[str, ...]
    objective: int
    status: str
    ended_by: Literal["solution_limit", "time_limit", "local_optimum", "no_search", "unknown"]
    solutions: int
    solve_time_s: float
    first_solution: str
    solution_limit: int
    time_limit_s: float


@dataclass
class _Model:
    """The OR-Tools objects of one built model (kept inside this module)."""

    manager: Any
    routing: Any
    time: Any
    breaks: dict[int, Any]
    index_of: dict[str, int]


def _vehicle_class(v: Vehicle) -> tuple[str, int, int, int, int]:
    return (v.profile, v.setup, v.service, v.cost_per_time, v.cost_per_distance)


def build_model(problem: RoutingProblem, *, late_cost: int = 0) -> _Model:
    """Build the routing model (dimensions, windows, disjunctions, breaks) of a problem.

    ``late_cost`` > 0 relaxes the end of each visit's last window: a visit may start
    after it, up to the horizon, at ``late_cost`` per time unit late (OR-Tools' soft
    cumul upper bound); the starts of windows and the gaps between them stay hard.
    """
    from ortools.constraint_solver import pywrapcp  # noqa: PLC0415

    depots = sorted(
        {v.start_location for v in problem.vehicles} | {v.end_location for v in problem.vehicles}
    )
    depot_node = {loc: i for i, loc in enumerate(depots)}
    n_depots = len(depots)
    nodes = problem.nodes
    locations = [*depots, *(n.location for n in nodes)]
    is_visit = [False] * n_depots + [True] * len(nodes)
    own_service = [0] * n_depots + [n.service for n in nodes]
    size = len(locations)
    vehicles = problem.vehicles
    manager = pywrapcp.RoutingIndexManager(
        size,
        len(vehicles),
        [depot_node[v.start_location] for v in vehicles],
        [depot_node[v.end_location] for v in vehicles],
    )
    routing = pywrapcp.RoutingModel(manager)
    solver = routing.solver()

    # transit matrices, one per vehicle class (profile, service times, costs)
    time_cb: dict[tuple[str, int, int, int, int], int] = {}
    cost_cb: dict[tuple[str, int, int, int, int], int] = {}
    drive_cb: dict[str, int] = {}
    for v in vehicles:
        key = _vehicle_class(v)
        if key in time_cb:
            continue
        m = problem.matrix(v.profile)
        travel = [[m.travel[locations[a]][locations[b]] for b in range(size)] for a in range(size)]
        time_rows = [
            [
                0
                if a == b
                else (own_service[a] + v.service if is_visit[a] else 0)
                + travel[a][b]
                + (v.setup if is_visit[b] else 0)
                for b in range(size)
            ]
            for a in range(size)
        ]
        time_cb[key] = routing.RegisterTransitMatrix(time_rows)
        cost_rows = [[v.cost_per_time * travel[a][b] for b in range(size)] for a in range(size)]
        if v.cost_per_distance:  # distances are read only where they are priced
            pairs = [(locations[a], locations[b]) for a in range(size) for b in range(size)]
            distance = m.distances(pairs)
            for a in range(size):
                for b in range(size):
                    cost_rows[a][b] += v.cost_per_distance * distance[a * size + b]
        cost_cb[key] = routing.RegisterTransitMatrix(cost_rows)
        if v.profile not in drive_cb:
            drive_cb[v.profile] = routing.RegisterTransitMatrix(travel)
    for k, v in enumerate(vehicles):
        routing.SetArcCostEvaluatorOfVehicle(cost_cb[_vehicle_class(v)], k)
        if v.fixed_cost:
            routing.SetFixedCostOfVehicle(v.fixed_cost, k)

    horizon = problem.horizon
    routing.AddDimensionWithVehicleTransits(
        [time_cb[_vehicle_class(v)] for v in vehicles], horizon, horizon, False, "time"
    )
    time_dim = routing.GetDimensionOrDie("time")
    if any(v.max_drive is not None for v in vehicles):
        routing.AddDimensionWithVehicleTransitAndCapacity(
            [drive_cb[v.profile] for v in vehicles],
            0,
            [v.max_drive if v.max_drive is not None else horizon for v in vehicles],
            True,
            "drive",
        )
    if any(v.max_stops is not None for v in vehicles):
        ones = routing.RegisterUnaryTransitVector([int(x) for x in is_visit])
        routing.AddDimensionWithVehicleCapacity(
            ones,
            0,
            [v.max_stops if v.max_stops is not None else size for v in vehicles],
            True,
            "stops",
        )
    if any(v.capacity is not None for v in vehicles):
        demand = routing.RegisterUnaryTransitVector([0] * n_depots + [n.demand for n in nodes])
        routing.AddDimensionWithVehicleCapacity(
            demand,
            0,
            [
                v.capacity if v.capacity is not None else sum(n.demand for n in nodes) + 1
                for v in vehicles
            ],
            True,
            "load",
        )

    # vehicles: shift windows, compact tours
    for k, v in enumerate(vehicles):
        start, end = routing.Start(k), routing.End(k)
        time_dim.CumulVar(start).SetRange(*v.start_window)
        time_dim.CumulVar(end).SetRange(*v.end_window)
        routing.AddVariableMaximizedByFinalizer(time_dim.CumulVar(start))
        routing.AddVariableMinimizedByFinalizer(time_dim.CumulVar(end))

    # visits: windows, vehicles allowed, prizes
    vehicle_index = {v.id: k for k, v in enumerate(vehicles)}
    index_of: dict[str, int] = {}
    for i, node in enumerate(nodes):
        index = manager.NodeToIndex(n_depots + i)
        index_of[node.id] = index
        windows = sorted(node.windows)
        cumul = time_dim.CumulVar(index)
        if late_cost > 0:
            cumul.SetRange(windows[0][0], horizon)
            time_dim.SetCumulVarSoftUpperBound(index, windows[-1][1], late_cost)
        else:
            cumul.SetRange(windows[0][0], windows[-1][1])
        for (_, a1), (b0, _) in pairwise(windows):
            if b0 - 1 >= a1 + 1:
                cumul.RemoveInterval(a1 + 1, b0 - 1)
        if node.vehicles is not None:
            allowed = [vehicle_index[vid] for vid in node.vehicles if vid in vehicle_index]
            # SetAllowedVehiclesForIndex's Span argument is not wrapped in 9.15
            routing.VehicleVar(index).SetValues([-1, *allowed])
        if not node.mandatory:
            routing.AddDisjunction([index], max(1, node.prize))
        elif problem.mandatory_penalty is not None:
            routing.AddDisjunction([index], problem.mandatory_penalty)
    for node in nodes:
        if node.requires is None or node.requires not in index_of:
            continue
        first, second = index_of[node.requires], index_of[node.id]
        solver.Add(routing.ActiveVar(second) <= routing.ActiveVar(first))
        if node.min_gap:
            big = 2 * horizon + node.min_gap
            solver.Add(
                time_dim.CumulVar(second) + big * (1 - routing.ActiveVar(second))
                >= time_dim.CumulVar(first) + node.min_gap
            )

    # lunch breaks: not during a visit (service + the vehicle's session and pack-up)
    breaks: dict[int, Any] = {}
    for k, v in enumerate(vehicles):
        if v.lunch is None:
            continue
        interval = solver.FixedDurationIntervalVar(
            v.lunch.earliest, v.lunch.latest, v.lunch.duration, False, f"lunch {v.id}"
        )
        visit_transits = [0] * routing.Size()
        for index in range(routing.Size()):
            node_index = manager.IndexToNode(index)
            if is_visit[node_index]:
                visit_transits[index] = own_service[node_index] + v.service
        time_dim.SetBreakIntervalsOfVehicle([interval], k, visit_transits)
        breaks[k] = interval
    return _Model(manager=manager, routing=routing, time=time_dim, breaks=breaks, index_of=index_of)


ILS: Final = "ITERATED_LOCAL_SEARCH"
"""Metaheuristic name of OR-Tools' iterated local search (ruin and recreate)."""

Metaheuristic = Literal["AUTOMATIC"] | MetaheuristicName
"""``AUTOMATIC`` (:func:`solve` picks by the problem's shape) or a metaheuristic's name."""

_EndedBy = Literal["solution_limit", "time_limit", "local_optimum", "no_search", "unknown"]


def iterated_local_search_parameters(
    params: Any,
    *,
    removed: int = 20,
    sequence: int = 15,
    temperatures: tuple[float, float] | None = None,
) -> None:
    """Switch search parameters to the iterated local search measured best here.

    Ruin and recreate: one SISR ruin (slack induction by string removals; by default
    sequences of at most 15 visits, 20 removed on average, measured better here than
    the paper's 10 and 10 on Solomon's R, RC instances) per iteration, then
    local cheapest insertion, local search on the perturbed solution, a simulated
    annealing acceptance of the reference solution, greedy acceptance of the best.
    ``temperatures``: the annealing's initial and final temperatures, in units of the
    objective (``None``: OR-Tools' automatic ones, a tenth and a thousandth of the mean
    cost of an arc). Local search inside it is a plain descent, with the CROSS
    exchange operator on (two chains of visits swapped between routes; off by default in
    OR-Tools, measured a little better on Solomon's R1 and R2 instances).
    """
    from ortools.constraint_solver import routing_enums_pb2, routing_ils_pb2  # noqa: PLC0415
    from ortools.util import optional_boolean_pb2  # noqa: PLC0415

    params.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GREEDY_DESCENT
    params.local_search_operators.use_cross_exchange = optional_boolean_pb2.BOOL_TRUE
    params.use_iterated_local_search = True
    ils = params.iterated_local_search_parameters
    ils.perturbation_strategy = routing_ils_pb2.PerturbationStrategy.RUIN_AND_RECREATE
    ruin_recreate = ils.ruin_recreate_parameters
    del ruin_recreate.ruin_strategies[:]
    sisr = ruin_recreate.ruin_strategies.add().sisr
    sisr.max_removed_sequence_size = sequence
    sisr.avg_num_removed_visits = removed
    sisr.bypass_factor = 0.01
    ruin_recreate.ruin_composition_strategy = (
        routing_ils_pb2.RuinCompositionStrategy.RUN_ONE_RANDOMLY
    )
    ruin_recreate.recreate_strategy.heuristic = (
        routing_enums_pb2.FirstSolutionStrategy.LOCAL_CHEAPEST_INSERTION
    )
    ils.improve_perturbed_solution = True
    annealing = ils.reference_solution_acceptance_strategy.simulated_annealing
    annealing.cooling_schedule_strategy = routing_ils_pb2.CoolingScheduleStrategy.EXPONENTIAL
    if temperatures is None:
        annealing.automatic_temperatures = True
    else:
        annealing.automatic_temperatures = False
        annealing.initial_temperature, annealing.final_temperature = temperatures
    ils.best_solution_acceptance_strategy.greedy_descent.SetInParent()


@dataclass(frozen=True)
class _FleetAttempt:
    """One fleet attempt: lateness price (per unit of driving cost; 0: hard windows), ruin."""

    late_factor: int
    removed: int
    sequence: int


_FLEET_ATTEMPTS: Final = (
    _FleetAttempt(late_factor=1000, removed=20, sequence=15),
    _FleetAttempt(late_factor=0, removed=20, sequence=15),
    _FleetAttempt(late_factor=100, removed=20, sequence=15),
)
"""Fleet attempts, taken in turn while a fleet size fails (see :func:`solve`)."""

_FLEET_FIRST_SHARE: Final = 0.1
_FLEET_ATTEMPT_SHARE: Final = 0.35
_FLEET_POLISH_SHARE: Final = 0.15
"""Shares of the limits: first solve, each fleet attempt, kept for the final polish."""

_FLEET_HOPELESS: Final = 0.1
"""Share of visits left out or late (and more than 2) after which the attempts end."""

_FLEET_POLISH_HEAT: Final = (3.0, 0.01)
"""The polish's initial and final annealing temperatures, in mean arc costs."""


def _fleet_shape(problem: RoutingProblem) -> bool:
    """Pure fleet-and-distance VRPTW: every visit mandatory, no penalty, used vehicles cost."""
    return (
        problem.mandatory_penalty is None
        and len(problem.vehicles) > 1
        and all(n.mandatory for n in problem.nodes)
        and any(v.fixed_cost > 0 for v in problem.vehicles)
    )


def solve(
    problem: RoutingProblem,
    *,
    solution_limit: int = 2000,
    time_limit_s: float = 30.0,
    first_solution: FirstSolution = "PARALLEL_CHEAPEST_INSERTION",
    metaheuristic: Metaheuristic = "AUTOMATIC",
    initial_routes: Sequence[Sequence[str]] | None = None,
    fleet_search: bool | None = None,
    gls_lambda: float | None = None,
    tune: Callable[[Any], None] | None = None,
) -> RoutingResult:
    """Solve a routing problem; stop on ``solution_limit``, ``time_limit_s`` as a safety net.

    ``metaheuristic="AUTOMATIC"`` (default) picks by the problem's shape:

    * pure VRPTW, fewest vehicles then distance (every visit mandatory, no
      ``mandatory_penalty``, a fixed cost on the vehicles, more than one vehicle): OR-Tools'
      iterated local search (:data:`ILS`, ruin and recreate, parameters in
      :func:`iterated_local_search_parameters`) with the fleet search below;
    * anything else (prize-collecting, as the planner's weeks and orienteering): guided
      local search, which measured better there than the iterated local search.

    Fleet search (``fleet_search=None``: on for :data:`ILS` on that shape without initial
    routes): with every visit mandatory, the iterated local search cannot empty a route,
    so the search first solves the problem (a tenth of both limits), then tries, from
    scratch, the used vehicles minus the one of the shortest route (35 % of the limits per
    attempt). A failed size is tried again with the next relaxation, in turn: time
    windows made soft (a visit may start after its window at 1000 times the cost of a
    unit of driving per unit of lateness: OR-Tools has no time-warp relaxation, and this
    one lets the search cross infeasible schedules), hard windows with every visit
    optional under a penalty above any solution's cost, soft windows at 100 times. An
    attempt succeeds when every visit is served in its window; the smaller fleet is then
    kept. No attempt is made with vehicles that cannot carry the demand or make the stops
    between them, and an attempt that leaves more than a tenth of the visits out or late
    ends the attempts. The time left (at least 15 % of the limits) polishes the distance
    with the final fleet (hard windows, kept if cheaper), annealing hotter than OR-Tools'
    automatic temperatures (3 and 0.01 times the mean arc cost instead of 0.1 and 0.001:
    measured closer to the best-known distances at a fixed fleet). Each phase gets its
    share of ``solution_limit`` as well as of ``time_limit_s``, so a search that the
    solution limit stops is reproducible.

    With the iterated local search, "a solution" for ``solution_limit`` is still one call
    of the solution callback (a solution the search accepted: local-search steps and
    accepted ruin-and-recreate iterations); it finds them at the same order of rate as
    guided local search (600 to 2000 per 10 s on Solomon instances; 2000 end the
    planner's week in 4.6 s against 6.3 s), so the default limit of 2000 is kept.

    Parameters
    ----------
    problem
        The problem (any :class:`RoutingProblem`, with or without a week).
    solution_limit
        Number of solutions after which the search stops: the deterministic budget.
    time_limit_s
        Wall-clock safety net (a run it stops is not reproducible on another machine).
    first_solution
        OR-Tools first-solution strategy.
    metaheuristic
        How local search escapes local optima: ``AUTOMATIC`` (see above), :data:`ILS`,
        or an OR-Tools local-search metaheuristic (``GREEDY_DESCENT``: it stops at the
        first).
    initial_routes
        Node ids of a starting solution, one sequence per vehicle in order (fewer
        sequences: the other vehicles start empty); the search starts from it instead of
        the first-solution strategy, which is used when the routes are not feasible.
        OR-Tools' iterated local search cannot start from given routes: with
        :data:`ILS`, a warm start runs guided local search instead.
    fleet_search
        Minimise the fleet first (see above); ``None``: when the problem has the pure
        VRPTW shape and the search is :data:`ILS` without initial routes.
    gls_lambda
        Guided local search's penalty weight (``guided_local_search_lambda_coefficient``);
        ``None``: OR-Tools' default (0.1).
    tune
        Called with the OR-Tools search parameters before each solve (experiments).

    Returns
    -------
    RoutingResult
        Routes with service-start times, dropped node ids and search figures.
    """
    if not problem.vehicles:
        return RoutingResult(
            routes=(),
            dropped=tuple(sorted(n.id for n in problem.nodes)),
            objective=0,
            status="NO_VEHICLE",
            ended_by="no_search",
            solutions=0,
            solve_time_s=0.0,
            first_solution=first_solution,
            solution_limit=solution_limit,
            time_limit_s=time_limit_s,
        )
    if metaheuristic == "AUTOMATIC":
        metaheuristic = ILS if _fleet_shape(problem) else "GUIDED_LOCAL_SEARCH"
    if initial_routes and metaheuristic == ILS:
        metaheuristic = "GUIDED_LOCAL_SEARCH"
    if fleet_search is None:
        fleet_search = metaheuristic == ILS and not initial_routes and _fleet_shape(problem)
    if fleet_search:
        return _solve_fleet(problem, solution_limit, time_limit_s, first_solution, tune)
    return _solve_once(
        problem,
        solution_limit=solution_limit,
        time_limit_s=time_limit_s,
        first_solution=first_solution,
        metaheuristic=metaheuristic,
        initial_routes=initial_routes,
        gls_lambda=gls_lambda,
        tune=tune,
    )


def solve_with(
    problem: RoutingProblem,
    settings: SolverSettings,
    *,
    first_solution: FirstSolution | None = None,
) -> RoutingResult:
    """Solve as the planner routes a week: :func:`solve` with a scenario's solver settings.

    The work budget is ``settings.routing_solution_limit``, the safety net
    ``settings.time_limit_s``; ``first_solution`` overrides ``settings.first_solution``.
    The benchmarks call it with ``SolverSettings()`` to measure what users get.
    """
    return solve(
        problem,
        solution_limit=settings.routing_solution_limit,
        time_limit_s=settings.time_limit_s,
        first_solution=first_solution or settings.first_solution,
        metaheuristic=settings.metaheuristic,
        gls_lambda=settings.guided_local_search_lambda,
    )


def _solve_fleet(
    problem: RoutingProblem,
    solution_limit: int,
    time_limit_s: float,
    first_solution: FirstSolution,
    tune: Callable[[Any], None] | None,
) -> RoutingResult:
    """Fleet search of :func:`solve`: solve, then drop routes while every visit is served."""
    began = time.perf_counter()

    def left_s() -> float:
        return time_limit_s - (time.perf_counter() - began)

    def budget(share: float, used: int) -> int:
        return max(1, min(round(share * solution_limit), solution_limit - used))

    best = _solve_once(
        problem,
        solution_limit=budget(_FLEET_FIRST_SHARE, 0),
        time_limit_s=_FLEET_FIRST_SHARE * time_limit_s,
        first_solution=first_solution,
        metaheuristic=ILS,
        tune=tune,
    )
    used = best.solutions
    last = best
    if not best.routes or best.dropped:
        return _with_totals(best, began, used, solution_limit, time_limit_s)
    unit_cost = max(1, *(v.cost_per_distance + v.cost_per_time for v in problem.vehicles))
    arc_cost = 1 + max(
        v.cost_per_time * max(max(row) for row in problem.matrix(v.profile).travel)
        + (v.cost_per_distance * _longest(problem.matrix(v.profile)) if v.cost_per_distance else 0)
        for v in problem.vehicles
    )
    penalty = (
        1
        + sum(v.fixed_cost for v in problem.vehicles)
        + arc_cost * (len(problem.nodes) + len(problem.vehicles))
    )
    failures = 0
    while len(best.routes) > 1 and used < (1 - _FLEET_POLISH_SHARE) * solution_limit:
        room = min(
            _FLEET_ATTEMPT_SHARE * time_limit_s, left_s() - _FLEET_POLISH_SHARE * time_limit_s
        )
        if room < 0.5 * _FLEET_ATTEMPT_SHARE * time_limit_s:
            break
        how = _FLEET_ATTEMPTS[failures % len(_FLEET_ATTEMPTS)]
        late_cost = how.late_factor * unit_cost
        shortest = min(best.routes, key=lambda r: (len(r.visits), r.vehicle))
        fewer = _with_vehicles(
            problem,
            {r.vehicle for r in best.routes} - {shortest.vehicle},
            penalty + late_cost * problem.horizon,
        )
        if _too_small(problem, fewer.vehicles):
            logger.info(
                "routing: fleet %d -> %d vehicles: too small for the demand or stops",
                len(best.routes),
                len(fewer.vehicles),
            )
            break
        attempt = _solve_once(
            fewer,
            solution_limit=budget(_FLEET_ATTEMPT_SHARE, used),
            time_limit_s=room,
            first_solution=first_solution,
            metaheuristic=ILS,
            tune=tune,
            ruin=(how.removed, how.sequence),
            late_cost=late_cost,
        )
        used += attempt.solutions
        last = attempt
        late = _late_visits(problem, attempt)
        logger.info(
            "routing: fleet %d -> %d vehicles (lateness x%d, ruin %d/%d): "
            "%d visits left out, %d late",
            len(best.routes),
            len(fewer.vehicles),
            how.late_factor,
            how.removed,
            how.sequence,
            len(attempt.dropped),
            len(late),
        )
        if attempt.routes and not attempt.dropped and not late:
            best, failures = attempt, 0
        elif len(attempt.dropped) + len(late) > max(2, _FLEET_HOPELESS * len(problem.nodes)):
            break
        else:
            failures += 1
    if left_s() > 0.05 * time_limit_s and used < solution_limit:
        final = _with_vehicles(problem, {r.vehicle for r in best.routes}, penalty)
        mean_arc = _mean_arc_cost(problem)
        polish = _solve_once(
            final,
            solution_limit=solution_limit - used,
            time_limit_s=left_s(),
            first_solution=first_solution,
            metaheuristic=ILS,
            tune=tune,
            temperatures=(_FLEET_POLISH_HEAT[0] * mean_arc, _FLEET_POLISH_HEAT[1] * mean_arc),
        )
        used += polish.solutions
        last = polish
        if not polish.dropped and polish.routes and polish.objective < best.objective:
            best = polish
    return _with_totals(best, began, used, solution_limit, time_limit_s, last.ended_by)


def _too_small(problem: RoutingProblem, vehicles: Sequence[Vehicle]) -> bool:
    """Whether ``vehicles`` together cannot carry the demand or make the stops."""
    demand = sum(n.demand for n in problem.nodes)
    if all(v.capacity is not None for v in vehicles) and (
        sum(v.capacity or 0 for v in vehicles) < demand
    ):
        return True
    return all(v.max_stops is not None for v in vehicles) and (
        sum(v.max_stops or 0 for v in vehicles) < len(problem.nodes)
    )


def _longest(matrix: Matrix) -> int:
    """Longest distance between two locations of a matrix (every pair is read)."""
    size = len(matrix.travel)
    return max(matrix.distances([(a, b) for a in range(size) for b in range(size)]))


def _mean_arc_cost(problem: RoutingProblem) -> float:
    """Mean cost of an arc between two distinct places of the problem, over its vehicles."""
    places = sorted(
        {n.location for n in problem.nodes}
        | {v.start_location for v in problem.vehicles}
        | {v.end_location for v in problem.vehicles}
    )
    pairs = [(i, j) for i in places for j in places if i != j]
    if not pairs:
        return 1.0
    classes = Counter((v.profile, v.cost_per_distance, v.cost_per_time) for v in problem.vehicles)
    total = 0.0
    for (profile, per_distance, per_time), count in sorted(classes.items()):
        matrix = problem.matrix(profile)
        total += count * per_time * sum(matrix.travel[i][j] for i, j in pairs)
        if per_distance:  # distances are read only where they are priced
            total += count * per_distance * sum(matrix.distances(pairs))
    return max(1.0, total / (len(pairs) * len(problem.vehicles)))


def _with_vehicles(problem: RoutingProblem, keep: set[str], penalty: int) -> RoutingProblem:
    """Return the problem with the vehicles ``keep`` only, every visit droppable at ``penalty``."""
    return replace(
        problem,
        vehicles=tuple(v for v in problem.vehicles if v.id in keep),
        mandatory_penalty=penalty,
    )


def _late_visits(problem: RoutingProblem, result: RoutingResult) -> list[str]:
    """Ids of the visits that start after the end of their last window."""
    last_end = {n.id: max(end for _, end in n.windows) for n in problem.nodes}
    return [node for r in result.routes for node, start in r.visits if start > last_end[node]]


def _with_totals(
    result: RoutingResult,
    began: float,
    solutions: int,
    solution_limit: int,
    time_limit_s: float,
    ended_by: _EndedBy | None = None,
) -> RoutingResult:
    """Return a phased search's result with the figures of the whole search."""
    return replace(
        result,
        ended_by=ended_by or result.ended_by,
        solutions=solutions,
        solve_time_s=time.perf_counter() - began,
        solution_limit=solution_limit,
        time_limit_s=time_limit_s,
    )


def _solve_once(
    problem: RoutingProblem,
    *,
    solution_limit: int,
    time_limit_s: float,
    first_solution: FirstSolution,
    metaheuristic: MetaheuristicName,
    initial_routes: Sequence[Sequence[str]] | None = None,
    gls_lambda: float | None = None,
    tune: Callable[[Any], None] | None = None,
    ruin: tuple[int, int] = (20, 15),
    temperatures: tuple[float, float] | None = None,
    late_cost: int = 0,
) -> RoutingResult:
    """One OR-Tools search; ``ruin``: SISR's average removed visits and longest sequence.

    ``late_cost``: see :func:`build_model` (the caller checks the visits' lateness).
    """
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2  # noqa: PLC0415

    began = time.perf_counter()
    model = build_model(problem, late_cost=late_cost)
    routing, manager, time_dim = model.routing, model.manager, model.time
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = getattr(
        routing_enums_pb2.FirstSolutionStrategy, first_solution
    )
    if metaheuristic == ILS:
        iterated_local_search_parameters(
            params, removed=ruin[0], sequence=ruin[1], temperatures=temperatures
        )
    else:
        params.local_search_metaheuristic = getattr(
            routing_enums_pb2.LocalSearchMetaheuristic, metaheuristic
        )
    if gls_lambda is not None:
        params.guided_local_search_lambda_coefficient = gls_lambda
    params.solution_limit = solution_limit
    params.time_limit.FromMilliseconds(max(1, round(time_limit_s * 1000)))
    if tune is not None:
        tune(params)
    counter = [0]

    def count() -> None:
        counter[0] += 1

    routing.AddAtSolutionCallback(count)
    solution = None
    if initial_routes:
        routing.CloseModelWithParameters(params)
        starting = [[model.index_of[node] for node in route] for route in initial_routes]
        starting += [[] for _ in range(len(problem.vehicles) - len(starting))]
        start = routing.ReadAssignmentFromRoutes(starting, True)
        if start is not None:
            solution = routing.SolveFromAssignmentWithParameters(start, params)
        else:
            logger.info("routing: initial routes rejected, using %s", first_solution)
    if solution is None:
        if params.use_iterated_local_search:
            solution = routing.SolveWithIteratedLocalSearch(params)
        else:
            solution = routing.SolveWithParameters(params)
    elapsed = time.perf_counter() - began
    status = _STATUS.get(routing.status(), str(routing.status()))
    if params.use_iterated_local_search and status == "NOT_SOLVED" and solution is not None:
        status = "SUCCESS"  # the iterated local search leaves the model's status unset
    ended_by: _EndedBy
    if counter[0] >= solution_limit:
        ended_by = "solution_limit"
    elif elapsed >= 0.97 * time_limit_s or status == "FAIL_TIMEOUT":
        ended_by = "time_limit"
    elif status in ("SUCCESS", "OPTIMAL"):
        ended_by = "local_optimum"
    else:
        ended_by = "unknown"
    logger.info("routing: %s after %d solutions, %.2fs (%s)", status, counter[0], elapsed, ended_by)
    if solution is None:
        return RoutingResult(
            routes=(),
            dropped=tuple(sorted(n.id for n in problem.nodes)),
            objective=0,
            status=status,
            ended_by=ended_by,
            solutions=counter[0],
            solve_time_s=elapsed,
            first_solution=first_solution,
            solution_limit=solution_limit,
            time_limit_s=time_limit_s,
        )
    node_of_index = {index: node_id for node_id, index in model.index_of.items()}
    routes: list[Route] = []
    visited: set[str] = set()
    for k, v in enumerate(problem.vehicles):
        index = routing.Start(k)
        departure = solution.Value(time_dim.CumulVar(index))
        visits: list[tuple[str, int]] = []
        index = solution.Value(routing.NextVar(index))
        while not routing.IsEnd(index):
            node_id = node_of_index[index]
            visits.append((node_id, solution.Value(time_dim.CumulVar(index))))
            visited.add(node_id)
            index = solution.Value(routing.NextVar(index))
        if not visits:
            continue
        lunch = None
        if k in model.breaks and solution.PerformedValue(model.breaks[k]):
            b0 = solution.StartValue(model.breaks[k])
            lunch = (b0, b0 + v.lunch.duration if v.lunch else b0)
        routes.append(
            Route(
                vehicle=v.id,
                departure=departure,
                visits=tuple(visits),
                return_time=solution.Value(time_dim.CumulVar(index)),
                lunch=lunch,
            )
        )
    del manager
    return RoutingResult(
        routes=tuple(routes),
        dropped=tuple(sorted(n.id for n in problem.nodes if n.id not in visited)),
        objective=solution.ObjectiveValue(),
        status=status,
        ended_by=ended_by,
        solutions=counter[0],
        solve_time_s=elapsed,
        first_solution=first_solution,
        solution_limit=solution_limit,
        time_limit_s=time_limit_s,
    )


def route_nodes(result: RoutingResult) -> Sequence[str]:
    """Ids of the visited nodes, route by route."""
    return [node for route in result.routes for node, _ in route.visits]
