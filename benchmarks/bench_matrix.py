"""Time road-network loading and the many-to-many travel matrix, engine by engine.

Run on demand (not a test)::

    python benchmarks/bench_matrix.py                       # Andorra test fixture
    python benchmarks/bench_matrix.py --graph ../shared/data/osm_fixtures/porto_drive_2015.osm.bz2
    python benchmarks/bench_matrix.py --sizes 70 1000 --repeat 5 --cache-dir bench-cache

Loading, once each: parsing the extract (skipped when ``--cache-dir`` already holds it),
the ``.npz`` cache (median of ``--repeat``), and the GraphML round trip the cache used
before (``osmnx.load_graphml`` then :func:`road_network_from_graph`).

Then, for N sample points (distinct nodes of the main strongly connected component, a
fixed seed), the median of each way to get the matrix:

* ``before``: the engine up to aaaa89c, copied here as the baseline (csgraph Dijkstra,
  times and every pair's path length by pointer jumping over every node of every tree);
* ``all pairs``: ``travel_matrix`` then every pair's distance (what the planner read up to
  the lazy distances: one unpacked path a pair, up to 300 points);
* ``dijkstra``: ``travel_matrix(engine="dijkstra")``, times for every pair;
* ``planner``: ``travel_matrix`` as the planner calls it (default engine: contraction
  hierarchies, routingkit-cch), times for every pair, no distance yet;
* ``+ legs``: ``planner`` then the distances of a tour through every point (N legs, more
  than a week drives), what a plan computes;
* ``networkx`` (``--networkx``): per-source ``single_source_dijkstra`` on the MultiDiGraph.

The 70 leg paths of a tour (what the maps draw) are timed with each engine too.
It checks that every engine gives the same times (within 1 s of rounding) and the legs
the same lengths as ``before`` (within 1 m where no two paths tie), prints the ratios to
``before`` and the issue's targets (70 points: ``planner`` <= 50 ms and >= 30x faster
than ``before``; 1000 points: ``planner`` <= 2 s). The contraction hierarchy's one-off
costs (node order, build, one customization) are timed separately: the order is cached
with the network.
"""

from __future__ import annotations

import argparse
import functools
import itertools
import statistics
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import osmnx as ox
from scipy.sparse.csgraph import dijkstra

from itinerant.geo import _cch
from itinerant.geo.matrix import (
    Engine,
    NamedPoint,
    TravelMatrix,
    _DijkstraRouter,
    _edge_times_s,
    _router,
    snap_points,
    travel_matrix,
)
from itinerant.geo.network import RoadNetwork, load_road_network, road_network_from_graph
from itinerant.scenario import NetworkSettings, Point, VehicleProfile

ROOT = Path(__file__).resolve().parents[1]

DEFAULT_GRAPH = ROOT / ".." / "shared" / "data" / "osm_fixtures" / "andorra_drive_2025.osm.bz2"
VAN = VehicleProfile()
_BLOCK_CELLS = 4_000_000
_MAX_CCH_POINTS = 300
ENGINES: tuple[Engine, ...] = ("cch", "dijkstra")
Result = tuple[np.ndarray, np.ndarray | None]
"""Times (s) of every pair, and lengths (m) where computed: all pairs, or the tour legs."""


def sample_points(network: RoadNetwork, count: int, seed: int = 0) -> list[NamedPoint]:
    rng = np.random.default_rng(seed)
    nodes = rng.choice(network.main_nodes, size=min(count, network.main_nodes.size), replace=False)
    return [
        NamedPoint(id=f"p{i}", point=Point(lat=network.lat[n] + 1e-4, lon=network.lon[n]))
        for i, n in enumerate(nodes)
    ]


def _tree_lengths(router: _DijkstraRouter, pred: np.ndarray) -> np.ndarray:
    """Pointer jumping over every node of every tree (the code up to aaaa89c)."""
    rows, cols = pred.shape
    parent = pred.astype(np.int64)
    acc = np.zeros((rows, cols), dtype=np.float64)
    r, c = np.nonzero(parent >= 0)
    acc[r, c] = router.length_m[router.lookup(parent[r, c], c.astype(np.int64))]
    parent[parent < 0] = -1
    while r.size:
        up = parent[r, c]
        add, jump = acc[r, up], parent[r, up]
        acc[r, c] += add
        parent[r, c] = jump
        keep = jump >= 0
        r, c = r[keep], c[keep]
    return acc


