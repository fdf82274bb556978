"""Load, download and cache the drivable road network (OpenStreetMap through osmnx).

Sources, in the order a scenario's ``network`` section names them:

``graphml``
    a GraphML file (``osmnx.load_graphml``), which must be directed.
``osm``
    a local OSM extract: ``.osm``, ``.osm.bz2`` (``osmnx.graph_from_xml``) or ``.osm.pbf``
    (converted to OSM XML with pyosmium first, since osmnx cannot read PBF).
``download``
    the cache for the same request (SHA-1 of the canonical request), else an Overpass
    download with osmnx (``network_type="drive"``), saved to the cache.
``auto``
    the file in ``path`` if any, else the cache, else a download, else ``None``.
``straight_line``
    ``None``: the caller falls back to straight lines (and must warn).

Every parsed file and download is cached as one compact ``.npz`` (node ids and
coordinates, edge arrays, geometries, the other OSM tags as JSON, and the node order of
the contraction hierarchy). The file records its format version, what it was built from
(the source file's SHA-1 and size, or the download's area and buffer) and a SHA-256 of
its content: a damaged, stale or foreign cache is deleted and rebuilt, never trusted.

Edge speeds come from OSM ``maxspeed`` where tagged, else from :data:`FRENCH_RURAL_SPEEDS_KMH`
by highway type (overridable by ``network.highway_speeds_kmh``); they are recomputed on
every load, so a cached graph never carries stale speeds.

osmnx, networkx and scipy are imported by the functions that use them, so that importing
this module stays cheap.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import json
import logging
import os
import socket
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

import numpy as np

from itinerant.errors import RoadNetworkError
from itinerant.geo import _cch

if TYPE_CHECKING:
    import networkx as nx
    from numpy.typing import NDArray
    from scipy.spatial import cKDTree

    from itinerant.scenario import NetworkSettings

__all__ = [
    "FALLBACK_SPEED_KMH",
    "FRENCH_RURAL_SPEEDS_KMH",
    "CachedNetwork",
    "RoadNetwork",
    "cached_networks",
    "download_key",
    "fetch_road_network",
    "load_road_network",
    "pbf_to_osm_xml",
    "road_network_from_graph",
]

logger = logging.getLogger(__name__)

EARTH_RADIUS_M = 6_371_009.0
"""Mean Earth radius (m), the one osmnx uses for great-circle edge lengths."""

FRENCH_RURAL_SPEEDS_KMH: Mapping[str, float] = {
    "motorway": 120.0,
    "motorway_link": 50.0,
    "trunk": 100.0,
    "trunk_link": 50.0,
    "primary": 80.0,
    "primary_link": 50.0,
    "secondary": 70.0,
    "secondary_link": 50.0,
    "tertiary": 60.0,
    "tertiary_link": 50.0,
    "unclassified": 50.0,
    "residential": 35.0,
    "living_street": 15.0,
    "service": 20.0,
    "road": 40.0,
    "track": 20.0,
    "busway": 30.0,
}
"""Typical driving speeds (km/h) by OSM ``highway`` type on rural French roads.

