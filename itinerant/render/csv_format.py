"""The one CSV writer (and its reader) for every table itinerant produces.

French (the default) follows what a French spreadsheet expects: ``;`` between cells,
a decimal comma, French headers. English uses ``,`` and a decimal point. Both are UTF-8
with a byte-order mark (so that spreadsheets read accents right) and CRLF line ends
(RFC 4180). Text cells a spreadsheet would run as a formula are neutralised with a
leading ``'``; numbers are written as numbers (a negative number stays a number).
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from itinerant.i18n import text, text_keys

if TYPE_CHECKING:
    from _csv import Reader as _Reader

    from itinerant.i18n import Language

__all__ = [
    "CSV_DIALECTS",
    "Cell",
    "CsvDialect",
    "column_keys",
    "csv_header",
    "neutralise_cell",
    "parse_number",
    "read_csv_text",
    "render_csv",
    "unneutralise_cell",
]

Cell = str | int | float | None
"""A table cell: text, a number (formatted in the language), or None (empty)."""


@dataclass(frozen=True)
class CsvDialect:
    """How a language's spreadsheets read CSV."""

    delimiter: str
    decimal: str


CSV_DIALECTS: dict[Language, CsvDialect] = {
    "fr": CsvDialect(delimiter=";", decimal=","),
    "en": CsvDialect(delimiter=",", decimal="."),
}

_BOM = "\ufeff"
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value: str) -> str:
    """Prefix ``'`` to a cell a spreadsheet would read as a formula (CSV injection)."""
    return f"'{value}" if value.startswith(_FORMULA_STARTS) else value


def unneutralise_cell(value: str) -> str:
    """Undo :func:`neutralise_cell`, so that a table reads back as it was written."""
    return value[1:] if value.startswith("'") and value[1:].startswith(_FORMULA_STARTS) else value


def csv_header(keys: Sequence[str], lang: Language) -> list[str]:
    """Column headers of ``keys`` in ``lang`` (the ``csv.<key>`` labels of :mod:`i18n`)."""
    return [text(f"csv.{key}", lang) for key in keys]


def column_keys(headers: Sequence[str]) -> list[str]:
    """Map headers written in any language back to their column keys (unknown ones kept)."""
    known = {
        text(f"csv.{key}", lang).casefold(): key for key in CSV_COLUMN_KEYS for lang in CSV_DIALECTS
    }
    return [known.get(h.strip().casefold(), h.strip()) for h in headers]


def _cell(value: Cell, dialect: CsvDialect) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):  # a bool is an int: say what it means instead
        msg = "a CSV cell cannot be a bool"
        raise TypeError(msg)
    if isinstance(value, float):
        if not math.isfinite(value):
            return ""
        digits = repr(value) if "e" not in repr(value) else f"{value:.12f}".rstrip("0")
        return digits.removesuffix(".0").replace(".", dialect.decimal)
    if isinstance(value, int):
        return str(value)
    return neutralise_cell(value)


def render_csv(header: Sequence[str], rows: Iterable[Sequence[Cell]], lang: Language) -> str:
    """Render a table as CSV text in the conventions of ``lang`` (see the module docstring).

    Parameters
    ----------
    header
        The header row, usually :func:`csv_header` of the column keys.
    rows
        Cells in column order. Round floats to the decimals wanted before passing them.
    lang
        ``fr``: ``;`` and decimal comma; ``en``: ``,`` and decimal point.
    """
    dialect = CSV_DIALECTS[lang]
    buffer = io.StringIO()
    buffer.write(_BOM)
    writer = csv.writer(buffer, delimiter=dialect.delimiter, lineterminator="\r\n")
    writer.writerow([neutralise_cell(cell) for cell in header])
    for row in rows:
        writer.writerow([_cell(value, dialect) for value in row])
    return buffer.getvalue()


def read_csv_text(text_: str) -> _Reader:
    """Open CSV text written by :func:`render_csv` in any language, or by a spreadsheet.

    Returns a :func:`csv.reader` over the rows (header first), ``;`` or ``,`` separated,
    whichever the header line uses more, the byte-order mark removed.
    """
    body = text_.removeprefix(_BOM)
    first_line = body.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    return csv.reader(io.StringIO(body), delimiter=delimiter)


def parse_number(cell: str) -> float:
    """Read a number written with a decimal comma or a decimal point.

    Raises
    ------
    ValueError
        The cell is not a number.
    """
    return float(cell.strip().replace("\u202f", "").replace(",", "."))


CSV_COLUMN_KEYS: tuple[str, ...] = tuple(
    key.removeprefix("csv.") for key in text_keys("csv.") if key.count(".") == 1
)
"""Every column key a table uses: the ``csv.<key>`` headers of :mod:`i18n` (one home)."""
