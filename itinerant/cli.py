"""Command line: thin click commands over the library; errors become one clear message."""

from __future__ import annotations

import datetime as dt
import logging
import platform
import warnings
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any, TypeVar

import click

from itinerant import i18n
from itinerant.errors import ItinerantError, ScenarioError
from itinerant.history import (
    add_visits,
    export_csv_text,
    import_csv_text,
    last_visit_dates,
    list_visits,
    mark_cancelled,
    records_from_plan,
)
from itinerant.horizon import MAX_WEEKS, compare_scenarios, horizon_files, plan_weeks
from itinerant.loading import (
    commune_codes,
    load_bundled_territory,
    load_scenario,
    parse_cancellation,
    read_text_file,
    with_week,
)
from itinerant.outputs import check_output_folder, write_atomic, write_outputs
from itinerant.pipeline import (
    check_inputs,
    compute_demand,
    load_network,
    network_report,
    plan_prepared,
    prepare,
    render_outputs,
    scenario_area,
    scenario_hash,
)
from itinerant.plan_check import load_plan
from itinerant.replan import (
    DisruptionKind,
    apply_disruptions,
    changes_csv,
    format_changes,
    parse_disruption,
    replan_week,
)
from itinerant.scenario import Scenario, unused_skills
from itinerant.settings import Settings
from itinerant.summary import plan_summary
from itinerant.territory import Territory

DEFAULT_SCENARIO = Path("scenarios/7-vallees.yaml")
F = TypeVar("F", bound=Callable[..., Any])
SEED = click.IntRange(min=0, max=2**31 - 1)
"""``--seed``: the bounds of ``solver.seed`` (CP-SAT takes 32-bit seeds)."""


class _Group(click.Group):
    """A click group that turns library errors into ``Error: ...`` and exit code 1."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as exc:
            raise _usage_error(exc) from None

    def invoke(self, ctx: click.Context) -> Any:
        with warnings.catch_warnings():
            warnings.simplefilter("default")
            warnings.showwarning = _show_warning
            try:
                return super().invoke(ctx)
            except ItinerantError as exc:
                raise click.ClickException(str(exc)) from None
            except click.UsageError as exc:
                raise _usage_error(exc) from None


def _usage_error(exc: click.UsageError) -> click.ClickException:
    """Turn a bad option or argument into one ``Error: ...`` line and exit 1, as any error.

    Help asked for by giving no arguments (``itinerant history``) stays help.
    """
    if isinstance(exc, click.exceptions.NoArgsIsHelpError):
        return exc
    command = exc.ctx.command_path if exc.ctx is not None else "itinerant"
    return click.ClickException(f"{exc.format_message()} (see `{command} --help`)")


def _show_warning(message: Warning | str, category: type[Warning], *_: Any, **__: Any) -> None:
    click.echo(i18n.text("cli.warning", _console_lang(), message=message), err=True)


_LANG_KEY = "itinerant.lang"


def _console_lang() -> i18n.Language:
    """Language of the console lines: the scenario's once loaded, else French."""
    ctx = click.get_current_context(silent=True)
    lang: i18n.Language = ctx.meta.get(_LANG_KEY, "fr") if ctx is not None else "fr"
    return lang


def _written(folder: Path, count: int, names: str, lang: i18n.Language) -> str:
    return i18n.text("cli.written", lang, folder=folder, count=count, names=names)


def _versions() -> str:
    names = ["itinerant", "ortools", "osmnx", "networkx", "folium", "pydantic", "scipy"]
    parts = []
    for name in names:
        try:
            parts.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            parts.append(f"{name} (not installed)")
    return ", ".join(parts) + f", Python {platform.python_version()}"


def scenario_argument(func: F) -> F:
    """Add the SCENARIO argument, defaulting to the bundled 7 Vallées scenario."""
    return click.argument(
        "scenario_path",
        metavar="[SCENARIO]",
        required=False,
        default=DEFAULT_SCENARIO,
        type=click.Path(dir_okay=False, path_type=Path),
    )(func)


def scenario_option(func: F) -> F:
    """Add ``--scenario``: the scenario whose history file to use."""
    return click.option(
        "-s",
        "--scenario",
        "scenario_path",
        default=DEFAULT_SCENARIO,
        show_default=True,
        type=click.Path(dir_okay=False, path_type=Path),
        help="Scenario whose `history:` file to use.",
    )(func)


