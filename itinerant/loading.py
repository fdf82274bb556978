"""Read scenario YAML and territory CSV files, validate them, and report every problem at once."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
import re
import reprlib
import stat
import statistics
import warnings
from collections.abc import Iterable, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from itinerant.calendars import school_calendar, school_zone
from itinerant.errors import FarVenueWarning, ScenarioError, TerritoryError
from itinerant.plan import Plan
from itinerant.scenario import (
    MAX_ADDRESS_LENGTH,
    MAX_NAME_LENGTH,
    Base,
    Period,
    Point,
    Scenario,
    TerritoryRef,
    format_time,
    has_control_character,
    iso_week_monday,
)
from itinerant.territory import Commune, Territory, parse_outlines

__all__ = [
    "BUNDLED_TERRITORIES",
    "check_scenario",
    "format_validation_error",
    "load_bundled_territory",
    "load_scenario",
    "load_territory",
    "parse_communes_csv",
    "read_text_file",
    "resolve_week",
]

BUNDLED_TERRITORIES = {
    "7-vallees": (
        "communes_7vallees.csv",
        "communes_7vallees.geojson",
        "CC des 7 Vallées (Pas-de-Calais)",
        0.214,
    ),
}
"""Bundled territories: name -> (communes and outlines in itinerant/data, title, rate)."""

Loc = tuple[str | int, ...]


class _ScenarioLoader(yaml.SafeLoader):
    """Safe YAML loader that keeps ``14:30`` a string (YAML 1.1 reads it as 870)."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        """Construct a node; a value PyYAML cannot build (``2026-02-30``) is a YAML error."""
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, TypeError, OverflowError, AttributeError) as exc:
            if isinstance(node, yaml.ScalarNode):
                kind = node.tag.rsplit(":", 1)[-1].replace("timestamp", "date (YYYY-MM-DD)")
                problem = f"{_short(node.value)} is not a valid {kind}"
                if "digits" in str(exc):
                    problem = f"{_short(node.value)} is too large a number"
            elif isinstance(node, yaml.MappingNode) and isinstance(exc, TypeError):
                problem = "a key is a list or a mapping (write keys as plain text)"
            else:
                problem = f"this entry cannot be read ({exc})"
            raise yaml.constructor.ConstructorError(None, None, problem, node.start_mark) from None


def _construct_unique_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    """Build a mapping, refusing a key given twice (PyYAML would keep the last silently).

    Merge keys (``<<: *defaults``, standard YAML) are accepted: the keys written out
    override the merged ones, as the YAML spec says.
    """
    seen: set[Any] = set()
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue
        key = loader.construct_object(key_node)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"key {key!r} appears twice", key_node.start_mark
            )
        seen.add(key)
    loader.flatten_mapping(node)
    return loader.construct_mapping(node)


def _refuse_tag(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    """Refuse YAML tags whose values have no place in a scenario (``!!binary``, ``!!set``)."""
    raise yaml.constructor.ConstructorError(
        None,
        None,
        f"the tag {node.tag.rsplit(':', 1)[-1]!r} is not accepted here "
        "(write plain text, numbers, lists and mappings)",
        node.start_mark,
    )


_ScenarioLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_unique_mapping
)
for _tag in ("binary", "set", "omap", "pairs"):
    _ScenarioLoader.add_constructor(f"tag:yaml.org,2002:{_tag}", _refuse_tag)
_ScenarioLoader.yaml_implicit_resolvers = {
    first: [
        (tag, regexp)
        for tag, regexp in resolvers
        if tag not in ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")
    ]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_ScenarioLoader.add_implicit_resolver(
    "tag:yaml.org,2002:int",
    re.compile(
        r"^(?:[-+]?0b[0-1_]+|[-+]?0o?[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)"
        r"|[-+]?0x[0-9a-fA-F_]+)$"
    ),
    list("-+0123456789"),
)
_ScenarioLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(
        r"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?"
        r"|\.[0-9_]+(?:[eE][-+][0-9]+)?|[-+]?\.(?:inf|Inf|INF)"
        r"|\.(?:nan|NaN|NAN))$"
    ),
    list("-+0123456789."),
)


MAX_INPUT_BYTES = 64 * 1024 * 1024
"""Largest input file read (scenario, CSV, plan): 64 MiB, far above any real one."""


def read_text_file(path: Path, *, what: str) -> str:
    """Read a UTF-8 text file (a BOM is accepted), or raise with a clear message.

    Only a regular file of at most :data:`MAX_INPUT_BYTES` is read: a FIFO would block
    and ``/dev/zero`` never end.
    """
    try:
        _check_regular(path, what)
        with path.open("rb") as stream:
            raw = stream.read(MAX_INPUT_BYTES + 1)
    except ScenarioError:
        raise
    except FileNotFoundError:
        msg = f"{path}: {what} not found"
        raise ScenarioError([msg]) from None
    except IsADirectoryError:
        msg = f"{path}: is a folder, not a {what}"
        raise ScenarioError([msg]) from None
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the name
        reason = exc.strerror if isinstance(exc, OSError) else str(exc)
        msg = f"{path}: cannot read the {what} ({reason})"
        raise ScenarioError([msg]) from exc
    if len(raw) > MAX_INPUT_BYTES:
        msg = f"{path}: the {what} is larger than {MAX_INPUT_BYTES // 2**20} MiB"
        raise ScenarioError([msg])
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        msg = (
            f"{path}: the {what} is not UTF-8 text (byte {exc.start}); "
            "save it as UTF-8 (e.g. from LibreOffice: 'Unicode (UTF-8)')"
        )
        raise ScenarioError([msg]) from None


def _check_regular(path: Path, what: str) -> None:
    """Refuse what exists but is not a regular file (FIFO, device); OSError if missing."""
    mode = path.stat().st_mode  # FileNotFoundError for the caller
    if stat.S_ISDIR(mode):
        raise IsADirectoryError
    if not stat.S_ISREG(mode):
        msg = f"{path}: is not a regular file (a pipe or a device?), not a {what}"
        raise ScenarioError([msg])


def format_loc(loc: Loc) -> str:
    """Format a pydantic location as ``units[1].lunch.start``."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif text:
            text += f".{part}"
        else:
            text = str(part)
    return text or "(top level)"


