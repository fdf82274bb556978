"""Command line: exit codes, messages without tracebacks, documented help."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from itinerant.cli import cli

ROOT = Path(__file__).resolve().parents[1]
BUNDLED = ROOT / "scenarios" / "7-vallees.yaml"


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def test_validate_bundled_scenario() -> None:
    code, output = run("validate", str(BUNDLED))
    assert code == 0, output
    assert "valid" in output
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
