"""Territory data: communes, and the stops a scenario derives from them."""

from __future__ import annotations

import json
import unicodedata
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from itinerant.calendars import SchoolCalendar, school_calendar, school_zone
from itinerant.errors import TerritoryError
from itinerant.scenario import (
    WEEKDAYS,
    Contact,
    DateOrRange,
    OpeningRule,
    Point,
    Scenario,
    SessionWindow,
    StopDefaults,
    StopRule,
    Weekday,
    dates_cover,
)

if TYPE_CHECKING:
    import datetime as dt

__all__ = [
    "Commune",
    "Stop",
    "Territory",
    "build_stops",
    "centre_name",
    "normalise_name",
    "parse_outlines",
    "town_hall_name",
]


class Commune(BaseModel):
    """A commune with its population and town hall."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    insee: str = Field(min_length=5, max_length=5, description="INSEE code")
    name: str = Field(min_length=1)
    population: int = Field(ge=0)
    point: Point = Field(description="town hall (or contour centroid)")
    point_kind: Literal["town_hall", "centroid"] = Field(
        default="town_hall", description="what the point is: the town hall, or the centroid"
    )
    town_hall_address: str = ""
    postal_code: str = ""
    current_insee: str = Field(description="INSEE code of the commune it belongs to today")
    current_name: str
    area_km2: float | None = None


class Territory(BaseModel):
    """A set of communes (one row each), named, with its provenance."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    communes: tuple[Commune, ...] = Field(min_length=1)
    illectronism_rate: float = Field(default=0.214, ge=0, le=1)
    source: str = Field(default="", description="where the table comes from")
    outlines: dict[str, Any] | None = Field(
        default=None,
        repr=False,
        description="GeoJSON FeatureCollection of commune outlines (property insee), for maps",
    )

    def find(self, key: str) -> Commune | None:
        """Find a commune by INSEE code or by name (case and accents ignored)."""
        wanted = key.strip()
        for commune in self.communes:
            if commune.insee == wanted:
                return commune
        folded = normalise_name(wanted)
        for commune in self.communes:
            if normalise_name(commune.name) == folded:
                return commune
        return None

    def current_communes(self) -> list[tuple[str, str, int, list[str]]]:
        """Group the rows by current commune: (insee, name, population, former codes)."""
        groups: dict[str, tuple[str, int, list[str]]] = {}
        for commune in self.communes:
            name, population, codes = groups.get(
                commune.current_insee, (commune.current_name, 0, [])
            )
            groups[commune.current_insee] = (
                name,
                population + commune.population,
                [*codes, commune.insee],
            )
        return [(code, *groups[code]) for code in sorted(groups)]

    @property
    def population(self) -> int:
        """Total population of the territory."""
        return sum(c.population for c in self.communes)


def normalise_name(name: str) -> str:
    """Fold a commune name for matching: lower case, no accents, hyphens as spaces."""
    decomposed = unicodedata.normalize("NFKD", name)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.lower().replace("-", " ").replace("'", " ").replace("’", " ").split())


