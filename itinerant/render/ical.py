"""iCalendar files: per unit an event per visit; per staff member an event per working day."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event

from itinerant.i18n import (
    approximate_note,
    format_clock,
    format_distance_km,
    format_duration,
    text,
)
from itinerant.render._common import contact_text, day_key, visit_key

if TYPE_CHECKING:
    from itinerant.i18n import Language
    from itinerant.plan import Plan, Tour
    from itinerant.render.context import RenderContext

__all__ = ["TIMEZONE", "render_staff_calendars", "render_unit_calendars"]

TIMEZONE = "Europe/Paris"
_PRODID = "-//itinerant//tours//FR"
_UID_DOMAIN = "itinerant"


def _stamp(plan: Plan) -> dt.datetime:
    """DTSTAMP: when the plan was made (UTC); the first day of the week if unknown."""
    if plan.provenance.generated_at is not None:
        stamp = plan.provenance.generated_at
        if stamp.tzinfo is None:
            stamp = stamp.replace(tzinfo=dt.UTC)
        return stamp.astimezone(dt.UTC)
    first = plan.dates[0] if plan.dates else dt.date.fromisocalendar(2000, 1, 1)
    return dt.datetime.combine(first, dt.time(0, 0), tzinfo=dt.UTC)


def _at(day: dt.date, minutes: int) -> dt.datetime:
    zone = ZoneInfo(TIMEZONE)
    return dt.datetime.combine(day, dt.time(0, 0), tzinfo=zone) + dt.timedelta(minutes=minutes)


def _calendar(who: str, events: list[Event]) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", _PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", who)
    calendar.add("x-wr-timezone", TIMEZONE)
    for event in events:
        calendar.add_component(event)
    calendar.add_missing_timezones()
    return bytes(calendar.to_ical())


def _event(
    plan: Plan,
    tour: Tour,
    index: int,
    owner: str,
    context: RenderContext,
    lang: Language,
    used: set[str],
) -> Event:
    visit = tour.visits[index]
    key = visit_key(plan, owner, tour, index)
    if key in used:  # the same stop, rank and stay day twice: tell them apart by date
        key = visit_key(plan, f"{owner}|{tour.date.isoformat()}", tour, index)
    used.add(key)
    event = Event()
    event.add("uid", f"{key}@{_UID_DOMAIN}")
    event.add("dtstamp", _stamp(plan))
    event.add("last-modified", _stamp(plan))
    event.add("dtstart", _at(tour.date, visit.session_start))
    event.add("dtend", _at(tour.date, visit.session_end))
    event.add(
        "summary",
        text(
            "calendar.summary",
            lang,
            unit=tour.unit_name,
            commune=visit.commune_name,
            venue=visit.venue_name,
        ),
    )
    # without a street address, the commune's name lets a phone find the place
    event.add("location", f"{visit.venue_name}, {visit.address or visit.commune_name}")
    event.add("geo", (visit.point.lat, visit.point.lon))
    crew = ", ".join(context.staff_name(s) for s in tour.crew)
    leg = text(
        "sheet.drive_leg",
        lang,
        duration=format_duration(visit.drive_min, lang),
        distance=format_distance_km(visit.distance_m, lang),
    )
    lines = [
        text("field", lang, label=text("unit", lang), value=tour.unit_name),
        text("field", lang, label=text("crew", lang), value=crew),
        text("sheet.arrive_at", lang, time=format_clock(visit.arrival, lang)),
        text(
            "sheet.session_hours",
            lang,
            start=format_clock(visit.session_start, lang),
            end=format_clock(visit.session_end, lang),
        ),
        text("sheet.leave_at", lang, time=format_clock(visit.departure, lang)),
        text("field", lang, label=text("drive", lang), value=leg),
    ]
    if visit.stay_days > 1:
        lines.append(text("stay", lang, day=visit.stay_day, days=visit.stay_days))
    if plan.provenance.approximate:
        lines.append(approximate_note(context.circuity, lang))
    event.add("description", "\n".join(lines))
    event.add("categories", [tour.unit_name])
    event.add("transp", "OPAQUE")
    return event


def render_unit_calendars(
    plan: Plan, context: RenderContext, *, lang: Language = "fr"
) -> dict[str, bytes]:
    """Render one calendar per unit: ``{unit_id: ics bytes}``, events in plan order."""
    out: dict[str, bytes] = {}
    for unit_id in sorted({t.unit_id for t in plan.tours}):
        tours = [t for t in plan.tours if t.unit_id == unit_id]
        owner = f"unit:{unit_id}"
        used: set[str] = set()
        events = [
            _event(plan, tour, i, owner, context, lang, used)
            for tour in tours
            for i in range(len(tour.visits))
        ]
        who = text("calendar.name", lang, who=tours[0].unit_name)
        out[unit_id] = _calendar(who, events)
    return out


def _day_event(plan: Plan, tour: Tour, owner: str, context: RenderContext, lang: Language) -> Event:
    """Make the event of a crew member's whole working day: depot to depot, stops listed."""
    depot = context.base_of(tour.unit_id)
    event = Event()
    event.add("uid", f"{day_key(plan, owner, tour)}@{_UID_DOMAIN}")
    event.add("dtstamp", _stamp(plan))
    event.add("last-modified", _stamp(plan))
    event.add("dtstart", _at(tour.date, tour.departure))
    event.add("dtend", _at(tour.date, tour.return_time))
    communes = ", ".join(dict.fromkeys(v.commune_name for v in tour.visits))
    event.add("summary", text("calendar.day_summary", lang, unit=tour.unit_name, communes=communes))
    event.add("location", f"{depot.name}, {depot.address}" if depot.address else depot.name)
    event.add("geo", (depot.point.lat, depot.point.lon))
    lines = [
        f"{text('sheet.leave_depot', lang)} {format_clock(tour.departure, lang)}",
        *(
            text(
                "calendar.stop_line",
                lang,
                rank=rank,
                venue=visit.venue_name,
                commune=visit.commune_name,
                arrival=format_clock(visit.arrival, lang),
                start=format_clock(visit.session_start, lang),
                end=format_clock(visit.session_end, lang),
            )
            for rank, visit in enumerate(tour.visits, start=1)
        ),
        f"{text('sheet.back_depot', lang)} {format_clock(tour.return_time, lang)}",
        "",
        text("field", lang, label=text("crew", lang), value=_crew(tour, context, lang)),
    ]
    if context.coordinator is not None:
        lines.append(
            text(
                "field",
                lang,
                label=text("contact.coordinator", lang),
                value=contact_text(context.coordinator, lang),
            )
        )
    if context.delay_or_breakdown:
        lines.append(
            text(
                "field",
                lang,
                label=text("contact.delay_or_breakdown", lang),
                value=context.delay_or_breakdown,
            )
        )
    if plan.provenance.approximate:
        lines.append(text("approximate", lang, circuity=f"{context.circuity:g}"))
    event.add("description", "\n".join(lines))
    event.add("categories", [tour.unit_name])
    event.add("transp", "OPAQUE")
    return event


def _crew(tour: Tour, context: RenderContext, lang: Language) -> str:
    """List the crew's names, each with a phone number where the scenario gives one."""
    names = []
    for staff_id in tour.crew:
        name = context.staff_name(staff_id)
        phone = context.staff_phones.get(staff_id)
        names.append(f"{name} ({text('contact.phone', lang, phone=phone)})" if phone else name)
    return ", ".join(names)


def render_staff_calendars(
    plan: Plan, context: RenderContext, *, lang: Language = "fr"
) -> dict[str, bytes]:
    """Render one calendar per staff member on a tour: ``{staff_id: ics bytes}``.

    One event per working day, from leaving the depot to coming back (the time the day
    takes, not only the sessions), its stops, crew and contacts in the description.
    """
    out: dict[str, bytes] = {}
    for staff_id in sorted({s for t in plan.tours for s in t.crew}):
        owner = f"staff:{staff_id}"
        events = [
            _day_event(plan, tour, owner, context, lang)
            for tour in plan.tours
            if staff_id in tour.crew
        ]
        who = text("calendar.name", lang, who=context.staff_name(staff_id))
        out[staff_id] = _calendar(who, events)
    return out
