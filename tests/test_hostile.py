"""Hostile and broken input: every bad file gives one clear ``Error: ...``, never a traceback.

Property-based tests (hypothesis) mutate the bundled scenario and communes table and run
``itinerant validate`` on them (fast: no solving). Whatever the input, the command exits 0
or 1, a failure prints ``Error: `` first and no traceback, and no exception escapes.
Run ``pytest tests/test_hostile.py --hypothesis-show-statistics`` to see the outcomes
(``event`` lines) of the generated inputs.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import os
import sqlite3
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from itinerant.cli import cli
from itinerant.errors import FarVenueWarning, HistoryError, ScenarioError
from itinerant.history import (
    add_visits,
    export_csv_text,
    import_csv_text,
    last_visit_dates,
    list_visits,
)
from itinerant.loading import load_bundled_territory, load_scenario, read_csv_rows
from itinerant.render.csv_format import neutralise_cell
from itinerant.scenario import iso_week_monday

ROOT = Path(__file__).resolve().parents[1]
BUNDLED = ROOT / "scenarios" / "7-vallees.yaml"
BUNDLED_TEXT = BUNDLED.read_text(encoding="utf-8")
BUNDLED_DATA: dict[str, Any] = yaml.safe_load(BUNDLED_TEXT)
COMMUNES_CSV = (ROOT / "itinerant" / "data" / "communes_7vallees.csv").read_text(encoding="utf-8")
TODAY = dt.date(2026, 11, 23)

HOSTILE = settings(
    max_examples=120,
    derandomize=True,  # the same cases on every run: CI is reproducible
    deadline=None,  # never a test of machine speed (#13): a hang shows as a stuck run
    database=None,  # shared checkout: no example database
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# ------------------------------------------------------------------------ strategies

huge_numbers = st.sampled_from(
    [1e308, -1e308, float("inf"), float("-inf"), float("nan"), 10**100, -(10**100), 2**63, 0]
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    huge_numbers,
    st.text(max_size=20),
    st.sampled_from(["", "08:30", "25:00", "14h30", "2026-W53", "mon", "~nobody/x.csv"]),
    st.integers(min_value=5_000, max_value=20_000).map(lambda n: "x" * n),
    st.dates().map(str),
)
yaml_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value inside a YAML document (mapping keys and list indices)."""
    found = [prefix] if prefix else []
    if isinstance(data, dict):
        for key, value in data.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found += _paths(value, (*prefix, index))
    return found


BUNDLED_PATHS = _paths(BUNDLED_DATA)


def _mutate(data: Any, path: tuple[Any, ...], action: str, value: Any) -> Any:
    parent = data
    for part in path[:-1]:
        parent = parent[part]
    if action == "delete":
        del parent[path[-1]]
    elif action == "nest":
        parent[path[-1]] = _nest(parent[path[-1]], 200)
    else:
        parent[path[-1]] = value
    return data


def _nest(value: Any, depth: int) -> Any:
    for _ in range(depth):
        value = [value]
    return value


# YAML tokens PyYAML itself may fail to build, or that name absurd values
YAML_TOKENS = st.sampled_from(
    [
        "2026-02-30",
        "2026-13-01",
        "!!float abc",
        "!!int 1x",
        "!!timestamp never",
        "!!binary ###",
        "!!python/object:os.system x",
        "1" + "0" * 5000,
        "1" + "0" * 100,
        "1.0e308",
        ".inf",
        "-.inf",
        ".nan",
        "0b",
        "0x",
        "~nobody/x.csv",
        "a" * 5000,
        "{? [a, b] : 1}",
        "&x [*x]",
        "*nowhere",
        "[" * 2000,
        "[" * 1500 + "]" * 1500,
        '"\\x00"',
        "@",
        "`",
        "%",
        "{a: 1, a: 2}",
    ]
)
_SCALAR_LINES = [
    (number, line)
    for number, line in enumerate(BUNDLED_TEXT.splitlines())
    if ": " in line and not line.lstrip().startswith("#") and not line.rstrip().endswith(":")
]


