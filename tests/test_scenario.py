"""Scenario loading: the bundled scenario validates; each kind of bad input is named."""

from __future__ import annotations

import datetime as dt
import re
import typing
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from pydantic import BaseModel

from itinerant.cli import cli
from itinerant.errors import ScenarioError
from itinerant.loading import load_scenario, parse_communes_csv, resolve_week
from itinerant.scenario import Scenario, unused_skills
from itinerant.territory import build_stops

ROOT = Path(__file__).resolve().parents[1]
BUNDLED = ROOT / "scenarios" / "7-vallees.yaml"


def write_variant(tmp_path: Path, old: str, new: str, name: str = "x.yaml") -> Path:
    """Copy the bundled scenario with one textual change (the change must apply)."""
    text = BUNDLED.read_text(encoding="utf-8")
    assert old in text, old
    path = tmp_path / name
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def problems_of(path: Path) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    return info.value.problems


def test_bundled_scenario_validates_with_69_communes_and_stops() -> None:
    scenario, territory = load_scenario(BUNDLED, today=dt.date(2026, 11, 23))
    assert len(territory.communes) == 69
    assert scenario.period.week == "2026-W49"  # next week after 2026-11-23
    stops = build_stops(scenario, territory)
    assert len(stops) == 69
    hesdin = next(s for s in stops if s.insee == "62447")
    assert hesdin.venue_name == "Marché, place d'Armes"
    assert hesdin.units == ("bus",)
    thursday = dt.date(2026, 12, 3)
    assert [(w.start, w.end) for w in hesdin.windows_on(thursday)] == [(510, 630)]
    assert hesdin.windows_on(dt.date(2026, 12, 2)) == ()  # no window on Wednesday
    tiny = scenario.units[1]
    assert tiny.vehicle.towed
    assert tiny.stops_per_day == 1
    assert tiny.allows_multi_day_stays


def test_unquoted_times_stay_times(tmp_path: Path) -> None:
    # YAML 1.1 reads 14:30 as the sexagesimal integer 870; our loader keeps it text
    path = write_variant(
        tmp_path, 'day: {start: "08:30", end: "17:30"}', "day: {start: 08:30, end: 17:30}"
    )
    scenario, _ = load_scenario(path)
    assert (scenario.units[0].day.start, scenario.units[0].day.end) == (510, 1050)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        pytest.param(
            "max_drive_min: 180",
            "max_drive_minutes: 180",
            "units[0].max_drive_minutes: unknown field 'max_drive_minutes'",
            id="unknown-key",
        ),
        pytest.param(
            'lunch: {start: "12:00", end: "14:00", duration_min: 60}',
            'lunch: {start: "25:00", end: "14:00", duration_min: 60}',
            "units[1].lunch.start: '25:00' is not a time",
            id="bad-time",
        ),
        pytest.param(
            'day: {start: "08:30", end: "17:30"}',
            'day: {start: "17:30", end: "08:30"}',
            "units[0].day: end 08:30 is not after start 17:30",
            id="window-reversed",
        ),
        pytest.param(
            "  - commune: Campagne-lès-Hesdin",
            "  - commune: Paris",
            "communes[2].commune: 'Paris' is not a commune of CC des 7 Vallées",
            id="unknown-commune",
        ),
        pytest.param(
            "setup_min: 20",
            "setup_min: -20",
            "units[0].setup_min: -20: input should be greater than or equal to 0",
            id="negative-duration",
        ),
        pytest.param(
            'mon: [{start: "09:00", end: "11:30"}, {start: "13:30", end: "16:00"}]',
            'mon: [{start: "09:00", end: "11:30"}, {start: "11:00", end: "16:00"}]',
            "stops.windows.mon: ",
            id="overlapping-windows",
        ),
        pytest.param(
            "max_speed_kmh: 80\n",
            "max_speed_kmh: 90\n",
            "units[1].vehicle: a towed unit is capped at 80 km/h, not 90",
            id="towed-too-fast",
        ),
        pytest.param(
            "# week: 2026-W49",
            "week: 2026-W54",
            "period.week: '2026-W54' is not an ISO week (2026 has no week 54)",
            id="bad-week",
        ),
        pytest.param(
            "  bundled: 7-vallees\n",
            "  bundled: 7-vallees\n  bundled: 8-vallees\n",
            "not valid YAML (line 28, column 3): key 'bundled' appears twice",
            id="duplicate-key",
        ),
    ],
)
def test_each_bad_input_is_named(tmp_path: Path, old: str, new: str, expected: str) -> None:
    path = write_variant(tmp_path, old, new)
    problems = problems_of(path)
    assert any(expected in line for line in problems), problems
    assert all(line.startswith(f"{path}: ") for line in problems)


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    path = write_variant(tmp_path, "setup_min: 20", "setup_min: -20")
    text = path.read_text(encoding="utf-8").replace(
        "  - commune: Campagne-lès-Hesdin", "  - commune: Atlantis"
    )
    text = text.replace("max_drive_min: 150", "max_drive_mins: 150")
    path.write_text(text, encoding="utf-8")
    problems = problems_of(path)
    assert len(problems) == 3, problems
    assert any("units[0].setup_min" in p for p in problems)
    assert any("units[1].max_drive_mins" in p for p in problems)
    assert any("'Atlantis' is not a commune" in p for p in problems)


