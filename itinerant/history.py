"""The visit history: what actually took place, week after week, in one SQLite file.

It is the coordinator's record and the basis of rotation between communes, so it must
survive a crash mid-write and two commands at once. SQLite gives both: every change is
one transaction (``BEGIN IMMEDIATE``, rollback journal, ``synchronous=FULL``), so a
process killed while writing leaves the file as it was before or after the change,
never in between (the next reader rolls a left-over journal back); a second writer waits
up to a minute (busy timeout) instead of failing. The rollback journal (not WAL) keeps the
history one ordinary file between commands, which can be copied for a backup.

The file is created when first written, with a ``meta`` table (``application``,
``schema_version``) by which a foreign file is recognised and refused. A missing file
reads as an empty history.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import logging
import re
import sqlite3
from collections.abc import Collection, Iterable, Iterator
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from itinerant import i18n
from itinerant.errors import HistoryError, ScenarioError
from itinerant.plan import Plan
from itinerant.render.csv_format import (
    column_keys,
    csv_header,
    read_csv_text,
    render_csv,
    unneutralise_cell,
)
from itinerant.scenario import format_time

__all__ = [
    "CSV_COLUMNS",
    "SCHEMA_VERSION",
    "HistoryError",
    "VisitRecord",
    "add_visits",
    "export_csv_text",
    "import_csv",
    "import_csv_text",
    "iso_week",
    "last_visit_dates",
    "list_visits",
    "mark_cancelled",
    "records_from_plan",
]

logger = logging.getLogger(__name__)

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
    "start_time",
    "source",
)
"""Columns of the CSV export, in order: ISO week, ISO date, INSEE code, commune name, unit
id, stop id, ``done``/``cancelled``, session start ``HH:MM`` (may be empty), and where the
record came from (plan file name, ``import``...)."""

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_WEEK_RE = re.compile(r"[0-9]{4}-W[0-9]{2}\Z")  # ASCII digits; \Z: no trailing newline
_INSEE_RE = re.compile(r"^[0-9][0-9AB][0-9]{3}$")  # a pydantic (Rust) pattern: $ is the end
_HHMM_RE = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]\Z")
FIRST_DATE, LAST_DATE = dt.date(1990, 1, 1), dt.date(2100, 12, 31)
"""Dates a recorded visit may have."""
_DB_COLUMNS = "week, date, insee, commune, unit_id, stop_id, status, start, source"
_INSERT = f"INSERT OR REPLACE INTO visits ({_DB_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"

Status = Literal["done", "cancelled"]


def iso_week(date: dt.date) -> str:
    """Return the ISO week of a date, e.g. ``2026-W49``."""
    year, week, _ = date.isocalendar()
    return f"{year}-W{week:02d}"


class VisitRecord(BaseModel):
    """One visit that took place (or was cancelled).

    ``week`` defaults to the date's ISO week and must contain the date; ``stop_id``
    defaults to the INSEE code.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    date: dt.date
    insee: str = Field(pattern=_INSEE_RE.pattern, description="INSEE code of the commune")
    unit_id: str = Field(min_length=1, max_length=64)
    stop_id: str = ""
    status: Status = "done"
    week: str = Field(default="", description="ISO week, e.g. 2026-W49")
    source: str = Field(default="", description="plan file name, 'import', ...")
    start_time: str | None = Field(default=None, description="session start, HH:MM")
    commune: str = Field(default="", description="commune name, for people reading the list")

    @model_validator(mode="before")
    @classmethod
    def _defaults(cls, data: Any) -> Any:
        if isinstance(data, dict):
            data = dict(data)
            if not data.get("stop_id") and data.get("insee"):
                data["stop_id"] = data["insee"]
            if data.get("start_time") == "":
                data["start_time"] = None
            if not data.get("week"):
                date = data.get("date")
                if isinstance(date, str):
                    with contextlib.suppress(ValueError):
                        date = dt.date.fromisoformat(date)
                if isinstance(date, dt.date):
                    data["week"] = iso_week(date)
        return data

    @field_validator("date")
    @classmethod
    def _plausible(cls, date: dt.date) -> dt.date:
        if not FIRST_DATE <= date <= LAST_DATE:
            msg = f"is not between {FIRST_DATE} and {LAST_DATE}"
            raise ValueError(msg)
        return date

    @model_validator(mode="after")
    def _consistent(self) -> VisitRecord:
        if not _WEEK_RE.match(self.week):
            msg = f"week {self.week!r} is not an ISO week (write it as '2026-W49')"
            raise ValueError(msg)
        if self.week != iso_week(self.date):
            msg = f"date {self.date} is in week {iso_week(self.date)}, not {self.week}"
            raise ValueError(msg)
        if self.start_time is not None and not _HHMM_RE.match(self.start_time):
            msg = f"start_time {self.start_time!r} is not a time (write it as 'HH:MM')"
            raise ValueError(msg)
        return self


