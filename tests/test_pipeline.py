"""End to end on real roads: a scenario on the Andorra OSM extract goes from file to plan."""

from __future__ import annotations

import datetime as dt
import itertools
import warnings
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from itinerant.cli import cli
from itinerant.errors import ApproximateDistancesWarning, RoadNetworkError, SnappingError
from itinerant.geo.matrix import TravelMatrix, _CchRouter
from itinerant.loading import load_scenario
from itinerant.pipeline import (
    leg_geometries,
    network_report,
    plan_prepared,
    prepare,
    render_outputs,
)
from itinerant.plan import Plan
from itinerant.render.maps import ROUTE_CLASS

ROOT = Path(__file__).resolve().parents[1]
ANDORRA = ROOT.parent / "shared" / "data" / "osm_fixtures" / "andorra_drive_2025.osm.bz2"

# The seven parishes of Andorra, town-centre points (WGS84) and rounded populations.
PARISHES = """insee,name,population,lat,lon
AD002,Canillo,4500,42.5676,1.5976
AD003,Encamp,11000,42.5347,1.5801
AD004,Ordino,5000,42.5563,1.5331
AD005,La Massana,10000,42.5450,1.5148
AD006,Sant Julià de Lòria,9500,42.4637,1.4913
AD007,Andorra la Vella,22000,42.5063,1.5218
AD008,Escaldes-Engordany,14000,42.5100,1.5380
"""

SCENARIO = f"""
name: Andorra test tour
territory:
  communes_csv: parishes.csv
depot:
  name: Depot in Andorra la Vella
  point: {{lat: 42.5075, lon: 1.5250}}
period:
  week: 2026-W50
units:
  - id: van
    name: Van
    session_min: 90
    day: {{start: "08:30", end: "17:30"}}
    lunch: {{start: "12:00", end: "14:00", duration_min: 45}}
    max_stops_per_day: 2
    crew: [{{role: mediator, skills: [mediator, driver_b]}}]
staff:
  - id: ana
    name: Ana
    skills: [mediator, driver_b]
solver:
  solution_limit: 200
network:
  source: osm
  path: {ANDORRA}
  max_snap_m: 800
"""


def leg_m(matrix: TravelMatrix, origin: str, destination: str) -> int:
    """The matrix's distance (m) from one point id to another."""
    return matrix.distances_m([(matrix.index(origin), matrix.index(destination))])[0]


