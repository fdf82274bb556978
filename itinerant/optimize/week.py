"""Plan a week end to end: pre-checks, roster (CP-SAT), routing (OR-Tools), the Plan."""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from itinerant.errors import InfeasiblePlanError
from itinerant.i18n import Message
from itinerant.optimize.crew import Roster, crew_blockers, solve_roster, stay_blocker
from itinerant.optimize.problem import (
    DAY_MIN,
    VALUE_SCALE,
    RoutingProblem,
    StayOption,
    StopDemand,
    UnitDay,
    WeekData,
    build_problem,
    restrict_to_roster,
    week_dates,
)
from itinerant.optimize.routing import FirstSolution, RoutingResult, solve_with
from itinerant.plan import (
    IdleUnitDay,
    Kpis,
    LunchSlot,
    Plan,
    Provenance,
    RosterEntry,
    SearchRun,
    SearchStats,
    SkipReason,
    Tour,
    Unvisited,
    Visit,
)

if TYPE_CHECKING:
    from itinerant.geo.matrix import TravelMatrix
    from itinerant.scenario import Scenario, SolverSettings, Staff, Unit
    from itinerant.territory import Stop, Territory

__all__ = ["plan_week", "week_kpis"]

logger = logging.getLogger(__name__)


def _stop_label(stop: Stop) -> str:
    return f"{stop.commune_name} ({stop.insee})"


def _single_visit_fits(
    unit: Unit, stop: Stop, ud: UnitDay, shift: tuple[int, int], problem: RoutingProblem
) -> bool:
    """Whether a lone visit (base, stop, base) fits the unit-day, lunch aside."""
    week = problem.week
    assert week is not None
    loc, home = week.location(stop.id), week.base_location(unit.id)
    matrix = problem.matrix(unit.vehicle.key)
    out, back = matrix.travel[home][loc], matrix.travel[loc][home]
    if out + back > unit.max_drive_min:
        return False
    base = ud.day_index * DAY_MIN
    for w in stop.windows_on(ud.date):
        start = max(base + w.start, shift[0] + out + unit.setup_min)
        if start <= base + w.end and start + unit.session_min + unit.packup_min + back <= shift[1]:
            return True
    return False


