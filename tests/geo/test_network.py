"""Loading and caching road networks from real OSM extracts (itinerant.geo.network)."""

from __future__ import annotations

import json
import logging
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import osmium
import osmnx as ox
import pytest

from itinerant.errors import RoadNetworkError
from itinerant.geo.network import (
    CACHE_FORMAT,
    FRENCH_RURAL_SPEEDS_KMH,
    RoadNetwork,
    _download_meta,
    _write_cache,
    cached_networks,
    download_key,
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


def _flip_bytes(data: bytes) -> bytes:
    """Invert 16 bytes in the middle of the file (inside the compressed arrays)."""
    middle = len(data) // 2
    return data[:middle] + bytes(b ^ 0xFF for b in data[middle : middle + 16]) + data[middle + 16 :]


def _rewrite(path: Path, edit: Callable[[dict[str, np.ndarray]], None]) -> None:
    """Rewrite a cache file as a valid .npz whose arrays ``edit`` changed."""
    with np.load(path) as data:
        content = {name: data[name] for name in data.files}
    edit(content)
    with path.open("wb") as f:
        np.savez_compressed(f, **content)


def _other_format(content: dict[str, np.ndarray]) -> None:
    meta = json.loads(content["meta"].tobytes())
    meta["format"] = CACHE_FORMAT + 1
    content["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)


def _moved_node(content: dict[str, np.ndarray]) -> None:
    content["lat"] = content["lat"] + np.eye(1, content["lat"].size)[0] * 1e-3


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        pytest.param(lambda p: p.write_bytes(p.read_bytes()[:1000]), "unreadable", id="truncated"),
        pytest.param(lambda p: p.write_bytes(b"not a cache"), "unreadable", id="garbage"),
        pytest.param(lambda p: p.write_bytes(_flip_bytes(p.read_bytes())), "", id="flipped"),
        # valid .npz files, but not the one that was written
        pytest.param(lambda p: _rewrite(p, _moved_node), "checksum", id="edited"),
        pytest.param(lambda p: _rewrite(p, _other_format), "format", id="other-format"),
    ],
)
def test_corrupt_cache_is_rebuilt(
    osm_fixtures_dir: Path,
    tmp_path: Path,
    damage: Callable[[Path], None],
    reason: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    cache = tmp_path / "cache"
    settings = _settings(source="osm", path=osm_fixtures_dir / SAINT_BARTH)
    first = load_road_network(settings, area=None, cache_dir=cache)
    assert first is not None
    (entry,) = cached_networks(cache)
    damage(entry.path)
    with caplog.at_level(logging.WARNING, logger="itinerant.geo.network"):
        network = load_road_network(settings, area=None, cache_dir=cache)
    assert network is not None
    assert (network.n_nodes, network.n_edges) == (908, 1911)
    assert np.array_equal(network.lat, first.lat)
    message = caplog.text
    assert f"cached road graph {entry.path.name}" in message
    assert reason in message
    assert "deleting it" in message
    # the rebuilt cache is whole again, and read back without a warning
    (rebuilt,) = cached_networks(cache)
    assert (rebuilt.nodes, rebuilt.edges) == (908, 1911)
    caplog.clear()
    again = load_road_network(settings, area=None, cache_dir=cache)
    assert again is not None
    assert "cached road graph" not in caplog.text


def test_cache_of_another_extract_is_rebuilt(
    osm_fixtures_dir: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A cache file copied under another extract's name is caught by its recorded key."""
    cache = tmp_path / "cache"
    barth = _settings(source="osm", path=osm_fixtures_dir / SAINT_BARTH)
    monaco = _settings(source="osm", path=osm_fixtures_dir / "monaco_drive_2016.osm.bz2")
    load_road_network(barth, area=None, cache_dir=cache)
    (barth_entry,) = cached_networks(cache)
    load_road_network(monaco, area=None, cache_dir=cache)
    (monaco_entry,) = (e for e in cached_networks(cache) if e.path != barth_entry.path)
    shutil.copyfile(monaco_entry.path, barth_entry.path)
    with caplog.at_level(logging.WARNING, logger="itinerant.geo.network"):
        network = load_road_network(barth, area=None, cache_dir=cache)
    assert network is not None
    assert (network.n_nodes, network.n_edges) == (908, 1911)
    assert "was built for key" in caplog.text


def test_download_cache_records_and_checks_its_area(
    saint_barthelemy: RoadNetwork, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A download cache is used for its own area only, and its nodes must lie in it."""
    lat, lon = saint_barthelemy.lat, saint_barthelemy.lon
    island = (float(lon.min()), float(lat.min()), float(lon.max()), float(lat.max()))
    settings = _settings(source="auto", buffer_m=2000)
    # the island's graph filed as its own download (trusted), and as Andorra's (refused)
    for filed_as in (island, AREA):
        key = download_key(filed_as, buffer_m=2000)
        meta = {**_download_meta(filed_as, 2000, key), "source": "OSM download test"}
        _write_cache(
            tmp_path / f"download-{key}.npz",
            saint_barthelemy.arrays,
            saint_barthelemy.cch_order,
            meta,
        )
    (entry_a, entry_b) = cached_networks(tmp_path)
    assert {entry_a.kind, entry_b.kind} == {"download"}
    network = load_road_network(settings, area=island, cache_dir=tmp_path, allow_download=False)
    assert network is not None
    assert network.source == "OSM download test"
    assert network.n_nodes == 908
    with caplog.at_level(logging.WARNING, logger="itinerant.geo.network"):
        andorra = load_road_network(settings, area=AREA, cache_dir=tmp_path, allow_download=False)
    assert andorra is None  # deleted, nothing to download: straight lines
    assert "has nodes outside its area" in caplog.text
    assert len(cached_networks(tmp_path)) == 1
    # the buffer is part of the request too: another buffer is another cache
    wider = _settings(source="auto", buffer_m=5000)
    assert load_road_network(wider, area=island, cache_dir=tmp_path, allow_download=False) is None


def test_graphml_with_negative_lengths_is_refused(
    saint_barthelemy: RoadNetwork, tmp_path: Path
) -> None:
    graph = saint_barthelemy.graph.copy()
    edges = list(graph.edges(keys=True, data=True))
    for _, _, _, data in edges[10:14]:
        data["length"] = -data["length"]
    path = tmp_path / "negative.graphml"
    ox.save_graphml(graph, path)
    u, v = edges[10][:2]
    with pytest.raises(RoadNetworkError, match="4 edge") as info:
        load_road_network(
            _settings(source="graphml", path=path), area=None, cache_dir=tmp_path / "cache"
        )
    message = str(info.value)
    assert "negative.graphml" in message
    assert f"{u} -> {v} (length -" in message
    assert "and 1 more" in message
    assert cached_networks(tmp_path / "cache") == []  # nothing cached half-way


def test_undirected_graphml_is_refused(saint_barthelemy: RoadNetwork, tmp_path: Path) -> None:
    path = tmp_path / "undirected.graphml"
    ox.save_graphml(saint_barthelemy.graph.to_undirected(), path)
    with pytest.raises(
        RoadNetworkError, match=r"undirected\.graphml: the road graph is undirected"
    ):
        load_road_network(
            _settings(source="graphml", path=path), area=None, cache_dir=tmp_path / "cache"
        )


def test_importing_the_geo_modules_stays_light() -> None:
    """osmnx, geopandas, networkx and scipy are imported by the functions using them."""
    code = (
        "import sys, itinerant.geo.network, itinerant.geo.matrix; "
        "print(sorted(m for m in ('osmnx', 'geopandas', 'networkx', 'scipy', 'routingkit_cch') "
        "if m in sys.modules))"
    )
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root)}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert done.stdout.strip() == "[]"


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
