"""The visit history: round trip, idempotent weeks, cancellations, crashes, two writers."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from itinerant.errors import HistoryError, ScenarioError
from itinerant.history import (
    VisitRecord,
    add_visits,
    export_csv_text,
    import_csv_text,
    last_visit_dates,
    list_visits,
    mark_cancelled,
)


def record(day: int, insee: str, unit: str = "bus", week: str = "2026-W49") -> VisitRecord:
    return VisitRecord(
        week=week,
        date=dt.date(2026, 11, 29 + day) if day < 2 else dt.date(2026, 12, day - 1),
        insee=insee,
        unit_id=unit,
        source="test",
    )


def test_round_trip_and_last_visits(tmp_path: Path) -> None:
    db = tmp_path / "history.sqlite"
    assert list_visits(db) == []  # no file yet: an empty history
    visits = [record(1, "62447"), record(3, "62100"), record(4, "62447", unit="tiny-house")]
    assert add_visits(db, visits) == 3
    assert list_visits(db) == sorted(visits, key=lambda r: (r.date, r.insee, r.unit_id))
    assert last_visit_dates(db, before=dt.date(2026, 12, 31)) == {
        "62447": dt.date(2026, 12, 3),
        "62100": dt.date(2026, 12, 2),
    }
    # only visits strictly before the date count
    assert last_visit_dates(db, before=dt.date(2026, 12, 2)) == {"62447": dt.date(2026, 11, 30)}


def test_adding_a_week_again_replaces_it(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite"
    add_visits(db, [record(1, "62447"), record(3, "62100")])
    add_visits(db, [record(1, "62447")])  # the updated week dropped 62100
    assert [r.insee for r in list_visits(db)] == ["62447"]
    add_visits(db, [record(1, "62050", week="2026-W48")], replace_week=True)
    assert len(list_visits(db)) == 2  # another week is kept


def test_cancelled_visits_do_not_count(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite"
    add_visits(db, [record(1, "62447"), record(3, "62447")])
    assert mark_cancelled(db, date=dt.date(2026, 12, 2), insee="62447") == 1
    assert last_visit_dates(db, before=dt.date(2027, 1, 1)) == {"62447": dt.date(2026, 11, 30)}
    assert [r.status for r in list_visits(db)] == ["done", "cancelled"]


def test_csv_export_neutralises_formulas_and_imports_back(tmp_path: Path) -> None:
    hostile = VisitRecord(
        week="2026-W49",
        date=dt.date(2026, 12, 1),
        insee="62447",
        commune='=HYPERLINK("http://x")',
        unit_id="bus",
        source="@cmd",
    )
    text = export_csv_text([hostile])
    assert "'=HYPERLINK" in text
    assert ",'@cmd" in text
    (back,) = import_csv_text(text, source="export.csv")
    assert back.insee == "62447"
    assert back.date == dt.date(2026, 12, 1)


def test_bad_import_rows_are_named() -> None:
    text = "date,insee,unit_id,status\n2026-13-01,62447,bus,done\n2026-12-01,62447,bus,maybe\n"
    with pytest.raises(ScenarioError) as info:
        import_csv_text(text, source="old.csv")
    assert info.value.problems[0] == "old.csv: line 2: date: '2026-13-01' is not a date"
    assert info.value.problems[1].startswith("old.csv: line 3: status: 'maybe': ")


def test_a_foreign_file_is_refused(tmp_path: Path) -> None:
    text_file = tmp_path / "notes.sqlite"
    text_file.write_text("not a database at all, just some words " * 50)
    with pytest.raises(HistoryError, match="not an itinerant visit history"):
        add_visits(text_file, [record(1, "62447")])


WRITER = textwrap.dedent(
    """
    import datetime as dt, sys, time
    from pathlib import Path
    from itinerant.history import VisitRecord, add_visits

    def records(week, pause):
        for i in range(2000):
            if pause and i == 1000:
                print("half", flush=True)
                time.sleep(60)  # killed here, in the middle of the transaction
            yield VisitRecord(week=week, date=dt.date(2026, 1, 1) + dt.timedelta(days=i % 365),
                              insee=f"{62000 + i:05d}", unit_id=week, source="writer")

    add_visits(Path(sys.argv[1]), records(sys.argv[2], sys.argv[3] == "pause"))
    print("done", flush=True)
    """
)


def _writer(db: Path, week: str, mode: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, str(db), week, mode],
        stdout=subprocess.PIPE,
        text=True,
    )


def test_a_writer_killed_mid_write_leaves_the_history_as_before(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite"
    add_visits(db, [record(1, "62447")])
    before = list_visits(db)
    writer = _writer(db, "2026-W01", "pause")
    assert writer.stdout is not None
    assert writer.stdout.readline().strip() == "half"
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait(timeout=30)
    writer.stdout.close()
    assert list_visits(db) == before  # all or nothing: nothing of the killed write
    add_visits(db, [record(2, "62100", week="2026-W50")])  # and the file is still usable
    assert len(list_visits(db)) == 2


def test_two_writers_at_once_both_land(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite"
    writers = [_writer(db, week, "go") for week in ("2026-W01", "2026-W02")]
    outputs = [w.communicate(timeout=120)[0] for w in writers]
    assert [w.returncode for w in writers] == [0, 0], outputs
    visits = list_visits(db)
    assert len(visits) == 4000
    assert {v.unit_id for v in visits} == {"2026-W01", "2026-W02"}
