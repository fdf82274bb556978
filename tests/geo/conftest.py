"""Geo fixtures: real OSM extracts, each loaded once per test run."""

from __future__ import annotations

from pathlib import Path

import pytest

from itinerant.geo.network import RoadNetwork, load_road_network
from itinerant.scenario import NetworkSettings

REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED_DIR = REPO_ROOT / ".." / "shared"
OSM_FIXTURES = SHARED_DIR / "data" / "osm_fixtures"


# -- geo: real OSM extracts (see tests/data/README.md) ------------------------------------


@pytest.fixture(scope="session")
def osm_fixtures_dir() -> Path:
    """Folder of the real OSM drive extracts in ``../shared/data/osm_fixtures``."""
    if not OSM_FIXTURES.is_dir():
        pytest.skip(f"shared OSM fixtures not found at {OSM_FIXTURES} (../shared missing)")
    return OSM_FIXTURES


@pytest.fixture(scope="session")
def geo_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One road-graph cache folder for the whole run."""
    return tmp_path_factory.mktemp("geo-cache")


def _load_extract(folder: Path, name: str, cache_dir: Path) -> RoadNetwork:
    settings = NetworkSettings(source="osm", path=folder / name)
    network = load_road_network(settings, area=None, cache_dir=cache_dir, allow_download=False)
    assert network is not None
    return network


@pytest.fixture(scope="session")
def saint_barthelemy(osm_fixtures_dir: Path, geo_cache_dir: Path) -> RoadNetwork:
    """Saint-Barthélemy drive network (OSM 2014): 908 nodes, no ``maxspeed`` tag at all."""
    return _load_extract(osm_fixtures_dir, "saint_barthelemy_drive_2014.osm.bz2", geo_cache_dir)


@pytest.fixture(scope="session")
def monaco(osm_fixtures_dir: Path, geo_cache_dir: Path) -> RoadNetwork:
    """Monaco and surroundings (OSM 2016): 1 673 nodes, dense urban, curvy geometries."""
    return _load_extract(osm_fixtures_dir, "monaco_drive_2016.osm.bz2", geo_cache_dir)


@pytest.fixture(scope="session")
def andorra(osm_fixtures_dir: Path, geo_cache_dir: Path) -> RoadNetwork:
    """Andorra (OSM 2025-01): 2 876 nodes, mountain roads with 100 km/h trunks."""
    return _load_extract(osm_fixtures_dir, "andorra_drive_2025.osm.bz2", geo_cache_dir)
