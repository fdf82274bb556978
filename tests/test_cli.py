"""Command line: exit codes, messages without tracebacks, documented help."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from itinerant.cli import cli
from itinerant.outputs import MANIFEST
from itinerant.plan import Plan

ROOT = Path(__file__).resolve().parents[1]
BUNDLED = ROOT / "scenarios" / "7-vallees.yaml"


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def test_validate_bundled_scenario() -> None:
    code, output = run("validate", str(BUNDLED))
    assert code == 0, output
    assert ": valide — « CC des 7 Vallées" in output  # the bundled scenario is French
    assert "69 communes" in output


def test_validate_bad_scenario_exits_1_with_named_field(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        BUNDLED.read_text(encoding="utf-8").replace("session_min: 120", "session_min: two hours"),
        encoding="utf-8",
    )
    code, output = run("validate", str(bad))
    assert code == 1
    assert output.startswith(f"Error: {bad}: units[0].session_min: 'two hours': ")
    assert "Traceback" not in output


def test_validate_missing_file(tmp_path: Path) -> None:
    code, output = run("validate", str(tmp_path / "nope.yaml"))
    assert code == 1
    assert output == f"Error: {tmp_path / 'nope.yaml'}: scenario file not found\n"


def test_territory_show_lists_69_and_66_current() -> None:
    code, output = run("territory", "show", "7-vallees")
    assert code == 0
    lines = [line for line in output.splitlines() if line[:5].isdigit()]
    assert len(lines) == 69
    assert any("Huby-Saint-Leu" in line for line in lines)
    code, output = run("territory", "show", "7-vallees", "--current")
    lines = [line for line in output.splitlines() if line[:5].isdigit()]
    assert len(lines) == 66
    (merged,) = [line for line in lines if "Hesdin-la-Forêt" in line]
    assert "62461" in merged  # Huby-Saint-Leu merged into it


def test_unknown_territory() -> None:
    code, output = run("territory", "show", "8-vallees")
    assert code == 1
    assert output == "Error: unknown territory '8-vallees' (bundled: 7-vallees)\n"


@pytest.fixture
def offline_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No download, an empty cache, outputs under tmp_path."""
    monkeypatch.setenv("ITINERANT_OFFLINE", "1")
    monkeypatch.setenv("ITINERANT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("ITINERANT_OUTPUT_DIR", str(tmp_path / "maps"))
    return tmp_path


@pytest.fixture(scope="module")
def bundled_week(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """``itinerant plan`` on the bundled scenario, offline: its output and its folder."""
    folder = tmp_path_factory.mktemp("bundled")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ITINERANT_OFFLINE", "1")
        patch.setenv("ITINERANT_CACHE_DIR", str(folder / "cache"))
        patch.setenv("ITINERANT_OUTPUT_DIR", str(folder / "maps"))
        result = CliRunner().invoke(cli, ["plan", str(BUNDLED), "--week", "2026-W49"])
    assert result.exit_code == 0, result.output
    return result.output, folder / "maps" / "7-vallees" / "2026-W49"


def test_plan_bundled_week_offline_writes_plan_and_flags_approximate(
    bundled_week: tuple[str, Path],
) -> None:
    """The bundled scenario plans a full week; without a network it says so, never silently."""
    output, folder = bundled_week
    assert "Avertissement : aucun fichier de réseau routier" in output
    plan = Plan.model_validate_json((folder / "plan.json").read_text(encoding="utf-8"))
    assert plan.provenance.approximate
    # Monday to Friday (no holiday in that week), the bus out every day
    assert {t.date.isoformat() for t in plan.tours if t.unit_id == "bus"} == {
        "2026-11-30",
        "2026-12-01",
        "2026-12-02",
        "2026-12-03",
        "2026-12-04",
    }
    assert plan.kpis.visits >= 10
    assert "semaine 2026-W49" in output
    assert "Distances approximatives" in output


def _published_whole(folder: Path) -> str:
    """The language of the outputs in ``folder``; fails unless they are one whole set."""
    listed = set(json.loads((folder / MANIFEST).read_text(encoding="utf-8"))["files"])
    present = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()} - {
        MANIFEST
    }
    assert present == listed
    sheets = (folder / "itineraires.html").read_text(encoding="utf-8")
    language = "en" if "Itinerary" in sheets else "fr"
    week_map = (folder / "maps" / "semaine.html").read_text(encoding="utf-8")
    assert ("Tours — week" in week_map) == (language == "en")  # no mix of two runs
    return language


def test_a_render_killed_while_writing_leaves_the_previous_outputs_whole(
    bundled_week: tuple[str, Path], tmp_path: Path
) -> None:
    """SIGKILL ``itinerant render`` the moment it starts writing: the French set stays whole."""
    _, planned = bundled_week
    folder = tmp_path / "week"
    shutil.copytree(planned, folder)
    assert _published_whole(folder) == "fr"
    env = {**os.environ, "ITINERANT_OFFLINE": "1", "ITINERANT_CACHE_DIR": str(tmp_path)}
    command = [sys.executable, "-m", "itinerant", "render", str(folder / "plan.json")]
    command += ["-s", str(BUNDLED), "--lang", "en", "--out", str(folder)]
    with subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL) as child:
        deadline = time.monotonic() + 120
        while child.poll() is None and time.monotonic() < deadline:
            if any(p.name.startswith(".itinerant-new-") for p in tmp_path.iterdir()):
                child.kill()  # mid-write: the new set is being staged
                break
            time.sleep(0.001)
        child.wait()
    assert child.returncode == -signal.SIGKILL, "the render ended before it could be killed"
    assert _published_whole(folder) == "fr"
    # the next run publishes the English set whole, and tidies the killed run's leftovers
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert _published_whole(folder) == "en"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".itinerant-")]


