"""Plan several consecutive weeks (a rolling horizon) and run scenarios side by side.

Each week is planned as ``itinerant plan`` plans one week, from the visit history as
it would be if every planned visit of the weeks before had taken place: the last visit
dates are fed forward in memory, and the scenario's history file is only read, never
written. The scenario is prepared once (road network, matrices, demand) for all weeks.

:func:`run_horizons` runs several scenarios over the same weeks, in parallel processes,
and computes their indicators (:mod:`itinerant.compare`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import os
import time
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from itinerant import errors
from itinerant.compare import Indicators, compare, compute_indicators
from itinerant.errors import ScenarioError
from itinerant.history import last_visit_dates
from itinerant.i18n import text as i18n_text
from itinerant.loading import load_scenario, resolve_week, with_week
from itinerant.outputs import safe_file_name
from itinerant.pipeline import Prepared, plan_prepared, prepare, render_outputs
from itinerant.plan import Plan
from itinerant.render.context import RenderContext
from itinerant.render.report import (
    render_indicators_csv,
    render_report_html,
    render_rotation_csv,
    render_rotation_html,
)
from itinerant.render.schedule import render_plan_json, render_schedule_csv
from itinerant.scenario import Point, Scenario
from itinerant.sweep import run_jobs
from itinerant.territory import Territory

__all__ = [
    "MAX_WEEKS",
    "CalendarCell",
    "CalendarRow",
    "CommuneFacts",
    "Horizon",
    "HorizonJob",
    "HorizonRun",
    "RotationCalendar",
    "advance_last_visits",
    "compare_scenarios",
    "horizon_files",
    "initial_last_visits",
    "load_scenarios",
    "plan_horizon",
    "plan_weeks",
    "rotation_calendar",
    "run_horizon",
    "run_horizons",
    "scenario_labels",
    "week_sequence",
]

logger = logging.getLogger(__name__)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Horizon(_Model):
    """The plans of consecutive weeks, in order."""

    weeks: tuple[str, ...]
    plans: tuple[Plan, ...]


class CalendarCell(_Model):
    """Which units visited a commune in one week, and on which dates."""

    week: str
    visits: tuple[tuple[str, dt.date], ...] = Field(
        default=(), description="(unit id, date) of each session, sorted by date"
    )


class CalendarRow(_Model):
    """One commune's line of the rotation calendar."""

    insee: str
    commune: str
    population: int
    score: float | None
    cells: tuple[CalendarCell, ...] = Field(description="one per week of the horizon")

    @property
    def visits(self) -> int:
        """Sessions over the horizon."""
        return sum(len(cell.visits) for cell in self.cells)


class RotationCalendar(_Model):
    """Communes x weeks: which unit visited when (one row per commune, sorted by INSEE)."""

    scenario_name: str
    weeks: tuple[str, ...]
    units: tuple[tuple[str, str], ...] = Field(description="(unit id, name) of the scenario")
    rows: tuple[CalendarRow, ...]


class CommuneFacts(_Model):
    """What the report draws of a commune: where it is, its size and its demand."""

    insee: str
    name: str
    population: int
    point: Point
    score: float


class HorizonJob(_Model):
    """One scenario to run over a horizon (picklable, for a worker process)."""

    label: str
    scenario: Scenario
    territory: Territory
    weeks: tuple[str, ...]
    cache_dir: Path
    allow_download: bool
    seed: int | None = None


class HorizonRun(_Model):
    """A scenario run over a horizon: its plans, indicators, and how long it took."""

    label: str
    scenario: Scenario
    territory: Territory
    horizon: Horizon
    indicators: Indicators
    communes: tuple[CommuneFacts, ...]
    elapsed_s: float
    warnings: tuple[str, ...] = Field(default=(), description="'Category: message' of each")


MAX_WEEKS = 104
"""Longest horizon of ``plan --weeks`` and ``compare --weeks``: two years."""


