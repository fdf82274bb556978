"""The visit history: round trip, idempotent weeks, cancellations, crashes, two writers."""

from __future__ import annotations

import datetime as dt
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from itinerant.errors import HistoryError, ItinerantError, ScenarioError
from itinerant.history import (
    CSV_COLUMNS,
    VisitRecord,
    add_visits,
    export_csv_text,
    import_csv,
    import_csv_text,
    last_visit_dates,
    list_visits,
    mark_cancelled,
)

ROOT = Path(__file__).resolve().parents[1]
MONDAY_W49 = dt.date(2026, 11, 30)  # ISO week 2026-W49 runs from Mon 30 Nov to Sun 6 Dec


def record(day: int, insee: str, unit: str = "bus", status: str = "done") -> VisitRecord:
    """A visit on day ``day`` (0 = Monday) of week 2026-W49."""
    return VisitRecord.model_validate(
        {
            "date": MONDAY_W49 + dt.timedelta(days=day),
            "insee": insee,
            "unit_id": unit,
            "status": status,
            "source": "test",
            "start_time": "09:30",
        }
    )


def sort_key(r: VisitRecord) -> tuple[dt.date, str, str]:
    return (r.date, r.insee, r.unit_id)


def test_record_defaults_and_checks() -> None:
    visit = record(1, "62447")
    assert visit.week == "2026-W49"  # from the date
    assert visit.stop_id == "62447"
    with pytest.raises(ValueError, match="is in week 2026-W49, not 2026-W50"):
        VisitRecord(date=MONDAY_W49, insee="62447", unit_id="bus", week="2026-W50")
    with pytest.raises(ValueError, match="start_time '25:00' is not a time"):
        VisitRecord(date=MONDAY_W49, insee="62447", unit_id="bus", start_time="25:00")


def test_round_trip(tmp_path: Path) -> None:
    db = tmp_path / "sub" / "history.sqlite"
    assert list_visits(db) == []  # no file yet: an empty history
    assert last_visit_dates(db, before=MONDAY_W49) == {}
    assert not db.exists()  # reading creates nothing
    visits = [record(3, "62100"), record(1, "62447"), record(4, "62447", unit="tiny-house")]
    assert add_visits(db, visits) == 3
    assert list_visits(db) == sorted(visits, key=sort_key)
    assert list_visits(db, since=MONDAY_W49 + dt.timedelta(days=2)) == [visits[0], visits[2]]
    assert list_visits(db, until=MONDAY_W49 + dt.timedelta(days=3)) == [visits[1], visits[0]]


