"""Parsers, integer adapters and exact checkers of ``benchmarks/`` on real instances."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # benchmarks/ is run from the repository root, not installed
    sys.path.insert(0, str(ROOT))

from benchmarks.instances import (
    OPTW_BKS,
    SOLOMON_BKS,
    SOLOMON_DIR,
    check_optw,
    check_vrptw,
    optw_names,
    optw_path,
    optw_problem,
    read_optw,
    read_optw_bks,
    read_solomon,
    read_solomon_bks,
    select,
    solomon_names,
    solomon_problem,
)
from benchmarks.peers import run
from benchmarks.report import Row, head_to_head_table, read_csv, write_csv

pytestmark = pytest.mark.skipif(
    not SOLOMON_DIR.exists(), reason="../shared/benchmarks not available"
)

# the C101 best-known solution (10 routes, 828.94), customers in visiting order
C101_BKS = [
    [5, 3, 7, 8, 10, 11, 9, 6, 4, 2, 1, 75],
    [13, 17, 18, 19, 15, 16, 14, 12],
    [20, 24, 25, 27, 29, 30, 28, 26, 23, 22, 21],
    [32, 33, 31, 35, 37, 38, 39, 36, 34],
    [43, 42, 41, 40, 44, 46, 45, 48, 51, 50, 52, 49, 47],
    [57, 55, 54, 53, 56, 58, 60, 59],
    [67, 65, 63, 62, 74, 72, 61, 64, 68, 66, 69],
    [81, 78, 76, 71, 70, 73, 77, 79, 80],
    [90, 87, 86, 83, 82, 84, 85, 88, 89, 91],
    [98, 96, 95, 94, 92, 93, 97, 100, 99],
]


def test_read_solomon_c101() -> None:
    """C101: 25 vehicles of capacity 200, depot open [0, 1236], 100 customers."""
    inst = read_solomon(SOLOMON_DIR / "C101.txt")
    assert (inst.name, inst.max_vehicles, inst.capacity, inst.size) == ("C101", 25, 200, 101)
    assert (inst.ready[0], inst.due[0]) == (0, 1236)
    # customer 1: 45 68 demand 10, window [912, 967], service 90
    assert (inst.xy[1], inst.demand[1], inst.ready[1], inst.due[1], inst.service[1]) == (
        (45.0, 68.0),
        10,
        912,
        967,
        90,
    )


def test_solomon_bks_and_selection() -> None:
    """56 instances, 56 best-known rows; a class name expands to its instances."""
    names = solomon_names()
    bks = read_solomon_bks(SOLOMON_BKS)
    assert len(names) == 56
    assert set(bks) == set(names)
    assert (bks["R101"].vehicles, bks["R101"].distance) == (19, 1650.80)
    assert select(["RC2"], names) == [f"RC20{i}" for i in range(1, 9)]
    assert select(["c101", "C1"], names)[:2] == ["C101", "C102"]
    with pytest.raises(ValueError, match="unknown instance or class 'X9'"):
        select(["X9"], names)


def test_check_vrptw_accepts_bks_and_rejects_broken_routes() -> None:
    """The published C101 routes pass the exact check with the best-known distance;
    dropping a customer, or swapping two far apart, is caught."""
    inst = read_solomon(SOLOMON_DIR / "C101.txt")
    ok = check_vrptw(inst, C101_BKS)
    assert ok.feasible, ok.problems
    assert (ok.vehicles, round(ok.value, 2)) == (10, 828.94)
    missing = check_vrptw(inst, [C101_BKS[0][1:], *C101_BKS[1:]])
    assert not missing.feasible
    assert "serves 99 distinct" in missing.problems[0]
    swapped = [list(r) for r in C101_BKS]
    swapped[0][0], swapped[9][0] = swapped[9][0], swapped[0][0]
    assert not check_vrptw(inst, swapped).feasible


def test_solomon_problem_is_the_integer_model() -> None:
    """Cost rounds and travel time rounds up 100 x the distance; windows and service x 100;
    25 vehicles with the fleet cost."""
    inst = read_solomon(SOLOMON_DIR / "C101.txt")
    problem = solomon_problem(inst)
    m = problem.matrices[0]
    d01 = inst.dist(0, 1)  # sqrt(5^2 + 18^2) = 18.68...
    assert m.distances([(0, 1)]) == (round(100 * d01),) == (1868,)
    assert m.travel[0][1] == math.ceil(100 * d01) == 1869
    assert problem.nodes[0].windows == ((91200, 96700),)
    assert problem.nodes[0].service == 9000
    assert len(problem.vehicles) == 25
    assert problem.vehicles[0].fixed_cost == 100_000
    assert problem.horizon == 123_600


def test_optw_reader_bks_and_checker() -> None:
    """c101 (Solomon-based) and pr01 (Cordeau-based): sizes, truncation, best scores."""
    assert len(optw_names()) == 39
    bks = read_optw_bks(OPTW_BKS)
    assert (bks["c101"].score, bks["c101"].proven) == (320, True)
    assert not bks["r108"].proven
    c101 = read_optw(optw_path("c101"))
    assert (c101.size, c101.decimals, c101.close[0], c101.profit[1]) == (101, 1, 1236.0, 10)
    assert c101.dist(0, 1) == 18.6  # 18.68 truncated to one decimal
    pr01 = read_optw(optw_path("pr01"))
    assert (pr01.size, pr01.decimals, pr01.close[0]) == (49, 2, 1000.0)
    problem = optw_problem(pr01)
    assert len(problem.vehicles) == 1
    assert all(not n.mandatory for n in problem.nodes)
    # a tour to customer 1 and back: 2 * 48.28.. = 96.56 (truncated) + service 2, window 354
    one = check_optw(pr01, [1])
    assert one.feasible
    assert one.value == 12
    assert not check_optw(pr01, [1, 1]).feasible


def test_itinerant_adapter_solves_optw_feasibly() -> None:
    """The planner's routing on pr01, 1 s safety net: one tour that passes the exact check."""
    inst = read_optw(optw_path("pr01"))
    out = run("itinerant", optw_problem(inst), limit_s=1.0, seed=1, threads=1)
    assert len(out.routes) == 1
    check = check_optw(inst, [int(c) for c in out.routes[0]])
    assert check.feasible, check.problems
    # best known 308; a 1 s search is well above half of it
    assert check.value >= 154