def _load(path: Path) -> tuple[Scenario, Territory]:
    scenario, territory = load_scenario(path, today=dt.datetime.now(tz=dt.UTC).date())
    ctx = click.get_current_context(silent=True)
    if ctx is not None:
        ctx.meta[_LANG_KEY] = scenario.language
    return scenario, territory


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(message=_versions())
@click.option("-v", "--verbose", count=True, help="Show progress (-v) or debug logs (-vv).")
def cli(verbose: int) -> None:
    """Plan weekly tours of mobile digital-inclusion units (vans, tiny houses).

    \b
    Example:
        itinerant validate scenarios/7-vallees.yaml
    """
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")


@cli.command()
@scenario_argument
def validate(scenario_path: Path) -> None:
    """Check a scenario file and report every problem, one per line.

    \b
    Example:
        itinerant validate scenarios/7-vallees.yaml
    """
    scenario, territory = _load(scenario_path)
    check_inputs(scenario, territory, source=str(scenario_path))
    lang = scenario.language
    click.echo(
        i18n.text(
            "cli.valid",
            lang,
            path=scenario_path,
            name=scenario.name,
            week=scenario.period.week,
            units=len(scenario.units),
            staff=len(scenario.staff),
            communes=len(territory.communes),
            territory=territory.name,
        )
    )
    for s_index, k_index, skill, close in unused_skills(scenario):
        note = i18n.text(
            "cli.unused_skill",
            lang,
            where=f"staff[{s_index}].skills[{k_index}]",
            skill=skill,
            name=scenario.staff[s_index].name,
        )
        hint = "" if close is None else i18n.text("cli.did_you_mean", lang, skill=close)
        click.echo(note + hint)


@cli.group()
def territory() -> None:
    """Show bundled territories.

    \b
    Example:
        itinerant territory show 7-vallees
    """


@territory.command("show")
@click.argument("name", default="7-vallees")
@click.option(
    "--current", is_flag=True, help="Group by today's communes (e.g. Hesdin-la-Forêt since 2025)."
)
@click.option(
    "--lang",
    type=click.Choice(i18n.LANGUAGES),
    default="fr",
    show_default=True,
    help="Language of the listing.",
)
def territory_show(name: str, current: bool, lang: i18n.Language) -> None:
    """List the communes of a bundled territory, with population and town hall.

    \b
    Example:
        itinerant territory show 7-vallees --current
    """
    data = load_bundled_territory(name)
    population = i18n.format_number(data.population, lang)
    if current:
        groups = data.current_communes()
        click.echo(
            i18n.text(
                "cli.territory_current",
                lang,
                name=data.name,
                count=len(groups),
                population=population,
            )
        )
        for code, commune_name, people, former in groups:
            merged = (
                "  " + i18n.text("cli.merged_from", lang, former=", ".join(former))
                if len(former) > 1
                else ""
            )
            click.echo(f"{code}  {commune_name:<32} {people:>6}{merged}")
        return
    click.echo(
        i18n.text(
            "cli.territory", lang, name=data.name, count=len(data.communes), population=population
        )
    )
    click.echo(
        f"{'INSEE':<6} {i18n.text('csv.commune', lang):<32} "
        f"{i18n.text('cli.col.population', lang):>6}  {'lat':>9} {'lon':>9}  "
        f"{i18n.text('cli.col.town_hall', lang)}"
    )
    for commune in data.communes:
        lat = i18n.format_number(commune.point.lat, lang, decimals=5)
        lon = i18n.format_number(commune.point.lon, lang, decimals=5)
        click.echo(
            f"{commune.insee:<6} {commune.name:<32} {commune.population:>6}  "
            f"{lat:>9} {lon:>9}  {commune.town_hall_address}"
        )
    click.echo(i18n.text("cli.source", lang, source=i18n.provenance(data.source, lang)))


def offline_option(func: F) -> F:
    """Add ``--offline``: never try to download a road network."""
    return click.option(
        "--offline",
        is_flag=True,
        default=None,
        help="Never download a road network (env ITINERANT_OFFLINE).",
    )(func)


def _settings(**overrides: Any) -> Settings:
    return Settings(**{k: v for k, v in overrides.items() if v is not None})


