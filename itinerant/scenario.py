"""Scenario input models: territory, period, units, staff, stops, demand, solver, network.

Every model forbids unknown keys and is frozen. Times of day are minutes since
midnight (``int``) in the code and ``"HH:MM"`` strings in files. Paths are resolved
against the scenario file's folder (validation context ``base_dir``).
"""

from __future__ import annotations

import datetime as dt
import difflib
import itertools
import math
import re
import unicodedata
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    PlainSerializer,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

__all__ = [
    "DEPOT_BASE_ID",
    "HIGHWAY_TYPES",
    "WEEKDAYS",
    "Base",
    "Contact",
    "Contacts",
    "CrewRole",
    "DayRules",
    "DemandModel",
    "Depot",
    "ExistingServices",
    "LunchBreak",
    "NetworkSettings",
    "OpeningRule",
    "Period",
    "Point",
    "Rotation",
    "Scenario",
    "SchoolZone",
    "SessionWindow",
    "SolverSettings",
    "Staff",
    "StopDefaults",
    "StopRule",
    "TerritoryRef",
    "TimeWindow",
    "Unit",
    "VehicleProfile",
    "Venue",
    "format_time",
    "has_control_character",
    "iso_week_monday",
    "unused_skills",
]

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
SchoolZone = Literal["A", "B", "C"]
"""A French school-holiday zone (metropolitan France)."""
OpeningRule = Literal["always", "term_time", "school_holidays"]
"""When a stop is open in the school year: always, in term time only (a school), or during
the school holidays only (a holiday workshop)."""
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

# ASCII digits and \Z: `$` would accept a trailing newline and `\d` any Unicode digit
_TIME_RE = re.compile(r"\s*([0-9]{1,2})\s*[:hH]\s*([0-9]{2})?\s*\Z", re.ASCII)
_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*\Z")
_WEEK_RE = re.compile(r"([0-9]{4})-W([0-9]{2})\Z")
MAX_ID_LENGTH = 64
"""Longest unit or staff id (ids become file names)."""
MAX_NAME_LENGTH = 200
"""Longest name or label (unit, staff, depot, venue, commune, role, skill)."""
MAX_ADDRESS_LENGTH = 300
"""Longest address."""
MIN_YEAR, MAX_YEAR = 1900, 9000
"""ISO weeks outside these years are refused (date arithmetic stays far from year 9999)."""
HIGHWAY_TYPES = (
    "motorway",
    "motorway_link",
    "trunk",
    "trunk_link",
    "primary",
    "primary_link",
    "secondary",
    "secondary_link",
    "tertiary",
    "tertiary_link",
    "unclassified",
    "residential",
    "living_street",
    "service",
    "road",
    "track",
    "busway",
)
"""OSM ``highway`` types whose speed ``network.highway_speeds_kmh`` may set."""


def _highway_type(value: str) -> str:
    if value not in HIGHWAY_TYPES:
        raise PydanticCustomError(
            "highway", "is not an OSM highway type ({known})", {"known": ", ".join(HIGHWAY_TYPES)}
        )
    return value


def _parse_time(value: Any, info: ValidationInfo) -> int:
    """Parse ``"HH:MM"`` (or French ``"14h30"``, ``"9h"``) into minutes since midnight.

    Code may pass minutes as an ``int``; a file may not (``9`` would be ambiguous).
    """
    from_file = bool((info.context or {}).get("from_file"))
    if isinstance(value, int) and not isinstance(value, bool) and not from_file:
        if 0 <= value <= 24 * 60:
            return value
        raise PydanticCustomError("time", "is not a time (0 to 1440 minutes)")
    if isinstance(value, bool) or not isinstance(value, str):
        raise PydanticCustomError("time", "is not a time (write it as 'HH:MM', e.g. '14:30')")
    match = _TIME_RE.match(value)
    if match is None:
        raise PydanticCustomError("time", "is not a time (write it as 'HH:MM', e.g. '14:30')")
    hours, minutes = int(match.group(1)), int(match.group(2) or 0)
    if hours > 24 or minutes > 59 or (hours == 24 and minutes > 0):
        raise PydanticCustomError("time", "is not a time (hours 00 to 24, minutes 00 to 59)")
    return hours * 60 + minutes


def format_time(minutes: int) -> str:
    """Format minutes since midnight as ``"HH:MM"``."""
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


TimeOfDay = Annotated[
    int,
    BeforeValidator(_parse_time),
    PlainSerializer(format_time, return_type=str),
]
"""A time of day: ``"HH:MM"`` in files, minutes since midnight in code."""


def _check_identifier(value: str) -> str:
    if not _ID_RE.match(value):
        raise PydanticCustomError(
            "identifier", "is not an identifier (letters, digits, '_', '-', '.'; no spaces)"
        )
    if len(value) > MAX_ID_LENGTH:
        raise PydanticCustomError(
            "identifier", "is longer than {limit} characters", {"limit": MAX_ID_LENGTH}
        )
    return value