def records_from_plan(
    plan: Plan, *, source: str, cancelled: Iterable[tuple[dt.date, str]] = ()
) -> list[VisitRecord]:
    """Turn a plan's visits into history records; ``cancelled``: (date, INSEE) pairs."""
    cancel = set(cancelled)
    try:
        return [
            VisitRecord(
                week=plan.week,
                date=tour.date,
                insee=visit.insee,
                commune=visit.commune_name,
                unit_id=tour.unit_id,
                stop_id=visit.stop_id,
                status="cancelled" if (tour.date, visit.insee) in cancel else "done",
                start_time=format_time(visit.session_start),
                source=source,
            )
            for tour in plan.tours
            for visit in tour.visits
        ]
    except ValidationError as exc:
        detail = exc.errors(include_url=False)[0]["msg"].removeprefix("Value error, ")
        msg = f"{source}: a visit of the plan cannot be recorded: {detail}"
        raise ScenarioError([msg]) from None


# --------------------------------------------------------------------------- the file


@contextlib.contextmanager
def _connect(path: Path, *, create: bool) -> Iterator[sqlite3.Connection]:
    """Open the history (autocommit mode: transactions are explicit) and check its schema."""
    if create:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            msg = f"{path}: cannot create the visit history's folder ({exc})"
            raise HistoryError(msg) from exc
    try:
        connection = sqlite3.connect(path, timeout=_BUSY_TIMEOUT_S, isolation_level=None)
    except sqlite3.Error as exc:
        msg = f"{path}: cannot open the visit history ({exc})"
        raise HistoryError(msg) from exc
    try:
        connection.execute("PRAGMA synchronous=FULL")
        _check_schema(connection, path, create=create)
        yield connection
    except sqlite3.OperationalError as exc:
        if "decode" in str(exc) or "malformed" in str(exc):
            raise HistoryError(_damaged(path, str(exc))) from exc
        if "locked" in str(exc) or "busy" in str(exc):
            msg = (
                f"{path}: the visit history is busy (another command has been writing it "
                f"for over {_BUSY_TIMEOUT_S:g} s); try again"
            )
        else:
            msg = f"{path}: cannot read or write the visit history ({exc})"
        raise HistoryError(msg) from exc
    except sqlite3.DatabaseError as exc:
        raise HistoryError(
            _damaged(path, str(exc), problem="not an itinerant visit history, or damaged")
        ) from exc
    except UnicodeDecodeError as exc:  # flipped bytes in a text column
        raise HistoryError(_damaged(path, f"unreadable text: {exc}")) from exc
    finally:
        connection.close()


def _check_schema(connection: sqlite3.Connection, path: Path, *, create: bool) -> None:
    tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    if not tables:
        if create:
            _create_schema(connection)
        return
    if "meta" not in tables or "visits" not in tables:
        msg = f"{path}: not an itinerant visit history (tables: {', '.join(sorted(tables))})"
        raise HistoryError(msg)
    meta = dict(connection.execute("SELECT key, value FROM meta").fetchall())
    if meta.get("application") != _APPLICATION:
        msg = f"{path}: not an itinerant visit history"
        raise HistoryError(msg)
    version = str(meta.get("schema_version", "0"))
    if not version.isdigit() or int(version) > SCHEMA_VERSION:
        msg = f"{path}: written by a newer itinerant (schema {version}); upgrade itinerant"
        raise HistoryError(msg)