Used where an edge has no ``maxspeed`` tag. They are realistic mean speeds rather than
legal limits: 80 km/h on two-lane primaries (the 2018 limit), village crossings and
bends on minor roads, slow service roads. ``network.highway_speeds_kmh`` overrides them.
"""

FALLBACK_SPEED_KMH = 40.0
"""Speed (km/h) of an untagged edge whose highway type is in no table."""

CACHE_FORMAT = 2
"""Version of the ``.npz`` cache layout; a cache of another version is rebuilt."""

_OSM_XML_SUFFIXES = (".osm", ".osm.bz2", ".xml", ".osm.xml")
_ARRAY_ATTRIBUTES = ("length", "speed_kph", "travel_time", "geometry")
"""Edge attributes kept as arrays; every other one goes to the JSON attribute blob."""
_NOT_TAGGED = -1.0
"""Marker speed of edges without a usable ``maxspeed`` (see :func:`_tagged_speeds`)."""
_SHOWN_EDGES = 3
"""Offending edges named in a validation error."""


@dataclass(frozen=True, eq=False)
class _Arrays:
    """The plain content of a road graph: what the cache stores and the matrices read.

    Node ``i`` has OSM id ``node_ids[i]``; edge ``e`` goes from ``edge_u[e]`` to
    ``edge_v[e]`` (node indices) with multigraph key ``edge_key[e]``, in the graph's edge
    order. ``maxspeed_kph`` is the parsed OSM tag (NaN where untagged) and ``highway``
    the first highway type. Edge ``e``'s geometry (if any) is the ``(lat, lon)`` points
    ``geometry_start[e]:geometry_start[e + 1]``. ``attributes`` is the JSON of every
    other graph, node and edge attribute (to rebuild the osmnx graph on demand).
    """

    node_ids: NDArray[np.int64]
    lat: NDArray[np.float64]
    lon: NDArray[np.float64]
    edge_u: NDArray[np.int64]
    edge_v: NDArray[np.int64]
    edge_key: NDArray[np.int64]
    length_m: NDArray[np.float64]
    maxspeed_kph: NDArray[np.float64]
    highway: NDArray[np.str_]
    geometry_start: NDArray[np.int64]
    geometry_lat: NDArray[np.float64]
    geometry_lon: NDArray[np.float64]
    attributes: bytes


@dataclass(frozen=True, eq=False)
class RoadNetwork:
    """A drivable road graph as the arrays the travel-matrix code needs.

    Nodes are numbered ``0..n-1`` in the order of ``node_ids``; edge arrays hold every
    edge of the multigraph (parallel edges and self-loops included), in the graph's
    edge order. Build one with :func:`road_network_from_graph` or :func:`load_road_network`.

    Attributes
    ----------
    source
        What the graph comes from, for provenance (a file name, not a path).
    node_ids
        OSM node id of each node index.
    lat, lon
        Node coordinates (degrees).
    in_main_component
        Whether each node is in the largest strongly connected component (where points
        are snapped, so that every pair of snapped points is mutually reachable).
    edge_u, edge_v, edge_key
        Node indices of each edge's ends and its multigraph key.
    edge_length_m, edge_speed_kph
        Length and speed of each edge.
    main_nodes, main_tree
        KD-tree over the main-component nodes, in local metric coordinates (see
        :meth:`local_xy`); ``main_nodes[i]`` is the node index of tree point ``i``.
    cch_order
        Node order of the contraction hierarchy (cached with the graph), or ``None``
        to compute it when first needed.
    graph
        The osmnx ``MultiDiGraph`` with ``length`` (m), ``speed_kph`` and ``travel_time``
        (s) on every edge, rebuilt from the arrays when first asked for (road closures).
    """

    source: str
    node_ids: NDArray[np.int64]
    lat: NDArray[np.float64]
    lon: NDArray[np.float64]
    in_main_component: NDArray[np.bool_]
    edge_u: NDArray[np.int64]
    edge_v: NDArray[np.int64]
    edge_key: NDArray[np.int64]
    edge_length_m: NDArray[np.float64]
    edge_speed_kph: NDArray[np.float64]
    main_nodes: NDArray[np.int64]
    main_tree: cKDTree
    origin_lat: float
    cch_order: NDArray[np.int64] | None
    arrays: _Arrays = field(repr=False)
    _graph: list[nx.MultiDiGraph] = field(default_factory=list, repr=False)

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return int(self.node_ids.size)

    @property
    def n_edges(self) -> int:
        """Number of edges (parallel edges counted)."""
        return int(self.edge_u.size)

    @property
    def graph(self) -> nx.MultiDiGraph:
        """The osmnx graph, with this network's speeds and travel times (built once)."""
        if not self._graph:
            self._graph.append(_graph_from_arrays(self.arrays, self.edge_speed_kph))
        return self._graph[0]

    def edge_geometry(self, edge: int) -> NDArray[np.float64] | None:
        """``(lat, lon)`` rows of an edge's geometry from ``u`` to ``v``, or ``None``."""
        start, end = self.arrays.geometry_start[edge : edge + 2]
        if start == end:
            return None
        return np.column_stack(
            [self.arrays.geometry_lat[start:end], self.arrays.geometry_lon[start:end]]
        )

    def local_xy(self, lat: NDArray[np.float64], lon: NDArray[np.float64]) -> NDArray[np.float64]:
        """Project degrees to local metres (equirectangular around the graph's mean latitude).

        Good to a fraction of a percent over a few tens of kilometres, which is enough to
        find the nearest node; snapping distances are then measured with haversine.
        """
        k = np.pi / 180.0 * EARTH_RADIUS_M
        x = np.asarray(lon, dtype=np.float64) * k * np.cos(np.radians(self.origin_lat))
        y = np.asarray(lat, dtype=np.float64) * k
        return np.column_stack([x, y])


@dataclass(frozen=True)
class CachedNetwork:
    """One road graph in the cache folder (for ``itinerant network info``)."""

    path: Path
    size_bytes: int
    kind: Literal["extract", "download", "unknown"]
    source: str
    key: str
    nodes: int | None
    edges: int | None


# -- graph <-> arrays ----------------------------------------------------------------------


def _json_default(value: object) -> object:
    """JSON for attribute values json cannot write (sets, numpy scalars): lists or text."""
    if isinstance(value, set | tuple):
        return list(value)
    if isinstance(value, np.generic):
        return value.item()
    return str(value)