@cli.command()
@scenario_argument
@offline_option
def demand(scenario_path: Path, offline: bool | None) -> None:
    """Print each commune's demand score with its components.

    \b
    Example:
        itinerant demand scenarios/7-vallees.yaml
    """
    scenario, territory = _load(scenario_path)
    settings = _settings(offline=offline)
    network = load_network(
        scenario, territory, cache_dir=settings.cache_dir, allow_download=not settings.offline
    )
    scores = compute_demand(scenario, territory, network)
    lang = scenario.language
    keys = list(scores[0].components)
    services = scenario.demand.existing_services
    click.echo(
        f"{'INSEE':<6} {i18n.text('csv.commune', lang):<30} "
        f"{i18n.text('cli.col.population', lang):>6} {'score':>6}  "
        + "  ".join(f"{key:>18}" for key in keys)
        + (f"  {'existing_services':>17}" if services is not None else "")
    )
    for score in sorted(scores, key=lambda s: (-s.score, s.insee)):
        parts = "  ".join(
            f"{i18n.format_ratio(float(f'{score.components[key].raw:.4g}'), lang):>9} ->"
            f"{i18n.format_number(score.components[key].normalised, lang, decimals=2):>5}"
            for key in keys
        )
        if services is not None:
            parts += f"  {'x ' + format(score.existing_services, '.2f'):>17}"
        flag = "  " + i18n.text("cli.override", lang) if score.overridden else ""
        click.echo(
            f"{score.insee:<6} {score.name[:30]:<30} {score.population:>6} "
            f"{i18n.format_number(score.score, lang, decimals=3):>6}  {parts}{flag}"
        )
    weights = ", ".join(
        f"{k} {i18n.format_number(c.weight, lang, decimals=2)}"
        for k, c in scores[0].components.items()
    )
    click.echo(i18n.text("cli.weights", lang, weights=weights))
    if services is not None:
        reached = sum(score.existing_services != 1.0 for score in scores)
        click.echo(
            i18n.text(
                "cli.existing_services",
                lang,
                count=reached,
                minutes=services.within_min,
                factor=i18n.format_number(services.factor, lang, decimals=2),
            )
        )
    for note in scores[0].notes:
        click.echo(i18n.text("cli.note", lang, note=note))


@cli.group()
def network() -> None:
    """Download and inspect cached road networks.

    \b
    Example:
        itinerant network info scenarios/7-vallees.yaml
    """


@network.command("fetch")
@scenario_argument
def network_fetch(scenario_path: Path) -> None:
    """Download the territory's road network (OpenStreetMap) and cache it.

    \b
    Example:
        itinerant network fetch scenarios/7-vallees.yaml
    """
    from itinerant.geo.network import fetch_road_network  # noqa: PLC0415  (osmnx: slow)

    scenario, territory = _load(scenario_path)
    settings = _settings()
    fetched = fetch_road_network(
        scenario.network, area=scenario_area(scenario, territory), cache_dir=settings.cache_dir
    )
    lang = scenario.language
    click.echo(
        i18n.text(
            "cli.network_fetched",
            lang,
            source=i18n.provenance(fetched.source, lang),
            nodes=i18n.format_number(fetched.n_nodes, lang),
            edges=i18n.format_number(fetched.n_edges, lang),
            folder=settings.cache_dir,
        )
    )


@network.command("info")
@scenario_argument
def network_info(scenario_path: Path) -> None:
    """Say which road network a scenario uses and what is cached.

    \b
    Example:
        itinerant network info scenarios/7-vallees.yaml
    """
    from itinerant.geo.network import cached_networks  # noqa: PLC0415  (osmnx: slow)

    scenario, _ = _load(scenario_path)
    settings = _settings()
    lang = scenario.language
    source = scenario.network.path or scenario.network.source
    click.echo(i18n.text("cli.network_scenario", lang, source=source))
    cached = cached_networks(settings.cache_dir)
    if not cached:
        click.echo(i18n.text("cli.network_none_cached", lang, folder=settings.cache_dir))
    for item in cached:
        size = (
            i18n.text(
                "cli.network_size",
                lang,
                nodes=i18n.format_number(item.nodes, lang),
                edges=i18n.format_number(item.edges or 0, lang),
            )
            if item.nodes is not None
            else "?"
        )
        megabytes = i18n.format_number(item.size_bytes / 1e6, lang, decimals=1)
        click.echo(
            f"{i18n.text(f'cli.network_kind.{item.kind}', lang):<10} "
            f"{i18n.provenance(item.source, lang):<50} {size:<28} "
            f"{i18n.text('cli.megabytes', lang, size=megabytes)} {item.path.name}"
        )


