"""A French run end to end: no English sentence on the console or in the outputs (#13).

The bundled scenario is French. It is planned offline, replanned after a staff absence,
rendered again in English (beside, never over, the French outputs) and compared with a
copy less the tiny house. Every English template of :mod:`itinerant.i18n` is then looked
for in what a French user reads: the console, every text output and every CSV, which
must also read back with French spreadsheet settings.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from itinerant import i18n
from itinerant.cli import cli
from itinerant.render.csv_format import column_keys, parse_number, read_csv_text

ROOT = Path(__file__).resolve().parents[1]
BUNDLED = ROOT / "scenarios" / "7-vallees.yaml"
FAST = {"seed": 0, "solution_limit": 20, "lns_iterations": 20, "time_limit_s": 20}
TEXT_SUFFIXES = {".csv", ".html", ".ics", ".gpx"}


def english_sentences() -> set[str]:
    """The fixed parts of every English template that differs from its French one.

    Only parts of three words or more: single labels ("Commune", "Distance") are the
    same word in both languages.
    """
    parts: set[str] = set()
    for texts in i18n._TEXT.values():
        if texts["en"] == texts["fr"]:
            continue
        for piece in re.split(r"\{[^}]*\}", texts["en"]):
            part = piece.strip(" :;,.()—-")
            if len(part.split()) >= 3 and part not in texts["fr"]:
                parts.add(part)
    assert len(parts) > 60  # the check looks for something
    return parts


def _run(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def french_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """Plan, replan, render in English and compare the bundled week; folder and consoles."""
    folder = tmp_path_factory.mktemp("french")
    data = yaml.safe_load(BUNDLED.read_text(encoding="utf-8"))
    data["solver"] = {**data["solver"], **FAST}
    data["history"] = str(folder / "history.sqlite")
    data["period"]["week"] = "2026-W49"
    scenario = folder / "7-vallees.yaml"
    scenario.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    lite = dict(data, units=[u for u in data["units"] if u["id"] != "tiny-house"])
    sans = folder / "sans-tiny-house.yaml"
    sans.write_text(yaml.safe_dump(lite, allow_unicode=True), encoding="utf-8")
    consoles = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ITINERANT_OFFLINE", "1")
        patch.setenv("ITINERANT_CACHE_DIR", str(folder / "cache"))
        patch.setenv("ITINERANT_OUTPUT_DIR", str(folder / "maps"))
        consoles.append(_run("plan", str(scenario)))
        week = folder / "maps" / "7-vallees" / "2026-W49"
        consoles.append(
            _run(
                "replan",
                str(week / "plan.json"),
                "--from",
                "2026-12-02",
                "-s",
                str(scenario),
                "--staff-absent",
                "camille:2026-12-02",
                "--unit-unavailable",
                "tiny-house:2026-11-28",  # a date outside the replan: a warning
            )
        )
        before = (week / "itineraires.html").read_bytes()
        english = _run("render", str(week / "plan.json"), "-s", str(scenario), "--lang", "en")
        assert (week / "itineraires.html").read_bytes() == before  # French kept
        assert "Written to" in english
        cmp = folder / "cmp"
        consoles.append(
            _run("compare", str(scenario), str(sans), "--weeks", "1", "--out", str(cmp))
        )
    return folder, consoles


def test_render_in_english_writes_beside_the_french_outputs(
    french_run: tuple[Path, list[str]],
) -> None:
    folder, _ = french_run
    week = folder / "maps" / "7-vallees" / "2026-W49"
    assert "Feuille de route" in (week / "itineraires.html").read_text(encoding="utf-8")
    assert "Itinerary" in (week / "en" / "itineraires.html").read_text(encoding="utf-8")
    english_csv = (week / "en" / "schedule.csv").read_text(encoding="utf-8")
    assert english_csv.startswith("\ufeffdate,unit_id,unit,crew,stop,")


def test_no_english_sentence_in_a_french_run(french_run: tuple[Path, list[str]]) -> None:
    folder, consoles = french_run
    sentences = english_sentences()
    found: list[str] = []
    for console in consoles:
        found += [f"console: {s!r}" for s in sentences if s in console]
    for path in sorted(folder.rglob("*")):
        if path.suffix not in TEXT_SUFFIXES or "en" in path.relative_to(folder).parts:
            continue
        content = path.read_text(encoding="utf-8")
        found += [f"{path.relative_to(folder)}: {s!r}" for s in sentences if s in content]
    assert not found, "\n".join(found)
    # the same check finds English where English was asked for (render --lang en)
    english = (folder / "maps" / "7-vallees" / "2026-W49" / "en" / "itineraires.html").read_text(
        encoding="utf-8"
    )
    assert any(s in english for s in sentences)
    # what the console says in French, the sentences that used to leak included
    plan_console, replan_console, compare_console = consoles
    assert "Avertissement : aucun fichier de réseau routier" in plan_console
    assert "Écrit dans " in plan_console
    assert "Réseau routier : aucun" in plan_console
    assert "Avertissement : --unit-unavailable tiny-house:2026-11-28 : 2026-11-28 ignorée" in (
        replan_console
    )
    assert "Replanifié à partir du mercredi 2 décembre." in replan_console
    assert "séances" in compare_console


def test_every_csv_reads_back_with_french_settings(french_run: tuple[Path, list[str]]) -> None:
    """BOM, ';', French headers, decimal comma: each value reads back as written."""
    folder, _ = french_run
    tables = [p for p in sorted(folder.rglob("*.csv")) if "en" not in p.relative_to(folder).parts]
    names = {p.name for p in tables}
    assert {"schedule.csv", "changes.csv", "rotation.csv", "indicateurs.csv"} <= names
    for path in tables:
        raw = path.read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf"), path  # UTF-8 with a byte-order mark
        header, *rows = read_csv_text(raw.decode("utf-8"))
        assert ";" not in "".join(header)
        assert all(len(row) == len(header) for row in rows), path
        keys = column_keys(header)
        assert keys != header, f"{path}: headers not in French"
    schedule = folder / "maps" / "7-vallees" / "2026-W49" / "schedule.csv"
    header, *rows = read_csv_text(schedule.read_text(encoding="utf-8"))
    keys = column_keys(header)
    assert header[keys.index("session_start")] == "début séance"
    assert all(row[keys.index("distance_m")].isdigit() for row in rows)
    indicators = folder / "cmp" / "indicateurs.csv"
    header, *rows = read_csv_text(indicators.read_text(encoding="utf-8"))
    by_key = {row[0]: row for row in rows}
    assert by_key["km_driven"][1] == "Km parcourus (tous trajets)"
    values = [cell for row in rows for cell in row[2:-1] if cell]
    assert all("." not in cell for cell in values)  # no decimal point...
    assert any("," in cell for cell in values)  # ...but decimal commas
    assert parse_number(by_key["km_driven"][2]) > 0
