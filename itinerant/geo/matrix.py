"""Snap points to the road network and compute many-to-many travel times and distances."""

from __future__ import annotations

import logging
import warnings
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from pydantic import BaseModel, ConfigDict, Field
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from itinerant.errors import ApproximateDistancesWarning, SnappingError
from itinerant.geo.network import EARTH_RADIUS_M, RoadNetwork
from itinerant.scenario import Point, VehicleProfile

if TYPE_CHECKING:
    from numpy.typing import ArrayLike, NDArray

__all__ = [
    "NamedPoint",
    "TravelMatrix",
    "haversine_m",
    "leg_geometry",
    "nearest_travel_time_s",
    "snap_points",
    "travel_matrix",
]

logger = logging.getLogger(__name__)


class NamedPoint(BaseModel):
    """A point with an id (``"depot"``, a stop id, a service point id)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    name: str = ""
    point: Point


class TravelMatrix(BaseModel):
    """Square travel-time and distance matrices between named points, for one profile.

    ``travel_time_s[i][j]`` and ``distance_m[i][j]`` go from ``point_ids[i]`` to
    ``point_ids[j]`` (integers, rounded once here). ``approximate`` is true when they
    come from straight lines times a circuity factor instead of the road network.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    profile: str = Field(description="VehicleProfile.key")
    point_ids: tuple[str, ...]
    travel_time_s: tuple[tuple[int, ...], ...]
    distance_m: tuple[tuple[int, ...], ...]
    approximate: bool
    source: str = Field(description="what the numbers come from, for provenance")
    snap_distance_m: tuple[float, ...] = Field(
        description="distance from each point to its network node (0 when approximate)"
    )

    def index(self, point_id: str) -> int:
        """Row/column of a point id."""
        return self.point_ids.index(point_id)


# -- functions ------------------------------------------------------------------------------

_MAX_BLOCK_CELLS = 4_000_000
"""Sources x nodes per Dijkstra block: bounds memory (about 30 bytes a cell) on big graphs."""

_MIN_EDGE_TIME_S = 1e-3
"""Floor on edge times, so that no edge weighs zero (csgraph would drop it)."""


@dataclass(frozen=True, eq=False)
class _ProfileGraph:
    """The road graph weighted for one vehicle profile, parallel edges collapsed.

    ``pair_key[i] = u * n + v`` (sorted) for the fastest edge ``u -> v``, whose time,
    length and index in the network's edge arrays are ``time_s[i]``, ``length_m[i]``,
    ``edge[i]``.
    """

    n: int
    csr: csr_matrix
    pair_key: NDArray[np.int64]
    time_s: NDArray[np.float64]
    length_m: NDArray[np.float64]
    edge: NDArray[np.int64]

    def lookup(self, u: NDArray[np.int64], v: NDArray[np.int64]) -> NDArray[np.int64]:
        """Positions of the (existing) pairs ``u -> v`` in the pair arrays."""
        return np.searchsorted(self.pair_key, u * self.n + v).astype(np.int64)


_PROFILE_GRAPHS: weakref.WeakKeyDictionary[RoadNetwork, dict[str, _ProfileGraph]] = (
    weakref.WeakKeyDictionary()
)


def _profile_graph(network: RoadNetwork, profile: VehicleProfile) -> _ProfileGraph:
    """Weight the network for a profile (cached per network and profile)."""
    per_network = _PROFILE_GRAPHS.setdefault(network, {})
    key = f"{profile.max_speed_kmh!r}x{profile.speed_factor!r}"
    if key in per_network:
        return per_network[key]
    n = network.n_nodes
    speed_kmh = np.minimum(network.edge_speed_kph * profile.speed_factor, profile.max_speed_kmh)
    time_s = np.maximum(network.edge_length_m / (speed_kmh / 3.6), _MIN_EDGE_TIME_S)
    keep = np.flatnonzero(network.edge_u != network.edge_v)  # self-loops never help
    u, v, t = network.edge_u[keep], network.edge_v[keep], time_s[keep]
    order = np.lexsort((t, v, u))  # by pair, fastest first
    pair = u[order] * n + v[order]
    first = np.ones(pair.size, dtype=bool)
    first[1:] = pair[1:] != pair[:-1]
    chosen = keep[order[first]]
    graph = _ProfileGraph(
        n=n,
        csr=csr_matrix(
            (time_s[chosen], (network.edge_u[chosen], network.edge_v[chosen])), shape=(n, n)
        ),
        pair_key=pair[first],
        time_s=time_s[chosen],
        length_m=network.edge_length_m[chosen],
        edge=chosen,
    )
    per_network[key] = graph
    return graph