def plan_week(
    scenario: Scenario,
    stops: Sequence[Stop],
    scores: Mapping[str, float],
    last_visits: Mapping[str, dt.date],
    matrices: Mapping[str, TravelMatrix],
    *,
    week: str,
    scenario_hash: str = "",
    generated_at: dt.datetime | None = None,
    seed: int | None = None,
    territory: Territory | None = None,
    first_solution: FirstSolution | None = None,
    pinned: Mapping[str, dt.date] | None = None,
    announced_starts: Mapping[str, int] | None = None,
) -> Plan:
    """Plan a week: who goes out when, where, in which order and at what time.

    Parameters
    ----------
    scenario
        The scenario.
    stops
        Its stops (:func:`itinerant.territory.build_stops`).
    scores
        Demand score in [0, 1] by INSEE code.
    last_visits
        Date of each commune's last visit, by INSEE code (missing: never visited).
    matrices
        Travel matrices by vehicle profile key, over the base ids and the stop ids.
    week
        ISO week, e.g. ``"2026-W49"``.
    scenario_hash
        Hash of the scenario, recorded in the provenance.
    generated_at
        Timestamp recorded in the provenance (the core never reads the clock).
    seed
        Seed of the search; default ``scenario.solver.seed``.
    territory
        The territory, to list the communes a rule excludes (optional).
    first_solution
        OR-Tools first-solution strategy; default ``scenario.solver.first_solution``.
    pinned
        Announced visits to keep (a replan): stop id -> announced date. Pass 1 holds
        each to its date (when that date still has a crewed, open unit-day) with a keep
        bonus (:data:`itinerant.optimize.problem.PIN_BONUS_FACTOR`); the last pass frees
        the ones still dropped to move to another day, bonus kept. Default None: nothing
        pinned, one pass.
    announced_starts
        Announced session start (minutes since midnight) of pinned visits. Pass 1 holds
        each session within :data:`~itinerant.optimize.problem.ANNOUNCED_TIME_BAND_MIN`
        of it; pass 2 releases the time of the visits pass 1 dropped, pass 3 their day.

    Returns
    -------
    Plan
        Tours, roster, communes not visited with a reason, KPIs, provenance.

    Raises
    ------
    InfeasiblePlanError
        No working day or no crew all week; a mandatory visit that cannot be made.
    """
    began = time.perf_counter()
    settings = scenario.solver
    seed = settings.seed if seed is None else seed
    names = {u.id: u.name for u in scenario.units}
    dates = week_dates(scenario.period, week)
    if not dates:
        msg = (
            f"week {week} has no working day (public holidays, days off, working days "
            f"{', '.join(scenario.period.working_days)}): nothing to plan"
        )
        raise InfeasiblePlanError(msg)

    def run(pins: Mapping[str, dt.date | None] | None, starts: Mapping[str, int]) -> Plan:
        return _plan_pass(
            scenario,
            stops,
            scores,
            last_visits,
            matrices,
            dates,
            week,
            pins,
            names=names,
            seed=seed,
            first_solution=first_solution,
            scenario_hash=scenario_hash,
            generated_at=generated_at,
            territory=territory,
            began=began,
            announced_starts=starts,
        )

    def not_held(plan: Plan | None, pins: Mapping[str, dt.date | None]) -> list[str]:
        if plan is None:
            return list(pins)
        held = {(v.stop_id, t.date) for t in plan.tours for v in t.visits}
        return [sid for sid, day in pins.items() if day is not None and (sid, day) not in held]

    def attempt(pins: Mapping[str, dt.date | None], starts: Mapping[str, int]) -> Plan | None:
        try:
            return run(pins, starts)
        except InfeasiblePlanError:
            return None

    if not pinned:
        return _logged(run(None, {}), week)
    # pass 1: announced visits on their day, near their announced time
    pins: dict[str, dt.date | None] = dict(pinned)
    starts = dict(announced_starts or {})
    plan = attempt(pins, starts)
    dropped = not_held(plan, pins)
    if dropped and any(sid in starts for sid in dropped):
        # pass 2: the ones dropped keep their day, not their time
        logger.info("replan: %d announced visit(s) off their time, pass 2", len(dropped))
        starts = {sid: start for sid, start in starts.items() if sid not in dropped}
        plan = attempt(pins, starts)
        dropped = not_held(plan, pins)
    if dropped or plan is None:
        # pass 3: the ones still dropped may move to another day
        logger.info("replan: %d announced visit(s) off their day, pass 3", len(dropped))
        pins.update(dict.fromkeys(dropped))
        plan = run(pins, starts)  # a released pin has no day, so no announced time
    return _logged(plan, week)


def _logged(plan: Plan, week: str) -> Plan:
    """Log a week's plan and return it."""
    logger.info(
        "week %s planned: %d tours, value %.0f", week, len(plan.tours), plan.kpis.value_served
    )
    return plan


def _plan_pass(
    scenario: Scenario,
    stops: Sequence[Stop],
    scores: Mapping[str, float],
    last_visits: Mapping[str, dt.date],
    matrices: Mapping[str, TravelMatrix],
    dates: tuple[dt.date, ...],
    week: str,
    pins: Mapping[str, dt.date | None] | None,
    *,
    names: Mapping[str, str],
    seed: int,
    first_solution: FirstSolution | None,
    scenario_hash: str,
    generated_at: dt.datetime | None,
    territory: Territory | None,
    began: float,
    announced_starts: Mapping[str, int] | None = None,
) -> Plan:
    """One pass of :func:`plan_week`: problem, roster, routing, the Plan."""
    settings = scenario.solver
    problem = build_problem(
        scenario,
        stops,
        scores,
        last_visits,
        matrices,
        week_dates=dates,
        week=week,
        pinned=pins,
        announced_starts=announced_starts,
    )
    wk = problem.week
    assert wk is not None
    blockers = crew_blockers(wk, scenario.staff, names)
    crewable = [ud for ud in wk.unit_days if ud.id not in blockers]
    if not crewable:
        reasons = [m.text("en") for m in (*blockers.values(), *(r for _, _, r in wk.idle))]
        msg = f"week {week}: no unit can go out on any day, nothing to plan:\n  " + "\n  ".join(
            reasons or ["no unit works on the week's working days"]
        )
        raise InfeasiblePlanError(msg)

    force = _check_mandatory(scenario, stops, problem, blockers)
    roster = solve_roster(
        wk,
        scenario.staff,
        names,
        force_stops=force,
        seed=seed,
        work_limit=settings.roster_work_limit,
        time_limit_s=settings.time_limit_s,
    )
    route_shifts = {k: v for k, v in roster.shifts.items() if wk.unit_day(k).mode == "route"}
    routed = restrict_to_roster(problem, route_shifts, roster.stays, stops)
    result = solve_with(routed, settings, first_solution=first_solution)
    _check_dropped_mandatory(routed, result, stops)
    return _make_plan(
        scenario,
        stops,
        problem,
        roster,
        result,
        matrices,
        scenario_hash=scenario_hash,
        generated_at=generated_at,
        seed=seed,
        territory=territory,
        blockers=blockers,
        began=began,
    )


