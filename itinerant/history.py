"""The visit history: what actually took place, week after week, in one SQLite file.

It is the coordinator's record and the basis of rotation between communes, so it must
survive a crash mid-write and two commands at once. SQLite gives both: every change is
one transaction (``BEGIN IMMEDIATE``, rollback journal, ``synchronous=FULL``), so a
process killed while writing leaves the file as it was before or after the change,
never in between; a second writer waits (busy timeout) instead of failing. The file is
one ordinary file that can be copied for a backup.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from itinerant.errors import HistoryError, ScenarioError
from itinerant.plan import Plan
from itinerant.scenario import format_time

__all__ = [
    "CSV_COLUMNS",
    "VisitRecord",
    "add_visits",
    "export_csv_text",
    "import_csv_text",
    "last_visit_dates",
    "list_visits",
    "mark_cancelled",
    "records_from_plan",
]

SCHEMA_VERSION = 1
_APPLICATION = "itinerant-history"
_BUSY_TIMEOUT_S = 60.0
CSV_COLUMNS = (
    "week",
    "date",
    "insee",
    "commune",
    "unit_id",
    "stop_id",
    "status",
    "start",
    "source",
)
"""Columns of the CSV export, in order."""

Status = Literal["done", "cancelled"]


class VisitRecord(BaseModel):
    """One visit that took place (or was cancelled)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    week: str = Field(description="ISO week, e.g. 2026-W49")
    date: dt.date
    insee: str = Field(min_length=1)
    commune: str = ""
    unit_id: str = Field(min_length=1)
    stop_id: str = ""
    status: Status = "done"
    start: str = Field(default="", description="session start, HH:MM")
    source: str = Field(default="", description="plan file, 'import', ...")

    @model_validator(mode="before")
    @classmethod
    def _stop_defaults_to_commune(cls, data: Any) -> Any:
        if isinstance(data, dict) and not data.get("stop_id") and data.get("insee"):
            return {**data, "stop_id": data["insee"]}
        return data


def records_from_plan(
    plan: Plan, *, source: str, cancelled: Iterable[tuple[dt.date, str]] = ()
) -> list[VisitRecord]:
    """Turn a plan's visits into history records; ``cancelled``: (date, INSEE) pairs."""
    cancel = set(cancelled)
    return [
        VisitRecord(
            week=plan.week,
            date=tour.date,
            insee=visit.insee,
            commune=visit.commune_name,
            unit_id=tour.unit_id,
            stop_id=visit.stop_id,
            status="cancelled" if (tour.date, visit.insee) in cancel else "done",
            start=format_time(visit.session_start),
            source=source,
        )
        for tour in plan.tours
        for visit in tour.visits
    ]


@contextlib.contextmanager
def _connect(path: Path, *, create: bool) -> Iterator[sqlite3.Connection]:
    if create:
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        connection = sqlite3.connect(path, timeout=_BUSY_TIMEOUT_S, isolation_level=None)
    except sqlite3.Error as exc:
        msg = f"{path}: cannot open the visit history ({exc})"
        raise HistoryError(msg) from exc
    try:
        connection.execute("PRAGMA synchronous=FULL")
        _check_schema(connection, path, create=create)
        yield connection
    except sqlite3.DatabaseError as exc:
        msg = f"{path}: not an itinerant visit history, or damaged ({exc})"
        raise HistoryError(msg) from exc
    finally:
        connection.close()


def _check_schema(connection: sqlite3.Connection, path: Path, *, create: bool) -> None:
    tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    if not tables:
        if not create:
            return
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
        connection.execute(
            "CREATE TABLE IF NOT EXISTS visits ("
            " week TEXT NOT NULL, date TEXT NOT NULL, insee TEXT NOT NULL,"
            " commune TEXT NOT NULL, unit_id TEXT NOT NULL, stop_id TEXT NOT NULL,"
            " status TEXT NOT NULL CHECK (status IN ('done', 'cancelled')),"
            " start TEXT NOT NULL, source TEXT NOT NULL,"
            " PRIMARY KEY (date, insee, unit_id))"
        )
        connection.executemany(
            "INSERT OR IGNORE INTO meta VALUES (?, ?)",
            [("application", _APPLICATION), ("schema_version", str(SCHEMA_VERSION))],
        )
        connection.execute("COMMIT")
        return
    meta = dict(connection.execute("SELECT key, value FROM meta").fetchall())
    if meta.get("application") != _APPLICATION:
        msg = f"{path}: not an itinerant visit history"
        raise HistoryError(msg)
    if int(meta.get("schema_version", "0")) > SCHEMA_VERSION:
        msg = f"{path}: written by a newer itinerant (schema {meta['schema_version']}); upgrade"
        raise HistoryError(msg)


def _is_history(connection: sqlite3.Connection) -> bool:
    return bool(connection.execute("SELECT 1 FROM sqlite_master WHERE name = 'visits'").fetchone())


