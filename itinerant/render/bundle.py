"""All the outputs of a plan, as a mapping of relative file names to contents."""

from __future__ import annotations

from typing import TYPE_CHECKING

from itinerant.outputs import safe_file_name
from itinerant.render._common import tour_slug
from itinerant.render.gpx import render_tour_gpx
from itinerant.render.ical import render_staff_calendars, render_unit_calendars
from itinerant.render.maps import render_tour_map, render_week_map
from itinerant.render.printable import render_sheet_html, render_week_html, render_week_pdf
from itinerant.render.schedule import render_plan_json, render_schedule_csv

if TYPE_CHECKING:
    from itinerant.i18n import Language
    from itinerant.plan import Plan
    from itinerant.render.context import RenderContext

__all__ = ["render_plan"]


def render_plan(
    plan: Plan, context: RenderContext, *, lang: Language = "fr", pdf: bool = True
) -> dict[str, str | bytes]:
    """Render every output of a plan, for :func:`itinerant.outputs.write_outputs`.

    Parameters
    ----------
    plan
        The week's plan.
    context
        Depot, staff names, road geometry, outlines and scores (:class:`RenderContext`).
    lang
        Language of every label (``fr`` by default).
    pdf
        Also render ``itineraires.pdf`` (needs WeasyPrint).

    Returns
    -------
    dict
        Relative file name -> text or bytes, in a stable order::

            plan.json, schedule.csv
            itineraires.html, itineraires.pdf         the week's sheets, one A4 page each
            sheets/<date>_<unit>.html                 one printable sheet per unit-day
            maps/semaine.html, maps/<date>_<unit>.html
            calendars/unit-<unit>.ics, calendars/staff-<staff>.ics
            routes/<date>_<unit>.gpx

    Raises
    ------
    PdfUnavailableError
        When ``pdf`` is true and WeasyPrint cannot run.
    """
    files: dict[str, str | bytes] = {
        "plan.json": render_plan_json(plan),
        "schedule.csv": render_schedule_csv(plan, context, lang=lang),
    }
    map_hrefs = {tour_slug(t): f"maps/{tour_slug(t)}.html" for t in plan.tours}
    files["itineraires.html"] = render_week_html(plan, context, lang=lang, map_hrefs=map_hrefs)
    if pdf:
        files["itineraires.pdf"] = render_week_pdf(plan, context, lang=lang)
    for tour in plan.tours:
        files[f"sheets/{tour_slug(tour)}.html"] = render_sheet_html(
            plan, tour, context, lang=lang, map_href=f"../maps/{tour_slug(tour)}.html"
        )
    files["maps/semaine.html"] = render_week_map(plan, context, lang=lang)
    for tour in plan.tours:
        files[f"maps/{tour_slug(tour)}.html"] = render_tour_map(plan, tour, context, lang=lang)
    for unit_id, ics in render_unit_calendars(plan, context, lang=lang).items():
        files[f"calendars/unit-{safe_file_name(unit_id)}.ics"] = ics
    for staff_id, ics in render_staff_calendars(plan, context, lang=lang).items():
        files[f"calendars/staff-{safe_file_name(staff_id)}.ics"] = ics
    for tour in plan.tours:
        files[f"routes/{tour_slug(tour)}.gpx"] = render_tour_gpx(plan, tour, context, lang=lang)
    return files
