"""The comparison report (HTML, CSV of indicators) and the rotation calendar (HTML, CSV).

Pure functions returning text. HTML comes from ``templates/report.html.j2`` with Jinja2
autoescape on; charts and maps are drawn with matplotlib (no GUI backend: a bare
:class:`~matplotlib.figure.Figure`) as SVG inlined in the page, so the report is one
self-contained file that needs no network. Text from input files reaching a chart goes
through matplotlib's SVG writer, which escapes it; ``$`` is escaped so that it is never
read as mathtext.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from itinerant.i18n import format_date, format_number, text
from itinerant.render._common import templates
from itinerant.render.csv_format import Cell, csv_header, render_csv

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Sequence

    from matplotlib.figure import Figure

    from itinerant.compare import Comparison, IndicatorSpec
    from itinerant.horizon import HorizonRun, RotationCalendar
    from itinerant.i18n import Language

__all__ = [
    "render_indicators_csv",
    "render_report_html",
    "render_rotation_csv",
    "render_rotation_html",
]

_COLOURS = ("#2171b5", "#d94801", "#238b45", "#6a51a3", "#cb181d", "#525252")
_SVG_RC: Any = {"svg.fonttype": "none", "svg.hashsalt": "itinerant", "font.size": 9}


# --------------------------------------------------------------------------- CSV


def _cell_text(visits: Sequence[tuple[str, dt.date]]) -> str:
    return "; ".join(f"{unit} {day.isoformat()}" for unit, day in visits)


def render_rotation_csv(calendar: RotationCalendar, *, lang: Language = "fr") -> str:
    """Render the rotation calendar: one row per commune, one column per week.

    A cell lists the sessions of the week as ``unit-id YYYY-MM-DD``, separated by ``; ``.
    """
    header = [
        *csv_header(("insee", "commune", "population"), lang),
        *calendar.weeks,
        *csv_header(("visits",), lang),
    ]
    rows: list[list[Cell]] = [
        [
            row.insee,
            row.commune,
            row.population,
            *(_cell_text(cell.visits) for cell in row.cells),
            row.visits,
        ]
        for row in calendar.rows
    ]
    return render_csv(header, rows, lang)


def _plain(value: float | None, spec: IndicatorSpec) -> Cell:
    if value is None:
        return None
    if spec.decimals == 0:
        return round(value)
    return round(value, spec.decimals + (2 if spec.percent else 0))


def render_indicators_csv(comparison: Comparison, *, lang: Language = "fr") -> str:
    """Render the indicators: one row per indicator, one column per scenario, then ``best``.

    ``indicator`` is the indicator's key, ``label`` its name in ``lang``. Values are
    plain numbers (shares in [0, 1], empty when undefined); ``best`` names the best
    columns, joined by ``|`` (empty when all tie or unranked).
    """
    header = [
        *csv_header(("indicator", "label"), lang),
        *comparison.labels,
        *csv_header(("best",), lang),
    ]
    rows: list[list[Cell]] = [
        [
            row.spec.key,
            text(f"indicator.{row.spec.key}", lang),
            *(_plain(v, row.spec) for v in row.values),
            "|".join(comparison.labels[i] for i in row.best),
        ]
        for row in comparison.rows
    ]
    return render_csv(header, rows, lang)


# --------------------------------------------------------------------------- charts


def _mpl_text(value: str) -> str:
    return value.replace("\\", "\\\\").replace("$", r"\$")


def _svg(figure: Figure) -> Markup:
    import matplotlib as mpl  # noqa: PLC0415  (heavy: imported when a report is drawn)

    buffer = io.StringIO()
    with mpl.rc_context(_SVG_RC):
        figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    svg = buffer.getvalue()
    # matplotlib escapes every text it writes; the XML prologue is not wanted inline
    return Markup(svg[svg.index("<svg") :])


def _figure(width: float, height: float) -> Figure:
    import matplotlib as mpl  # noqa: PLC0415  (heavy: imported when a report is drawn)
    from matplotlib.figure import Figure  # noqa: PLC0415

    with mpl.rc_context(_SVG_RC):
        return Figure(figsize=(width, height), layout="constrained")


def _scatter_svg(runs: Sequence[HorizonRun], lang: Language) -> Markup:
    figure = _figure(3.2 * len(runs), 3.0)
    axes = figure.subplots(1, len(runs), sharey=True, squeeze=False)[0]
    for k, (ax, run) in enumerate(zip(axes, runs, strict=True)):
        visits = run.indicators.visits_by_commune
        xs = [c.score for c in run.communes]
        ys = [visits.get(c.insee, 0) for c in run.communes]
        sizes = [6 + 3 * math.sqrt(c.population / 100) for c in run.communes]
        ax.scatter(xs, ys, s=sizes, color=_COLOURS[k % len(_COLOURS)], alpha=0.6, linewidths=0)
        ax.set_title(_mpl_text(run.label))
        ax.set_xlabel(text("report.axis_score", lang))
        ax.grid(alpha=0.3)
    axes[0].set_ylabel(text("report.axis_visits", lang))
    return _svg(figure)


def _reach_svg(runs: Sequence[HorizonRun], lang: Language) -> Markup:
    figure = _figure(6.5, 3.0)
    ax = figure.subplots()
    for k, run in enumerate(runs):
        weeks = list(run.horizon.weeks)
        shares = [100 * s for s in run.indicators.reach_share_by_week]
        ax.plot(weeks, shares, marker="o", color=_COLOURS[k % len(_COLOURS)])
        ax.lines[-1].set_label(_mpl_text(run.label))
    ax.set_ylabel(text("report.axis_share", lang))
    ax.set_ylim(0, 100)
    ax.grid(alpha=0.3)
    ax.legend(loc="best")
    return _svg(figure)


def _maps_svg(runs: Sequence[HorizonRun], lang: Language) -> Markup:
    figure = _figure(3.4 * len(runs), 3.6)
    axes = figure.subplots(1, len(runs), squeeze=False)[0]
    top = max((max(r.indicators.visits_by_commune.values(), default=0) for r in runs), default=0)
    for ax, run in zip(axes, runs, strict=True):
        visits = run.indicators.visits_by_commune
        excluded = set(run.indicators.excluded)
        never = [c for c in run.communes if visits.get(c.insee, 0) == 0 and c.insee not in excluded]
        seen = [c for c in run.communes if visits.get(c.insee, 0) > 0]
        out = [c for c in run.communes if c.insee in excluded]
        if out:
            ax.scatter(
                [c.point.lon for c in out],
                [c.point.lat for c in out],
                s=14,
                marker="x",
                color="#bbbbbb",
                linewidths=0.8,
                label=text("report.excluded", lang),
            )
        ax.scatter(
            [c.point.lon for c in never],
            [c.point.lat for c in never],
            s=18,
            facecolors="none",
            edgecolors="#999999",
            linewidths=0.8,
            label=text("report.never", lang),
        )
        points = ax.scatter(
            [c.point.lon for c in seen],
            [c.point.lat for c in seen],
            c=[visits[c.insee] for c in seen],
            s=30,
            cmap="viridis_r",
            vmin=0.5,
            vmax=max(top, 1) + 0.5,
            edgecolors="black",
            linewidths=0.3,
        )
        bases = run.scenario.all_bases
        ax.scatter(
            [b.point.lon for b in bases],
            [b.point.lat for b in bases],
            marker="s",
            s=30,
            color="black",
        )
        lat = sum(c.point.lat for c in run.communes) / max(len(run.communes), 1)
        ax.set_aspect(1 / math.cos(math.radians(lat)))
        ax.set_title(_mpl_text(run.label))
        ax.set_xticks([])
        ax.set_yticks([])
        ax.legend(loc="lower left", fontsize=7)
        colourbar = figure.colorbar(points, ax=ax, shrink=0.7)
        colourbar.set_label(text("report.legend_visits", lang))
    return _svg(figure)


# --------------------------------------------------------------------------- HTML


@dataclass(frozen=True)
class _Calendar:
    title: str
    subtitle: str
    weeks: tuple[str, ...]
    units: tuple[tuple[str, str, str], ...]
    rows: tuple[tuple[str, str, str, str, tuple[tuple[tuple[str, str, str], ...], ...], int], ...]


def _calendar_view(calendar: RotationCalendar, lang: Language) -> _Calendar:
    colours = {uid: _COLOURS[i % len(_COLOURS)] for i, (uid, _) in enumerate(calendar.units)}
    names = dict(calendar.units)
    rows = tuple(
        (
            row.insee,
            row.commune,
            format_number(row.population, lang),
            "" if row.score is None else format_number(row.score, lang, decimals=2),
            tuple(
                tuple(
                    (
                        names.get(unit, unit),
                        colours.get(unit, "#525252"),
                        format_date(day, lang).split(" ", 1)[0][:3] + f" {day.day}/{day.month}",
                    )
                    for unit, day in cell.visits
                )
                for cell in row.cells
            ),
            row.visits,
        )
        for row in calendar.rows
    )
    return _Calendar(
        title=text("rotation.title", lang, scenario=calendar.scenario_name),
        subtitle=text(
            "rotation.subtitle",
            lang,
            weeks=len(calendar.weeks),
            first=calendar.weeks[0],
            last=calendar.weeks[-1],
        ),
        weeks=calendar.weeks,
        units=tuple((uid, name, colours[uid]) for uid, name in calendar.units),
        rows=rows,
    )


def _labels(lang: Language) -> dict[str, str]:
    keys = (
        "commune",
        "rotation.population",
        "rotation.score",
        "rotation.visits",
        "rotation.units",
    )
    return {key: text(key, lang) for key in keys}


def render_rotation_html(calendar: RotationCalendar, *, lang: Language = "fr") -> str:
    """Render the rotation calendar as a standalone HTML page (communes x weeks)."""
    view = _calendar_view(calendar, lang)
    return (
        templates()
        .get_template("report.html.j2")
        .render(lang=lang, title=view.title, calendars=[view], report=None, t=_labels(lang))
    )


def _value(value: float | None, spec: IndicatorSpec, lang: Language) -> str:
    if value is None:
        return "—"
    if spec.percent:
        return f"{format_number(100 * value, lang, decimals=spec.decimals)} %"
    return format_number(value, lang, decimals=spec.decimals)


def render_report_html(
    comparison: Comparison,
    runs: Sequence[HorizonRun],
    calendars: Sequence[RotationCalendar],
    *,
    lang: Language = "fr",
    workers: int = 1,
    elapsed_s: float = 0.0,
) -> str:
    """Render the comparison report: differences, indicators, charts, maps, calendars.

    Parameters
    ----------
    comparison
        Indicators side by side (:func:`itinerant.compare.compare`).
    runs
        The scenarios' runs, in the comparison's column order.
    calendars
        Each scenario's rotation calendar, in the same order.
    lang
        Language of the labels.
    workers
        Worker processes used, and ``elapsed_s`` the whole comparison's time, to report.
    """
    first = runs[0].horizon.weeks
    groups: list[tuple[str, list[tuple[str, list[tuple[str, bool]]]]]] = []
    for row in comparison.rows:
        if not groups or groups[-1][0] != text(f"report.group.{row.spec.group}", lang):
            groups.append((text(f"report.group.{row.spec.group}", lang), []))
        cells = [
            (
                _value(v, row.spec, lang)
                + (f" ({text('report.not_ranked_no_rate', lang)})" if i in row.unranked else ""),
                i in row.best,
            )
            for i, v in enumerate(row.values)
        ]
        groups[-1][1].append((text(f"indicator.{row.spec.key}", lang), cells))
    report = {
        "labels": comparison.labels,
        "scenarios": [
            (
                run.label,
                run.scenario.name,
                text(
                    "report.seconds", lang, seconds=format_number(run.elapsed_s, lang, decimals=1)
                ),
            )
            for run in runs
        ],
        "workers": text(
            "report.workers",
            lang,
            count=len(runs),
            workers=workers,
            seconds=format_number(elapsed_s, lang, decimals=1),
        ),
        "differences": [(d.what, d.values) for d in comparison.differences],
        "compared_to": text("report.compared_to", lang, first=comparison.labels[0]),
        "groups": groups,
        "warnings": sorted({w.partition(": ")[2] or w for run in runs for w in run.warnings}),
        "scatter": _scatter_svg(runs, lang),
        "reach": _reach_svg(runs, lang),
        "maps": _maps_svg(runs, lang),
    }
    keys = (
        "report.scenarios",
        "report.file",
        "report.name",
        "report.elapsed",
        "report.differences",
        "report.no_differences",
        "report.field",
        "report.indicators",
        "report.indicator",
        "report.best_note",
        "report.charts",
        "report.chart_scatter",
        "report.chart_reach",
        "report.maps",
        "report.warnings",
        "report.calendars",
        "report.method",
        "report.method_reach",
        "report.method_fairness",
        "report.method_effort",
    )
    labels = _labels(lang) | {key: text(key, lang) for key in keys}
    return (
        templates()
        .get_template("report.html.j2")
        .render(
            lang=lang,
            title=text("report.title", lang, weeks=len(first), week=first[0]),
            calendars=[_calendar_view(c, lang) for c in calendars],
            report=report,
            t=labels,
        )
    )
