"""Snapping and travel matrices on real OSM road graphs (itinerant.geo.matrix)."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import numpy as np
import osmnx as ox
import pytest

from itinerant.errors import ApproximateDistancesWarning, RoadNetworkError, SnappingError
from itinerant.geo import _cch
from itinerant.geo.matrix import (
    Engine,
    NamedPoint,
    TravelMatrix,
    _CchRouter,
    _DijkstraRouter,
    haversine_m,
    leg_geometry,
    nearest_travel_time_s,
    snap_points,
    travel_matrix,
)
from itinerant.geo.network import RoadNetwork, load_road_network
from itinerant.scenario import NetworkSettings, Point, VehicleProfile

VAN = VehicleProfile()  # 110 km/h cap, factor 1
TOWED = VehicleProfile(max_speed_kmh=80, speed_factor=0.9, towed=True)

# Real places on Saint-Barthélemy (OpenStreetMap), and one point 5+ km out at sea north
# of the island (its north coast is at about 17.93 N).
SAINT_BARTH_PLACES = [
    NamedPoint(id="gustavia", name="Gustavia", point=Point(lat=17.8962, lon=-62.8498)),
    NamedPoint(id="st-jean", name="Saint-Jean", point=Point(lat=17.9003, lon=-62.8340)),
    NamedPoint(id="lorient", name="Lorient", point=Point(lat=17.9040, lon=-62.8190)),
    NamedPoint(id="colombier", name="Colombier", point=Point(lat=17.9190, lon=-62.8620)),
    NamedPoint(
        id="grand-cul-de-sac", name="Grand Cul-de-Sac", point=Point(lat=17.9085, lon=-62.7975)
    ),
]
AT_SEA = NamedPoint(id="offshore", name="Au large", point=Point(lat=17.985, lon=-62.84))


def sample_points(network: RoadNetwork, count: int, *, seed: int = 7) -> list[NamedPoint]:
    """``count`` points about 20-40 m off distinct main-component nodes (a fixed sample)."""
    rng = np.random.default_rng(seed)
    nodes = rng.choice(network.main_nodes, size=count, replace=False)
    offsets = rng.uniform(-0.0003, 0.0003, size=(count, 2))
    return [
        NamedPoint(
            id=f"s{i:03d}",
            point=Point(lat=network.lat[n] + dy, lon=network.lon[n] + dx),
        )
        for i, (n, (dy, dx)) in enumerate(zip(nodes, offsets, strict=True))
    ]


def as_array(rows: tuple[tuple[int, ...], ...]) -> np.ndarray:
    return np.array(rows, dtype=np.int64)


def all_distances(matrix: TravelMatrix) -> np.ndarray:
    """Every pair's distance (m), asked of the matrix in one batch."""
    n = len(matrix.point_ids)
    pairs = [(i, j) for i in range(n) for j in range(n)]
    return np.array(matrix.distances_m(pairs), dtype=np.int64).reshape(n, n)


@pytest.fixture(scope="module")
def andorra_points(andorra: RoadNetwork) -> list[NamedPoint]:
    return sample_points(andorra, 40)


@pytest.fixture(scope="module")
def andorra_van(andorra: RoadNetwork, andorra_points: list[NamedPoint]) -> TravelMatrix:
    return travel_matrix(andorra, andorra_points, VAN, max_snap_m=1000, circuity=1.3)


def test_matrix_shape_and_diagonal(
    andorra_van: TravelMatrix, andorra_points: list[NamedPoint]
) -> None:
    times, dists = as_array(andorra_van.travel_time_s), all_distances(andorra_van)
    assert andorra_van.point_ids == tuple(p.id for p in andorra_points)
    assert times.shape == dists.shape == (40, 40)
    assert (np.diag(times) == 0).all()
    assert (np.diag(dists) == 0).all()
    off = ~np.eye(40, dtype=bool)
    # the sample has 40 distinct nodes, so every other pair takes time and distance
    assert (times[off] > 0).all()
    assert (dists[off] > 0).all()
    assert not andorra_van.approximate
    assert andorra_van.source == "OSM extract andorra_drive_2025.osm.bz2"
    assert andorra_van.profile == VAN.key
    assert all(0 < d < 60 for d in andorra_van.snap_distance_m)