def _get(data: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        data = data[part]
    return data


NUMERIC_PATHS = [
    path
    for path in BUNDLED_PATHS
    if isinstance(leaf := _get(BUNDLED_DATA, path), int | float) and not isinstance(leaf, bool)
]

# ------------------------------------------------------------------------- helpers


def _validate(tmp: Path, scenario_text: str | bytes) -> Result:
    path = tmp / "scenario.yaml"
    if isinstance(scenario_text, str):
        path.write_text(scenario_text, encoding="utf-8")
    else:
        path.write_bytes(scenario_text)
    return CliRunner().invoke(cli, ["validate", str(path)])


def _check_clear(result: Result) -> None:
    """The CLI contract on any input: exit 0 or 1, ``Error: ...`` on 1, no traceback."""
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    assert result.exit_code in (0, 1), result.output
    assert "Traceback" not in result.output
    if result.exit_code == 1:
        assert result.output.startswith("Error: "), result.output
        _event("exit 1: " + _reason(result.output))
    else:
        _event("exit 0: valid")


def _event(name: str) -> None:
    """Count an outcome for --hypothesis-show-statistics (inside a property test only)."""
    with contextlib.suppress(InvalidArgument):
        event(name)


def _reason(output: str) -> str:
    first = output.splitlines()[0]
    for marker in (
        "not valid YAML",
        "is required",
        "unknown field",
        "is not a mapping",
        "is empty",
        "expected 'key: value'",
        "not UTF-8",
        "missing column",
        "swapped",
        "duplicate",
        "not readable as CSV",
        "is not a number",
        "finite",
        "is not a time",
    ):
        if marker in first:
            return marker
    return "other validation message"


def _with_communes_csv(tmp: Path, csv_bytes: bytes) -> str:
    (tmp / "communes.csv").write_bytes(csv_bytes)
    return BUNDLED_TEXT.replace("  bundled: 7-vallees", "  communes_csv: communes.csv", 1)


# ------------------------------------------------------------------ property tests


@HOSTILE
@given(
    data=st.data(),
    action=st.sampled_from(["delete", "replace", "replace", "nest"]),
    value=yaml_values,
)
def test_mutated_scenario_gives_a_clear_message(
    data: st.DataObject, action: str, value: Any
) -> None:
    """Delete a key, replace a value by a random YAML value, or nest it deeply."""
    path = data.draw(st.sampled_from(BUNDLED_PATHS), label="path")
    mutated = _mutate(copy.deepcopy(BUNDLED_DATA), path, action, value)
    text = yaml.safe_dump(mutated, allow_unicode=True, sort_keys=False)
    with tempfile.TemporaryDirectory() as tmp:
        _check_clear(_validate(Path(tmp), text))


@HOSTILE
@given(
    kind=st.sampled_from(["truncate", "insert", "text", "bytes"]),
    cut=st.integers(min_value=0, max_value=len(BUNDLED_TEXT)),
    junk=st.text(max_size=40),
    raw=st.binary(max_size=400),
)
def test_broken_scenario_text_gives_a_clear_message(
    kind: str, cut: int, junk: str, raw: bytes
) -> None:
    """Truncated files, random text spliced in, random text or bytes instead of YAML."""
    content: str | bytes
    if kind == "truncate":
        content = BUNDLED_TEXT[:cut]
    elif kind == "insert":
        content = BUNDLED_TEXT[:cut] + junk + BUNDLED_TEXT[cut:]
    elif kind == "text":
        content = junk
    else:
        content = raw
    with tempfile.TemporaryDirectory() as tmp:
        _check_clear(_validate(Path(tmp), content))


_CSV_LINES = COMMUNES_CSV.splitlines()
_HEADER = _CSV_LINES[0].split(",")


@HOSTILE
@given(
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "latin-1", "utf-16", "cp1252"]),
    drop_column=st.none() | st.sampled_from(["insee", "name", "population", "lat", "lon"]),
    duplicate=st.none() | st.integers(min_value=1, max_value=len(_CSV_LINES) - 1),
    swap=st.sampled_from(["none", "one", "all"]),
    cell=st.none()
    | st.tuples(
        st.integers(min_value=1, max_value=len(_CSV_LINES) - 1),
        st.sampled_from(["population", "lat", "lon", "insee", "name"]),
        st.sampled_from(["1e308", "1e400", "nan", "-inf", "10" * 60, "", "=1+1", "x" * 5000])
        | st.text(alphabet=st.characters(exclude_characters=',"\r\n'), max_size=12),
    ),
)
def test_hostile_communes_csv_gives_a_clear_message(
    encoding: str,
    drop_column: str | None,
    duplicate: int | None,
    swap: str,
    cell: tuple[int, str, str] | None,
) -> None:
    """Wrong encodings, missing columns, duplicate codes, swapped lat/lon, absurd cells."""
    import csv
    import io

    rows = list(csv.DictReader(io.StringIO(COMMUNES_CSV)))
    if duplicate is not None:
        rows.insert(duplicate, dict(rows[duplicate - 1]))
    for index, row in enumerate(rows):
        if swap == "all" or (swap == "one" and index == 3):
            row["lat"], row["lon"] = row["lon"], row["lat"]
    if cell is not None:
        rows[cell[0] - 1][cell[1]] = cell[2]
    columns = [c for c in _HEADER if c != drop_column]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    try:
        csv_bytes = buffer.getvalue().encode(encoding)
    except UnicodeEncodeError:
        csv_bytes = buffer.getvalue().encode(encoding, errors="replace")
    with tempfile.TemporaryDirectory() as tmp:
        result = _validate(Path(tmp), _with_communes_csv(Path(tmp), csv_bytes))
    _check_clear(result)
    clean = drop_column is None and duplicate is None and cell is None
    if swap != "none" and encoding in ("utf-8", "utf-8-sig") and clean:
        # nothing else wrong: the swap is what is reported
        assert result.exit_code == 1
        assert "lat and lon look swapped" in result.output


