"""Short text summaries of a plan, for the command line, in the scenario's language."""

from __future__ import annotations

from itinerant import i18n
from itinerant.plan import Plan, SearchRun, SearchStats

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
    search = result.provenance.search
    if search is not None:
        lines.extend(_search_lines(search, lang))
    if result.provenance.approximate:
        lines.append(
            i18n.text("approximate", lang, circuity=i18n.format_number(circuity, lang, decimals=1))
        )
    return "\n".join(lines)


def _search_run(run: SearchRun, lang: i18n.Language) -> str:
    """Describe one search: what ended it, and the gap to its bound where it has one."""
    what = i18n.text("search.greedy" if run.method == "greedy" else f"search.{run.ended_by}", lang)
    if run.ended_by == "solution_limit":
        what = i18n.text("search.solution_limit", lang, work=i18n.format_number(run.work, lang))
    if run.gap is not None and run.ended_by != "optimal":
        gap = i18n.format_number(100 * run.gap, lang, decimals=1)
        what += f", {i18n.text('search.gap', lang, gap=gap)}"
    return what


def _search_lines(search: SearchStats, lang: i18n.Language) -> list[str]:
    """Return what ended each search, and a warning when the wall-clock safety net did."""
    lines = [
        i18n.text(
            "summary.search",
            lang,
            roster=_search_run(search.roster, lang),
            routing=_search_run(search.routing, lang),
        )
    ]
    if search.timed_out:
        which = ", ".join(i18n.text(f"search.{name}", lang) for name in search.timed_out)
        limit = i18n.format_number(search.routing.time_limit_s, lang)
        lines.append(i18n.text("summary.time_limit", lang, limit=limit, which=which))
    return lines