def test_last_visit_dates_count_done_visits_strictly_before(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite"
    add_visits(db, [record(1, "62447"), record(3, "62100"), record(4, "62447", unit="th")])
    assert last_visit_dates(db, before=dt.date(2026, 12, 31)) == {
        "62100": MONDAY_W49 + dt.timedelta(days=3),
        "62447": MONDAY_W49 + dt.timedelta(days=4),
    }
    assert last_visit_dates(db, before=MONDAY_W49 + dt.timedelta(days=3)) == {
        "62447": MONDAY_W49 + dt.timedelta(days=1)
    }


def test_adding_a_week_again_replaces_it(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite"
    add_visits(db, [record(1, "62447"), record(3, "62100"), record(2, "62050", unit="th")])
    week48 = record(-3, "62018")  # Friday of week 48
    add_visits(db, [week48])
    # the bus's updated week dropped 62100; the tiny house's week and week 48 stay
    updated = [record(1, "62447"), record(2, "62549")]
    for _ in range(2):  # idempotent: the second add changes nothing
        assert add_visits(db, updated, replace_week="2026-W49") == 2
        assert [(r.insee, r.unit_id) for r in list_visits(db)] == [
            ("62018", "bus"),
            ("62447", "bus"),
            ("62050", "th"),
            ("62549", "bus"),
        ]
    with pytest.raises(ValueError, match="62018 on 2026-11-27 is in 2026-W48, not 2026-W49"):
        add_visits(db, [record(4, "62100"), week48], replace_week="2026-W49")
    assert len(list_visits(db)) == 4  # nothing of the refused add
    # without replacement, records are added (same date, commune, unit: replaced)
    add_visits(db, [record(4, "62100"), record(1, "62447", status="cancelled")], replace_week=None)
    assert [r.status for r in list_visits(db)] == ["done", "cancelled", "done", "done", "done"]


def test_cancelled_visits_do_not_count(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite"
    assert mark_cancelled(db, date=MONDAY_W49, insee="62447") == 0  # no file
    add_visits(db, [record(1, "62447"), record(3, "62447"), record(3, "62447", unit="th")])
    assert mark_cancelled(db, date=MONDAY_W49 + dt.timedelta(days=3), insee="62447") == 2
    assert last_visit_dates(db, before=dt.date(2027, 1, 1)) == {
        "62447": MONDAY_W49 + dt.timedelta(days=1)
    }
    assert [r.status for r in list_visits(db)] == ["done", "cancelled", "cancelled"]
    assert mark_cancelled(db, date=MONDAY_W49, insee="62447", unit_id="bus") == 0


def test_csv_export_neutralises_formulas_and_reads_back(tmp_path: Path) -> None:
    hostile = VisitRecord(
        date=MONDAY_W49,
        insee="62447",
        commune="=cmd()",
        unit_id="bus",
        source="@SUM(A1)",
        stop_id="-2+3",
    )
    english = export_csv_text([hostile, record(1, "62100")], lang="en")
    lines = english.splitlines()
    assert lines[0] == "\ufeff" + ",".join(CSV_COLUMNS)
    assert lines[1] == "2026-W49,2026-11-30,62447,'=cmd(),bus,'-2+3,done,,'@SUM(A1)"
    assert lines[2] == "2026-W49,2026-12-01,62100,,bus,62100,done,09:30,test"
    text = export_csv_text([hostile, record(1, "62100")])  # French by default
    lines = text.splitlines()
    assert lines[0] == (
        "\ufeffsemaine;date;code INSEE;commune;code unité;code étape;statut;heure de début;source"
    )
    assert lines[1] == "2026-W49;2026-11-30;62447;'=cmd();bus;'-2+3;faite;;'@SUM(A1)"
    # the quote is only a guard: importing either export gives the records back
    assert import_csv_text(text, source="export.csv") == [hostile, record(1, "62100")]
    assert import_csv_text(english, source="export.csv") == [hostile, record(1, "62100")]
    db = tmp_path / "h.sqlite"
    assert import_csv(db, text, source="export.csv") == 2
    assert import_csv(db, text, source="export.csv") == 2  # again: nothing changes
    assert list_visits(db) == [hostile, record(1, "62100")]


def test_import_accepts_a_french_spreadsheet() -> None:
    text = "\ufeffdate;insee;unit_id;status\n2026-12-01;62447;bus;cancelled\n;;;\n"
    (visit,) = import_csv_text(text, source="old.csv")
    assert (visit.week, visit.status, visit.source) == ("2026-W49", "cancelled", "old.csv")


def test_bad_import_rows_are_named(tmp_path: Path) -> None:
    text = (
        "date,insee,unit_id,status\n"
        "2026-13-01,62447,bus,done\n"
        "2026-12-01,62447,bus,maybe\n"
        "2026-12-01,Hesdin,bus,done\n"
        "2026-12-02,62447,,done\n"
    )
    db = tmp_path / "h.sqlite"
    with pytest.raises(ScenarioError) as info:
        import_csv(db, text, source="old.csv")
    problems = info.value.problems
    assert problems[0] == "old.csv: line 2: date: '2026-13-01' is not a date (YYYY-MM-DD)"
    assert problems[1].startswith("old.csv: line 3: status: 'maybe': ")
    assert problems[2].startswith("old.csv: line 4: insee: 'Hesdin': ")
    assert problems[3].startswith("old.csv: line 5: unit_id: '': ")
    assert len(problems) == 4
    assert not db.exists()  # nothing written
    with pytest.raises(ScenarioError, match=r"old\.csv: missing column\(s\) unit_id"):
        import_csv_text("date,insee\n", source="old.csv")


def test_a_foreign_file_is_refused(tmp_path: Path) -> None:
    text_file = tmp_path / "notes.sqlite"
    text_file.write_text("not a database at all, just some words " * 50)
    with pytest.raises(HistoryError, match="not an itinerant visit history"):
        add_visits(text_file, [record(1, "62447")])
    with pytest.raises(HistoryError, match=r"notes\.sqlite: not an itinerant visit history"):
        list_visits(text_file)
    other_db = tmp_path / "other.sqlite"
    with sqlite3.connect(other_db) as connection:
        connection.execute("CREATE TABLE visits (x)")
    connection.close()
    with pytest.raises(HistoryError, match=r"not an itinerant visit history \(tables: visits\)"):
        last_visit_dates(other_db, before=MONDAY_W49)
    assert issubclass(HistoryError, ItinerantError)


# A writer in another process: ``pause`` stops halfway through its transaction and waits
# (to be killed, or for ``seconds``); each record carries 4 kB so that the transaction
# outgrows SQLite's 2 MB page cache and is spilled into the database file before commit.
WRITER = textwrap.dedent(
    """
    import datetime as dt, sys, time
    from pathlib import Path
    from itinerant.history import VisitRecord, add_visits

    db, unit, count, pause_at, pause_s = sys.argv[1:6]
    monday = dt.date(2026, 11, 30)

    def records():
        for i in range(int(count)):
            if i == int(pause_at):
                print("paused", flush=True)
                time.sleep(float(pause_s))
            yield VisitRecord(date=monday + dt.timedelta(days=i % 7), insee=f"{10000 + i}",
                              unit_id=unit, source="writer", commune="x" * 4000)

    print(add_visits(Path(db), records()), flush=True)
    """
)


def start_writer(
    db: Path, unit: str, *, count: int, pause_at: int = -1, pause_s: float = 0
) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, str(db), unit, str(count), str(pause_at), str(pause_s)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def wait_paused(writer: subprocess.Popen[str]) -> None:
    assert writer.stdout is not None
    assert writer.stdout.readline().strip() == "paused"


def test_a_writer_killed_mid_write_leaves_the_history_as_it_was(tmp_path: Path) -> None:
    """SIGKILL in the middle of a big transaction: all or nothing, and the file still works."""
    db = tmp_path / "h.sqlite"
    add_visits(db, [record(1, "62447"), record(3, "62100")])
    before = list_visits(db)
    size_before = db.stat().st_size
    writer = start_writer(db, "bus", count=2000, pause_at=1000, pause_s=60)
    wait_paused(writer)
    # 1 000 records of 4 kB have been spilled into the file itself, not just into memory
    assert db.stat().st_size > size_before + 2_000_000
    os.kill(writer.pid, signal.SIGKILL)
    writer.communicate(timeout=30)
    assert writer.returncode == -signal.SIGKILL
    assert list_visits(db) == before  # the left-over journal is rolled back
    assert add_visits(db, [record(2, "62050")], replace_week=None) == 1
    assert len(list_visits(db)) == 3


def test_two_writers_at_once_both_land(tmp_path: Path) -> None:
    """The second writer waits for the first one's transaction instead of failing."""
    db = tmp_path / "h.sqlite"
    add_visits(db, [record(1, "62447")])
    first = start_writer(db, "van", count=400, pause_at=200, pause_s=1.0)
    wait_paused(first)  # inside its transaction: it holds the write lock for a second
    second = start_writer(db, "tiny-house", count=400)
    outputs = [w.communicate(timeout=60)[0] for w in (first, second)]
    assert [w.returncode for w in (first, second)] == [0, 0], outputs
    assert outputs == ["400\n", "400\n"]  # each wrote all of its records
    visits = list_visits(db)
    assert len(visits) == 801
    assert {v.unit_id for v in visits} == {"bus", "van", "tiny-house"}