def _create_schema(connection: sqlite3.Connection) -> None:
    """Create the tables (``IF NOT EXISTS``: another process may have just done it)."""
    connection.execute("BEGIN IMMEDIATE")
    try:
        connection.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
        connection.execute(
            "CREATE TABLE IF NOT EXISTS visits ("
            " week TEXT NOT NULL, date TEXT NOT NULL, insee TEXT NOT NULL,"
            " commune TEXT NOT NULL, unit_id TEXT NOT NULL, stop_id TEXT NOT NULL,"
            " status TEXT NOT NULL CHECK (status IN ('done', 'cancelled')),"
            " start TEXT NOT NULL, source TEXT NOT NULL,"
            " PRIMARY KEY (date, insee, unit_id))"
        )
        connection.execute("CREATE INDEX IF NOT EXISTS visits_week ON visits (week, unit_id)")
        connection.executemany(
            "INSERT OR IGNORE INTO meta VALUES (?, ?)",
            [("application", _APPLICATION), ("schema_version", str(SCHEMA_VERSION))],
        )
        connection.execute("COMMIT")
    except BaseException:
        _rollback(connection)
        raise


def _rollback(connection: sqlite3.Connection) -> None:
    if connection.in_transaction:
        connection.execute("ROLLBACK")


def _is_history(connection: sqlite3.Connection) -> bool:
    return bool(connection.execute("SELECT 1 FROM sqlite_master WHERE name = 'visits'").fetchone())


def _row(record: VisitRecord) -> tuple[str, ...]:
    return (
        record.week,
        record.date.isoformat(),
        record.insee,
        record.commune,
        record.unit_id,
        record.stop_id,
        record.status,
        record.start_time or "",
        record.source,
    )


def _record(path: Path, row: tuple[str, ...]) -> VisitRecord:
    week, date, insee, commune, unit_id, stop_id, status, start, source = row
    try:
        return _validate_row(week, date, insee, commune, unit_id, stop_id, status, start, source)
    except ValidationError as exc:
        detail = exc.errors(include_url=False)[0]["msg"].removeprefix("Value error, ")
        msg = f"the visit of {unit_id!r} to {insee!r} on {date!r} is invalid: {detail}"
        raise HistoryError(_damaged(path, msg)) from None


def _damaged(path: Path, detail: str, *, problem: str = "the visit history is damaged") -> str:
    """Say that a history file cannot be trusted any more, and what to do."""
    return (
        f"{path}: {problem} ({detail}). Restore it from a backup, or "
        "move it aside and rebuild it with `itinerant history import` from an export"
    )


def _validate_row(
    week: str,
    date: str,
    insee: str,
    commune: str,
    unit_id: str,
    stop_id: str,
    status: str,
    start: str,
    source: str,
) -> VisitRecord:
    return VisitRecord.model_validate(
        {
            "week": week,
            "date": date,
            "insee": insee,
            "commune": commune,
            "unit_id": unit_id,
            "stop_id": stop_id,
            "status": status,
            "start_time": start or None,
            "source": source,
        }
    )


# --------------------------------------------------------------------------- API


def add_visits(
    path: Path, records: Iterable[VisitRecord], *, replace_week: str | bool | None = True
) -> int:
    """Record visits in one transaction (all or nothing); return how many were written.

    Parameters
    ----------
    path
        The history file; created with its folder when missing.
    records
        The visits; an iterator is consumed inside the transaction.
    replace_week
        ``True`` (default): for each (week, unit) among the records, the records already
        in the history are deleted first, in the same transaction, so adding an updated
        week again is idempotent (the last version counts). A week such as ``"2026-W49"``:
        the same, and every record must belong to that week. ``False`` or None: nothing is
        deleted. In every case a record for the same date, commune and unit replaces the
        previous one.

    Raises
    ------
    HistoryError
        The file is not a history of ours, or cannot be written.
    ValueError
        A record is outside ``replace_week`` (nothing is written).
    """
    if isinstance(replace_week, str) and not _WEEK_RE.match(replace_week):
        msg = f"replace_week: {replace_week!r} is not an ISO week (write it as '2026-W49')"
        raise ValueError(msg)
    written = 0
    with _connect(path, create=True) as connection:
        connection.execute("BEGIN IMMEDIATE")
        try:
            replaced: set[tuple[str, str]] = set()
            for record in records:
                if isinstance(replace_week, str) and record.week != replace_week:
                    msg = (
                        f"replace_week: the visit to {record.insee} on {record.date} is in "
                        f"{record.week}, not {replace_week}"
                    )
                    raise ValueError(msg)  # noqa: TRY301 (rolled back below)
                key = (record.week, record.unit_id)
                if replace_week not in (False, None) and key not in replaced:
                    replaced.add(key)
                    connection.execute("DELETE FROM visits WHERE week = ? AND unit_id = ?", key)
                connection.execute(_INSERT, _row(record))
                written += 1
            connection.execute("COMMIT")
        except BaseException:
            _rollback(connection)
            raise
    logger.info("%s: %d visit(s) recorded", path, written)
    return written


