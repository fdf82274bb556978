"""Load, download and cache the drivable road network (OpenStreetMap through osmnx).

Sources, in the order a scenario's ``network`` section names them:

``graphml``
    a GraphML file (``osmnx.load_graphml``).
``osm``
    a local OSM extract: ``.osm``, ``.osm.bz2`` (``osmnx.graph_from_xml``) or ``.osm.pbf``
    (converted to OSM XML with pyosmium first, since osmnx cannot read PBF). The parsed
    graph is cached as GraphML, keyed by the file's SHA-1 and size.
``download``
    a GraphML cached for the same request (SHA-1 of the canonical request), else an
    Overpass download with osmnx (``network_type="drive"``), saved to the cache.
``auto``
    the file in ``path`` if any, else the cache, else a download, else ``None``.
``straight_line``
    ``None``: the caller falls back to straight lines (and must warn).

Edge speeds come from OSM ``maxspeed`` where tagged, else from :data:`FRENCH_RURAL_SPEEDS_KMH`
by highway type (overridable by ``network.highway_speeds_kmh``); they are recomputed on
every load, so a cached graph never carries stale speeds.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import socket
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

import networkx as nx
import numpy as np
import osmnx as ox
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from itinerant.errors import RoadNetworkError

if TYPE_CHECKING:
    from numpy.typing import NDArray

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

_CACHE_SCHEMA = 1
_OSM_XML_SUFFIXES = (".osm", ".osm.bz2", ".xml", ".osm.xml")


@dataclass(frozen=True, eq=False)
class RoadNetwork:
    """A drivable road graph with the arrays the travel-matrix code needs.

    Nodes are numbered ``0..n-1`` in the order of ``node_ids``; edge arrays hold every
    edge of the multigraph (parallel edges and self-loops included), in the graph's
    edge order. Build one with :func:`road_network_from_graph` or :func:`load_road_network`.

    Attributes
    ----------
    graph
        The osmnx ``MultiDiGraph`` with ``length`` (m), ``speed_kph`` and ``travel_time``
        (s) on every edge.
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
    main_tree
        KD-tree over the main-component nodes, in local metric coordinates (see
        :meth:`local_xy`); ``main_nodes[i]`` is the node index of tree point ``i``.
    """

    graph: nx.MultiDiGraph
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

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return int(self.node_ids.size)

    @property
    def n_edges(self) -> int:
        """Number of edges (parallel edges counted)."""
        return int(self.edge_u.size)

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


def road_network_from_graph(
    graph: nx.MultiDiGraph,
    *,
    source: str,
    highway_speeds_kmh: Mapping[str, float] | None = None,
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

    Returns
    -------
    RoadNetwork

    Raises
    ------
    RoadNetworkError
        If the graph is empty or lacks edge lengths or node coordinates.
    """
    if graph.number_of_nodes() == 0 or graph.number_of_edges() == 0:
        msg = f"{source}: the road graph is empty (no drivable roads)"
        raise RoadNetworkError(msg)
    speeds = {**FRENCH_RURAL_SPEEDS_KMH, **(highway_speeds_kmh or {})}
    try:
        ox.routing.add_edge_speeds(graph, hwy_speeds=speeds, fallback=FALLBACK_SPEED_KMH)
        ox.routing.add_edge_travel_times(graph)
    except (KeyError, ValueError) as exc:
        msg = f"{source}: cannot compute edge speeds ({exc}); is it an osmnx road graph?"
        raise RoadNetworkError(msg) from exc

    node_list = list(graph.nodes)
    index = {node: i for i, node in enumerate(node_list)}
    try:
        lat = np.array([graph.nodes[n]["y"] for n in node_list], dtype=np.float64)
        lon = np.array([graph.nodes[n]["x"] for n in node_list], dtype=np.float64)
    except KeyError as exc:
        msg = f"{source}: a node has no coordinates (x/y)"
        raise RoadNetworkError(msg) from exc
    rows = [
        (index[u], index[v], k, float(d["length"]), float(d["speed_kph"]))
        for u, v, k, d in graph.edges(keys=True, data=True)
    ]
    edge_u = np.array([r[0] for r in rows], dtype=np.int64)
    edge_v = np.array([r[1] for r in rows], dtype=np.int64)
    edge_key = np.array([r[2] for r in rows], dtype=np.int64)
    length = np.array([r[3] for r in rows], dtype=np.float64)
    speed = np.array([r[4] for r in rows], dtype=np.float64)

    n = len(node_list)
    adjacency = csr_matrix((np.ones(edge_u.size), (edge_u, edge_v)), shape=(n, n))
    _, labels = connected_components(adjacency, directed=True, connection="strong")
    main_label = np.bincount(labels).argmax()
    in_main = labels == main_label
    main_nodes = np.flatnonzero(in_main).astype(np.int64)

    origin_lat = float(lat.mean())
    network = RoadNetwork(
        graph=graph,
        source=source,
        node_ids=np.array(node_list, dtype=np.int64),
        lat=lat,
        lon=lon,
        in_main_component=in_main,
        edge_u=edge_u,
        edge_v=edge_v,
        edge_key=edge_key,
        edge_length_m=length,
        edge_speed_kph=speed,
        main_nodes=main_nodes,
        main_tree=cKDTree(np.zeros((1, 2))),
        origin_lat=origin_lat,
    )
    tree = cKDTree(network.local_xy(lat[main_nodes], lon[main_nodes]))
    object.__setattr__(network, "main_tree", tree)  # frozen: set once, before it escapes
    logger.info(
        "road network %s: %d nodes, %d edges, %d in the main component",
        source,
        n,
        edge_u.size,
        main_nodes.size,
    )
    return network


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
        If a named file is missing or unreadable, or ``source: download`` cannot download.
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
    cached = _read_cache(cache_dir / f"download-{key}.graphml")
    if cached is not None:
        return road_network_from_graph(
            cached, source=_cached_source(cache_dir, key), highway_speeds_kmh=speeds
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
    """Download the drivable network around ``area`` and cache it as GraphML.

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
    _write_cache(
        cache_dir,
        f"download-{key}.graphml",
        graph,
        {"kind": "download", "source": source, "key": key, "bbox": list(bbox)},
    )
    return road_network_from_graph(
        graph, source=source, highway_speeds_kmh=settings.highway_speeds_kmh
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
        Node and edge counts come from each graph's side file (``None`` without one).
    """
    if not cache_dir.is_dir():
        return []
    found = []
    for path in sorted(cache_dir.glob("*.graphml")):
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
        "osmnx": ox.__version__.split(".")[0],
    }
    return hashlib.sha1(json.dumps(request, sort_keys=True).encode()).hexdigest()