def _check_mandatory(
    scenario: Scenario,
    stops: Sequence[Stop],
    problem: RoutingProblem,
    blockers: Mapping[str, Message],
) -> dict[str, str]:
    """Raise when a mandatory stop has no possible unit-day; return stay-only ones."""
    wk = problem.week
    assert wk is not None
    units = {u.id: u for u in scenario.units}
    force: dict[str, str] = {}
    problems: list[str] = []
    for stop in stops:
        dem = wk.stop_demand(stop.id)
        if dem.min_visits == 0:
            continue
        label = f"{'must-visit' if stop.must_visit else 'mandatory'} stop {_stop_label(stop)}"
        allowed = [u for u in stop.units if u in units]
        if not allowed:
            problems.append(f"{label}: no unit is allowed to stop there")
            continue
        open_days = [
            ud for ud in wk.unit_days if ud.unit_id in allowed and stop.windows_on(ud.date)
        ]
        if not open_days:
            problems.append(
                f"{label}: it has no opening window on the days "
                f"{' or '.join(sorted({names(units, u) for u in allowed}))} "
                "may go out this week"
            )
            continue
        crewed = [ud for ud in open_days if ud.id not in blockers]
        if not crewed:
            why = "; ".join(blockers[ud.id].text("en") for ud in open_days)
            problems.append(f"{label}: no crewed unit-day has an opening window there ({why})")
            continue
        reachable = [
            ud
            for ud in crewed
            if ud.mode == "stay"
            or _single_visit_fits(units[ud.unit_id], stop, ud, ud.window, problem)
        ]
        if ud_stay_only(crewed, wk.stays, stop.id):
            reachable = [ud for ud in reachable if ud.mode == "route"] or reachable
        if not reachable:
            problems.append(
                f"{label}: too far or too long for a day out of the depot (driving cap, day window)"
            )
            continue
        if all(ud.mode == "stay" for ud in reachable):
            if not any(o.stop_id == stop.id for o in wk.stays):
                problems.append(
                    f"{label}: no day of "
                    f"{' or '.join(sorted({names(units, u) for u in allowed}))} "
                    "fits a visit there (windows, lunch, driving cap)"
                )
                continue
            force[stop.id] = label
    if problems:
        raise InfeasiblePlanError("\n".join(problems))
    return force


def names(units: Mapping[str, Unit], unit_id: str) -> str:
    """Display name of a unit."""
    return f"the {units[unit_id].name}"


def ud_stay_only(crewed: Sequence[UnitDay], stays: Sequence[StayOption], stop_id: str) -> bool:
    """Whether some crewed stay-mode day exists but no stay option covers the stop."""
    return any(ud.mode == "stay" for ud in crewed) and not any(o.stop_id == stop_id for o in stays)


