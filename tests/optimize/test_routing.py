"""The generic routing builder on a Solomon VRPTW instance, without any scenario."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from ortools.constraint_solver import pywrapcp

from itinerant.optimize.problem import Matrix, Node, RoutingProblem, Vehicle
from itinerant.optimize.routing import (
    RoutingResult,
    _fleet_shape,
    _late_visits,
    _mean_arc_cost,
    _solve_once,
    _too_small,
    iterated_local_search_parameters,
    solve,
)

SOLOMON = Path(__file__).parents[2] / ".." / "shared" / "benchmarks" / "solomon"
SCALE = 10  # one decimal of Euclidean distance, the usual rounding convention


def read_solomon(path: Path, customers: int) -> RoutingProblem:
    """Read a Solomon instance (first ``customers`` customers) into a RoutingProblem."""
    lines = path.read_text().splitlines()
    number, capacity = (int(x) for x in lines[4].split())
    rows = [[int(x) for x in line.split()] for line in lines[9:] if line.strip()]
    rows = rows[: customers + 1]
    xy = [(r[1], r[2]) for r in rows]
    dist = tuple(tuple(math.floor(SCALE * math.dist(a, b)) for b in xy) for a in xy)
    nodes = tuple(
        Node(
            id=str(r[0]),
            location=i,
            windows=((SCALE * r[4], SCALE * r[5]),),
            service=SCALE * r[6],
            demand=r[3],
            mandatory=True,
        )
        for i, r in enumerate(rows)
        if i > 0
    )
    horizon = SCALE * rows[0][5]
    vehicles = tuple(
        Vehicle(
            id=f"v{k}",
            profile="euclid",
            start_location=0,
            end_location=0,
            start_window=(0, horizon),
            end_window=(0, horizon),
            capacity=capacity,
        )
        for k in range(number)
    )
    return RoutingProblem(
        matrices=(Matrix(key="euclid", travel=dist, distance=dist),),
        nodes=nodes,
        vehicles=vehicles,
        horizon=horizon,
    )


@pytest.mark.skipif(not SOLOMON.exists(), reason="../shared/benchmarks not available")
def test_solomon_c101_first_50_customers_feasible() -> None:
    """C101 (50 customers) through the shared builder: every customer served in its window,
    capacities held, and the route lengths add up to the objective."""
    problem = read_solomon(SOLOMON / "C101.txt", 50)
    result = solve(problem, solution_limit=300, time_limit_s=20)
    assert not result.dropped
    travel = problem.matrices[0].travel
    by_id = {n.id: n for n in problem.nodes}
    total = 0
    for route in result.routes:
        prev, load = 0, 0
        for node_id, start in route.visits:
            node = by_id[node_id]
            assert node.windows[0][0] <= start <= node.windows[0][1]
            load += node.demand
            total += travel[prev][node.location]
            prev = node.location
        total += travel[prev][0]
        assert load <= 200
    assert result.objective == total
    # C101 with 50 customers: 5 vehicles and 362.4 are best known; allow 5 %
    assert total <= 1.05 * 3624


def with_fixed_cost(problem: RoutingProblem, cost: int) -> RoutingProblem:
    """The same problem with a fixed cost on every vehicle (fewest vehicles first)."""
    return replace(problem, vehicles=tuple(replace(v, fixed_cost=cost) for v in problem.vehicles))


def small_vehicle(vehicle_id: str = "v", **fields: Any) -> Vehicle:
    """A vehicle on profile ``m``, from and back to place 0, out between 0 and 100."""
    return Vehicle(
        id=vehicle_id,
        profile="m",
        start_location=0,
        end_location=0,
        start_window=(0, 100),
        end_window=(0, 100),
        **fields,
    )


@pytest.mark.skipif(not SOLOMON.exists(), reason="../shared/benchmarks not available")
def test_fleet_search_serves_all_with_fewer_vehicles_and_is_reproducible() -> None:
    """Pure VRPTW shape (mandatory visits, fixed costs): the iterated local search with
    fleet search serves every customer, reaches the best-known fleet of C101's first 50
    customers, and two runs stopped by the solution limit give the same routes."""
    problem = with_fixed_cost(read_solomon(SOLOMON / "C101.txt", 50), 100_000)
    assert _fleet_shape(problem)
    runs = [solve(problem, solution_limit=400, time_limit_s=60) for _ in range(2)]
    first, second = runs
    assert not first.dropped
    by_id = {n.id: n for n in problem.nodes}
    for route in first.routes:  # the fleet attempts relax windows; the result may not
        for node_id, start in route.visits:
            (opens, closes), *_ = by_id[node_id].windows
            assert opens <= start <= closes, node_id
    assert len(first.routes) <= 5  # best known for C101 with 50 customers
    assert first.ended_by == "solution_limit"
    assert first.routes == second.routes
    assert first.objective == second.objective


def test_fleet_shape_needs_mandatory_visits_and_fixed_costs() -> None:
    """Optional visits, a mandatory penalty or no fixed cost: not the fleet shape."""
    matrix = Matrix(key="m", travel=((0, 1), (1, 0)), distance=((0, 1), (1, 0)))
    vehicles = tuple(small_vehicle(f"v{k}", fixed_cost=10) for k in range(2))
    node = Node(id="a", location=1, windows=((0, 100),), mandatory=True)
    problem = RoutingProblem(matrices=(matrix,), nodes=(node,), vehicles=vehicles, horizon=100)
    assert _fleet_shape(problem)
    assert not _fleet_shape(replace(problem, mandatory_penalty=1000))
    assert not _fleet_shape(replace(problem, nodes=(replace(node, mandatory=False, prize=5),)))
    assert not _fleet_shape(with_fixed_cost(problem, 0))
    result = solve(problem, solution_limit=50, time_limit_s=5)
    assert [r.visits[0][0] for r in result.routes] == ["a"]


def test_late_cost_lets_a_visit_start_after_its_window_at_a_price() -> None:
    """With ``late_cost`` a visit that cannot start in its window is served late and
    priced per time unit (the fleet attempts' relaxation); without it, it is dropped."""
    matrix = Matrix(key="m", travel=((0, 30), (30, 0)), distance=((0, 30), (30, 0)))
    vehicle = Vehicle(
        id="v",
        profile="m",
        start_location=0,
        end_location=0,
        start_window=(0, 200),
        end_window=(0, 200),
    )
    node = Node(id="far", location=1, windows=((0, 10),), mandatory=True)
    problem = RoutingProblem(
        matrices=(matrix,),
        nodes=(node,),
        vehicles=(vehicle,),
        horizon=200,
        mandatory_penalty=10_000,
    )

    def solve_once(late_cost: int) -> RoutingResult:
        return _solve_once(
            problem,
            solution_limit=50,
            time_limit_s=5.0,
            first_solution="PARALLEL_CHEAPEST_INSERTION",
            metaheuristic="GUIDED_LOCAL_SEARCH",
            late_cost=late_cost,
        )

    hard = solve_once(0)
    assert hard.dropped == ("far",)
    soft = solve_once(7)
    assert not soft.dropped
    assert soft.routes[0].visits == (("far", 30),)
    assert soft.objective == 60 + 7 * (30 - 10)
    assert _late_visits(problem, soft) == ["far"]
    assert _late_visits(problem, hard) == []


def test_annealing_temperatures_automatic_or_given() -> None:
    """The iterated local search anneals at OR-Tools' automatic temperatures unless given
    (the fleet search's polish gives its own, in units of the objective)."""
    params = pywrapcp.DefaultRoutingSearchParameters()
    iterated_local_search_parameters(params)
    accept = params.iterated_local_search_parameters.reference_solution_acceptance_strategy
    assert accept.simulated_annealing.automatic_temperatures
    iterated_local_search_parameters(params, temperatures=(1200.0, 4.0))
    annealing = accept.simulated_annealing
    assert not annealing.automatic_temperatures
    assert (annealing.initial_temperature, annealing.final_temperature) == (1200.0, 4.0)


def test_mean_arc_cost_weighs_distance_and_time_by_vehicle() -> None:
    """The temperatures' unit: the mean cost of an arc between two distinct places."""
    distance = ((0, 10, 20), (10, 0, 30), (20, 30, 0))
    travel = ((0, 1, 2), (1, 0, 3), (2, 3, 0))
    vehicle = small_vehicle(cost_per_distance=2, cost_per_time=1)
    nodes = tuple(Node(id=str(i), location=i, windows=((0, 100),)) for i in (1, 2))
    problem = RoutingProblem(
        matrices=(Matrix(key="m", travel=travel, distance=distance),),
        nodes=nodes,
        vehicles=(vehicle, replace(vehicle, id="w")),
        horizon=100,
    )
    assert _mean_arc_cost(problem) == (2 * 120 + 12) / 6
    cheaper = replace(problem, vehicles=(vehicle, replace(vehicle, id="w", cost_per_distance=0)))
    assert _mean_arc_cost(cheaper) == (2 * 120 + 12 + 12) / 12


def test_fleet_too_small_for_the_demand_or_the_stops() -> None:
    """The fleet search makes no attempt with vehicles that cannot carry the demand or
    make the stops between them (no limit given: never too small)."""
    matrix = Matrix(key="m", travel=((0, 1), (1, 0)), distance=((0, 1), (1, 0)))
    van = small_vehicle(capacity=10)
    nodes = tuple(Node(id=str(i), location=1, windows=((0, 100),), demand=4) for i in range(5))
    problem = RoutingProblem(matrices=(matrix,), nodes=nodes, vehicles=(van,), horizon=100)
    assert _too_small(problem, (van,))  # demand 20 > 10
    assert not _too_small(problem, (van, replace(van, id="w")))  # 20 <= 2 x 10
    assert not _too_small(problem, (van, replace(van, id="w", capacity=None)))
    stopper = replace(van, capacity=None, max_stops=2)
    assert _too_small(problem, (stopper, replace(stopper, id="w")))  # 5 stops > 2 x 2
    assert not _too_small(problem, tuple(replace(stopper, id=str(k)) for k in range(3)))


def test_a_matrix_takes_full_distances_or_legs() -> None:
    with pytest.raises(ValueError, match="give distance or legs, exactly one"):
        Matrix(key="m", travel=((0,),))
    with pytest.raises(ValueError, match="give distance or legs, exactly one"):
        Matrix(key="m", travel=((0,),), distance=((0,),), legs=lambda pairs: (0,) * len(pairs))


@pytest.mark.skipif(not SOLOMON.exists(), reason="../shared/benchmarks not available")
@pytest.mark.parametrize("per_distance", [0, 1])
@pytest.mark.parametrize("shape", ["prizes", "fleet"])
def test_distances_are_read_only_where_priced(shape: str, per_distance: int) -> None:
    """The planner's matrices give distances on demand (``legs``): a problem that does
    not price distance never asks for one, and one that does gets the plan of the full
    matrix. Prizes: two vehicles, some visits dropped; fleet: the fleet search, whose
    penalty and polishing temperatures read arc costs."""
    full = read_solomon(SOLOMON / "C101.txt", 25)
    if shape == "prizes":
        nodes = tuple(replace(n, mandatory=False, prize=400) for n in full.nodes)
        full = replace(full, nodes=nodes, vehicles=full.vehicles[:2])
    else:
        full = with_fixed_cost(full, 10_000)
    vehicles = tuple(replace(v, cost_per_distance=per_distance) for v in full.vehicles)
    full = replace(full, vehicles=vehicles)
    (matrix,) = full.matrices
    distance = matrix.distance
    assert distance is not None
    asked: list[tuple[int, int]] = []

    def legs(pairs: Sequence[tuple[int, int]]) -> tuple[int, ...]:
        asked.extend(pairs)
        return tuple(distance[a][b] for a, b in pairs)

    lazy = replace(full, matrices=(Matrix(key=matrix.key, travel=matrix.travel, legs=legs),))
    expected = solve(full, solution_limit=200, time_limit_s=60)
    result = solve(lazy, solution_limit=200, time_limit_s=60)
    assert bool(expected.dropped) == (shape == "prizes")
    assert (result.routes, result.objective) == (expected.routes, expected.objective)
    assert bool(asked) == bool(per_distance)
