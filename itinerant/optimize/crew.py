"""Roster the week with CP-SAT: which unit-days go out, who crews them, their shifts.

One model decides, for every unit-day, whether it goes out and with whom (each crew
role filled by a distinct staff member holding its skills, available that day, not
absent, at most one unit a day, within daily and weekly hours), and the shift
``[start, end]`` inside the unit's day window and every crew member's availability.
Single-stop units that may stay several days (the tiny house) get their stops here too:
a stay option (stop, consecutive dates, timings) is chosen with the crew, so its hours
are exact. Routed units (the van) get the longest shifts their crews allow, each minute
worth the unit's estimated value per minute.

The model runs on one worker with a fixed seed and stops on a work budget (CP-SAT's
deterministic time), so the same inputs give the same roster on any machine; the
wall-clock limit is a safety net only. A greedy roster (:func:`greedy_roster`), feasible
by construction, is the roster when the budget runs out before CP-SAT finds one.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from itinerant.errors import InfeasiblePlanError
from itinerant.i18n import Message
from itinerant.optimize.problem import DAY_MIN, StayOption, UnitDay, WeekData
from itinerant.plan import SearchEnd
from itinerant.scenario import WEEKDAYS, Staff, dates_cover

if TYPE_CHECKING:
    from ortools.sat.python import cp_model

__all__ = [
    "Roster",
    "crew_blockers",
    "eligible_staff",
    "greedy_roster",
    "solve_roster",
    "stay_blocker",
]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Roster:
    """The roster: crews and shifts of the unit-days that go out, and the stays chosen.

    ``method``, ``status``, ``ended_by``, ``work`` (deterministic time), ``objective``
    and ``bound`` tell how the search went (``bound``: CP-SAT's upper bound).
    """

    crews: Mapping[str, tuple[str, ...]]
    shifts: Mapping[str, tuple[int, int]]
    stays: tuple[StayOption, ...]
    status: str
    idle: Mapping[str, Message]
    method: str = "CP-SAT"
    ended_by: SearchEnd = "optimal"
    work: float = 0.0
    objective: float | None = None
    bound: float | None = None


def _availability(member: Staff, date: dt.date, day_index: int) -> list[tuple[int, int]]:
    if dates_cover(member.absences, date):
        return []
    base = day_index * DAY_MIN
    return [
        (base + w.start, base + w.end)
        for w in member.availability.get(WEEKDAYS[date.weekday()], ())
    ]


def eligible_staff(ud: UnitDay, role_skills: Sequence[str], staff: Sequence[Staff]) -> list[str]:
    """Ids of the staff who may fill a role on a unit-day (skills, availability, absences)."""
    out = []
    for member in staff:
        if not set(role_skills) <= set(member.skills):
            continue
        windows = _availability(member, ud.date, ud.day_index)
        if any(min(w1, ud.window[1]) - max(w0, ud.window[0]) >= ud.min_span for w0, w1 in windows):
            out.append(member.id)
    return out


def crew_blockers(
    week: WeekData, staff: Sequence[Staff], unit_names: Mapping[str, str]
) -> dict[str, Message]:
    """Unit-days that cannot get a full crew, with a message naming the day and the skill.

    Checks each role on its own, then that the roles can be filled by distinct people.
    """
    blockers: dict[str, Message] = {}
    for ud in week.unit_days:
        name = unit_names.get(ud.unit_id, ud.unit_id)
        pools = []
        for role, skills in ud.roles:
            pool = eligible_staff(ud, skills, staff)
            if not pool:
                blockers[ud.id] = Message(
                    "idle.no_staff",
                    {"day": ud.date, "skills": tuple(skills), "unit": name, "role": role},
                )
                break
            pools.append(pool)
        else:
            if not _distinct(pools):
                blockers[ud.id] = Message("idle.not_distinct", {"day": ud.date, "unit": name})
    return blockers


def stay_blocker(
    option: StayOption, week: WeekData, staff: Sequence[Staff], unit_names: Mapping[str, str]
) -> Message | None:
    """Why no crew can staff a stay option (its hours against the staff's), or None.

    Each day of the option needs, for every crew role, a distinct staff member with the
    role's skills, not absent, available from the crew's departure to its return, and
    allowed that many hours in a day.
    """
    name = unit_names.get(option.unit_id, option.unit_id)
    for day in option.days:
        ud = week.unit_day(f"{option.unit_id}@{day.date.isoformat()}")
        hours = {
            "day": day.date,
            "unit": name,
            "start": _clock(day.departure),
            "end": _clock(day.return_time),
        }
        pools = []
        for role, skills in ud.roles:
            pool = [
                m.id
                for m in staff
                if set(skills) <= set(m.skills)
                and day.return_time - day.departure <= round(m.max_hours_day * 60)
                and any(
                    w0 <= day.departure and day.return_time <= w1
                    for w0, w1 in _availability(m, day.date, ud.day_index)
                )
            ]
            if not pool:
                return Message("stay.no_staff", {**hours, "skills": tuple(skills), "role": role})
            pools.append(pool)
        if not _distinct(pools):
            return Message("stay.not_distinct", hours)
    return None


def _clock(minute: int) -> dt.time:
    """Return the time of day of a minute of the week."""
    return dt.time(*divmod(minute % DAY_MIN, 60))


def _distinct(pools: Sequence[Sequence[str]]) -> bool:
    """Whether each pool can give a different person (small bipartite matching)."""
    match: dict[str, int] = {}

    def assign(i: int, seen: set[str]) -> bool:
        for person in pools[i]:
            if person in seen:
                continue
            seen.add(person)
            if person not in match or assign(match[person], seen):
                match[person] = i
                return True
        return False

    return all(assign(i, set()) for i in range(len(pools)))


def _idle_reason(
    ud: UnitDay, unit_names: Mapping[str, str], blockers: Mapping[str, Message]
) -> Message:
    default = Message(
        "idle.roster", {"day": ud.date, "unit": unit_names.get(ud.unit_id, ud.unit_id)}
    )
    return blockers.get(ud.id, default)


def _roster_value(
    week: WeekData, shifts: Mapping[str, tuple[int, int]], stays: Sequence[StayOption]
) -> int:
    """Return the roster model's objective of a roster (routed shift minutes, stay values)."""
    value = sum(
        week.unit_day(ud_id).value_per_min * (end - start)
        for ud_id, (start, end) in shifts.items()
        if week.unit_day(ud_id).mode == "route"
    )
    for option in stays:
        drive = sum(d.out_drive + d.back_drive for d in option.days)
        value += option.value - week.travel_cost_per_min * drive
    return value


def greedy_roster(
    week: WeekData,
    staff: Sequence[Staff],
    unit_names: Mapping[str, str],
    *,
    force_stops: Mapping[str, str] | None = None,
) -> Roster:
    """Build a roster greedily, feasible by construction (every rule of the CP-SAT model).

    Stay units first, day by day, the stay option worth most (forced stops first) that
    a crew can staff; then routed unit-days, each with the available crew members who
    have the most weekly hours left, and the longest shift they share. Forced stops it
    cannot serve are left out: the caller checks them.
    """
    force = force_stops or {}
    blockers = crew_blockers(week, staff, unit_names)
    members = {m.id: m for m in staff}
    week_left = {m.id: round(m.max_hours_week * 60) for m in staff}
    busy: set[tuple[str, dt.date]] = set()
    crews: dict[str, tuple[str, ...]] = {}
    shifts: dict[str, tuple[int, int]] = {}
    stays: list[StayOption] = []
    used_stops: set[str] = set()

    def candidates(ud: UnitDay, skills: Sequence[str], taken: Sequence[str]) -> list[Staff]:
        pool = [
            members[sid]
            for sid in eligible_staff(ud, skills, staff)
            if (sid, ud.date) not in busy and sid not in taken
        ]
        return sorted(pool, key=lambda m: (-week_left[m.id], m.id))

    def crew_for(ud: UnitDay, start: int, end: int, left: Mapping[str, int]) -> list[str] | None:
        crew: list[str] = []
        for _, skills in ud.roles:
            fit = next(
                (
                    m.id
                    for m in candidates(ud, skills, crew)
                    if min(left[m.id], round(m.max_hours_day * 60)) >= end - start
                    and any(
                        w0 <= start and end <= w1
                        for w0, w1 in _availability(m, ud.date, ud.day_index)
                    )
                ),
                None,
            )
            if fit is None:
                return None
            crew.append(fit)
        return crew

    stay_days = sorted(
        (ud for ud in week.unit_days if ud.mode == "stay" and ud.id not in blockers),
        key=lambda ud: (ud.unit_id, ud.date),
    )
    for ud in stay_days:
        if ud.id in crews:
            continue
        options = [
            o
            for o in week.stays
            if o.unit_id == ud.unit_id and o.days[0].date == ud.date and o.stop_id not in used_stops
        ]
        options.sort(
            key=lambda o: (o.stop_id not in force, -_roster_value(week, {}, [o]), o.stop_id)
        )
        for option in options:
            ud_ids = [f"{option.unit_id}@{d.date.isoformat()}" for d in option.days]
            if any(u in blockers or u in crews for u in ud_ids):
                continue
            left = dict(week_left)
            chosen: list[tuple[str, list[str], tuple[int, int]]] = []
            for ud_id, day in zip(ud_ids, option.days, strict=True):
                crew = crew_for(week.unit_day(ud_id), day.departure, day.return_time, left)
                if crew is None:
                    break
                for sid in crew:
                    left[sid] -= day.return_time - day.departure
                chosen.append((ud_id, crew, (day.departure, day.return_time)))
            else:
                for ud_id, crew, shift in chosen:
                    crews[ud_id], shifts[ud_id] = tuple(crew), shift
                    busy.update((sid, week.unit_day(ud_id).date) for sid in crew)
                week_left = left
                stays.append(option)
                used_stops.add(option.stop_id)
                break

    for ud in sorted(week.unit_days, key=lambda u: (u.date, u.unit_id)):
        if ud.mode != "route" or ud.id in blockers:
            continue
        team: list[str] = []
        lo, hi = ud.window
        cap = hi - lo
        for _, skills in ud.roles:
            best: tuple[int, str, int, int] | None = None
            for m in candidates(ud, skills, team):
                for w0, w1 in _availability(m, ud.date, ud.day_index):
                    a, b = max(lo, w0), min(hi, w1)
                    room = min(b - a, cap, week_left[m.id], round(m.max_hours_day * 60))
                    if room >= ud.min_span and (best is None or room > best[0]):
                        best = (room, m.id, a, b)
                if best is not None:
                    break
            if best is None:
                break
            _, sid, lo, hi = best
            cap = min(cap, week_left[sid], round(members[sid].max_hours_day * 60))
            team.append(sid)
        else:
            span = min(hi - lo, cap)
            if span >= ud.min_span:
                crews[ud.id], shifts[ud.id] = tuple(team), (lo, lo + span)
                for sid in team:
                    busy.add((sid, ud.date))
                    week_left[sid] -= span

    idle = {
        ud.id: _idle_reason(ud, unit_names, blockers) for ud in week.unit_days if ud.id not in crews
    }
    stays.sort(key=lambda o: (o.unit_id, o.days[0].date, o.stop_id))
    return Roster(
        crews=crews,
        shifts=shifts,
        stays=tuple(stays),
        status="GREEDY",
        idle=idle,
        method="greedy",
        ended_by="no_search",
        objective=float(_roster_value(week, shifts, stays)),
    )


def solve_roster(
    week: WeekData,
    staff: Sequence[Staff],
    unit_names: Mapping[str, str],
    *,
    force_stops: Mapping[str, str] | None = None,
    seed: int = 0,
    work_limit: float = 60.0,
    time_limit_s: float = 1800.0,
) -> Roster:
    """Choose crews, shifts and stays for the week.

    The search stops at the optimum or on ``work_limit``; when that comes before any
    roster is found, :func:`greedy_roster` is the answer (``method="greedy"``). It is
    not given to CP-SAT as a hint: on the 7 Vallées week the hint steered CP-SAT to
    another optimal roster of the same value, which would have changed the plan.

    Parameters
    ----------
    week
        The week's unit-days and stay options (from :func:`build_problem`).
    staff
        The staff members.
    unit_names
        Unit id -> display name, for messages.
    force_stops
        Stop id -> label of stops that only single-stop units can serve and that must
        be visited.
    seed
        CP-SAT random seed (one worker, so the roster is deterministic).
    work_limit
        CP-SAT deterministic time budget (about seconds of one core; machine-independent).
    time_limit_s
        Wall-clock safety net of the CP-SAT search.

    Raises
    ------
    InfeasiblePlanError
        When the forced stops cannot all be served, or the budgets ran out first.
    """
    from ortools.sat.python import cp_model  # noqa: PLC0415  (heavy: imported when solving)

    force = dict(force_stops or {})
    blockers = crew_blockers(week, staff, unit_names)
    model = cp_model.CpModel()
    go: dict[str, cp_model.IntVar] = {}
    span: dict[str, cp_model.LinearExprT] = {}
    assign: dict[tuple[str, str, int], cp_model.IntVar] = {}
    member_of: dict[tuple[str, str], list[cp_model.IntVar]] = {}
    objective: list[cp_model.LinearExprT] = []

    options_by_ud: dict[str, list[tuple[cp_model.IntVar, StayOption, int]]] = {}
    shift_vars: dict[str, tuple[cp_model.IntVar, cp_model.IntVar]] = {}
    y: list[tuple[cp_model.IntVar, StayOption]] = []
    for k, option in enumerate(week.stays):
        ud_ids = [f"{option.unit_id}@{d.date.isoformat()}" for d in option.days]
        if any(u in blockers for u in ud_ids):
            continue
        var = model.new_bool_var(f"stay{k}")
        y.append((var, option))
        drive = sum(d.out_drive + d.back_drive for d in option.days)
        objective.append(var * (option.value - week.travel_cost_per_min * drive))
        for j, ud_id in enumerate(ud_ids):
            options_by_ud.setdefault(ud_id, []).append((var, option, j))

    for ud in week.unit_days:
        g = model.new_bool_var(f"go[{ud.id}]")
        go[ud.id] = g
        if ud.id in blockers:
            model.add(g == 0)
        if ud.mode == "stay":
            choices = options_by_ud.get(ud.id, [])
            model.add(g == sum(v for v, _, _ in choices))
            span[ud.id] = sum(
                v * (o.days[j].return_time - o.days[j].departure) for v, o, j in choices
            )
        else:
            s = model.new_int_var(ud.window[0], ud.window[1], f"start[{ud.id}]")
            e = model.new_int_var(ud.window[0], ud.window[1], f"end[{ud.id}]")
            model.add(e - s >= ud.min_span).only_enforce_if(g)
            model.add(e == s).only_enforce_if(~g)
            span[ud.id] = e - s
            objective.append(ud.value_per_min * (e - s))
            shift_vars[ud.id] = (s, e)
        for r, (_, skills) in enumerate(ud.roles):
            pool = eligible_staff(ud, skills, staff) if ud.id not in blockers else []
            vars_ = []
            for sid in pool:
                a = model.new_bool_var(f"a[{sid},{ud.id},{r}]")
                assign[(sid, ud.id, r)] = a
                member_of.setdefault((sid, ud.id), []).append(a)
                vars_.append(a)
            model.add(sum(vars_) == g)

    # each person at most once per unit-day and one unit-day per date; availability; hours
    for roles in member_of.values():
        model.add(sum(roles) <= 1)
    for member in staff:
        hours_week = []
        for date in week.dates:
            uds = [
                ud for ud in week.unit_days if ud.date == date and (member.id, ud.id) in member_of
            ]
            if not uds:
                continue
            model.add(sum(sum(member_of[(member.id, ud.id)]) for ud in uds) <= 1)
            cap = round(member.max_hours_day * 60)
            h = model.new_int_var(0, cap, f"h[{member.id},{date}]")
            hours_week.append(h)
            for ud in uds:
                on = model.new_bool_var(f"on[{member.id},{ud.id}]")
                model.add(on == sum(member_of[(member.id, ud.id)]))
                model.add(h >= span[ud.id]).only_enforce_if(on)
                _availability_constraints(model, member, ud, on, options_by_ud, shift_vars)
        if hours_week:
            model.add(sum(hours_week) <= round(member.max_hours_week * 60))

    # stays: one per stop a week; forced stops served
    by_stop: dict[str, list[cp_model.IntVar]] = {}
    for var, option in y:
        by_stop.setdefault(option.stop_id, []).append(var)
    for stop_vars in by_stop.values():
        model.add(sum(stop_vars) <= 1)
    for stop_id in sorted(force):
        model.add(sum(by_stop.get(stop_id, [])) >= 1)

    model.maximize(sum(objective))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    # the LP relaxation with every constraint linearised closes this model at once
    # (measured on the 7 Vallées week: OPTIMAL in 0.2 s, against FEASIBLE at 10 s and a
    # roster leaving the van idle four days with the default level)
    solver.parameters.linearization_level = 2
    solver.parameters.random_seed = seed
    solver.parameters.max_deterministic_time = work_limit
    solver.parameters.max_time_in_seconds = time_limit_s
    status = solver.solve(model)
    name = solver.status_name(status)
    work = solver.response_proto.deterministic_time
    ended_by: SearchEnd
    if status in (cp_model.OPTIMAL, cp_model.INFEASIBLE):
        ended_by = "optimal"
    elif work >= 0.99 * work_limit:
        ended_by = "work_limit"
    elif solver.wall_time >= 0.97 * time_limit_s:
        ended_by = "time_limit"
    else:
        ended_by = "unknown"
    logger.info(
        "roster: %s (%s), objective %s, bound %s, deterministic time %.2f, %.2fs",
        name,
        ended_by,
        solver.objective_value,
        solver.best_objective_bound,
        work,
        solver.wall_time,
    )
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        greedy = greedy_roster(week, staff, unit_names, force_stops=force)
        if status == cp_model.UNKNOWN and force.keys() <= {o.stop_id for o in greedy.stays}:
            logger.info("roster: no roster found within the budget, the greedy one is kept")
            return replace(greedy, ended_by=ended_by, work=work)
        raise InfeasiblePlanError(
            _no_roster_message(
                status == cp_model.INFEASIBLE, ended_by, force, work_limit, time_limit_s
            )
        )

    crews: dict[str, tuple[str, ...]] = {}
    shifts: dict[str, tuple[int, int]] = {}
    idle: dict[str, Message] = {}
    stays = tuple(
        sorted(
            (o for v, o in y if solver.boolean_value(v)),
            key=lambda o: (o.unit_id, o.days[0].date, o.stop_id),
        )
    )
    for ud in week.unit_days:
        if not solver.boolean_value(go[ud.id]):
            idle[ud.id] = _idle_reason(ud, unit_names, blockers)
            continue
        crews[ud.id] = tuple(
            next(
                sid
                for (sid, u, rr), a in assign.items()
                if u == ud.id and rr == r and solver.boolean_value(a)
            )
            for r in range(len(ud.roles))
        )
        if ud.mode == "route":
            s, e = shift_vars[ud.id]
            shifts[ud.id] = (solver.value(s), solver.value(e))
        else:
            option, j = next(
                (o, jj) for v, o, jj in options_by_ud[ud.id] if solver.boolean_value(v)
            )
            day = option.days[j]
            shifts[ud.id] = (day.departure, day.return_time)
    return Roster(
        crews=crews,
        shifts=shifts,
        stays=stays,
        status=name,
        idle=idle,
        ended_by=ended_by,
        work=work,
        objective=solver.objective_value,
        bound=solver.best_objective_bound,
    )


def _no_roster_message(
    infeasible: bool,
    ended_by: SearchEnd,
    force: Mapping[str, str],
    work_limit: float,
    time_limit_s: float,
) -> str:
    """Why no roster came out: the forced stops cannot be served, or a budget ran out."""
    labels = "; ".join(force[s] for s in sorted(force))
    if infeasible:
        return (
            f"no roster serves the must-visit stops only the single-stop units can reach "
            f"({labels}): not enough crewed days, staff hours or opening windows"
        )
    if ended_by == "time_limit":
        budget = f"its time limit (solver.time_limit_s: {time_limit_s:g} s)"
        raise_what = "solver.time_limit_s (a slower or busier machine needs more)"
    else:
        budget = f"its work budget (solver.roster_work_limit: {work_limit:g})"
        raise_what = "solver.roster_work_limit"
    what = (
        f"a roster serving the stops only the single-stop units can reach ({labels}), "
        "which the greedy roster misses"
        if force
        else "a roster"
    )
    return f"the roster search stopped at {budget} before finding {what}: raise {raise_what}"


def _availability_constraints(
    model: cp_model.CpModel,
    member: Staff,
    ud: UnitDay,
    on: cp_model.IntVar,
    options_by_ud: Mapping[str, list[tuple[cp_model.IntVar, StayOption, int]]],
    shift_vars: Mapping[str, tuple[cp_model.IntVar, cp_model.IntVar]],
) -> None:
    """Keep the shift inside one of the member's availability windows that day."""
    windows = _availability(member, ud.date, ud.day_index)
    if ud.mode == "stay":
        for var, option, j in options_by_ud.get(ud.id, []):
            day = option.days[j]
            if not any(w0 <= day.departure and day.return_time <= w1 for w0, w1 in windows):
                model.add_bool_or([~on, ~var])
        return
    s, e = shift_vars[ud.id]
    picks = []
    for k, (w0, w1) in enumerate(windows):
        if min(w1, ud.window[1]) - max(w0, ud.window[0]) < ud.min_span:
            continue
        pick = model.new_bool_var(f"w[{member.id},{ud.id},{k}]")
        model.add(s >= w0).only_enforce_if(pick)
        model.add(e <= w1).only_enforce_if(pick)
        picks.append(pick)
    model.add(sum(picks) == on)
    model.add(e - s <= round(member.max_hours_day * 60)).only_enforce_if(on)