@HOSTILE
@given(line=st.sampled_from(_SCALAR_LINES), token=YAML_TOKENS)
def test_hostile_yaml_token_gives_a_clear_message(line: tuple[int, str], token: str) -> None:
    """Replace one ``key: value`` line's value by a token PyYAML may fail to build."""
    number, text = line
    key = text.split(": ", 1)[0]
    lines = BUNDLED_TEXT.splitlines()
    lines[number] = f"{key}: {token}"
    with tempfile.TemporaryDirectory() as tmp:
        _check_clear(_validate(Path(tmp), "\n".join(lines) + "\n"))


@HOSTILE
@given(
    path=st.sampled_from(NUMERIC_PATHS),
    value=st.sampled_from([1e308, -1e308, float("inf"), float("-inf"), float("nan"), 10**100]),
)
def test_enormous_number_is_refused(path: tuple[Any, ...], value: float) -> None:
    """Any number of the scenario replaced by 1e308, 10**100, inf or nan: exit 1, named."""
    mutated = _mutate(copy.deepcopy(BUNDLED_DATA), path, "replace", value)
    text = yaml.safe_dump(mutated, allow_unicode=True, sort_keys=False)
    with tempfile.TemporaryDirectory() as tmp:
        result = _validate(Path(tmp), text)
    _check_clear(result)
    assert result.exit_code == 1, (path, value)
    assert str(path[-1]) in result.output


# ------------------------------------------------------------------ named examples


def _scenario_problems(tmp_path: Path, text: str) -> str:
    path = tmp_path / "s.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path, today=TODAY)
    return str(info.value)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        pytest.param(
            "days_off: []", "days_off: [2026-02-30]", "'2026-02-30' is not a valid date", id="date"
        ),
        pytest.param(
            "seed: 0 ", "seed: 1" + "0" * 5000 + " ", "is too large a number", id="5000-digits"
        ),
        pytest.param("seed: 0 ", "seed: 1" + "0" * 100 + " ", "solver.seed: ", id="10**100"),
        pytest.param(
            "cost_per_km: 0.35", "cost_per_km: .inf", "input should be a finite number", id="inf"
        ),
        pytest.param(
            "value_per_visit: 1000 ", "value_per_visit: 1.0e308 ", "value_per_visit", id="1e308"
        ),
        pytest.param(
            "highway_speeds_kmh: {}",
            "highway_speeds_kmh: {tertiary: -70}",
            "highway_speeds_kmh.tertiary",
            id="negative-speed",
        ),
        pytest.param(
            "history: history/7-vallees.sqlite",
            "history: ~nosuchuser/h.sqlite",
            "unknown user's home folder",
            id="tilde-user",
        ),
        pytest.param(
            "  bundled: 7-vallees",
            "  communes_csv: " + "a" * 5000,
            "is not an existing file",
            id="name-too-long",
        ),
        pytest.param("circuity: 1.3", "circuity: !!float abc", "is not a valid float", id="tag"),
        pytest.param(
            "language: fr", "language: fr\n? [a, b]\n: 1", "a key is a list", id="list-key"
        ),
        pytest.param(
            "description: >-",
            "nested: " + "[" * 3000 + "]" * 3000 + "\ndescription: >-",
            "nested too deeply",
            id="deep-nesting",
        ),
        pytest.param(
            'mon: [{start: "09:00", end: "11:30"}, {start: "13:30", end: "16:00"}]',
            'mon: [{start: "09:00", end: "11:30"}, {start: "11:00", end: "16:00"}]',
            "stops.windows.mon: ",
            id="overlapping-windows",
        ),
    ],
)
def test_named_hostile_scenarios(tmp_path: Path, old: str, new: str, expected: str) -> None:
    assert old in BUNDLED_TEXT, old
    problems = _scenario_problems(tmp_path, BUNDLED_TEXT.replace(old, new, 1))
    assert expected in problems, problems
    assert str(tmp_path / "s.yaml") in problems


def test_zero_staff(tmp_path: Path) -> None:
    text = (
        BUNDLED_TEXT[: BUNDLED_TEXT.index("staff:\n  - id")]
        + BUNDLED_TEXT[BUNDLED_TEXT.index("# --- Stops") :]
    )
    problems = _scenario_problems(tmp_path, text.replace("# --- Stops", "staff: []\n# --- Stops"))
    assert problems.endswith(
        "s.yaml: staff: []: tuple should have at least 1 item after validation, not 0"
    )


def test_billion_laughs_is_refused_fast(tmp_path: Path) -> None:
    """Aliases that expand to 10**8 items are reported without walking them."""
    laughs = "lol0: &a0 [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"lol{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]\n" for i in range(1, 8)
    )
    text = BUNDLED_TEXT.replace("staff:\n", laughs + "staff:\n", 1).replace(
        "skills: [mediator, driver_b]\n    availability", "skills: *a7\n    availability", 1
    )
    problems = _scenario_problems(tmp_path, text)
    assert "lol7: unknown field 'lol7'" in problems
    assert len(problems) < 5000