class Stop(BaseModel):
    """A place a unit may visit: one per commune, at its town hall or a chosen venue."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(description="stop id: the commune's INSEE code")
    insee: str
    commune_name: str
    population: int
    venue_name: str
    address: str
    point: Point
    contact: Contact | None = None
    windows: dict[Weekday, tuple[SessionWindow, ...]]
    closures: tuple[DateOrRange, ...] = ()
    opening: OpeningRule = "always"
    school_calendar: SchoolCalendar | None = Field(
        default=None, repr=False, description="the zone's school holidays, for term-time rules"
    )
    units: tuple[str, ...] = Field(description="unit ids allowed here")
    min_visits_per_week: int = 0
    max_visits_per_week: int = 1
    must_visit: bool = False

    @model_validator(mode="after")
    def _calendar_for_rule(self) -> Stop:
        if (self.opening == "always") != (self.school_calendar is None):
            msg = "a school calendar goes with a term_time or school_holidays opening rule only"
            raise ValueError(msg)
        return self

    def windows_on(self, day: dt.date) -> tuple[SessionWindow, ...]:
        """Return the opening windows on a date (none when closed that day).

        Closed on its closures, and in the school holidays (``term_time``) or in term time
        (``school_holidays``) by its opening rule.
        """
        if dates_cover(self.closures, day):
            return ()
        if self.school_calendar is not None:
            holiday = self.school_calendar.is_holiday(day)
            if holiday != (self.opening == "school_holidays"):
                return ()
        return self.windows.get(WEEKDAYS[day.weekday()], ())


def build_stops(scenario: Scenario, territory: Territory) -> tuple[Stop, ...]:
    """Derive one stop per commune from the scenario's defaults and per-commune rules.

    Communes a rule excludes get no stop. Rules must name known communes: check with
    :func:`itinerant.loading.check_scenario` first (unknown ones are ignored here).
    Stops with a term-time opening rule carry the school calendar of the period's zone
    (see :func:`itinerant.calendars.school_zone`). Stops are sorted by INSEE code.

    Raises
    ------
    ScenarioError
        An opening rule needs a school zone and none is set or can be derived.
    """
    rules: dict[str, StopRule] = {}
    for rule in scenario.communes:
        commune = territory.find(rule.commune)
        if commune is not None:
            rules[commune.insee] = rule
    unit_ids = tuple(unit.id for unit in scenario.units)
    calendar = None
    openings = {scenario.stops.opening, *(rule.opening for rule in rules.values())}
    if openings - {None, "always"}:
        zone = school_zone(
            scenario.period, (c.insee for c in territory.communes), needed_by="an opening rule"
        )
        calendar = school_calendar(zone)
    stops = []
    for commune in sorted(territory.communes, key=lambda c: c.insee):
        rule = rules.get(commune.insee, StopRule(commune=commune.insee))
        if not rule.exclude:
            stops.append(_stop(commune, rule, scenario.stops, unit_ids, calendar))
    return tuple(stops)


def _stop(
    commune: Commune,
    rule: StopRule,
    defaults: StopDefaults,
    unit_ids: tuple[str, ...],
    calendar: SchoolCalendar | None,
) -> Stop:
    """Apply a commune's rule over the defaults."""
    venue = rule.venue
    opening = rule.opening if rule.opening is not None else defaults.opening
    allowed = rule.units if rule.units is not None else defaults.units
    return Stop(
        id=commune.insee,
        insee=commune.insee,
        commune_name=commune.name,
        population=commune.population,
        venue_name=venue.name if venue is not None else _default_venue_name(commune),
        address=venue.address if venue is not None else commune.town_hall_address,
        point=venue.point if venue is not None else commune.point,
        contact=rule.contact,
        windows=rule.windows if rule.windows is not None else defaults.windows,
        closures=rule.closures,
        opening=opening,
        school_calendar=calendar if opening != "always" else None,
        units=tuple(u for u in unit_ids if allowed is None or u in allowed),
        min_visits_per_week=(
            defaults.min_visits_per_week
            if rule.min_visits_per_week is None
            else rule.min_visits_per_week
        ),
        max_visits_per_week=(
            defaults.max_visits_per_week
            if rule.max_visits_per_week is None
            else rule.max_visits_per_week
        ),
        must_visit=rule.must_visit,
    )


def town_hall_name(commune_name: str) -> str:
    """French name of a commune's town hall, with elision: ``Mairie d'Aix-en-Issart``."""
    elided = commune_name[:1].upper() in "AEIOUYÉÈÊÂÎÔ"
    return f"Mairie d'{commune_name}" if elided else f"Mairie de {commune_name}"


def centre_name(commune_name: str) -> str:
    """Name of a stop placed at a commune's centroid: it is no building, say so."""
    elided = commune_name[:1].upper() in "AEIOUYÉÈÊÂÎÔ"
    where = f"d'{commune_name}" if elided else f"de {commune_name}"
    return f"Centre {where} (point approximatif)"


def _default_venue_name(commune: Commune) -> str:
    if commune.point_kind == "centroid":
        return centre_name(commune.name)
    return town_hall_name(commune.name)


def parse_outlines(text: str, *, source: str) -> dict[str, Any]:
    """Parse a GeoJSON ``FeatureCollection`` of commune outlines (property ``insee``).

    Raises
    ------
    TerritoryError
        When the text is not JSON, not a FeatureCollection, or a feature has no ``insee``.
    """
    try:
        data = json.loads(text)
    except ValueError as exc:
        msg = f"{source}: cannot read commune outlines: {exc}"
        raise TerritoryError(msg) from exc
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        msg = f"{source}: not a GeoJSON FeatureCollection"
        raise TerritoryError(msg)
    features = data.get("features")
    if not isinstance(features, list) or not all(
        isinstance(f, dict) and "insee" in (f.get("properties") or {}) for f in features
    ):
        msg = f"{source}: every feature needs an 'insee' property"
        raise TerritoryError(msg)
    return data
