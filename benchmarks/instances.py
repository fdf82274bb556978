"""Read the public benchmark instances, their best-known values, and check solutions exactly.

Two families, both from ``../shared/benchmarks`` (see its README for provenance):

* Solomon VRPTW (56 instances, 100 customers): :func:`read_solomon`, :func:`read_solomon_bks`,
  :func:`solomon_problem` (the integer model every solver gets) and :func:`check_vrptw`;
* orienteering with time windows, one route (OPTW, the m = 1 TOPTW):
  :func:`read_optw`, :func:`read_optw_bks`, :func:`optw_problem` and :func:`check_optw`.

The adapters turn an instance into the project's own :class:`RoutingProblem`, so the
shared builder (:func:`itinerant.optimize.routing.build_model`) solves it as it solves a
planning week. Peers (:mod:`benchmarks.peers`) are fed from that same ``RoutingProblem``.

Integer conventions (stated once):

* Solomon: everything times :data:`SOLOMON_SCALE` (100); arc *cost* ``round(100 d)``, arc
  *travel time* ``ceil(100 d)`` (conservative: a schedule feasible for a solver is
  feasible in exact arithmetic), service and windows are the file's integers times 100.
  Objective: distance plus :data:`VEHICLE_FIXED_COST` per vehicle used, i.e. fewest
  vehicles first, then distance (the hierarchical best-known convention).
* OPTW: distances are the benchmark's own, Euclidean truncated to one decimal (Solomon
  based) or two (Cordeau based); times the matching power of ten they are exact integers.
  Objective: collected profit times ``horizon + 1`` (so profit dominates), minus distance.

The checkers recompute everything in double precision from the visit sequences, so
figures compare across solvers whatever each solver rounded.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

from itinerant.optimize.problem import Matrix, Node, RoutingProblem, Vehicle

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT / ".." / "shared" / "benchmarks"
"""``../shared/benchmarks`` relative to the repository root."""
SOLOMON_DIR = SHARED / "solomon"
SOLOMON_BKS = SHARED / "solomon_bks.csv"
OPTW_DIRS = (SHARED / "toptw" / "solomon100", SHARED / "toptw" / "cordeau")
OPTW_BKS = SHARED / "toptw" / "optw_m1_bks.csv"

SOLOMON_SCALE = 100
"""Solomon integers are the file's values times this (distance to 1/100)."""
VEHICLE_FIXED_COST = 1000 * SOLOMON_SCALE
"""Cost of a used vehicle: 1000 distance units, more than any route, so fleet comes first."""
SOLOMON_CLASSES = ("C1", "C2", "R1", "R2", "RC1", "RC2")
OPTW_CLASSES = ("c1", "r1", "rc1", "pr")
EPS = 1e-6


# --------------------------------------------------------------------------- Solomon


@dataclass(frozen=True)
class SolomonInstance:
    """A Solomon VRPTW instance; index 0 is the depot."""

    name: str
    max_vehicles: int
    capacity: int
    xy: tuple[tuple[float, float], ...]
    demand: tuple[int, ...]
    ready: tuple[int, ...]
    due: tuple[int, ...]
    service: tuple[int, ...]

    @property
    def size(self) -> int:
        """Number of nodes, depot included."""
        return len(self.xy)

    def dist(self, i: int, j: int) -> float:
        """Euclidean distance (double precision) between nodes ``i`` and ``j``."""
        return math.dist(self.xy[i], self.xy[j])


@dataclass(frozen=True)
class SolomonBks:
    """Best-known values of one Solomon instance (hierarchical and distance-only)."""

    instance: str
    group: str
    vehicles: int
    distance: float
    dist_only_vehicles: int
    dist_only_distance: float


@dataclass(frozen=True)
class Check:
    """Outcome of an exact re-check: feasible, recomputed value, and the first problems."""

    feasible: bool
    vehicles: int
    value: float
    problems: tuple[str, ...]


def solomon_class(name: str) -> str:
    """Return an instance's class: ``RC105`` -> ``RC1``, ``c101`` -> ``c1``, ``pr07`` -> ``pr``."""
    if name.lower().startswith("pr"):
        return name[:2]
    digits = next(i for i, ch in enumerate(name) if ch.isdigit())
    return name[: digits + 1]


