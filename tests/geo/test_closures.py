"""Road closures on the real Andorra roads: closed segments are gone and routes go around."""

from __future__ import annotations

import numpy as np
import pytest

from itinerant.errors import RoadNetworkError
from itinerant.geo.closures import close_roads
from itinerant.geo.matrix import NamedPoint, travel_matrix
from itinerant.geo.network import RoadNetwork
from itinerant.scenario import Point, VehicleProfile

# depot in Andorra la Vella, then Ordino, La Massana, Encamp (town centres)
POINTS = [
    NamedPoint(id=pid, name=pid, point=Point(lat=lat, lon=lon))
    for pid, lat, lon in [
        ("depot", 42.5075, 1.5250),
        ("ordino", 42.5563, 1.5331),
        ("la-massana", 42.5450, 1.5148),
        ("encamp", 42.5347, 1.5801),
    ]
]
VAN = VehicleProfile()


def _refs(network: RoadNetwork) -> set[str]:
    return {str(d.get("ref")) for _, _, d in network.graph.edges(data=True)}


def test_a_closed_road_is_gone_and_routes_go_around(andorra: RoadNetwork) -> None:
    before = travel_matrix(andorra, POINTS, VAN, max_snap_m=800, circuity=1.3)
    closed_network, (closed,) = close_roads(andorra, ["cg 3"])  # spelling as typed
    assert closed.segments > 50
    assert "CG-3" in _refs(andorra)
    assert "CG-3" not in _refs(closed_network)
    assert "CG-3" in _refs(andorra)  # the original network is left as it was
    after = travel_matrix(closed_network, POINTS, VAN, max_snap_m=800, circuity=1.3)
    old, new = np.array(before.travel_time_s), np.array(after.travel_time_s)
    assert (new >= old).all()  # a closure never makes a trip shorter
    # Ordino is reached by the CG-3 from Andorra la Vella: the detour costs minutes
    assert new[0][1] - old[0][1] > 5 * 60
    assert new[0][3] - old[0][3] < 60  # Encamp is on the CG-2, barely affected
    assert "closed: cg 3" in closed_network.source


def test_a_point_closes_the_nearest_segment_both_ways(andorra: RoadNetwork) -> None:
    graph = andorra.graph
    u, v, data = next(
        (u, v, d)
        for u, v, d in graph.edges(data=True)
        if d.get("ref") == "CG-3" and graph.has_edge(v, u)
    )
    lat = (graph.nodes[u]["y"] + graph.nodes[v]["y"]) / 2
    lon = (graph.nodes[u]["x"] + graph.nodes[v]["x"]) / 2
    closed_network, (closed,) = close_roads(andorra, [f"{lat:.6f},{lon:.6f}"])
    assert not closed_network.graph.has_edge(u, v)
    assert not closed_network.graph.has_edge(v, u)
    assert closed.segments == graph.number_of_edges(u, v) + graph.number_of_edges(v, u)
    assert closed_network.n_edges == andorra.n_edges - closed.segments
    assert data["length"] > 0


def test_an_unknown_road_is_named_with_the_nearest_names(andorra: RoadNetwork) -> None:
    with pytest.raises(RoadNetworkError, match=r"no road 'CG-33'.*did you mean 'CG-3'"):
        close_roads(andorra, ["CG-33"])


def test_a_point_far_from_any_road_is_refused(andorra: RoadNetwork) -> None:
    with pytest.raises(RoadNetworkError, match=r"no road within 250 m of '42.3,1.2'"):
        close_roads(andorra, ["42.3,1.2"])


def test_no_closure_leaves_the_network_as_it_is(andorra: RoadNetwork) -> None:
    assert close_roads(andorra, []) == (andorra, ())
    with pytest.raises(RoadNetworkError, match="' ' names no road"):
        close_roads(andorra, [" "])