def _tagged_speeds(graph: nx.MultiDiGraph, highway: list[str]) -> NDArray[np.float64]:
    """Return the parsed OSM ``maxspeed`` (km/h) of each edge, NaN where untagged or unreadable.

    osmnx's own parser, through its public API: with every highway type mapped to a
    marker speed, ``add_edge_speeds`` leaves exactly the tagged edges with their value.
    """
    import osmnx as ox  # noqa: PLC0415 - heavy, needed only to parse a graph

    marker = dict.fromkeys(set(highway), _NOT_TAGGED)
    ox.routing.add_edge_speeds(graph, hwy_speeds=marker, fallback=_NOT_TAGGED)
    speeds = np.array([d["speed_kph"] for _, _, d in graph.edges(data=True)], dtype=np.float64)
    speeds[speeds == _NOT_TAGGED] = np.nan
    return speeds


def _arrays_from_graph(graph: nx.MultiDiGraph, source: str) -> _Arrays:
    """Take a graph apart into arrays; check that it is a directed graph with coordinates."""
    if not graph.is_directed():
        msg = (
            f"{source}: the road graph is undirected, so one-way streets would be driven "
            "both ways: give a directed graph (osmnx.save_graphml of a MultiDiGraph)"
        )
        raise RoadNetworkError(msg)
    if graph.number_of_nodes() == 0 or graph.number_of_edges() == 0:
        msg = f"{source}: the road graph is empty (no drivable roads)"
        raise RoadNetworkError(msg)
    node_list = list(graph.nodes)
    index = {node: i for i, node in enumerate(node_list)}
    try:
        lat = np.array([graph.nodes[n]["y"] for n in node_list], dtype=np.float64)
        lon = np.array([graph.nodes[n]["x"] for n in node_list], dtype=np.float64)
        node_ids = np.array(node_list, dtype=np.int64)
    except KeyError as exc:
        msg = f"{source}: a node has no coordinates (x/y)"
        raise RoadNetworkError(msg) from exc
    except (TypeError, ValueError, OverflowError) as exc:
        msg = f"{source}: node ids and coordinates must be numbers ({exc})"
        raise RoadNetworkError(msg) from exc

    u_list, v_list, keys, lengths, highway, edge_attrs = [], [], [], [], [], []
    starts, geo_lat, geo_lon = [0], [], []
    for u, v, k, data in graph.edges(keys=True, data=True):
        if "length" not in data:
            msg = f"{source}: edge {u} -> {v} has no length; is it an osmnx road graph?"
            raise RoadNetworkError(msg)
        u_list.append(index[u])
        v_list.append(index[v])
        keys.append(k)
        lengths.append(data["length"])
        kind = data.get("highway", "")
        highway.append(str(kind[0] if isinstance(kind, list) and kind else kind))
        edge_attrs.append({a: x for a, x in data.items() if a not in _ARRAY_ATTRIBUTES})
        geometry = data.get("geometry")
        if geometry is not None:
            coords = np.asarray(geometry.coords, dtype=np.float64)
            geo_lon.append(coords[:, 0])
            geo_lat.append(coords[:, 1])
            starts.append(starts[-1] + len(coords))
        else:
            starts.append(starts[-1])
    try:
        length_m = np.array(lengths, dtype=np.float64)
        edge_key = np.array(keys, dtype=np.int64)
    except (TypeError, ValueError) as exc:
        msg = f"{source}: edge lengths and keys must be numbers ({exc})"
        raise RoadNetworkError(msg) from exc
    edge_u = np.array(u_list, dtype=np.int64)
    edge_v = np.array(v_list, dtype=np.int64)
    _check_lengths(source, node_ids, edge_u, edge_v, length_m)
    try:
        maxspeed = _tagged_speeds(graph, highway)
    except (KeyError, ValueError, TypeError) as exc:
        msg = f"{source}: cannot read edge speeds ({exc}); is it an osmnx road graph?"
        raise RoadNetworkError(msg) from exc
    attributes = {
        "graph": dict(graph.graph),
        "nodes": [
            {a: x for a, x in graph.nodes[n].items() if a not in ("x", "y")} for n in node_list
        ],
        "edges": edge_attrs,
    }
    return _Arrays(
        node_ids=node_ids,
        lat=lat,
        lon=lon,
        edge_u=edge_u,
        edge_v=edge_v,
        edge_key=edge_key,
        length_m=length_m,
        maxspeed_kph=maxspeed,
        highway=np.array(highway, dtype=np.str_),
        geometry_start=np.array(starts, dtype=np.int64),
        geometry_lat=np.concatenate(geo_lat) if geo_lat else np.zeros(0),
        geometry_lon=np.concatenate(geo_lon) if geo_lon else np.zeros(0),
        attributes=json.dumps(attributes, default=_json_default).encode("utf-8"),
    )


