"""Build and solve the OR-Tools routing model of a :class:`RoutingProblem`.

The builder is generic (a prize-collecting VRP with time windows, per-vehicle service
times, driving caps, stop caps, capacities and a lunch break), so benchmark adapters
(Solomon VRPTW, orienteering with time windows) use it as the planner does. Routes come
back as plain data (:class:`RoutingResult`); OR-Tools types never leave this module.

Idiom: native transit matrices (``RegisterTransitMatrix``), a ``time`` dimension with
slack for waiting and a cumul range per window, start/end times squeezed by finalizers,
``AddDisjunction`` for optional visits, ``SetBreakIntervalsOfVehicle`` for lunch.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any, Literal

from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from itinerant.optimize.problem import RoutingProblem, Vehicle
from itinerant.scenario import FirstSolutionStrategy, MetaheuristicName

__all__ = [
    "FirstSolution",
    "Route",
    "RoutingResult",
    "build_model",
    "solve",
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


def build_model(problem: RoutingProblem) -> _Model:
    """Build the routing model (dimensions, windows, disjunctions, breaks) of a problem."""
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
        cost_rows = [
            [
                v.cost_per_time * travel[a][b]
                + v.cost_per_distance * m.distance[locations[a]][locations[b]]
                for b in range(size)
            ]
            for a in range(size)
        ]
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
        cumul.SetRange(windows[0][0], windows[-1][1])
        for (_, a1), (b0, _) in pairwise(windows):
            if b0 - 1 >= a1 + 1:
                cumul.RemoveInterval(a1 + 1, b0 - 1)
        if node.vehicles is not None:
            allowed = [vehicle_index[vid] for vid in node.vehicles if vid in vehicle_index]
            # SetAllowedVehiclesForIndex's Span argument is not wrapped in 9.15
            routing.VehicleVar(index).SetValues([-1, *allowed])
        if node.target is not None and node.target_cost > 0:
            time_dim.SetCumulVarSoftLowerBound(index, node.target, node.target_cost)
            time_dim.SetCumulVarSoftUpperBound(index, node.target, node.target_cost)
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


def solve(
    problem: RoutingProblem,
    *,
    solution_limit: int = 2000,
    time_limit_s: float = 30.0,
    first_solution: FirstSolution = "PARALLEL_CHEAPEST_INSERTION",
    metaheuristic: MetaheuristicName = "GUIDED_LOCAL_SEARCH",
    initial_routes: Sequence[Sequence[str]] | None = None,
) -> RoutingResult:
    """Solve a routing problem; stop on ``solution_limit``, ``time_limit_s`` as a safety net.

    Parameters
    ----------
    problem
        The problem (any :class:`RoutingProblem`, with or without a week).
    solution_limit
        Number of solutions (local-search steps) after which the search stops: the
        deterministic budget.
    time_limit_s
        Wall-clock safety net (a run it stops is not reproducible on another machine).
    first_solution
        OR-Tools first-solution strategy.
    metaheuristic
        How local search escapes local optima (``GREEDY_DESCENT``: it stops at the first).
    initial_routes
        Node ids of a starting solution, one sequence per vehicle in order (fewer
        sequences: the other vehicles start empty); the search starts from it instead of
        the first-solution strategy, which is used when the routes are not feasible.

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
    began = time.perf_counter()
    model = build_model(problem)
    routing, manager, time_dim = model.routing, model.manager, model.time
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = getattr(
        routing_enums_pb2.FirstSolutionStrategy, first_solution
    )
    params.local_search_metaheuristic = getattr(
        routing_enums_pb2.LocalSearchMetaheuristic, metaheuristic
    )
    params.solution_limit = solution_limit
    params.time_limit.FromMilliseconds(max(1, round(time_limit_s * 1000)))
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
        solution = routing.SolveWithParameters(params)
    elapsed = time.perf_counter() - began
    status = _STATUS.get(routing.status(), str(routing.status()))
    ended_by: Literal["solution_limit", "time_limit", "local_optimum", "no_search", "unknown"]
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
