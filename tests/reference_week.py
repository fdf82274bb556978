"""The reference week of the tests: units, staff and stops around Hesdin, and checks.

Real 7 Vallées communes (the bundled table), the reference scenario's van, tiny house
and four staff members, straight-line travel matrices (haversine x 1.3 at the profile's
fallback speed, the formula of the network-free fallback of :mod:`itinerant.geo.matrix`),
and :func:`check_plan`, which asserts every hard rule of a plan. Shared by the optimiser,
renderer and replan tests (``tests/`` is on pytest's ``pythonpath``); fixtures are in
``tests/conftest.py``.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from typing import Any

from itinerant.geo.matrix import TravelMatrix
from itinerant.plan import Plan
from itinerant.scenario import (
    WEEKDAYS,
    CrewRole,
    Depot,
    LunchBreak,
    Point,
    Scenario,
    Staff,
    TimeWindow,
    Unit,
    VehicleProfile,
    dates_cover,
)
from itinerant.territory import Stop, Territory, build_stops

HESDIN = Point(lat=50.373001, lon=2.03727)
WEEK = "2026-W49"  # Monday 2026-11-30 to Friday 2026-12-04, no public holiday

# a dozen communes within ~10 km of Hesdin
NEAR = (
    "62447",
    "62549",
    "62550",
    "62743",
    "62388",
    "62461",
    "62398",
    "62175",
    "62749",
    "62661",
    "62521",
    "62677",
)


def haversine_m(a: Point, b: Point) -> float:
    r = 6_371_000.0
    p1, p2 = math.radians(a.lat), math.radians(b.lat)
    dp, dl = p2 - p1, math.radians(b.lon - a.lon)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(h))


def straight_matrix(
    profile: VehicleProfile, ids: Sequence[str], points: Sequence[Point], circuity: float = 1.3
) -> TravelMatrix:
    speed = min(profile.fallback_speed_kmh, profile.max_speed_kmh) / 3.6
    dist = [[round(haversine_m(a, b) * circuity) for b in points] for a in points]
    return TravelMatrix(
        profile=profile.key,
        point_ids=tuple(ids),
        travel_time_s=tuple(tuple(round(d / speed) for d in row) for row in dist),
        distance_m=tuple(tuple(row) for row in dist),
        approximate=True,
        source="straight line x1.3 (tests)",
        snap_distance_m=tuple(0.0 for _ in ids),
    )


def matrices_for(scenario: Scenario, stops: Sequence[Stop]) -> dict[str, TravelMatrix]:
    ids = [*(b.id for b in scenario.all_bases), *(s.id for s in stops)]
    points = [*(b.point for b in scenario.all_bases), *(s.point for s in stops)]
    return {u.vehicle.key: straight_matrix(u.vehicle, ids, points) for u in scenario.units}


def _week(days: Sequence[str]) -> dict[Any, tuple[TimeWindow, ...]]:
    return {d: (TimeWindow(start=8 * 60, end=18 * 60),) for d in days}


def van(**update: Any) -> Unit:
    """The e-inclusion van of the reference scenario (2 sessions a day)."""
    unit = Unit(
        id="bus",
        name="Bus numérique",
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
    return unit.model_copy(update=update) if update else unit


def tiny_house(**update: Any) -> Unit:
    """The towed tiny-house fab lab of the reference scenario (1 stop a day, stays)."""
    unit = Unit(
        id="tiny-house",
        name="tiny house",
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
    return unit.model_copy(update=update) if update else unit


def reference_staff() -> tuple[Staff, ...]:
    """The four staff members of the reference scenario."""
    five = ("mon", "tue", "wed", "thu", "fri")
    return (
        Staff(
            id="camille",
            name="Camille",
            skills=("mediator", "driver_b"),
            availability={d: (TimeWindow(start=510, end=1050),) for d in five},
            max_hours_week=35,
            max_hours_day=9,
        ),
        Staff(
            id="julien",
            name="Julien",
            skills=("mediator", "driver_b", "driver_be"),
            availability=_week(five),
            max_hours_week=35,
            max_hours_day=10,
        ),
        Staff(
            id="sarah",
            name="Sarah",
            skills=("fab_manager", "driver_b"),
            availability=_week(five[:4]),
            max_hours_week=28,
            max_hours_day=10,
        ),
        Staff(
            id="thomas",
            name="Thomas",
            skills=("driver_be", "driver_b"),
            availability=_week(("tue", "wed", "thu")),
            max_hours_week=24,
            max_hours_day=10,
        ),
    )


def make_scenario(**update: Any) -> Scenario:
    """A scenario around Hesdin: reference units and staff unless ``update`` says otherwise."""
    base = Scenario(
        name="test",
        depot=Depot(name="Coopérative", point=HESDIN),
        units=(van(), tiny_house()),
        staff=reference_staff(),
    )
    data = base.model_dump()
    data.update(
        {
            k: v.model_dump()
            if hasattr(v, "model_dump")
            else [x.model_dump() if hasattr(x, "model_dump") else x for x in v]
            if isinstance(v, tuple)
            else v
            for k, v in update.items()
        }
    )
    return Scenario.model_validate(data)


def stops_near(scenario: Scenario, territory: Territory, codes: Sequence[str]) -> tuple[Stop, ...]:
    """The scenario's stops restricted to some INSEE codes."""
    return tuple(s for s in build_stops(scenario, territory) if s.insee in codes)