def _check_lengths(
    source: str,
    node_ids: NDArray[np.int64],
    edge_u: NDArray[np.int64],
    edge_v: NDArray[np.int64],
    length_m: NDArray[np.float64],
) -> None:
    """Refuse negative, infinite or missing edge lengths, naming the first offending edges."""
    bad = np.flatnonzero(~(np.isfinite(length_m) & (length_m >= 0)))
    if bad.size == 0:
        return
    shown = ", ".join(
        f"{node_ids[edge_u[e]]} -> {node_ids[edge_v[e]]} (length {length_m[e]:g})"
        for e in bad[:_SHOWN_EDGES]
    )
    more = f" and {bad.size - _SHOWN_EDGES} more" if bad.size > _SHOWN_EDGES else ""
    msg = (
        f"{source}: {bad.size} edge(s) with a negative or missing length (m): {shown}{more}; "
        "road lengths must be metres >= 0"
    )
    raise RoadNetworkError(msg)


def _edge_speeds(arrays: _Arrays, highway_speeds: Mapping[str, float]) -> NDArray[np.float64]:
    """Speed (km/h) of each edge, as ``osmnx.routing.add_edge_speeds`` imputes them.

    The tagged ``maxspeed``, else the table's speed for the highway type, else the mean
    tagged speed of that type, else :data:`FALLBACK_SPEED_KMH`.
    """
    speeds = arrays.maxspeed_kph.copy()
    for kind in np.unique(arrays.highway):
        of_kind = arrays.highway == kind
        untagged = of_kind & np.isnan(speeds)
        if not untagged.any():
            continue
        tagged = arrays.maxspeed_kph[of_kind & ~np.isnan(arrays.maxspeed_kph)]
        default = highway_speeds.get(str(kind))
        if default is None:
            default = float(tagged.mean()) if tagged.size else FALLBACK_SPEED_KMH
        speeds[untagged] = default
    return speeds


def _graph_from_arrays(arrays: _Arrays, speed_kph: NDArray[np.float64]) -> nx.MultiDiGraph:
    """Rebuild the osmnx graph (same node and edge order) from its arrays."""
    import networkx as nx  # noqa: PLC0415 - only road closures and tests need the graph
    from shapely.geometry import LineString  # noqa: PLC0415 - idem

    attributes = json.loads(arrays.attributes)
    graph = nx.MultiDiGraph(**attributes["graph"])
    ids = arrays.node_ids.tolist()
    graph.add_nodes_from(
        (node, {"y": y, "x": x, **extra})
        for node, y, x, extra in zip(
            ids, arrays.lat.tolist(), arrays.lon.tolist(), attributes["nodes"], strict=True
        )
    )
    starts = arrays.geometry_start
    for e, extra in enumerate(attributes["edges"]):
        length = float(arrays.length_m[e])
        speed = float(speed_kph[e])
        data = {**extra, "length": length, "speed_kph": speed, "travel_time": length / speed * 3.6}
        if starts[e + 1] > starts[e]:
            part = slice(starts[e], starts[e + 1])
            data["geometry"] = LineString(
                np.column_stack([arrays.geometry_lon[part], arrays.geometry_lat[part]])
            )
        graph.add_edge(
            ids[arrays.edge_u[e]], ids[arrays.edge_v[e]], key=int(arrays.edge_key[e]), **data
        )
    return graph


def _network_from_arrays(
    arrays: _Arrays,
    *,
    source: str,
    highway_speeds_kmh: Mapping[str, float] | None,
    cch_order: NDArray[np.int64] | None,
    graph: nx.MultiDiGraph | None = None,
) -> RoadNetwork:
    """Compute speeds, the main strongly connected component and the snapping tree."""
    from scipy.sparse import csr_matrix  # noqa: PLC0415 - heavy, imported when used
    from scipy.sparse.csgraph import connected_components  # noqa: PLC0415
    from scipy.spatial import cKDTree  # noqa: PLC0415

    speeds = _edge_speeds(arrays, {**FRENCH_RURAL_SPEEDS_KMH, **(highway_speeds_kmh or {})})
    n = arrays.node_ids.size
    adjacency = csr_matrix(
        (np.ones(arrays.edge_u.size), (arrays.edge_u, arrays.edge_v)), shape=(n, n)
    )
    _, labels = connected_components(adjacency, directed=True, connection="strong")
    in_main = labels == np.bincount(labels).argmax()
    main_nodes = np.flatnonzero(in_main).astype(np.int64)
    origin_lat = float(arrays.lat.mean())
    network = RoadNetwork(
        source=source,
        node_ids=arrays.node_ids,
        lat=arrays.lat,
        lon=arrays.lon,
        in_main_component=in_main,
        edge_u=arrays.edge_u,
        edge_v=arrays.edge_v,
        edge_key=arrays.edge_key,
        edge_length_m=arrays.length_m,
        edge_speed_kph=speeds,
        main_nodes=main_nodes,
        main_tree=cKDTree(np.zeros((1, 2))),
        origin_lat=origin_lat,
        cch_order=cch_order,
        arrays=arrays,
    )
    tree = cKDTree(network.local_xy(arrays.lat[main_nodes], arrays.lon[main_nodes]))
    object.__setattr__(network, "main_tree", tree)  # frozen: set once, before it escapes
    if graph is not None:  # keep the caller's graph, with this network's speeds
        for (_, _, data), speed, length in zip(
            graph.edges(data=True), speeds.tolist(), arrays.length_m.tolist(), strict=True
        ):
            data["speed_kph"] = speed
            data["travel_time"] = length / speed * 3.6
        network._graph.append(graph)
    logger.info(
        "road network %s: %d nodes, %d edges, %d in the main component",
        source,
        n,
        arrays.edge_u.size,
        main_nodes.size,
    )
    return network