def test_itinerant_runs_what_the_planner_runs() -> None:
    """``itinerant`` is the planner's routing (``solve_with`` and ``SolverSettings()``): on
    r101, with a safety net the default work budget never reaches, it stops on that budget,
    returns exactly the routes of the planner's call and reaches the best known score
    (198; guided local search with OR-Tools' lambda 0.1 stayed at 179)."""
    from itinerant.optimize.routing import solve_with
    from itinerant.scenario import SolverSettings

    inst = read_optw(optw_path("r101"))
    problem = optw_problem(inst)
    out = run("itinerant", problem, limit_s=600.0, seed=1, threads=1)
    planner = solve_with(problem, SolverSettings(time_limit_s=600.0))
    assert out.ended_by in ("solution_limit", "local_optimum")
    assert out.solutions == planner.solutions <= SolverSettings().routing_solution_limit
    assert out.routes == tuple(tuple(n for n, _ in r.visits) for r in planner.routes)
    assert check_optw(inst, [int(c) for r in out.routes for c in r]).value == 198


def test_vroom_adapter_collects_priorities_on_optw() -> None:
    """VROOM gets the same OPTW problem with profits as priorities; its tour passes the
    exact check and reaches c101's proven optimum (320), which it finds in milliseconds."""
    pytest.importorskip("vroom")
    inst = read_optw(optw_path("c101"))
    out = run("vroom", optw_problem(inst), limit_s=2.0, seed=1, threads=1)
    check = check_optw(inst, [int(c) for c in out.routes[0]])
    assert check.feasible, check.problems
    assert check.value == 320


