"""Snap points to the road network and compute many-to-many travel times and distances.

Times are computed for every pair of points; distances (fastest-path lengths) only for
the pairs asked, when asked (the legs a plan drives), and kept. Two engines answer the
same questions: contraction hierarchies (routingkit-cch, the default: milliseconds per
time matrix once customized, then one query per path length or leg geometry) and scipy
csgraph Dijkstra (the reference, and the fallback without routingkit-cch).
"""

from __future__ import annotations

import logging
import warnings
import weakref
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, Protocol

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from itinerant.errors import ApproximateDistancesWarning, RoadNetworkError, SnappingError
from itinerant.geo import _cch
from itinerant.geo.network import EARTH_RADIUS_M, RoadNetwork
from itinerant.scenario import Point, VehicleProfile

if TYPE_CHECKING:
    from numpy.typing import ArrayLike, NDArray
    from scipy.sparse import csr_matrix

__all__ = [
    "Engine",
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
    """Square travel-time matrix between named points, for one profile, and its distances.

    ``travel_time_s[i][j]`` goes from ``point_ids[i]`` to ``point_ids[j]`` (integer
    seconds, rounded once here). Distances come from :meth:`distances_m`: from
    ``distance_m`` where every pair is known up front (straight lines), else computed on
    the road network for the pairs asked, by the engine of the times, and kept.
    ``approximate`` is true when the numbers come from straight lines times a circuity
    factor instead of the road network.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    profile: str = Field(description="VehicleProfile.key")
    point_ids: tuple[str, ...]
    travel_time_s: tuple[tuple[int, ...], ...]
    distance_m: tuple[tuple[int, ...], ...] | None = Field(
        default=None,
        description="every pair's metres where known up front; None: computed on demand",
    )
    approximate: bool
    source: str = Field(description="what the numbers come from, for provenance")
    snap_distance_m: tuple[float, ...] = Field(
        description="distance from each point to its network node (0 when approximate)"
    )
    _road: _RoadLengths | None = PrivateAttr(default=None)

    def index(self, point_id: str) -> int:
        """Row/column of a point id."""
        return self.point_ids.index(point_id)

    def distances_m(self, pairs: Iterable[tuple[int, int]]) -> tuple[int, ...]:
        """Metres of the fastest path of each ``(row, column)`` pair (whole metres).

        Raises
        ------
        ValueError
            If the matrix has neither ``distance_m`` nor a road network to compute them.
        """
        pairs = list(pairs)
        if self.distance_m is not None:
            return tuple(self.distance_m[i][j] for i, j in pairs)
        if self._road is None:
            msg = "this travel matrix has no distances: give distance_m or build it on roads"
            raise ValueError(msg)
        return self._road.lengths_m(pairs)


@dataclass(frozen=True, eq=False)
class _RoadLengths:
    """Fastest-path lengths between a matrix's points, computed when first asked, kept."""

    router: _Router
    nodes: NDArray[np.int64]
    """Network node of each point."""
    known: dict[tuple[int, int], int] = field(default_factory=dict)

    def lengths_m(self, pairs: list[tuple[int, int]]) -> tuple[int, ...]:
        """Whole metres of each ``(row, column)`` pair; one batch for the pairs not known."""
        missing = sorted(set(pairs).difference(self.known))
        if missing:
            ends = self.nodes[np.array(missing, dtype=np.int64)]
            moving = ends[:, 0] != ends[:, 1]  # points on one node are 0 m apart
            lengths = np.zeros(len(missing), dtype=np.float64)
            if moving.any():
                lengths[moving] = self.router.path_lengths(ends[moving])
            metres = np.rint(lengths).astype(np.int64).tolist()
            self.known.update(zip(missing, metres, strict=True))
        return tuple(self.known[pair] for pair in pairs)


# -- engines ------------------------------------------------------------------------------

Engine = Literal["cch", "dijkstra"]
"""``cch``: contraction hierarchies (routingkit-cch); ``dijkstra``: scipy csgraph."""

_MAX_BLOCK_CELLS = 4_000_000
"""Sources x nodes per Dijkstra block: bounds memory (about 30 bytes a cell) on big graphs."""

_MIN_EDGE_TIME_S = 1e-3
"""Floor on edge times, so that no edge weighs zero (csgraph would drop it)."""


def _edge_times_s(network: RoadNetwork, profile: VehicleProfile) -> NDArray[np.float64]:
    """Time (s) of every edge at ``min(speed x profile.speed_factor, profile.max_speed_kmh)``."""
    speed_kmh = np.minimum(network.edge_speed_kph * profile.speed_factor, profile.max_speed_kmh)
    return np.maximum(network.edge_length_m / (speed_kmh / 3.6), _MIN_EDGE_TIME_S)


class _Router(Protocol):
    """Fastest paths on a network for one profile."""

    def times(self, nodes: NDArray[np.int64]) -> NDArray[np.float64]:
        """Fastest times (s) between every pair of ``nodes``."""

    def path_lengths(self, pairs: NDArray[np.int64]) -> NDArray[np.float64]:
        """Length (m) of the fastest path of each ``(source, target)`` row of ``pairs``."""

    def path_edges(self, start: int, end: int) -> NDArray[np.int64]:
        """Network edges of the fastest path from ``start`` to ``end`` (empty if none)."""


@dataclass(frozen=True, eq=False)
class _DijkstraRouter:
    """scipy csgraph Dijkstra on the graph weighted for one profile, parallel edges collapsed.

    ``pair_key[i] = u * n + v`` (sorted) for the fastest edge ``u -> v``, whose length and
    index in the network's edge arrays are ``length_m[i]`` and ``edge[i]``.
    """

    n: int
    csr: csr_matrix
    pair_key: NDArray[np.int64]
    length_m: NDArray[np.float64]
    edge: NDArray[np.int64]

    @classmethod
    def build(cls, network: RoadNetwork, profile: VehicleProfile) -> _DijkstraRouter:
        """Weight the network for a profile."""
        from scipy.sparse import csr_matrix  # noqa: PLC0415 - heavy, imported when used

        n = network.n_nodes
        time_s = _edge_times_s(network, profile)
        keep = np.flatnonzero(network.edge_u != network.edge_v)  # self-loops never help
        u, v, t = network.edge_u[keep], network.edge_v[keep], time_s[keep]
        order = np.lexsort((t, v, u))  # by pair, fastest first
        pair = u[order] * n + v[order]
        first = np.ones(pair.size, dtype=bool)
        first[1:] = pair[1:] != pair[:-1]
        chosen = keep[order[first]]
        return cls(
            n=n,
            csr=csr_matrix(
                (time_s[chosen], (network.edge_u[chosen], network.edge_v[chosen])), shape=(n, n)
            ),
            pair_key=pair[first],
            length_m=network.edge_length_m[chosen],
            edge=chosen,
        )

    def lookup(self, u: NDArray[np.int64], v: NDArray[np.int64]) -> NDArray[np.int64]:
        """Positions of the (existing) pairs ``u -> v`` in the pair arrays."""
        return np.searchsorted(self.pair_key, u * self.n + v).astype(np.int64)

    def tree_lengths(
        self, pred: NDArray[np.int32], rows: NDArray[np.int64], targets: NDArray[np.int64]
    ) -> NDArray[np.float64]:
        """Length (m) from the root of tree ``rows[k]`` to node ``targets[k]``, for each k.

        ``pred`` is csgraph's predecessor array (one row per source, ``-9999`` at roots
        and unreachable nodes). Every cell walks up its tree one edge a round, vectorised,
        until it reaches its root; nodes off those paths are never read.
        """
        out = np.zeros(rows.size, dtype=np.float64)
        cell = np.arange(out.size)
        row, node = rows, targets
        while cell.size:
            parent = pred[row, node].astype(np.int64)
            keep = parent >= 0
            cell, row, node, parent = cell[keep], row[keep], node[keep], parent[keep]
            out[cell] += self.length_m[self.lookup(parent, node)]
            node = parent
        return out

    def _blocks(self, sources: NDArray[np.int64]) -> Iterator[NDArray[np.int64]]:
        """Split ``sources`` into blocks whose trees fit the memory bound."""
        block = max(1, _MAX_BLOCK_CELLS // max(self.n, 1))
        for start in range(0, sources.size, block):
            yield sources[start : start + block]

    def times(self, nodes: NDArray[np.int64]) -> NDArray[np.float64]:
        """Fastest times (s) between every pair of ``nodes``: one tree per node."""
        from scipy.sparse.csgraph import dijkstra  # noqa: PLC0415 - heavy, imported when used

        rows = [
            dijkstra(self.csr, directed=True, indices=chunk)[:, nodes]
            for chunk in self._blocks(nodes)
        ]
        return np.concatenate(rows) if rows else np.zeros((0, 0), dtype=np.float64)

    def path_lengths(self, pairs: NDArray[np.int64]) -> NDArray[np.float64]:
        """Length (m) of the fastest path of each ``(source, target)`` row: a tree per source."""
        from scipy.sparse.csgraph import dijkstra  # noqa: PLC0415 - heavy, imported when used

        sources, tree = np.unique(pairs[:, 0], return_inverse=True)
        out = np.zeros(len(pairs), dtype=np.float64)
        first = 0
        for chunk in self._blocks(sources):
            _, pred = dijkstra(self.csr, directed=True, indices=chunk, return_predecessors=True)
            cells = np.flatnonzero((tree >= first) & (tree < first + chunk.size))
            out[cells] = self.tree_lengths(pred, tree[cells] - first, pairs[cells, 1])
            first += chunk.size
        return out

    def path_edges(self, start: int, end: int) -> NDArray[np.int64]:
        """Network edges of the fastest path from ``start`` to ``end`` (empty if none)."""
        from scipy.sparse.csgraph import dijkstra  # noqa: PLC0415 - heavy, imported when used

        _, pred = dijkstra(self.csr, directed=True, indices=start, return_predecessors=True)
        path = [end]
        while path[-1] != start:
            previous = int(pred[path[-1]])
            if previous < 0:
                return np.zeros(0, dtype=np.int64)
            path.append(previous)
        path.reverse()
        nodes = np.array(path, dtype=np.int64)
        return self.edge[self.lookup(nodes[:-1], nodes[1:])]


@dataclass(frozen=True, eq=False)
class _CchRouter:
    """Contraction hierarchies customized for one profile (see :mod:`itinerant.geo._cch`)."""

    metric: _cch.CchMetric
    length_m: NDArray[np.float64]

    def times(self, nodes: NDArray[np.int64]) -> NDArray[np.float64]:
        """Fastest times (s) between every pair of ``nodes``: one many-to-many sweep."""
        return self.metric.times_s(nodes, nodes)

    def path_lengths(self, pairs: NDArray[np.int64]) -> NDArray[np.float64]:
        """Length (m) of the fastest path of each ``(source, target)`` row: one unpacked path each."""
        return self.metric.path_lengths(pairs, self.length_m)

    def path_edges(self, start: int, end: int) -> NDArray[np.int64]:
        """Network edges of the fastest path from ``start`` to ``end`` (empty if none)."""
        return self.metric.path_edges(start, end)


_ROUTERS: weakref.WeakKeyDictionary[RoadNetwork, dict[tuple[str, str], _Router]] = (
    weakref.WeakKeyDictionary()
)
_HIERARCHIES: weakref.WeakKeyDictionary[RoadNetwork, object] = weakref.WeakKeyDictionary()


def _router(network: RoadNetwork, profile: VehicleProfile, engine: Engine | None) -> _Router:
    """Return the network's router for a profile (cached per network, engine, profile).

    ``None`` picks contraction hierarchies where routingkit-cch can be imported, else
    Dijkstra. The hierarchy is built once per network (from its cached node order) and
    customized once per profile.
    """
    if engine is None:
        engine = "cch" if _cch.available() else "dijkstra"
    elif engine == "cch" and not _cch.available():
        msg = "engine 'cch' needs routingkit-cch (pip install routingkit-cch)"
        raise RoadNetworkError(msg)
    per_network = _ROUTERS.setdefault(network, {})
    key = (engine, f"{profile.max_speed_kmh!r}x{profile.speed_factor!r}")
    if key in per_network:
        return per_network[key]
    router: _Router
    if engine == "dijkstra":
        router = _DijkstraRouter.build(network, profile)
    else:
        hierarchy = _HIERARCHIES.get(network)
        if hierarchy is None:
            order = network.cch_order
            if order is None:  # not from a cache (road closures): order it now
                order = _cch.node_order(network.edge_u, network.edge_v, network.lat, network.lon)
            assert order is not None  # routingkit-cch is available
            hierarchy = _cch.build_hierarchy(order, network.edge_u, network.edge_v)
            _HIERARCHIES[network] = hierarchy
        times = _edge_times_s(network, profile)
        metric = _cch.customize(hierarchy, network.edge_u, network.edge_v, times)
        router = _CchRouter(metric=metric, length_m=network.edge_length_m)
    per_network[key] = router
    return router


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
    engine: Engine | None = None,
) -> TravelMatrix:
    """Compute many-to-many travel times between points for one profile, distances on demand.

    Edge speed is ``min(speed_kph * profile.speed_factor, profile.max_speed_kmh)``; the
    distance of a pair is the length of its fastest path, computed by the same engine
    when :meth:`TravelMatrix.distances_m` asks for it (straight-line distances are all
    computed here). Points that snap to the same node are 0 s and 0 m apart (the walk to
    the node is not counted, as for every point).

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
    engine
        ``"cch"`` or ``"dijkstra"`` (same times within rounding). By default contraction
        hierarchies where routingkit-cch can be imported, else Dijkstra.

    Returns
    -------
    TravelMatrix
        Integer seconds and metres, rounded once; ``approximate`` without a network.

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
    router = _router(network, profile, engine)
    time_s = router.times(unique.astype(np.int64))[np.ix_(inverse, inverse)]
    bad = np.argwhere(~np.isfinite(time_s))
    if bad.size:  # pragma: no cover - snapping to one strong component prevents it
        i, j = bad[0]
        msg = f"no road path from {_label(points[i])} to {_label(points[j])}"
        raise SnappingError(msg)
    matrix = TravelMatrix(
        profile=profile.key,
        point_ids=ids,
        travel_time_s=_as_int_rows(time_s),
        approximate=False,
        source=network.source,
        snap_distance_m=tuple(round(float(d), 1) for d in snap_m),
    )
    matrix._road = _RoadLengths(router=router, nodes=nodes.astype(np.int64))
    return matrix


def _as_int_rows(values: NDArray[np.float64]) -> tuple[tuple[int, ...], ...]:
    return tuple(map(tuple, np.rint(values).astype(np.int64).tolist()))


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
    from scipy.sparse.csgraph import dijkstra  # noqa: PLC0415 - heavy, imported when used

    router = _router(network, profile, "dijkstra")
    assert isinstance(router, _DijkstraRouter)
    reverse = router.csr.transpose().tocsr()
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
    edges = _router(network, profile, None).path_edges(int(start), int(end))
    if edges.size == 0:  # pragma: no cover - one strong component
        msg = f"no road path from {start_point} to ({destination.lat}, {destination.lon})"
        raise SnappingError(msg)
    line = [start_point]
    for e in edges.tolist():
        b = network.edge_v[e]
        geometry = network.edge_geometry(e)
        end_point = (float(network.lat[b]), float(network.lon[b]))
        if geometry is None:
            line.append(end_point)
            continue
        coords = [(float(y), float(x)) for y, x in geometry]
        # osmnx stores each direction's geometry from u to v; check rather than trust it
        d_first = haversine_m(coords[0][0], coords[0][1], line[-1][0], line[-1][1])
        d_last = haversine_m(coords[-1][0], coords[-1][1], line[-1][0], line[-1][1])
        if d_last < d_first:
            coords.reverse()
        line.extend(coords[1:-1])
        line.append(end_point)
    return line
