"""A plan file is input: ``render``, ``replan`` and ``history add`` check it first (#18, #13).

Named cases check each rule and its message; the property families take the real plan of
a straight-line week (one ``itinerant plan`` per session, ``straight_line_week`` in
``conftest.py``), break it in one way that makes it certainly invalid (hostile ids,
times out of order, dates outside the week, unknown units, wrong types, duplicate keys,
line breaks in names...), and run each command on it: exit 1 with ``Error: `` and the
plan's path, never a traceback, and no file written anywhere (the output folder sits
two levels below the temporary folder, so a path that climbs out would show).
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from itinerant.cli import cli
from itinerant.errors import ScenarioError
from itinerant.loading import load_scenario
from itinerant.plan_check import load_plan, plan_problems

PROPERTY = settings(
    max_examples=500,
    deadline=None,  # never a test of machine speed
    derandomize=True,  # the same cases on every run and machine
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@pytest.fixture(scope="module")
def week(straight_line_week: tuple[Path, Path]) -> tuple[Path, dict[str, Any]]:
    """The session's scenario file and its plan as JSON data."""
    scenario, plan_path = straight_line_week
    return scenario, json.loads(plan_path.read_text(encoding="utf-8"))


def _problems(tmp_path: Path, scenario: Path, data: dict[str, Any] | str) -> str:
    path = tmp_path / "plan.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    loaded, territory = load_scenario(scenario)
    with pytest.raises(ScenarioError) as info:
        load_plan(path, loaded, territory)
    return str(info.value)