def test_empty_and_non_yaml_files(tmp_path: Path) -> None:
    empty = tmp_path / "empty.yaml"
    empty.write_text("", encoding="utf-8")
    assert problems_of(empty) == [
        f"{empty}: the file is empty (see scenarios/7-vallees.yaml for a full example)"
    ]
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: [unclosed\nunits: {\n", encoding="utf-8")
    (line,) = problems_of(broken)
    assert line.startswith(f"{broken}: not valid YAML (line ")
    listing = tmp_path / "list.yaml"
    listing.write_text("- a\n- b\n", encoding="utf-8")
    assert "expected 'key: value' lines" in problems_of(listing)[0]
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"name: \xff\xfe\x00")
    assert "is not UTF-8 text" in problems_of(binary)[0]
    assert "scenario file not found" in problems_of(tmp_path / "missing.yaml")[0]


def test_missing_required_sections_are_named(tmp_path: Path) -> None:
    path = tmp_path / "min.yaml"
    path.write_text("name: bare\n", encoding="utf-8")
    problems = problems_of(path)
    assert [p.split(": ", 1)[1] for p in problems] == [
        "depot: is required",
        "units: is required",
        "staff: is required",
    ]


def test_missing_input_file_is_named(tmp_path: Path) -> None:
    path = write_variant(
        tmp_path, "# indicators_csv: indicators.csv", "indicators_csv: nowhere.csv"
    )
    (line,) = problems_of(path)
    assert "demand.indicators_csv" in line
    assert "nowhere.csv" in line


def test_default_week_is_next_week() -> None:
    assert resolve_week(None, dt.date(2026, 12, 28)) == "2027-W01"
    assert resolve_week("2026-W50", dt.date(2026, 12, 28)) == "2026-W50"


def test_user_communes_csv(tmp_path: Path) -> None:
    """A territory of the user's own (here two real communes of the Drôme)."""
    csv_path = tmp_path / "communes.csv"
    csv_path.write_text(
        "\ufeffinsee;name;population;lat;lon\n"
        "26198;Montélimar;40000;44,5581;4,7509\n"
        "26124;Dieulefit;3200;44,5256;5,0617\n",
        encoding="utf-8",
    )
    path = write_variant(tmp_path, "  bundled: 7-vallees", "  communes_csv: communes.csv")
    text = path.read_text(encoding="utf-8")
    start = text.index("communes:\n  - commune")
    end = text.index("# --- Demand")
    path.write_text(text[:start] + text[end:], encoding="utf-8")
    scenario, territory = load_scenario(path)
    assert [c.name for c in territory.communes] == ["Dieulefit", "Montélimar"]
    assert territory.communes[1].point.lat == pytest.approx(44.5581)
    assert scenario.territory.communes_csv == csv_path


def test_bad_communes_csv_rows_are_all_named() -> None:
    text = (
        "insee,name,population,lat,lon\n"
        "62018,Aix,264,50.47,1.85\n"
        "62018,Aix again,264,50.47,1.85\n"
        "6201,Short,10,50,1\n"
        "62046,Aubin,many,50.39,1.97\n"
        "62050,Auchy,1513,150.0,2.1\n"
    )
    with pytest.raises(ScenarioError) as info:
        parse_communes_csv(text, source="c.csv")
    assert info.value.problems == [
        "c.csv: line 3: insee: '62018' is a duplicate of line 2",
        "c.csv: line 4: insee: '6201' is not an INSEE commune code (5 characters)",
        "c.csv: line 5: population: 'many' is not a number",
        "c.csv: line 6: lat/lon: (150.0, 2.1) is not a WGS84 point",
    ]
    with pytest.raises(ScenarioError, match="missing column"):
        parse_communes_csv("code,name\n1,a\n", source="c.csv")


def test_a_skill_no_unit_needs_is_a_note_not_an_error(tmp_path: Path) -> None:
    """The bundled scenario less the tiny house validates (the example of ``compare -h``).

    Sarah keeps ``fab_manager`` and Julien and Thomas ``driver_be``: no unit needs them
    any more, which changes nothing to the plan. ``validate`` notes each, and hints at
    the needed skill a misspelt one may stand for.
    """
    data = yaml.safe_load(BUNDLED.read_text(encoding="utf-8"))
    data["units"] = [u for u in data["units"] if u["id"] != "tiny-house"]
    data["staff"][0]["skills"] = ["mediatr", "driver_b"]  # a slip: Camille lacks mediator
    data["staff"][1]["skills"] = ["mediator", "driver_b", "driver_be"]
    path = tmp_path / "sans-tiny-house.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    scenario, _ = load_scenario(path, today=dt.date(2026, 11, 23))
    assert [(s, k, skill) for s, k, skill, _ in unused_skills(scenario)] == [
        (0, 0, "mediatr"),
        (1, 2, "driver_be"),
        (2, 0, "fab_manager"),
        (3, 0, "driver_be"),
    ]
    result = CliRunner().invoke(cli, ["validate", str(path)])
    assert result.exit_code == 0, result.output
    notes = result.output.splitlines()[1:]
    assert notes[0] == (
        "Note : staff[0].skills[0] : aucune unité n'a besoin de la compétence 'mediatr' de "
        "Camille (sans effet sur le plan) ; vouliez-vous dire 'mediator' ?"
    )
    assert "'fab_manager' de Sarah" in notes[2]
    assert "vouliez-vous" not in notes[1] + notes[2] + notes[3]  # Julien has driver_b


def _field_paths(model: type[BaseModel], prefix: str = "") -> list[str]:
    """Every field of a scenario model, as dotted paths (``units.working_days``)."""
    paths = []
    for name, field in model.model_fields.items():
        key = field.alias or name  # what the file writes
        path = f"{prefix}.{key}" if prefix else key
        paths.append(path)
        stack = [field.annotation]
        while stack:
            annotation = stack.pop()
            if isinstance(annotation, type) and issubclass(annotation, BaseModel):
                paths += _field_paths(annotation, path)
            else:
                stack += typing.get_args(annotation)
    return paths


def _sections(text: str) -> dict[str, str]:
    """Top-level key -> its lines in the file, with the comment block just above it."""
    lines = text.splitlines()
    starts = [i for i, line in enumerate(lines) if re.match(r"^[a-z_]+:", line)]
    firsts = []
    for start in starts:
        first = start
        while first > 0 and lines[first - 1].startswith("#"):
            first -= 1
        firsts.append(first)
    ends = [*firsts[1:], len(lines)]
    return {
        lines[start].split(":")[0]: "\n".join(lines[first:end])
        for start, first, end in zip(starts, firsts, ends, strict=True)
    }


def test_bundled_scenario_documents_every_field() -> None:
    """Each field of the schema is set or explained in its own section of the bundled file.

    The file says it documents every field; ``units[].working_days``, ``stops.units``
    and ``solver.solution_limit`` were missing (#13).
    """
    text = BUNDLED.read_text(encoding="utf-8")
    sections = _sections(text)
    conventions = text.split("\nname:", 1)[0]  # the header: times, dates, ranges...
    missing = []
    for path in _field_paths(Scenario):
        parts = path.split(".")
        # `bases:` (several bases) is explained in the section of its shorthand `depot:`
        section = sections.get("depot" if parts[0] == "bases" else parts[0], "")
        where = conventions + section if len(parts) > 1 else text
        name = parts[-1]
        if not re.search(rf"\b{re.escape(name)}\b", where):
            missing.append(path)
    assert not missing, f"not documented in {BUNDLED.name}: {missing}"


def test_contacts_are_read_and_a_bad_phone_is_named(tmp_path: Path) -> None:
    scenario, territory = load_scenario(BUNDLED)
    assert scenario.contacts.coordinator is not None
    assert scenario.contacts.coordinator.phone == "03 53 01 00 10"
    assert "panne" in scenario.contacts.delay_or_breakdown.lower()
    assert all(person.phone for person in scenario.staff)
    beaurainville = next(s for s in build_stops(scenario, territory) if s.insee == "62100")
    assert beaurainville.contact is not None
    assert beaurainville.contact.phone == "03 53 01 00 22"
    path = write_variant(tmp_path, 'phone: "06 39 98 00 02"', 'phone: "julien@example.org"')
    problems = problems_of(path)
    assert any(
        "staff[1].phone: 'julien@example.org' is not a phone number" in line for line in problems
    ), problems


def test_centroid_stops_say_what_the_point_is() -> None:
    """Seven communes have no town-hall point: their stop is not called a town hall."""
    scenario, territory = load_scenario(BUNDLED)
    stops = {s.insee: s for s in build_stops(scenario, territory)}
    centroids = [c for c in territory.communes if c.point_kind == "centroid"]
    assert sorted(c.name for c in centroids) == [
        "Huby-Saint-Leu",
        "Marconne",
        "Rollancourt",
        "Saint-Denœux",
        "Saint-Georges",
        "Saint-Rémy-au-Bois",
        "Sainte-Austreberthe",
    ]
    for commune in centroids:
        assert stops[commune.insee].venue_name == f"Centre de {commune.name} (point approximatif)"
        assert stops[commune.insee].point == commune.point
    assert stops["62018"].venue_name == "Mairie d'Aix-en-Issart"  # a town-hall point
