"""Printed itineraries: one sheet (and one PDF page) per unit-day, in French or English."""

from __future__ import annotations

import io
import re
import subprocess
import sys

import pytest
from markupsafe import escape
from pypdf import PdfReader

from itinerant.i18n import Language, format_clock, format_date, format_distance_km, format_duration
from itinerant.plan import Plan
from itinerant.render import (
    RenderContext,
    render_sheet_html,
    render_week_html,
    render_week_pdf,
)
from itinerant.render._common import tour_slug

EVIL = "<script>alert(1)</script>"


def _sections(document: str) -> dict[str, str]:
    parts = re.split(r'<section class="sheet" id="([^"]+)">', document)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_each_visit_on_its_sheet(
    week_plan: Plan, week_context: RenderContext, lang: Language
) -> None:
    sections = _sections(render_week_html(week_plan, week_context, lang=lang))
    assert list(sections) == [tour_slug(t) for t in week_plan.tours]
    for tour in week_plan.tours:
        sheet = sections[tour_slug(tour)]
        assert sheet.count('<tr class="stop">') == len(tour.visits)
        assert escape(tour.unit_name) in sheet
        assert format_date(tour.date, lang, year=True) in sheet
        assert format_clock(tour.departure, lang) in sheet
        assert format_clock(tour.return_time, lang) in sheet
        assert format_distance_km(tour.distance_m, lang) in sheet
        for name in tour.crew:
            assert week_context.staff_name(name) in sheet
        for visit in tour.visits:
            assert escape(visit.venue_name) in sheet
            assert escape(visit.address) in sheet
            for minutes in (visit.arrival, visit.session_start, visit.session_end):
                assert format_clock(minutes, lang) in sheet
            assert format_duration(visit.drive_min, lang) in sheet
            # on no other sheet (each venue is visited once in this week)
            title = f'<div class="title">{escape(visit.venue_name)}</div>'
            assert [k for k, s in sections.items() if title in s] == [tour_slug(tour)]
        # QR codes: one per stop, navigation to its coordinates, as inline SVG
        assert sheet.count('<td class="qr"><svg') == len(tour.visits)
        # the route sketch is inline SVG (no tiles), with one numbered circle per stop
        assert sheet.count('<circle class="n"') == len(tour.visits)
        assert "tile" not in sheet
    assert "Feuille de route" in sections[tour_slug(week_plan.tours[0])] or lang == "en"
    if lang == "en":
        assert "Itinerary" in sections[tour_slug(week_plan.tours[0])]


def test_approximate_plans_are_flagged_on_every_sheet(
    week_plan: Plan, week_context: RenderContext
) -> None:
    assert week_plan.provenance.approximate
    for sheet in _sections(render_week_html(week_plan, week_context)).values():
        assert '<p class="approx">' in sheet
        assert "approximatives" in sheet
    exact = week_plan.model_copy(
        update={"provenance": week_plan.provenance.model_copy(update={"approximate": False})}
    )
    assert '<p class="approx">' not in render_week_html(exact, week_context)


def test_sheet_links_its_map(week_plan: Plan, week_context: RenderContext) -> None:
    tour = week_plan.tours[0]
    page = render_sheet_html(week_plan, tour, week_context, map_href="../maps/x.html")
    assert page.count('<section class="sheet"') == 1
    assert '<a href="../maps/x.html">' in page
    assert "@page { size: A4" in page


def test_user_text_is_escaped(evil_plan: Plan, evil_context: RenderContext) -> None:
    page = render_week_html(evil_plan, evil_context)
    assert EVIL not in page
    assert escape(EVIL) in page
    assert "Dépôt &lt;b&gt;" in page
    assert "Dépôt <b>" not in page
    assert "Bus &lt;i&gt;" in page


def test_pdf_has_one_page_per_unit_day(week_plan: Plan, week_context: RenderContext) -> None:
    reader = PdfReader(io.BytesIO(render_week_pdf(week_plan, week_context)))
    assert len(reader.pages) == len(week_plan.tours)
    for page, tour in zip(reader.pages, week_plan.tours, strict=True):
        content = page.extract_text()
        assert tour.unit_name in content
        assert "APPROXIMATIF" in content
        for visit in tour.visits:
            assert visit.commune_name in content
        box = page.mediabox
        assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4 in pt


def test_sheets_say_who_to_call(week_plan: Plan, contacts_context: RenderContext) -> None:
    """Coordinator, delay line and crew phones on every sheet; the stop's contact on its row."""
    sections = _sections(render_week_html(week_plan, contacts_context))
    first = week_plan.tours[0]
    phones = dict(contacts_context.staff_phones)
    for tour in week_plan.tours:
        sheet = sections[tour_slug(tour)]
        assert 'href="tel:0353010010">tél. 03 53 01 00 10</a>' in sheet
        assert "Coordination &lt;b&gt;" in sheet
        assert "En cas de retard ou de panne" in sheet
        assert "Appeler la coordination, puis la mairie de l&#39;étape" in sheet
        for staff_id in tour.crew:
            assert f"tél. {phones[staff_id]}" in sheet
        stop_contact = "Contact sur place\u00a0: " + str(escape(EVIL))
        assert (stop_contact in sheet) == (tour is first)
    assert EVIL not in str(sections)
    reader = PdfReader(io.BytesIO(render_week_pdf(week_plan, contacts_context)))
    assert len(reader.pages) == len(week_plan.tours)  # the contacts still fit on one page
    content = reader.pages[0].extract_text()
    assert "03 53 01 00 10" in content
    assert "03 53 01 00 20" in content


def test_a_sheet_without_coordinator_says_where_to_set_it(
    week_plan: Plan, week_context: RenderContext
) -> None:
    sheet = render_sheet_html(week_plan, week_plan.tours[0], week_context)
    assert "contacts.coordinator" in sheet
    assert "En cas de retard" not in sheet  # no line set: none printed


def test_weasyprint_finds_every_library_it_asks_for() -> None:
    """No "HarfBuzz-Subset will be required" warning (scripts/install-system-deps.sh)."""
    result = subprocess.run(
        [sys.executable, "-W", "error", "-c", "import weasyprint"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-1000:]