def test_the_real_plan_has_no_problem(week: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    scenario, data = week
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    loaded, territory = load_scenario(scenario)
    plan = load_plan(path, loaded, territory)
    assert plan_problems(plan, loaded, territory, source="p") == []
    assert len(plan.tours) >= 5  # a real week, not an empty one


def _tour_index(data: dict[str, Any], unit: str) -> int:
    return next(i for i, t in enumerate(data["tours"]) if t["unit_id"] == unit)


def test_session_ending_before_it_starts_is_named(
    week: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    scenario, data = week
    data = copy.deepcopy(data)
    visit = data["tours"][3]["visits"][0]
    visit["session_start"], visit["session_end"] = "15:00", "11:00"
    problems = _problems(tmp_path, scenario, data)
    expected = "tours[3].visits[0].session_end: '11:00' is before session_start '15:00'"
    assert f"{tmp_path / 'plan.json'}: {expected}" in problems.splitlines()


def test_render_of_a_session_before_arrival_exits_1_and_writes_nothing(
    week: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    """#13: 'arrivée 14 h 02, séance 12 h 30 - 14 h 30' was rendered as it was."""
    scenario, data = week
    data = copy.deepcopy(data)
    index = _tour_index(data, "bus")
    visit = data["tours"][index]["visits"][1]
    visit["arrival"], visit["session_start"], visit["session_end"] = "14:02", "12:30", "14:30"
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps(data), encoding="utf-8")
    result = CliRunner().invoke(
        cli, ["render", str(plan), "-s", str(scenario), "--out", str(tmp_path / "out")]
    )
    assert result.exit_code == 1
    assert (
        f"Error: {plan}: tours[{index}].visits[1].session_start: '12:30' is before arrival "
        "'14:02'\n"
    ) in result.output
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        pytest.param(
            lambda d: d.update(week="2027-W10"),
            "dates[0]: '2026-11-30' is not in week 2027-W10",
            id="week-edited",
        ),
        pytest.param(
            lambda d: d["tours"][0].update(unit_id="camion"),
            "tours[0].unit_id: 'camion' is not a unit id of the scenario (bus, tiny-house)",
            id="unknown-unit",
        ),
        pytest.param(
            lambda d: d["tours"][0]["crew"].__setitem__(0, "zoe"),
            "tours[0].crew[0]: 'zoe' is not a staff id of the scenario",
            id="unknown-staff",
        ),
        pytest.param(
            lambda d: d["tours"][0]["visits"][0].update(insee="6244"),
            "tours[0].visits[0].insee: '6244' is not a commune of",
            id="4-digit-insee",
        ),
        pytest.param(
            lambda d: d["tours"].append(copy.deepcopy(d["tours"][0])),
            "is a second tour of 'bus' that day (also tours[0])",
            id="two-tours-one-day",
        ),
        pytest.param(
            lambda d: d["tours"][0].update(date="2026-12-25"),
            "tours[0].date: '2026-12-25' is not one of the plan's dates",
            id="date-outside-week",
        ),
        pytest.param(
            lambda d: d["tours"][0].update(departure="06:00"),
            "tours[0].departure: '06:00' is before the unit's day start '08:30'",
            id="before-the-day",
        ),
        pytest.param(
            lambda d: d["tours"][0]["visits"][0].update(departure="10:00"),
            "tours[0].visits[0].departure: '10:00' is before session_end",
            id="departure-before-session-end",
        ),
        pytest.param(
            lambda d: d["tours"][0].update(return_time="23:00"),
            "tours[0].return_time: '23:00' is after the unit's day end '17:30'",
            id="back-after-the-day",
        ),
        pytest.param(
            lambda d: d["tours"][0]["visits"][0].update(session_start="07:00", arrival="06:50"),
            "tours[0].visits[0].session_start: '07:00' is outside the opening windows of",
            id="outside-windows",
        ),
        pytest.param(
            lambda d: d.update(week="2026-W49\n"),
            "week: '2026-W49\\n' is not an ISO week",
            id="week-newline",
        ),
        pytest.param(
            lambda d: d["tours"][0].update(unit_name="Bus\nnumérique"),
            "tours[0].unit_name: 'Bus\\nnumérique' holds a line break",
            id="newline-in-name",
        ),
        pytest.param(
            lambda d: d["tours"][0].update(unit_id="bus\x00"),
            "tours[0].unit_id: 'bus\\x00' holds a line break or a control character",
            id="nul-in-id",
        ),
        pytest.param(
            lambda d: d["provenance"].update(generated_at="0001-01-01T00:00:00+14:00"),
            "provenance.generated_at: '0001-01-01T00:00:00+14:00' is not a representable time",
            id="generated-at-overflow",
        ),
        pytest.param(
            lambda d: d["tours"][0].update(unit_id=""),
            "tours[0].unit_id: '' is not a unit id",
            id="empty-unit",
        ),
    ],
)
def test_named_plan_problems(
    week: tuple[Path, dict[str, Any]], tmp_path: Path, edit: Any, expected: str
) -> None:
    scenario, data = week
    data = copy.deepcopy(data)
    edit(data)
    assert expected in _problems(tmp_path, scenario, data)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"week": "2026-W49", "week": "2026-W49"}', "the key 'week' appears twice"),
        ('{"week": NaN}', "NaN is not a number a plan may hold"),
        ("[" * 100_000, "not valid JSON"),
        ('{"week": "2026-W49"', "not valid JSON (line 1, column 20)"),
    ],
)
def test_plan_json_structure(
    week: tuple[Path, dict[str, Any]], tmp_path: Path, text: str, expected: str
) -> None:
    assert expected in _problems(tmp_path, week[0], text)


def test_history_add_of_a_broken_plan_is_refused(
    week: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    """Dates outside the week and 4-digit INSEE codes raised a ValidationError (#18)."""
    scenario, data = week
    data = copy.deepcopy(data)
    data["tours"][0]["date"] = "2026-12-25"
    data["tours"][1]["visits"][0]["insee"] = "6244"
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps(data), encoding="utf-8")
    result = CliRunner().invoke(cli, ["history", "add", str(plan), "-s", str(scenario)])
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: {plan}: tours[0].date: '2026-12-25'")
    assert "tours[1].visits[0].insee: '6244'" in result.output
    assert not (scenario.parent / "history.sqlite").exists()


# ------------------------------------------------------------------ property families