# -- files ---------------------------------------------------------------------------------


def _load_file(path: Path, *, cache_dir: Path, highway_speeds: Mapping[str, float]) -> RoadNetwork:
    """Load a GraphML file or an OSM extract (through the parsed-extract cache)."""
    if not path.is_file():
        msg = f"{path}: road network file not found (network.path)"
        raise RoadNetworkError(msg)
    name = path.name.lower()
    if name.endswith(".graphml"):
        try:
            graph = ox.load_graphml(path)
        except Exception as exc:
            msg = f"{path}: not a readable GraphML road graph ({type(exc).__name__}: {exc})"
            raise RoadNetworkError(msg) from exc
        return road_network_from_graph(
            graph, source=f"GraphML {path.name}", highway_speeds_kmh=highway_speeds
        )
    if not (name.endswith(".osm.pbf") or name.endswith(_OSM_XML_SUFFIXES)):
        msg = f"{path}: unknown road network format (use .graphml, .osm, .osm.bz2 or .osm.pbf)"
        raise RoadNetworkError(msg)

    source = f"OSM extract {path.name}"
    key = _file_key(path)
    cache_name = f"extract-{key}.graphml"
    graph = _read_cache(cache_dir / cache_name)
    if graph is None:
        graph = _parse_extract(path)
        meta = {"kind": "extract", "source": source, "key": key}
        _write_cache(cache_dir, cache_name, graph, meta)
    return road_network_from_graph(graph, source=source, highway_speeds_kmh=highway_speeds)


def _parse_extract(path: Path) -> nx.MultiDiGraph:
    """Parse an OSM extract into a simplified osmnx graph (PBF through pyosmium)."""
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
    return f"{digest.hexdigest()}-{size}-ox{ox.__version__.split('.')[0]}"


# -- cache ---------------------------------------------------------------------------------


def _meta_path(graphml: Path) -> Path:
    return graphml.with_suffix(".json")


def _read_meta(graphml: Path) -> dict[str, Any]:
    try:
        meta = json.loads(_meta_path(graphml).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return meta if isinstance(meta, dict) else {}


def _cached_source(cache_dir: Path, key: str) -> str:
    meta = _read_meta(cache_dir / f"download-{key}.graphml")
    return str(meta.get("source", f"OSM download {key[:12]} (cached)"))


def _read_cache(path: Path) -> nx.MultiDiGraph | None:
    """Load a cached GraphML; delete it and return ``None`` if it is unreadable or stale."""
    if not path.exists():
        return None
    meta = _read_meta(path)
    try:
        graph = ox.load_graphml(path)
        ok = (
            meta.get("schema") == _CACHE_SCHEMA
            and graph.number_of_nodes() == meta.get("nodes")
            and graph.number_of_edges() == meta.get("edges")
        )
    except Exception as exc:  # noqa: BLE001 - any parse error means a corrupt file
        logger.warning("deleting unreadable cached road graph %s (%s)", path.name, exc)
        ok = False
        graph = None
    if not ok:
        if graph is not None:
            logger.warning("deleting cached road graph %s: it does not match its side file", path)
        path.unlink(missing_ok=True)
        _meta_path(path).unlink(missing_ok=True)
        return None
    logger.info("road graph from cache %s", path.name)
    return graph


def _write_cache(
    cache_dir: Path, name: str, graph: nx.MultiDiGraph, meta: Mapping[str, Any]
) -> None:
    """Save a graph and its side file atomically (temp file in the folder, then replace)."""
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        target = cache_dir / name
        full_meta = {
            **meta,
            "schema": _CACHE_SCHEMA,
            "nodes": graph.number_of_nodes(),
            "edges": graph.number_of_edges(),
            "osmnx": ox.__version__,
        }
        with _temp_path(cache_dir, suffix=".graphml") as tmp:
            ox.save_graphml(graph, tmp)
            tmp.replace(target)  # atomic on POSIX and Windows
        with _temp_path(cache_dir, suffix=".json") as tmp:
            tmp.write_text(json.dumps(full_meta, indent=1, sort_keys=True), encoding="utf-8")
            tmp.replace(_meta_path(target))
    except OSError as exc:  # a read-only cache slows later runs down but breaks nothing
        logger.warning("cannot cache the road graph in %s: %s", cache_dir, exc)


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
