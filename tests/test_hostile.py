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
from itinerant.errors import ScenarioError
from itinerant.history import export_csv_text, import_csv_text
from itinerant.loading import load_bundled_territory, load_scenario, read_csv_rows
from itinerant.render.csv_format import neutralise_cell

ROOT = Path(__file__).resolve().parents[1]
BUNDLED = ROOT / "scenarios" / "7-vallees.yaml"
BUNDLED_TEXT = BUNDLED.read_text(encoding="utf-8")
BUNDLED_DATA: dict[str, Any] = yaml.safe_load(BUNDLED_TEXT)
COMMUNES_CSV = (ROOT / "itinerant" / "data" / "communes_7vallees.csv").read_text(encoding="utf-8")
TODAY = dt.date(2026, 11, 23)

HOSTILE = settings(
    max_examples=120,
    deadline=dt.timedelta(seconds=5),  # a hang or a blow-up fails, not only a crash
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