def mark_cancelled(path: Path, *, date: dt.date, insee: str, unit_id: str | None = None) -> int:
    """Mark the visits of a commune on a date (one unit's, or all) as cancelled.

    Returns
    -------
    int
        How many visits changed; 0 when there is no such visit (or no file).
    """
    query = "UPDATE visits SET status = 'cancelled' WHERE date = ? AND insee = ?"
    arguments: tuple[str, ...] = (date.isoformat(), insee)
    if unit_id is not None:
        query += " AND unit_id = ?"
        arguments += (unit_id,)
    if not path.exists():
        return 0
    with _connect(path, create=False) as connection:
        if not _is_history(connection):
            return 0
        connection.execute("BEGIN IMMEDIATE")
        try:
            changed = connection.execute(query, arguments).rowcount
            connection.execute("COMMIT")
        except BaseException:
            _rollback(connection)
            raise
    return int(changed)


def list_visits(
    path: Path, *, since: dt.date | None = None, until: dt.date | None = None
) -> list[VisitRecord]:
    """Return the visits between two dates (inclusive), sorted by date, INSEE code, unit.

    A missing (or empty) file is an empty history.
    """
    if not path.exists():
        return []
    with _connect(path, create=False) as connection:
        if not _is_history(connection):
            return []
        rows = connection.execute(
            f"SELECT {_DB_COLUMNS} FROM visits WHERE date >= ? AND date <= ?"
            " ORDER BY date, insee, unit_id",
            ((since or dt.date.min).isoformat(), (until or dt.date.max).isoformat()),
        ).fetchall()
    return [_record(path, row) for row in rows]


def last_visit_dates(path: Path, *, before: dt.date) -> dict[str, dt.date]:
    """Return each commune's last ``done`` visit strictly before ``before``, by INSEE code.

    Cancelled visits do not count. Sorted by INSEE code; empty without a file.
    """
    if not path.exists():
        return {}
    with _connect(path, create=False) as connection:
        if not _is_history(connection):
            return {}
        rows = connection.execute(
            "SELECT insee, MAX(date) FROM visits WHERE status = 'done' AND date < ?"
            " GROUP BY insee ORDER BY insee",
            (before.isoformat(),),
        ).fetchall()
    last: dict[str, dt.date] = {}
    for insee, date in rows:
        try:
            last[insee] = dt.date.fromisoformat(date)
        except (TypeError, ValueError):
            raise HistoryError(_damaged(path, f"{date!r} is not a date")) from None
    return last


# --------------------------------------------------------------------------- CSV


def export_csv_text(records: Iterable[VisitRecord], *, lang: i18n.Language = "fr") -> str:
    """Render records as CSV, columns :data:`CSV_COLUMNS` with headers in ``lang``.

    The conventions of :func:`~itinerant.render.csv_format.render_csv` (``;`` and French
    headers and statuses in French, ``,`` in English; formula-like cells neutralised);
    :func:`import_csv_text` reads either back.
    """
    rows = []
    for record in records:
        values = record.model_dump(mode="json")
        values["status"] = i18n.text(f"csv.status.{record.status}", lang)
        rows.append([str(values[column] or "") for column in CSV_COLUMNS])
    return render_csv(csv_header(CSV_COLUMNS, lang), rows, lang)


