"""Loading and caching road networks from real OSM extracts (itinerant.geo.network)."""

from __future__ import annotations

import socket
import time
from pathlib import Path
from urllib.parse import urlsplit

import osmium
import osmnx as ox
import pytest

from itinerant.errors import RoadNetworkError
from itinerant.geo.network import (
    FRENCH_RURAL_SPEEDS_KMH,
    RoadNetwork,
    cached_networks,
    fetch_road_network,
    load_road_network,
)
from itinerant.scenario import NetworkSettings

SAINT_BARTH = "saint_barthelemy_drive_2014.osm.bz2"
AREA = (1.40, 42.43, 1.79, 42.66)  # (west, south, east, north): Andorra


def _settings(**values: object) -> NetworkSettings:
    """Settings whose path need not exist (the loader, not the schema, checks it here)."""
    return NetworkSettings.model_validate(values, context={"check_paths": False})


@pytest.mark.parametrize(
    ("fixture", "nodes", "edges", "file"),
    [
        # counts of the simplified osmnx graphs documented in ../shared/data/PROVENANCE.md
        ("saint_barthelemy", 908, 1911, "saint_barthelemy_drive_2014.osm.bz2"),
        ("monaco", 1673, 3351, "monaco_drive_2016.osm.bz2"),
        ("andorra", 2876, 5676, "andorra_drive_2025.osm.bz2"),
    ],
)
def test_osm_bz2_extract_loads(
    fixture: str, nodes: int, edges: int, file: str, request: pytest.FixtureRequest
) -> None:
    network: RoadNetwork = request.getfixturevalue(fixture)
    assert (network.n_nodes, network.n_edges) == (nodes, edges)
    assert network.graph.number_of_nodes() == nodes
    assert network.source == f"OSM extract {file}"
    # snapping targets: the largest strongly connected component, most of the graph
    assert 0.9 * nodes < network.main_nodes.size <= nodes
    for _, _, data in network.graph.edges(data=True):
        assert data["speed_kph"] > 0
        assert data["travel_time"] == pytest.approx(data["length"] / (data["speed_kph"] / 3.6))


def test_default_speeds_apply_without_maxspeed(saint_barthelemy: RoadNetwork) -> None:
    """Saint-Barthélemy has no maxspeed tag: every speed comes from the French table."""
    for _, _, data in saint_barthelemy.graph.edges(data=True):
        highway = data["highway"][0] if isinstance(data["highway"], list) else data["highway"]
        assert data["speed_kph"] == FRENCH_RURAL_SPEEDS_KMH[highway]


def test_highway_speed_override(osm_fixtures_dir: Path, geo_cache_dir: Path) -> None:
    settings = _settings(
        source="osm", path=osm_fixtures_dir / SAINT_BARTH, highway_speeds_kmh={"residential": 25}
    )
    network = load_road_network(settings, area=None, cache_dir=geo_cache_dir)
    assert network is not None
    speeds = {
        data["speed_kph"]
        for _, _, data in network.graph.edges(data=True)
        if data["highway"] == "residential"
    }
    assert speeds == {25.0}


def test_pbf_extract_loads(osm_fixtures_dir: Path, tmp_path: Path) -> None:
    """A .osm.pbf (written here from the real .bz2 by pyosmium) gives the same graph."""
    pbf = tmp_path / "saint_barthelemy.osm.pbf"
    with osmium.SimpleWriter(str(pbf)) as writer:
        for obj in osmium.FileProcessor(str(osm_fixtures_dir / SAINT_BARTH)):
            writer.add(obj)
    settings = _settings(source="osm", path=pbf)
    network = load_road_network(settings, area=None, cache_dir=tmp_path / "cache")
    assert network is not None
    assert (network.n_nodes, network.n_edges) == (908, 1911)
    assert network.source == "OSM extract saint_barthelemy.osm.pbf"


def test_graphml_loads(saint_barthelemy: RoadNetwork, tmp_path: Path) -> None:
    path = tmp_path / "saint_barthelemy.graphml"
    ox.save_graphml(saint_barthelemy.graph, path)
    network = load_road_network(
        _settings(source="graphml", path=path), area=None, cache_dir=tmp_path / "cache"
    )
    assert network is not None
    assert (network.n_nodes, network.n_edges) == (908, 1911)
    assert network.source == "GraphML saint_barthelemy.graphml"