def _clean_loc(loc: Iterable[str | int]) -> Loc:
    # pydantic adds union/function branch names to locations; drop them
    return tuple(
        part
        for part in loc
        if not (
            isinstance(part, str)
            and (
                part.startswith(("function-", "lax-", "json-or-python"))
                or part in ("date", "DateRange", "is-instance[date]", "str", "int")
                or "[" in part
            )
        )
    )


def format_validation_error(error: ValidationError, *, source: str) -> list[str]:
    """Turn a pydantic error into one line per problem: ``file: field.path: 'value' message``."""
    lines: list[str] = []
    seen: set[tuple[str, str]] = set()
    errors = error.errors(include_url=False)
    locs = [_clean_loc(item["loc"]) for item in errors]
    for item, clean in zip(errors, locs, strict=True):
        if item["type"] == "too_short" and any(
            len(other) > len(clean) and other[: len(clean)] == clean for other in locs
        ):
            continue  # a list whose items all failed: the item errors say why
        loc = format_loc(clean)
        kind = item["type"]
        message = item["msg"]
        if kind == "missing":
            line = f"{source}: {loc}: is required"
        elif kind == "extra_forbidden":
            field = loc.rsplit(".", 1)[-1]
            line = f"{source}: {loc}: unknown field {field!r} (check its spelling)"
        elif kind == "value_error":
            line = f"{source}: {loc}: {message.removeprefix('Value error, ')}"
        elif kind in ("model_type", "model_attributes_type", "dict_type"):
            line = f"{source}: {loc}: {_short(item.get('input'))} is not a mapping (expected 'key: value' lines)"
        elif message.startswith("is "):
            line = f"{source}: {loc}: {_short(item.get('input'))} {message}"
        else:
            line = (
                f"{source}: {loc}: {_short(item.get('input'))}: {message[0].lower()}{message[1:]}"
            )
        key = (loc, line)
        if key not in seen:
            seen.add(key)
            lines.append(line)
    return lines


_REPR = reprlib.Repr()
_REPR.maxlevel = 3
_REPR.maxstring = _REPR.maxother = _REPR.maxlong = 80
_REPR.maxlist = _REPR.maxtuple = _REPR.maxdict = _REPR.maxset = 8


def _short(value: Any) -> str:
    """Show a value in at most 60 characters (never walks a huge or deep structure)."""
    try:
        text = _REPR.repr(value)
    except (ValueError, RecursionError):  # an int of over 4300 digits, a cycle
        text = f"a {type(value).__name__} too large to show"
    return text if len(text) <= 60 else text[:57] + "..."