def test_pyvrp_adapter_solves_the_same_vrptw_model() -> None:
    """PyVRP on C101's integer model for 1 s: every customer once, windows and capacity
    hold in exact arithmetic, at most 10 vehicles (the best known) and within 1 %."""
    pytest.importorskip("pyvrp")
    inst = read_solomon(SOLOMON_DIR / "C101.txt")
    out = run("pyvrp", solomon_problem(inst), limit_s=1.0, seed=1, threads=1)
    check = check_vrptw(inst, [[int(c) for c in r] for r in out.routes])
    assert check.feasible, check.problems
    assert check.vehicles == 10
    assert check.value <= 1.01 * 828.94


def test_warm_start_from_the_c101_best_known_routes_keeps_them() -> None:
    """solve(initial_routes=...) starts from the published C101 routes: with a greedy
    descent and one solution the plan is exactly that start, at the best-known cost."""
    from itinerant.optimize.routing import solve

    inst = read_solomon(SOLOMON_DIR / "C101.txt")
    problem = solomon_problem(inst)
    start = [[str(c) for c in route] for route in C101_BKS]
    result = solve(
        problem,
        solution_limit=1,
        time_limit_s=30,
        metaheuristic="GREEDY_DESCENT",
        initial_routes=start,
    )
    routes = [[int(node) for node, _ in r.visits] for r in result.routes]
    assert sorted(routes) == sorted(C101_BKS)
    check = check_vrptw(inst, routes)
    assert (check.vehicles, round(check.value, 2)) == (10, 828.94)


def _row(instance: str, vehicles: int, gap: float, solver: str = "itinerant") -> Row:
    """A benchmark row of a feasible run (best known: 10 vehicles, 1000.0)."""
    return Row(
        instance=instance,
        cls=instance[:-2],
        solver=solver,
        limit_s=30.0,
        wall_s=30.01,
        feasible=True,
        vehicles=vehicles,
        value=1000.5,
        bks_vehicles=10,
        bks_value=1000.0,
        gap_pct=gap,
        problems="",
        note="SUCCESS, 12 solutions",
    )


def test_tables_of_earlier_runs_are_read_back_from_their_csv(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Rows written by ``--csv`` read back equal, and ``--from-csv`` prints their tables
    and targets in the instances' order, whatever the order of the files."""
    from benchmarks.bench_solomon import main

    second, first = [_row("R102", 11, -1.5)], [_row("C101", 10, 0.25)]
    write_csv(tmp_path / "b.csv", second)
    write_csv(tmp_path / "a.csv", first)
    assert read_csv(tmp_path / "b.csv") == second
    assert main(["--from-csv", str(tmp_path / "b.csv"), str(tmp_path / "a.csv")]) == 0
    out = capsys.readouterr().out
    assert out.index("C101") < out.index("R102")
    assert "best-known fleet on >= 45/56 (1.6 of 2): 1" in out
    assert "Against PyVRP" not in out  # no peer rows, no head-to-head table
    assert main(["--from-csv", str(tmp_path / "missing.csv")]) == 2


def test_head_to_head_separates_fleet_from_distance() -> None:
    """Against PyVRP, a run with fewer vehicles counts as such and stays out of the
    distance difference, which is taken on the same-fleet instances only."""
    rows = [
        _row("R101", 11, 9.0),
        _row("R101", 12, -5.0, "pyvrp"),
        _row("R102", 10, 2.0),
        _row("R102", 10, 0.5, "pyvrp"),
        _row("RC101", 10, 1.0),
        _row("RC101", 10, 3.0, "pyvrp"),
        _row("RC102", 10, 1.0),
    ]
    lines = head_to_head_table(rows, ["itinerant", "pyvrp"], "pyvrp").splitlines()
    table = [[cell.strip() for cell in line.split("|")] for line in lines[2:]]
    assert table == [
        ["R1", "itinerant", "2", "1", "1", "0", "+1.50"],
        ["RC1", "itinerant", "1", "0", "1", "0", "-2.00"],
        ["all", "itinerant", "3", "1", "2", "0", "-0.25"],
    ]
