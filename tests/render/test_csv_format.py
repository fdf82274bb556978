"""The one CSV writer: French spreadsheet conventions by default, English on request (#13)."""

from __future__ import annotations

import csv
import io

import pytest

from itinerant.i18n import LANGUAGES, Language
from itinerant.render.csv_format import (
    CSV_COLUMN_KEYS,
    Cell,
    column_keys,
    csv_header,
    parse_number,
    read_csv_text,
    render_csv,
)

ROWS: list[list[Cell]] = [
    ["Hesdin-la-Forêt", 2.5, -3, 12_345, None, "annulée"],
    ["=HYPERLINK(1)", 0.1, 0, 1.0, "a;b", 'dit "oui"'],
]


def test_french_is_bom_semicolon_decimal_comma() -> None:
    """Read back the way a French spreadsheet reads it: ';' and ',' decimals, same values."""
    text = render_csv(["commune", "a", "b", "c", "d", "e"], ROWS, "fr")
    raw = text.encode("utf-8")
    assert raw.startswith(b"\xef\xbb\xbf")  # or Excel shows "annulÃ©e"
    assert "\r\n" in text
    body = raw.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body), delimiter=";"))
    assert rows[1] == ["Hesdin-la-Forêt", "2,5", "-3", "12345", "", "annulée"]
    assert rows[2][0] == "'=HYPERLINK(1)"  # text that would run as a formula
    assert rows[2][4:] == ["a;b", 'dit "oui"']  # quoted, not split
    for written, read in zip(ROWS, rows[1:], strict=True):
        for value, cell in zip(written, read, strict=True):
            if isinstance(value, int | float):
                assert parse_number(cell) == value


def test_english_is_comma_and_decimal_point() -> None:
    text = render_csv(["commune", "a", "b", "c", "d", "e"], ROWS, "en")
    rows = list(read_csv_text(text))
    assert rows[1] == ["Hesdin-la-Forêt", "2.5", "-3", "12345", "", "annulée"]
    assert text.startswith("\ufeffcommune,a,b")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_headers_read_back_to_their_keys(lang: Language) -> None:
    header = csv_header(CSV_COLUMN_KEYS, lang)
    assert column_keys(header) == list(CSV_COLUMN_KEYS)
    assert column_keys(["Code INSEE", " date prévue ", "2026-W49"]) == [
        "insee", "from_date", "2026-W49"
    ]  # fmt: skip
    labels = csv_header(CSV_COLUMN_KEYS, "fr")
    assert len(set(labels)) == len(labels)  # no two columns with one French header
