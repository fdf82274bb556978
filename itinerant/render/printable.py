"""Printable itineraries: one A4 sheet per unit-day, as HTML (print CSS) and as a PDF.

The HTML comes from Jinja2 templates with autoescape on; the PDF is the same HTML laid
out by WeasyPrint, so the screen, the browser's print and the PDF show one document.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import segno
from markupsafe import Markup

from itinerant.errors import ItinerantError
from itinerant.i18n import (
    approximate_note,
    format_clock,
    format_date,
    format_distance_km,
    format_duration,
    text,
)
from itinerant.render._common import (
    navigation_uri,
    tel_uri,
    templates,
    tour_line,
    tour_slug,
)
from itinerant.render.sketch import render_route_sketch

if TYPE_CHECKING:
    from itinerant.i18n import Language
    from itinerant.plan import Plan, Tour
    from itinerant.render.context import RenderContext
    from itinerant.scenario import Contact

__all__ = [
    "PdfUnavailableError",
    "render_sheet_html",
    "render_week_html",
    "render_week_pdf",
]


class PdfUnavailableError(ItinerantError, RuntimeError):
    """WeasyPrint (or the pango library it needs) is not installed: no PDF."""


@dataclass(frozen=True)
class _Row:
    """One line of the itinerary table (depot, stop, lunch or return)."""

    kind: str
    number: str
    time: str
    lines: tuple[str, ...]
    title: str = ""
    details: tuple[str, ...] = ()
    leg: str = ""
    qr: Markup | None = None
    coordinates: str = ""
    contact: Markup | None = None
    sort_key: int = 0


def _qr_svg(uri: str) -> Markup:
    """Make an inline SVG QR code (vector: sharp in print); our own markup, hence ``Markup``."""
    svg = segno.make(uri, error="m").svg_inline(scale=1, border=2, omitsize=True)
    return Markup(svg)


def _phone(phone: str, lang: Language) -> Markup:
    """Show a phone number as a ``tel:`` link (a tap calls it on a phone; printed as text)."""
    return Markup('<a class="tel" href="{}">{}</a>').format(
        tel_uri(phone), text("contact.phone", lang, phone=phone)
    )


def _contact(contact: Contact, lang: Language) -> Markup:
    """``Name — tél. 03 ...`` with the number as a link, everything escaped."""
    if not contact.name:
        return _phone(contact.phone, lang)
    return Markup("{} — {}").format(contact.name, _phone(contact.phone, lang))


def _leg(minutes: int, metres: int, lang: Language) -> str:
    return text(
        "sheet.drive_leg",
        lang,
        duration=format_duration(minutes, lang),
        distance=format_distance_km(metres, lang),
    )


def _rows(tour: Tour, context: RenderContext, lang: Language) -> list[_Row]:
    depot = context.base_of(tour.unit_id)
    rows = [
        _Row(
            kind="depot",
            number="D",
            time=format_clock(tour.departure, lang),
            title=text("sheet.leave_depot", lang),
            lines=tuple(x for x in (depot.name, depot.address) if x),
            sort_key=tour.departure,
        )
    ]
    for rank, visit in enumerate(tour.visits, start=1):
        details = [
            text(
                "sheet.session_hours",
                lang,
                start=format_clock(visit.session_start, lang),
                end=format_clock(visit.session_end, lang),
            ),
            text("sheet.leave_at", lang, time=format_clock(visit.departure, lang)),
        ]
        if visit.stay_days > 1:
            details.append(text("stay", lang, day=visit.stay_day, days=visit.stay_days))
        if not visit.setup:
            details.append(text("sheet.no_setup", lang))
        if not visit.packup:
            details.append(text("sheet.no_packup", lang))
        rows.append(
            _Row(
                kind="stop",
                number=str(rank),
                time=format_clock(visit.arrival, lang),
                title=visit.venue_name,
                lines=tuple(
                    x for x in (visit.address, f"{visit.commune_name} ({visit.insee})") if x
                ),
                details=tuple(details),
                leg=_leg(visit.drive_min, visit.distance_m, lang),
                qr=_qr_svg(navigation_uri(visit.point, context.navigation)),
                coordinates=f"{visit.point.lat:.5f}, {visit.point.lon:.5f}",
                contact=_stop_contact(visit.stop_id, context, lang),
                sort_key=visit.arrival,
            )
        )
    if tour.lunch is not None:
        rows.append(
            _Row(
                kind="lunch",
                number="",
                time=format_clock(tour.lunch.start, lang),
                title=text("lunch", lang),
                lines=(
                    f"{format_clock(tour.lunch.start, lang)} – {format_clock(tour.lunch.end, lang)}",
                ),
                sort_key=tour.lunch.start,
            )
        )
    rows.append(
        _Row(
            kind="return",
            number="D",
            time=format_clock(tour.return_time, lang),
            title=text("sheet.back_depot", lang),
            lines=(depot.name,),
            leg=_leg(tour.return_drive_min, tour.return_distance_m, lang),
            sort_key=tour.return_time,
        )
    )
    # stable sort: lunch falls between the stops, in time order
    return sorted(rows, key=lambda r: r.sort_key)


def _stop_contact(stop_id: str, context: RenderContext, lang: Language) -> Markup | None:
    contact = context.stop_contacts.get(stop_id)
    if contact is None:
        return None
    return Markup("{}{}{}").format(
        text("contact.on_site", lang), text("colon", lang), _contact(contact, lang)
    )


def _roles(plan: Plan, tour: Tour) -> dict[str, str]:
    return {
        e.staff_id: e.role for e in plan.roster if e.date == tour.date and e.unit_id == tour.unit_id
    }


def _sheet(
    plan: Plan, tour: Tour, context: RenderContext, lang: Language, *, map_href: str | None
) -> dict[str, Any]:
    roles = _roles(plan, tour)
    crew = []
    for staff_id in tour.crew:
        name = context.staff_name(staff_id)
        entry = Markup("{} ({})").format(name, roles[staff_id]) if staff_id in roles else name
        phone = context.staff_phones.get(staff_id)
        crew.append(Markup("{} — {}").format(entry, _phone(phone, lang)) if phone else entry)
    coordinator = (
        _contact(context.coordinator, lang)
        if context.coordinator is not None
        else text("contact.no_coordinator", lang)
    )
    _, approximate = tour_line(plan, tour, context)
    totals = [
        (text("sheet.visits", lang), str(len(tour.visits))),
        (text("sheet.total_drive", lang), format_duration(tour.drive_min, lang)),
        (text("sheet.total_distance", lang), format_distance_km(tour.distance_m, lang)),
        (text("sheet.total_on_site", lang), format_duration(tour.on_site_min, lang)),
        (text("sheet.total_span", lang), format_duration(tour.span_min, lang)),
    ]
    return {
        "id": tour_slug(tour),
        "unit": tour.unit_name,
        "date": format_date(tour.date, lang, year=True),
        "crew": Markup(" · ").join(crew),
        "coordinator": coordinator,
        "delay_or_breakdown": context.delay_or_breakdown,
        "shift": text(
            "sheet.shift",
            lang,
            start=format_clock(tour.shift_start, lang),
            end=format_clock(tour.shift_end, lang),
        ),
        "rows": _rows(tour, context, lang),
        "totals": totals,
        "sketch": Markup(render_route_sketch(plan, tour, context, lang=lang)),
        "sketch_legend": text("sheet.sketch_approx" if approximate else "sheet.sketch_road", lang),
        "map_href": map_href,
    }


def _generated(plan: Plan, lang: Language) -> str:
    stamp = plan.provenance.generated_at
    when = ""
    if stamp is not None:
        local = stamp.astimezone(dt.UTC) if stamp.tzinfo is not None else stamp
        when = format_date(local.date(), lang, weekday=False, year=True)
    return text("sheet.generated", lang, scenario=plan.provenance.scenario_name, date=when)


def _document(
    plan: Plan,
    context: RenderContext,
    tours: list[Tour],
    *,
    lang: Language,
    title: str,
    map_hrefs: dict[str, str] | None,
) -> str:
    template = templates().get_template("sheets.html.j2")
    sheets = [
        _sheet(
            plan,
            tour,
            context,
            lang,
            map_href=None if map_hrefs is None else map_hrefs.get(tour_slug(tour)),
        )
        for tour in tours
    ]
    return template.render(
        lang=lang,
        title=title,
        week=text("week", lang, week=plan.week),
        sheets=sheets,
        approximate=approximate_note(context.circuity, lang) if plan.provenance.approximate else "",
        generated=_generated(plan, lang),
        colon=text("colon", lang),
        t=lambda key, **values: text(key, lang, **values),
    )


def render_sheet_html(
    plan: Plan,
    tour: Tour,
    context: RenderContext,
    *,
    lang: Language = "fr",
    map_href: str | None = None,
) -> str:
    """Render the printable itinerary of one unit-day as a standalone HTML page.

    Parameters
    ----------
    map_href
        Relative link to the unit-day's interactive map, shown on screen (not printed).
    """
    title = f"{text('sheet.title', lang)} — {tour.unit_name} — {format_date(tour.date, lang)}"
    return _document(
        plan,
        context,
        [tour],
        lang=lang,
        title=title,
        map_hrefs=None if map_href is None else {tour_slug(tour): map_href},
    )


def render_week_html(
    plan: Plan,
    context: RenderContext,
    *,
    lang: Language = "fr",
    map_hrefs: dict[str, str] | None = None,
) -> str:
    """Render every unit-day of the week in one HTML document, one A4 page each."""
    title = text("sheet.week_title", lang, week=plan.week)
    return _document(plan, context, list(plan.tours), lang=lang, title=title, map_hrefs=map_hrefs)


def render_week_pdf(plan: Plan, context: RenderContext, *, lang: Language = "fr") -> bytes:
    """Render the week's itineraries as a PDF, one A4 page per unit-day.

    Raises
    ------
    PdfUnavailableError
        When WeasyPrint or its system libraries (pango) are missing.
    """
    try:
        from weasyprint import HTML  # type: ignore[import-untyped]  # noqa: PLC0415
    except (ImportError, OSError) as exc:
        msg = (
            f"cannot make the PDF: {exc}. Install WeasyPrint (pip install weasyprint) and "
            "its system libraries (scripts/install-system-deps.sh on Debian/Ubuntu)"
        )
        raise PdfUnavailableError(msg) from exc
    document = render_week_html(plan, context, lang=lang)
    pdf = HTML(string=document).write_pdf()
    assert pdf is not None  # no target given: the PDF is returned
    return bytes(pdf)