def add_visits(path: Path, records: Iterable[VisitRecord], *, replace_week: bool = True) -> int:
    """Record visits in one transaction; return how many were written.

    With ``replace_week`` (the default), the records of the same weeks and units already
    in the history are replaced, so adding an updated plan again is idempotent. A record
    for the same date, commune and unit replaces the previous one.
    """
    written = 0
    with _connect(path, create=True) as connection:
        connection.execute("BEGIN IMMEDIATE")
        try:
            replaced: set[tuple[str, str]] = set()
            for record in records:  # consumed inside the transaction
                if replace_week and (record.week, record.unit_id) not in replaced:
                    replaced.add((record.week, record.unit_id))
                    connection.execute(
                        "DELETE FROM visits WHERE week = ? AND unit_id = ?",
                        (record.week, record.unit_id),
                    )
                connection.execute(
                    "INSERT OR REPLACE INTO visits VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    _row(record),
                )
                written += 1
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise
    return written


def _row(record: VisitRecord) -> tuple[str, ...]:
    return (
        record.week,
        record.date.isoformat(),
        record.insee,
        record.commune,
        record.unit_id,
        record.stop_id,
        record.status,
        record.start,
        record.source,
    )


def mark_cancelled(path: Path, *, date: dt.date, insee: str, unit_id: str | None = None) -> int:
    """Mark the visits of a commune on a date (one unit, or all) as cancelled; return how many."""
    query = "UPDATE visits SET status = 'cancelled' WHERE date = ? AND insee = ?"
    arguments: tuple[str, ...] = (date.isoformat(), insee)
    if unit_id is not None:
        query += " AND unit_id = ?"
        arguments += (unit_id,)
    if not path.exists():
        return 0
    with _connect(path, create=False) as connection:
        connection.execute("BEGIN IMMEDIATE")
        changed = connection.execute(query, arguments).rowcount
        connection.execute("COMMIT")
    return int(changed)


def list_visits(
    path: Path, *, since: dt.date | None = None, until: dt.date | None = None
) -> list[VisitRecord]:
    """Return the recorded visits between two dates (inclusive), sorted; none if no file."""
    if not path.exists():
        return []
    with _connect(path, create=False) as connection:
        if not _is_history(connection):
            return []
        rows = connection.execute(
            "SELECT week, date, insee, commune, unit_id, stop_id, status, start, source"
            " FROM visits WHERE date >= ? AND date <= ? ORDER BY date, insee, unit_id",
            ((since or dt.date.min).isoformat(), (until or dt.date.max).isoformat()),
        ).fetchall()
    return [VisitRecord(**dict(zip(CSV_COLUMNS, row, strict=True))) for row in rows]


def last_visit_dates(path: Path, *, before: dt.date) -> dict[str, dt.date]:
    """Return each commune's last done visit strictly before ``before``, by INSEE code."""
    last: dict[str, dt.date] = {}
    for record in list_visits(path, until=before - dt.timedelta(days=1)):
        if record.status == "done":
            last[record.insee] = max(record.date, last.get(record.insee, record.date))
    return last


def _neutralise(cell: str) -> str:
    """Keep a spreadsheet from reading a cell as a formula (CSV injection)."""
    return f"'{cell}" if cell[:1] in ("=", "+", "-", "@", "\t", "\r") else cell


def export_csv_text(records: Iterable[VisitRecord]) -> str:
    """Render records as CSV (columns :data:`CSV_COLUMNS`), formula cells neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for record in records:
        values = record.model_dump(mode="json")
        writer.writerow([_neutralise(str(values[column])) for column in CSV_COLUMNS])
    return buffer.getvalue()


def import_csv_text(text: str, *, source: str) -> list[VisitRecord]:
    """Parse a history CSV (date, insee, unit_id required; week, status, ... optional).

    Raises
    ------
    ScenarioError
        Naming the file, line, column and value of every bad row.
    """
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    columns = reader.fieldnames or []
    missing = [c for c in ("date", "insee", "unit_id") if c not in columns]
    if missing:
        msg = f"{source}: missing column(s) {', '.join(missing)} (found: {', '.join(columns)})"
        raise ScenarioError([msg])
    records: list[VisitRecord] = []
    problems: list[str] = []
    for line_no, row in enumerate(reader, start=2):
        values = {k: (v or "").strip() for k, v in row.items() if k in CSV_COLUMNS}
        try:
            date = dt.date.fromisoformat(values["date"])
        except ValueError:
            problems.append(f"{source}: line {line_no}: date: {values['date']!r} is not a date")
            continue
        year, week, _ = date.isocalendar()
        values["week"] = values.get("week") or f"{year}-W{week:02d}"
        values["status"] = values.get("status") or "done"
        values["source"] = values.get("source") or source
        try:
            records.append(VisitRecord.model_validate(values))
        except ValidationError as exc:
            for error in exc.errors(include_url=False):
                field = ".".join(str(part) for part in error["loc"])
                problems.append(
                    f"{source}: line {line_no}: {field}: {values.get(field, '')!r}: "
                    f"{error['msg'].lower()}"
                )
    if problems:
        raise ScenarioError(problems)
    return records