@cli.command()
@scenario_argument
@click.option(
    "--week", help="ISO week to plan, e.g. 2026-W49 (default: the scenario's, or next week)."
)
@click.option("--seed", type=SEED, help="Search seed (default: the scenario's).")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Output folder (default: maps/<scenario>/<week>).",
)
@click.option(
    "--weeks",
    "weeks",
    type=click.IntRange(min=1, max=MAX_WEEKS),
    help=f"Plan N consecutive weeks (at most {MAX_WEEKS}) (rolling horizon), each in its own sub-folder, "
    "with a rotation calendar.",
)
@offline_option
def plan(
    scenario_path: Path,
    week: str | None,
    seed: int | None,
    out_dir: Path | None,
    weeks: int | None,
    offline: bool | None,
) -> None:
    """Plan a week's tours (or N weeks with --weeks) and write the plan and its outputs.

    \b
    Example:
        itinerant plan scenarios/7-vallees.yaml --week 2026-W49 --weeks 4
    """
    if out_dir is not None:
        check_output_folder(out_dir)
    scenario, territory = _load(scenario_path)
    if week is not None:
        scenario = with_week(scenario, week)
    assert scenario.period.week is not None  # resolved by _load
    settings = _settings(offline=offline)
    if weeks is not None:
        _plan_weeks(scenario, territory, scenario_path, weeks, seed, out_dir, settings)
        return
    prepared = prepare(
        scenario, territory, cache_dir=settings.cache_dir, allow_download=not settings.offline
    )
    result = plan_prepared(
        prepared,
        week=scenario.period.week,
        last_visits=(
            last_visit_dates(
                scenario.history, before=dt.date.fromisoformat(f"{scenario.period.week}-1")
            )
            if scenario.history is not None
            else {}
        ),
        seed=seed,
        generated_at=dt.datetime.now(tz=dt.UTC).replace(microsecond=0),
    )
    folder = out_dir or settings.output_dir / scenario_path.stem / scenario.period.week
    files = render_outputs(scenario, territory, prepared.network, result, scores=prepared.scores)
    write_outputs(folder, files)
    click.echo(network_report(prepared))
    click.echo(plan_summary(result, scenario))
    names = "plan.json, schedule.csv, itineraires.pdf, maps/semaine.html, calendars/, routes/"
    click.echo(_written(folder, len(files), names, scenario.language))