def _swapped_csv(rows: Callable[[int], bool]) -> str:
    lines = COMMUNES_CSV.splitlines()
    header = lines[0].split(",")
    lat, lon = header.index("lat"), header.index("lon")
    out = [lines[0]]
    for number, line in enumerate(lines[1:], start=2):
        cells = line.split(",")
        if rows(number):
            cells[lat], cells[lon] = cells[lon], cells[lat]
        out.append(",".join(cells))
    return "\n".join(out) + "\n"


def test_every_commune_swapped_is_named_against_the_depot(tmp_path: Path) -> None:
    """Swapped lat/lon put the 7 Vallées in the Indian Ocean, ~8,700 km from the depot."""
    (tmp_path / "communes.csv").write_text(_swapped_csv(lambda _: True), encoding="utf-8")
    text = BUNDLED_TEXT.replace("  bundled: 7-vallees", "  communes_csv: communes.csv", 1)
    problems = _scenario_problems(tmp_path, text).splitlines()
    assert len(problems) == 69
    assert problems[0].startswith(
        f"{tmp_path / 'communes.csv'}: line 2: lat/lon: (1.85985, 50.4776) is "
    )
    assert "km from the depot; lat and lon look swapped" in problems[0]


def test_one_commune_swapped_is_named_against_the_others(tmp_path: Path) -> None:
    (tmp_path / "communes.csv").write_text(_swapped_csv(lambda n: n == 5), encoding="utf-8")
    text = BUNDLED_TEXT.replace("  bundled: 7-vallees", "  communes_csv: communes.csv", 1)
    (problem,) = _scenario_problems(tmp_path, text).splitlines()
    assert ": line 5: lat/lon: " in problem
    assert "from the other communes; lat and lon look swapped" in problem


def test_swapped_depot_is_named(tmp_path: Path) -> None:
    text = BUNDLED_TEXT.replace(
        "point: {lat: 50.373001, lon: 2.03727}", "point: {lat: 2.03727, lon: 50.373001}", 1
    )
    problem = _scenario_problems(tmp_path, text)
    assert "depot.point: '2.03727, 50.373' is " in problem
    assert "lat and lon look swapped" in problem


@pytest.mark.parametrize("encoding", ["latin-1", "utf-16"])
def test_communes_csv_not_utf8_says_resave(tmp_path: Path, encoding: str) -> None:
    (tmp_path / "communes.csv").write_bytes(COMMUNES_CSV.encode(encoding, errors="replace"))
    text = BUNDLED_TEXT.replace("  bundled: 7-vallees", "  communes_csv: communes.csv", 1)
    problem = _scenario_problems(tmp_path, text)
    assert problem.startswith(f"{tmp_path / 'communes.csv'}: the communes CSV is not UTF-8")
    assert "save it as UTF-8" in problem


def test_communes_csv_with_bom_is_read(tmp_path: Path) -> None:
    (tmp_path / "communes.csv").write_bytes(COMMUNES_CSV.encode("utf-8-sig"))
    text = BUNDLED_TEXT.replace("  bundled: 7-vallees", "  communes_csv: communes.csv", 1)
    path = tmp_path / "s.yaml"
    path.write_text(text, encoding="utf-8")
    _, territory = load_scenario(path, today=TODAY)
    assert len(territory.communes) == 69


def test_indicators_csv_latin1_says_resave(tmp_path: Path) -> None:
    path = tmp_path / "indicateurs.csv"
    path.write_bytes("insee;part_âgés\n62018;21,4\n".encode("latin-1"))
    with pytest.raises(ScenarioError, match=r"indicators CSV is not UTF-8.*save it as UTF-8"):
        read_csv_rows(path, what="indicators CSV")


def test_history_csv_latin1_says_resave(tmp_path: Path) -> None:
    path = tmp_path / "passées.csv"
    path.write_bytes(
        "date,insee,unit_id,commune\n2026-11-02,62447,bus,Hesdin-la-Forêt\n".encode("latin-1")
    )
    result = CliRunner().invoke(cli, ["history", "import", str(path), "-s", str(BUNDLED)])
    _check_clear(result)
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: {path}: the history CSV is not UTF-8")
    assert "save it as UTF-8" in result.output


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            'date,insee,unit_id\n2026-11-02,62447,"' + "x" * 200_000 + '"\n',
            "h.csv: line 2: not readable as CSV (field larger than field limit",  # its line
            id="huge-cell",
        ),
        pytest.param(
            "insee,unit_id,date\n62447\n", "h.csv: line 2: date: '' is not a date", id="short-row"
        ),
    ],
)
def test_broken_history_csv(text: str, expected: str) -> None:
    with pytest.raises(ScenarioError) as info:
        import_csv_text(text, source="h.csv")
    assert str(info.value).startswith(expected), str(info.value)


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("1e400", "line 2: population: '1e400' is not a number"),
        ("nan", "line 2: population: 'nan' is not a number"),
    ],
)
def test_non_finite_population(tmp_path: Path, cell: str, expected: str) -> None:
    (tmp_path / "communes.csv").write_text(
        COMMUNES_CSV.replace(",264,2023,", f",{cell},2023,", 1), encoding="utf-8"
    )
    text = BUNDLED_TEXT.replace("  bundled: 7-vallees", "  communes_csv: communes.csv", 1)
    assert expected in _scenario_problems(tmp_path, text)