def haversine_m(
    lat1: ArrayLike, lon1: ArrayLike, lat2: ArrayLike, lon2: ArrayLike
) -> NDArray[np.float64]:
    """Great-circle distance (m) between points in degrees (broadcasting)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dlat = p2 - p1
    dlon = np.radians(np.asarray(lon2) - np.asarray(lon1))
    h = np.sin(dlat / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlon / 2) ** 2
    return np.asarray(2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(h, 0, 1))))


def _label(point: NamedPoint) -> str:
    return f"'{point.id}' ({point.name})" if point.name else f"'{point.id}'"


def _nearest_nodes(
    network: RoadNetwork, lat: NDArray[np.float64], lon: NDArray[np.float64]
) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """Nearest main-component node of each point, and its haversine distance (m)."""
    _, pos = network.main_tree.query(network.local_xy(lat, lon))
    nodes = network.main_nodes[np.asarray(pos, dtype=np.int64)]
    return nodes, haversine_m(lat, lon, network.lat[nodes], network.lon[nodes])


def snap_points(
    network: RoadNetwork, points: Sequence[NamedPoint], *, max_snap_m: float
) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """Snap points to the nearest node of the network's main strongly connected component.

    Parameters
    ----------
    network
        The road network.
    points
        The points to snap.
    max_snap_m
        Largest accepted distance from a point to its node.

    Returns
    -------
    nodes, distances
        Node index of each point and the haversine distance (m) to it.

    Raises
    ------
    SnappingError
        Naming every point farther than ``max_snap_m`` from the network.
    """
    lat = np.array([p.point.lat for p in points], dtype=np.float64)
    lon = np.array([p.point.lon for p in points], dtype=np.float64)
    nodes, dist = _nearest_nodes(network, lat, lon)
    problems = [
        f"{_label(p)} is {d:,.0f} m from the nearest road of the network "
        f"({network.source}), more than network.max_snap_m = {max_snap_m:g} m: "
        "fix its coordinates or raise network.max_snap_m"
        for p, d in zip(points, dist, strict=True)
        if d > max_snap_m
    ]
    if problems:
        raise SnappingError("\n".join(problems))
    return nodes, dist


def _tree_lengths(graph: _ProfileGraph, pred: NDArray[np.int32]) -> NDArray[np.float64]:
    """Length (m) from each source to every node along its shortest-path tree.

    ``pred`` is csgraph's predecessor array (one row per source, ``-9999`` at roots and
    unreachable nodes). Pointer jumping: each round adds the parent's accumulated length
    and jumps to the grandparent, so ``log2(tree depth)`` vectorised rounds suffice.
    """
    rows, cols = pred.shape
    parent = pred.astype(np.int64)
    acc = np.zeros((rows, cols), dtype=np.float64)
    r, c = np.nonzero(parent >= 0)
    acc[r, c] = graph.length_m[graph.lookup(parent[r, c], c.astype(np.int64))]
    parent[parent < 0] = -1
    while r.size:
        up = parent[r, c]
        add, jump = acc[r, up], parent[r, up]  # old values, read before writing
        acc[r, c] += add
        parent[r, c] = jump
        keep = jump >= 0
        r, c = r[keep], c[keep]
    return acc


def _many_to_many(
    graph: _ProfileGraph, sources: NDArray[np.int64], targets: NDArray[np.int64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Fastest times (s) and their path lengths (m) from ``sources`` to ``targets``."""
    times = np.empty((sources.size, targets.size), dtype=np.float64)
    lengths = np.empty_like(times)
    block = max(1, _MAX_BLOCK_CELLS // max(graph.n, 1))
    for start in range(0, sources.size, block):
        chunk = sources[start : start + block]
        dist, pred = dijkstra(graph.csr, directed=True, indices=chunk, return_predecessors=True)
        times[start : start + chunk.size] = dist[:, targets]
        lengths[start : start + chunk.size] = _tree_lengths(graph, pred)[:, targets]
    return times, lengths


def _fallback_speed_ms(profile: VehicleProfile) -> float:
    kmh = min(profile.fallback_speed_kmh * profile.speed_factor, profile.max_speed_kmh)
    return kmh / 3.6


def _warn_approximate(circuity: float, profile: VehicleProfile) -> None:
    speed = _fallback_speed_ms(profile) * 3.6
    warnings.warn(
        "no road network: travel distances are straight-line estimates "
        f"(great circle x circuity {circuity:g}, at {speed:g} km/h)",
        ApproximateDistancesWarning,
        stacklevel=3,
    )


def travel_matrix(
    network: RoadNetwork | None,
    points: Sequence[NamedPoint],
    profile: VehicleProfile,
    *,
    max_snap_m: float,
    circuity: float,
) -> TravelMatrix:
    """Compute many-to-many travel times and distances between points for one profile.

    Edge speed is ``min(speed_kph * profile.speed_factor, profile.max_speed_kmh)``; the
    distance of a pair is the length of its fastest path. Points that snap to the same
    node are 0 s and 0 m apart (the walk to the node is not counted, as for every point).

    Parameters
    ----------
    network
        The road network, or ``None`` for straight-line estimates.
    points
        The points, in matrix order.
    profile
        How fast the vehicle drives.
    max_snap_m
        Largest accepted distance from a point to the network.
    circuity
        Road distance over straight-line distance, for the estimates.

    Returns
    -------
    TravelMatrix
        Integer seconds and metres, rounded once here; ``approximate`` without a network.

    Raises
    ------
    SnappingError
        If a point is too far from the network, or a pair is not connected.

    Warns
    -----
    ApproximateDistancesWarning
        When ``network`` is ``None``.
    """
    ids = tuple(p.id for p in points)
    if network is None:
        _warn_approximate(circuity, profile)
        lat = np.array([p.point.lat for p in points], dtype=np.float64)
        lon = np.array([p.point.lon for p in points], dtype=np.float64)
        dist_m = haversine_m(lat[:, None], lon[:, None], lat[None, :], lon[None, :]) * circuity
        time_s = dist_m / _fallback_speed_ms(profile)
        return TravelMatrix(
            profile=profile.key,
            point_ids=ids,
            travel_time_s=_as_int_rows(time_s),
            distance_m=_as_int_rows(dist_m),
            approximate=True,
            source=f"straight line x circuity {circuity:g}",
            snap_distance_m=tuple(0.0 for _ in points),
        )

    nodes, snap_m = snap_points(network, points, max_snap_m=max_snap_m)
    unique, inverse = np.unique(nodes, return_inverse=True)
    graph = _profile_graph(network, profile)
    times, lengths = _many_to_many(graph, unique, unique)
    time_s = times[np.ix_(inverse, inverse)]
    dist_m = lengths[np.ix_(inverse, inverse)]
    bad = np.argwhere(~np.isfinite(time_s))
    if bad.size:  # pragma: no cover - snapping to one strong component prevents it
        i, j = bad[0]
        msg = f"no road path from {_label(points[i])} to {_label(points[j])}"
        raise SnappingError(msg)
    return TravelMatrix(
        profile=profile.key,
        point_ids=ids,
        travel_time_s=_as_int_rows(time_s),
        distance_m=_as_int_rows(dist_m),
        approximate=False,
        source=network.source,
        snap_distance_m=tuple(round(float(d), 1) for d in snap_m),
    )


def _as_int_rows(values: NDArray[np.float64]) -> tuple[tuple[int, ...], ...]:
    return tuple(tuple(int(x) for x in row) for row in np.rint(values).astype(np.int64))


def nearest_travel_time_s(
    network: RoadNetwork | None,
    origins: Sequence[NamedPoint],
    facilities: Sequence[Point],
    profile: VehicleProfile,
    *,
    max_snap_m: float,
    circuity: float,
) -> dict[str, int]:
    """Travel time (s) from each origin to its nearest facility (e.g. a service point).

    One multi-source Dijkstra on the reversed graph gives every node's time to its
    nearest facility. Facilities farther than ``max_snap_m`` from the network lie
    outside the area and are skipped.

    Parameters
    ----------
    network
        The road network, or ``None`` for straight-line estimates.
    origins
        Where people are (communes), by id.
    facilities
        Where the service is.
    profile
        How fast one drives.
    max_snap_m
        Largest accepted distance from a point to the network.
    circuity
        Road distance over straight-line distance, for the estimates.

    Returns
    -------
    dict
        Seconds by origin id.

    Raises
    ------
    ValueError
        If ``facilities`` is empty.
    SnappingError
        If an origin is too far from the network or no facility is near it.

    Warns
    -----
    ApproximateDistancesWarning
        When ``network`` is ``None``.
    """
    if not facilities:
        msg = "nearest_travel_time_s needs at least one facility"
        raise ValueError(msg)
    flat = np.array([f.lat for f in facilities], dtype=np.float64)
    flon = np.array([f.lon for f in facilities], dtype=np.float64)
    if network is None:
        _warn_approximate(circuity, profile)
        olat = np.array([o.point.lat for o in origins], dtype=np.float64)
        olon = np.array([o.point.lon for o in origins], dtype=np.float64)
        crow = haversine_m(olat[:, None], olon[:, None], flat[None, :], flon[None, :])
        best = crow.min(axis=1) * circuity / _fallback_speed_ms(profile)
        return {o.id: int(np.rint(t)) for o, t in zip(origins, best, strict=True)}

    origin_nodes, _ = snap_points(network, origins, max_snap_m=max_snap_m)
    fac_nodes, fac_snap = _nearest_nodes(network, flat, flon)
    usable = np.unique(fac_nodes[fac_snap <= max_snap_m])
    if usable.size == 0:
        msg = (
            f"no facility lies within network.max_snap_m = {max_snap_m:g} m of the road "
            f"network ({network.source})"
        )
        raise SnappingError(msg)
    skipped = int((fac_snap > max_snap_m).sum())
    if skipped:
        logger.info("%d facilities outside the road network skipped", skipped)
    reverse = _profile_graph(network, profile).csr.transpose().tocsr()
    to_nearest = dijkstra(reverse, directed=True, indices=usable, min_only=True)
    result = {}
    for origin, node in zip(origins, origin_nodes, strict=True):
        seconds = float(to_nearest[node])
        if not np.isfinite(seconds):  # pragma: no cover - one strong component
            msg = f"no road path from {_label(origin)} to any facility"
            raise SnappingError(msg)
        result[origin.id] = round(seconds)
    return result


def leg_geometry(
    network: RoadNetwork | None,
    profile: VehicleProfile,
    origin: Point,
    destination: Point,
) -> list[tuple[float, float]]:
    """Polyline ``(lat, lon)`` of the fastest road path between two points, for maps.

    The path starts and ends at the snapped nodes and follows each edge's ``geometry``
    where the simplified graph has one. Without a network it is the straight segment.

    Parameters
    ----------
    network
        The road network, or ``None``.
    profile
        How fast the vehicle drives (the fastest path depends on it).
    origin, destination
        The leg's ends.

    Returns
    -------
    list of (lat, lon)
        At least two points.

    Raises
    ------
    SnappingError
        If the destination cannot be reached (never after snapping to one component).
    """
    if network is None:
        return [(origin.lat, origin.lon), (destination.lat, destination.lon)]
    lat = np.array([origin.lat, destination.lat], dtype=np.float64)
    lon = np.array([origin.lon, destination.lon], dtype=np.float64)
    (start, end), _ = _nearest_nodes(network, lat, lon)
    start_point = (float(network.lat[start]), float(network.lon[start]))
    if start == end:
        return [start_point, start_point]
    graph = _profile_graph(network, profile)
    _, pred = dijkstra(graph.csr, directed=True, indices=int(start), return_predecessors=True)
    path = [int(end)]
    while path[-1] != start:
        previous = int(pred[path[-1]])
        if previous < 0:  # pragma: no cover - one strong component
            msg = f"no road path from {start_point} to ({destination.lat}, {destination.lon})"
            raise SnappingError(msg)
        path.append(previous)
    path.reverse()
    u = np.array(path[:-1], dtype=np.int64)
    v = np.array(path[1:], dtype=np.int64)
    edges = graph.edge[graph.lookup(u, v)]
    line = [start_point]
    for a, b, e in zip(u, v, edges, strict=True):
        data = network.graph.edges[
            int(network.node_ids[a]), int(network.node_ids[b]), int(network.edge_key[e])
        ]
        geometry = data.get("geometry")
        end_point = (float(network.lat[b]), float(network.lon[b]))
        if geometry is None:
            line.append(end_point)
            continue
        coords = [(float(y), float(x)) for x, y, *_ in geometry.coords]
        # osmnx stores each direction's geometry from u to v; check rather than trust it
        d_first = haversine_m(coords[0][0], coords[0][1], line[-1][0], line[-1][1])
        d_last = haversine_m(coords[-1][0], coords[-1][1], line[-1][0], line[-1][1])
        if d_last < d_first:
            coords.reverse()
        line.extend(coords[1:-1])
        line.append(end_point)
    return line
