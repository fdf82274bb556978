"""Turn a scenario, its stops, demand and travel matrices into plain routing data.

Two layers, both frozen dataclasses with no OR-Tools type:

* a generic vehicle routing problem with time windows and prizes (:class:`RoutingProblem`
  with :class:`Node`, :class:`Vehicle`, :class:`Matrix`), enough to express a Solomon
  VRPTW or an orienteering instance without a scenario;
* the week's context (:class:`WeekData`): unit-days, crew roles, commune values and
  multi-day stay options, which the roster model and the plan extraction read.

Time in the week problem is in whole minutes since Monday 00:00 of the ISO week
(``day * 1440 + minute``); travel times are rounded up to whole minutes, once, here.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from itertools import pairwise
from typing import TYPE_CHECKING, Literal

import holidays as holidays_lib

from itinerant.demand import is_overdue_mandatory, target_interval_days, urgency
from itinerant.errors import InfeasiblePlanError
from itinerant.i18n import Message
from itinerant.scenario import WEEKDAYS, Period, Scenario, Unit, dates_cover

if TYPE_CHECKING:
    from itinerant.geo.matrix import TravelMatrix
    from itinerant.territory import Stop

__all__ = [
    "DAY_MIN",
    "VALUE_SCALE",
    "WEEKDAYS_EN",
    "BreakRule",
    "Matrix",
    "Node",
    "RoutingProblem",
    "StayDay",
    "StayOption",
    "StopDemand",
    "UnitDay",
    "Vehicle",
    "WeekData",
    "build_problem",
    "is_overdue_mandatory",
    "restrict_to_roster",
    "target_interval_days",
    "urgency",
    "week_dates",
]

logger = logging.getLogger(__name__)

DAY_MIN = 24 * 60
"""Minutes in a day: absolute week time is ``day_index * DAY_MIN + minute``."""

VALUE_SCALE = 100
"""Objective values are integers: one unit of ``value_per_visit`` is this many points."""

WEEKDAYS_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
"""English weekday names for messages (locale-independent)."""

MIN_URGENCY = 0.05
"""Floor of a visit's urgency weight, so that every visit keeps some value."""

ANNOUNCED_TIME_BAND_MIN = 30
"""A replan keeps an announced session within this many minutes of its announced start
(on its announced day), where it can; else the time, then the day, are released."""

PIN_BONUS_FACTOR = 3.0
"""Keep bonus of an announced (pinned) visit, in ``value_per_visit`` units.

The cost of cancelling or moving a visit the public was told about: a replan keeps an
announced visit unless dropping it frees more than three ordinary visits' worth.
"""


# --------------------------------------------------------------------------- generic VRP


@dataclass(frozen=True)
class Matrix:
    """Travel times between locations, for one vehicle profile, and their distances.

    ``distance`` holds every pair where it is given up front (instances that price
    distance); otherwise ``legs`` gives the pairs asked, computed on demand (the legs a
    plan drives). Exactly one of them is set; read distances with :meth:`distances`.
    """

    key: str
    travel: tuple[tuple[int, ...], ...]
    distance: tuple[tuple[int, ...], ...] | None = None
    legs: Callable[[Sequence[tuple[int, int]]], tuple[int, ...]] | None = None

    def __post_init__(self) -> None:
        if (self.distance is None) == (self.legs is None):
            msg = f"matrix {self.key!r}: give distance or legs, exactly one"
            raise ValueError(msg)

    def distances(self, pairs: Sequence[tuple[int, int]]) -> tuple[int, ...]:
        """Distance of each ``(from, to)`` pair of locations."""
        if self.distance is not None:
            return tuple(self.distance[a][b] for a, b in pairs)
        assert self.legs is not None  # __post_init__
        return self.legs(pairs)


@dataclass(frozen=True)
class BreakRule:
    """A break of ``duration`` that starts in ``[earliest, latest]`` (absolute time)."""

    earliest: int
    latest: int
    duration: int


@dataclass(frozen=True)
class Node:
    """A visit option: service starts inside one of ``windows``; optional with a prize.

    ``requires``: id of a node that must also be visited, ``min_gap`` earlier at least
    (a second visit needs the first, on another day).
    """

    id: str
    location: int
    windows: tuple[tuple[int, int], ...]
    service: int = 0
    demand: int = 0
    prize: int = 0
    mandatory: bool = False
    vehicles: tuple[str, ...] | None = None
    requires: str | None = None
    min_gap: int = 0