@pytest.fixture(scope="module")
def andorra_scenario(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not ANDORRA.exists():
        pytest.skip("../shared/data/osm_fixtures is not beside the repository")
    folder = tmp_path_factory.mktemp("andorra")
    (folder / "parishes.csv").write_text(PARISHES, encoding="utf-8")
    path = folder / "andorra.yaml"
    path.write_text(SCENARIO, encoding="utf-8")
    return path


def test_real_road_plan(
    andorra_scenario: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    computed: list[tuple[int, int]] = []
    unpack = _CchRouter.path_lengths

    def counted(self: _CchRouter, pairs: np.ndarray) -> np.ndarray:
        computed.extend(map(tuple, pairs.tolist()))
        return unpack(self, pairs)

    monkeypatch.setattr(_CchRouter, "path_lengths", counted)
    scenario, territory = load_scenario(andorra_scenario)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ApproximateDistancesWarning)  # never silently
        prepared = prepare(scenario, territory, cache_dir=tmp_path, allow_download=False)
    assert prepared.network is not None
    (matrix,) = prepared.matrices.values()
    assert not matrix.approximate
    assert matrix.point_ids[0] == "depot"
    assert len(prepared.demand) == 7
    report = network_report(prepared)
    assert report.startswith(
        "Réseau routier : extrait OSM andorra_drive_2025.osm.bz2 ; étapes raccordées à moins de"
    )
    # the cache keeps its English provenance; `network info` shows it in French (#13)
    info = CliRunner().invoke(
        cli, ["network", "info", str(andorra_scenario)], env={"ITINERANT_CACHE_DIR": str(tmp_path)}
    )
    assert info.exit_code == 0, info.output
    assert info.output.startswith(f"Réseau du scénario : {ANDORRA}\n")
    (row,) = [line for line in info.output.splitlines() if line.startswith("extrait ")]
    assert row.startswith("extrait    extrait OSM andorra_drive_2025.osm.bz2 "), row
    assert " nœuds, " in row
    assert " arêtes " in row
    assert " Mo " in row
    assert "OSM extract" not in info.output
    assert max(matrix.snap_distance_m) <= 800
    plan = plan_prepared(prepared, week="2026-W50", last_visits={})
    assert not plan.provenance.approximate
    assert "andorra_drive_2025.osm.bz2" in plan.provenance.network_source
    # one mediator, five days, two stops a day at most: all seven parishes fit
    assert plan.kpis.communes_visited == 7
    # distances were computed for the legs driven only, each once (7 parishes, 7 nodes)
    legs = {
        leg
        for tour in plan.tours
        for leg in itertools.pairwise(["depot", *(v.stop_id for v in tour.visits), "depot"])
    }
    assert len(computed) == len(set(computed)) == len(legs) < 8 * 7
    for tour in plan.tours:
        previous = "depot"
        for visit in tour.visits:
            # each leg's distance is the road matrix's, exactly
            assert visit.distance_m == leg_m(matrix, previous, visit.stop_id)
            previous = visit.stop_id
        assert tour.return_distance_m == leg_m(matrix, previous, "depot")

    # the maps draw each tour along the roads it takes, not as approximate straight lines
    files = render_outputs(scenario, territory, prepared.network, plan, scores=prepared.scores)
    week_map = str(files["maps/semaine.html"])
    assert week_map.count(f'"{ROUTE_CLASS}"') == len(plan.tours)
    assert "itn-approximate" not in week_map
    geometries = leg_geometries(scenario, prepared.stops, prepared.network, plan)
    assert geometries is not None
    first = plan.tours[0]
    outbound = geometries[("depot", first.visits[0].stop_id)]
    assert len(outbound) > 2  # a real road polyline, with bends


def test_a_closure_that_cuts_off_a_stop_says_so(andorra_scenario: Path, tmp_path: Path) -> None:
    scenario, territory = load_scenario(andorra_scenario)
    with pytest.raises(SnappingError, match=r"with CG-1 closed, a stop cannot be reached.*Sant"):
        prepare(
            scenario, territory, cache_dir=tmp_path, allow_download=False, road_closures=["CG-1"]
        )


def test_replan_around_a_closed_road(
    andorra_scenario: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Snow closes the CG-3 on Wednesday: the rest of the week is planned around it."""
    monkeypatch.setenv("ITINERANT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("ITINERANT_OFFLINE", "1")
    runner = CliRunner()
    week = tmp_path / "week"
    done = runner.invoke(cli, ["plan", str(andorra_scenario), "--out", str(week)])
    assert done.exit_code == 0, done.output
    wednesday = dt.date(2026, 12, 9)
    out = tmp_path / "replan"
    args = ["replan", str(week / "plan.json"), "-s", str(andorra_scenario)]
    args += ["--from", wednesday.isoformat(), "--road-closed", "CG-3", "--out", str(out)]
    result = runner.invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "Routes fermées : CG-3 (" in result.output
    before = Plan.model_validate_json((week / "plan.json").read_text(encoding="utf-8"))
    after = Plan.model_validate_json((out / "plan.json").read_text(encoding="utf-8"))
    # the whole week: the days done are there, as they were
    assert after.dates == before.dates
    assert [t for t in after.tours if t.date < wednesday] == [
        t for t in before.tours if t.date < wednesday
    ]
    assert after.kpis.visits == sum(len(t.visits) for t in after.tours)
    assert "closed: CG-3" in after.provenance.network_source
    # from Wednesday on, every leg is the road distance without the CG-3
    scenario, territory = load_scenario(andorra_scenario)
    prepared = prepare(
        scenario,
        territory,
        cache_dir=tmp_path / "cache",
        allow_download=False,
        road_closures=["CG-3"],
    )
    (matrix,) = prepared.matrices.values()
    later = [t for t in after.tours if t.date >= wednesday]
    assert later
    for tour in later:
        previous = "depot"
        for visit in tour.visits:
            assert visit.distance_m == leg_m(matrix, previous, visit.stop_id)
            previous = visit.stop_id
    changes = (out / "changes.csv").read_text(encoding="utf-8").splitlines()
    # BOM, ';' and French headers: opens right in a French spreadsheet (#13)
    assert changes[0] == (
        "\ufeffchangement;code INSEE;commune;date prévue;heure prévue;unité prévue;"
        "équipage prévu;nouvelle date;nouvelle heure;nouvelle unité;nouvel équipage;motif"
    )
    assert changes[1].startswith("jour inchangé (fait);;;2026-12-07")


def test_a_road_closure_needs_a_road_network(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ITINERANT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("ITINERANT_OFFLINE", "1")
    scenario, territory = load_scenario(ROOT / "scenarios" / "7-vallees.yaml")
    with (
        pytest.warns(ApproximateDistancesWarning),
        pytest.raises(RoadNetworkError, match="--road-closed needs a road network"),
    ):
        prepare(
            scenario, territory, cache_dir=tmp_path, allow_download=False, road_closures=["D928"]
        )