def before_matrix(
    network: RoadNetwork, points: list[NamedPoint], profile: VehicleProfile
) -> tuple[np.ndarray, np.ndarray]:
    """The engine up to aaaa89c: full-tree lengths, then the target columns."""
    router = _DijkstraRouter.build(network, profile)
    nodes, _ = snap_points(network, points, max_snap_m=1e9)
    unique, inverse = np.unique(nodes, return_inverse=True)
    times = np.empty((unique.size, unique.size))
    lengths = np.empty_like(times)
    block = max(1, _BLOCK_CELLS // network.n_nodes)
    for start in range(0, unique.size, block):
        chunk = unique[start : start + block]
        dist, pred = dijkstra(router.csr, directed=True, indices=chunk, return_predecessors=True)
        times[start : start + chunk.size] = dist[:, unique]
        lengths[start : start + chunk.size] = _tree_lengths(router, pred)[:, unique]
    pick = np.ix_(inverse, inverse)
    return np.rint(times[pick]), np.rint(lengths[pick])


def networkx_matrix(
    network: RoadNetwork, points: list[NamedPoint], profile: VehicleProfile
) -> tuple[np.ndarray, np.ndarray]:
    """Per-source networkx Dijkstra on the MultiDiGraph (the plain way), same snapping."""
    graph = network.graph
    snapped, _ = snap_points(network, points, max_snap_m=1e9)
    nodes = [int(network.node_ids[n]) for n in snapped]

    def edge_time(d: dict[str, float]) -> float:
        speed = min(d["speed_kph"] * profile.speed_factor, profile.max_speed_kmh)
        return max(d["length"] / (speed / 3.6), 1e-3)

    def weight(u: int, v: int, data: dict[int, dict[str, float]]) -> float:
        return min(edge_time(d) for d in data.values())

    def fastest_length(u: int, v: int) -> float:
        return float(min(graph[u][v].values(), key=edge_time)["length"])

    times = np.zeros((len(nodes), len(nodes)))
    dists = np.zeros_like(times)
    for i, source in enumerate(nodes):
        dist, paths = nx.single_source_dijkstra(graph, source, weight=weight)
        for j, target in enumerate(nodes):
            times[i, j] = dist[target]
            dists[i, j] = sum(fastest_length(a, b) for a, b in itertools.pairwise(paths[target]))
    return np.rint(times), np.rint(dists)


def leg_paths(router: Any, nodes: np.ndarray) -> list[np.ndarray]:
    """The fastest path of each leg of a tour through ``nodes``."""
    return [router.path_edges(int(a), int(b)) for a, b in itertools.pairwise(nodes)]


def timed(func: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    samples, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = func()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples), result


def once(func: Callable[[], Any]) -> float:
    return timed(func, 1)[0]


def load_section(graph: Path, cache: Path, repeat: int) -> RoadNetwork:
    settings = NetworkSettings(source="osm", path=graph.resolve())
    had_cache = any(cache.glob("extract-*.npz"))
    start = time.perf_counter()
    network = load_road_network(settings, area=None, cache_dir=cache)
    first_s = time.perf_counter() - start
    assert network is not None
    cached_s, _ = timed(lambda: load_road_network(settings, area=None, cache_dir=cache), repeat)
    print(f"graph {graph.name}: {network.n_nodes} nodes, {network.n_edges} edges")
    first = "from the cache (already there)" if had_cache else "parse + cache"
    print(f"load: {first} {first_s:.2f} s, from the .npz cache {cached_s:.2f} s (median)")
    with tempfile.TemporaryDirectory() as tmp:
        graphml = Path(tmp) / "graph.graphml"
        ox.save_graphml(network.graph, graphml)
        graphml_s = once(
            lambda: road_network_from_graph(ox.load_graphml(graphml), source="GraphML bench")
        )
    print(f"load: from GraphML (the cache before) {graphml_s:.2f} s")
    order_s = once(
        lambda: _cch.node_order(network.edge_u, network.edge_v, network.lat, network.lon)
    )
    order = network.cch_order
    assert order is not None
    hierarchy: list[object] = []
    build_s = once(
        lambda: hierarchy.append(_cch.build_hierarchy(order, network.edge_u, network.edge_v))
    )
    times = _edge_times_s(network, VAN)
    custom_s, _ = timed(
        lambda: _cch.customize(hierarchy[0], network.edge_u, network.edge_v, times), repeat
    )
    print(
        f"cch: node order {order_s:.2f} s (cached with the network), hierarchy "
        f"{build_s * 1000:.0f} ms, customization {custom_s * 1000:.0f} ms per profile"
    )
    return network


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--graph", type=Path, default=DEFAULT_GRAPH)
    parser.add_argument("--sizes", type=int, nargs="+", default=[70, 1000])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--slow-repeat", type=int, default=1, help="runs of engines over 5 s")
    parser.add_argument("--cache-dir", type=Path, help="keep the parsed network between runs")
    parser.add_argument("--networkx", action="store_true", help="also time networkx (slow)")
    args = parser.parse_args()

    warnings.simplefilter("error")
    with tempfile.TemporaryDirectory() as tmp:
        network = load_section(args.graph, args.cache_dir or Path(tmp), args.repeat)
    # warm both engines' per-profile structures, as a second matrix of a run would find them
    warm = sample_points(network, 2)
    for kind in ENGINES:
        travel_matrix(network, warm, VAN, max_snap_m=1e9, circuity=1.3, engine=kind)

    def matrix(engine: Engine | None, points: list[NamedPoint]) -> TravelMatrix:
        return travel_matrix(network, points, VAN, max_snap_m=1e9, circuity=1.3, engine=engine)

    def times(m: TravelMatrix) -> np.ndarray:
        return np.array(m.travel_time_s)

    def all_pairs(points: list[NamedPoint]) -> Result:
        m = matrix(None, points)
        n = len(points)
        return times(m), np.array(m.distances_m(itertools.product(range(n), range(n))))

    def with_legs(points: list[NamedPoint]) -> Result:
        m = matrix(None, points)
        return times(m), np.array(m.distances_m(tour_legs(len(points))))

    engines: dict[str, Callable[[list[NamedPoint]], Result]] = {
        "before": lambda p: before_matrix(network, p, VAN),
        "all pairs": all_pairs,
        "dijkstra": lambda p: (times(matrix("dijkstra", p)), None),
        "planner": lambda p: (times(matrix(None, p)), None),
        "+ legs": with_legs,
    }
    if args.networkx:
        engines["networkx"] = lambda p: networkx_matrix(network, p, VAN)
    default = "cch (routingkit-cch)" if _cch.available() else "dijkstra (no routingkit-cch)"
    print(f"travel_matrix's default engine: {default}; distances for the pairs asked only")
    legs = snap_points(network, sample_points(network, 71, seed=1), max_snap_m=1e9)[0]
    for kind in ENGINES:
        legs_s = once(functools.partial(leg_paths, _router(network, VAN, kind), legs))
        print(f"leg paths (for maps), 70 legs: {kind} {legs_s * 1000:.0f} ms")
    print(f"{'points':>6} {'engine':>10} {'median s':>10} {'vs before':>10}")
    for size in args.sizes:
        points = sample_points(network, size)
        medians: dict[str, float] = {}
        reference: Result | None = None
        for name, run in engines.items():
            if name == "all pairs" and size > _MAX_CCH_POINTS:
                print(f"{size:>6} {name:>10}  skipped: one path unpacked a pair, about 0.1 ms")
                continue
            start = time.perf_counter()
            result = run(points)
            first_s = time.perf_counter() - start
            extra = (args.slow_repeat if first_s > 5 else args.repeat) - 1
            rest_s = [once(functools.partial(run, points)) for _ in range(extra)]
            medians[name] = statistics.median([first_s, *rest_s])
            reference = reference or result
            check(name, result, reference, size)
            ratio = medians["before"] / medians[name]
            print(f"{size:>6} {name:>10} {medians[name]:>10.3f} {ratio:>9.1f}x")
        targets(size, medians)


def tour_legs(size: int) -> list[tuple[int, int]]:
    """The legs of a tour through every point, in matrix order, and back."""
    return [(i, (i + 1) % size) for i in range(size)]


def check(name: str, result: Result, reference: Result, size: int) -> None:
    """Same times as ``before`` within 1 s; the same leg lengths where paths do not tie."""
    gap_s = np.abs(result[0] - reference[0]).max()
    assert gap_s <= 1, f"{name} disagrees with before by {gap_s} s"
    lengths = result[1]
    if lengths is None or reference[1] is None:
        return
    if lengths.size != reference[1].size:  # the legs only: compare with before's cells
        lengths = np.array(lengths).reshape(-1)
        expected = np.array([reference[1][i, j] for i, j in tour_legs(size)])
    else:
        lengths, expected = lengths.reshape(-1), reference[1].reshape(-1)
    same = float((np.abs(lengths - expected) <= 1).mean())
    assert same >= 0.99, f"{name}: {same:.1%} of the lengths within 1 m of before"


def targets(size: int, medians: dict[str, float]) -> None:
    """Say whether the planner's matrix meets the issue's targets at this size."""
    planner, ratio = medians["planner"], medians["before"] / medians["planner"]
    if size == 70:
        met = planner <= 0.050 and ratio >= 30
        goal = f"{planner * 1000:.1f} ms (<= 50 ms), {ratio:.0f}x faster (>= 30x)"
    elif size == 1000:
        met, goal = planner <= 2.0, f"{planner:.3f} s (<= 2 s)"
    else:
        return
    print(f"{size:>6} target: planner {goal}: {'met' if met else 'NOT MET'}")


if __name__ == "__main__":
    main()