def _check_dropped_mandatory(
    problem: RoutingProblem, result: RoutingResult, stops: Sequence[Stop]
) -> None:
    by_id = {s.id: s for s in stops}
    dropped = set(result.dropped)
    missing = [n for n in problem.nodes if n.mandatory and n.id in dropped]
    if missing:
        lines = []
        for node in missing:
            stop = by_id[node.id.split("#", 1)[0]]
            lines.append(
                f"mandatory visit {node.id.split('#')[1]} to {_stop_label(stop)} "
                "could not be scheduled: the crewed days have no room for it "
                "(windows, driving caps, stops a day, staff hours)"
            )
        raise InfeasiblePlanError("\n".join(lines))


def _make_plan(
    scenario: Scenario,
    stops: Sequence[Stop],
    problem: RoutingProblem,
    roster: Roster,
    result: RoutingResult,
    matrices: Mapping[str, TravelMatrix],
    *,
    scenario_hash: str,
    generated_at: dt.datetime | None,
    seed: int,
    territory: Territory | None,
    blockers: Mapping[str, Message],
    began: float,
) -> Plan:
    wk = problem.week
    assert wk is not None
    units = {u.id: u for u in scenario.units}
    by_id = {s.id: s for s in stops}
    pinned = {sid for sid, _ in wk.pinned}
    # the keep bonus of announced visits is no value served
    node_prize = {
        n.id: n.prize
        - (
            wk.pin_bonus
            if n.id == f"{n.id.split('#')[0]}#1" and n.id.split("#")[0] in pinned
            else 0
        )
        for n in problem.nodes
    }
    tours: list[Tour] = []

    # the distances of the legs driven, computed now, one batch per vehicle profile
    legs: dict[str, list[tuple[int, int]]] = {}
    for route in result.routes:
        unit_id = wk.unit_day(route.vehicle).unit_id
        home = wk.base_location(unit_id)
        stops_driven = (wk.location(node_id.split("#", 1)[0]) for node_id, _ in route.visits)
        places = [home, *stops_driven, home]
        key = units[unit_id].vehicle.key
        legs.setdefault(key, []).extend(itertools.pairwise(places))
    driven = {
        key: dict(zip(pairs, problem.matrix(key).distances(pairs), strict=True))
        for key, pairs in legs.items()
    }

    for route in result.routes:
        ud = wk.unit_day(route.vehicle)
        unit = units[ud.unit_id]
        matrix = problem.matrix(unit.vehicle.key)
        metres = driven[unit.vehicle.key]
        base = ud.day_index * DAY_MIN
        home = wk.base_location(unit.id)
        visits: list[Visit] = []
        prev_loc, prev_end = home, route.departure
        first_departure = route.departure
        lunch = route.lunch
        pending: list[tuple[int, int]] = []  # (leg departure, arrival) per visit
        for node_id, session_start in route.visits:
            loc = wk.location(node_id.split("#", 1)[0])
            travel = matrix.travel[prev_loc][loc]
            leave, arrive = _leg(prev_end, session_start, travel, unit.setup_min, lunch)
            pending.append((leave, arrive))
            prev_loc, prev_end = loc, session_start + unit.session_min + unit.packup_min
        back = matrix.travel[prev_loc][home]
        last_leave, return_abs = _leg(prev_end, route.return_time, back, 0, lunch)
        if pending:
            first_departure = pending[0][0]
        prev_loc = home
        for k, (node_id, session_start) in enumerate(route.visits):
            stop_id, rank = node_id.split("#", 1)
            stop = by_id[stop_id]
            loc = wk.location(stop_id)
            leave_next = pending[k + 1][0] if k + 1 < len(pending) else last_leave
            visits.append(
                _visit(
                    stop,
                    base,
                    arrival=pending[k][1],
                    session_start=session_start,
                    session_end=session_start + unit.session_min,
                    departure=leave_next,
                    drive=matrix.travel[prev_loc][loc],
                    distance=metres[prev_loc, loc],
                    value=node_prize[node_id] / VALUE_SCALE,
                    rank=int(rank),
                )
            )
            prev_loc = loc
        shift = roster.shifts[ud.id]
        tours.append(
            _tour(
                unit,
                ud,
                roster.crews[ud.id],
                shift,
                base,
                first_departure,
                return_abs,
                visits,
                lunch,
                back,
                metres[prev_loc, home],
                unit_drive=sum(v.drive_min for v in visits) + back,
                on_site=len(visits) * unit.visit_min,
            )
        )

    for option in roster.stays:
        unit = units[option.unit_id]
        stop = by_id[option.stop_id]
        for j, day in enumerate(option.days):
            ud = wk.unit_day(f"{unit.id}@{day.date.isoformat()}")
            base = ud.day_index * DAY_MIN
            visit = _visit(
                stop,
                base,
                arrival=day.arrival,
                session_start=day.session_start,
                session_end=day.session_end,
                departure=day.site_departure,
                drive=day.out_drive,
                distance=day.out_distance,
                value=(day.value - (wk.pin_bonus if j == 0 and stop.id in pinned else 0))
                / VALUE_SCALE,
                rank=1,
            ).model_copy(
                update={
                    "setup": day.role in ("single", "first"),
                    "packup": day.role in ("single", "last"),
                    "continues_stay": day.role in ("middle", "last"),
                    "stay_day": j + 1,
                    "stay_days": len(option.days),
                }
            )
            on_site = (
                unit.session_min
                + (unit.setup_min if visit.setup else 0)
                + (unit.packup_min if visit.packup else 0)
            )
            tours.append(
                _tour(
                    unit,
                    ud,
                    roster.crews[ud.id],
                    roster.shifts[ud.id],
                    base,
                    day.departure,
                    day.return_time,
                    [visit],
                    day.lunch,
                    day.back_drive,
                    day.back_distance,
                    unit_drive=day.unit_drive,
                    on_site=on_site,
                )
            )
    tours.sort(key=lambda t: (t.date, t.unit_id))

    visited = {v.stop_id for t in tours for v in t.visits}
    unvisited = _unvisited(scenario, stops, problem, roster, visited, territory)
    lang = scenario.language
    idle = [IdleUnitDay(unit_id=u, date=d, reason=r.text(lang)) for u, d, r in wk.idle]
    idle += [
        IdleUnitDay(unit_id=ud.unit_id, date=ud.date, reason=roster.idle[ud.id].text(lang))
        for ud in wk.unit_days
        if ud.id in roster.idle
    ]
    toured = {(t.unit_id, t.date) for t in tours}
    idle += [
        IdleUnitDay(
            unit_id=ud.unit_id,
            date=ud.date,
            reason=Message("idle.no_visit", {"day": ud.date}).text(lang),
        )
        for ud in wk.unit_days
        if ud.id in roster.shifts and (ud.unit_id, ud.date) not in toured
    ]
    del blockers
    roster_entries = []
    for tour in tours:
        unit = units[tour.unit_id]
        for role, staff_id in zip(unit.crew, tour.crew, strict=True):
            roster_entries.append(
                RosterEntry(
                    staff_id=staff_id,
                    date=tour.date,
                    unit_id=tour.unit_id,
                    role=role.role,
                    shift_start=tour.shift_start,
                    shift_end=tour.shift_end,
                )
            )
    roster_entries.sort(key=lambda r: (r.staff_id, r.date, r.unit_id))
    kpis = week_kpis(tours, stops, [m.id for m in scenario.staff])
    sources = sorted({m.source for m in matrices.values()})
    provenance = Provenance(
        scenario_name=scenario.name,
        scenario_hash=scenario_hash,
        network_source="; ".join(sources),
        approximate=any(m.approximate for m in matrices.values()),
        seed=seed,
        roster_status=roster.status,
        solver_status=result.status,
        search_ended_by=result.ended_by,
        first_solution_strategy=result.first_solution,
        solution_limit=result.solution_limit,
        time_limit_s=result.time_limit_s,
        solve_time_s=round(time.perf_counter() - began, 3),
        generated_at=generated_at,
        search=_search_stats(roster, result, scenario.solver),
    )
    return Plan(
        week=wk.week,
        dates=wk.dates,
        tours=tuple(tours),
        unvisited=tuple(sorted(unvisited, key=lambda u: (u.insee, u.stop_id))),
        idle_unit_days=tuple(sorted(idle, key=lambda i: (i.date, i.unit_id))),
        roster=tuple(roster_entries),
        kpis=kpis,
        provenance=provenance,
    )