def check_plan(
    plan: Plan, scenario: Scenario, stops: Sequence[Stop], matrices: Mapping[str, TravelMatrix]
) -> None:
    """Assert every hard rule of a plan (windows, legs, lunch, caps, crews, hours)."""
    units = {u.id: u for u in scenario.units}
    staff = {m.id: m for m in scenario.staff}
    by_id = {s.id: s for s in stops}
    assert Plan.model_validate_json(plan.model_dump_json()) == plan
    on_day: dict[tuple[str, dt.date], str] = {}
    week_min: dict[str, int] = {}
    for tour in plan.tours:
        unit = units[tour.unit_id]
        matrix = matrices[unit.vehicle.key]
        # the shift lies in the unit's day; the tour in the shift
        assert unit.day.start <= tour.shift_start <= tour.departure
        assert tour.departure <= tour.return_time <= tour.shift_end <= unit.day.end
        assert 1 <= len(tour.visits) <= unit.stops_per_day
        prev, prev_departure = "depot", tour.departure
        unit_drive = 0
        for visit in tour.visits:
            stop = by_id[visit.stop_id]
            assert unit.id in stop.units
            assert any(
                w.start <= visit.session_start <= w.end for w in stop.windows_on(tour.date)
            ), (visit, tour.date)
            assert visit.session_end == visit.session_start + unit.session_min
            drive = math.ceil(
                matrix.travel_time_s[matrix.index(prev)][matrix.index(visit.stop_id)] / 60
            )
            assert visit.drive_min == drive
            assert prev_departure + drive <= visit.arrival
            setup = unit.setup_min if visit.setup else 0
            assert visit.arrival + setup <= visit.session_start
            packup = unit.packup_min if visit.packup else 0
            assert visit.session_end + packup <= visit.departure
            if not visit.continues_stay:
                unit_drive += drive
            prev, prev_departure = visit.stop_id, visit.departure
        back = math.ceil(matrix.travel_time_s[matrix.index(prev)][0] / 60)
        assert tour.return_drive_min == back
        assert prev_departure + back <= tour.return_time
        assert tour.unit_drive_min <= unit.max_drive_min
        if unit.lunch is not None:
            assert tour.lunch is not None
            assert unit.lunch.start <= tour.lunch.start
            assert tour.lunch.end <= unit.lunch.end
            assert tour.lunch.end - tour.lunch.start == unit.lunch.duration_min
            for visit in tour.visits:  # never during a session
                assert (
                    tour.lunch.end <= visit.session_start or tour.lunch.start >= visit.session_end
                )
        # full crew with the right skills; staff rules
        assert len(tour.crew) == len(unit.crew) == len(set(tour.crew))
        for role, sid in zip(unit.crew, tour.crew, strict=True):
            member = staff[sid]
            assert set(role.skills) <= set(member.skills)
            assert not dates_cover(member.absences, tour.date)
            windows = member.availability.get(WEEKDAYS[tour.date.weekday()], ())
            assert any(w.start <= tour.shift_start and tour.shift_end <= w.end for w in windows)
            assert tour.shift_end - tour.shift_start <= member.max_hours_day * 60
            assert (sid, tour.date) not in on_day, f"{sid} twice on {tour.date}"
            on_day[(sid, tour.date)] = tour.unit_id
            week_min[sid] = week_min.get(sid, 0) + tour.shift_end - tour.shift_start
    for sid, minutes in week_min.items():
        assert minutes <= staff[sid].max_hours_week * 60
    # at most max_visits a week, never twice the same day
    seen: dict[str, list[dt.date]] = {}
    for tour in plan.tours:
        for visit in tour.visits:
            if visit.continues_stay:
                continue
            seen.setdefault(visit.stop_id, []).append(tour.date)
    for stop_id, dates in seen.items():
        assert len(dates) == len(set(dates)), f"{stop_id} twice on one day"
        assert len(dates) <= by_id[stop_id].max_visits_per_week