@pytest.mark.parametrize("fixture", ["saint_barthelemy", "monaco", "andorra"])
def test_road_distance_at_least_straight_line(fixture: str, request: pytest.FixtureRequest) -> None:
    """A road path is never shorter than the great circle between its (snapped) ends."""
    network: RoadNetwork = request.getfixturevalue(fixture)
    points = sample_points(network, 30)
    matrix = travel_matrix(network, points, VAN, max_snap_m=1000, circuity=1.3)
    nodes, _ = snap_points(network, points, max_snap_m=1000)
    lat, lon = network.lat[nodes], network.lon[nodes]
    crow = haversine_m(lat[:, None], lon[:, None], lat[None, :], lon[None, :])
    # 1 m: the matrix is rounded to whole metres
    assert (all_distances(matrix) >= crow - 1).all()
    # and the time is at least the distance at the fastest speed of the profile
    fastest = all_distances(matrix) / (VAN.max_speed_kmh / 3.6)
    assert (as_array(matrix.travel_time_s) >= fastest - 1).all()


def test_towed_never_faster_and_slower_on_fast_roads(
    andorra: RoadNetwork, andorra_points: list[NamedPoint], andorra_van: TravelMatrix
) -> None:
    towed = travel_matrix(andorra, andorra_points, TOWED, max_snap_m=1000, circuity=1.3)
    van_t, towed_t = as_array(andorra_van.travel_time_s), as_array(towed.travel_time_s)
    assert (towed_t >= van_t).all()
    # Andorra's trunks run at 100 km/h: the 80 km/h cap and factor 0.9 must show; 0.9
    # alone makes any pair over ~10 s at least 10 % slower
    assert (towed_t > van_t).any()
    long_pairs = van_t > 600
    assert long_pairs.any()
    assert (towed_t[long_pairs] >= van_t[long_pairs] / 0.9 - 1).all()
    assert towed.profile != andorra_van.profile


def test_graphml_round_trip_gives_same_matrix(
    saint_barthelemy: RoadNetwork, tmp_path: Path
) -> None:
    path = tmp_path / "saint_barthelemy.graphml"
    ox.save_graphml(saint_barthelemy.graph, path)
    settings = NetworkSettings(source="graphml", path=path)
    reloaded = load_road_network(settings, area=None, cache_dir=tmp_path / "cache")
    assert reloaded is not None
    before = travel_matrix(saint_barthelemy, SAINT_BARTH_PLACES, VAN, max_snap_m=1000, circuity=1.3)
    after = travel_matrix(reloaded, SAINT_BARTH_PLACES, VAN, max_snap_m=1000, circuity=1.3)
    assert after.travel_time_s == before.travel_time_s
    assert (all_distances(after) == all_distances(before)).all()
    assert after.snap_distance_m == before.snap_distance_m


def test_real_places_on_saint_barthelemy(saint_barthelemy: RoadNetwork) -> None:
    matrix = travel_matrix(saint_barthelemy, SAINT_BARTH_PLACES, VAN, max_snap_m=1000, circuity=1.3)
    times = as_array(matrix.travel_time_s)
    # Gustavia to Lorient is about 3.4 km as the crow flies, across hills: 4 to 10 km of
    # road, 5 to 20 minutes at the island's 35-80 km/h
    i, j = matrix.index("gustavia"), matrix.index("lorient")
    assert 4000 < matrix.distances_m([(i, j)])[0] < 10_000
    assert 300 < times[i, j] < 1200


def test_point_at_sea_names_the_stop(saint_barthelemy: RoadNetwork) -> None:
    with pytest.raises(SnappingError, match=r"'offshore' \(Au large\) is [\d,]+ m from") as info:
        travel_matrix(
            saint_barthelemy, [*SAINT_BARTH_PLACES, AT_SEA], VAN, max_snap_m=1000, circuity=1.3
        )
    message = str(info.value)
    assert "network.max_snap_m" in message
    assert "gustavia" not in message  # only the faulty stop is named
    distance = int(message.split(" is ")[1].split(" m ", maxsplit=1)[0].replace(",", ""))
    assert distance > 5000


def test_same_node_points_are_zero_apart(saint_barthelemy: RoadNetwork) -> None:
    gustavia = SAINT_BARTH_PLACES[0]
    twin = NamedPoint(
        id="gustavia-2", point=Point(lat=gustavia.point.lat + 1e-5, lon=gustavia.point.lon)
    )
    points = [gustavia, twin, SAINT_BARTH_PLACES[2]]
    matrix = travel_matrix(saint_barthelemy, points, VAN, max_snap_m=1000, circuity=1.3)
    assert matrix.travel_time_s[0][1] == matrix.travel_time_s[1][0] == 0
    assert matrix.travel_time_s[0][2] == matrix.travel_time_s[1][2] > 0


def test_points_snap_into_the_main_component(andorra: RoadNetwork) -> None:
    """A point on a node cut off from the main component snaps elsewhere, and routes."""
    outside = np.flatnonzero(~andorra.in_main_component)
    assert outside.size > 0  # Andorra's extract has some one-way dead ends
    points = [
        NamedPoint(id=f"o{i}", point=Point(lat=andorra.lat[n], lon=andorra.lon[n]))
        for i, n in enumerate(outside[:5])
    ]
    nodes, _ = snap_points(andorra, points, max_snap_m=5000)
    assert andorra.in_main_component[nodes].all()
    matrix = travel_matrix(andorra, points, VAN, max_snap_m=5000, circuity=1.3)
    assert len(matrix.travel_time_s) == 5