def week_sequence(first_week: str, count: int) -> tuple[str, ...]:
    """Return ``count`` consecutive ISO weeks from ``first_week`` (e.g. ``2026-W52``, ``2026-W53``...).

    Raises
    ------
    ValueError
        When ``count`` is below 1 or ``first_week`` is not an ISO week.
    """
    if not 1 <= count <= MAX_WEEKS:
        msg = f"--weeks: {count} is not a number of weeks (1 to {MAX_WEEKS})"
        raise ValueError(msg)
    monday = dt.date.fromisoformat(f"{first_week}-1")
    weeks = []
    for k in range(count):
        year, number, _ = (monday + dt.timedelta(weeks=k)).isocalendar()
        weeks.append(f"{year}-W{number:02d}")
    return tuple(weeks)


def initial_last_visits(scenario: Scenario, first_week: str) -> dict[str, dt.date]:
    """Read the last visit dates before the horizon from the scenario's history (if any)."""
    if scenario.history is None:
        return {}
    return last_visit_dates(scenario.history, before=dt.date.fromisoformat(f"{first_week}-1"))


def advance_last_visits(last_visits: Mapping[str, dt.date], plan: Plan) -> dict[str, dt.date]:
    """Return the last visit dates after a week, as if every planned visit took place."""
    updated = dict(last_visits)
    for tour in plan.tours:
        for visit in tour.visits:
            previous = updated.get(visit.insee)
            if previous is None or tour.date > previous:
                updated[visit.insee] = tour.date
    return dict(sorted(updated.items()))


def plan_horizon(
    prepared: Prepared,
    *,
    weeks: Sequence[str],
    last_visits: Mapping[str, dt.date],
    seed: int | None = None,
    generated_at: dt.datetime | None = None,
) -> Horizon:
    """Plan consecutive weeks of a prepared scenario, each from the history of the ones before.

    Parameters
    ----------
    prepared
        The scenario, prepared once (road network, matrices, demand) for every week.
    weeks
        ISO weeks in order (see :func:`week_sequence`).
    last_visits
        Last visit date by INSEE code before the first week.
    seed
        Search seed (default: the scenario's); the same for every week.
    generated_at
        Timestamp recorded in each plan's provenance.

    Returns
    -------
    The plans, one per week.

    Raises
    ------
    InfeasiblePlanError
        When a week cannot be planned (its message names the week).
    """
    history = dict(last_visits)
    plans = []
    for week in weeks:
        scenario = with_week(prepared.scenario, week)
        week_prepared = dataclasses.replace(prepared, scenario=scenario)
        plan = plan_prepared(
            week_prepared, week=week, last_visits=history, seed=seed, generated_at=generated_at
        )
        plans.append(plan)
        history = advance_last_visits(history, plan)
    return Horizon(weeks=tuple(weeks), plans=tuple(plans))


def rotation_calendar(
    horizon: Horizon,
    scenario: Scenario,
    territory: Territory,
    *,
    scores: Mapping[str, float] | None = None,
) -> RotationCalendar:
    """Tabulate the horizon: one row per commune of the territory, one cell per week."""
    cells: dict[tuple[str, str], list[tuple[str, dt.date]]] = {}
    for plan in horizon.plans:
        for tour in plan.tours:
            for visit in tour.visits:
                cells.setdefault((visit.insee, plan.week), []).append((tour.unit_id, tour.date))
    rows = tuple(
        CalendarRow(
            insee=commune.insee,
            commune=commune.name,
            population=commune.population,
            score=None if scores is None else scores.get(commune.insee),
            cells=tuple(
                CalendarCell(week=week, visits=tuple(sorted(cells.get((commune.insee, week), []))))
                for week in horizon.weeks
            ),
        )
        for commune in sorted(territory.communes, key=lambda c: c.insee)
    )
    return RotationCalendar(
        scenario_name=scenario.name,
        weeks=horizon.weeks,
        units=tuple((unit.id, unit.name) for unit in scenario.units),
        rows=rows,
    )