@pytest.mark.parametrize("start", ["=", "+", "-", "@"])
def test_formula_cells_are_neutralised(start: str) -> None:
    """A cell from an input file that a spreadsheet would run is prefixed with a quote."""
    cell = f"{start}HYPERLINK(1)"
    assert neutralise_cell(cell) == "'" + cell
    records = import_csv_text(
        f'date,insee,unit_id,commune\n2026-11-02,62447,bus,"{cell}"\n', source="h.csv"
    )
    exported = export_csv_text(records)
    assert f"'{cell}" in exported
    assert import_csv_text(exported, source="h.csv")[0].commune == cell


def test_bundled_territory_has_no_swapped_commune() -> None:
    territory = load_bundled_territory("7-vallees")
    assert all(50 < c.point.lat < 51 and 1.5 < c.point.lon < 2.5 for c in territory.communes)


# ------------------------------------------------------- untrusted inputs (#18)


def _cli(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def _one_error_line(result: Result) -> str:
    """The contract for a refused command: exit 1 and one ``Error: ...`` line."""
    _check_clear(result)
    assert result.exit_code == 1, result.output
    assert result.output.startswith("Error: ")
    assert result.output.count("\n") == 1, result.output
    return result.output


@pytest.mark.parametrize("seed", ["2147483648", "-1", str(-(2**63)), "x"])
@pytest.mark.parametrize("command", ["plan", "compare"])
def test_seed_is_bounded_like_the_field(tmp_path: Path, command: str, seed: str) -> None:
    """CP-SAT refused 2**31 with a traceback; -1 passed although solver.seed >= 0."""
    out = tmp_path / "out"
    args = [command, str(BUNDLED), "--seed", seed, "--out", str(out)]
    if command == "compare":
        args.insert(1, str(BUNDLED))
    output = _one_error_line(_cli(*args))
    assert "Invalid value for '--seed'" in output
    assert not out.exists()


@pytest.mark.parametrize(
    ("week", "expected"),
    [
        ("2026-W49\n", "'2026-W49\\n' is not an ISO week"),
        ("２０２６-W49", "is not an ISO week"),
        ("9999-W52", "is not an ISO week of the years 1900 to 9000"),
        ("2026-W60", "2026 has no week 60"),
    ],
)
def test_week_option_patterns(tmp_path: Path, week: str, expected: str) -> None:
    output = _one_error_line(_cli("plan", str(BUNDLED), "--week", week, "--out", str(tmp_path)))
    assert output.startswith("Error: --week: ")
    assert expected in output


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--weeks", "600", "--week", "9999-W40"], "--weeks"),
        (["--weeks", "10000"], "10000 is not in the range 1<=x<=104"),
        (["--weeks", "0"], "--weeks"),
        (["--week"], "Option '--week' requires an argument"),
        (["--nope"], "No such option '--nope'"),
    ],
)
def test_bad_option_values_are_one_error_line_exit_1(
    tmp_path: Path, args: list[str], expected: str
) -> None:
    """Usage errors exit 1 with one ``Error:`` line, like every other error (#18)."""
    output = _one_error_line(_cli("plan", str(BUNDLED), *args))
    assert expected in output
    assert "Usage:" not in output


def test_bad_date_option_is_one_error_line() -> None:
    output = _one_error_line(_cli("history", "list", "-s", str(BUNDLED), "--since", "2026-02-30"))
    assert "Invalid value for '--since'" in output