def test_straight_line_fallback() -> None:
    places = SAINT_BARTH_PLACES
    with pytest.warns(ApproximateDistancesWarning, match="straight-line estimates"):
        matrix = travel_matrix(None, places, TOWED, max_snap_m=1000, circuity=1.3)
    assert matrix.approximate
    assert matrix.snap_distance_m == (0.0,) * len(places)
    lat = np.array([p.point.lat for p in places])
    lon = np.array([p.point.lon for p in places])
    expected = haversine_m(lat[:, None], lon[:, None], lat[None, :], lon[None, :]) * 1.3
    assert matrix.distance_m is not None  # straight lines: every pair up front
    dists = as_array(matrix.distance_m)
    assert (all_distances(matrix) == dists).all()
    assert np.abs(dists - expected).max() <= 0.5
    # towed fallback speed: min(50 x 0.9, 80) = 45 km/h
    assert np.abs(as_array(matrix.travel_time_s) - expected / (45 / 3.6)).max() <= 0.5


def test_nearest_facility_time(monaco: RoadNetwork) -> None:
    points = sample_points(monaco, 25, seed=3)
    origins, facility_points = points[:15], points[15:]
    facilities = [p.point for p in facility_points]
    # a facility far out at sea is outside the area: skipped, not an error
    facilities.append(Point(lat=43.60, lon=7.50))
    nearest = nearest_travel_time_s(monaco, origins, facilities, VAN, max_snap_m=1000, circuity=1.3)
    matrix = travel_matrix(monaco, points, VAN, max_snap_m=1000, circuity=1.3)
    times = as_array(matrix.travel_time_s)[:15, 15:]
    assert set(nearest) == {o.id for o in origins}
    for i, origin in enumerate(origins):
        assert nearest[origin.id] <= times[i].min()
        # one multi-source search finds the same best facility as the matrix
        assert nearest[origin.id] == times[i].min()


def test_nearest_facility_fallback() -> None:
    origins = SAINT_BARTH_PLACES[:2]
    facilities = [p.point for p in SAINT_BARTH_PLACES[2:]]
    with pytest.warns(ApproximateDistancesWarning):
        nearest = nearest_travel_time_s(None, origins, facilities, VAN, max_snap_m=1, circuity=1.3)
    with pytest.warns(ApproximateDistancesWarning):
        matrix = travel_matrix(None, SAINT_BARTH_PLACES, VAN, max_snap_m=1, circuity=1.3)
    times = as_array(matrix.travel_time_s)
    assert nearest == {o.id: int(times[i, 2:].min()) for i, o in enumerate(origins)}


def polyline_length_m(line: list[tuple[float, float]]) -> float:
    a = np.array(line)
    return float(haversine_m(a[:-1, 0], a[:-1, 1], a[1:, 0], a[1:, 1]).sum())


