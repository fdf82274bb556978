"""Render fixtures: small real week plans on 7 Vallées communes, solved once per run.

Like ``tests/optimize/conftest.py``: the bundled communes, the reference units and staff,
straight-line travel matrices (haversine x 1.3 at the profile's fallback speed, the
network-free fallback's formula), and the real optimiser.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from itinerant.geo.matrix import TravelMatrix
from itinerant.loading import load_bundled_territory
from itinerant.optimize.week import plan_week
from itinerant.plan import Plan
from itinerant.render import RenderContext
from itinerant.scenario import (
    CrewRole,
    Depot,
    LunchBreak,
    Period,
    Point,
    Scenario,
    SolverSettings,
    Staff,
    StopRule,
    TimeWindow,
    Unit,
    VehicleProfile,
    Venue,
)
from itinerant.territory import Stop, Territory, build_stops

REPO_ROOT = Path(__file__).resolve().parents[2]
OUTLINES = REPO_ROOT / ".." / "shared" / "data" / "communes_7vallees.geojson"
HESDIN = Point(lat=50.373001, lon=2.03727)
WEEK = "2026-W49"  # Monday 2026-11-30 to Friday 2026-12-04
GENERATED = dt.datetime(2026, 11, 23, 9, 15, tzinfo=dt.UTC)
# a dozen communes within ~10 km of Hesdin
NEAR = (
    "62447", "62549", "62550", "62743", "62388", "62461",
    "62398", "62175", "62749", "62661", "62521", "62677",
)  # fmt: skip
EVIL = "<script>alert(1)</script>"


def _haversine_m(a: Point, b: Point) -> float:
    p1, p2 = math.radians(a.lat), math.radians(b.lat)
    dp, dl = p2 - p1, math.radians(b.lon - a.lon)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_000.0 * math.asin(math.sqrt(h))


def _matrices(scenario: Scenario, stops: Sequence[Stop]) -> dict[str, TravelMatrix]:
    ids = ("depot", *(s.id for s in stops))
    points = [scenario.depot.point, *(s.point for s in stops)]
    out = {}
    for unit in scenario.units:
        profile = unit.vehicle
        speed = min(profile.fallback_speed_kmh, profile.max_speed_kmh) / 3.6
        dist = [[round(_haversine_m(a, b) * 1.3) for b in points] for a in points]
        out[profile.key] = TravelMatrix(
            profile=profile.key,
            point_ids=ids,
            travel_time_s=tuple(tuple(round(d / speed) for d in row) for row in dist),
            distance_m=tuple(tuple(row) for row in dist),
            approximate=True,
            source="straight line x1.3 (tests)",
            snap_distance_m=tuple(0.0 for _ in ids),
        )
    return out


def _van(name: str = "Bus numérique") -> Unit:
    return Unit(
        id="bus",
        name=name,
        kind="van",
        vehicle=VehicleProfile(max_speed_kmh=110, speed_factor=0.95, fallback_speed_kmh=50),
        session_min=120,
        setup_min=20,
        packup_min=20,
        day=TimeWindow(start=8 * 60 + 30, end=17 * 60 + 30),
        lunch=LunchBreak(start=12 * 60, end=14 * 60, duration_min=45),
        max_drive_min=180,
        max_stops_per_day=2,
        crew=(CrewRole(role="médiateur conducteur", skills=("mediator", "driver_b")),),
    )


def _tiny_house() -> Unit:
    return Unit(
        id="tiny-house",
        name="Tiny house fab lab",
        kind="tiny_house",
        vehicle=VehicleProfile(
            towed=True, max_speed_kmh=80, speed_factor=0.85, fallback_speed_kmh=45
        ),
        session_min=180,
        setup_min=60,
        packup_min=45,
        day=TimeWindow(start=8 * 60, end=18 * 60),
        lunch=LunchBreak(start=12 * 60, end=14 * 60, duration_min=60),
        max_drive_min=150,
        max_stops_per_day=1,
        multi_day_stays=True,
        max_stay_days=3,
        crew=(
            CrewRole(role="conducteur BE", skills=("driver_be",)),
            CrewRole(role="fab manager", skills=("fab_manager",)),
        ),
    )


def _staff(first_name: str = "Camille") -> tuple[Staff, ...]:
    day = (TimeWindow(start=8 * 60, end=18 * 60),)
    five = ("mon", "tue", "wed", "thu", "fri")
    return (
        Staff(id="camille", name=first_name, skills=("mediator", "driver_b"),
              availability=dict.fromkeys(five, day)),
        Staff(id="julien", name="Julien", skills=("mediator", "driver_b", "driver_be"),
              availability=dict.fromkeys(five, day)),
        Staff(id="sarah", name="Sarah", skills=("fab_manager", "driver_b"),
              availability=dict.fromkeys(five[:4], day), max_hours_week=28),
        Staff(id="thomas", name="Thomas", skills=("driver_be", "driver_b"),
              availability=dict.fromkeys(("tue", "wed", "thu"), day), max_hours_week=24),
    )  # fmt: skip


def _solve(scenario: Scenario, stops: Sequence[Stop]) -> Plan:
    return plan_week(
        scenario,
        stops,
        {s.insee: 0.5 + 0.04 * i for i, s in enumerate(stops)},
        {},
        _matrices(scenario, stops),
        week=WEEK,
        seed=1,
        scenario_hash="h",
        generated_at=GENERATED,
    )


@pytest.fixture(scope="session")
def territory() -> Territory:
    """The 69 real communes of the CC des 7 Vallées (bundled CSV, town-hall points)."""
    return load_bundled_territory("7-vallees")


@pytest.fixture(scope="session")
def outlines() -> dict[str, Any]:
    """Commune outlines of the 7 Vallées (``../shared/data/communes_7vallees.geojson``)."""
    if not OUTLINES.is_file():
        pytest.skip(f"commune outlines not found at {OUTLINES} (../shared missing)")
    data: dict[str, Any] = json.loads(OUTLINES.read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="session")
def week_scenario() -> Scenario:
    """Van and tiny house from the Hesdin depot, four staff, Monday to Friday."""
    return Scenario(
        name="7 Vallées test",
        depot=Depot(name="Coopérative", address="1 place d'Armes, 62140 Hesdin", point=HESDIN),
        units=(_van(), _tiny_house()),
        staff=_staff(),
        solver=SolverSettings(time_limit_s=5, solution_limit=100),
    )


@pytest.fixture(scope="session")
def week_plan(week_scenario: Scenario, territory: Territory) -> Plan:
    """A real week: the van and the tiny house over 12 communes near Hesdin, 5 days."""
    stops = tuple(s for s in build_stops(week_scenario, territory) if s.insee in NEAR)
    plan = _solve(week_scenario, stops)
    assert len(plan.tours) >= 4
    assert {t.unit_id for t in plan.tours} == {"bus", "tiny-house"}
    return plan


@pytest.fixture(scope="session")
def week_context(
    week_scenario: Scenario, territory: Territory, outlines: dict[str, Any]
) -> RenderContext:
    """Context of ``week_plan``: depot, staff names, outlines, demand, no road geometry."""
    return RenderContext.from_scenario(
        week_scenario,
        territory,
        outlines=outlines,
        scores={c: 0.3 + 0.05 * i for i, c in enumerate(NEAR)},
    )


@pytest.fixture(scope="session")
def evil_scenario(territory: Territory) -> Scenario:
    """The van on two days; a venue, a unit and a staff member named by an attacker."""
    marconne = territory.find("62549")
    assert marconne is not None
    venue = Venue(name=EVIL, address='=HYPERLINK("http://x")', point=marconne.point)
    return Scenario(
        name="evil",
        depot=Depot(name="Dépôt <b>", point=HESDIN),
        units=(_van(name="Bus <i>"),),
        staff=_staff(first_name="@Camille"),
        period=Period(working_days=("mon", "tue")),
        communes=(StopRule(commune="62549", venue=venue, must_visit=True),),
        solver=SolverSettings(time_limit_s=5, solution_limit=100),
    )


@pytest.fixture(scope="session")
def evil_plan(evil_scenario: Scenario, territory: Territory) -> Plan:
    """A plan whose Marconne stop is named ``<script>alert(1)</script>`` (commune, venue)."""
    stops = []
    for stop in build_stops(evil_scenario, territory):
        if stop.insee in NEAR[:4]:
            evil = stop.insee == "62549"
            stops.append(stop.model_copy(update={"commune_name": EVIL}) if evil else stop)
    plan = _solve(evil_scenario, stops)
    assert any(v.commune_name == EVIL for t in plan.tours for v in t.visits)
    return plan


@pytest.fixture(scope="session")
def evil_context(
    evil_scenario: Scenario, territory: Territory, outlines: dict[str, Any]
) -> RenderContext:
    """Context of ``evil_plan``, with an outline whose name is a script too."""
    features = [
        {**f, "properties": {**f["properties"], "name": EVIL}}
        if f["properties"]["insee"] == "62447"
        else f
        for f in outlines["features"]
    ]
    return RenderContext.from_scenario(
        evil_scenario,
        territory,
        outlines={**outlines, "features": features},
        scores=dict.fromkeys(NEAR, 0.5),
    )