Identifier = Annotated[str, AfterValidator(_check_identifier)]


def has_control_character(text: str) -> bool:
    """Whether text holds a control character, or a line or paragraph separator."""
    return any(unicodedata.category(c) in ("Cc", "Zl", "Zp") for c in text)


def _single_line(limit: int) -> AfterValidator:
    def check(value: str) -> str:
        if has_control_character(value):
            raise PydanticCustomError(
                "name", "holds a line break or a control character (write it on one line)"
            )
        if len(value) > limit:
            raise PydanticCustomError("name", "is longer than {limit} characters", {"limit": limit})
        return value

    return AfterValidator(check)


Name = Annotated[str, Field(min_length=1), _single_line(MAX_NAME_LENGTH)]
"""A name or label: one line, 1 to :data:`MAX_NAME_LENGTH` characters."""
Label = Annotated[str, _single_line(MAX_NAME_LENGTH)]
"""A short single-line text that may be empty."""
Address = Annotated[str, _single_line(MAX_ADDRESS_LENGTH)]
"""A postal address: one line, at most :data:`MAX_ADDRESS_LENGTH` characters."""


def _resolve_path(value: Path, info: ValidationInfo) -> Path:
    """Resolve a relative path against the scenario's folder and check that it exists."""
    path = _resolve_path_soft(value, info)
    try:
        exists = path.exists()
    except (OSError, ValueError):  # a name too long, a NUL byte
        exists = False
    if (info.context or {}).get("check_paths", True) and not exists:
        raise PydanticCustomError("path", "is not an existing file ({path})", {"path": str(path)})
    return path


InputPath = Annotated[Path, AfterValidator(_resolve_path)]
"""A path to an existing input file, relative to the scenario file."""


def _resolve_path_soft(value: Path, info: ValidationInfo) -> Path:
    """Resolve a relative path against the scenario's folder; it need not exist yet."""
    base = (info.context or {}).get("base_dir")
    try:
        path = value.expanduser()
    except RuntimeError:  # ~someone with no such user
        raise PydanticCustomError(
            "path", "names an unknown user's home folder ({path})", {"path": str(value)}
        ) from None
    if not path.is_absolute() and base is not None:
        path = Path(base) / path
    return path


OutputPath = Annotated[Path, AfterValidator(_resolve_path_soft)]
"""A path relative to the scenario file that need not exist yet."""


class _Model(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, validate_default=True, allow_inf_nan=False
    )


_PHONE_RE = re.compile(r"^\+?[0-9][0-9 .()-]*$")


def _check_phone(value: str) -> str:
    text = " ".join(value.split())
    if not _PHONE_RE.match(text) or sum(ch.isdigit() for ch in text) < 2:
        raise PydanticCustomError(
            "phone", "is not a phone number (digits, spaces, '.', '-', a leading '+')"
        )
    return text


Phone = Annotated[str, AfterValidator(_check_phone)]
"""A phone number as it is written (``03 21 86 00 00``, ``+33 3 21 86 00 00``)."""


class Contact(_Model):
    """Someone to call: a name (or role) and a phone number."""

    name: str = Field(default="", max_length=120, description="who answers, e.g. 'Secrétariat'")
    phone: Phone


class Contacts(_Model):
    """Who to call on the road, printed on every itinerary."""

    coordinator: Contact | None = Field(default=None, description="the tours' coordinator")
    delay_or_breakdown: str = Field(
        default="",
        max_length=300,
        description="what to do when late or broken down (one short line on every sheet)",
    )


class Point(_Model):
    """A WGS84 point."""

    lat: float = Field(strict=True, ge=-90, le=90, description="latitude, degrees")
    lon: float = Field(strict=True, ge=-180, le=180, description="longitude, degrees")


class TimeWindow(_Model):
    """A time interval within one day, ``start`` before ``end``."""

    start: TimeOfDay
    end: TimeOfDay

    @model_validator(mode="after")
    def _ordered(self) -> TimeWindow:
        if self.end <= self.start:
            msg = f"end {format_time(self.end)} is not after start {format_time(self.start)}"
            raise ValueError(msg)
        return self

    @property
    def duration_min(self) -> int:
        """Length of the window in minutes."""
        return self.end - self.start


def _no_overlap(windows: tuple[TimeWindow, ...]) -> tuple[TimeWindow, ...]:
    ordered = sorted(windows, key=lambda w: w.start)
    for before, after in itertools.pairwise(ordered):
        if after.start < before.end:
            raise PydanticCustomError(
                "overlap",
                "has overlapping windows {a} and {b}: merge them or make them disjoint",
                {
                    "a": f"{format_time(before.start)}-{format_time(before.end)}",
                    "b": f"{format_time(after.start)}-{format_time(after.end)}",
                },
            )
    return tuple(ordered)