def test_long_out_folder_is_refused_before_solving(tmp_path: Path) -> None:
    """A 300-character --out raised ENAMETOOLONG from the recovery code (#18)."""
    out = tmp_path / ("o" * 300)
    output = _one_error_line(_cli("plan", str(BUNDLED), "--week", "2026-W49", "--out", str(out)))
    assert "cannot be an output folder" in output


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        pytest.param(
            "  - id: bus\n", '  - id: "bus\\n"\n', "units[0].id: 'bus\\n' is not an", id="id-nl"
        ),
        pytest.param(
            "  - id: bus\n", '  - id: "bu\\0s"\n', "units[0].id: 'bu\\x00s' is not an", id="id-nul"
        ),
        pytest.param(
            "  - id: bus\n", "  - id: " + "b" * 300 + "\n", "is longer than 64", id="id-300"
        ),
        pytest.param(
            "# week: 2026-W49",
            'week: "2026-W49\\n"',
            "period.week: '2026-W49\\n' is not",
            id="week-nl",
        ),
        pytest.param(
            'name: "Bus numérique"',
            'name: "Bus\\nnumérique"',
            "units[0].name: 'Bus\\nnumérique': holds a line break",
            id="name-nl",
        ),
        pytest.param(
            'name: "Camille"', 'name: "Cam\\u2028ille"', "staff[0].name: ", id="name-line-separator"
        ),
        pytest.param(
            'name: "Coopérative — Hesdin"', "name: " + "D" * 200_000, "depot.name: ", id="name-200k"
        ),
        pytest.param(
            "point: {lat: 50.373001, lon: 2.03727}",
            "point: {lat: true, lon: 2.03727}",
            "depot.point.lat: True: input should be a valid number",
            id="bool-lat",
        ),
        pytest.param(
            "time_limit_s: 1800", "time_limit_s: true", "solver.time_limit_s: True", id="bool-time"
        ),
        pytest.param(
            "max_stay_days: 3", "max_stay_days: true", "units[1].max_stay_days: True", id="bool-int"
        ),
        pytest.param(
            "co2_kg_per_l: 2.5\n\n  - id",
            "co2_kg_per_l: false\n\n  - id",
            "units[0].co2_kg_per_l: False",
            id="bool-false",
        ),
        pytest.param("seed: 0 ", 'seed: "7" ', "solver.seed: '7'", id="numeric-string"),
        pytest.param(
            "highway_speeds_kmh: {}",
            "highway_speeds_kmh: {tertairy: 70}",
            "'tertairy' is not an OSM highway type",
            id="highway-typo",
        ),
        pytest.param(
            "description: >-",
            "logo: !!binary aGVsbG8=\ndescription: >-",
            "the tag 'binary' is not accepted here",
            id="binary",
        ),
    ],
)
def test_untrusted_scenario_values(tmp_path: Path, old: str, new: str, expected: str) -> None:
    assert old in BUNDLED_TEXT, old
    problems = _scenario_problems(tmp_path, BUNDLED_TEXT.replace(old, new, 1))
    assert expected in problems, problems
    assert len(problems) < 2000  # a 200,000-character value is shown short


def test_yaml_merge_keys_are_accepted(tmp_path: Path) -> None:
    """``<<: *base`` is standard YAML: the keys written out override the merged ones."""
    text = BUNDLED_TEXT.replace(
        '    day: {start: "08:30", end: "17:30"}            # leave the depot / be back',
        '    day: &day {start: "08:30", end: "17:30"}',
        1,
    ).replace('    day: {start: "08:00", end: "18:00"}', '    day: {<<: *day, end: "18:00"}', 1)
    path = tmp_path / "s.yaml"
    path.write_text(text, encoding="utf-8")
    scenario, _ = load_scenario(path, today=TODAY)
    assert (scenario.units[1].day.start, scenario.units[1].day.end) == (8 * 60 + 30, 18 * 60)


def test_a_key_twice_is_still_refused_next_to_a_merge(tmp_path: Path) -> None:
    text = BUNDLED_TEXT.replace(
        "    kind: van\n", "    kind: van\n    <<: {setup_min: 5}\n    kind: van\n", 1
    )
    assert "key 'kind' appears twice" in _scenario_problems(tmp_path, text)


def test_a_venue_far_from_its_commune_warns(tmp_path: Path) -> None:
    """A venue in Sydney, or with lat and lon swapped: a warning naming the distance."""
    text = BUNDLED_TEXT.replace(
        "      point: {lat: 50.373001, lon: 2.03727}",
        "      point: {lat: 2.03727, lon: 50.373001}",
        1,
    )
    path = tmp_path / "s.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.warns(
        FarVenueWarning, match=r"communes\[0\]\.venue\.point: .* lat and lon look swapped"
    ):
        load_scenario(path, today=TODAY)


def test_error_output_is_bounded(tmp_path: Path) -> None:
    """300 duplicate rows: the first 100 problems and a count, not 300 lines."""
    lines = COMMUNES_CSV.splitlines()
    (tmp_path / "communes.csv").write_text(
        "\n".join([lines[0], *[lines[1]] * 301]) + "\n", encoding="utf-8"
    )
    text = BUNDLED_TEXT.replace("  bundled: 7-vallees", "  communes_csv: communes.csv", 1)
    shown = _scenario_problems(tmp_path, text).splitlines()
    assert len(shown) == 101
    assert shown[-1] == "... and 200 more problem(s) (fix these first)"


