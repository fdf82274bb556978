"""User-facing text in French (default) and English, and French number/date/time formats.

Every label that reaches an itinerary, a map, a report or a plan summary lives here,
not in the renderers. ``text(key, lang, **values)`` looks one up.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

__all__ = [
    "LANGUAGES",
    "Language",
    "format_clock",
    "format_date",
    "format_distance_km",
    "format_duration",
    "format_number",
    "text",
    "weekday_name",
]

Language = Literal["fr", "en"]
LANGUAGES: tuple[Language, ...] = ("fr", "en")

_NNBSP = "\u202f"  # narrow no-break space: French thousands separator and before units

_WEEKDAYS = {
    "fr": ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}
_MONTHS = {
    "fr": (
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ),
    "en": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
}

_TEXT: dict[str, dict[str, str]] = {
    # plan and tours
    "week": {"fr": "Semaine {week}", "en": "Week {week}"},
    "unit": {"fr": "Unité", "en": "Unit"},
    "crew": {"fr": "Équipe", "en": "Crew"},
    "depot": {"fr": "Dépôt", "en": "Depot"},
    "departure": {"fr": "Départ", "en": "Departure"},
    "arrival": {"fr": "Arrivée", "en": "Arrival"},
    "return": {"fr": "Retour", "en": "Return"},
    "session": {"fr": "Séance", "en": "Session"},
    "setup": {"fr": "Installation", "en": "Set-up"},
    "packup": {"fr": "Rangement", "en": "Pack-up"},
    "lunch": {"fr": "Pause déjeuner", "en": "Lunch break"},
    "drive": {"fr": "Trajet", "en": "Drive"},
    "venue": {"fr": "Lieu", "en": "Venue"},
    "address": {"fr": "Adresse", "en": "Address"},
    "commune": {"fr": "Commune", "en": "Commune"},
    "stop": {"fr": "Étape", "en": "Stop"},
    "stay": {
        "fr": "Séjour sur place (jour {day} sur {days})",
        "en": "Stay on site (day {day} of {days})",
    },
    "totals": {"fr": "Totaux", "en": "Totals"},
    "approximate": {
        "fr": "Distances approximatives (à vol d'oiseau × {circuity}) : aucun réseau routier",
        "en": "Approximate distances (straight line × {circuity}): no road network",
    },
    "not_visited": {"fr": "Communes non visitées", "en": "Communes not visited"},
    "no_tour": {"fr": "Aucune tournée", "en": "No tour"},
    # reasons a commune is not visited
    "reason.no_window_on_crewed_day": {
        "fr": "aucun créneau d'ouverture un jour où une unité a son équipe",
        "en": "no opening window on a day a unit is crewed",
    },
    "reason.too_far_for_day": {
        "fr": "trop loin pour tenir dans la journée",
        "en": "too far to fit in a day",
    },
    "reason.lower_value": {
        "fr": "moins prioritaire que les visites retenues",
        "en": "lower value than the visits made",
    },
    "reason.unit_not_allowed": {
        "fr": "aucune unité autorisée ne sort cette semaine",
        "en": "no allowed unit goes out this week",
    },
    "reason.excluded": {"fr": "exclue par le scénario", "en": "excluded by the scenario"},
    "reason.closed": {"fr": "fermée cette semaine", "en": "closed this week"},
    # plan summary (command line)
    "summary.header": {
        "fr": "{scenario} — semaine {week} : {tours} tournée(s), {visits} visite(s), "
        "{communes} commune(s), {population} habitants",
        "en": "{scenario} — week {week}: {tours} tour(s), {visits} visit(s), "
        "{communes} commune(s), population {population}",
    },
    "summary.effort": {
        "fr": "{km} parcourus, {drive} de route, {onsite} sur place",
        "en": "{km} driven, {drive} driving, {onsite} on site",
    },
    "summary.dropped": {
        "fr": "{count} commune(s) non visitée(s) cette semaine",
        "en": "{count} commune(s) not visited this week",
    },
}


def text(key: str, lang: Language = "fr", /, **values: object) -> str:
    """Return the label ``key`` in ``lang``, with ``values`` filled in."""
    try:
        template = _TEXT[key][lang]
    except KeyError:
        msg = f"no {lang!r} text for {key!r}"
        raise KeyError(msg) from None
    return template.format(**values) if values else template


def weekday_name(day: dt.date, lang: Language = "fr") -> str:
    """Return the weekday name: ``mardi`` / ``Tuesday``."""
    return _WEEKDAYS[lang][day.weekday()]


def format_date(
    day: dt.date, lang: Language = "fr", *, weekday: bool = True, year: bool = False
) -> str:
    """Format a date: ``mardi 8 décembre`` / ``Tuesday 8 December``."""
    number = "1er" if lang == "fr" and day.day == 1 else str(day.day)
    parts = [weekday_name(day, lang)] if weekday else []
    parts += [number, _MONTHS[lang][day.month - 1]]
    if year:
        parts.append(str(day.year))
    return " ".join(parts)


def format_clock(minutes: int, lang: Language = "fr") -> str:
    """Format minutes since midnight: ``14 h 30`` / ``14:30``."""
    hours, mins = divmod(int(minutes), 60)
    if lang == "fr":
        return f"{hours}{_NNBSP}h{_NNBSP}{mins:02d}"
    return f"{hours:02d}:{mins:02d}"


def format_duration(minutes: float, lang: Language = "fr") -> str:
    """Format a duration: ``1 h 05`` or ``45 min`` (``1 h 05 min`` / ``45 min`` in English)."""
    total = round(minutes)
    hours, mins = divmod(total, 60)
    if hours == 0:
        return f"{mins}{_NNBSP if lang == 'fr' else ' '}min"
    if lang == "fr":
        return f"{hours}{_NNBSP}h{_NNBSP}{mins:02d}"
    return f"{hours} h {mins:02d} min"


def format_number(value: float, lang: Language = "fr", *, decimals: int = 0) -> str:
    """Format a number: ``12 345,5`` in French, ``12,345.5`` in English."""
    formatted = f"{value:,.{decimals}f}"
    if lang == "fr":
        return formatted.replace(",", _NNBSP).replace(".", ",")
    return formatted


def format_distance_km(metres: float, lang: Language = "fr") -> str:
    """Format a distance in km with one decimal: ``12,5 km`` / ``12.5 km``."""
    separator = _NNBSP if lang == "fr" else " "
    return f"{format_number(metres / 1000, lang, decimals=1)}{separator}km"
