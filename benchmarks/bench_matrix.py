"""Time the many-to-many travel matrix: scipy csgraph Dijkstra vs per-source networkx.

Run on demand (not a test)::

    python benchmarks/bench_matrix.py                       # Andorra test fixture
    python benchmarks/bench_matrix.py --graph ../shared/data/osm_fixtures/porto_drive_2015.osm.bz2
    python benchmarks/bench_matrix.py --sizes 70 300 --repeat 5

For N sample points (distinct nodes of the main strongly connected component, a fixed
seed) it times:

* ``travel_matrix`` (the chosen engine: scipy ``dijkstra(indices=sources)`` on a CSR
  graph, fastest-path lengths by pointer jumping on the predecessor trees), end to end
  with snapping and rounding;
* plain networkx: ``single_source_dijkstra`` on the MultiDiGraph from each source
  (weight: the profile's edge time), distances by summing edge lengths along each path.

It checks that both give the same times (within 1 s of rounding) and prints medians and
the ratio. Graph loading (and the parsed-extract cache) is timed once, separately.
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import tempfile
import time
import warnings
from pathlib import Path

import networkx as nx
import numpy as np

from itinerant.geo.matrix import NamedPoint, TravelMatrix, snap_points, travel_matrix
from itinerant.geo.network import RoadNetwork, load_road_network
from itinerant.scenario import NetworkSettings, Point, VehicleProfile

ROOT = Path(__file__).resolve().parents[1]

DEFAULT_GRAPH = ROOT / ".." / "shared" / "data" / "osm_fixtures" / "andorra_drive_2025.osm.bz2"
VAN = VehicleProfile()


def sample_points(network: RoadNetwork, count: int, seed: int = 0) -> list[NamedPoint]:
    rng = np.random.default_rng(seed)
    nodes = rng.choice(network.main_nodes, size=min(count, network.main_nodes.size), replace=False)
    return [
        NamedPoint(id=f"p{i}", point=Point(lat=network.lat[n] + 1e-4, lon=network.lon[n]))
        for i, n in enumerate(nodes)
    ]


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


def timed(func, repeat: int) -> tuple[float, object]:
    samples, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = func()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--graph", type=Path, default=DEFAULT_GRAPH)
    parser.add_argument("--sizes", type=int, nargs="+", default=[70, 300])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--nx-repeat", type=int, default=1, help="networkx is slow: fewer runs")
    args = parser.parse_args()

    warnings.simplefilter("error")
    with tempfile.TemporaryDirectory() as cache:
        settings = NetworkSettings(source="osm", path=args.graph.resolve())
        start = time.perf_counter()
        network = load_road_network(settings, area=None, cache_dir=Path(cache))
        parse_s = time.perf_counter() - start
        start = time.perf_counter()
        network = load_road_network(settings, area=None, cache_dir=Path(cache))
        cached_s = time.perf_counter() - start
    assert network is not None
    print(f"graph {args.graph.name}: {network.n_nodes} nodes, {network.n_edges} edges")
    print(f"load: parse {parse_s:.2f} s, from GraphML cache {cached_s:.2f} s")
    print(f"{'points':>6} {'csgraph s':>10} {'networkx s':>11} {'ratio':>7}")
    for size in args.sizes:
        points = sample_points(network, size)
        cs_s, matrix = timed(
            lambda p=points: travel_matrix(network, p, VAN, max_snap_m=1000, circuity=1.3),
            args.repeat,
        )
        nx_s, nx_result = timed(lambda p=points: networkx_matrix(network, p, VAN), args.nx_repeat)
        assert isinstance(matrix, TravelMatrix)
        assert isinstance(nx_result, tuple)
        gap_s = np.abs(np.array(matrix.travel_time_s) - nx_result[0]).max()
        assert gap_s <= 1, f"engines disagree by {gap_s} s"
        # lengths may differ where two paths tie on time; report the worst
        gap_m = np.abs(np.array(matrix.distance_m) - nx_result[1]).max()
        print(f"  ({len(points)} points: max time gap {gap_s:.0f} s, length gap {gap_m:.0f} m)")
        print(f"{size:>6} {cs_s:>10.3f} {nx_s:>11.3f} {nx_s / cs_s:>6.0f}x")


if __name__ == "__main__":
    main()