DayWindows = Annotated[tuple[TimeWindow, ...], AfterValidator(_no_overlap)]
WeeklyWindows = dict[Weekday, DayWindows]
"""Opening or availability windows by weekday (several a day, sorted, disjoint)."""


class SessionWindow(TimeWindow):
    """When a session may start: ``{start, end}``, or ``{at}`` for an exact start.

    ``{at: "17:30"}`` holds the session start to the minute (``start`` = ``end``).
    """

    @model_validator(mode="before")
    @classmethod
    def _exact(cls, data: Any) -> Any:
        if isinstance(data, TimeWindow) and not isinstance(data, SessionWindow):
            return {"start": data.start, "end": data.end}  # a plain window, from code
        if isinstance(data, dict) and "at" in data:
            if "start" in data or "end" in data:
                msg = "give either 'at' or 'start' and 'end', not both"
                raise ValueError(msg)
            rest = {k: v for k, v in data.items() if k != "at"}
            return {**rest, "start": data["at"], "end": data["at"]}
        return data

    @model_validator(mode="after")
    def _ordered(self) -> SessionWindow:
        if self.end < self.start:
            msg = f"end {format_time(self.end)} is before start {format_time(self.start)}"
            raise ValueError(msg)
        return self

    @property
    def exact(self) -> bool:
        """Whether the window fixes the session start (``at``)."""
        return self.start == self.end


SessionDayWindows = Annotated[tuple[SessionWindow, ...], AfterValidator(_no_overlap)]
WeeklySessionWindows = dict[Weekday, SessionDayWindows]
"""Session-start windows of a stop by weekday (``{at}`` entries fix the minute)."""


class DateRange(_Model):
    """An inclusive range of dates (``from``/``to``)."""

    model_config = ConfigDict(populate_by_name=True)

    start: dt.date = Field(alias="from")
    end: dt.date = Field(alias="to")

    @model_validator(mode="after")
    def _ordered(self) -> DateRange:
        if self.end < self.start:
            msg = f"'to' {self.end} is before 'from' {self.start}"
            raise ValueError(msg)
        return self


DateOrRange = dt.date | DateRange


def dates_cover(entries: tuple[DateOrRange, ...], day: dt.date) -> bool:
    """Whether ``day`` is one of the dates or inside one of the ranges."""
    for entry in entries:
        if isinstance(entry, dt.date) and entry == day:
            return True
        if isinstance(entry, DateRange) and entry.start <= day <= entry.end:
            return True
    return False


class TerritoryRef(_Model):
    """Which communes the scenario covers: a bundled territory or the user's CSV."""

    bundled: str | None = Field(default=None, description="name of a bundled territory")
    communes_csv: InputPath | None = Field(
        default=None,
        description="CSV with columns insee, name, population, lat, lon (and optional extras)",
    )
    contours: InputPath | None = Field(
        default=None, description="GeoJSON of commune outlines (property 'insee'), for maps"
    )
    illectronism_rate: float = Field(
        strict=True,
        default=0.214,
        ge=0,
        le=1,
        description="share of adults in illectronism (INSEE, EPCI)",
    )

    @model_validator(mode="before")
    @classmethod
    def _one_source(cls, data: Any) -> Any:
        if isinstance(data, dict):
            has_csv = data.get("communes_csv") is not None
            has_bundled = data.get("bundled") is not None
            if has_csv and has_bundled:
                msg = "give either 'bundled' or 'communes_csv', not both"
                raise ValueError(msg)
            if not has_csv and not has_bundled:
                return {**data, "bundled": "7-vallees"}
        return data


DEPOT_BASE_ID = "depot"
"""Base id of a scenario's one-base ``depot:`` shorthand (and its matrix point id)."""


class Depot(_Model):
    """Where every tour starts and ends (the cooperative's premises)."""

    name: Name
    address: Address = ""
    point: Point

    def as_base(self) -> Base:
        """Return the depot as the scenario's one base, id :data:`DEPOT_BASE_ID`."""
        return Base(id=DEPOT_BASE_ID, name=self.name, address=self.address, point=self.point)


class Base(Depot):
    """A named site where the tours of its units start and end."""

    id: Identifier

    def as_base(self) -> Base:
        """Return the base itself."""
        return self


def iso_week_monday(week: str) -> dt.date | None:
    """Return the Monday of an ISO week such as ``2026-W49``; None if it is not one.

    Only ASCII ``YYYY-Www`` between :data:`MIN_YEAR` and :data:`MAX_YEAR` is a week.
    """
    match = _WEEK_RE.match(week)
    if match is None:
        return None
    year, number = int(match.group(1)), int(match.group(2))
    if not MIN_YEAR <= year <= MAX_YEAR:
        return None
    try:
        return dt.date.fromisocalendar(year, number, 1)
    except ValueError:
        return None