@cli.command()
@click.argument("plan_path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@scenario_option
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Output folder (default: the plan's folder; in a language other than the "
    "scenario's, its <lang>/ sub-folder, so that the outputs there are kept).",
)
@click.option("--lang", type=click.Choice(["fr", "en"]), help="Language (default: the scenario's).")
@offline_option
def render(
    plan_path: Path,
    scenario_path: Path,
    out_dir: Path | None,
    lang: str | None,
    offline: bool | None,
) -> None:
    """Render an existing plan again (e.g. after editing plan.json by hand), without solving.

    \b
    Example:
        itinerant render maps/7-vallees/2026-W49/plan.json --lang en --out w49-en
    """
    if out_dir is not None:
        check_output_folder(out_dir)
    scenario, territory = _load(scenario_path)
    week_plan = load_plan(plan_path, scenario, territory)
    settings = _settings(offline=offline)
    network = load_network(
        scenario, territory, cache_dir=settings.cache_dir, allow_download=not settings.offline
    )
    scores = {s.insee: s.score for s in compute_demand(scenario, territory, network)}
    language: i18n.Language = "en" if lang == "en" else "fr" if lang == "fr" else scenario.language
    files = render_outputs(scenario, territory, network, week_plan, scores=scores, lang=language)
    folder = out_dir or _render_folder(plan_path, scenario.language, language)
    write_outputs(folder, files)
    click.echo(_written(folder, len(files), "plan.json, schedule.csv, ...", language))


def _render_folder(plan_path: Path, scenario_lang: i18n.Language, lang: i18n.Language) -> Path:
    """Return where ``render`` writes by default, never over the outputs already there.

    The plan's folder when rendering in the scenario's language (the plan's own
    outputs), else a ``<lang>/`` folder beside them.
    """
    folder = plan_path.parent
    return folder if lang == scenario_lang else folder / lang


def _plan_weeks(
    scenario: Scenario,
    territory: Territory,
    scenario_path: Path,
    weeks: int,
    seed: int | None,
    out_dir: Path | None,
    settings: Settings,
) -> None:
    assert scenario.period.week is not None  # resolved by _load
    prepared, horizon = plan_weeks(
        scenario,
        territory,
        first_week=scenario.period.week,
        count=weeks,
        cache_dir=settings.cache_dir,
        allow_download=not settings.offline,
        seed=seed,
        generated_at=dt.datetime.now(tz=dt.UTC).replace(microsecond=0),
    )
    folder = out_dir or settings.output_dir / scenario_path.stem / (
        f"{horizon.weeks[0]}_{horizon.weeks[-1]}"
    )
    files = horizon_files(prepared, horizon)
    write_outputs(folder, files)
    click.echo(network_report(prepared))
    for week_plan in horizon.plans:
        click.echo(plan_summary(week_plan, scenario))
    lang = scenario.language
    weeks_text = i18n.text("cli.week_folders", lang, weeks=", ".join(horizon.weeks))
    click.echo(_written(folder, len(files), f"rotation.csv, rotation.html, {weeks_text}", lang))


@cli.command()
@click.argument(
    "scenario_paths",
    metavar="SCENARIO SCENARIO [SCENARIO ...]",
    nargs=-1,
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
)
@click.option(
    "--weeks",
    type=click.IntRange(min=1, max=MAX_WEEKS),
    default=4,
    show_default=True,
    help=f"Weeks to plan (at most {MAX_WEEKS}).",
)
@click.option(
    "--week", help="First ISO week, e.g. 2026-W49 (default: the first scenario's, or next week)."
)
@click.option("--seed", type=SEED, help="Search seed (default: each scenario's).")
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Output folder for the report, the indicators and each scenario's plans.",
)
@click.option(
    "--scheduler",
    metavar="ADDRESS",
    help="A running dask scheduler (tcp://HOST:PORT, or a scheduler file) to run the "
    "scenarios on; default: a local cluster started and stopped by the command.",
)
@offline_option
def compare(
    scenario_paths: tuple[Path, ...],
    weeks: int,
    week: str | None,
    seed: int | None,
    out_dir: Path,
    scheduler: str | None,
    offline: bool | None,
) -> None:
    """Run scenarios over the same weeks and compare them side by side (HTML + CSV).

    Every scenario is validated before any is solved; they run in parallel on a dask
    cluster: a local one by default, or the one named by --scheduler (same results).

    \b
    Example:
        itinerant compare scenarios/7-vallees.yaml sans-tiny-house.yaml --weeks 4 --out cmp
        itinerant compare a.yaml b.yaml --weeks 26 --out saison --scheduler tcp://serveur:8786
    """
    if len(scenario_paths) < 2:
        msg = "compare: name at least two scenarios"
        raise click.UsageError(msg)
    check_output_folder(out_dir)
    settings = _settings(offline=offline)
    runs, files = compare_scenarios(
        scenario_paths,
        weeks=weeks,
        first_week=week,
        today=dt.datetime.now(tz=dt.UTC).date(),
        cache_dir=settings.cache_dir,
        allow_download=not settings.offline,
        seed=seed,
        scheduler=scheduler,
    )
    write_outputs(out_dir, files)
    lang = runs[0].scenario.language
    for run in runs:
        ind = run.indicators
        click.echo(
            i18n.text(
                "cli.compare_run",
                lang,
                label=run.label,
                reached=ind.communes_reached,
                total=ind.communes_total,
                visits=ind.visits,
                km=i18n.format_distance_km(ind.km_driven * 1000, lang),
                seconds=i18n.format_number(run.elapsed_s, lang, decimals=1),
            )
        )
    click.echo(_written(out_dir, len(files), "rapport.html, indicateurs.csv", lang))


def _history_path(scenario: Scenario, scenario_path: Path) -> Path:
    if scenario.history is None:
        msg = f"{scenario_path}: history: the scenario names no history file (add `history: FILE`)"
        raise ScenarioError([msg])
    return scenario.history


@cli.group()
def history() -> None:
    """Record, list, cancel and export the visits that took place.

    \b
    Example:
        itinerant history add maps/7-vallees/2026-W49/plan.json
    """