def _search_stats(roster: Roster, result: RoutingResult, settings: SolverSettings) -> SearchStats:
    """Return what ended the roster and routing searches, their work, objectives, bound."""
    gap = None
    if roster.bound is not None and roster.objective is not None and roster.bound > 0:
        gap = round(max(0.0, roster.bound - roster.objective) / roster.bound, 6)
    return SearchStats(
        roster=SearchRun(
            method=roster.method,
            status=roster.status,
            ended_by=roster.ended_by,
            work=round(roster.work, 3),
            work_limit=settings.roster_work_limit,
            time_limit_s=settings.time_limit_s,
            objective=roster.objective,
            bound=roster.bound,
            gap=gap,
        ),
        routing=SearchRun(
            method="OR-Tools routing",
            status=result.status,
            ended_by=result.ended_by,
            work=result.solutions,
            work_limit=result.solution_limit,
            time_limit_s=result.time_limit_s,
            objective=result.objective,
        ),
    )


def week_kpis(tours: Sequence[Tour], stops: Sequence[Stop], staff_ids: Sequence[str]) -> Kpis:
    """Figures of a week's tours (staff hours: tour spans, every staff member listed)."""
    by_id = {s.id: s for s in stops}
    visited = {v.stop_id for t in tours for v in t.visits}
    staff_hours: dict[str, float] = dict.fromkeys(staff_ids, 0.0)
    for tour in tours:
        for staff_id in tour.crew:
            staff_hours[staff_id] = staff_hours.get(staff_id, 0.0) + tour.span_min / 60
    return Kpis(
        value_served=round(sum(t.value for t in tours), 2),
        visits=sum(len(t.visits) for t in tours),
        communes_visited=len({v.insee for t in tours for v in t.visits}),
        population_visited=sum(by_id[s].population for s in sorted(visited) if s in by_id),
        distance_km=round(sum(t.distance_m for t in tours) / 1000, 1),
        driving_h=round(sum(t.drive_min for t in tours) / 60, 2),
        on_site_h=round(sum(t.on_site_min for t in tours) / 60, 2),
        staff_hours={k: round(v, 2) for k, v in sorted(staff_hours.items())},
    )


