"""The week's schedule as CSV (one row per visit) and the plan as JSON."""

from __future__ import annotations

from typing import TYPE_CHECKING

from itinerant.render.csv_format import Cell, csv_header, render_csv
from itinerant.scenario import format_time

if TYPE_CHECKING:
    from itinerant.i18n import Language
    from itinerant.plan import Plan
    from itinerant.render.context import RenderContext

__all__ = ["SCHEDULE_COLUMNS", "render_plan_json", "render_schedule_csv"]

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
"""Columns of ``schedule.csv`` (keys; headers in the plan's language): times ``HH:MM``,
dates ISO 8601.

``stop`` is the visit's rank in its tour (1, 2, ...); ``drive_min`` and ``distance_m``
are the leg from the previous point (the depot for the first stop), whole numbers.
"""


def render_schedule_csv(plan: Plan, context: RenderContext, *, lang: Language = "fr") -> str:
    """Render one row per visit, in tour order (see :func:`~itinerant.render.csv_format.render_csv`)."""
    rows: list[list[Cell]] = []
    for tour in plan.tours:
        crew = ", ".join(context.staff_name(s) for s in tour.crew)
        for rank, visit in enumerate(tour.visits, start=1):
            rows.append(
                [
                    tour.date.isoformat(),
                    tour.unit_id,
                    tour.unit_name,
                    crew,
                    rank,
                    visit.commune_name,
                    visit.insee,
                    visit.venue_name,
                    visit.address,
                    format_time(visit.arrival),
                    format_time(visit.session_start),
                    format_time(visit.session_end),
                    format_time(visit.departure),
                    visit.drive_min,
                    visit.distance_m,
                ]
            )
    return render_csv(csv_header(SCHEDULE_COLUMNS, lang), rows, lang)


def render_plan_json(plan: Plan) -> str:
    """Render the plan as indented JSON (the :class:`~itinerant.plan.Plan` schema)."""
    return plan.model_dump_json(indent=2) + "\n"
