"""Short text summaries of a plan, for the command line, in the scenario's language."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from itinerant import i18n
from itinerant.scenario import WEEKDAYS, dates_cover

if TYPE_CHECKING:
    from itinerant.plan import IdleUnitDay, Plan, SearchRun, SearchStats
    from itinerant.scenario import Scenario, Unit

__all__ = ["idle_day_reason", "plan_summary"]


def _staffed(scenario: Scenario, unit: Unit, skills: tuple[str, ...], idle: IdleUnitDay) -> bool:
    """Whether someone with ``skills`` works some of the unit's day on that date."""
    for member in scenario.staff:
        if not set(skills) <= set(member.skills) or dates_cover(member.absences, idle.date):
            continue
        weekday = WEEKDAYS[idle.date.weekday()]
        day = unit.day_on(weekday)
        windows = member.availability.get(weekday, ())
        if any(min(w.end, day.end) > max(w.start, day.start) for w in windows):
            return True
    return False


def idle_day_reason(idle: IdleUnitDay, scenario: Scenario, lang: i18n.Language) -> str:
    """Say in ``lang`` why a unit stays at the depot on a day of the week.

    Read from the scenario: the unit does not work that weekday, is unavailable, or no
    staff member with a crew role's skills works that day; otherwise the roster chose
    to keep it home (its crew is needed elsewhere, or no visit is worth the trip).
    """
    unit = next((u for u in scenario.units if u.id == idle.unit_id), None)
    if unit is None:
        return idle.reason
    weekday = i18n.weekday_name(idle.date, lang)
    if unit.working_days is not None and WEEKDAYS[idle.date.weekday()] not in unit.working_days:
        return i18n.text("summary.idle.day_off", lang, unit=unit.name, weekday=weekday)
    if dates_cover(unit.unavailable, idle.date):
        return i18n.text("summary.idle.unavailable", lang, unit=unit.name)
    for role in unit.crew:
        if not _staffed(scenario, unit, tuple(role.skills), idle):
            return i18n.text(
                "summary.idle.no_staff",
                lang,
                unit=unit.name,
                skills=" + ".join(sorted(role.skills)),
                role=role.role,
                weekday=weekday,
            )
    return i18n.text("summary.idle.roster", lang, unit=unit.name)


def plan_summary(result: Plan, scenario: Scenario, lang: i18n.Language | None = None) -> str:
    """Summarise a plan in a few lines: totals, one line per tour, what is left out and why.

    ``lang`` defaults to the scenario's language.
    """
    lang = lang or scenario.language
    kpis = result.kpis
    colon = i18n.text("summary.colon", lang)
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
            f"({i18n.format_clock(tour.departure, lang)}-{i18n.format_clock(tour.return_time, lang)})"
            f"{colon}{stops}"
        )
    if result.idle_unit_days:
        lines.append(i18n.text("summary.idle", lang, count=len(result.idle_unit_days)))
        lines += [
            f"  {i18n.format_date(idle.date, lang)}{colon}{idle_day_reason(idle, scenario, lang)}"
            for idle in result.idle_unit_days
        ]
    if result.unvisited:
        reasons = Counter(u.reason for u in result.unvisited)
        why = ", ".join(
            f"{i18n.text(f'reason.{reason}', lang)} ({count})"
            for reason, count in sorted(reasons.items(), key=lambda rc: (-rc[1], rc[0]))
        )
        lines.append(
            i18n.text("summary.dropped", lang, count=len(result.unvisited)) + f"{colon}{why}"
        )
    search = result.provenance.search
    if search is not None:
        lines.extend(_search_lines(search, lang))
    if result.provenance.approximate:
        lines.append(i18n.approximate_note(scenario.network.circuity, lang))
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