@dataclass(frozen=True)
class Vehicle:
    """A route: leave ``start_location`` in ``start_window``, end in ``end_window``.

    Every node it visits costs ``setup`` before the service start and ``service`` after it,
    on top of the node's own ``service``.
    """

    id: str
    profile: str
    start_location: int
    end_location: int
    start_window: tuple[int, int]
    end_window: tuple[int, int]
    setup: int = 0
    service: int = 0
    max_drive: int | None = None
    max_stops: int | None = None
    capacity: int | None = None
    lunch: BreakRule | None = None
    cost_per_time: int = 1
    cost_per_distance: int = 0
    fixed_cost: int = 0


@dataclass(frozen=True)
class RoutingProblem:
    """A prize-collecting VRP with time windows; ``week`` links it to a scenario."""

    matrices: tuple[Matrix, ...]
    nodes: tuple[Node, ...]
    vehicles: tuple[Vehicle, ...]
    horizon: int
    mandatory_penalty: int | None = None
    week: WeekData | None = None

    def matrix(self, key: str) -> Matrix:
        """Return the matrix of a profile key."""
        for matrix in self.matrices:
            if matrix.key == key:
                return matrix
        msg = f"no travel matrix for profile {key!r}"
        raise KeyError(msg)


# --------------------------------------------------------------------------- week data


@dataclass(frozen=True)
class UnitDay:
    """A unit on a date: a candidate tour (it goes out only with a full crew)."""

    id: str
    unit_id: str
    date: dt.date
    day_index: int
    window: tuple[int, int]
    roles: tuple[tuple[str, tuple[str, ...]], ...]
    mode: Literal["route", "stay"]
    min_span: int
    value_per_min: int


@dataclass(frozen=True)
class StopDemand:
    """A stop's demand this week: values of its first and later visits, bounds."""

    stop_id: str
    score: float
    days_since: int | None
    interval_days: float
    urgency: float
    value: float
    mandatory: bool
    mandatory_reason: str
    min_visits: int
    max_visits: int


@dataclass(frozen=True)
class StayDay:
    """One day of a stay option (or a single-day visit of a single-stop unit)."""

    date: dt.date
    role: Literal["single", "first", "middle", "last"]
    departure: int
    arrival: int
    session_start: int
    session_end: int
    site_departure: int
    return_time: int
    lunch: tuple[int, int] | None
    out_drive: int
    out_distance: int
    back_drive: int
    back_distance: int
    unit_drive: int
    value: int


@dataclass(frozen=True)
class StayOption:
    """A single-stop unit at one stop on consecutive dates (one date: a day visit)."""

    unit_id: str
    stop_id: str
    days: tuple[StayDay, ...]

    @property
    def value(self) -> int:
        """Total prize of the option."""
        return sum(day.value for day in self.days)


@dataclass(frozen=True)
class WeekData:
    """The scenario-side context of a week's routing problem."""

    week: str
    dates: tuple[dt.date, ...]
    monday: dt.date
    unit_days: tuple[UnitDay, ...]
    idle: tuple[tuple[str, dt.date, Message], ...]
    demand: tuple[StopDemand, ...]
    stays: tuple[StayOption, ...]
    travel_cost_per_min: int
    second_visit_factor: float
    bases: tuple[tuple[str, int], ...]
    """Matrix index of each unit's base, by unit id (its tours start and end there)."""
    locations: tuple[str, ...]
    pinned: tuple[tuple[str, dt.date | None], ...] = ()
    """Announced visits (stop id, date; None: released, bonus only) of a replan."""
    pin_bonus: int = 0
    """Prize added to the first visit of each pinned stop (see :data:`PIN_BONUS_FACTOR`)."""

    announced: tuple[tuple[str, int], ...] = ()
    """Announced session starts (stop id, week minute) held by a replan's time band."""

    def announced_start(self, stop_id: str) -> int | None:
        """Return the announced session start of a pinned stop, in week minutes (None: free)."""
        return dict(self.announced).get(stop_id)

    def pin_of(self, stop_id: str) -> tuple[bool, dt.date | None]:
        """Whether a stop is pinned, and its announced date (None: released)."""
        for sid, date in self.pinned:
            if sid == stop_id:
                return True, date
        return False, None

    @cached_property
    def _indexes(self) -> tuple[dict[str, UnitDay], dict[str, StopDemand], dict[str, int]]:
        """Unit-days, demands and locations by id, built once (lookups stay O(1))."""
        return (
            {ud.id: ud for ud in self.unit_days},
            {d.stop_id: d for d in self.demand},
            {pid: i for i, pid in enumerate(self.locations)},
        )

    def base_location(self, unit_id: str) -> int:
        """Return the matrix index of a unit's base."""
        return dict(self.bases)[unit_id]

    def unit_day(self, unit_day_id: str) -> UnitDay:
        """Return a unit-day by id."""
        return self._indexes[0][unit_day_id]

    def stop_demand(self, stop_id: str) -> StopDemand:
        """Return a stop's demand by id."""
        return self._indexes[1][stop_id]

    def location(self, point_id: str) -> int:
        """Return the matrix index of a point id (a base id or a stop id)."""
        return self._indexes[2][point_id]