def _check_week(value: str | None) -> str | None:
    if value is None:
        return None
    match = _WEEK_RE.match(value)
    if match is None:
        raise PydanticCustomError("week", "is not an ISO week (write it as '2026-W49')")
    year, week = int(match.group(1)), int(match.group(2))
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise PydanticCustomError(
            "week",
            "is not an ISO week of the years {low} to {high}",
            {"low": MIN_YEAR, "high": MAX_YEAR},
        )
    if iso_week_monday(value) is None:
        raise PydanticCustomError(
            "week", "is not an ISO week ({year} has no week {week})", {"year": year, "week": week}
        )
    return value


class Period(_Model):
    """The week to plan and its working days."""

    week: Annotated[str | None, AfterValidator(_check_week)] = Field(
        default=None, description="ISO week, e.g. 2026-W49; default: next week"
    )
    working_days: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri")
    public_holidays: Literal["france", "none"] = "france"
    school_zone: SchoolZone | None = Field(
        default=None,
        description="school-holiday zone A, B or C for term-time rules; default: the zone "
        "of the communes' département (académie)",
    )
    days_off: tuple[DateOrRange, ...] = Field(
        default=(), description="extra days when nothing goes out (bridges, closures)"
    )

    @field_validator("working_days")
    @classmethod
    def _unique_days(cls, days: tuple[Weekday, ...]) -> tuple[Weekday, ...]:
        if not days:
            raise PydanticCustomError("days", "is empty: name at least one working day")
        if len(set(days)) != len(days):
            raise PydanticCustomError("days", "names a day twice")
        return tuple(sorted(days, key=WEEKDAYS.index))


class VehicleProfile(_Model):
    """How fast a unit drives on the road network."""

    max_speed_kmh: float = Field(strict=True, default=110, gt=0, le=130, description="speed cap")
    speed_factor: float = Field(
        strict=True,
        default=1.0,
        gt=0,
        le=1.5,
        description="multiplies the road's speed (slower vehicle < 1)",
    )
    towed: bool = Field(default=False, description="a trailer is towed (capped at 80 km/h)")
    fallback_speed_kmh: float = Field(
        strict=True, default=50, gt=0, le=130, description="mean speed for straight-line estimates"
    )

    @model_validator(mode="after")
    def _towed_cap(self) -> VehicleProfile:
        if self.towed and self.max_speed_kmh > 80:
            msg = f"a towed unit is capped at 80 km/h, not {self.max_speed_kmh:g}"
            raise ValueError(msg)
        return self

    @property
    def key(self) -> str:
        """Stable key of the profile (units with equal profiles share matrices)."""
        return (
            f"cap{self.max_speed_kmh:g}-x{self.speed_factor:g}"
            f"-fb{min(self.fallback_speed_kmh, self.max_speed_kmh):g}"
        )


class LunchBreak(_Model):
    """A break of ``duration_min`` taken somewhere inside ``[start, end]``."""

    start: TimeOfDay
    end: TimeOfDay
    duration_min: int = Field(strict=True, default=45, ge=0, le=180)

    @model_validator(mode="after")
    def _fits(self) -> LunchBreak:
        if self.end <= self.start:
            msg = f"end {format_time(self.end)} is not after start {format_time(self.start)}"
            raise ValueError(msg)
        if self.end - self.start < self.duration_min:
            msg = (
                f"a {self.duration_min}-minute break does not fit between "
                f"{format_time(self.start)} and {format_time(self.end)}"
            )
            raise ValueError(msg)
        return self


class CrewRole(_Model):
    """One crew member a unit needs: a person holding all of ``skills``."""

    role: Name = Field(description="label, e.g. 'médiateur conducteur'")
    skills: tuple[Name, ...] = Field(min_length=1)


class DayRules(_Model):
    """A unit's day on one weekday, where it differs from its usual day.

    ``lunch: null`` means no lunch that day; a field left out keeps the unit's own.
    """

    day: TimeWindow | None = Field(default=None, description="working-day window that weekday")
    lunch: LunchBreak | None = Field(default=None, description="lunch that weekday")
    no_lunch: bool = Field(default=False, description="no lunch that weekday (lunch: null)")
    max_stops_per_day: int | None = Field(strict=True, default=None, gt=0, le=20)

    @model_validator(mode="before")
    @classmethod
    def _null_lunch(cls, data: Any) -> Any:
        if isinstance(data, dict) and "lunch" in data and data["lunch"] is None:
            return {**{k: v for k, v in data.items() if k != "lunch"}, "no_lunch": True}
        return data

    @model_validator(mode="after")
    def _one_lunch(self) -> DayRules:
        if self.no_lunch and self.lunch is not None:
            msg = "give either a lunch or no_lunch: true, not both"
            raise ValueError(msg)
        return self