@pytest.mark.parametrize(
    ("old", "new", "extra", "expected"),
    [
        pytest.param(
            "    population: 0.5",
            "    populaton: 0.5",
            None,
            "demand.weights.populaton",
            id="misspelt-weight",
        ),
        pytest.param(
            "    remoteness_service: 0.3",
            "    remoteness_service: 0.3\n    share_over_60: 0.2",
            None,
            "demand.weights.share_over_60",
            id="indicator-without-csv",
        ),
        pytest.param(
            "  # service_points:                         # CSVs with lat, lon columns, e.g.",
            "  service_points: [points.csv]",
            ("points.csv", "name,lat,lon\nMairie, Hesdin,50.37,2.03\n"),
            "points.csv: line 2: lat/lon",
            id="service-point-comma",
        ),
    ],
)
def test_validate_runs_the_checks_plan_runs(
    tmp_path: Path, old: str, new: str, extra: tuple[str, str] | None, expected: str
) -> None:
    """``validate`` said "valid" for scenarios that ``plan`` then refused (#18, #13)."""
    assert old in BUNDLED_TEXT, old
    if extra is not None:
        (tmp_path / extra[0]).write_text(extra[1], encoding="utf-8")
    output = _validate(tmp_path, BUNDLED_TEXT.replace(old, new, 1)).output
    assert output.startswith("Error: "), output
    assert expected in output


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero")
def test_a_device_is_refused_not_read() -> None:
    """``validate /dev/zero`` ran out of memory."""
    output = _one_error_line(_cli("validate", "/dev/zero"))
    assert (
        output
        == "Error: /dev/zero: is not a regular file (a pipe or a device?), not a scenario file\n"
    )


def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "s.yaml"
    os.mkfifo(fifo)
    output = _one_error_line(_cli("validate", str(fifo)))
    assert "is not a regular file" in output


def test_a_file_too_large_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("itinerant.loading.MAX_INPUT_BYTES", 1000)
    path = tmp_path / "s.yaml"
    path.write_text(BUNDLED_TEXT, encoding="utf-8")
    with pytest.raises(ScenarioError, match="the scenario file is larger than"):
        load_scenario(path, today=TODAY)


# -------------------------------------------------------------------- the history


def _history_with_one_week(tmp_path: Path) -> Path:
    path = tmp_path / "h.sqlite"
    records = import_csv_text(
        "date,insee,unit_id\n2026-11-02,62447,bus\n2026-11-03,62549,bus\n", source="h.csv"
    )
    add_visits(path, records)
    return path


@pytest.mark.parametrize(
    ("column", "value"), [("insee", "6244"), ("date", "2026-02-30"), ("week", "2026-W99")]
)
def test_a_history_row_edited_by_hand_is_named_damaged(
    tmp_path: Path, column: str, value: str
) -> None:
    path = _history_with_one_week(tmp_path)
    with sqlite3.connect(path) as connection:
        connection.execute(f"UPDATE visits SET {column} = ?", (value,))
    connection.close()
    with pytest.raises(HistoryError, match="the visit history is damaged") as info:
        list_visits(path)
    assert "Restore it from a backup" in str(info.value)
    if column == "date":
        with pytest.raises(HistoryError, match="'2026-02-30' is not a date"):
            last_visit_dates(path, before=dt.date(2027, 1, 1))


def test_a_history_with_flipped_bytes_gives_one_message(tmp_path: Path) -> None:
    """Flip bytes all over the file: each read works or says the history is damaged."""
    original = _history_with_one_week(tmp_path).read_bytes()
    damaged = 0
    for offset in range(0, len(original), 97):
        data = bytearray(original)
        data[offset : offset + 8] = bytes(b ^ 0xA5 for b in data[offset : offset + 8])
        path = tmp_path / f"flipped-{offset}.sqlite"
        path.write_bytes(bytes(data))
        try:
            list_visits(path)
            last_visit_dates(path, before=dt.date(2027, 1, 1))
        except HistoryError as exc:
            message = str(exc)
            damaged += 1
        else:
            continue
        assert "damaged" in message or "newer itinerant" in message, message
    assert damaged > 0  # the header and the tables were hit


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ("2026-11-02,99999,bus", "line 2: insee: '99999' is not a commune of the territory"),
        ("2026-11-02,62447,camion", "line 2: unit_id: 'camion' is not a unit of the scenario"),
        ("9999-11-02,62447,bus", "line 2: date: '9999-11-02': is not between 1990-01-01"),
        ("2026-11-02,62447,", "line 2: unit_id: '' is not a unit"),
    ],
)
def test_history_import_checks_against_the_scenario(
    tmp_path: Path, row: str, expected: str
) -> None:
    csv_path = tmp_path / "past.csv"
    csv_path.write_text(f"date,insee,unit_id\n{row}\n", encoding="utf-8")
    scenario = tmp_path / "s.yaml"
    scenario.write_text(
        BUNDLED_TEXT.replace("history: history/7-vallees.sqlite", "history: h.sqlite"),
        encoding="utf-8",
    )
    output = _one_error_line(_cli("history", "import", str(csv_path), "-s", str(scenario)))
    assert expected in output
    assert not (tmp_path / "h.sqlite").exists()


# ------------------------------------------------- property family: command-line options


def _not_week(text: str) -> bool:
    return iso_week_monday(text) is None


def _not_iso_date(text: str) -> bool:
    try:
        dt.datetime.strptime(text, "%Y-%m-%d")  # noqa: DTZ007 (a date, no time zone)
    except ValueError:
        return True
    return False


def _clean(text: str) -> bool:
    """Text a command line can hold (no NUL byte)."""
    return "\x00" not in text