def solomon_names(directory: Path = SOLOMON_DIR) -> list[str]:
    """Names of the Solomon instances in a folder, by class then number."""
    names = [p.stem for p in directory.glob("*.txt")]
    return sorted(names, key=lambda n: (SOLOMON_CLASSES.index(solomon_class(n)), n))


def select(tokens: list[str] | None, names: list[str]) -> list[str]:
    """Expand instance names and class names (``R1``, ``pr``) into instance names.

    Raises
    ------
    ValueError
        If a token is neither an instance nor a class.
    """
    if not tokens:
        return names
    out: list[str] = []
    lower = {n.lower(): n for n in names}
    for token in tokens:
        key = token.lower()
        if key in lower:
            hits = [lower[key]]
        else:
            hits = [n for n in names if solomon_class(n).lower() == key or key == "all"]
        if not hits:
            msg = f"unknown instance or class {token!r}; known: {', '.join(names)}"
            raise ValueError(msg)
        out.extend(h for h in hits if h not in out)
    return out


def read_solomon(path: Path) -> SolomonInstance:
    """Read a Solomon instance in the original text format.

    Raises
    ------
    ValueError
        If the customer rows are not numbered 0..n-1.
    """
    lines = [line.split() for line in path.read_text().splitlines()]
    max_vehicles = capacity = -1
    rows: list[list[str]] = []
    for i, toks in enumerate(lines):
        if toks[:2] == ["NUMBER", "CAPACITY"]:
            max_vehicles, capacity = int(lines[i + 1][0]), int(lines[i + 1][1])
        if len(toks) == 7 and all(t.replace(".", "", 1).isdigit() for t in toks):
            rows.append(toks)
    if [int(r[0]) for r in rows] != list(range(len(rows))) or max_vehicles < 0:
        msg = f"{path}: not a Solomon instance (rows must be numbered 0..n-1)"
        raise ValueError(msg)
    return SolomonInstance(
        name=lines[0][0],
        max_vehicles=max_vehicles,
        capacity=capacity,
        xy=tuple((float(r[1]), float(r[2])) for r in rows),
        demand=tuple(int(r[3]) for r in rows),
        ready=tuple(int(r[4]) for r in rows),
        due=tuple(int(r[5]) for r in rows),
        service=tuple(int(r[6]) for r in rows),
    )


def read_solomon_bks(path: Path = SOLOMON_BKS) -> dict[str, SolomonBks]:
    """Read ``solomon_bks.csv``: best-known values by instance name."""
    with path.open(newline="") as f:
        return {
            row["instance"]: SolomonBks(
                instance=row["instance"],
                group=row["group"],
                vehicles=int(row["bks_vehicles"]),
                distance=float(row["bks_distance"]),
                dist_only_vehicles=int(row["dist_bks_vehicles"]),
                dist_only_distance=float(row["dist_bks_distance"]),
            )
            for row in csv.DictReader(f)
        }


def solomon_problem(
    inst: SolomonInstance, *, fixed_cost: int = VEHICLE_FIXED_COST
) -> RoutingProblem:
    """Build the integer VRPTW model of a Solomon instance as a :class:`RoutingProblem`.

    Node ids are the customer numbers (``"1"`` .. ``"100"``); location ``i`` is node ``i``.
    """
    scale, n = SOLOMON_SCALE, inst.size
    travel = tuple(
        tuple(math.ceil(scale * inst.dist(i, j) - 1e-9) for j in range(n)) for i in range(n)
    )
    distance = tuple(tuple(round(scale * inst.dist(i, j)) for j in range(n)) for i in range(n))
    nodes = tuple(
        Node(
            id=str(c),
            location=c,
            windows=((scale * inst.ready[c], scale * inst.due[c]),),
            service=scale * inst.service[c],
            demand=inst.demand[c],
            mandatory=True,
        )
        for c in range(1, n)
    )
    depot = (scale * inst.ready[0], scale * inst.due[0])
    vehicles = tuple(
        Vehicle(
            id=f"v{k:02d}",
            profile="euclid",
            start_location=0,
            end_location=0,
            start_window=depot,
            end_window=depot,
            capacity=inst.capacity,
            cost_per_time=0,
            cost_per_distance=1,
            fixed_cost=fixed_cost,
        )
        for k in range(inst.max_vehicles)
    )
    return RoutingProblem(
        matrices=(Matrix(key="euclid", travel=travel, distance=distance),),
        nodes=nodes,
        vehicles=vehicles,
        horizon=depot[1],
    )