def _is_empty(value: Any) -> bool:
    """Whether a field is at its empty default (left out of dumps and scenario hashes)."""
    return value is None or value in ((), {})


class Unit(_Model):
    """A mobile unit: the e-inclusion van, the towed tiny house, ..."""

    id: Identifier
    name: Name
    kind: Name = Field(default="van", description="van, tiny_house, or any other label")
    vehicle: VehicleProfile = VehicleProfile()
    session_min: int = Field(strict=True, gt=0, le=720, description="length of one session on site")
    setup_min: int = Field(strict=True, default=15, ge=0, le=240)
    packup_min: int = Field(strict=True, default=15, ge=0, le=240)
    base: Identifier | None = Field(
        default=None,
        exclude_if=_is_empty,
        description="id of the base its tours start and end at; default: the first base",
    )
    day: TimeWindow = Field(description="working-day window: leave the base, be back")
    lunch: LunchBreak | None = None
    days: dict[Weekday, DayRules] = Field(
        default_factory=dict,
        exclude_if=_is_empty,
        description="weekdays whose working day, lunch or stop cap differ (evenings, Saturdays)",
    )
    max_drive_min: int = Field(
        strict=True, default=240, gt=0, le=720, description="driving time cap a day"
    )
    max_stops_per_day: int | None = Field(
        strict=True,
        default=None,
        gt=0,
        le=20,
        description="default 1 for a tiny house, 3 otherwise",
    )
    multi_day_stays: bool | None = Field(
        default=None, description="may stay at one site on consecutive days (tiny house: yes)"
    )
    max_stay_days: int = Field(strict=True, default=3, ge=1, le=7)
    working_days: tuple[Weekday, ...] | None = Field(
        default=None, description="days the unit may go out; default: the period's days"
    )
    unavailable: tuple[DateOrRange, ...] = Field(
        default=(), description="dates the unit cannot go out (servicing, breakdown)"
    )
    crew: tuple[CrewRole, ...] = Field(min_length=1)
    cost_per_km: float = Field(
        strict=True, default=0.0, ge=0, le=1000, description="euros per km driven"
    )
    fuel_l_per_100km: float = Field(strict=True, default=0.0, ge=0, le=1000)
    co2_kg_per_l: float = Field(strict=True, default=2.5, ge=0, le=100)

    @property
    def visit_min(self) -> int:
        """On-site time of one visit: set-up, session and pack-up."""
        return self.setup_min + self.session_min + self.packup_min

    @property
    def stops_per_day(self) -> int:
        """The effective maximum number of stops a day."""
        if self.max_stops_per_day is not None:
            return self.max_stops_per_day
        return 1 if self.kind == "tiny_house" else 3

    def day_on(self, weekday: Weekday) -> TimeWindow:
        """Return the working-day window on a weekday."""
        rules = self.days.get(weekday)
        return rules.day if rules is not None and rules.day is not None else self.day

    def lunch_on(self, weekday: Weekday) -> LunchBreak | None:
        """Return the lunch on a weekday: None without one, or if the day does not span it."""
        rules = self.days.get(weekday)
        lunch = self.lunch
        if rules is not None:
            lunch = None if rules.no_lunch else rules.lunch or lunch
        day = self.day_on(weekday)
        if lunch is None or not (day.start <= lunch.start and lunch.end <= day.end):
            return None
        return lunch

    def stops_on(self, weekday: Weekday) -> int:
        """Return the maximum number of stops on a weekday."""
        rules = self.days.get(weekday)
        if rules is not None and rules.max_stops_per_day is not None:
            return rules.max_stops_per_day
        return self.stops_per_day

    @property
    def allows_multi_day_stays(self) -> bool:
        """Whether the unit may stay at one site on consecutive days."""
        if self.multi_day_stays is not None:
            return self.multi_day_stays
        return self.kind == "tiny_house"

    @model_validator(mode="after")
    def _fits_in_day(self) -> Unit:
        for weekday, day in [("", self.day)] + [
            (f" on {d}", r.day) for d, r in self.days.items() if r.day is not None
        ]:
            if self.visit_min > day.duration_min:
                msg = (
                    f"one visit ({self.visit_min} min with set-up and pack-up) is longer than "
                    f"the working day{weekday} {format_time(day.start)}-{format_time(day.end)}"
                )
                raise ValueError(msg)
        return self


def _weekdays_windows(*windows: TimeWindow) -> dict[Weekday, tuple[TimeWindow, ...]]:
    return dict.fromkeys(WEEKDAYS[:5], tuple(windows))