def test_plan_bad_week_is_named(offline_env: Path) -> None:
    code, output = run("plan", str(BUNDLED), "--week", "2026-W60")
    assert code == 1
    assert output == "Error: --week: '2026-W60' is not an ISO week (2026 has no week 60)\n"
    assert not (offline_env / "maps").exists()


def test_demand_prints_every_commune(offline_env: Path) -> None:
    code, output = run("demand", str(BUNDLED))
    assert code == 0, output
    rows = [line for line in output.splitlines() if line[:5].isdigit()]
    assert len(rows) == 69
    scores = [float(line[45:51].replace(",", ".")) for line in rows]  # the score column
    assert scores == sorted(scores, reverse=True)
    assert all(0 <= score <= 1 for score in scores)
    assert "Poids : population 0,71, remoteness_depot 0,29" in output  # in French
    assert "remoteness_service : aucun point de service donné" in output


def test_demand_prints_the_existing_services_term(offline_env: Path, tmp_path: Path) -> None:
    """With existing_services, each commune's row shows its factor: x 0.60 within reach.

    Beaurainville has a France Services of its own (0 min away); Roussent, on the Authie,
    is 18 min from the nearest (straight lines x 1.3 here: no road network offline).
    """
    services = ROOT.parent / "shared" / "data" / "france_services_near_7vallees.csv"
    if not services.exists():
        pytest.skip("../shared/data is not beside the repository")
    text = BUNDLED.read_text(encoding="utf-8")
    old = "  overrides: {}"
    assert old in text
    text = text.replace(
        old,
        f"  service_points: ['{services}']\n"
        "  existing_services: {within_min: 10, factor: 0.6}\n" + old,
        1,
    )
    path = tmp_path / "services.yaml"
    path.write_text(text, encoding="utf-8")
    code, output = run("demand", str(path))
    assert code == 0, output
    (header,) = [line for line in output.splitlines() if line.startswith("INSEE")]
    assert header.endswith("existing_services")
    rows = {line[7:37].strip(): line for line in output.splitlines() if line[:5].isdigit()}
    assert len(rows) == 69
    assert rows["Beaurainville"].endswith("x 0.60")
    assert rows["Roussent"].endswith("x 1.00")
    reached = sum(line.endswith("x 0.60") for line in rows.values())
    assert 0 < reached < 69
    assert (
        f"Services existants : {reached} commune(s) à moins de 10 min d'un point de service "
        "ont leur score multiplié par 0,60" in output
    )