HOSTILE_IDS = [
    "../../../../../X",
    "/../../../../tmp/X",
    "a/b",
    "..",
    ".",
    "x\x00y",
    "bus\n",
    "CON",
    "NUL",
    "Bus",
    "BUS",
    "x" * 300,
    "bus/../bus",
    "bus\\..\\x",
    "",
]
ID_FIELDS = [
    ("tours", "unit_id"),
    ("tours", "crew"),
    ("tours", "stop_id"),
    ("tours", "insee"),
    ("roster", "staff_id"),
    ("roster", "unit_id"),
    ("idle_unit_days", "unit_id"),
]
NAME_FIELDS = ["unit_name", "commune_name", "venue_name", "address", "scenario_name"]
TIME_BREAKS = [
    "session_end_before_start",
    "session_before_arrival",
    "arrival_before_previous",
    "departure_before_session_end",
    "return_before_last_departure",
    "departure_before_day",
]


def _leaves(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(data, dict):
        for key, value in data.items():
            found += _leaves(value, (*prefix, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found += _leaves(value, (*prefix, index))
    return found


def _minutes(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _set(data: Any, path: tuple[Any, ...], value: Any) -> None:
    for part in path[:-1]:
        data = data[part]
    data[path[-1]] = value


def _get(data: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        data = data[part]
    return data


def _wrong_type(value: Any) -> Any:
    """A value of a JSON type no field holding ``value`` accepts."""
    if isinstance(value, list):
        return "x"
    if isinstance(value, dict):
        return 7
    return [value]


@st.composite
def broken_plans(draw: st.DrawFn, data: dict[str, Any]) -> str:
    """The plan's JSON text, broken in one way that no valid plan has."""
    plan = copy.deepcopy(data)
    kind = draw(
        st.sampled_from(
            [
                "hostile_id",
                "time",
                "date",
                "unknown_unit",
                "wrong_type",
                "duplicate_tour",
                "control_char",
                "generated_at",
                "duplicate_key",
                "week",
            ]
        ),
        label="kind",
    )
    tours = plan["tours"]
    t = draw(st.integers(0, len(tours) - 1), label="tour")
    tour = tours[t]
    v = draw(st.integers(0, len(tour["visits"]) - 1), label="visit")
    visit = tour["visits"][v]
    if kind == "hostile_id":
        section, field = draw(st.sampled_from(ID_FIELDS))
        value = draw(st.sampled_from(HOSTILE_IDS) | st.text(min_size=1).map(lambda s: s + "/.."))
        if section == "tours" and field == "crew":
            tour["crew"][0] = value
        elif section == "tours" and field in ("stop_id", "insee"):
            visit[field] = value
        elif section == "tours":
            tour[field] = value
        else:
            entries = plan[section]
            if not entries:
                tour["unit_id"] = value
            else:
                entries[draw(st.integers(0, len(entries) - 1))][field] = value
    elif kind == "time":
        gap = draw(st.integers(1, 120))
        which = draw(st.sampled_from(TIME_BREAKS))
        if which == "session_end_before_start":
            visit["session_end"] = _hhmm(_minutes(visit["session_start"]) - gap + 1)
        elif which == "session_before_arrival":
            visit["session_start"] = _hhmm(_minutes(visit["arrival"]) - gap)
        elif which == "arrival_before_previous":
            previous = tour["visits"][v - 1]["departure"] if v else tour["departure"]
            visit["arrival"] = _hhmm(_minutes(previous) - gap)
        elif which == "departure_before_session_end":
            visit["departure"] = _hhmm(_minutes(visit["session_end"]) - gap)
        elif which == "return_before_last_departure":
            tour["return_time"] = _hhmm(_minutes(tour["visits"][-1]["departure"]) - gap)
        else:
            tour["departure"] = _hhmm(max(0, 8 * 60 - gap))  # every unit's day starts >= 08:00
    elif kind == "date":
        shift = draw(st.integers(7, 400) | st.integers(-400, -7))
        where = draw(st.sampled_from(["tour", "dates", "roster"]))

        def moved(day: str) -> str:
            return (dt.date.fromisoformat(day) + dt.timedelta(days=shift)).isoformat()

        if where == "tour":
            tour["date"] = moved(tour["date"])
        elif where == "dates":
            plan["dates"][0] = moved(plan["dates"][0])
        else:
            plan["roster"][0]["date"] = moved(plan["roster"][0]["date"])
    elif kind == "unknown_unit":
        unit = draw(
            st.from_regex(r"[a-z][a-z0-9_-]{0,12}\Z").filter(
                lambda u: u not in ("bus", "tiny-house")
            )
        )
        tour["unit_id"] = unit
    elif kind == "wrong_type":
        path = draw(st.sampled_from(_leaves(plan)), label="path")
        _set(plan, path, _wrong_type(_get(plan, path)))
    elif kind == "duplicate_tour":
        tours.insert(t, copy.deepcopy(tour))
    elif kind == "control_char":
        field = draw(st.sampled_from(NAME_FIELDS))
        text = draw(st.text(max_size=10))
        cut = draw(st.integers(0, len(text)))
        bad = (
            text[:cut]
            + draw(st.sampled_from(["\n", "\r", "\x00", "\x1b", "\u2028", "\t"]))
            + text[cut:]
        )
        if field == "scenario_name":
            plan["provenance"]["scenario_name"] = bad
        elif field == "unit_name":
            tour["unit_name"] = bad
        else:
            visit[field] = bad
    elif kind == "generated_at":
        plan["provenance"]["generated_at"] = draw(
            st.sampled_from(["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"])
        )
    elif kind == "week":
        plan["week"] = draw(
            st.sampled_from(
                ["2026-W49\n", "２０２６-W49", "2026-W60", "9999-W52", "2026W49", "", "2027-W10"]
            )
        )
    text = json.dumps(plan, ensure_ascii=draw(st.booleans()))
    if kind == "duplicate_key":
        key = draw(st.sampled_from(['"unit_id": ', '"week": ', '"lat": ', '"session_start": ']))
        start = text.index(key)
        end = text.index(",", start)
        text = text[:end] + ", " + text[start:end] + text[end:]
    return text


def _run_on_broken_plan(scenario: Path, text: str, command: list[str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        plan = root / "plan.json"
        plan.write_text(text, encoding="utf-8")
        out = root / "a" / "b" / "out"
        args = [command[0], *command[1:], str(plan), "-s", str(scenario)]
        if command[0] != "history":
            args += ["--out", str(out)]
        result = CliRunner().invoke(cli, args)
        _check_refused(result, plan)
        assert sorted(p.name for p in root.rglob("*")) == ["plan.json"], "nothing written"
    assert not (scenario.parent / "history.sqlite").exists()


def _check_refused(result: Result, plan: Path) -> None:
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    assert "Traceback" not in result.output
    assert result.exit_code == 1, result.output
    assert result.output.startswith(f"Error: {plan}: "), result.output


@PROPERTY
@given(case=st.data())
def test_render_refuses_every_broken_plan(
    week: tuple[Path, dict[str, Any]], case: st.DataObject
) -> None:
    """``render`` of a broken plan: exit 1 naming the plan, nothing written anywhere."""
    _run_on_broken_plan(week[0], case.draw(broken_plans(week[1])), ["render"])


@PROPERTY
@given(case=st.data())
def test_replan_refuses_every_broken_plan(
    week: tuple[Path, dict[str, Any]], case: st.DataObject
) -> None:
    """``replan`` of a broken plan: exit 1 before solving, nothing written anywhere."""
    command = ["replan", "--from", "2026-12-02"]
    _run_on_broken_plan(week[0], case.draw(broken_plans(week[1])), command)


@PROPERTY
@given(case=st.data())
def test_history_add_refuses_every_broken_plan(
    week: tuple[Path, dict[str, Any]], case: st.DataObject
) -> None:
    """``history add`` of a broken plan: exit 1, no history file created."""
    _run_on_broken_plan(week[0], case.draw(broken_plans(week[1])), ["history", "add"])