BAD_SEED = (
    st.integers(max_value=-1).map(str)
    | st.integers(min_value=2**31).map(str)
    | (st.text(max_size=8).filter(lambda t: not t.strip().lstrip("+").isdigit()))
)
BAD_WEEK = st.sampled_from(["2026-W49\n", "２０２６-W49", "9999-W52", "2026-W00", "2026-W54"]) | (
    st.text(max_size=12).filter(_not_week)
)
BAD_WEEKS = st.integers(max_value=0).map(str) | st.integers(min_value=105).map(str)
BAD_DATE = st.text(max_size=12).filter(_not_iso_date) | st.sampled_from(
    ["2026-02-30", "2026-13-01", "2026-12-05", "2026-11-29", "9999-12-31"]
)
UNKNOWN_NAME = st.from_regex(r"[a-z]{1,10}\Z").filter(
    lambda n: n not in {"bus", "camille", "julien", "sarah", "thomas"}
)
BAD_DISRUPTION = UNKNOWN_NAME | st.sampled_from(["bus:notadate", ":", "bus:2026-13-01"])
BAD_CANCELLED = st.sampled_from(["62549", "62549:2026-13-01", "99999:2026-12-02", ":"]) | (
    st.text(max_size=12).filter(lambda t: ":" not in t)
)
BAD_OUT = st.sampled_from(["o" * 300, "a/" + "b" * 256])

# command -> (invalid option, its strategy)...; each case breaks exactly one option
BAD_OPTIONS: dict[str, list[tuple[str, st.SearchStrategy[str]]]] = {
    "plan": [
        ("--seed", BAD_SEED),
        ("--week", BAD_WEEK),
        ("--weeks", BAD_WEEKS),
        ("--out", BAD_OUT),
    ],
    "compare": [("--seed", BAD_SEED), ("--week", BAD_WEEK), ("--weeks", BAD_WEEKS)],
    "render": [
        ("--lang", st.text(max_size=4).filter(lambda t: t not in ("fr", "en"))),
        ("--out", BAD_OUT),
    ],
    "replan": [
        ("--from", BAD_DATE),
        ("--seed", BAD_SEED),
        ("--unit-unavailable", BAD_DISRUPTION),
        ("--staff-absent", BAD_DISRUPTION),
        ("--stop-closed", BAD_DISRUPTION),
        ("--out", BAD_OUT),
    ],
    "history add": [("--cancelled", BAD_CANCELLED)],
    "history list": [
        ("--since", BAD_DATE.filter(lambda t: t not in ("2026-12-05", "2026-11-29", "9999-12-31")))
    ],
}


@settings(
    max_examples=500,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.function_scoped_fixture,
        HealthCheck.filter_too_much,
    ],
)
@given(case=st.data())
def test_every_bad_option_is_one_clear_error(
    straight_line_week: tuple[Path, Path], case: st.DataObject
) -> None:
    """One bad option among good ones: exit 1, ``Error: ...``, no traceback, nothing written."""
    scenario, plan = straight_line_week
    command = case.draw(st.sampled_from(sorted(BAD_OPTIONS)), label="command")
    option, strategy = case.draw(st.sampled_from(BAD_OPTIONS[command]), label="option")
    value = case.draw(strategy.filter(_clean), label="value")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        good = {
            "plan": [str(scenario), "--week", "2026-W49", "--seed", "3", "--out", str(root / "o")],
            "compare": [str(scenario), str(scenario), "--weeks", "2", "--out", str(root / "o")],
            "render": [str(plan), "-s", str(scenario), "--out", str(root / "o")],
            "replan": [
                str(plan),
                "-s",
                str(scenario),
                "--from",
                "2026-12-02",
                "--out",
                str(root / "o"),
            ],
            "history add": [str(plan), "-s", str(scenario)],
            "history list": ["-s", str(scenario)],
        }[command]
        if option in good:  # replace the good value by the bad one
            good = [*good[: good.index(option)], *good[good.index(option) + 2 :]]
        if option == "--out":
            value = str(root / value)
        result = _cli(*command.split(), *good, f"{option}={value}")
        _check_clear(result)
        assert result.exit_code == 1, (command, option, value, result.output)
        assert not list(root.iterdir()), "nothing written"
    assert not (scenario.parent / "history.sqlite").exists()


def test_a_commune_name_on_two_lines_is_refused(tmp_path: Path) -> None:
    """Commune names reach calendars and sheets: one line, like every name (#18)."""
    lines = COMMUNES_CSV.splitlines()
    header = lines[0].split(",")
    cells = lines[1].split(",")
    cells[header.index("name")] = '"Aix-en-\nIssart"'
    (tmp_path / "communes.csv").write_text(
        "\n".join([lines[0], ",".join(cells), *lines[2:]]) + "\n", encoding="utf-8"
    )
    text = BUNDLED_TEXT.replace("  bundled: 7-vallees", "  communes_csv: communes.csv", 1)
    assert "line 2: name: 'Aix-en-\\nIssart' holds a line break" in _scenario_problems(
        tmp_path, text
    )