@history.command("add")
@click.argument("plan_path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@scenario_option
@click.option(
    "--cancelled",
    "cancelled",
    multiple=True,
    metavar="INSEE:DATE",
    help="A visit that did not take place (repeatable), e.g. 62549:2026-12-03.",
)
def history_add(plan_path: Path, scenario_path: Path, cancelled: tuple[str, ...]) -> None:
    """Record a planned week as done, except the visits marked cancelled.

    Adding the same week again replaces it (the last version counts).

    \b
    Example:
        itinerant history add maps/7-vallees/2026-W49/plan.json --cancelled 62549:2026-12-03
    """
    scenario, territory = _load(scenario_path)
    week_plan = load_plan(plan_path, scenario, territory, windows=False)
    pairs = [parse_cancellation(item) for item in cancelled]
    records = records_from_plan(week_plan, source=plan_path.name, cancelled=pairs)
    unknown = set(pairs) - {(r.date, r.insee) for r in records}
    if unknown:
        listed = ", ".join(f"{code}:{day}" for day, code in sorted(unknown))
        msg = f"--cancelled: {listed} is not a visit of {plan_path}"
        raise ScenarioError([msg])
    count = add_visits(_history_path(scenario, scenario_path), records)
    done = sum(r.status == "done" for r in records)
    click.echo(
        i18n.text(
            "cli.history_added",
            scenario.language,
            week=week_plan.week,
            count=count,
            done=done,
            cancelled=count - done,
            path=scenario.history,
        )
    )


@history.command("list")
@scenario_option
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]), help="First date, YYYY-MM-DD.")
def history_list(scenario_path: Path, since: dt.datetime | None) -> None:
    """List the recorded visits.

    \b
    Example:
        itinerant history list --since 2026-09-01
    """
    scenario, _ = _load(scenario_path)
    visits = list_visits(
        _history_path(scenario, scenario_path), since=since.date() if since else None
    )
    for visit in visits:
        click.echo(
            f"{visit.date}  {visit.week}  {visit.insee}  {visit.commune[:30]:<30} "
            f"{visit.unit_id:<12} {i18n.text(f'csv.status.{visit.status}', scenario.language)}"
        )
    click.echo(i18n.text("cli.history_count", scenario.language, count=len(visits)))


@history.command("cancel")
@click.argument("commune")
@click.argument("date", type=click.DateTime(formats=["%Y-%m-%d"]))
@scenario_option
@click.option("--unit", help="Only this unit's visit.")
def history_cancel(commune: str, date: dt.datetime, scenario_path: Path, unit: str | None) -> None:
    """Mark a recorded visit as cancelled (it no longer counts for rotation).

    \b
    Example:
        itinerant history cancel Marconne 2026-12-03
    """
    scenario, territory = _load(scenario_path)
    (insee,) = commune_codes(territory, [commune])
    count = mark_cancelled(
        _history_path(scenario, scenario_path), date=date.date(), insee=insee, unit_id=unit
    )
    if count == 0:
        msg = f"no recorded visit to {commune} on {date.date()}"
        raise ScenarioError([msg])
    click.echo(i18n.text("cli.history_cancelled", scenario.language, count=count))


@history.command("export")
@scenario_option
@click.option(
    "--out",
    "out_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="CSV file to write (default: standard output).",
)
def history_export(scenario_path: Path, out_path: Path | None) -> None:
    """Export the history as CSV (spreadsheet formulas neutralised).

    \b
    Example:
        itinerant history export --out history.csv
    """
    scenario, _ = _load(scenario_path)
    text = export_csv_text(
        list_visits(_history_path(scenario, scenario_path)), lang=scenario.language
    )
    if out_path is None:
        click.echo(text, nl=False)
    else:
        write_atomic(out_path, text)
        click.echo(i18n.text("cli.written_file", scenario.language, path=out_path))