def load_scenario(
    path: Path, *, today: dt.date | None = None, check_paths: bool = True
) -> tuple[Scenario, Territory]:
    """Read, validate and cross-check a scenario file, with its territory.

    Parameters
    ----------
    path
        The scenario YAML file.
    today
        Date used to resolve the default week (next week); None: no resolution.
    check_paths
        Whether files the scenario names must exist.

    Returns
    -------
    The validated scenario and its territory.

    Raises
    ------
    ScenarioError
        With one line per problem, each naming the file, the field path and the value.
    """
    source = str(path)
    text = read_text_file(path, what="scenario file")
    try:
        data = yaml.load(text, Loader=_ScenarioLoader)
    except RecursionError:
        msg = f"{source}: not valid YAML: lists or mappings are nested too deeply"
        raise ScenarioError([msg]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        msg = f"{source}: not valid YAML{where}: {problem}"
        raise ScenarioError([msg]) from None
    if data is None:
        msg = f"{source}: the file is empty (see scenarios/7-vallees.yaml for a full example)"
        raise ScenarioError([msg])
    if not isinstance(data, dict):
        msg = f"{source}: expected 'key: value' lines at the top level, found {type(data).__name__}"
        raise ScenarioError([msg])
    context = {"base_dir": path.parent, "from_file": True, "check_paths": check_paths}
    try:
        scenario = Scenario.model_validate(data, context=context)
    except ValidationError as exc:
        problems = format_validation_error(exc, source=source)
        problems += _reference_problems_of_raw(data, source=source, context=context)
        raise ScenarioError(problems) from None
    if today is not None and scenario.period.week is None:
        scenario = scenario.model_copy(
            update={
                "period": scenario.period.model_copy(update={"week": resolve_week(None, today)})
            }
        )
    territory = load_territory(scenario.territory, source=source, depot=scenario.all_bases[0].point)
    problems = check_scenario(scenario, territory, source=source)
    if problems:
        raise ScenarioError(problems)
    _warn_far_venues(scenario, territory, source=source)
    return scenario, territory


VENUE_WARN_KM = 20.0
"""A venue farther than this from its commune's town hall gets a warning."""


def _warn_far_venues(scenario: Scenario, territory: Territory, *, source: str) -> None:
    for index, rule in enumerate(scenario.communes):
        commune = territory.find(rule.commune)
        if rule.venue is None or commune is None:
            continue
        far = distance_km(rule.venue.point, commune.point)
        if far <= VENUE_WARN_KM:
            continue
        swapped = _swapped(rule.venue.point)
        hint = (
            "; lat and lon look swapped"
            if swapped is not None and distance_km(swapped, commune.point) <= VENUE_WARN_KM
            else ""
        )
        warnings.warn(
            f"{source}: communes[{index}].venue.point: ({rule.venue.point.lat:g}, "
            f"{rule.venue.point.lon:g}) is {far:.0f} km from {commune.name}'s town hall "
            f"(more than {VENUE_WARN_KM:g} km){hint}",
            FarVenueWarning,
            stacklevel=2,
        )


def with_week(scenario: Scenario, week: str) -> Scenario:
    """Return the scenario with another ISO week (e.g. from ``--week``)."""
    try:
        period = Period.model_validate({**scenario.period.model_dump(), "week": week})
    except ValidationError as exc:
        reason = exc.errors(include_url=False)[0]["msg"]
        msg = f"--week: {_short(week)} {reason}"
        raise ScenarioError([msg]) from exc
    return scenario.model_copy(update={"period": period})


def resolve_week(week: str | None, today: dt.date) -> str:
    """Return ``week``, or the ISO week after ``today``'s when None."""
    if week is not None:
        return week
    year, number, _ = (today + dt.timedelta(days=7)).isocalendar()
    return f"{year}-W{number:02d}"


def load_territory(
    ref: TerritoryRef, *, source: str = "scenario", depot: Point | None = None
) -> Territory:
    """Load a scenario's territory: a bundled one by name, or the user's communes CSV.

    With ``depot``, a commune whose lat and lon look swapped (far from the depot, near
    once swapped) is an error.
    """
    if ref.communes_csv is not None:
        text = read_text_file(ref.communes_csv, what="communes CSV")
        communes = parse_communes_csv(text, source=str(ref.communes_csv), depot=depot)
        return Territory(
            name=ref.communes_csv.stem,
            communes=communes,
            illectronism_rate=ref.illectronism_rate,
            source=ref.communes_csv.name,
        )
    assert ref.bundled is not None  # guaranteed by TerritoryRef
    if ref.bundled not in BUNDLED_TERRITORIES:
        known = ", ".join(sorted(BUNDLED_TERRITORIES))
        msg = f"{source}: territory.bundled: {ref.bundled!r} is not a bundled territory (known: {known})"
        raise ScenarioError([msg])
    territory = load_bundled_territory(ref.bundled)
    return territory.model_copy(update={"illectronism_rate": ref.illectronism_rate})


def load_bundled_territory(name: str) -> Territory:
    """Load a territory shipped with the package (see ``itinerant/data/README.md``)."""
    try:
        filename, outlines_name, title, rate = BUNDLED_TERRITORIES[name]
    except KeyError:
        known = ", ".join(sorted(BUNDLED_TERRITORIES))
        msg = f"unknown territory {name!r} (bundled: {known})"
        raise TerritoryError(msg) from None
    data = resources.files("itinerant.data")
    text = data.joinpath(filename).read_text(encoding="utf-8")
    communes = parse_communes_csv(text, source=f"itinerant/data/{filename}")
    outlines = parse_outlines(
        data.joinpath(outlines_name).read_text(encoding="utf-8"),
        source=f"itinerant/data/{outlines_name}",
    )
    return Territory(
        name=title,
        communes=communes,
        illectronism_rate=rate,
        source=f"bundled {filename} (INSEE, DGCL, DILA, IGN; Licence Ouverte)",
        outlines=outlines,
    )


_REQUIRED_COLUMNS = ("insee", "name", "population", "lat", "lon")


def parse_communes_csv(
    text: str, *, source: str, depot: Point | None = None
) -> tuple[Commune, ...]:
    """Parse a communes table (columns insee, name, population, lat, lon, optional extras).

    Optional columns: ``town_hall_address``, ``postal_code``, ``insee_2026``/``name_2026``
    (the current commune), ``area_km2``, ``coord_source`` (``contour_centroid...``: the
    point is the commune's centroid, not its town hall). Every bad row is reported at once, including
    points whose lat and lon look swapped (far from the other communes or from ``depot``,
    but close once swapped).
    """
    columns, rows = _csv_dict_rows(text, source=source)
    missing = [c for c in _REQUIRED_COLUMNS if c not in columns]
    if missing:
        msg = (
            f"{source}: missing column(s) {', '.join(missing)} "
            f"(found: {', '.join(columns) or 'none'})"
        )
        raise ScenarioError([msg])
    problems: list[str] = []
    communes: list[Commune] = []
    seen: dict[str, int] = {}
    for line_no, row in enumerate(rows, start=2):
        where = f"{source}: line {line_no}"
        insee = row["insee"]
        if len(insee) != 5 or not insee[:2].isalnum() or not insee[2:].isdigit():
            problems.append(
                f"{where}: insee: {insee!r} is not an INSEE commune code (5 characters)"
            )
            continue
        if insee in seen:
            problems.append(f"{where}: insee: {insee!r} is a duplicate of line {seen[insee]}")
            continue
        seen[insee] = line_no
        values = _parse_numbers(row, where, problems)
        if values is None:
            continue
        population, lat, lon, area = values
        if not row["name"]:
            problems.append(f"{where}: name: is empty")
            continue
        text_problem = _text_cell_problem(row, where)
        if text_problem is not None:
            problems.append(text_problem)
            continue
        communes.append(
            Commune(
                insee=insee,
                name=row["name"],
                population=int(population),
                point=Point(lat=lat, lon=lon),
                point_kind=(
                    "centroid" if row.get("coord_source", "").startswith("contour") else "town_hall"
                ),
                town_hall_address=row.get("town_hall_address", ""),
                postal_code=row.get("postal_code", ""),
                current_insee=row.get("insee_2026") or insee,
                current_name=row.get("name_2026") or row["name"],
                area_km2=area,
            )
        )
    if not problems:
        problems = _swapped_problems(communes, seen, depot=depot, source=source)
    if problems:
        raise ScenarioError(problems)
    if not communes:
        msg = f"{source}: no commune rows"
        raise ScenarioError([msg])
    return tuple(sorted(communes, key=lambda c: c.insee))


def _text_cell_problem(row: dict[str, str], where: str) -> str | None:
    """Name a commune name or address on several lines, or too long (they reach outputs)."""
    for column, limit in (
        ("name", MAX_NAME_LENGTH),
        ("name_2026", MAX_NAME_LENGTH),
        ("town_hall_address", MAX_ADDRESS_LENGTH),
    ):
        value = row.get(column, "")
        if has_control_character(value):
            return f"{where}: {column}: {_short(value)} holds a line break or a control character"
        if len(value) > limit:
            return f"{where}: {column}: {_short(value)} is longer than {limit} characters"
    return None


_FAR_KM = 300.0
"""A commune this far from the others (or from the depot) is suspect ..."""
_NEAR_KM = 100.0
"""... when swapping its lat and lon brings it this close: they were swapped."""


def distance_km(a: Point, b: Point) -> float:
    """Great-circle distance between two points, in km."""
    lat1, lon1, lat2, lon2 = map(math.radians, (a.lat, a.lon, b.lat, b.lon))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0 * math.asin(min(1.0, math.sqrt(h)))


def _swapped(point: Point) -> Point | None:
    if not -90 <= point.lon <= 90:
        return None
    return Point(lat=point.lon, lon=point.lat)


def _swapped_problems(
    communes: Sequence[Commune], lines: dict[str, int], *, depot: Point | None, source: str
) -> list[str]:
    """Name every commune whose lat/lon look swapped, against the others and the depot."""
    if not communes:
        return []
    centre = Point(
        lat=statistics.median(c.point.lat for c in communes),
        lon=statistics.median(c.point.lon for c in communes),
    )
    references = [("the other communes", centre)]
    if depot is not None:
        references.append(("the depot", depot))
    problems: list[str] = []
    for commune in communes:
        swapped = _swapped(commune.point)
        if swapped is None:
            continue
        for label, reference in references:
            far = distance_km(commune.point, reference)
            near = distance_km(swapped, reference)
            if far > _FAR_KM and near < _NEAR_KM:
                problems.append(
                    f"{source}: line {lines[commune.insee]}: lat/lon: "
                    f"({commune.point.lat:g}, {commune.point.lon:g}) is {far:.0f} km from "
                    f"{label}; lat and lon look swapped (swapped, it is {near:.0f} km away)"
                )
                break
    return problems


def _csv_dict_rows(text: str, *, source: str) -> tuple[list[str], list[dict[str, str]]]:
    """Read CSV text (comma or semicolon separated): stripped header and stripped rows."""
    sample = text[:4096]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    try:
        columns = [c.strip() for c in (reader.fieldnames or [])]
        rows = [
            {
                k.strip(): (v if isinstance(v, str) else "").strip()
                for k, v in row.items()
                if k is not None
            }
            for row in reader
        ]
    except csv.Error as exc:
        msg = f"{source}: line {reader.line_num}: not readable as CSV ({exc})"
        raise ScenarioError([msg]) from None
    return columns, rows


def _parse_numbers(
    row: dict[str, str], where: str, problems: list[str]
) -> tuple[float, float, float, float | None] | None:
    parsed: dict[str, float] = {}
    ok = True
    for column in ("population", "lat", "lon", "area_km2"):
        text = row.get(column, "")
        if column == "area_km2" and not text:
            continue
        try:
            number = float(text.replace(",", ".").replace("\u202f", "").replace(" ", ""))
        except ValueError:
            number = math.nan
        if not math.isfinite(number):
            problems.append(f"{where}: {column}: {_short(text)} is not a number")
            ok = False
            continue
        parsed[column] = number
    if not ok:
        return None
    if parsed["population"] < 0 or parsed["population"] != int(parsed["population"]):
        problems.append(
            f"{where}: population: {row['population']!r} is not a whole number of people"
        )
        return None
    if not -90 <= parsed["lat"] <= 90 or not -180 <= parsed["lon"] <= 180:
        problems.append(f"{where}: lat/lon: ({row['lat']}, {row['lon']}) is not a WGS84 point")
        return None
    return parsed["population"], parsed["lat"], parsed["lon"], parsed.get("area_km2")


def _reference_problems_of_raw(
    data: dict[str, Any], *, source: str, context: dict[str, Any]
) -> list[str]:
    """Check the references that still make sense when the file has structural errors.

    Unknown communes are the commonest slip; report them in
    the same run as the structural errors, from the raw data.
    """
    try:
        ref = TerritoryRef.model_validate(data.get("territory") or {}, context=context)
        territory = load_territory(ref, source=source)
    except (ValidationError, ScenarioError):
        return []
    keys = [
        (index, str(rule["commune"]))
        for index, rule in enumerate(_list_of(data, "communes"))
        if isinstance(rule, dict) and isinstance(rule.get("commune"), str | int)
    ]
    return _unknown_commune_problems(keys, territory, source=source)


def _list_of(data: Any, key: str) -> list[Any]:
    """Return ``data[key]`` if data is a mapping and that is a list, else an empty list."""
    value = data.get(key) if isinstance(data, dict) else None
    return value if isinstance(value, list) else []


def _unknown_commune_problems(
    keys: Sequence[tuple[int, str]], territory: Territory, *, source: str
) -> list[str]:
    return [
        f"{source}: communes[{index}].commune: {key!r} is not a commune of {territory.name} "
        "(give its INSEE code or exact name; `itinerant territory show` lists them)"
        for index, key in keys
        if territory.find(key) is None
    ]


def check_scenario(scenario: Scenario, territory: Territory, *, source: str) -> list[str]:
    """Cross-check references inside a valid scenario; return one line per problem."""
    problems: list[str] = []

    def add(loc: Loc, value: Any, message: str) -> None:
        problems.append(f"{source}: {format_loc(loc)}: {_short(value)} {message}")

    unit_ids = [u.id for u in scenario.units]
    staff_ids = [s.id for s in scenario.staff]
    for kind, ids in (("units", unit_ids), ("staff", staff_ids)):
        for index, ident in enumerate(ids):
            if ids.index(ident) != index:
                add((kind, index, "id"), ident, f"is used twice (also {kind}[{ids.index(ident)}])")
    for u_index, unit in enumerate(scenario.units):
        for r_index, role in enumerate(unit.crew):
            if not any(set(role.skills) <= set(s.skills) for s in scenario.staff):
                add(
                    ("units", u_index, "crew", r_index, "skills"),
                    list(role.skills),
                    "is held by no staff member, so this unit can never go out",
                )
        if unit.lunch is not None and not (
            unit.day.start <= unit.lunch.start and unit.lunch.end <= unit.day.end
        ):
            add(
                ("units", u_index, "lunch"),
                f"{format_time(unit.lunch.start)}-{format_time(unit.lunch.end)}",
                "is not inside the working day "
                f"{format_time(unit.day.start)}-{format_time(unit.day.end)}",
            )
    if scenario.stops.units is not None:
        for index, ident in enumerate(scenario.stops.units):
            if ident not in unit_ids:
                add(("stops", "units", index), ident, f"is not a unit id ({', '.join(unit_ids)})")
    problems += _unknown_commune_problems(
        [(index, rule.commune) for index, rule in enumerate(scenario.communes)],
        territory,
        source=source,
    )
    seen_communes: dict[str, int] = {}
    for index, rule in enumerate(scenario.communes):
        commune = territory.find(rule.commune)
        if commune is None:
            continue
        if commune.insee in seen_communes:
            add(
                ("communes", index, "commune"),
                rule.commune,
                f"has a rule already (communes[{seen_communes[commune.insee]}])",
            )
        seen_communes[commune.insee] = index
        for u_index, ident in enumerate(rule.units or ()):
            if ident not in unit_ids:
                add(
                    ("communes", index, "units", u_index),
                    ident,
                    f"is not a unit id ({', '.join(unit_ids)})",
                )
        low = rule.min_visits_per_week
        high = rule.max_visits_per_week
        low_eff = scenario.stops.min_visits_per_week if low is None else low
        high_eff = scenario.stops.max_visits_per_week if high is None else high
        if low_eff > high_eff:
            add(
                ("communes", index, "min_visits_per_week"),
                low_eff,
                f"is above max_visits_per_week {high_eff}",
            )
        if rule.must_visit and rule.exclude:
            add(("communes", index, "must_visit"), True, "contradicts exclude: true")
    centre = Point(
        lat=statistics.median(c.point.lat for c in territory.communes),
        lon=statistics.median(c.point.lon for c in territory.communes),
    )
    for loc, base in _base_locs(scenario):
        swapped = _swapped(base.point)
        far = distance_km(base.point, centre)
        if swapped is not None and far > _FAR_KM and distance_km(swapped, centre) < _NEAR_KM:
            add(
                (*loc, "point"),
                f"{base.point.lat:g}, {base.point.lon:g}",
                f"is {far:.0f} km from the communes; lat and lon look swapped",
            )
    problems += _base_problems(scenario, territory, source=source)
    problems += _day_problems(scenario, source=source)
    problems += _exact_time_problems(scenario, territory, source=source)
    for key in scenario.demand.overrides:
        if territory.find(key) is None:
            add(("demand", "overrides", key), key, f"is not a commune of {territory.name}")
    problems += [f"{source}: {p}" for p in _calendar_problems(scenario, territory)]
    return problems


# --- bases, days by weekday, exact times (#14) -------------------------------------------


def _base_locs(scenario: Scenario) -> list[tuple[Loc, Base]]:
    """Each base with its field path (``depot`` for the one-base shorthand)."""
    if scenario.depot is not None:
        return [(("depot",), scenario.depot.as_base())]
    return [(("bases", index), base) for index, base in enumerate(scenario.bases)]


def _base_problems(scenario: Scenario, territory: Territory, *, source: str) -> list[str]:
    """Name duplicate base ids, ids that are INSEE codes, units naming an unknown base."""
    problems: list[str] = []
    ids = [base.id for base in scenario.all_bases]
    for index, ident in enumerate(ids):
        if scenario.bases and ids.index(ident) != index:
            problems.append(
                f"{source}: bases[{index}].id: {ident!r} is used twice (also bases[{ids.index(ident)}])"
            )
        if scenario.bases and territory.find(ident) is not None and ident.isdigit():
            problems.append(
                f"{source}: bases[{index}].id: {ident!r} is a commune's INSEE code; "
                "give the base a name-like id (e.g. 'hesdin')"
            )
    for index, unit in enumerate(scenario.units):
        if unit.base is not None and unit.base not in ids:
            problems.append(
                f"{source}: units[{index}].base: {unit.base!r} is not a base "
                f"(bases: {', '.join(ids)})"
            )
    return problems


def _day_problems(scenario: Scenario, *, source: str) -> list[str]:
    """Name each weekday's own lunch that is not inside that weekday's working day."""
    problems: list[str] = []
    for index, unit in enumerate(scenario.units):
        for weekday, rules in unit.days.items():
            day = unit.day_on(weekday)
            lunch = rules.lunch
            if lunch is not None and not (day.start <= lunch.start and lunch.end <= day.end):
                problems.append(
                    f"{source}: units[{index}].days.{weekday}.lunch: "
                    f"'{format_time(lunch.start)}-{format_time(lunch.end)}' is not inside the "
                    f"working day {format_time(day.start)}-{format_time(day.end)}"
                )
    return problems


def _exact_time_problems(scenario: Scenario, territory: Territory, *, source: str) -> list[str]:
    """Name each ``at`` session start that no unit allowed at the stop can hold.

    The unit must be out (day window) from ``setup_min`` before the start to
    ``session_min + packup_min`` after it, on a weekday it works.
    """
    problems: list[str] = []
    all_units = [u.id for u in scenario.units]
    places: list[tuple[Loc, Any, tuple[str, ...]]] = [
        (("stops", "windows"), scenario.stops.windows, scenario.stops.units or tuple(all_units))
    ]
    for index, rule in enumerate(scenario.communes):
        if rule.windows is not None and territory.find(rule.commune) is not None:
            allowed = rule.units or scenario.stops.units or tuple(all_units)
            places.append((("communes", index, "windows"), rule.windows, allowed))
    units = list(scenario.units)
    for loc, windows, allowed in places:
        for weekday, day_windows in windows.items():
            for w_index, window in enumerate(day_windows):
                if not window.exact:
                    continue
                at = window.start
                fits = [
                    u
                    for u in units
                    if u.id in allowed
                    and (u.working_days is None or weekday in u.working_days)
                    and u.day_on(weekday).start + u.setup_min <= at
                    and at + u.session_min + u.packup_min <= u.day_on(weekday).end
                ]
                if fits:
                    continue
                days = ", ".join(
                    f"{u.id} {format_time(u.day_on(weekday).start)}-"
                    f"{format_time(u.day_on(weekday).end)}"
                    for u in units
                    if u.id in allowed
                )
                problems.append(
                    f"{source}: {format_loc((*loc, weekday, w_index, 'at'))}: "
                    f"'{format_time(at)}' is outside the {weekday} working day of every unit "
                    f"allowed there, with set-up and pack-up ({days or 'no unit'})"
                )
    return problems


def _calendar_problems(scenario: Scenario, territory: Territory) -> list[str]:
    """Check that term-time opening rules have a school zone, and a calendar for the week."""
    rules: list[tuple[Loc, str]] = [
        (("communes", index, "opening"), rule.opening)
        for index, rule in enumerate(scenario.communes)
        if rule.opening not in (None, "always")
    ]
    if scenario.stops.opening != "always":
        rules.insert(0, (("stops", "opening"), scenario.stops.opening))
    if not rules:
        return []
    loc, value = rules[0]
    try:
        zone = school_zone(
            scenario.period,
            (c.insee for c in territory.communes),
            needed_by=f"{format_loc(loc)} {value!r}",
        )
        monday = iso_week_monday(scenario.period.week or "")
        if monday is not None:
            for day in (monday, monday + dt.timedelta(days=6)):
                school_calendar(zone).is_holiday(day)
    except ScenarioError as exc:
        return exc.problems
    return []


def read_csv_rows(path: Path, *, what: str) -> list[dict[str, str]]:
    """Read a CSV file (UTF-8, comma or semicolon separated) into rows of stripped text."""
    text = read_text_file(path, what=what)
    return _csv_dict_rows(text, source=str(path))[1]


def read_service_points(path: Path) -> list[Point]:
    """Read existing service points (France Services, mediation places): lat, lon columns.

    Raises
    ------
    ScenarioError
        Naming the file, line and value of every row that is not a WGS84 point.
    """
    rows = read_csv_rows(path, what="service points CSV")
    if rows and not {"lat", "lon"} <= set(rows[0]):
        msg = f"{path}: missing column(s) lat, lon (found: {', '.join(rows[0])})"
        raise ScenarioError([msg])
    points: list[Point] = []
    problems: list[str] = []
    for line_no, row in enumerate(rows, start=2):
        try:
            lat = float(row["lat"].replace(",", "."))
            lon = float(row["lon"].replace(",", "."))
            points.append(Point(lat=lat, lon=lon))
        except ValueError:
            problems.append(
                f"{path}: line {line_no}: lat/lon: ({row['lat']!r}, {row['lon']!r}) "
                "is not a WGS84 point"
            )
    if problems:
        raise ScenarioError(problems)
    return points


def read_plan(path: Path) -> Plan:
    """Read a plan written by ``itinerant plan`` (possibly edited by hand): its structure only.

    :func:`itinerant.plan_check.load_plan` also checks it against the scenario.

    Raises
    ------
    ScenarioError
        Not JSON, a key given twice, ``NaN``/``Infinity``, or a field of the wrong type.
    """
    source = str(path)
    text = read_text_file(path, what="plan file")
    try:
        json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_no_constant)
    except _PlanJsonError as exc:
        raise ScenarioError([f"{source}: {exc}"]) from None
    except (json.JSONDecodeError, RecursionError) as exc:
        where = (
            f" (line {exc.lineno}, column {exc.colno})"
            if isinstance(exc, json.JSONDecodeError)
            else ""
        )
        msg = f"{source}: not valid JSON{where}; write the plan again with `itinerant plan`"
        raise ScenarioError([msg]) from None
    try:
        return Plan.model_validate_json(text)
    except ValidationError as exc:
        raise ScenarioError(format_validation_error(exc, source=source)) from None


