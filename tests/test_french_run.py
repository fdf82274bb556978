"""A French run end to end: no English sentence on the console or in the outputs (#13).

The bundled scenario is French. It is validated, its demand and road network shown,
planned offline, replanned after a staff absence, rendered again in English (beside, never
over, the French outputs) and compared with a copy less the tiny house. Every English
template of :mod:`itinerant.i18n` is then looked for in what a French user reads: the
consoles, every text output, every CSV (which must also read back with French
spreadsheet settings) and the reasons plan.json gives. An English copy of the scenario
goes through the same commands, so that the check is seen to find English.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import NamedTuple

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


def _shown_reasons(plan_json: Path) -> list[tuple[str, str]]:
    """The reasons a plan gives users: (skip code or "idle", text)."""
    plan = json.loads(plan_json.read_text(encoding="utf-8"))
    return [(u["reason"], u["detail"]) for u in plan["unvisited"]] + [
        ("idle", i["reason"]) for i in plan["idle_unit_days"]
    ]


def _inspect(scenario: Path, territory_lang: str) -> dict[str, str]:
    """The consoles of the commands that read a scenario without planning it."""
    return {
        "validate": _run("validate", str(scenario)),
        "demand": _run("demand", str(scenario)),
        "network info": _run("network", "info", str(scenario)),
        "territory show": _run("territory", "show", "--lang", territory_lang)
        + _run("territory", "show", "--current", "--lang", territory_lang),
    }


class Run(NamedTuple):
    """A French run's folder and consoles (by command), and the English copy's."""

    folder: Path
    consoles: dict[str, str]
    english: dict[str, str]


@pytest.fixture(scope="module")
def french_run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """Inspect, plan, replan, render in English and compare the bundled week; and in English."""
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
    (folder / "en").mkdir()
    in_english = folder / "en" / "7-vallees.yaml"  # under en/: not looked at as French
    in_english.write_text(
        yaml.safe_dump(
            dict(data, language="en", history=str(folder / "en" / "history.sqlite")),
            allow_unicode=True,
        ),
        encoding="utf-8",
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ITINERANT_OFFLINE", "1")
        patch.setenv("ITINERANT_CACHE_DIR", str(folder / "cache"))
        patch.setenv("ITINERANT_OUTPUT_DIR", str(folder / "en" / "maps"))
        english = {**_inspect(in_english, "en"), "plan": _run("plan", str(in_english))}
        patch.setenv("ITINERANT_OUTPUT_DIR", str(folder / "maps"))
        consoles = {**_inspect(scenario, "fr"), "plan": _run("plan", str(scenario))}
        week = folder / "maps" / "7-vallees" / "2026-W49"
        consoles["replan"] = _run(
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
        before = (week / "itineraires.html").read_bytes()
        rendered = _run("render", str(week / "plan.json"), "-s", str(scenario), "--lang", "en")
        assert (week / "itineraires.html").read_bytes() == before  # French kept
        assert "Written to" in rendered
        cmp = folder / "cmp"
        consoles["compare"] = _run(
            "compare", str(scenario), str(sans), "--weeks", "1", "--out", str(cmp)
        )
    return Run(folder, consoles, english)


def test_render_in_english_writes_beside_the_french_outputs(french_run: Run) -> None:
    folder = french_run.folder
    week = folder / "maps" / "7-vallees" / "2026-W49"
    assert "Feuille de route" in (week / "itineraires.html").read_text(encoding="utf-8")
    assert "Itinerary" in (week / "en" / "itineraires.html").read_text(encoding="utf-8")
    english_csv = (week / "en" / "schedule.csv").read_text(encoding="utf-8")
    assert english_csv.startswith("\ufeffdate,unit_id,unit,crew,stop,")


def test_no_english_sentence_in_a_french_run(french_run: Run) -> None:
    folder, consoles, english = french_run
    sentences = english_sentences()
    found: list[str] = []
    for command, console in consoles.items():
        found += [f"{command} console: {s!r}" for s in sentences if s in console]
    for path in sorted(folder.rglob("*")):
        if path.suffix not in TEXT_SUFFIXES or "en" in path.relative_to(folder).parts:
            continue
        content = path.read_text(encoding="utf-8")
        found += [f"{path.relative_to(folder)}: {s!r}" for s in sentences if s in content]
    week = Path("7-vallees") / "2026-W49" / "plan.json"
    reasons = _shown_reasons(folder / "maps" / week)  # the replanned week's
    assert {code for code, _ in reasons} >= {"idle", "lower_value"}  # something to read
    found += [f"plan.json: {s!r} in {why!r}" for _, why in reasons for s in sentences if s in why]
    assert not found, "\n".join(found)
    # the same check finds English where English was asked for: render --lang en, and the
    # English copy's consoles and plan.json
    rendered = (folder / "maps" / "7-vallees" / "2026-W49" / "en" / "itineraires.html").read_text(
        encoding="utf-8"
    )
    assert any(s in rendered for s in sentences)
    for command in ("demand", "network info", "territory show", "plan"):
        assert any(s in english[command] for s in sentences), command
    english_reasons = _shown_reasons(folder / "en" / "maps" / week)
    assert any(s in why for _, why in english_reasons for s in sentences)
    # short templates the sentence check cannot see (fewer than three words)
    assert all(why.startswith("valeur ") for code, why in reasons if code == "lower_value")
    assert all(why.startswith("value ") for code, why in english_reasons if code == "lower_value")
    assert ": valide — « " in consoles["validate"]
    assert ": valid — '" in english["validate"]
    assert "Poids : population 0,71" in consoles["demand"]
    assert "Réseau du scénario : auto" in consoles["network info"]
    assert "hab." in consoles["territory show"]
    assert "mairie" in consoles["territory show"]
    assert "town hall" in english["territory show"]
    assert "town hall" not in consoles["territory show"]
    assert "Source : fichier fourni communes_7vallees.csv" in consoles["territory show"]
    # what the console says in French, the sentences that used to leak included
    assert "Avertissement : aucun fichier de réseau routier" in consoles["plan"]
    assert "Écrit dans " in consoles["plan"]
    assert "Réseau routier : aucun" in consoles["plan"]
    assert (
        "Avertissement : --unit-unavailable tiny-house:2026-11-28 : 2026-11-28 ignorée"
        in (consoles["replan"])
    )
    assert "Replanifié à partir du mercredi 2 décembre." in consoles["replan"]
    assert "séances" in consoles["compare"]


def test_circuity_and_network_warning_in_french(french_run: Run) -> None:
    """Circuity "× 1,3" on the sheets and maps; the report's network warning in French (#13)."""
    folder = french_run.folder
    week = folder / "maps" / "7-vallees" / "2026-W49"
    pages = [week / "itineraires.html", week / "maps" / "semaine.html", *week.glob("sheets/*")]
    for page in pages:
        content = page.read_text(encoding="utf-8")
        assert "× 1,3" in content, page
        assert "× 1.3" not in content, page
    assert "× 1.3" in (week / "en" / "itineraires.html").read_text(encoding="utf-8")
    report = (folder / "cmp" / "rapport.html").read_text(encoding="utf-8")
    assert "Avertissements" in report
    assert "aucun fichier de réseau routier, cache ou téléchargement disponible" in report


def test_every_csv_reads_back_with_french_settings(french_run: Run) -> None:
    """BOM, ';', French headers, decimal comma: each value reads back as written."""
    folder = french_run.folder
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