@history.command("import")
@click.argument("csv_path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@scenario_option
def history_import(csv_path: Path, scenario_path: Path) -> None:
    """Seed the history from a CSV (columns date, insee, unit_id; optional status, week).

    \b
    Example:
        itinerant history import past-visits.csv
    """
    scenario, territory = _load(scenario_path)
    records = import_csv_text(
        read_text_file(csv_path, what="history CSV"),
        source=csv_path.name,
        insee_codes={commune.insee for commune in territory.communes},
        unit_ids={unit.id for unit in scenario.units},
    )
    count = add_visits(_history_path(scenario, scenario_path), records, replace_week=False)
    click.echo(
        i18n.text("cli.history_imported", scenario.language, count=count, path=scenario.history)
    )


@cli.command()
@click.argument("plan_path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--from",
    "start",
    required=True,
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="First day to replan, YYYY-MM-DD (earlier days are done, unchanged).",
)
@click.option(
    "-s",
    "--scenario",
    "scenario_path",
    default=DEFAULT_SCENARIO,
    show_default=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Scenario the plan was made with.",
)
@click.option(
    "--unit-unavailable",
    "units_off",
    multiple=True,
    metavar="UNIT[:DATE[,DATE..]]",
    help="A unit that cannot go out (repeatable; no date: from --from to the week's end).",
)
@click.option(
    "--staff-absent",
    "staff_off",
    multiple=True,
    metavar="ID[:DATE[,DATE..]]",
    help="A staff member absent (repeatable), e.g. sarah:2026-12-02.",
)
@click.option(
    "--stop-closed",
    "stops_off",
    multiple=True,
    metavar="INSEE[:DATE[,DATE..]]",
    help="A commune's venue closed (repeatable), e.g. 62549:2026-12-03.",
)
@click.option(
    "--road-closed",
    "roads_off",
    multiple=True,
    metavar="ROAD",
    help="A road closed for the rest of the week (repeatable): a number (D928), a name, "
    "way/ID, or LAT,LON for the segment nearest that point. Needs a road network.",
)
@click.option("--seed", type=SEED, help="Search seed (default: the scenario's).")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Output folder (default: maps/<scenario>/<week>-replan-<date>).",
)
@offline_option
def replan(
    plan_path: Path,
    start: dt.datetime,
    scenario_path: Path,
    units_off: tuple[str, ...],
    staff_off: tuple[str, ...],
    stops_off: tuple[str, ...],
    roads_off: tuple[str, ...],
    seed: int | None,
    out_dir: Path | None,
    offline: bool | None,
) -> None:
    """Replan a week from a date after a disruption, keeping announced visits if possible.

    Writes the whole week's new plan (the days before --from as they were done), its
    outputs, and changes.csv (kept, new time, moved, cancelled, added) to tell the
    communes.

    \b
    Example:
        itinerant replan maps/7-vallees/2026-W49/plan.json --from 2026-12-02 \\
            --unit-unavailable bus:2026-12-02 --road-closed D928
    """
    if out_dir is not None:
        check_output_folder(out_dir)
    scenario, territory = _load(scenario_path)
    previous = load_plan(plan_path, scenario, territory, windows=False)
    scenario = with_week(scenario, previous.week)
    day = start.date()
    if day not in previous.dates:
        msg = f"--from: {day} is not a working day of {plan_path} (week {previous.week})"
        raise ScenarioError([msg])
    given: tuple[tuple[DisruptionKind, tuple[str, ...]], ...] = (
        ("unit_unavailable", units_off),
        ("staff_absent", staff_off),
        ("stop_closed", stops_off),
    )
    items = [
        parse_disruption(kind, text, start=day, week_dates=previous.dates, lang=scenario.language)
        for kind, texts in given
        for text in texts
    ]
    scenario = apply_disruptions(scenario, territory, items)
    settings = _settings(offline=offline)
    prepared = prepare(
        scenario,
        territory,
        cache_dir=settings.cache_dir,
        allow_download=not settings.offline,
        road_closures=roads_off,
    )
    monday = dt.date.fromisoformat(f"{previous.week}-1")
    result = replan_week(
        scenario,
        prepared.stops,
        prepared.scores,
        last_visit_dates(scenario.history, before=monday) if scenario.history is not None else {},
        prepared.matrices,
        previous,
        start=day,
        scenario_hash=scenario_hash(scenario),
        generated_at=dt.datetime.now(tz=dt.UTC).replace(microsecond=0),
        seed=seed,
        territory=territory,
        roads_closed=[c.describe() for c in prepared.closed_roads],
    )
    folder = out_dir or (
        settings.output_dir / scenario_path.stem / f"{previous.week}-replan-{day.isoformat()}"
    )
    files = render_outputs(
        scenario, territory, prepared.network, result.plan, scores=prepared.scores
    )
    files["changes.csv"] = changes_csv(result, scenario.language)
    write_outputs(folder, files)
    click.echo(network_report(prepared))
    click.echo(format_changes(result, scenario.language))
    click.echo(_written(folder, len(files), "plan.json, changes.csv, ...", scenario.language))


def main() -> None:
    """Entry point of the ``itinerant`` console script."""
    cli(prog_name="itinerant")


if __name__ == "__main__":  # pragma: no cover
    main()