def test_network_info_on_empty_cache(offline_env: Path) -> None:
    code, output = run("network", "info", str(BUNDLED))
    assert code == 0, output
    assert "Réseau du scénario : auto" in output
    assert "rien en cache" in output


def _commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    found = []
    for name, command in sorted(group.commands.items()):
        found.append((f"{prefix}{name}", command))
        if isinstance(command, click.Group):
            found += _commands(command, f"{prefix}{name} ")
    return found


@pytest.mark.parametrize(("name", "command"), _commands(cli))
def test_every_command_has_help_with_an_example(name: str, command: click.Command) -> None:
    assert command.help, name
    assert "Example:" in command.help, f"{name} has no example in its help"
    code, output = run(*name.split(), "--help")
    assert code == 0
    assert "itinerant" in output


def test_history_follows_the_weeks(offline_env: Path) -> None:
    """A week recorded as done pushes its communes back in next week's plan."""
    scenario = offline_env / "7-vallees.yaml"
    scenario.write_text(BUNDLED.read_text(encoding="utf-8"), encoding="utf-8")
    week49 = offline_env / "w49"
    assert run("plan", str(scenario), "--week", "2026-W49", "--out", str(week49))[0] == 0
    plan49 = Plan.model_validate_json((week49 / "plan.json").read_text(encoding="utf-8"))
    first = plan49.tours[0].visits[0]
    code, output = run(
        "history",
        "add",
        str(week49 / "plan.json"),
        "-s",
        str(scenario),
        "--cancelled",
        f"{first.insee}:{plan49.tours[0].date}",
    )
    assert code == 0, output
    assert (
        f"{plan49.kpis.visits} visite(s) enregistrée(s) ({plan49.kpis.visits - 1} faite(s), "
        "1 annulée(s))"
    ) in output
    assert (offline_env / "history" / "7-vallees.sqlite").exists()
    code, output = run("history", "list", "-s", str(scenario))
    assert output.endswith(f"{plan49.kpis.visits} visite(s)\n")
    code, output = run("history", "export", "-s", str(scenario))
    assert output.count("\n") == plan49.kpis.visits + 1  # header + one row a visit
    week50 = offline_env / "w50"
    assert run("plan", str(scenario), "--week", "2026-W50", "--out", str(week50))[0] == 0
    plan50 = Plan.model_validate_json((week50 / "plan.json").read_text(encoding="utf-8"))
    done49 = {v.insee for t in plan49.tours for v in t.visits} - {first.insee}
    again = {v.insee for t in plan50.tours for v in t.visits} & done49
    assert not again, f"visited again a week later: {sorted(again)}"


def test_history_add_rejects_a_cancellation_not_in_the_plan(offline_env: Path) -> None:
    scenario = offline_env / "7-vallees.yaml"
    scenario.write_text(BUNDLED.read_text(encoding="utf-8"), encoding="utf-8")
    out = offline_env / "w49"
    assert run("plan", str(scenario), "--week", "2026-W49", "--out", str(out))[0] == 0
    code, output = run(
        "history",
        "add",
        str(out / "plan.json"),
        "-s",
        str(scenario),
        "--cancelled",
        "99999:2026-12-01",
    )
    assert code == 1
    assert "--cancelled: 99999:2026-12-01 is not a visit of" in output
    assert not (offline_env / "history").exists()  # nothing written


def test_infeasible_must_visit_names_stop_and_writes_nothing(offline_env: Path) -> None:
    """A must-visit stop open only on a day nobody works: exit 1, a message, no output."""
    text = BUNDLED.read_text(encoding="utf-8").replace(
        "  # - commune: Marconne\n  #   must_visit: true",
        '  - commune: Marconne\n    must_visit: true\n    windows:\n      sun: [{start: "10:00", end: "12:00"}]',
    )
    scenario = offline_env / "x.yaml"
    scenario.write_text(text, encoding="utf-8")
    code, output = run("plan", str(scenario), "--week", "2026-W49", "--out", str(offline_env / "o"))
    assert code == 1, output
    assert "Marconne (62549)" in output
    assert "Traceback" not in output
    assert not (offline_env / "o").exists()
