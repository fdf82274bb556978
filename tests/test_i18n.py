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


def test_a_message_is_written_in_each_language() -> None:
    """The optimiser's reasons: dates, clocks, numbers and skills in the language asked."""
    day = dt.date(2026, 12, 2)
    blocker = i18n.Message(
        "stay.no_staff",
        {
            "day": day,
            "unit": "tiny house",
            "start": dt.time(8, 5),
            "end": dt.time(17, 50),
            "skills": ("driver_be", "fab_manager"),
            "role": "fab",
        },
    )
    why = i18n.Message("detail.no_stay", {"blocker": blocker})
    assert why.text("en") == (
        "no stay fits the staff's availability: Wednesday 2026-12-02, the tiny house is out "
        "08:05-17:50 and no staff member with driver_be + fab_manager is available then "
        "(crew role 'fab')"
    )
    assert why.text("fr") == (
        "aucun séjour ne tient dans les disponibilités de l'équipe : mercredi 2 décembre, "
        f"tiny house est dehors de 8{NNBSP}h{NNBSP}05 à 17{NNBSP}h{NNBSP}50 et personne avec "
        "driver_be + fab_manager n'est disponible à ces heures (rôle « fab »)"
    )
    value = i18n.Message("detail.lower_value", {"value": 1238, "score": 0.5, "urgency": 1.25})
    assert value.text("fr") == f"valeur 1{NNBSP}238 (score 0,50, urgence 1,25)"
    assert value.text("en") == "value 1,238 (score 0.50, urgency 1.25)"
    day_off = i18n.Message("summary.idle.day_off", {"unit": "Bus", "weekday": day})
    assert day_off.text("en") == "Bus does not work on Wednesdays (the unit's working days)"
    assert day_off.text("fr") == "Bus ne sort pas le mercredi (jours de travail de l'unité)"


def test_a_provenance_kept_in_english_is_shown_in_french() -> None:
    """The cache keeps "OSM extract ..."; a French user reads "extrait OSM ..." (#13)."""
    cached = "OSM extract andorra.osm.bz2, closed: N22"
    assert i18n.provenance(cached) == "extrait OSM andorra.osm.bz2, routes fermées : N22"
    assert i18n.provenance(cached, "en") == cached
    assert i18n.provenance("OSM download 1a2b (1,2)-(3,4)").startswith("téléchargement OSM 1a2b")
    assert i18n.provenance("bundled x.csv") == "fichier fourni x.csv"