class _PlanJsonError(ValueError):
    """A JSON document that parses but that no plan may be."""


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [key for key, _ in pairs]
    for key in keys:
        if keys.count(key) > 1:
            msg = f"the key {_short(key)} appears twice in one object"
            raise _PlanJsonError(msg)
    return dict(pairs)


def _no_constant(name: str) -> float:
    msg = f"{name} is not a number a plan may hold"
    raise _PlanJsonError(msg)


def parse_cancellation(text: str) -> tuple[dt.date, str]:
    """Parse ``INSEE:YYYY-MM-DD`` into (date, INSEE)."""
    code, _, day = text.partition(":")
    try:
        return dt.date.fromisoformat(day), code.strip()
    except ValueError:
        msg = f"--cancelled: {text!r} is not INSEE:YYYY-MM-DD (e.g. 62549:2026-12-03)"
        raise ScenarioError([msg]) from None


def commune_codes(territory: Territory, keys: Sequence[str]) -> list[str]:
    """Resolve commune names or codes to INSEE codes (unknown ones raise)."""
    codes = []
    for key in keys:
        commune = territory.find(key)
        if commune is None:
            msg = f"{key!r} is not a commune of {territory.name}"
            raise ScenarioError([msg])
        codes.append(commune.insee)
    return codes