def horizon_files(
    prepared: Prepared,
    horizon: Horizon,
    *,
    full: bool = True,
) -> dict[str, str | bytes]:
    """Render a horizon: ``rotation.csv``, ``rotation.html`` and each week in ``<week>/``.

    With ``full``, each week gets every output ``itinerant plan`` writes; otherwise only
    ``plan.json`` and ``schedule.csv`` (what a comparison keeps).
    """
    scenario, territory = prepared.scenario, prepared.territory
    calendar = rotation_calendar(horizon, scenario, territory, scores=prepared.scores)
    files: dict[str, str | bytes] = {
        "rotation.csv": render_rotation_csv(calendar, lang=scenario.language),
        "rotation.html": render_rotation_html(calendar, lang=scenario.language),
    }
    context = RenderContext.from_scenario(scenario, territory, scores=prepared.scores)
    for week, plan in zip(horizon.weeks, horizon.plans, strict=True):
        week_scenario = with_week(scenario, week)
        if full:
            week_files = render_outputs(
                week_scenario, territory, prepared.network, plan, scores=prepared.scores
            )
        else:
            week_files = {
                "plan.json": render_plan_json(plan),
                "schedule.csv": render_schedule_csv(plan, context, lang=scenario.language),
            }
        files.update({f"{week}/{name}": content for name, content in week_files.items()})
    return files


def load_scenarios(
    paths: Sequence[Path], *, today: dt.date | None = None
) -> list[tuple[Scenario, Territory]]:
    """Load and validate every scenario before anything is solved.

    Raises
    ------
    ScenarioError
        With every problem of every file (each line names its file, field and value).
    """
    loaded: list[tuple[Scenario, Territory]] = []
    problems: list[str] = []
    for path in paths:
        try:
            loaded.append(load_scenario(path, today=today))
        except ScenarioError as exc:
            problems += exc.problems
    if problems:
        raise ScenarioError(problems)
    return loaded


def _facts(prepared: Prepared) -> tuple[CommuneFacts, ...]:
    scores = prepared.scores
    return tuple(
        CommuneFacts(
            insee=c.insee,
            name=c.name,
            population=c.population,
            point=c.point,
            score=scores.get(c.insee, 0.0),
        )
        for c in sorted(prepared.territory.communes, key=lambda c: c.insee)
    )


def run_horizon(job: HorizonJob) -> tuple[HorizonRun, dict[str, str | bytes]]:
    """Prepare one scenario, plan its horizon, compute its indicators and render its files.

    Runs in a worker process: the warnings it raises come back as text in the run.
    """
    started = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        prepared = prepare(
            job.scenario,
            job.territory,
            cache_dir=job.cache_dir,
            allow_download=job.allow_download,
        )
        horizon = plan_horizon(
            prepared,
            weeks=job.weeks,
            last_visits=initial_last_visits(job.scenario, job.weeks[0]),
            seed=job.seed,
        )
        indicators = compute_indicators(
            horizon.plans,
            territory=prepared.territory,
            scores=prepared.scores,
            matrix=prepared.matrices[job.scenario.units[0].vehicle.key],
            units=job.scenario.units,
            staff=job.scenario.staff,
        )
        files = horizon_files(prepared, horizon, full=False)
    messages = tuple(dict.fromkeys(f"{w.category.__name__}: {w.message}" for w in caught))
    run = HorizonRun(
        label=job.label,
        scenario=job.scenario,
        territory=job.territory,
        horizon=horizon,
        indicators=indicators,
        communes=_facts(prepared),
        elapsed_s=round(time.perf_counter() - started, 2),
        warnings=messages,
    )
    return run, files


def run_horizons(
    jobs: Sequence[HorizonJob], *, workers: int | None = None, scheduler: str | None = None
) -> list[tuple[HorizonRun, dict[str, str | bytes]]]:
    """Run several scenarios over their horizons on a dask cluster, in the order given.

    ``scheduler`` names a running cluster (``tcp://HOST:PORT`` or a scheduler file);
    without it a local cluster of ``workers`` processes (default ``min(len(jobs),
    os.cpu_count())``) runs them, or this process alone with one worker.
    """
    logger.info("running %d scenario(s)", len(jobs))
    return run_jobs(
        run_horizon,
        jobs,
        labels=[job.label for job in jobs],
        scheduler=scheduler,
        workers=workers,
    )


