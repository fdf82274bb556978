"""Renderers: a :class:`~itinerant.plan.Plan` to CSV, iCalendar, GPX, printable sheets, maps.

Every renderer is a pure function that returns text or bytes; only
:mod:`itinerant.outputs` writes files. :func:`render_plan` renders them all.

The names below are imported on first use (PEP 562), so that importing one renderer
(``itinerant.render.schedule``) does not import folium, matplotlib or the others.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

_MODULE_OF = {
    "PdfUnavailableError": "printable",
    "RenderContext": "context",
    "read_outlines": "context",
    "render_plan": "bundle",
    "render_plan_json": "schedule",
    "render_schedule_csv": "schedule",
    "render_sheet_html": "printable",
    "render_staff_calendars": "ical",
    "render_tour_gpx": "gpx",
    "render_tour_map": "maps",
    "render_unit_calendars": "ical",
    "render_week_html": "printable",
    "render_week_map": "maps",
    "render_week_pdf": "printable",
}

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


def __getattr__(name: str) -> Any:
    """Import a renderer's module on first access to one of its names."""
    if name not in _MODULE_OF:
        msg = f"module {__name__!r} has no attribute {name!r}"
        raise AttributeError(msg)
    return getattr(importlib.import_module(f"{__name__}.{_MODULE_OF[name]}"), name)