def check_vrptw(inst: SolomonInstance, routes: list[list[int]]) -> Check:
    """Re-check VRPTW routes in double precision and recompute their total distance.

    Parameters
    ----------
    inst
        The instance.
    routes
        Customer numbers (1..n-1) per route, depot left out.

    Returns
    -------
    Check
        Feasible when every customer is served once, within its window, capacities hold,
        every vehicle is back by the depot's due date and no more vehicles are used than
        the instance has; ``value`` is the exact total distance.
    """
    problems: list[str] = []
    used = [r for r in routes if r]
    seen = sorted(c for r in used for c in r)
    if seen != list(range(1, inst.size)):
        problems.append(f"serves {len(set(seen))} distinct of {inst.size - 1} ({len(seen)} visits)")
    if len(used) > inst.max_vehicles:
        problems.append(f"{len(used)} vehicles > {inst.max_vehicles}")
    total = 0.0
    for r in used:
        t, load, prev = float(inst.ready[0]), 0, 0
        for c in r:
            d = inst.dist(prev, c)
            total += d
            t = max(t + d, float(inst.ready[c]))
            if t > inst.due[c] + EPS:
                problems.append(f"late at {c} ({t:.3f} > {inst.due[c]})")
            load += inst.demand[c]
            t += inst.service[c]
            prev = c
        d = inst.dist(prev, 0)
        total += d
        if t + d > inst.due[0] + EPS:
            problems.append(f"back at {t + d:.3f} > {inst.due[0]}")
        if load > inst.capacity:
            problems.append(f"load {load} > {inst.capacity}")
    return Check(not problems, len(used), total, tuple(problems[:3]))


# --------------------------------------------------------------------------- OPTW


@dataclass(frozen=True)
class OptwInstance:
    """An orienteering instance with time windows; index 0 is start and end."""

    name: str
    decimals: int
    xy: tuple[tuple[float, float], ...]
    service: tuple[float, ...]
    profit: tuple[int, ...]
    open: tuple[float, ...]
    close: tuple[float, ...]

    @property
    def size(self) -> int:
        """Number of nodes, depot included."""
        return len(self.xy)

    @property
    def scale(self) -> int:
        """Power of ten that makes the benchmark's distances integers."""
        return int(10**self.decimals)

    def dist(self, i: int, j: int) -> float:
        """Euclidean distance truncated to the benchmark's decimals (its own convention)."""
        return self.int_dist(i, j) / self.scale

    def int_dist(self, i: int, j: int) -> int:
        """Truncated distance times :attr:`scale`, an exact integer."""
        return math.floor(self.scale * math.dist(self.xy[i], self.xy[j]) + 1e-9)


@dataclass(frozen=True)
class OptwBks:
    """Best-known score of an OPTW instance (one route) and whether it is proven."""

    instance: str
    score: int
    proven: bool


def optw_names() -> list[str]:
    """Names of the OPTW instances: the Solomon-based set, then the Cordeau-based one."""
    names = [p.stem for d in OPTW_DIRS for p in d.glob("*.txt")]
    order = {c: i for i, c in enumerate(OPTW_CLASSES)}
    return sorted(names, key=lambda n: (order[solomon_class(n)], n))


def optw_path(name: str) -> Path:
    """Path of an OPTW instance by name.

    Raises
    ------
    FileNotFoundError
        If no folder holds it.
    """
    for directory in OPTW_DIRS:
        path = directory / f"{name}.txt"
        if path.exists():
            return path
    msg = f"no OPTW instance {name!r} in {', '.join(str(d) for d in OPTW_DIRS)}"
    raise FileNotFoundError(msg)


