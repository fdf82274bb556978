"""Close roads in a road network (snow, works, a flood) so that routes go around them.

A closure names what to close, as a coordinator knows it:

``D928`` / ``D 928`` / ``CG-2``
    a road number (OSM ``ref``; spaces, hyphens and dots are ignored, case too), every
    segment of it;
``Rue de la Gare``
    a road name (OSM ``name``, case ignored), every segment of it;
``way/123456``
    an OSM way, every segment of it;
``50.3712,2.0365``
    a point (latitude, longitude): the road segment nearest to it, both directions,
    within :data:`MAX_POINT_DISTANCE_M`.

:func:`close_roads` returns a new :class:`~itinerant.geo.network.RoadNetwork` without
those segments; the travel matrices and the maps built on it avoid them.
"""

from __future__ import annotations

import ast
import difflib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from itinerant.errors import RoadNetworkError
from itinerant.geo.network import RoadNetwork, road_network_from_graph

__all__ = ["MAX_POINT_DISTANCE_M", "ClosedRoad", "close_roads"]

MAX_POINT_DISTANCE_M = 250.0
"""A point closure must lie this close to a road segment."""

_POINT = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*$")
_WAY = re.compile(r"^\s*(?:way/|w)(\d+)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class ClosedRoad:
    """What one closure closed: its text, the segments removed and their length."""

    closure: str
    segments: int
    length_m: float

    def describe(self) -> str:
        """``D928 (14 segments, 6.2 km)``."""
        return f"{self.closure} ({self.segments} segments, {self.length_m / 1000:.1f} km)"


def _normal_ref(ref: str) -> str:
    return re.sub(r"[\s.\-_]", "", ref).upper()


def _values(raw: object) -> list[str]:
    """Return the text values of an edge attribute.

    A list after osmnx simplification, a list written as text after a GraphML round
    trip, ``a;b`` for several refs in OSM.
    """
    if raw is None:
        return []
    if isinstance(raw, str) and raw.startswith("[") and raw.endswith("]"):
        try:
            raw = ast.literal_eval(raw)
        except (ValueError, SyntaxError):
            return [str(raw)]
    items: Iterable[object] = raw if isinstance(raw, list | tuple | set) else [raw]
    return [part.strip() for item in items for part in str(item).split(";") if part.strip()]


def _matching_edges(network: RoadNetwork, closure: str) -> list[int]:
    """Edge positions (in the network's edge arrays) that ``closure`` closes."""
    point = _POINT.match(closure)
    if point is not None:
        return _nearest_segment(network, float(point[1]), float(point[2]), closure)
    way = _WAY.match(closure)
    wanted_way = int(way[1]) if way is not None else None
    wanted_ref = _normal_ref(closure)
    wanted_name = closure.strip().casefold()
    found = []
    for position, (_, _, data) in enumerate(network.graph.edges(data=True)):
        if wanted_way is not None:
            if str(wanted_way) in _values(data.get("osmid")):
                found.append(position)
        elif wanted_ref in {_normal_ref(r) for r in _values(data.get("ref"))} or wanted_name in {
            n.casefold() for n in _values(data.get("name"))
        }:
            found.append(position)
    if not found:
        raise RoadNetworkError(_not_found(network, closure))
    return found


def _not_found(network: RoadNetwork, closure: str) -> str:
    names: set[str] = set()
    for _, _, data in network.graph.edges(data=True):
        names.update(_values(data.get("ref")))
        names.update(_values(data.get("name")))
    close = difflib.get_close_matches(closure, sorted(names), n=3, cutoff=0.6)
    hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    return (
        f"--road-closed: no road {closure!r} in the road network {network.source} "
        f"(a road number such as D928, a road name, way/ID or LAT,LON){hint}"
    )


def _nearest_segment(network: RoadNetwork, lat: float, lon: float, closure: str) -> list[int]:
    """Find the segment nearest to a point, with its reverse (straight lines between nodes)."""
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        msg = f"--road-closed: {closure!r} is not a latitude,longitude"
        raise RoadNetworkError(msg)
    here = network.local_xy(np.array([lat]), np.array([lon]))[0]
    a = network.local_xy(network.lat[network.edge_u], network.lon[network.edge_u])
    b = network.local_xy(network.lat[network.edge_v], network.lon[network.edge_v])
    ab = b - a
    squared = np.einsum("ij,ij->i", ab, ab)
    t = np.clip(np.einsum("ij,ij->i", here - a, ab) / np.where(squared > 0, squared, 1), 0, 1)
    distance = np.hypot(*(a + t[:, None] * ab - here).T)
    best = int(np.argmin(distance))
    if distance[best] > MAX_POINT_DISTANCE_M:
        msg = (
            f"--road-closed: no road within {MAX_POINT_DISTANCE_M:.0f} m of {closure!r} "
            f"(nearest: {distance[best]:.0f} m) in {network.source}"
        )
        raise RoadNetworkError(msg)
    u, v = network.edge_u[best], network.edge_v[best]
    ends = (network.edge_u == u) & (network.edge_v == v) | (network.edge_u == v) & (
        network.edge_v == u
    )
    return [int(i) for i in np.flatnonzero(ends)]


def close_roads(
    network: RoadNetwork,
    closures: Sequence[str],
    *,
    highway_speeds_kmh: Mapping[str, float] | None = None,
) -> tuple[RoadNetwork, tuple[ClosedRoad, ...]]:
    """Return the network without the closed roads, and what each closure closed.

    Raises
    ------
    RoadNetworkError
        A closure that is blank or matches no road (with the nearest names), or a
        point too far from any road.
    """
    closed: list[ClosedRoad] = []
    removed: set[int] = set()
    for closure in _unique(closures):
        positions = _matching_edges(network, closure)
        removed.update(positions)
        closed.append(
            ClosedRoad(
                closure=closure.strip(),
                segments=len(positions),
                length_m=float(network.edge_length_m[positions].sum()),
            )
        )
    if not closed:
        return network, ()
    graph = network.graph.copy()
    edges = list(network.graph.edges(keys=True))
    graph.remove_edges_from(edges[i] for i in sorted(removed))
    source = f"{network.source}, closed: {', '.join(c.closure for c in closed)}"
    reduced = road_network_from_graph(
        graph, source=source, highway_speeds_kmh=highway_speeds_kmh, cch_order=network.cch_order
    )
    return reduced, tuple(closed)


def _unique(items: Iterable[str]) -> list[str]:
    seen: list[str] = []
    for item in items:
        if not item.strip():
            msg = f"--road-closed: {item!r} names no road (a road number such as D928, ...)"
            raise RoadNetworkError(msg)
        if item.strip() not in seen:
            seen.append(item.strip())
    return seen