# --------------------------------------------------------------------------- dates


def week_dates(period: Period, week: str) -> tuple[dt.date, ...]:
    """Working dates of an ISO week: the period's weekdays, minus holidays and days off."""
    year, number = int(week[:4]), int(week[6:8])
    monday = dt.date.fromisocalendar(year, number, 1)
    days = [monday + dt.timedelta(days=i) for i in range(7)]
    public: set[dt.date] = set()
    if period.public_holidays == "france":
        calendar = holidays_lib.country_holidays("FR", years={d.year for d in days})
        public = set(calendar.keys())
    return tuple(
        day
        for day in days
        if WEEKDAYS[day.weekday()] in period.working_days
        and day not in public
        and not dates_cover(period.days_off, day)
    )


def iso_week_of(day: dt.date) -> str:
    """ISO week label of a date, e.g. ``2026-W49``."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def plan_mode(unit: Unit) -> Literal["route", "stay"]:
    """How a unit is planned: single-stop units that may stay are assigned by CP-SAT."""
    return "stay" if unit.allows_multi_day_stays and unit.stops_per_day == 1 else "route"


# --------------------------------------------------------------------------- builder


def _to_matrix(tm: TravelMatrix, point_ids: Sequence[str]) -> Matrix:
    """Reorder a travel matrix onto ``point_ids``, seconds rounded up to minutes.

    Distances stay with the travel matrix, computed for the legs asked.
    """
    rows = [tm.index(pid) for pid in point_ids]
    travel = tuple(tuple(math.ceil(tm.travel_time_s[i][j] / 60) for j in rows) for i in rows)

    def legs(pairs: Sequence[tuple[int, int]]) -> tuple[int, ...]:
        return tm.distances_m((rows[a], rows[b]) for a, b in pairs)

    return Matrix(key=tm.profile, travel=travel, legs=legs)


def _stop_demand(
    stop: Stop,
    score: float,
    last: dt.date | None,
    monday: dt.date,
    scenario: Scenario,
) -> StopDemand:
    interval = target_interval_days(score, scenario.rotation)
    days_since = (monday - last).days if last is not None else None
    weight = max(urgency(days_since, interval), MIN_URGENCY)
    overdue = is_overdue_mandatory(days_since, interval, scenario.rotation)
    reasons = []
    if stop.must_visit:
        reasons.append("must-visit stop")
    if overdue:
        reasons.append(
            f"overdue: last visit {days_since} days ago, target every {interval:.0f} days"
        )
    if stop.min_visits_per_week > 0:
        reasons.append(f"at least {stop.min_visits_per_week} visit(s) a week")
    max_visits = stop.max_visits_per_week
    mandatory = (stop.must_visit or overdue) and max_visits > 0
    return StopDemand(
        stop_id=stop.id,
        score=score,
        days_since=days_since,
        interval_days=interval,
        urgency=weight,
        value=scenario.solver.value_per_visit * score * weight,
        mandatory=mandatory,
        mandatory_reason="; ".join(reasons),
        min_visits=min(max(stop.min_visits_per_week, 1 if mandatory else 0), max_visits),
        max_visits=max_visits,
    )


def visit_prize(demand: StopDemand, rank: int, second_visit_factor: float) -> int:
    """Integer prize of a stop's ``rank``-th visit of the week (1-based)."""
    factor = 1.0 if rank == 1 else second_visit_factor
    return max(1, round(VALUE_SCALE * demand.value * factor))