def read_optw(path: Path) -> OptwInstance:
    """Read a TOPTW instance file (KU Leuven format, see ``toptw/FORMAT.txt``)."""
    lines = [line.split() for line in path.read_text().splitlines()]
    rows = [[float(t) for t in toks] for toks in lines[2:] if toks]
    return OptwInstance(
        name=path.stem,
        decimals=2 if path.parent.name == "cordeau" else 1,
        xy=tuple((r[1], r[2]) for r in rows),
        service=tuple(r[3] for r in rows),
        profit=tuple(round(r[4]) for r in rows),
        open=tuple(r[-2] for r in rows),
        close=tuple(r[-1] for r in rows),
    )


def read_optw_bks(path: Path = OPTW_BKS) -> dict[str, OptwBks]:
    """Read ``optw_m1_bks.csv``: best-known one-route scores by instance name."""
    with path.open(newline="") as f:
        return {
            row["instance"]: OptwBks(
                row["instance"], int(row["best_score"]), row["proven_optimal"] == "True"
            )
            for row in csv.DictReader(f)
        }


def _exact(value: float, scale: int, what: str) -> int:
    scaled = round(value * scale)
    if abs(scaled - value * scale) > 1e-6:
        msg = f"{what} {value} is not a multiple of 1/{scale}"
        raise ValueError(msg)
    return scaled


def optw_problem(inst: OptwInstance) -> RoutingProblem:
    """Build the integer one-route orienteering model as a :class:`RoutingProblem`.

    Every customer is optional with prize ``profit * (horizon + 1)``; the arc cost is the
    truncated distance, so among tours of equal profit the shorter wins.
    """
    s, n = inst.scale, inst.size
    dist = tuple(tuple(inst.int_dist(i, j) for j in range(n)) for i in range(n))
    horizon = _exact(inst.close[0], s, "depot closing time")
    weight = horizon + 1
    nodes = tuple(
        Node(
            id=str(c),
            location=c,
            windows=((_exact(inst.open[c], s, "opening"), _exact(inst.close[c], s, "closing")),),
            service=_exact(inst.service[c], s, "service"),
            prize=inst.profit[c] * weight,
        )
        for c in range(1, n)
        if inst.profit[c] > 0
    )
    depot = (_exact(inst.open[0], s, "depot opening"), horizon)
    vehicle = Vehicle(
        id="tour",
        profile="euclid",
        start_location=0,
        end_location=0,
        start_window=depot,
        end_window=depot,
        cost_per_time=0,
        cost_per_distance=1,
    )
    return RoutingProblem(
        matrices=(Matrix(key="euclid", travel=dist, distance=dist),),
        nodes=nodes,
        vehicles=(vehicle,),
        horizon=horizon,
    )


def check_optw(inst: OptwInstance, route: list[int]) -> Check:
    """Re-check a one-route OPTW tour in double precision and recompute its score.

    Parameters
    ----------
    inst
        The instance.
    route
        Customer numbers in visiting order, depot left out.

    Returns
    -------
    Check
        Feasible when no customer repeats, each service starts in its window and the tour
        is back by the depot's closing time; ``value`` is the collected profit.
    """
    problems: list[str] = []
    if len(set(route)) != len(route) or any(not 0 < c < inst.size for c in route):
        problems.append("repeated or unknown customer")
    t, prev = inst.open[0], 0
    for c in route:
        t = max(t + inst.dist(prev, c), inst.open[c])
        if t > inst.close[c] + EPS:
            problems.append(f"late at {c} ({t:.3f} > {inst.close[c]})")
        t += inst.service[c]
        prev = c
    back = t + inst.dist(prev, 0)
    if back > inst.close[0] + EPS:
        problems.append(f"back at {back:.3f} > {inst.close[0]}")
    score = sum(inst.profit[c] for c in set(route) if 0 < c < inst.size)
    return Check(not problems, 1 if route else 0, float(score), tuple(problems[:3]))