_STATUSES = {
    i18n.text(f"csv.status.{status}", lang).casefold(): status
    for status in ("done", "cancelled")
    for lang in i18n.LANGUAGES
}


def import_csv_text(
    text: str,
    *,
    source: str,
    insee_codes: Collection[str] | None = None,
    unit_ids: Collection[str] | None = None,
) -> list[VisitRecord]:
    """Parse a history CSV into records.

    Columns ``date`` (YYYY-MM-DD), ``insee``, ``unit_id`` are required; ``status``
    (default ``done``), ``week`` (default: the date's), ``stop_id``, ``commune``,
    ``start_time`` (or ``start``), ``source`` (default ``source``) are optional; other
    columns are ignored. Comma or semicolon separated (as French spreadsheets save),
    headers and statuses in English or French (as :func:`export_csv_text` writes them).
    With ``insee_codes`` (the territory's) and ``unit_ids`` (the scenario's), a row
    naming another commune or unit is a problem too.

    Raises
    ------
    ScenarioError
        One line per problem, naming the file, line, column and value.
    """
    reader = read_csv_text(text)
    try:
        header, *rows = list(reader) or [[]]
    except csv.Error as exc:
        msg = f"{source}: line {reader.line_num}: not readable as CSV ({exc})"
        raise ScenarioError([msg]) from None
    columns = column_keys(header)
    missing = [c for c in ("date", "insee", "unit_id") if c not in columns]
    if missing:
        msg = f"{source}: missing column(s) {', '.join(missing)} (found: {', '.join(columns)})"
        raise ScenarioError([msg])
    records: list[VisitRecord] = []
    problems: list[str] = []
    for line_no, row in enumerate(rows, start=2):
        cells = {
            key: unneutralise_cell(value.strip()) for key, value in zip(columns, row, strict=False)
        }
        if not any(cells.values()):
            continue  # a blank line
        values = {k: v for k, v in cells.items() if k in CSV_COLUMNS}
        if "start_time" not in values and "start" in cells:
            values["start_time"] = cells["start"]
        values.setdefault("date", "")  # a short row may lack it
        status = values.get("status") or "done"
        values["status"] = _STATUSES.get(status.casefold(), status)
        values["source"] = values.get("source") or source
        try:
            dt.date.fromisoformat(values["date"])
        except ValueError:
            problems.append(
                f"{source}: line {line_no}: date: {values['date']!r} is not a date (YYYY-MM-DD)"
            )
            continue
        where = f"{source}: line {line_no}"
        if insee_codes is not None and values.get("insee") not in insee_codes:
            problems.append(
                f"{where}: insee: {values.get('insee')!r} is not a commune of the territory"
            )
            continue
        if unit_ids is not None and values.get("unit_id") not in unit_ids:
            known = ", ".join(sorted(unit_ids))
            problems.append(
                f"{where}: unit_id: {values.get('unit_id', '')[:80]!r} is not a unit of the scenario ({known})"
            )
            continue
        try:
            records.append(VisitRecord.model_validate(values))
        except ValidationError as exc:
            for error in exc.errors(include_url=False):
                field = ".".join(str(part) for part in error["loc"]) or "row"
                shown = f" {values[field]!r}:" if field in values else ""
                problems.append(
                    f"{source}: line {line_no}: {field}:{shown} "
                    f"{error['msg'].removeprefix('Value error, ')}"
                )
    if problems:
        raise ScenarioError(problems)
    return records


def import_csv(path: Path, csv_text: str, *, source: str) -> int:
    """Seed the history at ``path`` from a CSV (see :func:`import_csv_text`).

    All rows or none: a bad row raises before anything is written, and the rows go in
    one transaction. Weeks already recorded are kept; a row for the same date, commune
    and unit replaces the recorded one, so importing the same file twice changes nothing.

    Returns
    -------
    int
        How many visits were written.

    Raises
    ------
    ScenarioError
        A row is invalid (file, line, column and value).
    HistoryError
        The history file is not ours, or cannot be written.
    """
    records = import_csv_text(csv_text, source=source)
    return add_visits(path, records, replace_week=False)