def road_network_from_graph(
    graph: nx.MultiDiGraph,
    *,
    source: str,
    highway_speeds_kmh: Mapping[str, float] | None = None,
    cch_order: NDArray[np.int64] | None = None,
) -> RoadNetwork:
    """Add speeds and travel times to an osmnx graph and precompute its arrays.

    Parameters
    ----------
    graph
        An osmnx ``MultiDiGraph`` with ``length`` on every edge and ``x``/``y`` on every
        node; modified in place (``speed_kph`` and ``travel_time`` are set).
    source
        Provenance text, e.g. ``"OSM extract andorra_drive_2025.osm.bz2"``.
    highway_speeds_kmh
        Speeds by highway type that override :data:`FRENCH_RURAL_SPEEDS_KMH`.
    cch_order
        Node order of the contraction hierarchy, e.g. that of the network this graph
        was cut from (same nodes, fewer edges); computed when first needed if ``None``.

    Returns
    -------
    RoadNetwork

    Raises
    ------
    RoadNetworkError
        If the graph is undirected or empty, lacks node coordinates, or has an edge
        without a length or with a negative one (the first offending edges are named).
    """
    return _network_from_arrays(
        _arrays_from_graph(graph, source),
        source=source,
        highway_speeds_kmh=highway_speeds_kmh,
        cch_order=cch_order,
        graph=graph,
    )


def load_road_network(
    settings: NetworkSettings,
    *,
    area: tuple[float, float, float, float] | None,
    cache_dir: Path,
    allow_download: bool = True,
) -> RoadNetwork | None:
    """Load the road network a scenario asks for, or ``None`` for straight lines.

    Parameters
    ----------
    settings
        The scenario's ``network`` section.
    area
        Bounding box ``(west, south, east, north)`` in degrees of everything to reach
        (depot and stops), for a download; ``settings.buffer_m`` is added around it.
    cache_dir
        Folder of cached graphs (created if needed).
    allow_download
        Whether a download may be attempted.

    Returns
    -------
    RoadNetwork or None
        ``None`` when ``source`` is ``straight_line``, or ``auto`` found nothing.

    Raises
    ------
    RoadNetworkError
        If a named file is missing, unreadable or invalid (undirected, negative
        lengths), or ``source: download`` cannot download.
    """
    if settings.source == "straight_line":
        return None
    speeds = settings.highway_speeds_kmh
    if settings.path is not None and settings.source in ("auto", "graphml", "osm"):
        return _load_file(settings.path, cache_dir=cache_dir, highway_speeds=speeds)
    if settings.source in ("graphml", "osm"):  # pragma: no cover - the schema forbids it
        msg = f"network source '{settings.source}' needs a 'path'"
        raise RoadNetworkError(msg)

    # download or auto without a path: the cache, then Overpass
    if area is None:
        if settings.source == "download":
            msg = "network source 'download' needs an area (the depot and stops)"
            raise RoadNetworkError(msg)
        return None
    key = download_key(area, buffer_m=settings.buffer_m)
    cached = _read_cache(
        cache_dir / f"download-{key}.npz", _download_meta(area, settings.buffer_m, key)
    )
    if cached is not None:
        arrays, order, meta = cached
        return _network_from_arrays(
            arrays, source=str(meta["source"]), highway_speeds_kmh=speeds, cch_order=order
        )
    if not allow_download:
        if settings.source == "download":
            msg = (
                "no cached road network for this area and downloading is off: run "
                "'itinerant network fetch' when online, or give a local extract "
                "(network.path: an .osm.pbf, .osm.bz2 or .graphml file)"
            )
            raise RoadNetworkError(msg)
        return None
    try:
        return fetch_road_network(settings, area=area, cache_dir=cache_dir)
    except RoadNetworkError:
        if settings.source == "download":
            raise
        logger.info("no road network (download failed): using straight-line estimates")
        return None


