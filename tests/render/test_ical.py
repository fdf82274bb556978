"""Calendars: one per unit and per staff member; visits once each; stable UIDs."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from icalendar import Calendar

from itinerant.plan import Plan
from itinerant.render import RenderContext, render_staff_calendars, render_unit_calendars

PARIS = ZoneInfo("Europe/Paris")


def _events(data: bytes) -> list[dict[str, object]]:
    calendar = Calendar.from_ical(data)
    assert calendar.get("version") == "2.0"
    assert [tz.get("tzid") for tz in calendar.walk("VTIMEZONE")] == ["Europe/Paris"]
    return [
        {
            "uid": str(e.get("uid")),
            "start": e.decoded("dtstart"),
            "end": e.decoded("dtend"),
            "stamp": e.decoded("dtstamp"),
            "location": str(e.get("location")),
            "geo": (e.get("geo").latitude, e.get("geo").longitude),
        }
        for e in calendar.walk("VEVENT")
    ]


def _expected(
    plan: Plan, *, unit_id: str | None = None, staff_id: str | None = None
) -> list[tuple[dt.datetime, dt.datetime, tuple[float, float]]]:
    out: list[tuple[dt.datetime, dt.datetime, tuple[float, float]]] = []
    for tour in plan.tours:
        if unit_id not in (None, tour.unit_id) or (staff_id and staff_id not in tour.crew):
            continue
        midnight = dt.datetime.combine(tour.date, dt.time(0), tzinfo=PARIS)
        out.extend(
            (
                midnight + dt.timedelta(minutes=v.session_start),
                midnight + dt.timedelta(minutes=v.session_end),
                (v.point.lat, v.point.lon),
            )
            for v in tour.visits
        )
    return out


def test_unit_calendars_hold_their_visits(week_plan: Plan, week_context: RenderContext) -> None:
    calendars = render_unit_calendars(week_plan, week_context)
    assert set(calendars) == {"bus", "tiny-house"}
    for unit_id, data in calendars.items():
        events = _events(data)
        got = [(e["start"], e["end"], e["geo"]) for e in events]
        assert got == _expected(week_plan, unit_id=unit_id)
        assert all(e["start"].tzinfo is not None for e in events)  # type: ignore[attr-defined]
        assert len({e["uid"] for e in events}) == len(events)
        assert all(e["stamp"] == dt.datetime(2026, 11, 23, 9, 15, tzinfo=dt.UTC) for e in events)


def test_staff_calendars_hold_whole_working_days(
    week_plan: Plan, week_context: RenderContext
) -> None:
    """A crew member's event lasts from leaving the depot to coming back, not the sessions."""
    calendars = render_staff_calendars(week_plan, week_context)
    assert set(calendars) == {s for t in week_plan.tours for s in t.crew}
    depot = (week_context.depot.point.lat, week_context.depot.point.lon)
    for staff_id, data in calendars.items():
        tours = [t for t in week_plan.tours if staff_id in t.crew]
        midnights = [dt.datetime.combine(t.date, dt.time(0), tzinfo=PARIS) for t in tours]
        events = _events(data)
        assert [(e["start"], e["end"], e["geo"]) for e in events] == [
            (m + dt.timedelta(minutes=t.departure), m + dt.timedelta(minutes=t.return_time), depot)
            for m, t in zip(midnights, tours, strict=True)
        ]
        # the day starts before its first session and ends after its last
        assert all(t.departure < t.visits[0].session_start for t in tours)
        assert all(t.return_time > t.visits[-1].session_end for t in tours)
        assert len({e["uid"] for e in events}) == len(events)
        calendar = Calendar.from_ical(data)
        for event, tour in zip(calendar.walk("VEVENT"), tours, strict=True):
            description = str(event.get("description"))
            assert all(v.venue_name in description for v in tour.visits)
    name = week_context.staff_name("camille")
    assert f"X-WR-CALNAME:Tournées — {name}".encode() in calendars["camille"]


def test_location_is_the_venue_address(week_plan: Plan, week_context: RenderContext) -> None:
    events = _events(render_unit_calendars(week_plan, week_context)["bus"])
    visits = [v for t in week_plan.tours if t.unit_id == "bus" for v in t.visits]
    assert [e["location"] for e in events] == [
        f"{v.venue_name}, {v.address or v.commune_name}" for v in visits
    ]


def test_uids_are_stable_and_survive_a_replan(week_plan: Plan, week_context: RenderContext) -> None:
    """Same plan twice: same bytes. A later re-plan of the week keeps the UIDs."""
    first = render_unit_calendars(week_plan, week_context)
    assert render_unit_calendars(week_plan, week_context) == first
    later = week_plan.model_copy(
        update={
            "provenance": week_plan.provenance.model_copy(
                update={
                    "generated_at": dt.datetime(2026, 11, 25, 8, 0, tzinfo=dt.UTC),
                    "scenario_hash": "edited",
                }
            )
        }
    )
    again = render_unit_calendars(later, week_context)
    for unit_id in first:
        assert [e["uid"] for e in _events(again[unit_id])] == [
            e["uid"] for e in _events(first[unit_id])
        ]
    # staff and unit calendars never share a UID (both may be imported in one place)
    staff = render_staff_calendars(week_plan, week_context)
    unit_uids = {e["uid"] for data in first.values() for e in _events(data)}
    staff_uids = {e["uid"] for data in staff.values() for e in _events(data)}
    assert not unit_uids & staff_uids


def test_staff_calendars_say_who_to_call(week_plan: Plan, contacts_context: RenderContext) -> None:
    calendars = render_staff_calendars(week_plan, contacts_context)
    for staff_id, data in calendars.items():
        for event in Calendar.from_ical(data).walk("VEVENT"):
            description = str(event.get("description"))
            assert "Coordination\u00a0: Coordination <b> — tél. 03 53 01 00 10" in description
            assert "En cas de retard ou de panne\u00a0: Appeler la coordination" in description
            assert f"tél. {contacts_context.staff_phones[staff_id]}" in description
