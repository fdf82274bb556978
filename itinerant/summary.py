"""Short text summaries of a plan, for the command line, in the scenario's language."""

from __future__ import annotations

from itinerant import i18n
from itinerant.plan import Plan

__all__ = ["plan_summary"]


def plan_summary(result: Plan, lang: i18n.Language, *, circuity: float) -> str:
    """Summarise a plan in a few lines: totals, one line per tour, what is left out."""
    kpis = result.kpis
    lines = [
        i18n.text(
            "summary.header",
            lang,
            scenario=result.provenance.scenario_name,
            week=result.week,
            tours=len(result.tours),
            visits=kpis.visits,
            communes=kpis.communes_visited,
            population=i18n.format_number(kpis.population_visited, lang),
        ),
        i18n.text(
            "summary.effort",
            lang,
            km=i18n.format_distance_km(kpis.distance_km * 1000, lang),
            drive=i18n.format_duration(kpis.driving_h * 60, lang),
            onsite=i18n.format_duration(kpis.on_site_h * 60, lang),
        ),
    ]
    for tour in result.tours:
        stops = ", ".join(v.commune_name for v in tour.visits)
        lines.append(
            f"  {i18n.format_date(tour.date, lang)} {tour.unit_name} "
            f"({i18n.format_clock(tour.departure, lang)}-{i18n.format_clock(tour.return_time, lang)}): "
            f"{stops}"
        )
    if result.unvisited:
        lines.append(i18n.text("summary.dropped", lang, count=len(result.unvisited)))
    if result.provenance.approximate:
        lines.append(
            i18n.text("approximate", lang, circuity=i18n.format_number(circuity, lang, decimals=1))
        )
    return "\n".join(lines)