def fetch_road_network(
    settings: NetworkSettings,
    *,
    area: tuple[float, float, float, float],
    cache_dir: Path,
) -> RoadNetwork:
    """Download the drivable network around ``area`` and cache it.

    Parameters
    ----------
    settings
        The scenario's ``network`` section (``buffer_m``, ``highway_speeds_kmh``).
    area
        Bounding box ``(west, south, east, north)`` in degrees.
    cache_dir
        Folder of cached graphs (created if needed).

    Returns
    -------
    RoadNetwork

    Raises
    ------
    RoadNetworkError
        If the download fails (offline, Overpass error) or returns no roads.
    """
    import osmnx as ox  # noqa: PLC0415 - heavy, needed only to download

    bbox = _buffered_bbox(area, settings.buffer_m)
    key = download_key(area, buffer_m=settings.buffer_m)
    west, south, east, north = bbox
    logger.info("downloading the drive network for bbox %s", bbox)
    try:
        _check_online(ox.settings.overpass_url)
        with _osmnx_http_cache(cache_dir / "http"):
            graph = ox.graph_from_bbox(bbox, network_type="drive")
    except Exception as exc:
        msg = (
            f"cannot download the road network for ({west:.4f}, {south:.4f}, {east:.4f}, "
            f"{north:.4f}) ({type(exc).__name__}: {exc}): run 'itinerant network fetch' "
            "when online, or give a local extract (network.path: an .osm.pbf, .osm.bz2 "
            "or .graphml file)"
        )
        raise RoadNetworkError(msg) from exc
    source = f"OSM download {key[:12]} ({south:.3f},{west:.3f})-({north:.3f},{east:.3f})"
    meta = {**_download_meta(area, settings.buffer_m, key), "source": source}
    return _cached_network(
        graph,
        cache_dir / f"download-{key}.npz",
        meta,
        source=source,
        highway_speeds=settings.highway_speeds_kmh,
    )


def cached_networks(cache_dir: Path) -> list[CachedNetwork]:
    """Describe the road graphs in the cache folder, sorted by file name.

    Parameters
    ----------
    cache_dir
        Folder of cached graphs (need not exist).

    Returns
    -------
    list of CachedNetwork
        Node and edge counts come from each cache's metadata (``None`` if unreadable).
    """
    if not cache_dir.is_dir():
        return []
    found = []
    for path in sorted(cache_dir.glob("*.npz")):
        meta = _read_meta(path)
        kind_text = meta.get("kind")
        kind: Literal["extract", "download", "unknown"] = (
            kind_text if kind_text in ("extract", "download") else "unknown"
        )
        nodes, edges = meta.get("nodes"), meta.get("edges")
        found.append(
            CachedNetwork(
                path=path,
                size_bytes=path.stat().st_size,
                kind=kind,
                source=str(meta.get("source", path.name)),
                key=str(meta.get("key", path.stem)),
                nodes=nodes if isinstance(nodes, int) else None,
                edges=edges if isinstance(edges, int) else None,
            )
        )
    return found


def download_key(area: tuple[float, float, float, float], *, buffer_m: float) -> str:
    """SHA-1 of the canonical download request (rounded bbox, buffer, type, osmnx major)."""
    request = {
        "bbox": [round(v, 4) for v in area],
        "buffer_m": round(buffer_m),
        "network_type": "drive",
        "osmnx": _osmnx_major(),
    }
    return hashlib.sha1(json.dumps(request, sort_keys=True).encode()).hexdigest()


def _osmnx_major() -> str:
    return importlib.metadata.version("osmnx").split(".")[0]


def _download_meta(
    area: tuple[float, float, float, float], buffer_m: float, key: str
) -> dict[str, Any]:
    """Return what a download cache must record: its request (area, buffer) and the area fetched."""
    return {
        "kind": "download",
        "key": key,
        "area": [round(v, 4) for v in area],
        "buffer_m": round(buffer_m),
        "bbox": list(_buffered_bbox(area, buffer_m)),
    }


# -- files ---------------------------------------------------------------------------------


def _load_file(path: Path, *, cache_dir: Path, highway_speeds: Mapping[str, float]) -> RoadNetwork:
    """Load a GraphML file or an OSM extract (through the parsed-file cache)."""
    if not path.is_file():
        msg = f"{path}: road network file not found (network.path)"
        raise RoadNetworkError(msg)
    name = path.name.lower()
    graphml = name.endswith(".graphml")
    if not (graphml or name.endswith(".osm.pbf") or name.endswith(_OSM_XML_SUFFIXES)):
        msg = f"{path}: unknown road network format (use .graphml, .osm, .osm.bz2 or .osm.pbf)"
        raise RoadNetworkError(msg)

    source = f"GraphML {path.name}" if graphml else f"OSM extract {path.name}"
    key = _file_key(path)
    cache = cache_dir / f"extract-{key}.npz"
    expected = {"kind": "extract", "key": key}
    cached = _read_cache(cache, expected)
    if cached is not None:
        arrays, order, _ = cached
        return _network_from_arrays(
            arrays, source=source, highway_speeds_kmh=highway_speeds, cch_order=order
        )
    graph = _read_graphml(path) if graphml else _parse_extract(path)
    meta = {**expected, "source": source, "file": path.name, "size": path.stat().st_size}
    return _cached_network(graph, cache, meta, source=source, highway_speeds=highway_speeds)


