"""French conventions for dates, times and numbers; every key in both languages."""

from __future__ import annotations

import datetime as dt

import pytest

from itinerant import i18n

NNBSP = "\u202f"


def test_french_formats() -> None:
    assert i18n.format_date(dt.date(2026, 12, 8)) == "mardi 8 décembre"
    assert i18n.format_date(dt.date(2026, 12, 1), year=True) == "mardi 1er décembre 2026"
    assert i18n.format_clock(14 * 60 + 30) == f"14{NNBSP}h{NNBSP}30"
    assert i18n.format_clock(9 * 60 + 5) == f"9{NNBSP}h{NNBSP}05"
    assert i18n.format_distance_km(12_500) == f"12,5{NNBSP}km"
    assert i18n.format_number(29_540) == f"29{NNBSP}540"
    assert i18n.format_duration(65) == f"1{NNBSP}h{NNBSP}05"
    assert i18n.format_duration(45) == f"45{NNBSP}min"


def test_english_formats() -> None:
    assert i18n.format_date(dt.date(2026, 12, 8), "en") == "Tuesday 8 December"
    assert i18n.format_clock(14 * 60 + 30, "en") == "14:30"
    assert i18n.format_distance_km(12_500, "en") == "12.5 km"
    assert i18n.format_number(29_540, "en") == "29,540"


@pytest.mark.parametrize("key", sorted(i18n._TEXT))
def test_every_text_exists_in_both_languages(key: str) -> None:
    assert set(i18n._TEXT[key]) == set(i18n.LANGUAGES)
    for lang in i18n.LANGUAGES:
        assert i18n._TEXT[key][lang].strip()


def test_unknown_key_is_an_error() -> None:
    with pytest.raises(KeyError, match="no 'fr' text for 'nope'"):
        i18n.text("nope")