def _stay_day(
    unit: Unit,
    role: Literal["single", "first", "middle", "last"],
    date: dt.date,
    window: tuple[int, int],
    session_windows: Sequence[tuple[int, int]],
    travel: int,
    distance: int,
    lunch: tuple[int, int, int] | None,
    max_drive: int,
    value: int,
) -> StayDay | None:
    """Earliest feasible timing of one day at a stop for a single-stop unit, or None.

    The unit is towed out on a ``single``/``first`` day (then set up) and back on a
    ``single``/``last`` day (after packing up); on the other days the crew commutes
    (same travel time, not counted as the unit's driving) and the unit stays put.
    """
    setup = unit.setup_min if role in ("single", "first") else 0
    packup = unit.packup_min if role in ("single", "last") else 0
    tows_out = role in ("single", "first")
    tows_back = role in ("single", "last")
    unit_drive = travel * (int(tows_out) + int(tows_back))
    if unit_drive > max_drive:
        return None
    for w0, w1 in session_windows:
        # the earliest session start, then later ones by 15 minutes
        start = max(w0, window[0] + travel + setup)
        while start <= w1:
            best = _day_timeline(start, unit.session_min, setup, packup, travel, lunch)
            if best is not None and best[0] >= window[0] and best[3] <= window[1]:
                depart, arrival, site_departure, back, slot = best
                return StayDay(
                    date=date,
                    role=role,
                    departure=depart,
                    arrival=arrival,
                    session_start=start,
                    session_end=start + unit.session_min,
                    site_departure=site_departure,
                    return_time=back,
                    lunch=slot,
                    out_drive=travel,
                    out_distance=distance,
                    back_drive=travel,
                    back_distance=distance,
                    unit_drive=unit_drive,
                    value=value,
                )
            start += 15
    return None


def _day_timeline(
    s: int,
    session: int,
    setup: int,
    packup: int,
    travel: int,
    lunch: tuple[int, int, int] | None,
) -> tuple[int, int, int, int, tuple[int, int] | None] | None:
    """Find the shortest day around a session starting at ``s``.

    The day is: drive, set up, session, pack up, drive back, with the lunch break between
    two of these steps (or before, or after).

    Returns (departure, arrival on site, departure from site, return, lunch) or None.
    """
    e = s + session
    if lunch is None:
        return (s - setup - travel, s - setup, e + packup, e + packup + travel, None)
    earliest, latest, dur = lunch
    options: list[tuple[int, int, int, int, tuple[int, int] | None]] = []
    # lunch before the session: after it come (drive, setup), (setup) or nothing
    for after in (travel + setup, setup, 0):
        x = min(latest, s - after - dur)
        if x < earliest:
            continue
        if after == travel + setup:
            depart = x + dur
            arrival = depart + travel
        elif after == setup:
            arrival = x
            depart = x - travel
        else:
            arrival = x - setup
            depart = arrival - travel
        options.append((depart, arrival, e + packup, e + packup + travel, (x, x + dur)))
    # lunch after the session: before pack-up, before the drive back, or after it
    for before in (0, packup, packup + travel):
        x = max(earliest, e + before)
        if x > latest:
            continue
        depart, arrival = s - setup - travel, s - setup
        if before == 0:
            site = x + dur + packup
            back = site + travel
        elif before == packup:
            site = x + dur
            back = site + travel
        else:
            site = e + packup
            back = site + travel
        options.append((depart, arrival, site, back, (x, x + dur)))
    if not options:
        return None
    return min(options, key=lambda o: (o[3] - o[0], o[0]))