def _cached_network(
    graph: nx.MultiDiGraph,
    cache: Path,
    meta: Mapping[str, Any],
    *,
    source: str,
    highway_speeds: Mapping[str, float] | None,
) -> RoadNetwork:
    """Check a parsed graph, cache it with its hierarchy order, and build the network."""
    arrays = _arrays_from_graph(graph, source)
    order = _cch.node_order(arrays.edge_u, arrays.edge_v, arrays.lat, arrays.lon)
    _write_cache(cache, arrays, order, meta)
    return _network_from_arrays(
        arrays, source=source, highway_speeds_kmh=highway_speeds, cch_order=order, graph=graph
    )


def _read_graphml(path: Path) -> nx.MultiDiGraph:
    import osmnx as ox  # noqa: PLC0415 - heavy, needed only to parse a file

    try:
        return ox.load_graphml(path)
    except Exception as exc:
        msg = f"{path}: not a readable GraphML road graph ({type(exc).__name__}: {exc})"
        raise RoadNetworkError(msg) from exc


def _parse_extract(path: Path) -> nx.MultiDiGraph:
    """Parse an OSM extract into a simplified osmnx graph (PBF through pyosmium)."""
    import osmnx as ox  # noqa: PLC0415 - heavy, needed only to parse a file

    logger.info("parsing OSM extract %s", path.name)
    try:
        if path.name.lower().endswith(".pbf"):
            with tempfile.TemporaryDirectory(prefix="itinerant-pbf-") as tmp:
                xml = Path(tmp) / "extract.osm"
                pbf_to_osm_xml(path, xml)
                return ox.graph_from_xml(xml)
        return ox.graph_from_xml(path)
    except RoadNetworkError:
        raise
    except Exception as exc:
        msg = f"{path}: not a readable OSM extract ({type(exc).__name__}: {exc})"
        raise RoadNetworkError(msg) from exc


def pbf_to_osm_xml(pbf: Path, xml: Path) -> None:
    """Convert an OSM PBF file to OSM XML with pyosmium (osmnx reads XML only).

    Raises
    ------
    RoadNetworkError
        If pyosmium cannot read the file.
    """
    import osmium  # noqa: PLC0415 - only needed for PBF extracts

    try:
        with osmium.SimpleWriter(str(xml), overwrite=True) as writer:
            for obj in osmium.FileProcessor(str(pbf)):
                writer.add(obj)
    except (RuntimeError, OSError) as exc:
        msg = f"{pbf}: not a readable OSM PBF file ({exc})"
        raise RoadNetworkError(msg) from exc


def _file_key(path: Path) -> str:
    """SHA-1 of a file's content, its size, and the osmnx major version."""
    digest = hashlib.sha1()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    size = path.stat().st_size
    return f"{digest.hexdigest()}-{size}-ox{_osmnx_major()}"


# -- cache ---------------------------------------------------------------------------------


def _cache_arrays(arrays: _Arrays, order: NDArray[np.int64] | None) -> dict[str, NDArray[Any]]:
    """Return the arrays a cache file holds (besides ``meta``), by name."""
    content: dict[str, NDArray[Any]] = {
        name: getattr(arrays, name) for name in arrays.__dataclass_fields__ if name != "attributes"
    }
    content["attributes"] = np.frombuffer(arrays.attributes, dtype=np.uint8)
    content["cch_order"] = order if order is not None else np.zeros(0, dtype=np.int64)
    return content


def _digest(content: Mapping[str, NDArray[Any]], meta: Mapping[str, Any]) -> str:
    """SHA-256 of the metadata and of every array's name, type, shape and bytes."""
    digest = hashlib.sha256(json.dumps(meta, sort_keys=True).encode())
    for name in sorted(content):
        array = np.ascontiguousarray(content[name])
        digest.update(f"{name}:{array.dtype.str}:{array.shape}".encode())
        digest.update(array.tobytes())
    return digest.hexdigest()


def _write_cache(
    path: Path,
    arrays: _Arrays,
    order: NDArray[np.int64] | None,
    meta: Mapping[str, Any],
) -> None:
    """Save a graph's arrays and metadata atomically (temp file in the folder, then replace)."""
    content = _cache_arrays(arrays, order)
    full_meta = {
        **meta,
        "format": CACHE_FORMAT,
        "nodes": int(arrays.node_ids.size),
        "edges": int(arrays.edge_u.size),
        "osmnx": importlib.metadata.version("osmnx"),
    }
    full_meta["sha256"] = _digest(content, full_meta)
    content["meta"] = np.frombuffer(json.dumps(full_meta, sort_keys=True).encode(), np.uint8)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with _temp_path(path.parent, suffix=".npz") as tmp:
            with tmp.open("wb") as f:
                np.savez_compressed(f, allow_pickle=False, **content)
            tmp.replace(path)  # atomic on POSIX and Windows
    except OSError as exc:  # a read-only cache slows later runs down but breaks nothing
        logger.warning("cannot cache the road graph in %s: %s", path.parent, exc)