def _leg(
    end_prev: int, until: int, travel: int, setup: int, lunch: tuple[int, int] | None
) -> tuple[int, int]:
    """Departure and arrival of a leg, with the lunch break before or after driving.

    ``until``: the next session start (or the return to the depot), ``setup`` before it.
    """
    if lunch is None or not (end_prev <= lunch[0] and lunch[1] <= until):
        return end_prev, end_prev + travel
    b0, b1 = lunch
    if b0 >= end_prev + travel:  # drive, then lunch on arrival
        return end_prev, end_prev + travel
    if b1 + travel + setup <= until:  # lunch first, then drive
        return b1, b1 + travel
    return end_prev, end_prev + travel + (b1 - b0)  # lunch on the way


def _visit(
    stop: Stop,
    base: int,
    *,
    arrival: int,
    session_start: int,
    session_end: int,
    departure: int,
    drive: int,
    distance: int,
    value: float,
    rank: int,
) -> Visit:
    return Visit(
        stop_id=stop.id,
        insee=stop.insee,
        commune_name=stop.commune_name,
        venue_name=stop.venue_name,
        address=stop.address,
        point=stop.point,
        arrival=arrival - base,
        session_start=session_start - base,
        session_end=session_end - base,
        departure=departure - base,
        drive_min=drive,
        distance_m=distance,
        value=round(value, 2),
        visit_rank=rank,
    )


def _tour(
    unit: Unit,
    ud: UnitDay,
    crew: tuple[str, ...],
    shift: tuple[int, int],
    base: int,
    departure: int,
    return_time: int,
    visits: Sequence[Visit],
    lunch: tuple[int, int] | None,
    back: int,
    back_distance: int,
    *,
    unit_drive: int,
    on_site: int,
) -> Tour:
    return Tour(
        unit_id=unit.id,
        unit_name=unit.name,
        date=ud.date,
        crew=crew,
        shift_start=shift[0] - base,
        shift_end=shift[1] - base,
        departure=departure - base,
        return_time=return_time - base,
        visits=tuple(visits),
        lunch=LunchSlot(start=lunch[0] - base, end=lunch[1] - base) if lunch else None,
        return_drive_min=back,
        return_distance_m=back_distance,
        unit_drive_min=unit_drive,
        drive_min=sum(v.drive_min for v in visits) + back,
        distance_m=sum(v.distance_m for v in visits) + back_distance,
        on_site_min=on_site,
        span_min=return_time - departure,
        value=round(sum(v.value for v in visits), 2),
    )