def build_problem(
    scenario: Scenario,
    stops: Sequence[Stop],
    scores: Mapping[str, float],
    last_visits: Mapping[str, dt.date],
    matrices: Mapping[str, TravelMatrix],
    *,
    week_dates: Sequence[dt.date],
    week: str | None = None,
    pinned: Mapping[str, dt.date | None] | None = None,
    announced_starts: Mapping[str, int] | None = None,
) -> RoutingProblem:
    """Build the week's routing problem: every candidate unit-day is a vehicle.

    Parameters
    ----------
    scenario
        The scenario (units, rotation, solver weights).
    stops
        The stops of the week (see :func:`itinerant.territory.build_stops`).
    scores
        Demand score in [0, 1] by INSEE code (missing: 0).
    last_visits
        Date of the last visit by INSEE code (missing: never visited).
    matrices
        Travel matrices by :attr:`VehicleProfile.key`, over the base ids (``"depot"`` for
        the one-base shorthand) and the stop ids.
    week_dates
        Working dates of the week (see :func:`week_dates`).
    week
        ISO week label; default: the week of the first date.
    pinned
        Announced visits of a replan: stop id -> announced date (None: the visit may
        move to any day). The stop's first visit gets a keep bonus
        (:data:`PIN_BONUS_FACTOR`); with a date, it is limited to that date's windows
        (routed units) or to the stay options that include it (single-stop units),
        when that date still has any. Default: nothing pinned.
    announced_starts
        Announced session start (minutes since midnight) of pinned visits with a date:
        the session then starts within :data:`ANNOUNCED_TIME_BAND_MIN` of it, when the
        date's windows allow (a hard band: the caller relaxes it for visits it drops).

    Returns
    -------
    RoutingProblem
        Vehicles for the unit-days planned by routing, nodes for the visits, and the
        :class:`WeekData` with unit-days, demand and stay options.
    """
    dates = tuple(sorted(week_dates))
    if not dates:
        msg = "the week has no working day (holidays, days off): nothing to plan"
        raise InfeasiblePlanError(msg)
    monday = dates[0] - dt.timedelta(days=dates[0].weekday())
    label = week if week is not None else iso_week_of(dates[0])
    locations = (*(base.id for base in scenario.all_bases), *(stop.id for stop in stops))
    loc_of = {sid: i for i, sid in enumerate(locations)}
    home = {unit.id: loc_of[scenario.base_of(unit).id] for unit in scenario.units}
    needed = sorted({unit.vehicle.key for unit in scenario.units})
    missing = [key for key in needed if key not in matrices]
    if missing:
        msg = f"no travel matrix for vehicle profile(s) {', '.join(missing)}"
        raise KeyError(msg)
    mats = tuple(_to_matrix(matrices[key], locations) for key in needed)
    mat_of = {m.key: m for m in mats}

    demand = tuple(
        _stop_demand(
            stop, float(scores.get(stop.insee, 0.0)), last_visits.get(stop.insee), monday, scenario
        )
        for stop in stops
    )
    per_min = max(1, round(VALUE_SCALE * scenario.solver.travel_cost_per_hour / 60))
    factor = scenario.rotation.second_visit_factor
    pins = dict(pinned or {})
    announced = {
        sid: (day - monday).days * DAY_MIN + start
        for sid, start in (announced_starts or {}).items()
        if (day := pins.get(sid)) is not None
    }

    bonus = round(VALUE_SCALE * scenario.solver.value_per_visit * PIN_BONUS_FACTOR)

    # unit-days
    unit_days: list[UnitDay] = []
    idle: list[tuple[str, dt.date, Message]] = []
    for unit in sorted(scenario.units, key=lambda u: u.id):
        unit_weekdays = unit.working_days if unit.working_days is not None else None
        allowed = [s for s in stops if unit.id in s.units]
        matrix = mat_of[unit.vehicle.key]
        near = min((matrix.travel[home[unit.id]][loc_of[s.id]] for s in allowed), default=0)
        top = sorted(
            (
                visit_prize(d, 1, factor)
                for d, s in zip(demand, stops, strict=True)
                if unit.id in s.units
            ),
            reverse=True,
        )
        slots = unit.stops_per_day * len(dates)
        mean_top = sum(top[:slots]) / max(1, min(slots, len(top)))
        for date in dates:
            day_index = (date - monday).days
            weekday = WEEKDAYS[date.weekday()]
            hours, lunch = unit.day_on(weekday), unit.lunch_on(weekday)
            if unit_weekdays is not None and weekday not in unit_weekdays:
                day_off = Message("summary.idle.day_off", {"unit": unit.name, "weekday": date})
                idle.append((unit.id, date, day_off))
                continue
            if dates_cover(unit.unavailable, date):
                unavailable = Message("idle.unavailable", {"unit": unit.name, "day": date})
                idle.append((unit.id, date, unavailable))
                continue
            base = day_index * DAY_MIN
            unit_days.append(
                UnitDay(
                    id=f"{unit.id}@{date.isoformat()}",
                    unit_id=unit.id,
                    date=date,
                    day_index=day_index,
                    window=(base + hours.start, base + hours.end),
                    roles=tuple((role.role, tuple(sorted(role.skills))) for role in unit.crew),
                    mode=plan_mode(unit),
                    min_span=min(
                        hours.duration_min,
                        unit.visit_min + 2 * near + (lunch.duration_min if lunch else 0),
                    ),
                    value_per_min=max(
                        1, round(unit.stops_on(weekday) * mean_top / max(1, hours.duration_min))
                    ),
                )
            )

    # routing vehicles
    vehicles: list[Vehicle] = []
    for ud in unit_days:
        if ud.mode != "route":
            continue
        unit = _unit(scenario, ud.unit_id)
        base = ud.day_index * DAY_MIN
        weekday = WEEKDAYS[ud.date.weekday()]
        rule = unit.lunch_on(weekday)
        lunch_break = None
        if rule is not None:
            lunch_break = BreakRule(
                base + rule.start, base + rule.end - rule.duration_min, rule.duration_min
            )
        vehicles.append(
            Vehicle(
                id=ud.id,
                profile=unit.vehicle.key,
                start_location=home[unit.id],
                end_location=home[unit.id],
                start_window=ud.window,
                end_window=ud.window,
                setup=unit.setup_min,
                service=unit.session_min + unit.packup_min,
                max_drive=unit.max_drive_min,
                max_stops=unit.stops_on(weekday),
                lunch=lunch_break,
                cost_per_time=per_min,
            )
        )

    # nodes: one per (stop, rank) for the routed units
    nodes: list[Node] = []
    for stop, dem in zip(stops, demand, strict=True):
        allowed_ids = tuple(v.id for v in vehicles if _unit_of(v.id) in stop.units)
        windows = _windows(stop, [v for v in vehicles if v.id in allowed_ids], unit_days)
        if not allowed_ids or not windows:
            continue
        made = _stop_nodes(
            stop.id, loc_of[stop.id], dem, windows, allowed_ids, factor, exclude_dates=()
        )
        if stop.id in pins and made:
            first = made[0]
            day = pins[stop.id]
            kept = (
                _pinned_windows(windows, (day - monday).days, announced.get(stop.id))
                if day is not None
                else ()
            )
            made[0] = replace(first, prize=first.prize + bonus, windows=kept or first.windows)
        nodes.extend(made)

    # stay options for single-stop units that may stay
    stays: list[StayOption] = []
    for unit in sorted(scenario.units, key=lambda u: u.id):
        if plan_mode(unit) != "stay":
            continue
        uds = [ud for ud in unit_days if ud.unit_id == unit.id]
        matrix = mat_of[unit.vehicle.key]
        sites = [
            (stop, dem)
            for stop, dem in zip(stops, demand, strict=True)
            if unit.id in stop.units and dem.max_visits > 0
        ]
        out = matrix.distances([(home[unit.id], loc_of[stop.id]) for stop, _ in sites])
        for (stop, dem), distance in zip(sites, out, strict=True):
            travel = matrix.travel[home[unit.id]][loc_of[stop.id]]
            options = _stay_options(unit, stop, dem, uds, travel, distance, factor)
            if stop.id in pins:
                options = _pin_stays(options, pins[stop.id], bonus)
            stays.extend(options)

    total = sum(n.prize for n in nodes) + sum(o.value for o in stays)
    week_data = WeekData(
        week=label,
        dates=dates,
        monday=monday,
        unit_days=tuple(unit_days),
        idle=tuple(idle),
        demand=demand,
        stays=tuple(stays),
        travel_cost_per_min=per_min,
        second_visit_factor=factor,
        bases=tuple(sorted(home.items())),
        locations=locations,
        pinned=tuple(sorted(pins.items())),
        pin_bonus=bonus if pins else 0,
        announced=tuple(sorted(announced.items())),
    )
    logger.info(
        "week %s: %d unit-days, %d visit nodes, %d stay options",
        label,
        len(unit_days),
        len(nodes),
        len(stays),
    )
    return RoutingProblem(
        matrices=mats,
        nodes=tuple(nodes),
        vehicles=tuple(vehicles),
        horizon=DAY_MIN * 7,
        mandatory_penalty=100 * (total + 1),
        week=week_data,
    )