def _read_meta(path: Path) -> dict[str, Any]:
    """Read a cache file's metadata only (``{}`` if unreadable)."""
    try:
        with path.open("rb") as f, np.load(f, allow_pickle=False) as data:
            meta = json.loads(data["meta"].tobytes())
    except Exception:  # noqa: BLE001 - any read error: no metadata
        return {}
    return meta if isinstance(meta, dict) else {}


def _read_cache(
    path: Path, expected: Mapping[str, Any]
) -> tuple[_Arrays, NDArray[np.int64] | None, dict[str, Any]] | None:
    """Load a cache file; delete it and return ``None`` if it is damaged, stale or foreign.

    ``expected`` holds the metadata values the file must have (kind, key, area...).
    """
    if not path.exists():
        return None
    try:
        with path.open("rb") as f, np.load(f, allow_pickle=False) as data:
            content = {name: data[name] for name in data.files}
        meta = json.loads(content.pop("meta").tobytes())
        problem = _cache_problem(meta, content, expected)
        order = content.pop("cch_order")
        attributes = content.pop("attributes").tobytes()
        arrays = _Arrays(**content, attributes=attributes)
    except Exception as exc:  # noqa: BLE001 - any read error means a damaged file
        problem = f"is unreadable ({type(exc).__name__}: {exc})"
    if problem:
        logger.warning("cached road graph %s %s: deleting it", path.name, problem)
        path.unlink(missing_ok=True)
        return None
    logger.info("road graph from cache %s", path.name)
    return arrays, (order if order.size else None), meta


def _cache_problem(
    meta: object, content: Mapping[str, NDArray[Any]], expected: Mapping[str, Any]
) -> str:
    """Say what is wrong with a cache file's content, or return ``""``."""
    if not isinstance(meta, dict):
        return "has no metadata"
    if meta.get("format") != CACHE_FORMAT:
        return f"has format {meta.get('format')!r}, not {CACHE_FORMAT}"
    checked = {name: value for name, value in meta.items() if name != "sha256"}
    if meta.get("sha256") != _digest(content, checked):
        return "does not match its checksum (damaged)"
    for name, value in expected.items():
        if meta.get(name) != value:
            return f"was built for {name} {meta.get(name)!r}, not {value!r}"
    if "bbox" in meta:  # a download: its nodes must lie in the area it says it covers
        west, south, east, north = meta["bbox"]
        lat, lon, eps = content["lat"], content["lon"], 1e-5
        if lat.min() < south - eps or lat.max() > north + eps:
            return f"has nodes outside its area {meta['bbox']}"
        if lon.min() < west - eps or lon.max() > east + eps:
            return f"has nodes outside its area {meta['bbox']}"
    return ""


@contextlib.contextmanager
def _temp_path(folder: Path, *, suffix: str) -> Iterator[Path]:
    """Yield a fresh temp path in ``folder``; remove it afterwards if still there."""
    fd, name = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=suffix)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
    finally:
        tmp.unlink(missing_ok=True)


def _check_online(url: str) -> None:
    """Fail fast when the Overpass host does not resolve (offline).

    Without this, osmnx waits about a minute (its rate-limit probe falls back to a
    default pause) before the download itself fails.
    """
    host = urlsplit(url).hostname or url
    socket.getaddrinfo(host, 443)  # raises OSError (socket.gaierror) when offline


@contextlib.contextmanager
def _osmnx_http_cache(folder: Path) -> Iterator[None]:
    """Point osmnx's global HTTP cache at our cache folder for the duration of a call."""
    import osmnx as ox  # noqa: PLC0415 - heavy, needed only to download

    previous = ox.settings.cache_folder
    ox.settings.cache_folder = folder
    try:
        yield
    finally:
        ox.settings.cache_folder = previous


def _buffered_bbox(
    area: tuple[float, float, float, float], buffer_m: float
) -> tuple[float, float, float, float]:
    """Grow a ``(west, south, east, north)`` bbox by ``buffer_m`` metres on every side."""
    west, south, east, north = area
    dlat = np.degrees(buffer_m / EARTH_RADIUS_M)
    mid = np.radians((south + north) / 2)
    dlon = dlat / max(float(np.cos(mid)), 1e-6)
    return (
        float(west - dlon),
        float(max(south - dlat, -90.0)),
        float(east + dlon),
        float(min(north + dlat, 90.0)),
    )