def test_parsed_extract_is_cached(osm_fixtures_dir: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    settings = _settings(source="osm", path=osm_fixtures_dir / SAINT_BARTH)
    assert cached_networks(cache) == []
    load_road_network(settings, area=None, cache_dir=cache)
    (entry,) = cached_networks(cache)
    assert entry.kind == "extract"
    assert entry.source == f"OSM extract {SAINT_BARTH}"
    assert (entry.nodes, entry.edges) == (908, 1911)
    assert entry.size_bytes > 0
    # a second load reads the cache: same graph, and the cache file is left as it was
    mtime = entry.path.stat().st_mtime_ns
    again = load_road_network(settings, area=None, cache_dir=cache)
    assert again is not None
    assert (again.n_nodes, again.n_edges) == (908, 1911)
    assert entry.path.stat().st_mtime_ns == mtime


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda text: text[: len(text) // 2], id="truncated"),
        pytest.param(lambda text: "not xml at all", id="garbage"),
        # valid GraphML of another graph: caught by the node/edge counts of the side file
        pytest.param(lambda text: text.replace("<node ", "<nodeX ", 1), id="edited"),
    ],
)
def test_corrupt_cache_is_rebuilt(osm_fixtures_dir: Path, tmp_path: Path, damage: object) -> None:
    cache = tmp_path / "cache"
    settings = _settings(source="osm", path=osm_fixtures_dir / SAINT_BARTH)
    load_road_network(settings, area=None, cache_dir=cache)
    (entry,) = cached_networks(cache)
    assert callable(damage)
    entry.path.write_text(damage(entry.path.read_text(encoding="utf-8")), encoding="utf-8")
    network = load_road_network(settings, area=None, cache_dir=cache)
    assert network is not None
    assert (network.n_nodes, network.n_edges) == (908, 1911)
    # the rebuilt cache is whole again
    assert ox.load_graphml(entry.path).number_of_nodes() == 908


def test_missing_file_names_path(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.osm.pbf"
    with pytest.raises(RoadNetworkError, match=r"nowhere\.osm\.pbf: road network file not found"):
        load_road_network(_settings(source="osm", path=missing), area=None, cache_dir=tmp_path)


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("broken.osm.bz2", b"BZh9 not really bzip2", r"broken\.osm\.bz2: not a readable OSM"),
        ("broken.osm.pbf", b"\x00\x00\x00\x0dnot a pbf", r"broken\.osm\.pbf: not a readable OSM"),
        ("broken.graphml", b"<graphml>", r"broken\.graphml: not a readable GraphML"),
        ("roads.shp", b"", r"roads\.shp: unknown road network format"),
    ],
)
def test_unreadable_file_names_path(
    tmp_path: Path, name: str, content: bytes, expected: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(RoadNetworkError, match=expected):
        load_road_network(
            _settings(source="auto", path=path), area=None, cache_dir=tmp_path / "cache"
        )


def test_straight_line_and_auto_without_anything_give_none(tmp_path: Path) -> None:
    area = AREA
    assert (
        load_road_network(_settings(source="straight_line"), area=area, cache_dir=tmp_path) is None
    )
    # auto: no path, nothing cached, no download allowed -> None (the caller warns)
    auto = _settings(source="auto")
    assert load_road_network(auto, area=area, cache_dir=tmp_path, allow_download=False) is None
    assert load_road_network(auto, area=None, cache_dir=tmp_path) is None


def test_download_offline_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(RoadNetworkError, match="run 'itinerant network fetch' when online"):
        load_road_network(
            _settings(source="download"),
            area=AREA,
            cache_dir=tmp_path,
            allow_download=False,
        )


def test_fetch_offline_fails_fast_with_advice(tmp_path: Path) -> None:
    """Offline, a forced download fails at once (no minute-long osmnx pause) and says why."""
    try:
        socket.getaddrinfo(urlsplit(ox.settings.overpass_url).hostname, 443)
    except OSError:
        pass
    else:
        pytest.skip("online: this test only checks the offline error")
    start = time.perf_counter()
    with pytest.raises(RoadNetworkError, match="run 'itinerant network fetch' when online"):
        fetch_road_network(_settings(source="download"), area=AREA, cache_dir=tmp_path)
    assert time.perf_counter() - start < 5
    # auto falls back to None (straight lines) instead
    auto = load_road_network(_settings(source="auto"), area=AREA, cache_dir=tmp_path)
    assert auto is None
    assert cached_networks(tmp_path) == []