class Staff(_Model):
    """A staff member: skills, weekly availability, absences, hours."""

    id: Identifier
    name: Name
    skills: tuple[Name, ...] = ()
    availability: WeeklyWindows = Field(
        default_factory=lambda: _weekdays_windows(TimeWindow(start=8 * 60, end=18 * 60)),
        description="when the person can work, by weekday (default Mon-Fri 08:00-18:00)",
    )
    absences: tuple[DateOrRange, ...] = ()
    max_hours_week: float = Field(strict=True, default=35, gt=0, le=60)
    max_hours_day: float = Field(strict=True, default=10, gt=0, le=13)
    cost_per_hour: float = Field(
        strict=True,
        default=0.0,
        ge=0,
        le=1000,
        description="employer cost per hour worked, for comparisons",
    )
    phone: Phone | None = Field(default=None, description="printed on the crew's sheets")


class Venue(_Model):
    """Where a session is held, when not at the town hall."""

    name: Name
    address: Address = ""
    point: Point


def _default_windows() -> dict[Weekday, tuple[SessionWindow, ...]]:
    return dict.fromkeys(
        WEEKDAYS[:5],
        (SessionWindow(start=9 * 60, end=12 * 60), SessionWindow(start=13 * 60 + 30, end=17 * 60)),
    )


class StopDefaults(_Model):
    """What applies to every commune's stop unless a rule overrides it."""

    windows: WeeklySessionWindows = Field(
        default_factory=_default_windows,
        description="when a session may start, by weekday (default Mon-Fri 09:00-12:00, 13:30-17:00)",
    )
    units: tuple[str, ...] | None = Field(default=None, description="unit ids; default all")
    opening: OpeningRule = Field(
        default="always",
        description="always, term_time (closed in the school holidays) or school_holidays "
        "(open in the school holidays only)",
    )
    min_visits_per_week: int = Field(strict=True, default=0, ge=0, le=7)
    max_visits_per_week: int = Field(strict=True, default=1, ge=0, le=7)

    @model_validator(mode="after")
    def _min_max(self) -> StopDefaults:
        if self.min_visits_per_week > self.max_visits_per_week:
            msg = (
                f"min_visits_per_week {self.min_visits_per_week} is above "
                f"max_visits_per_week {self.max_visits_per_week}"
            )
            raise ValueError(msg)
        return self


class StopRule(_Model):
    """Per-commune settings: venue, windows, closures, allowed units, visit bounds."""

    commune: Name = Field(description="INSEE code or commune name")
    venue: Venue | None = None
    contact: Contact | None = Field(
        default=None, description="who to call at the stop (venue or town hall)"
    )
    windows: WeeklySessionWindows | None = None
    closures: tuple[DateOrRange, ...] = ()
    opening: OpeningRule | None = Field(
        default=None, description="always, term_time or school_holidays; default: stops.opening"
    )
    units: tuple[str, ...] | None = None
    min_visits_per_week: int | None = Field(strict=True, default=None, ge=0, le=7)
    max_visits_per_week: int | None = Field(strict=True, default=None, ge=0, le=7)
    must_visit: bool = False
    exclude: bool = Field(default=False, description="never plan a visit here")

    @field_validator("commune", mode="before")
    @classmethod
    def _code_as_text(cls, value: Any) -> Any:
        # an unquoted INSEE code in YAML is read as an integer
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


class ExistingServices(_Model):
    """Existing service points within a drive time lower a commune's need by a factor."""

    within_min: int = Field(
        strict=True, gt=0, le=240, description="drive time to the nearest service point"
    )
    factor: float = Field(
        strict=True, ge=0, le=1, description="multiplies the score of a commune within reach"
    )


class DemandModel(_Model):
    """How commune demand scores are computed (see :mod:`itinerant.demand`)."""

    weights: dict[Label, Annotated[float, Field(strict=True, le=1e6)]] = Field(
        default_factory=lambda: {
            "population": 0.5,
            "remoteness_depot": 0.2,
            "remoteness_service": 0.3,
        },
        description="weight of each component; extra keys name indicator columns",
    )
    indicators_csv: InputPath | None = Field(
        default=None, description="CSV: insee + one column per indicator (e.g. share_over_60)"
    )
    service_points: tuple[InputPath, ...] = Field(
        default=(), description="CSVs of existing service points (lat, lon columns)"
    )
    overrides: dict[Label, Annotated[float, Field(strict=True)]] = Field(
        default_factory=dict, description="commune (code or name) -> score in [0, 1]"
    )
    existing_services: ExistingServices | None = Field(
        default=None,
        description="a commune this close to a service point has its score multiplied by "
        "the factor (needs service_points)",
    )

    @model_validator(mode="after")
    def _services_listed(self) -> DemandModel:
        if self.existing_services is not None and not self.service_points:
            msg = (
                "existing_services needs service_points (the CSVs of the existing service "
                "points it measures the drive time to)"
            )
            raise ValueError(msg)
        return self

    @field_validator("weights")
    @classmethod
    def _weights(cls, weights: dict[str, float]) -> dict[str, float]:
        negative = [f"{key}: {w:g}" for key, w in weights.items() if w < 0]
        if negative:
            raise PydanticCustomError(
                "weights", "has a negative weight ({negative})", {"negative": ", ".join(negative)}
            )
        if sum(weights.values()) <= 0:
            raise PydanticCustomError("weights", "has no positive weight")
        if not math.isfinite(sum(weights.values())):
            raise PydanticCustomError("weights", "has weights too large to add up")
        return weights

    @field_validator("overrides")
    @classmethod
    def _scores(cls, overrides: dict[str, float]) -> dict[str, float]:
        bad = {k: v for k, v in overrides.items() if not 0 <= v <= 1}
        if bad:
            raise PydanticCustomError("score", "has scores outside [0, 1]: {bad}", {"bad": bad})
        return overrides


