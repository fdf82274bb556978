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

from itinerant.errors import ItinerantError
from itinerant.loading import load_bundled_territory, load_scenario
from itinerant.scenario import Scenario
from itinerant.territory import Territory

DEFAULT_SCENARIO = Path("scenarios/7-vallees.yaml")
F = TypeVar("F", bound=Callable[..., Any])


class _Group(click.Group):
    """A click group that turns library errors into ``Error: ...`` and exit code 1."""

    def invoke(self, ctx: click.Context) -> Any:
        with warnings.catch_warnings():
            warnings.simplefilter("default")
            warnings.showwarning = _show_warning
            try:
                return super().invoke(ctx)
            except ItinerantError as exc:
                raise click.ClickException(str(exc)) from None


def _show_warning(message: Warning | str, category: type[Warning], *_: Any, **__: Any) -> None:
    click.echo(f"Warning: {message}", err=True)


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


def _load(path: Path) -> tuple[Scenario, Territory]:
    return load_scenario(path, today=dt.datetime.now(tz=dt.UTC).date())


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
    click.echo(
        f"{scenario_path}: valid — {scenario.name!r}, week {scenario.period.week}, "
        f"{len(scenario.units)} unit(s), {len(scenario.staff)} staff, "
        f"{len(territory.communes)} communes in {territory.name}"
    )


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
def territory_show(name: str, current: bool) -> None:
    """List the communes of a bundled territory, with population and town hall.

    \b
    Example:
        itinerant territory show 7-vallees --current
    """
    data = load_bundled_territory(name)
    if current:
        groups = data.current_communes()
        click.echo(
            f"{data.name}: {len(groups)} current communes, population {_thousands(data.population)}"
        )
        for code, commune_name, population, former in groups:
            merged = f"  (from {', '.join(former)})" if len(former) > 1 else ""
            click.echo(f"{code}  {commune_name:<32} {population:>6}{merged}")
        return
    click.echo(
        f"{data.name}: {len(data.communes)} communes, population {_thousands(data.population)}"
    )
    click.echo(f"{'INSEE':<6} {'commune':<32} {'pop.':>6}  {'lat':>9} {'lon':>9}  town hall")
    for commune in data.communes:
        click.echo(
            f"{commune.insee:<6} {commune.name:<32} {commune.population:>6}  "
            f"{commune.point.lat:>9.5f} {commune.point.lon:>9.5f}  {commune.town_hall_address}"
        )
    click.echo(f"Source: {data.source}")


def _thousands(number: int) -> str:
    return f"{number:,}".replace(",", "\u202f")


def main() -> None:
    """Entry point of the ``itinerant`` console script."""
    cli(prog_name="itinerant")


if __name__ == "__main__":  # pragma: no cover
    main()