def _unit(scenario: Scenario, unit_id: str) -> Unit:
    for unit in scenario.units:
        if unit.id == unit_id:
            return unit
    raise KeyError(unit_id)


def _on_date(windows: Sequence[tuple[int, int]], day_index: int) -> tuple[tuple[int, int], ...]:
    """Return the absolute windows that lie on one day of the week."""
    return tuple(w for w in windows if w[0] // DAY_MIN == day_index)


def _pinned_windows(
    windows: Sequence[tuple[int, int]], day_index: int, announced: int | None
) -> tuple[tuple[int, int], ...]:
    """Windows of an announced visit: on its day, near its announced time where possible."""
    on_date = _on_date(windows, day_index)
    if on_date and announced is not None:
        return _near(on_date, announced) or on_date
    return on_date


def _near(windows: Sequence[tuple[int, int]], start: int) -> tuple[tuple[int, int], ...]:
    """Return the parts of ``windows`` within :data:`ANNOUNCED_TIME_BAND_MIN` of ``start``."""
    low, high = start - ANNOUNCED_TIME_BAND_MIN, start + ANNOUNCED_TIME_BAND_MIN
    return tuple((max(a, low), min(b, high)) for a, b in windows if max(a, low) <= min(b, high))


def _pin_stays(options: list[StayOption], date: dt.date | None, bonus: int) -> list[StayOption]:
    """Keep the stay options that include an announced date (all if none does), plus bonus."""
    if date is not None:
        options = [o for o in options if any(d.date == date for d in o.days)] or options
    return [
        replace(o, days=(replace(o.days[0], value=o.days[0].value + bonus), *o.days[1:]))
        for o in options
    ]


def _unit_of(vehicle_id: str) -> str:
    return vehicle_id.split("@", 1)[0]


def _windows(
    stop: Stop,
    vehicles: Sequence[Vehicle],
    unit_days: Sequence[UnitDay],
    exclude_dates: Sequence[dt.date] = (),
) -> tuple[tuple[int, int], ...]:
    """Absolute session-start windows of a stop on the dates its vehicles go out."""
    by_id = {ud.id: ud for ud in unit_days}
    days = sorted({(by_id[v.id].day_index, by_id[v.id].date) for v in vehicles})
    out: list[tuple[int, int]] = []
    for day_index, date in days:
        if date in exclude_dates:
            continue
        base = day_index * DAY_MIN
        out.extend((base + w.start, base + w.end) for w in stop.windows_on(date))
    return tuple(out)


def _stop_nodes(
    stop_id: str,
    location: int,
    dem: StopDemand,
    windows: tuple[tuple[int, int], ...],
    vehicles: tuple[str, ...],
    factor: float,
    *,
    exclude_dates: Sequence[dt.date],
    first_rank: int = 1,
) -> list[Node]:
    del exclude_dates
    starts = [w0 % DAY_MIN for w0, _ in windows]
    ends = [w1 % DAY_MIN for _, w1 in windows]
    # a later visit starts at least `gap` after the previous one: more than any two
    # session starts of one day can differ, so never on the same day
    gap = max(ends) - min(starts) + 1
    nodes = []
    previous: str | None = None
    for rank in range(first_rank, dem.max_visits + 1):
        node_id = f"{stop_id}#{rank}"
        nodes.append(
            Node(
                id=node_id,
                location=location,
                windows=windows,
                prize=visit_prize(dem, rank, factor),
                mandatory=rank <= dem.min_visits,
                vehicles=vehicles,
                requires=previous,
                min_gap=gap if previous else 0,
            )
        )
        previous = node_id
    return nodes


def _stay_options(
    unit: Unit,
    stop: Stop,
    dem: StopDemand,
    uds: Sequence[UnitDay],
    travel: int,
    distance: int,
    factor: float,
) -> list[StayOption]:
    """Every feasible block of consecutive dates the unit may spend at the stop."""
    options: list[StayOption] = []
    max_len = unit.max_stay_days if unit.allows_multi_day_stays else 1
    for i in range(len(uds)):
        for length in range(1, max_len + 1):
            block = uds[i : i + length]
            if len(block) < length:
                break
            if any((b.date - a.date).days != 1 for a, b in pairwise(block)):
                break
            days: list[StayDay] = []
            for k, ud in enumerate(block):
                role: Literal["single", "first", "middle", "last"] = (
                    "single"
                    if length == 1
                    else "first"
                    if k == 0
                    else "last"
                    if k == length - 1
                    else "middle"
                )
                base = ud.day_index * DAY_MIN
                windows = [(base + w.start, base + w.end) for w in stop.windows_on(ud.date)]
                lunch = None
                lunch_rule = unit.lunch_on(WEEKDAYS[ud.date.weekday()])
                if lunch_rule is not None:
                    lunch = (
                        base + lunch_rule.start,
                        base + lunch_rule.end - lunch_rule.duration_min,
                        lunch_rule.duration_min,
                    )
                value = visit_prize(dem, 1 if k == 0 else 2, factor)
                day = _stay_day(
                    unit,
                    role,
                    ud.date,
                    ud.window,
                    windows,
                    travel,
                    distance,
                    lunch,
                    unit.max_drive_min,
                    value,
                )
                if day is None:
                    break
                days.append(day)
            if len(days) == length:
                options.append(StayOption(unit_id=unit.id, stop_id=stop.id, days=tuple(days)))
    return options


def restrict_to_roster(
    problem: RoutingProblem,
    shifts: Mapping[str, tuple[int, int]],
    stays: Sequence[StayOption],
    stops: Sequence[Stop],
) -> RoutingProblem:
    """Keep the crewed vehicles within their shifts, and the visits stays leave to do.

    A stop served by a stay keeps its later visits (worth ``second_visit_factor``), away
    from the stay's dates; its mandatory first visit is then done.
    """
    week = problem.week
    if week is None:
        msg = "restrict_to_roster needs a week problem"
        raise ValueError(msg)
    vehicles = []
    for v in problem.vehicles:
        if v.id not in shifts:
            continue
        start, end = shifts[v.id]
        vehicles.append(replace(v, start_window=(start, end), end_window=(start, end)))
    kept = {v.id for v in vehicles}
    stayed = {o.stop_id: o for o in stays}
    by_stop = {s.id: s for s in stops}
    nodes: list[Node] = []
    done: set[str] = set()
    for node in problem.nodes:
        stop_id = node.id.split("#", 1)[0]
        if stop_id in done:
            continue
        allowed = tuple(v for v in (node.vehicles or ()) if v in kept)
        if stop_id not in stayed:
            windows = _windows(
                by_stop[stop_id], [v for v in vehicles if v.id in allowed], week.unit_days
            )
            pinned, day = week.pin_of(stop_id)
            if pinned and day is not None and node.id.endswith("#1"):
                day_index = (day - week.monday).days
                windows = (
                    _pinned_windows(windows, day_index, week.announced_start(stop_id)) or windows
                )
            if allowed and windows:
                nodes.append(replace(node, vehicles=allowed, windows=windows))
            continue
        done.add(stop_id)
        dem = week.stop_demand(stop_id)
        stay_dates = [d.date for d in stayed[stop_id].days]
        windows = _windows(
            by_stop[stop_id], [v for v in vehicles if v.id in allowed], week.unit_days, stay_dates
        )
        if not allowed or not windows or dem.max_visits < 2:
            continue
        later = _stop_nodes(
            stop_id,
            node.location,
            dem,
            windows,
            allowed,
            week.second_visit_factor,
            exclude_dates=(),
            first_rank=2,
        )
        nodes.extend(
            replace(n, requires=None, min_gap=0) if n.id.endswith("#2") else n for n in later
        )
    return replace(problem, vehicles=tuple(vehicles), nodes=tuple(nodes))
