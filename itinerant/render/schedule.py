"""The week's schedule as CSV (one row per visit) and the plan as JSON."""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING

from itinerant.scenario import format_time

if TYPE_CHECKING:
    from itinerant.plan import Plan
    from itinerant.render.context import RenderContext

__all__ = ["SCHEDULE_COLUMNS", "neutralise_cell", "render_plan_json", "render_schedule_csv"]

SCHEDULE_COLUMNS = (
    "date",
    "unit_id",
    "unit",
    "crew",
    "stop",
    "commune",
    "insee",
    "venue",
    "address",
    "arrival",
    "session_start",
    "session_end",
    "departure",
    "drive_min",
    "distance_m",
)
"""Columns of ``schedule.csv``: stable machine names; times ``HH:MM``, dates ISO 8601.

``stop`` is the visit's rank in its tour (1, 2, ...); ``drive_min`` and ``distance_m``
are the leg from the previous point (the depot for the first stop). Whole numbers only,
so that a spreadsheet in any locale reads them as numbers.
"""

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value: str) -> str:
    """Prefix ``'`` to a cell a spreadsheet would read as a formula (CSV injection)."""
    return f"'{value}" if value.startswith(_FORMULA_STARTS) else value


def render_schedule_csv(plan: Plan, context: RenderContext) -> str:
    """Render one row per visit, in tour order, as UTF-8 CSV text with a BOM.

    The byte-order mark makes spreadsheet software read accents right. Every text cell
    that comes from input files is neutralised against formula injection.
    """
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(SCHEDULE_COLUMNS)
    for tour in plan.tours:
        crew = ", ".join(context.staff_name(s) for s in tour.crew)
        for rank, visit in enumerate(tour.visits, start=1):
            text_cells = (
                tour.unit_id,
                tour.unit_name,
                crew,
                str(rank),
                visit.commune_name,
                visit.insee,
                visit.venue_name,
                visit.address,
            )
            writer.writerow(
                [
                    tour.date.isoformat(),
                    *(neutralise_cell(cell) for cell in text_cells),
                    format_time(visit.arrival),
                    format_time(visit.session_start),
                    format_time(visit.session_end),
                    format_time(visit.departure),
                    visit.drive_min,
                    visit.distance_m,
                ]
            )
    return buffer.getvalue()


def render_plan_json(plan: Plan) -> str:
    """Render the plan as indented JSON (the :class:`~itinerant.plan.Plan` schema)."""
    return plan.model_dump_json(indent=2) + "\n"