class Rotation(_Model):
    """How often communes should be visited, from their demand score."""

    min_interval_days: int = Field(strict=True, default=14, ge=1, le=365, description="for score 1")
    max_interval_days: int = Field(strict=True, default=56, ge=1, le=365, description="for score 0")
    mandatory_after_factor: float = Field(
        strict=True,
        default=2.0,
        gt=1,
        le=10,
        description="a commune overdue by this factor of its interval becomes mandatory",
    )
    second_visit_factor: float = Field(
        strict=True, default=0.4, ge=0, le=1, description="value of a second visit in the same week"
    )

    @model_validator(mode="after")
    def _ordered(self) -> Rotation:
        if self.min_interval_days > self.max_interval_days:
            msg = (
                f"min_interval_days {self.min_interval_days} is above "
                f"max_interval_days {self.max_interval_days}"
            )
            raise ValueError(msg)
        return self


FirstSolutionStrategy = Literal[
    "PARALLEL_CHEAPEST_INSERTION",
    "PATH_CHEAPEST_ARC",
    "LOCAL_CHEAPEST_INSERTION",
    "GLOBAL_CHEAPEST_ARC",
    "SAVINGS",
    "AUTOMATIC",
]


MetaheuristicName = Literal[
    "ITERATED_LOCAL_SEARCH",
    "GUIDED_LOCAL_SEARCH",
    "TABU_SEARCH",
    "SIMULATED_ANNEALING",
    "GREEDY_DESCENT",
]


class SolverSettings(_Model):
    """Search limits and objective weights."""

    seed: int = Field(strict=True, default=0, ge=0, le=2**31 - 1)
    time_limit_s: float = Field(
        strict=True,
        default=1800,
        gt=0,
        le=3600,
        description="wall-clock safety net of each search, far above what the work budgets "
        "need: a search it ends is machine-dependent, and the plan says so",
    )
    roster_work_limit: float = Field(
        strict=True,
        default=60,
        gt=0,
        le=10**6,
        description="work budget of the roster search: CP-SAT deterministic time "
        "(about seconds of one core), the same on any machine",
    )
    solution_limit: int | None = Field(
        strict=True,
        default=None,
        gt=0,
        le=10**9,
        description="work budget of the routing search: stop after this many solutions "
        "(the same on any machine; default: lns_iterations)",
    )
    lns_iterations: int = Field(
        strict=True,
        default=2000,
        ge=0,
        le=10**9,
        description="local search budget in solutions, when solution_limit is not set "
        "(each solution costs time in proportion to the communes: measured 9 s at 69 "
        "communes, 30 s at 200, 5 min at 900)",
    )
    first_solution: FirstSolutionStrategy = Field(
        default="PARALLEL_CHEAPEST_INSERTION",
        description="OR-Tools first-solution strategy (insertion: best measured here)",
    )
    metaheuristic: MetaheuristicName = Field(
        default="GUIDED_LOCAL_SEARCH", description="OR-Tools local-search metaheuristic"
    )
    guided_local_search_lambda: float = Field(
        strict=True,
        default=10.0,
        gt=0,
        le=1e6,
        description="weight of guided local search's arc penalties (OR-Tools' default 0.1 "
        "never lets it give up a visit to escape a local optimum; measured best: 10)",
    )
    value_per_visit: float = Field(
        strict=True,
        default=1000,
        gt=0,
        le=1e9,
        description="value of a visit to a commune of score 1, urgency 1",
    )
    travel_cost_per_hour: float = Field(
        strict=True, default=300, ge=0, le=1e9, description="value lost per hour of driving"
    )

    @property
    def routing_solution_limit(self) -> int:
        """Solutions after which the routing search stops (always set, at least 1)."""
        return self.solution_limit or max(1, self.lns_iterations)


