"""Renderers: a :class:`~itinerant.plan.Plan` to CSV, iCalendar, GPX, printable sheets, maps.

Every renderer is a pure function that returns text or bytes; only
:mod:`itinerant.outputs` writes files. :func:`render_plan` renders them all.
"""

from __future__ import annotations

from itinerant.render.bundle import render_plan
from itinerant.render.context import RenderContext, read_outlines
from itinerant.render.gpx import render_tour_gpx
from itinerant.render.ical import render_staff_calendars, render_unit_calendars
from itinerant.render.maps import render_tour_map, render_week_map
from itinerant.render.printable import (
    PdfUnavailableError,
    render_sheet_html,
    render_week_html,
    render_week_pdf,
)
from itinerant.render.schedule import render_plan_json, render_schedule_csv

__all__ = [
    "PdfUnavailableError",
    "RenderContext",
    "read_outlines",
    "render_plan",
    "render_plan_json",
    "render_schedule_csv",
    "render_sheet_html",
    "render_staff_calendars",
    "render_tour_gpx",
    "render_tour_map",
    "render_unit_calendars",
    "render_week_html",
    "render_week_map",
    "render_week_pdf",
]
