"""Run the stages in order: scenario -> road network -> travel matrices -> demand -> plan.

The command line calls these; each stage is a function of the previous one's output.
The road network, matrix and renderer modules (osmnx, scipy, folium, matplotlib) are
imported by the stage that uses them, so that importing this
module (and ``itinerant --help``) stays fast.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
import logging
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from itinerant.demand import DemandScore, demand_scores
from itinerant.errors import (
    ApproximateDistancesWarning,
    RoadNetworkError,
    ScenarioError,
    SnappingError,
)
from itinerant.i18n import Language, format_ratio, provenance, text
from itinerant.loading import read_csv_rows, read_service_points
from itinerant.optimize.week import plan_week
from itinerant.plan import Plan
from itinerant.render.context import RenderContext, read_outlines
from itinerant.scenario import DEPOT_BASE_ID, Point, Scenario, VehicleProfile
from itinerant.territory import Stop, Territory, build_stops

if TYPE_CHECKING:
    from itinerant.geo.closures import ClosedRoad
    from itinerant.geo.matrix import NamedPoint, TravelMatrix
    from itinerant.geo.network import RoadNetwork

__all__ = [
    "Prepared",
    "compute_demand",
    "load_network",
    "network_report",
    "plan_prepared",
    "prepare",
    "render_outputs",
    "scenario_area",
    "scenario_hash",
]

logger = logging.getLogger(__name__)

Area = tuple[float, float, float, float]


@dataclass(frozen=True)
class Prepared:
    """Everything upstream of the optimiser, for one scenario."""

    scenario: Scenario
    territory: Territory
    stops: tuple[Stop, ...]
    network: RoadNetwork | None
    matrices: dict[str, TravelMatrix]
    demand: tuple[DemandScore, ...]
    closed_roads: tuple[ClosedRoad, ...] = ()

    @property
    def approximate(self) -> bool:
        """Whether travel times are straight-line estimates."""
        return self.network is None

    @property
    def scores(self) -> dict[str, float]:
        """Demand score by INSEE code."""
        return {score.insee: score.score for score in self.demand}


def scenario_hash(scenario: Scenario) -> str:
    """Return a short SHA-256 of the scenario's canonical JSON (for provenance)."""
    canonical = json.dumps(scenario.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


def scenario_area(scenario: Scenario, territory: Territory) -> Area:
    """Bounding box ``(west, south, east, north)`` of the bases and every commune."""
    points = [*(b.point for b in scenario.all_bases), *(c.point for c in territory.communes)]
    points += [rule.venue.point for rule in scenario.communes if rule.venue is not None]
    lats = [p.lat for p in points]
    lons = [p.lon for p in points]
    return (min(lons), min(lats), max(lons), max(lats))


def load_network(
    scenario: Scenario, territory: Territory, *, cache_dir: Path, allow_download: bool
) -> RoadNetwork | None:
    """Load the scenario's road network; warn (never silently) when there is none."""
    from itinerant.geo.network import load_road_network  # noqa: PLC0415  (osmnx)

    network = load_road_network(
        scenario.network,
        area=scenario_area(scenario, territory),
        cache_dir=cache_dir,
        allow_download=allow_download,
    )
    if network is None:
        lang = scenario.language
        reason = text(
            "network.warn_straight"
            if scenario.network.source == "straight_line"
            else "network.warn_missing",
            lang,
        )
        warnings.warn(
            text(
                "network.warn_approximate",
                lang,
                reason=reason,
                circuity=format_ratio(scenario.network.circuity, lang),
            ),
            ApproximateDistancesWarning,
            stacklevel=2,
        )
    else:
        logger.info("road network: %s (%d nodes)", network.source, network.n_nodes)
    return network


def _matrices(
    scenario: Scenario, network: RoadNetwork | None, points: list[NamedPoint]
) -> dict[str, TravelMatrix]:
    from itinerant.geo.matrix import travel_matrix  # noqa: PLC0415  (scipy)

    profiles: dict[str, VehicleProfile] = {}
    for unit in scenario.units:
        profiles.setdefault(unit.vehicle.key, unit.vehicle)
    with warnings.catch_warnings():
        # load_network has already said why distances are approximate, once
        warnings.simplefilter("ignore", ApproximateDistancesWarning)
        return {
            key: travel_matrix(
                network,
                points,
                profile,
                max_snap_m=scenario.network.max_snap_m,
                circuity=scenario.network.circuity,
            )
            for key, profile in sorted(profiles.items())
        }


def compute_demand(
    scenario: Scenario, territory: Territory, network: RoadNetwork | None
) -> tuple[DemandScore, ...]:
    """Score every commune of the territory (see :mod:`itinerant.demand`)."""
    from itinerant.geo.matrix import NamedPoint, nearest_travel_time_s  # noqa: PLC0415

    profile = scenario.units[0].vehicle
    communes = [
        NamedPoint(id=c.insee, name=c.name, point=c.point)
        for c in sorted(territory.communes, key=lambda c: c.insee)
    ]
    service_points: list[Point] = []
    for path in scenario.demand.service_points:
        service_points += read_service_points(path)
    indicator_rows = (
        read_csv_rows(scenario.demand.indicators_csv, what="indicators CSV")
        if scenario.demand.indicators_csv is not None
        else None
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ApproximateDistancesWarning)
        options = {"max_snap_m": scenario.network.max_snap_m, "circuity": scenario.network.circuity}
        depot_time_s = nearest_travel_time_s(
            network, communes, [b.point for b in scenario.all_bases], profile, **options
        )
        service_time_s = (
            nearest_travel_time_s(network, communes, service_points, profile, **options)
            if service_points
            else None
        )
    return demand_scores(
        territory,
        scenario.demand,
        depot_time_s=depot_time_s,
        service_time_s=service_time_s,
        indicator_rows=indicator_rows,
        indicators_source=str(scenario.demand.indicators_csv or ""),
        lang=scenario.language,
    )


def prepare(
    scenario: Scenario,
    territory: Territory,
    *,
    cache_dir: Path,
    allow_download: bool = True,
    road_closures: Sequence[str] = (),
) -> Prepared:
    """Build stops, load the road network, compute matrices and demand scores.

    ``road_closures`` (see :mod:`itinerant.geo.closures`) are taken out of the road
    network first, so that travel times and maps go around them.

    Raises
    ------
    RoadNetworkError
        Road closures without a road network, a closure that matches no road, or a
        stop that the closures cut off from the depot.
    """
    from itinerant.geo.closures import close_roads  # noqa: PLC0415  (osmnx)
    from itinerant.geo.matrix import NamedPoint  # noqa: PLC0415  (scipy)

    stops = build_stops(scenario, territory)
    network = load_network(scenario, territory, cache_dir=cache_dir, allow_download=allow_download)
    demand = compute_demand(scenario, territory, network)  # long-term need: before closures
    closed: tuple[ClosedRoad, ...] = ()
    if road_closures:
        if network is None:
            msg = (
                "--road-closed needs a road network, and this scenario plans on straight "
                "lines: set network.path to an OSM extract, or run `itinerant network fetch` "
                "when online"
            )
            raise RoadNetworkError(msg)
        network, closed = close_roads(
            network, road_closures, highway_speeds_kmh=scenario.network.highway_speeds_kmh
        )
    points = [NamedPoint(id=b.id, name=b.name, point=b.point) for b in scenario.all_bases]
    points += [NamedPoint(id=s.id, name=s.commune_name, point=s.point) for s in stops]
    try:
        matrices = _matrices(scenario, network, points)
    except SnappingError as exc:
        if not closed:
            raise
        roads = ", ".join(c.closure for c in closed)
        msg = f"with {roads} closed, a stop cannot be reached any more: {exc}"
        raise SnappingError(msg) from exc
    return Prepared(scenario, territory, stops, network, matrices, demand, closed)


def leg_geometries(
    scenario: Scenario, stops: tuple[Stop, ...], network: RoadNetwork | None, plan: Plan
) -> dict[tuple[str, str], list[tuple[float, float]]] | None:
    """Road polylines of every leg the plan drives (None without a network)."""
    from itinerant.geo.matrix import leg_geometry  # noqa: PLC0415  (scipy)

    if network is None:
        return None
    points = {b.id: b.point for b in scenario.all_bases} | {stop.id: stop.point for stop in stops}
    units = {unit.id: unit for unit in scenario.units}
    geometries: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for tour in plan.tours:
        base = scenario.base_of(units[tour.unit_id]).id
        ids = [base, *(visit.stop_id for visit in tour.visits), base]
        for leg in itertools.pairwise(ids):
            if leg not in geometries:
                geometries[leg] = leg_geometry(
                    network, units[tour.unit_id].vehicle, points[leg[0]], points[leg[1]]
                )
    return geometries


def check_inputs(scenario: Scenario, territory: Territory, *, source: str) -> None:
    """Run the checks of ``plan`` that need no road network, as ``validate`` does.

    Reads every file the scenario names (service points, indicators, commune outlines)
    and checks the demand weights and overrides against them.

    Raises
    ------
    ScenarioError, TerritoryError
        With the file, line and value of each problem.
    """
    try:
        compute_demand(scenario, territory, None)
    except ScenarioError as exc:  # name the scenario file on the lines about its fields
        raise ScenarioError(
            [f"{source}: {p}" if p.startswith("demand.") else p for p in exc.problems]
        ) from None
    if scenario.territory.contours is not None:
        read_outlines(scenario.territory.contours)


def render_outputs(
    scenario: Scenario,
    territory: Territory,
    network: RoadNetwork | None,
    plan: Plan,
    *,
    scores: Mapping[str, float] | None = None,
    lang: Language | None = None,
) -> dict[str, str | bytes]:
    """Render every output of a plan: JSON, CSV, calendars, GPX, sheets, PDF, maps."""
    from itinerant.render.bundle import render_plan  # noqa: PLC0415  (folium, matplotlib)

    stops = build_stops(scenario, territory)
    contours = scenario.territory.contours
    context = RenderContext.from_scenario(
        scenario,
        territory,
        geometries=leg_geometries(scenario, stops, network, plan),
        outlines=read_outlines(contours) if contours is not None else None,
        scores=scores,
    )
    return render_plan(plan, context, lang=lang or scenario.language)


def network_report(prepared: Prepared) -> str:
    """Return one line on the road network, in the scenario's language.

    Its source, and how far stops were snapped to it.
    """
    lang = prepared.scenario.language
    if prepared.network is None:
        return text("network.none", lang)
    matrix = next(iter(prepared.matrices.values()))
    distances = dict(zip(matrix.point_ids, matrix.snap_distance_m, strict=True))
    farthest = max(distances, key=lambda pid: distances[pid])
    names = {stop.id: stop.commune_name for stop in prepared.stops}
    names |= {base.id: base.name for base in prepared.scenario.all_bases}
    names[DEPOT_BASE_ID] = text("depot", lang)
    return text(
        "network.snapped",
        lang,
        source=provenance(prepared.network.source, lang),
        metres=f"{distances[farthest]:.0f}",
        farthest=names[farthest],
    )


def plan_prepared(
    prepared: Prepared,
    *,
    week: str,
    last_visits: Mapping[str, dt.date],
    seed: int | None = None,
    generated_at: dt.datetime | None = None,
) -> Plan:
    """Plan one week of a prepared scenario."""
    return plan_week(
        prepared.scenario,
        prepared.stops,
        prepared.scores,
        last_visits,
        prepared.matrices,
        week=week,
        scenario_hash=scenario_hash(prepared.scenario),
        generated_at=generated_at,
        seed=seed,
        territory=prepared.territory,
    )