@pytest.mark.parametrize("engine", ["cch", "dijkstra"])
@pytest.mark.parametrize("fixture", ["saint_barthelemy", "monaco"])
def test_leg_geometry_follows_the_fastest_road(
    fixture: str, engine: str, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Maps draw the path the matrix measured, with either engine."""
    monkeypatch.setattr(_cch, "available", lambda: engine == "cch")
    network: RoadNetwork = request.getfixturevalue(fixture)
    points = sample_points(network, 6, seed=11)
    matrix = travel_matrix(network, points, VAN, max_snap_m=1000, circuity=1.3)
    dists = all_distances(matrix)
    for i, origin in enumerate(points):
        for j, destination in enumerate(points):
            if i == j:
                continue
            line = leg_geometry(network, VAN, origin.point, destination.point)
            start = haversine_m(line[0][0], line[0][1], origin.point.lat, origin.point.lon)
            end = haversine_m(
                line[-1][0], line[-1][1], destination.point.lat, destination.point.lon
            )
            # starts and ends at the snapped nodes
            assert start == pytest.approx(matrix.snap_distance_m[i], abs=0.1)
            assert end == pytest.approx(matrix.snap_distance_m[j], abs=0.1)
            # follows edge geometries in the right direction: same length as the matrix
            assert polyline_length_m(line) == pytest.approx(dists[i, j], rel=0.02)
            assert len(line) > 2


def test_leg_geometry_without_network() -> None:
    a, b = SAINT_BARTH_PLACES[0].point, SAINT_BARTH_PLACES[1].point
    assert leg_geometry(None, VAN, a, b) == [(a.lat, a.lon), (b.lat, b.lon)]


@pytest.mark.parametrize("profile", [VAN, TOWED], ids=["van", "towed"])
def test_contraction_hierarchies_match_dijkstra(
    andorra: RoadNetwork, profile: VehicleProfile
) -> None:
    """Both engines agree on Andorra: times within 1 s a cell, fastest-path lengths too."""
    points = sample_points(andorra, 60, seed=5)
    cch = travel_matrix(andorra, points, profile, max_snap_m=1000, circuity=1.3, engine="cch")
    reference = travel_matrix(
        andorra, points, profile, max_snap_m=1000, circuity=1.3, engine="dijkstra"
    )
    gap_s = np.abs(as_array(cch.travel_time_s) - as_array(reference.travel_time_s))
    assert gap_s.max() <= 1
    # lengths may differ only where two paths tie on time; on this sample none does
    gap_m = np.abs(all_distances(cch) - all_distances(reference))
    assert (gap_m <= 1).mean() >= 0.99
    assert cch.snap_distance_m == reference.snap_distance_m


@pytest.mark.parametrize("engine", ["cch", "dijkstra"])
def test_distances_on_demand_equal_all_pairs(
    andorra: RoadNetwork, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Legs asked one at a time, in any order, get the all-pairs batch's metres, and only
    the legs asked are computed (a plan asks for the legs it drives)."""
    points = sample_points(andorra, 50, seed=13)
    points.append(NamedPoint(id="twin", point=points[0].point))  # on the node of s000
    full = all_distances(
        travel_matrix(andorra, points, VAN, max_snap_m=1000, circuity=1.3, engine=engine)
    )
    assert full[0, -1] == full[-1, 0] == 0
    assert (full[~np.eye(len(points), dtype=bool)] > 0).sum() == len(points) * (len(points) - 1) - 2
    asked: list[int] = []
    router = _CchRouter if engine == "cch" else _DijkstraRouter
    unpack = router.path_lengths

    def counted(self: _CchRouter | _DijkstraRouter, pairs: np.ndarray) -> np.ndarray:
        asked.append(len(pairs))
        return unpack(self, pairs)  # type: ignore[arg-type]

    monkeypatch.setattr(router, "path_lengths", counted)
    lazy = travel_matrix(andorra, points, VAN, max_snap_m=1000, circuity=1.3, engine=engine)
    assert asked == []  # times only
    rng = np.random.default_rng(1)
    legs = [(int(i), int(j)) for i, j in rng.integers(0, len(points), size=(80, 2))]
    legs += [(0, 50), (50, 0), (3, 3), legs[0]]  # same node, same point, asked again
    assert [lazy.distances_m([leg])[0] for leg in legs] == [full[i, j] for i, j in legs]
    moving = {(i, j) for i, j in legs if full[i, j] > 0}
    assert sum(asked) == len(moving) < len(points) ** 2 / 20
    # a batch of legs already known computes nothing more
    assert lazy.distances_m(legs[::-1]) == tuple(full[i, j] for i, j in legs[::-1])
    assert sum(asked) == len(moving)


def test_a_matrix_without_distances_says_so() -> None:
    matrix = TravelMatrix(
        profile=VAN.key,
        point_ids=("a", "b"),
        travel_time_s=((0, 60), (60, 0)),
        approximate=True,
        source="test",
        snap_distance_m=(0.0, 0.0),
    )
    with pytest.raises(ValueError, match="has no distances"):
        matrix.distances_m([(0, 1)])


def test_without_routingkit_dijkstra_answers(
    monaco: RoadNetwork, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """If routingkit-cch cannot be imported, the default engine is Dijkstra, said once."""
    points = sample_points(monaco, 12, seed=2)
    expected = travel_matrix(monaco, points, VAN, max_snap_m=1000, circuity=1.3, engine="dijkstra")
    monkeypatch.setitem(sys.modules, "routingkit_cch", None)  # import raises ImportError
    _cch._module.cache_clear()
    try:
        with caplog.at_level(logging.INFO, logger="itinerant.geo._cch"):
            matrix = travel_matrix(monaco, points, VAN, max_snap_m=1000, circuity=1.3)
            line = leg_geometry(monaco, VAN, points[0].point, points[1].point)
            with pytest.raises(RoadNetworkError, match="engine 'cch' needs routingkit-cch"):
                travel_matrix(monaco, points, VAN, max_snap_m=1000, circuity=1.3, engine="cch")
    finally:
        _cch._module.cache_clear()
    assert matrix.travel_time_s == expected.travel_time_s
    assert (all_distances(matrix) == all_distances(expected)).all()
    assert polyline_length_m(line) == pytest.approx(expected.distances_m([(0, 1)])[0], rel=0.02)
    assert caplog.text.count("routingkit-cch unavailable") == 1
