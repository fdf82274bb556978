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
    # rendered outputs: itineraries, calendars, maps, schedule (itinerant.render)
    "field": {"fr": "{label} : {value}", "en": "{label}: {value}"},
    "sheet.title": {"fr": "Feuille de route", "en": "Itinerary"},
    "sheet.week_title": {
        "fr": "Feuilles de route — semaine {week}",
        "en": "Itineraries — week {week}",
    },
    "sheet.leave_depot": {"fr": "Départ du dépôt", "en": "Leave the depot"},
    "sheet.back_depot": {"fr": "Retour au dépôt", "en": "Back at the depot"},
    "sheet.shift": {"fr": "Service {start} – {end}", "en": "Shift {start} – {end}"},
    "sheet.session_hours": {"fr": "Séance {start} – {end}", "en": "Session {start} – {end}"},
    "sheet.arrive_at": {"fr": "Arrivée {time}", "en": "Arrive {time}"},
    "sheet.leave_at": {"fr": "Départ {time}", "en": "Leave {time}"},
    "sheet.from_previous": {"fr": "Depuis l'étape précédente", "en": "From the previous stop"},
    "sheet.drive_leg": {"fr": "{duration} · {distance}", "en": "{duration} · {distance}"},
    "sheet.no_setup": {"fr": "déjà installé", "en": "already set up"},
    "sheet.no_packup": {"fr": "on laisse installé", "en": "left set up"},
    "sheet.navigation": {"fr": "Navigation", "en": "Navigation"},
    "sheet.qr_hint": {
        "fr": "QR code : scanner avec le téléphone pour lancer la navigation vers l'étape.",
        "en": "QR code: scan with a phone to start navigation to the stop.",
    },
    "sheet.total_drive": {"fr": "Conduite", "en": "Driving"},
    "sheet.total_distance": {"fr": "Distance", "en": "Distance"},
    "sheet.total_on_site": {"fr": "Sur place", "en": "On site"},
    "sheet.total_span": {"fr": "Amplitude", "en": "Day span"},
    "sheet.visits": {"fr": "Visites", "en": "Visits"},
    "sheet.sketch": {"fr": "Plan du trajet", "en": "Route sketch"},
    "sheet.sketch_road": {"fr": "trajet routier", "en": "road route"},
    "sheet.sketch_approx": {
        "fr": "trajet approximatif (ligne droite)",
        "en": "approximate route (straight line)",
    },
    "sheet.map_link": {
        "fr": "Carte interactive de la tournée",
        "en": "Interactive map of the tour",
    },
    "sheet.generated": {
        "fr": "Plan « {scenario} » du {date}",
        "en": "Plan “{scenario}” of {date}",
    },
    "sheet.approx_short": {"fr": "APPROXIMATIF", "en": "APPROXIMATE"},
    "sheet.coordinates": {"fr": "Coordonnées", "en": "Coordinates"},
    "sheet.no_tours": {"fr": "Aucune tournée cette semaine.", "en": "No tour this week."},
    "map.week_title": {"fr": "Tournées — semaine {week}", "en": "Tours — week {week}"},
    "map.tour_title": {"fr": "{unit} — {date}", "en": "{unit} — {date}"},
    "map.offline_base": {"fr": "Fond hors ligne (communes)", "en": "Offline base (communes)"},
    "map.online_base": {
        "fr": "OpenStreetMap (en ligne)",
        "en": "OpenStreetMap (online)",
    },
    "map.demand": {"fr": "Besoin estimé (score)", "en": "Estimated need (score)"},
    "map.score": {"fr": "score {score}", "en": "score {score}"},
    "map.legend": {"fr": "Légende", "en": "Legend"},
    "map.road_route": {"fr": "trajet routier", "en": "road route"},
    "map.approx_route": {
        "fr": "trajet approximatif (ligne droite)",
        "en": "approximate route (straight line)",
    },
    "map.stop_number": {"fr": "étape n°", "en": "stop no."},
    "calendar.name": {"fr": "Tournées — {who}", "en": "Tours — {who}"},
    "calendar.summary": {"fr": "{unit} : {commune} — {venue}", "en": "{unit}: {commune} — {venue}"},
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