def _unvisited(
    scenario: Scenario,
    stops: Sequence[Stop],
    problem: RoutingProblem,
    roster: Roster,
    visited: set[str],
    territory: Territory | None,
) -> list[Unvisited]:
    """Communes left out, each with the first rule that blocks it (cheap: indexed once)."""
    wk = problem.week
    assert wk is not None
    units = {u.id: u for u in scenario.units}
    unit_names = {u.id: u.name for u in scenario.units}
    crewed_days = [wk.unit_day(k) for k in roster.shifts]
    stays_at: dict[str, list[StayOption]] = {}
    for option in wk.stays:
        stays_at.setdefault(option.stop_id, []).append(option)
    out: list[Unvisited] = []
    if territory is not None:
        have = {s.insee for s in stops}
        out.extend(
            Unvisited(
                stop_id=c.insee,
                insee=c.insee,
                commune_name=c.name,
                reason="excluded",
                detail=Message("detail.excluded_rule").text(scenario.language),
            )
            for c in territory.communes
            if c.insee not in have
        )
    for stop in stops:
        if stop.id in visited:
            continue
        reason, detail = _skip_reason(
            stop,
            units,
            crewed_days,
            stays_at.get(stop.id, []),
            roster,
            problem,
            wk,
            scenario.staff,
            wk.stop_demand(stop.id),
            unit_names,
        )
        out.append(
            Unvisited(
                stop_id=stop.id,
                insee=stop.insee,
                commune_name=stop.commune_name,
                reason=reason,
                detail=detail.text(scenario.language),
            )
        )
    return out


def _skip_reason(
    stop: Stop,
    units: Mapping[str, Unit],
    crewed_days: Sequence[UnitDay],
    stays: Sequence[StayOption],
    roster: Roster,
    problem: RoutingProblem,
    week: WeekData,
    staff: Sequence[Staff],
    demand: StopDemand,
    unit_names: Mapping[str, str],
) -> tuple[SkipReason, Message]:
    """Why a stop is not visited: the first blocking rule, in the order rules apply."""
    allowed = [u for u in stop.units if u in units]
    open_days = [ud for ud in crewed_days if ud.unit_id in allowed and stop.windows_on(ud.date)]
    if stop.max_visits_per_week == 0:
        return "excluded", Message("detail.no_visits_allowed")
    if not allowed:
        return "unit_not_allowed", Message("detail.no_unit")
    routed = [
        ud
        for ud in open_days
        if ud.mode == "route"
        and _single_visit_fits(units[ud.unit_id], stop, ud, roster.shifts[ud.id], problem)
    ]
    stay_units = {ud.unit_id for ud in open_days if ud.mode == "stay"}
    options = [o for o in stays if o.unit_id in stay_units]
    if routed:
        pass
    elif options:
        first = None
        for option in options:
            blocker = stay_blocker(option, week, staff, unit_names)
            if blocker is None:
                break
            first = first or blocker
        else:
            return "outside_staff_availability", Message("detail.no_stay", {"blocker": first})
    elif not open_days:
        calendar = stop.school_calendar
        if calendar is None:
            return "no_window_on_crewed_day", Message("detail.closed")
        rule = "detail.rule.term_time" if stop.opening == "term_time" else "detail.rule.holidays"
        return "no_window_on_crewed_day", Message(
            "detail.closed_by_rule", {"rule": Message(rule), "zone": calendar.zone}
        )
    else:
        return "too_far_for_day", Message("detail.too_far")
    values = {"value": round(demand.value), "score": demand.score, "urgency": demand.urgency}
    return "lower_value", Message("detail.lower_value", values)