def plan_weeks(
    scenario: Scenario,
    territory: Territory,
    *,
    first_week: str,
    count: int,
    cache_dir: Path,
    allow_download: bool,
    seed: int | None = None,
    generated_at: dt.datetime | None = None,
) -> tuple[Prepared, Horizon]:
    """Prepare a scenario once and plan ``count`` weeks from ``first_week`` (``plan --weeks``)."""
    weeks = week_sequence(first_week, count)
    prepared = prepare(scenario, territory, cache_dir=cache_dir, allow_download=allow_download)
    horizon = plan_horizon(
        prepared,
        weeks=weeks,
        last_visits=initial_last_visits(scenario, weeks[0]),
        seed=seed,
        generated_at=generated_at,
    )
    return prepared, horizon


def scenario_labels(paths: Sequence[Path]) -> list[str]:
    """Short, unique labels, also folder names: safe file stems, numbered when shared.

    Each stem goes through :func:`itinerant.outputs.safe_file_name` (lower-cased, so that
    ``A.yaml`` reads ``a``); stems given twice are numbered ``x-1``, ``x-2``..., skipping
    a number another file already has as its stem (``x-1.yaml``). No two labels are
    equal, even ignoring case.
    """
    stems = [safe_file_name(path.stem.lower() or "scenario") for path in paths]
    taken = {stem for stem in stems if stems.count(stem) == 1}
    labels = []
    for stem in stems:
        label, number = stem, 0
        if stems.count(stem) > 1:
            while label in taken or number == 0:
                number += 1
                label = f"{stem}-{number}"
        taken.add(label)
        labels.append(label)
    return labels


def compare_scenarios(
    paths: Sequence[Path],
    *,
    weeks: int,
    first_week: str | None,
    today: dt.date,
    cache_dir: Path,
    allow_download: bool,
    seed: int | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
) -> tuple[list[HorizonRun], dict[str, str | bytes]]:
    """Validate every scenario, run them over the same weeks in parallel, render the comparison.

    The weeks start at ``first_week``, else at the first scenario's week (its
    ``period.week``, else next week). Every scenario is validated before any is solved.

    Returns
    -------
    The runs, in the order given, and the files to write: ``rapport.html``,
    ``indicateurs.csv``, and per scenario ``<label>/rotation.{csv,html}`` and
    ``<label>/<week>/{plan.json,schedule.csv}``.

    Raises
    ------
    ScenarioError
        When any scenario is invalid (every problem of every file), before solving.
    """
    loaded = load_scenarios(paths, today=today)
    if first_week is not None:
        loaded = [(with_week(s, first_week), t) for s, t in loaded]
    start = first_week or loaded[0][0].period.week or resolve_week(None, today)
    sequence = week_sequence(start, weeks)
    labels = scenario_labels(paths)
    jobs = [
        HorizonJob(
            label=label,
            scenario=scenario,
            territory=territory,
            weeks=sequence,
            cache_dir=cache_dir,
            allow_download=allow_download,
            seed=seed,
        )
        for label, (scenario, territory) in zip(labels, loaded, strict=True)
    ]
    count = workers or min(len(jobs), os.cpu_count() or 1)
    started = time.perf_counter()
    results = run_horizons(jobs, workers=count, scheduler=scheduler)
    elapsed = time.perf_counter() - started
    runs = [run for run, _ in results]
    for run in runs:
        for message in run.warnings:
            name, _, text = message.partition(": ")
            category = getattr(errors, name, None)
            if not (isinstance(category, type) and issubclass(category, Warning)):
                category, text = UserWarning, message
            colon = i18n_text("summary.colon", run.scenario.language)
            warnings.warn(f"{run.label}{colon}{text}", category, stacklevel=2)
    comparison = compare(
        labels,
        [run.indicators for run in runs],
        [run.scenario.model_dump(mode="json") for run in runs],
        lang=runs[0].scenario.language,
    )
    calendars = [
        rotation_calendar(
            run.horizon,
            run.scenario,
            run.territory,
            scores={c.insee: c.score for c in run.communes},
        )
        for run in runs
    ]
    files: dict[str, str | bytes] = {
        "rapport.html": render_report_html(
            comparison,
            runs,
            calendars,
            lang=runs[0].scenario.language,
            workers=count,
            elapsed_s=elapsed,
        ),
        "indicateurs.csv": render_indicators_csv(comparison, lang=runs[0].scenario.language),
    }
    for run, run_files in results:
        files.update({f"{run.label}/{name}": content for name, content in run_files.items()})
    return runs, files