class NetworkSettings(_Model):
    """Where the road network comes from and how it is used."""

    source: Literal["auto", "graphml", "osm", "download", "straight_line"] = Field(
        default="auto",
        description="auto: the file in 'path' if any, else the cache, else download, "
        "else straight lines",
    )
    path: InputPath | None = Field(default=None, description=".graphml, .osm, .osm.bz2, .osm.pbf")
    buffer_m: float = Field(strict=True, default=3000, ge=0, le=50_000)
    max_snap_m: float = Field(strict=True, default=1000, gt=0, le=50_000)
    circuity: float = Field(strict=True, default=1.3, ge=1, le=3)
    highway_speeds_kmh: dict[
        Annotated[str, AfterValidator(_highway_type)],
        Annotated[float, Field(strict=True, gt=0, le=130)],
    ] = Field(default_factory=dict, description="override default speeds by OSM highway type")

    @model_validator(mode="after")
    def _path_kind(self) -> NetworkSettings:
        if self.source in ("graphml", "osm") and self.path is None:
            msg = f"source '{self.source}' needs a 'path'"
            raise ValueError(msg)
        return self


class Scenario(_Model):
    """A whole planning scenario."""

    name: Name
    description: str = Field(default="", max_length=10_000)
    language: Literal["fr", "en"] = "fr"
    territory: TerritoryRef = TerritoryRef()
    depot: Depot | None = Field(
        default=None, exclude_if=_is_empty, description="the one base (shorthand for bases)"
    )
    bases: tuple[Base, ...] = Field(
        default=(),
        exclude_if=_is_empty,
        description="sites where tours start and end; each unit names its base",
    )
    contacts: Contacts = Contacts()
    period: Period = Period()
    units: tuple[Unit, ...] = Field(min_length=1)
    staff: tuple[Staff, ...] = Field(min_length=1)
    stops: StopDefaults = StopDefaults()
    communes: tuple[StopRule, ...] = Field(default=(), description="per-commune rules")
    demand: DemandModel = DemandModel()
    rotation: Rotation = Rotation()
    history: OutputPath | None = Field(
        default=None, description="visit history file (created when first written)"
    )
    solver: SolverSettings = SolverSettings()
    network: NetworkSettings = NetworkSettings()

    @model_validator(mode="wrap")
    @classmethod
    def _needs_a_base(cls, data: Any, handler: ModelWrapValidatorHandler[Scenario]) -> Scenario:
        """Report a missing ``depot`` (or ``bases``) with the other problems of the file."""
        if not isinstance(data, dict) or data.get("depot") is not None or data.get("bases"):
            return handler(data)
        missing = InitErrorDetails(type="missing", loc=("depot",), input=data)
        try:
            handler(data)
        except ValidationError as exc:
            others = [
                InitErrorDetails(
                    type=PydanticCustomError(e["type"], e["msg"]), loc=e["loc"], input=e["input"]
                )
                for e in exc.errors(include_url=False)
            ]
            raise ValidationError.from_exception_data(cls.__name__, [missing, *others]) from None
        raise ValidationError.from_exception_data(cls.__name__, [missing])

    @model_validator(mode="after")
    def _one_kind_of_base(self) -> Scenario:
        if self.depot is not None and self.bases:
            msg = "give either 'depot' (one base) or 'bases', not both"
            raise ValueError(msg)
        return self

    @property
    def all_bases(self) -> tuple[Base, ...]:
        """Every base, in file order (the ``depot:`` shorthand is base ``depot``)."""
        return self.bases or ((self.depot.as_base(),) if self.depot is not None else ())

    def base_of(self, unit: Unit) -> Base:
        """Return a unit's base (the first base by default).

        Raises
        ------
        KeyError
            When the unit names an unknown base (:func:`itinerant.loading.check_scenario`
            reports it first).
        """
        bases = self.all_bases
        if unit.base is None:
            return bases[0]
        for base in bases:
            if base.id == unit.base:
                return base
        raise KeyError(unit.base)


def unused_skills(scenario: Scenario) -> list[tuple[int, int, str, str | None]]:
    """Staff skills no unit's crew asks for: ``(staff index, skill index, skill, close)``.

    Harmless, and common in a variant (the fab manager keeps ``fab_manager`` in a copy
    without the fab lab), so never an error: ``validate`` notes them. ``close`` is a
    needed skill the member lacks that this one may be a misspelling of, else None.
    """
    needed = sorted(
        {skill for unit in scenario.units for role in unit.crew for skill in role.skills}
    )
    notes: list[tuple[int, int, str, str | None]] = []
    for s_index, member in enumerate(scenario.staff):
        for k_index, skill in enumerate(member.skills):
            if skill in needed:
                continue
            lacking = [n for n in needed if n not in member.skills]
            close = difflib.get_close_matches(skill, lacking, n=1, cutoff=0.8)
            notes.append((s_index, k_index, skill, close[0] if close else None))
    return notes
