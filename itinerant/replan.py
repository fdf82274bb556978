"""Replan the rest of a week after a disruption, keeping announced visits where possible.

A replan takes the week's plan, the date from which to replan and what went wrong
(a unit unavailable, a staff member absent, a stop closed). Visits before that date are
done: their days are days off for the replan, and their communes count as visited for
rotation. Visits from that date on were announced: they are pinned to their date (see
``pinned`` in :func:`itinerant.optimize.week.plan_week`), and each change is listed:
``kept``, ``retimed``, ``recrewed`` (same day, unit and time, another crew), ``moved``
(with the reason), ``cancelled`` (with the reason) or ``added``.
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict

from itinerant.errors import DisruptionIgnoredWarning, ScenarioError
from itinerant.i18n import Language, format_clock, format_date, text
from itinerant.optimize.week import plan_week, week_kpis
from itinerant.plan import Plan
from itinerant.render.csv_format import Cell, csv_header, render_csv
from itinerant.scenario import Scenario, Staff, StopRule, TimeOfDay, dates_cover, format_time

if TYPE_CHECKING:
    from itinerant.geo.matrix import TravelMatrix
    from itinerant.territory import Stop, Territory

__all__ = [
    "CHANGE_COLUMNS",
    "Change",
    "Disruption",
    "ReplanResult",
    "apply_disruptions",
    "changes_csv",
    "format_changes",
    "parse_disruption",
    "replan_week",
]

DisruptionKind = Literal["unit_unavailable", "staff_absent", "stop_closed"]
OPTIONS: dict[DisruptionKind, str] = {
    "unit_unavailable": "--unit-unavailable",
    "staff_absent": "--staff-absent",
    "stop_closed": "--stop-closed",
}
"""The command-line option of each kind of disruption, for messages."""

ChangeKind = Literal["kept", "retimed", "recrewed", "moved", "cancelled", "added"]
CancelReason = Literal["closed", "unit unavailable", "crew absent", "road closed", "no longer fits"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Disruption(_Model):
    """Something that changed after the plan was announced."""

    kind: DisruptionKind
    target: str
    dates: tuple[dt.date, ...]


class Change(_Model):
    """What became of one announced visit (or a visit the replan adds).

    ``retimed``: same day and unit, another session time (the commune must be told too);
    ``recrewed``: same day, unit and time, another crew. ``from_crew`` and ``to_crew``
    are the crews' names, in the order of the unit's roles.
    """

    kind: ChangeKind
    stop_id: str
    insee: str
    commune_name: str
    from_date: dt.date | None = None
    from_start: TimeOfDay | None = None
    from_unit: str | None = None
    to_date: dt.date | None = None
    to_start: TimeOfDay | None = None
    to_unit: str | None = None
    from_crew: tuple[str, ...] = ()
    to_crew: tuple[str, ...] = ()
    reason: CancelReason | None = None


class ReplanResult(_Model):
    """The whole week after the replan (days before ``start`` as done) and what changed."""

    start: dt.date
    unchanged_dates: tuple[dt.date, ...]
    plan: Plan
    changes: tuple[Change, ...]
    roads_closed: tuple[str, ...] = ()


def parse_disruption(
    kind: DisruptionKind,
    value: str,
    *,
    start: dt.date,
    week_dates: Sequence[dt.date],
    lang: Language = "fr",
) -> Disruption:
    """Parse ``TARGET[:DATE[,DATE..]]``; no date: from ``start`` to the end of the week.

    Dates that cannot be replanned are ignored, with a warning in ``lang``.
    """
    target, _, days = value.partition(":")
    if not target:
        msg = f"{OPTIONS[kind]}: {value!r} names nothing (expected NAME[:YYYY-MM-DD[,..]])"
        raise ScenarioError([msg])
    try:
        dates = tuple(dt.date.fromisoformat(d.strip()) for d in days.split(",") if d.strip())
    except ValueError:
        msg = f"{OPTIONS[kind]}: {value!r}: dates must be YYYY-MM-DD, separated by commas"
        raise ScenarioError([msg]) from None
    if not dates:
        dates = tuple(d for d in week_dates if d >= start)
    ignored = [d for d in dates if d < start or d not in week_dates]
    if ignored:
        days_text = ", ".join(d.isoformat() for d in ignored)
        message = text(
            "change.ignored_dates",
            lang,
            option=f"{OPTIONS[kind]} {value}",
            days=days_text,
            start=start.isoformat(),
        )
        warnings.warn(message, DisruptionIgnoredWarning, stacklevel=2)
    return Disruption(kind=kind, target=target, dates=dates)


def apply_disruptions(
    scenario: Scenario, territory: Territory, disruptions: Sequence[Disruption]
) -> Scenario:
    """Return the scenario with units unavailable, staff absent and stops closed.

    Raises
    ------
    ScenarioError
        A unit, staff member or commune that the scenario or territory does not know
        (every one named, with its option).
    """
    units = {u.id: u for u in scenario.units}
    staff = {m.id: m for m in scenario.staff}
    rules = list(scenario.communes)
    problems: list[str] = []
    for item in disruptions:
        option = OPTIONS[item.kind]
        if item.kind == "unit_unavailable":
            if item.target not in units:
                problems.append(
                    f"{option}: unknown unit {item.target!r} (units: {', '.join(sorted(units))})"
                )
                continue
            unit = units[item.target]
            units[item.target] = unit.model_copy(
                update={"unavailable": (*unit.unavailable, *item.dates)}
            )
        elif item.kind == "staff_absent":
            if item.target not in staff:
                problems.append(
                    f"{option}: unknown staff member {item.target!r} "
                    f"(staff: {', '.join(sorted(staff))})"
                )
                continue
            member = staff[item.target]
            staff[item.target] = member.model_copy(
                update={"absences": (*member.absences, *item.dates)}
            )
        else:
            commune = territory.find(item.target)
            if commune is None:
                problems.append(f"{option}: unknown commune {item.target!r} (INSEE code or name)")
                continue
            for i, rule in enumerate(rules):
                found = territory.find(rule.commune)
                if found is not None and found.insee == commune.insee:
                    rules[i] = rule.model_copy(update={"closures": (*rule.closures, *item.dates)})
                    break
            else:
                rules.append(StopRule(commune=commune.insee, closures=item.dates))
    if problems:
        raise ScenarioError(problems)
    return scenario.model_copy(
        update={
            "units": tuple(units.values()),
            "staff": tuple(staff.values()),
            "communes": tuple(rules),
        }
    )


def _entries(plan: Plan, keep: set[dt.date]) -> list[tuple[str, dt.date, str]]:
    """(stop id, date, unit id) of every visit on the given dates."""
    return sorted(
        (visit.stop_id, tour.date, tour.unit_id)
        for tour in plan.tours
        if tour.date in keep
        for visit in tour.visits
    )


def replan_week(
    scenario: Scenario,
    stops: Sequence[Stop],
    scores: Mapping[str, float],
    last_visits: Mapping[str, dt.date],
    matrices: Mapping[str, TravelMatrix],
    previous: Plan,
    *,
    start: dt.date,
    scenario_hash: str = "",
    generated_at: dt.datetime | None = None,
    seed: int | None = None,
    territory: Territory | None = None,
    roads_closed: Sequence[str] = (),
) -> ReplanResult:
    """Replan ``previous`` from ``start`` on.

    ``scenario`` already has the disruptions (:func:`apply_disruptions`), and ``stops``
    and ``matrices`` are built from it, so that closed stops show no window; matrices
    built without the closed roads (``roads_closed``, named in the result and given as
    the reason of a change that nothing else explains).

    The days before ``start`` are unchanged (done): they become days off, their visits
    count in ``last_visits`` and against the weekly visit bounds. The visits from
    ``start`` on are pinned to their date, and the changes are listed.
    """
    before = tuple(d for d in previous.dates if d < start)
    after = {d for d in previous.dates if d >= start}
    done = _entries(previous, set(before))
    announced = _entries(previous, after)
    last = dict(last_visits)
    counts: dict[str, int] = {}
    by_id = {s.id: s for s in stops}
    for stop_id, day, _ in done:
        insee = by_id[stop_id].insee if stop_id in by_id else stop_id
        last[insee] = max(day, last.get(insee, day))
        counts[stop_id] = counts.get(stop_id, 0) + 1
    remaining = tuple(
        stop.model_copy(
            update={
                "max_visits_per_week": max(0, stop.max_visits_per_week - counts[stop.id]),
                "min_visits_per_week": max(0, stop.min_visits_per_week - counts[stop.id]),
                "must_visit": False,
            }
        )
        if stop.id in counts
        else stop
        for stop in stops
    )
    period = scenario.period.model_copy(update={"days_off": (*scenario.period.days_off, *before)})
    replanned = scenario.model_copy(
        update={
            "period": period,
            "staff": _hours_left(scenario, previous, start, sorted(after)),
        }
    )
    pinned: dict[str, dt.date] = {}
    announced_starts: dict[str, int] = {}
    starts = _session_starts(previous)
    for stop_id, day, unit_id in announced:
        if stop_id in by_id and stop_id not in pinned:
            pinned[stop_id] = day
            announced_starts[stop_id] = starts[(stop_id, day, unit_id)]
    plan = plan_week(
        replanned,
        remaining,
        scores,
        last,
        matrices,
        week=previous.week,
        scenario_hash=scenario_hash,
        generated_at=generated_at,
        seed=seed,
        territory=territory,
        pinned=pinned,
        announced_starts=announced_starts,
    )
    changes = _changes(
        scenario, previous, plan, announced, by_id, starts, roads_closed=bool(roads_closed)
    )
    whole = _whole_week(scenario, stops, previous, plan, start)
    return ReplanResult(
        start=start,
        unchanged_dates=before,
        plan=whole,
        changes=changes,
        roads_closed=tuple(roads_closed),
    )


def _hours_left(
    scenario: Scenario, previous: Plan, start: dt.date, remaining_days: Sequence[dt.date]
) -> tuple[Staff, ...]:
    """Staff with their weekly hours reduced by the shifts already worked before ``start``.

    A member with no hours left is absent for the rest of the week.
    """
    worked: dict[str, int] = {}
    for tour in previous.tours:
        if tour.date < start:
            for staff_id in tour.crew:
                worked[staff_id] = worked.get(staff_id, 0) + tour.shift_end - tour.shift_start
    staff = []
    for member in scenario.staff:
        if member.id not in worked:
            staff.append(member)
            continue
        left_h = member.max_hours_week - worked[member.id] / 60
        if left_h > 0:
            staff.append(member.model_copy(update={"max_hours_week": left_h}))
        else:
            absences = (*member.absences, *remaining_days)
            staff.append(member.model_copy(update={"absences": absences}))
    return tuple(staff)


def _whole_week(
    scenario: Scenario, stops: Sequence[Stop], previous: Plan, replanned: Plan, start: dt.date
) -> Plan:
    """Return the week as it now stands: the done days of ``previous``, then ``replanned``.

    So that the new plan.json, its sheets and calendars, and ``history add`` cover the
    whole week, the days already done included.
    """
    done_tours = [t for t in previous.tours if t.date < start]
    tours = sorted(
        [*done_tours, *(t for t in replanned.tours if t.date >= start)],
        key=lambda t: (t.date, t.unit_id),
    )
    visited = {v.stop_id for t in tours for v in t.visits}
    roster = sorted(
        [
            *(r for r in previous.roster if r.date < start),
            *(r for r in replanned.roster if r.date >= start),
        ],
        key=lambda r: (r.staff_id, r.date, r.unit_id),
    )
    idle = sorted(
        [
            *(i for i in previous.idle_unit_days if i.date < start),
            *(i for i in replanned.idle_unit_days if i.date >= start),
        ],
        key=lambda i: (i.date, i.unit_id),
    )
    return replanned.model_copy(
        update={
            "dates": previous.dates,
            "tours": tuple(tours),
            "roster": tuple(roster),
            "idle_unit_days": tuple(idle),
            "unvisited": tuple(u for u in replanned.unvisited if u.stop_id not in visited),
            "kpis": week_kpis(tours, stops, [m.id for m in scenario.staff]),
        }
    )


def _reason(
    scenario: Scenario,
    previous: Plan,
    stop: Stop | None,
    day: dt.date,
    unit_id: str,
    *,
    roads_closed: bool,
) -> CancelReason:
    """Why an announced visit could not stay as it was."""
    if stop is not None and not stop.windows_on(day):
        return "closed"
    unit = next((u for u in scenario.units if u.id == unit_id), None)
    if unit is not None and dates_cover(unit.unavailable, day):
        return "unit unavailable"
    crew = {sid for t in previous.tours if t.unit_id == unit_id and t.date == day for sid in t.crew}
    if any(dates_cover(m.absences, day) for m in scenario.staff if m.id in crew):
        return "crew absent"
    return "road closed" if roads_closed else "no longer fits"


def _crews(plan: Plan) -> dict[tuple[str, dt.date, str], tuple[str, ...]]:
    """Crew (staff ids) of every visit, by (stop id, date, unit id)."""
    return {
        (visit.stop_id, tour.date, tour.unit_id): tour.crew
        for tour in plan.tours
        for visit in tour.visits
    }


def _session_starts(plan: Plan) -> dict[tuple[str, dt.date, str], int]:
    """Session start of every visit, by (stop id, date, unit id)."""
    return {
        (visit.stop_id, tour.date, tour.unit_id): visit.session_start
        for tour in plan.tours
        for visit in tour.visits
    }


def _changes(
    scenario: Scenario,
    previous: Plan,
    plan: Plan,
    announced: list[tuple[str, dt.date, str]],
    by_id: Mapping[str, Stop],
    old_start: Mapping[tuple[str, dt.date, str], int],
    *,
    roads_closed: bool,
) -> tuple[Change, ...]:
    new = _entries(plan, set(plan.dates))
    names = {v.stop_id: (v.insee, v.commune_name) for t in previous.tours for v in t.visits}
    names |= {v.stop_id: (v.insee, v.commune_name) for t in plan.tours for v in t.visits}
    new_start = _session_starts(plan)
    old_crew, new_crew = _crews(previous), _crews(plan)
    staff_names = {m.id: m.name for m in scenario.staff}

    def crew_names(crew: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(staff_names.get(sid, sid) for sid in crew)

    left = list(new)
    changes: list[Change] = []
    moved_from: list[tuple[str, dt.date, str]] = []

    def change(
        kind: ChangeKind,
        stop_id: str,
        before: tuple[str, dt.date, str] | None,
        after: tuple[str, dt.date, str] | None,
        reason: CancelReason | None = None,
    ) -> Change:
        insee, name = names[stop_id]
        return Change(
            kind=kind,
            stop_id=stop_id,
            insee=insee,
            commune_name=name,
            from_date=before[1] if before else None,
            from_start=old_start[before] if before else None,
            from_unit=before[2] if before else None,
            to_date=after[1] if after else None,
            to_start=new_start[after] if after else None,
            to_unit=after[2] if after else None,
            from_crew=crew_names(old_crew[before]) if before else (),
            to_crew=crew_names(new_crew[after]) if after else (),
            reason=reason,
        )

    for entry in announced:
        if entry in left:
            left.remove(entry)
            kind: ChangeKind = "kept"
            if old_start[entry] != new_start[entry]:
                kind = "retimed"
            elif old_crew[entry] != new_crew[entry]:
                kind = "recrewed"
            absent = kind == "recrewed" and any(
                dates_cover(m.absences, entry[1]) for m in scenario.staff if m.id in old_crew[entry]
            )
            reason: CancelReason | None = "crew absent" if absent else None
            changes.append(change(kind, entry[0], entry, entry, reason))
        else:
            moved_from.append(entry)
    for entry in moved_from:
        stop_id, day, unit_id = entry
        reason = _reason(
            scenario, previous, by_id.get(stop_id), day, unit_id, roads_closed=roads_closed
        )
        target = next((e for e in left if e[0] == stop_id), None)
        if target is None:
            changes.append(change("cancelled", stop_id, entry, None, reason))
            continue
        left.remove(target)
        changes.append(change("moved", stop_id, entry, target, reason))
    changes += [change("added", entry[0], None, entry) for entry in left]
    order = {"cancelled": 0, "moved": 1, "retimed": 2, "recrewed": 3, "added": 4, "kept": 5}
    changes.sort(key=lambda c: (order[c.kind], c.from_date or c.to_date or dt.date.min, c.insee))
    return tuple(changes)


CHANGE_COLUMNS = (
    "change",
    "insee",
    "commune",
    "from_date",
    "from_time",
    "from_unit",
    "from_crew",
    "to_date",
    "to_time",
    "to_unit",
    "to_crew",
    "reason",
)
"""Columns of ``changes.csv`` (keys; headers in the scenario's language)."""


def changes_csv(result: ReplanResult, lang: Language = "fr") -> str:
    """Render the change list as CSV (:func:`~itinerant.render.csv_format.render_csv`).

    One row per announced visit (kept, retimed, recrewed, moved, cancelled) or added
    one, after one row per day already done; labels in ``lang``, dates as ``YYYY-MM-DD``,
    crews as names joined by ``, ``.
    """
    rows: list[list[Cell]] = []
    for day in result.unchanged_dates:
        label = text("change.unchanged_day", lang)
        rows.append([label, "", "", day.isoformat(), "", "", "", day.isoformat(), "", "", "", ""])
    for c in result.changes:
        rows.append(
            [
                text(f"change.{c.kind}", lang),
                c.insee,
                c.commune_name,
                c.from_date.isoformat() if c.from_date else "",
                format_time(c.from_start) if c.from_start is not None else "",
                c.from_unit or "",
                ", ".join(c.from_crew),
                c.to_date.isoformat() if c.to_date else "",
                format_time(c.to_start) if c.to_start is not None else "",
                c.to_unit or "",
                ", ".join(c.to_crew),
                text(f"change.reason.{c.reason}", lang) if c.reason else "",
            ]
        )
    return render_csv(csv_header(CHANGE_COLUMNS, lang), rows, lang)


def format_changes(result: ReplanResult, lang: Language = "fr") -> str:
    """Return the change list as text lines, for the command line."""
    lines = [text("change.title", lang, date=format_date(result.start, lang))]
    if result.unchanged_dates:
        days = ", ".join(format_date(d, lang) for d in result.unchanged_dates)
        lines.append(text("change.done_days", lang, days=days))
    if result.roads_closed:
        lines.append(text("change.roads", lang, roads="; ".join(result.roads_closed)))
    kinds = ("kept", "retimed", "recrewed", "moved", "cancelled", "added")
    width = max(len(text(f"change.{kind}", lang)) for kind in kinds)

    def when(day: dt.date | None, start: int | None, unit: str | None) -> str:
        clock = f" {format_clock(start, lang)}" if start is not None else ""
        return f"{format_date(day, lang) if day else '?'}{clock} ({unit})"

    for c in result.changes:
        label = f"  {text(f'change.{c.kind}', lang):<{width}}  {c.commune_name} ({c.insee})"
        colon = " : " if lang == "fr" else ": "
        reason = f"{colon}{text(f'change.reason.{c.reason}', lang)}" if c.reason else ""
        before = when(c.from_date, c.from_start, c.from_unit)
        after = when(c.to_date, c.to_start, c.to_unit)
        if c.kind == "recrewed":
            crews = f"{', '.join(c.from_crew)} -> {', '.join(c.to_crew)}"
            lines.append(f"{label}, {before}, {text('crew', lang).lower()} {crews}{reason}")
        elif c.kind in ("moved", "retimed"):
            lines.append(f"{label}, {before} -> {after}{reason}")
        elif c.kind == "added":
            lines.append(f"{label}, {after}")
        else:
            lines.append(f"{label}, {before}{reason}")
    return "\n".join(lines)
