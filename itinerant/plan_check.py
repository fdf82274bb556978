"""Check a plan file against itself and its scenario before anything uses it.

A ``plan.json`` is input like any other: ``render``, ``replan`` and ``history add`` read
plans that people edit by hand. :func:`load_plan` reads one (through
:func:`itinerant.loading.read_plan`, which refuses duplicate keys and non-finite numbers)
and :func:`plan_problems` lists everything that cannot be right: an invalid week, dates outside it, units, staff or communes the scenario does not have, two
tours of a unit on one day, times out of order or outside the unit's day, a session
outside its stop's opening windows, text with line breaks. Every problem is one line
naming the file, the field and the value, e.g.
``plan.json: tours[3].visits[0].session_end: '11:00' is before session_start '15:00'``.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from itinerant.errors import ScenarioError
from itinerant.loading import _short, format_loc, read_plan
from itinerant.plan import Plan, Tour
from itinerant.scenario import (
    MAX_ADDRESS_LENGTH,
    WEEKDAYS,
    Scenario,
    format_time,
    has_control_character,
    iso_week_monday,
)
from itinerant.territory import Territory, build_stops

__all__ = ["load_plan", "plan_problems"]

Loc = tuple[str | int, ...]
_MAX_TEXT = 2 * MAX_ADDRESS_LENGTH
"""Longest text field of a plan (names, addresses; a skip reason's detail)."""


def load_plan(
    path: Path, scenario: Scenario, territory: Territory, *, windows: bool = True
) -> Plan:
    """Read a plan file and check it against itself and the scenario.

    ``windows=False`` leaves out the opening-window check: a plan already announced or
    carried out (``replan``, ``history add``) stays what it was when the scenario has
    since gained a closure or new windows.

    Raises
    ------
    ScenarioError
        One line per problem (see :func:`plan_problems`); nothing has been written.
    """
    plan = read_plan(path)
    problems = plan_problems(plan, scenario, territory, source=str(path), windows=windows)
    if problems:
        raise ScenarioError(problems)
    return plan


def plan_problems(
    plan: Plan, scenario: Scenario, territory: Territory, *, source: str, windows: bool = True
) -> list[str]:
    """List everything in ``plan`` that cannot be right for ``scenario``, one line each.

    With ``windows``, each session must also start inside its stop's opening windows.
    """
    problems: list[str] = []

    def add(loc: Loc, value: Any, message: str) -> None:
        problems.append(f"{source}: {format_loc(loc)}: {_short(value)} {message}")

    _text_problems(plan.model_dump(mode="json"), (), add)
    monday = iso_week_monday(plan.week)
    if monday is None:
        add(("week",), plan.week, "is not an ISO week (write it as '2026-W49')")
    week_days = {monday + dt.timedelta(days=k) for k in range(7)} if monday else set()
    for index, day in enumerate(plan.dates):
        if monday is not None and day not in week_days:
            add(("dates", index), day.isoformat(), f"is not in week {plan.week}")
        if plan.dates.index(day) != index:
            add(("dates", index), day.isoformat(), "is given twice")
    units = {unit.id: unit for unit in scenario.units}
    staff = {member.id for member in scenario.staff}
    codes = {commune.insee for commune in territory.communes}
    stops = {stop.id: stop for stop in build_stops(scenario, territory)}
    seen_tours: dict[tuple[str, dt.date], int] = {}
    on_duty: dict[tuple[str, dt.date], int] = {}
    for t_index, tour in enumerate(plan.tours):
        loc: Loc = ("tours", t_index)
        if tour.date not in plan.dates:
            add((*loc, "date"), tour.date.isoformat(), "is not one of the plan's dates")
        key = (tour.unit_id, tour.date)
        if key in seen_tours:
            add(
                (*loc, "date"),
                tour.date.isoformat(),
                f"is a second tour of {tour.unit_id!r} that day (also tours[{seen_tours[key]}])",
            )
        seen_tours.setdefault(key, t_index)
        for c_index, member in enumerate(tour.crew):
            if member not in staff:
                add((*loc, "crew", c_index), member, _unknown("a staff id", staff))
            elif (member, tour.date) in on_duty:
                add(
                    (*loc, "crew", c_index),
                    member,
                    f"already works on tours[{on_duty[(member, tour.date)]}] that day",
                )
            else:
                on_duty[(member, tour.date)] = t_index
        unit = units.get(tour.unit_id)
        if unit is None:
            add((*loc, "unit_id"), tour.unit_id, _unknown("a unit id", units))
        else:
            hours = unit.day_on(WEEKDAYS[tour.date.weekday()])
            _time_problems(tour, loc, (hours.start, hours.end), add)
        for v_index, visit in enumerate(tour.visits):
            v_loc: Loc = (*loc, "visits", v_index)
            if visit.insee not in codes:
                add((*v_loc, "insee"), visit.insee, f"is not a commune of {territory.name}")
                continue
            stop = stops.get(visit.stop_id)
            if stop is None:
                add((*v_loc, "stop_id"), visit.stop_id, "is not a stop of the scenario")
                continue
            opening = stop.windows_on(tour.date)
            if windows and not any(w.start <= visit.session_start <= w.end for w in opening):
                shown = ", ".join(f"{format_time(w.start)}-{format_time(w.end)}" for w in opening)
                add(
                    (*v_loc, "session_start"),
                    format_time(visit.session_start),
                    f"is outside the opening windows of {stop.commune_name} on {tour.date} "
                    f"({shown or 'closed that day'})",
                )
    for index, entry in enumerate(plan.roster):
        if entry.staff_id not in staff:
            add(("roster", index, "staff_id"), entry.staff_id, _unknown("a staff id", staff))
        if entry.unit_id not in units:
            add(("roster", index, "unit_id"), entry.unit_id, _unknown("a unit id", units))
        if entry.date not in plan.dates:
            add(("roster", index, "date"), entry.date.isoformat(), "is not one of the plan's dates")
    for index, idle in enumerate(plan.idle_unit_days):
        if idle.unit_id not in units:
            add(("idle_unit_days", index, "unit_id"), idle.unit_id, _unknown("a unit id", units))
        if monday is not None and idle.date not in week_days:
            add(("idle_unit_days", index, "date"), idle.date.isoformat(), f"is not in {plan.week}")
    for index, unvisited in enumerate(plan.unvisited):
        if unvisited.insee not in codes:
            add(
                ("unvisited", index, "insee"),
                unvisited.insee,
                f"is not a commune of {territory.name}",
            )
    stamp = plan.provenance.generated_at
    if stamp is not None:
        try:
            stamp.astimezone(dt.UTC)
        except (OverflowError, ValueError):
            add(("provenance", "generated_at"), stamp.isoformat(), "is not a representable time")
    return problems


def _unknown(what: str, known: Iterable[str]) -> str:
    names = sorted(known)
    listed = ", ".join(names[:10]) + (", ..." if len(names) > 10 else "")
    return f"is not {what} of the scenario ({listed})"


def _time_problems(tour: Tour, loc: Loc, day: tuple[int, int], add: Any) -> None:
    """Check that times run in order inside the unit's day: departure, visits, return."""
    start, end = day

    def before(a_loc: Loc, a: int, b_name: str, b: int) -> None:
        add(a_loc, format_time(a), f"is before {b_name} '{format_time(b)}'")

    if tour.departure < start:
        before((*loc, "departure"), tour.departure, "the unit's day start", start)
    if not start <= tour.shift_start <= tour.shift_end <= end:
        add(
            (*loc, "shift_start"),
            f"{format_time(tour.shift_start)}-{format_time(tour.shift_end)}",
            f"is not a shift inside the unit's day {format_time(start)}-{format_time(end)}",
        )
    previous_name, previous = "the tour's departure", tour.departure
    for v_index, visit in enumerate(tour.visits):
        v_loc: Loc = (*loc, "visits", v_index)
        if visit.arrival < previous:
            before((*v_loc, "arrival"), visit.arrival, previous_name, previous)
        if visit.session_start < visit.arrival:
            before((*v_loc, "session_start"), visit.session_start, "arrival", visit.arrival)
        if visit.session_end < visit.session_start:
            before((*v_loc, "session_end"), visit.session_end, "session_start", visit.session_start)
        elif visit.session_end == visit.session_start:
            add(
                (*v_loc, "session_end"),
                format_time(visit.session_end),
                f"is not after session_start '{format_time(visit.session_start)}'",
            )
        if visit.departure < visit.session_end:
            before((*v_loc, "departure"), visit.departure, "session_end", visit.session_end)
        previous_name, previous = f"visits[{v_index}].departure", visit.departure
    if tour.return_time < previous:
        before((*loc, "return_time"), tour.return_time, previous_name, previous)
    if tour.return_time > end:
        add(
            (*loc, "return_time"),
            format_time(tour.return_time),
            f"is after the unit's day end '{format_time(end)}'",
        )
    if tour.lunch is not None and not start <= tour.lunch.start < tour.lunch.end <= end:
        add(
            (*loc, "lunch"),
            f"{format_time(tour.lunch.start)}-{format_time(tour.lunch.end)}",
            f"is not a break inside the unit's day {format_time(start)}-{format_time(end)}",
        )


def _text_problems(value: Any, loc: Loc, add: Any) -> None:
    """Refuse text with line breaks or control characters, too long text, non-finite numbers."""
    if isinstance(value, dict):
        for key, item in value.items():
            _text_problems(item, (*loc, key), add)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _text_problems(item, (*loc, index), add)
    elif isinstance(value, str):
        if has_control_character(value):
            add(loc, value, "holds a line break or a control character")
        elif len(value) > _MAX_TEXT:
            add(loc, value, f"is longer than {_MAX_TEXT} characters")
    elif isinstance(value, float) and not math.isfinite(value):
        add(loc, value, "is not a finite number")
