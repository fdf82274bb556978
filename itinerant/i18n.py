"""User-facing text in French (default) and English, and French number/date/time formats.

Every label that reaches an itinerary, a map, a report or a plan summary lives here,
not in the renderers. ``text(key, lang, **values)`` looks one up.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "LANGUAGES",
    "Language",
    "Message",
    "approximate_note",
    "format_clock",
    "format_date",
    "format_distance_km",
    "format_duration",
    "format_number",
    "format_ratio",
    "provenance",
    "text",
    "text_keys",
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
    # comparison report and rotation calendar (itinerant.render.report)
    "report.title": {
        "fr": "Comparaison de scénarios — {weeks} semaine(s) à partir de {week}",
        "en": "Scenario comparison — {weeks} week(s) from {week}",
    },
    "report.scenarios": {"fr": "Scénarios comparés", "en": "Scenarios compared"},
    "report.file": {"fr": "Fichier", "en": "File"},
    "report.name": {"fr": "Nom", "en": "Name"},
    "report.elapsed": {"fr": "Durée du calcul", "en": "Run time"},
    "report.seconds": {"fr": "{seconds} s", "en": "{seconds} s"},
    "report.workers": {
        "fr": "{count} scénario(s) calculé(s) en parallèle sur {workers} processus, en {seconds} s.",
        "en": "{count} scenario(s) run in parallel on {workers} process(es), in {seconds} s.",
    },
    "report.differences": {
        "fr": "Ce qui change d'un scénario à l'autre",
        "en": "What differs between the scenarios",
    },
    "report.no_differences": {
        "fr": "Les scénarios sont identiques.",
        "en": "The scenarios are identical.",
    },
    "report.field": {"fr": "Ce qui change", "en": "What"},
    "report.indicators": {"fr": "Indicateurs", "en": "Indicators"},
    "report.indicator": {"fr": "Indicateur", "en": "Indicator"},
    "report.best_note": {
        "fr": "★ en gras : la meilleure valeur de la ligne (rien quand tous sont égaux).",
        "en": "★ in bold: the best value of the row (none when all are equal).",
    },
    "report.group.reach": {"fr": "Couverture", "en": "Reach"},
    "report.group.fairness": {"fr": "Équité", "en": "Fairness"},
    "report.group.effort": {"fr": "Effort et coût", "en": "Effort and cost"},
    "report.charts": {"fr": "Graphiques", "en": "Charts"},
    "report.chart_scatter": {
        "fr": "Visites par commune selon le score de besoin",
        "en": "Visits per commune against demand score",
    },
    "report.chart_reach": {
        "fr": "Part de la population à moins de 15 min d'une séance, semaine par semaine",
        "en": "Share of the population within 15 min of a session, week by week",
    },
    "report.maps": {"fr": "Communes visitées", "en": "Communes reached"},
    "report.axis_score": {"fr": "score de besoin", "en": "demand score"},
    "report.axis_visits": {"fr": "visites sur la période", "en": "visits over the horizon"},
    "report.axis_share": {
        "fr": "population à moins de 15 min (%)",
        "en": "population within 15 min (%)",
    },
    "report.legend_visits": {"fr": "visites", "en": "visits"},
    "report.never": {"fr": "jamais visitée", "en": "never visited"},
    "report.warnings": {"fr": "Avertissements", "en": "Warnings"},
    "report.calendars": {"fr": "Calendriers de rotation", "en": "Rotation calendars"},
    "report.method": {"fr": "Méthode", "en": "Method"},
    "report.method_reach": {
        "fr": "Couverture : une commune est « à moins de 15 min » d'une séance quand le trajet "
        "de son arrêt à un arrêt visité la semaine (elle-même comprise) dure au plus 15 min sur "
        "la matrice de temps de trajet du scénario (véhicule de la première unité) ; la part de "
        "population est la moyenne des semaines. L'intervalle entre deux visites est compté en "
        "jours dans la période (un séjour de plusieurs jours compte pour une visite).",
        "en": "Reach: a commune is 'within 15 min' of a session when the drive from its stop "
        "to a stop visited that week (itself included) takes at most 15 min on the scenario's "
        "travel matrix (its first unit's vehicle); the population share is the mean over the "
        "weeks. The interval between two visits is counted in days within the horizon (a "
        "multi-day stay counts as one visit).",
    },
    "report.method_fairness": {
        "fr": "Équité : indice de concentration de Gini des visites v par rapport à un poids w "
        "(population, ou score de besoin) : communes triées par v/w croissant, parts cumulées "
        "X des poids et Y des visites, G = 1 − Σ (X_k − X_{k−1})(Y_k + Y_{k−1}). G = 0 quand "
        "les visites sont proportionnelles au poids, proche de 1 quand elles se concentrent "
        "sur peu de communes. Part du besoin servie = somme des scores des communes visitées "
        "/ somme de tous les scores.",
        "en": "Fairness: Gini concentration index of the visits v against a weight w "
        "(population, or demand score): communes sorted by increasing v/w, cumulative shares X "
        "of the weights and Y of the visits, G = 1 − Σ (X_k − X_{k−1})(Y_k + Y_{k−1}). G = 0 "
        "when visits are proportional to the weight, near 1 when they concentrate on a few "
        "communes. Demand share served = sum of the scores of the communes visited / sum of "
        "all scores.",
    },
    "report.method_effort": {
        "fr": "Effort : km de tous les trajets (y compris ceux de l'équipe vers une tiny house "
        "restée sur place) et km des unités elles-mêmes ; carburant = km des unités × "
        "consommation / 100, CO2 = carburant × facteur d'émission, coût = km des unités × coût "
        "au km. Le coût du personnel n'est pas compté (le scénario n'a pas de taux horaire) ; "
        "les heures de personnel sont les amplitudes des tournées de chaque membre d'équipage.",
        "en": "Effort: km of every trip (the crew's trips to a tiny house staying on site "
        "included) and km of the units themselves; fuel = unit km × consumption / 100, CO2 = "
        "fuel × emission factor, cost = unit km × cost per km. Staff cost is not counted (the "
        "scenario has no hourly rate); staff hours are the tour spans of each crew member.",
    },
    "indicator.communes_reached": {
        "fr": "Communes visitées au moins une fois",
        "en": "Communes visited at least once",
    },
    "indicator.population_reached": {
        "fr": "Population de ces communes",
        "en": "Population of those communes",
    },
    "indicator.reach_share": {
        "fr": "Population à moins de 15 min d'une séance (moyenne hebdomadaire)",
        "en": "Population within 15 min of a session (weekly mean)",
    },
    "indicator.mean_interval_days": {
        "fr": "Intervalle moyen entre deux visites (jours)",
        "en": "Mean interval between two visits (days)",
    },
    "indicator.max_interval_days": {
        "fr": "Intervalle maximal entre deux visites (jours)",
        "en": "Longest interval between two visits (days)",
    },
    "indicator.communes_never_visited": {
        "fr": "Communes jamais visitées",
        "en": "Communes never visited",
    },
    "indicator.visits": {"fr": "Séances", "en": "Sessions"},
    "indicator.visits_per_1000": {
        "fr": "Séances pour 1 000 habitants",
        "en": "Sessions per 1,000 inhabitants",
    },
    "indicator.concentration_population": {
        "fr": "Concentration des séances / population (Gini)",
        "en": "Concentration of sessions vs population (Gini)",
    },
    "indicator.concentration_demand": {
        "fr": "Concentration des séances / besoin (Gini)",
        "en": "Concentration of sessions vs demand (Gini)",
    },
    "indicator.demand_share_served": {
        "fr": "Part du besoin servie (scores des communes visitées)",
        "en": "Demand share served (scores of communes visited)",
    },
    "indicator.km_driven": {"fr": "Km parcourus (tous trajets)", "en": "Km driven (all trips)"},
    "indicator.unit_km": {"fr": "Km des unités", "en": "Km driven by the units"},
    "indicator.driving_h": {"fr": "Heures de route", "en": "Driving hours"},
    "indicator.on_site_h": {"fr": "Heures sur place", "en": "On-site hours"},
    "indicator.staff_h": {"fr": "Heures de personnel", "en": "Staff hours"},
    "indicator.fuel_l": {"fr": "Carburant (l)", "en": "Fuel (l)"},
    "indicator.co2_kg": {"fr": "CO2 (kg)", "en": "CO2 (kg)"},
    "indicator.cost_eur": {
        "fr": "Coût kilométrique (€, hors personnel)",
        "en": "Mileage cost (€, staff excluded)",
    },
    "indicator.staff_cost_eur": {
        "fr": "Coût du personnel (€, heures × coût horaire)",
        "en": "Staff cost (€, hours × hourly cost)",
    },
    "indicator.total_cost_eur": {"fr": "Coût total (€)", "en": "Total cost (€)"},
    "rotation.title": {
        "fr": "Calendrier de rotation — {scenario}",
        "en": "Rotation calendar — {scenario}",
    },
    "rotation.subtitle": {
        "fr": "{weeks} semaine(s), de {first} à {last} : quelle unité est passée, et quel jour",
        "en": "{weeks} week(s), {first} to {last}: which unit visited, and on which day",
    },
    "rotation.population": {"fr": "Habitants", "en": "Population"},
    "rotation.score": {"fr": "Score", "en": "Score"},
    "rotation.visits": {"fr": "Visites", "en": "Visits"},
    "rotation.units": {"fr": "Unités", "en": "Units"},
    # replanning: the change list, to tell the communes concerned
    "change.kept": {"fr": "maintenue", "en": "kept"},
    "change.moved": {"fr": "déplacée", "en": "moved"},
    "change.retimed": {"fr": "horaire modifié", "en": "new time"},
    "change.cancelled": {"fr": "annulée", "en": "cancelled"},
    "change.added": {"fr": "ajoutée", "en": "added"},
    "change.unchanged_day": {"fr": "jour inchangé (fait)", "en": "unchanged day (done)"},
    "change.reason.closed": {"fr": "lieu fermé", "en": "venue closed"},
    "change.reason.unit unavailable": {"fr": "unité indisponible", "en": "unit unavailable"},
    "change.reason.crew absent": {"fr": "équipe absente", "en": "crew absent"},
    "change.reason.road closed": {"fr": "route fermée", "en": "road closed"},
    "change.reason.no longer fits": {
        "fr": "ne tient plus dans la journée",
        "en": "no longer fits in the day",
    },
    "change.title": {"fr": "Replanifié à partir du {date}.", "en": "Replanned from {date}."},
    "change.done_days": {
        "fr": "Jours inchangés (faits) : {days}",
        "en": "Unchanged (done): {days}",
    },
    "change.roads": {"fr": "Routes fermées : {roads}", "en": "Roads closed: {roads}"},
    # search limits and skip reasons (determinism: what ended each search)
    "reason.outside_staff_availability": {
        "fr": "hors des disponibilités de l'équipe",
        "en": "outside the staff's availability",
    },
    "summary.search": {
        "fr": "Recherche : équipes {roster} ; tournées {routing}",
        "en": "Search: roster {roster}; routes {routing}",
    },
    "search.optimal": {"fr": "optimum prouvé", "en": "proven optimal"},
    "search.work_limit": {
        "fr": "arrêt sur le budget de calcul",
        "en": "stopped on its work budget",
    },
    "search.solution_limit": {
        "fr": "arrêt sur le budget de {work} solutions",
        "en": "stopped on its budget of {work} solutions",
    },
    "search.time_limit": {
        "fr": "ARRÊT SUR LA LIMITE DE TEMPS",
        "en": "STOPPED ON THE TIME LIMIT",
    },
    "search.local_optimum": {"fr": "optimum local atteint", "en": "local optimum reached"},
    "search.no_search": {"fr": "rien à chercher", "en": "nothing to search"},
    "search.unknown": {"fr": "arrêt inattendu", "en": "unexpected stop"},
    "search.greedy": {
        "fr": "répartition simple (la recherche n'a rien trouvé dans son budget)",
        "en": "simple roster (the search found none within its budget)",
    },
    "search.gap": {
        "fr": "écart à la borne supérieure {gap} %",
        "en": "gap to the upper bound {gap} %",
    },
    "summary.time_limit": {
        "fr": "Attention : la limite de temps (solver.time_limit_s = {limit} s) a arrêté la "
        "recherche ({which}) avant son budget de calcul : ce plan dépend de la machine et de "
        "sa charge. Augmentez solver.time_limit_s, ou baissez le budget "
        "(solver.roster_work_limit, solver.solution_limit).",
        "en": "Warning: the time limit (solver.time_limit_s = {limit} s) ended the search "
        "({which}) before its work budget: this plan depends on the machine and its load. "
        "Raise solver.time_limit_s, or lower the budget (solver.roster_work_limit, "
        "solver.solution_limit).",
    },
    "search.roster": {"fr": "équipes", "en": "roster"},
    "search.routing": {"fr": "tournées", "en": "routes"},
    # CSV tables (#13): column headers; English keeps the machine names
    "csv.date": {"fr": "date", "en": "date"},
    "csv.unit_id": {"fr": "code unité", "en": "unit_id"},
    "csv.unit": {"fr": "unité", "en": "unit"},
    "csv.crew": {"fr": "équipage", "en": "crew"},
    "csv.stop": {"fr": "étape", "en": "stop"},
    "csv.commune": {"fr": "commune", "en": "commune"},
    "csv.insee": {"fr": "code INSEE", "en": "insee"},
    "csv.venue": {"fr": "lieu", "en": "venue"},
    "csv.address": {"fr": "adresse", "en": "address"},
    "csv.arrival": {"fr": "arrivée", "en": "arrival"},
    "csv.session_start": {"fr": "début séance", "en": "session_start"},
    "csv.session_end": {"fr": "fin séance", "en": "session_end"},
    "csv.departure": {"fr": "départ", "en": "departure"},
    "csv.drive_min": {"fr": "trajet (min)", "en": "drive_min"},
    "csv.distance_m": {"fr": "distance (m)", "en": "distance_m"},
    "csv.change": {"fr": "changement", "en": "change"},
    "csv.from_date": {"fr": "date prévue", "en": "from_date"},
    "csv.from_time": {"fr": "heure prévue", "en": "from_time"},
    "csv.from_unit": {"fr": "unité prévue", "en": "from_unit"},
    "csv.from_crew": {"fr": "équipage prévu", "en": "from_crew"},
    "csv.to_date": {"fr": "nouvelle date", "en": "to_date"},
    "csv.to_time": {"fr": "nouvelle heure", "en": "to_time"},
    "csv.to_unit": {"fr": "nouvelle unité", "en": "to_unit"},
    "csv.to_crew": {"fr": "nouvel équipage", "en": "to_crew"},
    "csv.reason": {"fr": "motif", "en": "reason"},
    "csv.week": {"fr": "semaine", "en": "week"},
    "csv.stop_id": {"fr": "code étape", "en": "stop_id"},
    "csv.status": {"fr": "statut", "en": "status"},
    "csv.start_time": {"fr": "heure de début", "en": "start_time"},
    "csv.source": {"fr": "source", "en": "source"},
    "csv.population": {"fr": "habitants", "en": "population"},
    "csv.visits": {"fr": "visites", "en": "visits"},
    "csv.indicator": {"fr": "indicateur", "en": "indicator"},
    "csv.label": {"fr": "libellé", "en": "label"},
    "csv.best": {"fr": "meilleur", "en": "best"},
    "csv.status.done": {"fr": "faite", "en": "done"},
    "csv.status.cancelled": {"fr": "annulée", "en": "cancelled"},
    # replanning (#13): a crew change is a change
    "change.recrewed": {"fr": "équipe modifiée", "en": "new crew"},
    "change.ignored_dates": {
        "fr": "{option} : {days} ignorée(s) (avant le {start}, déjà fait, ou pas un jour "
        "travaillé de la semaine)",
        "en": "{option}: {days} ignored (before {start}, done already, or not a working day "
        "of the week)",
    },
    # plan summary (#13): which unit-days stay home and why, in the scenario's language
    "summary.colon": {"fr": " : ", "en": ": "},
    "summary.idle": {
        "fr": "{count} jour(s)-unité sans sortie :",
        "en": "{count} unit-day(s) without a tour:",
    },
    "summary.idle.day_off": {
        "fr": "{unit} ne sort pas le {weekday} (jours de travail de l'unité)",
        "en": "{unit} does not work on {weekday}s (the unit's working days)",
    },
    "summary.idle.unavailable": {
        "fr": "{unit} indisponible ce jour-là",
        "en": "{unit} unavailable that day",
    },
    "summary.idle.no_staff": {
        "fr": "{unit} reste au dépôt : personne avec {skills} ne travaille le {weekday} "
        "(rôle « {role} »)",
        "en": "{unit} stays at the depot: nobody with {skills} works on {weekday} (role '{role}')",
    },
    "summary.idle.roster": {
        "fr": "{unit} reste au dépôt : son équipe est plus utile ailleurs, ou aucune visite "
        "ne vaut le trajet",
        "en": "{unit} stays at the depot: its crew is more useful elsewhere, or no visit is "
        "worth the trip",
    },
    # comparison report (#13): differences in words, from the first scenario
    "diff.none": {"fr": "—", "en": "—"},
    "diff.yes": {"fr": "oui", "en": "yes"},
    "diff.no": {"fr": "non", "en": "no"},
    "diff.present": {"fr": "présente", "en": "present"},
    "diff.missing": {"fr": "absente", "en": "absent"},
    "diff.units": {"fr": "Unité {name}", "en": "Unit {name}"},
    "diff.units_removed": {"fr": "{name} retirée", "en": "{name} removed"},
    "diff.units_added": {"fr": "{name} ajoutée", "en": "{name} added"},
    "diff.staff": {"fr": "Personnel : {name}", "en": "Staff: {name}"},
    "diff.staff_removed": {"fr": "{name} ne fait plus partie du personnel", "en": "{name} removed"},
    "diff.staff_added": {"fr": "{name} rejoint le personnel", "en": "{name} added"},
    "diff.communes": {"fr": "Règle de la commune {name}", "en": "Rule for commune {name}"},
    "diff.communes_removed": {"fr": "règle de {name} retirée", "en": "rule for {name} removed"},
    "diff.communes_added": {"fr": "règle de {name} ajoutée", "en": "rule for {name} added"},
    "diff.skills": {"fr": "compétences", "en": "skills"},
    "diff.skill_removed": {"fr": "compétence {item} retirée", "en": "skill {item} removed"},
    "diff.skill_added": {"fr": "compétence {item} ajoutée", "en": "skill {item} added"},
    "diff.item_removed": {"fr": "{item} en moins", "en": "{item} removed"},
    "diff.item_added": {"fr": "{item} en plus", "en": "{item} added"},
    "report.compared_to": {
        "fr": "Chaque colonne après la première dit ce qui change par rapport à « {first} » "
        "(= : pareil).",
        "en": "Each column after the first says what changes from “{first}” (=: the same).",
    },
    "report.not_ranked_no_rate": {
        "fr": "non classé : aucun coût horaire donné",
        "en": "not ranked: no hourly cost given",
    },
    "report.excluded": {"fr": "exclue par le scénario", "en": "excluded by the scenario"},
    "indicator.communes_excluded": {
        "fr": "Communes exclues par le scénario",
        "en": "Communes excluded by the scenario",
    },
    # console lines (#13): what the commands print
    "cli.warning": {"fr": "Avertissement : {message}", "en": "Warning: {message}"},
    "cli.written": {
        "fr": "Écrit dans {folder}/ : {count} fichier(s) ({names})",
        "en": "Written to {folder}/: {count} file(s) ({names})",
    },
    "cli.written_file": {"fr": "Écrit : {path}", "en": "Written: {path}"},
    "cli.history_added": {
        "fr": "semaine {week} : {count} visite(s) enregistrée(s) ({done} faite(s), "
        "{cancelled} annulée(s)) dans {path}",
        "en": "week {week}: {count} visit(s) recorded ({done} done, {cancelled} cancelled) "
        "in {path}",
    },
    "cli.history_count": {"fr": "{count} visite(s)", "en": "{count} visit(s)"},
    "cli.history_cancelled": {
        "fr": "{count} visite(s) marquée(s) annulée(s)",
        "en": "{count} visit(s) marked cancelled",
    },
    "cli.history_imported": {
        "fr": "{count} visite(s) importée(s) dans {path}",
        "en": "{count} visit(s) imported into {path}",
    },
    "cli.unused_skill": {
        "fr": "Note : {where} : aucune unité n'a besoin de la compétence {skill!r} de {name} "
        "(sans effet sur le plan)",
        "en": "Note: {where}: no unit needs {name}'s skill {skill!r} (no effect on the plan)",
    },
    "cli.did_you_mean": {
        "fr": " ; vouliez-vous dire {skill!r} ?",
        "en": "; did you mean {skill!r}?",
    },
    "cli.week_folders": {
        "fr": "et un dossier par semaine : {weeks}",
        "en": "and one folder per week: {weeks}",
    },
    "cli.compare_run": {
        "fr": "{label} : {reached}/{total} communes, {visits} séances, {km}, {seconds} s",
        "en": "{label}: {reached}/{total} communes, {visits} sessions, {km}, {seconds} s",
    },
    "network.none": {
        "fr": "Réseau routier : aucun (estimations à vol d'oiseau, approximatives)",
        "en": "Road network: none (straight-line estimates, approximate)",
    },
    "network.snapped": {
        "fr": "Réseau routier : {source} ; étapes raccordées à moins de {metres} m "
        "(la plus loin : {farthest})",
        "en": "Road network: {source}; stops snapped to it within {metres} m "
        "(farthest: {farthest})",
    },
    "network.warn_straight": {
        "fr": "le scénario demande des lignes droites",
        "en": "the scenario asks for straight lines",
    },
    "network.warn_missing": {
        "fr": "aucun fichier de réseau routier, cache ou téléchargement disponible",
        "en": "no road network file, cache or download is available",
    },
    "network.warn_approximate": {
        "fr": "{reason} : les temps de trajet sont des distances à vol d'oiseau × {circuity}, "
        "et chaque sortie est marquée approximative. Lancez `itinerant network fetch` une fois "
        "en ligne, ou donnez dans network.path un extrait OSM.",
        "en": "{reason}: travel times are straight-line distances × {circuity}, and every "
        "output is marked approximate. Run `itinerant network fetch` when online, or set "
        "network.path to an OSM extract.",
    },
    # who to call, on the sheets and in the staff calendars; the working-day events (#13)
    "colon": {"fr": "\u00a0: ", "en": ": "},
    "contact.coordinator": {"fr": "Coordination", "en": "Coordinator"},
    "contact.no_coordinator": {
        "fr": "non indiquée (à renseigner dans le scénario : contacts.coordinator)",
        "en": "not given (set contacts.coordinator in the scenario)",
    },
    "contact.delay_or_breakdown": {
        "fr": "En cas de retard ou de panne",
        "en": "If late or broken down",
    },
    "contact.on_site": {"fr": "Contact sur place", "en": "On-site contact"},
    "contact.phone": {"fr": "tél. {phone}", "en": "tel. {phone}"},
    "calendar.day_summary": {"fr": "{unit} : {communes}", "en": "{unit}: {communes}"},
    "calendar.stop_line": {
        "fr": "{rank}. {venue}, {commune} : arrivée {arrival}, séance {start} – {end}",
        "en": "{rank}. {venue}, {commune}: arrive {arrival}, session {start} – {end}",
    },
    # why a unit-day stays home or a commune is left out, in plan.json (#13: i18n.Message)
    "idle.unavailable": {
        "fr": "{unit} indisponible le {day}",
        "en": "{unit} is unavailable on {day}",
    },
    "idle.no_staff": {
        "fr": "{day} : personne avec {skills} n'est disponible, {unit} ne peut pas sortir "
        "(rôle « {role} »)",
        "en": "{day}: no staff member with {skills} is available, so the {unit} cannot go out "
        "(crew role '{role}')",
    },
    "idle.not_distinct": {
        "fr": "{day} : pas assez de personnes différentes pour tenir chaque rôle de l'équipe, "
        "{unit} ne peut pas sortir",
        "en": "{day}: not enough distinct staff members to fill every crew role, so the {unit} "
        "cannot go out",
    },
    "idle.roster": {
        "fr": "{day} : {unit} reste au dépôt (son équipe est plus utile ailleurs, hors de ses "
        "horaires, ou aucune visite ne tient)",
        "en": "{day}: the {unit} stays at the depot (its crew is more useful elsewhere, out of "
        "hours, or no visit fits)",
    },
    "idle.no_visit": {
        "fr": "{day} : équipe prévue, mais aucune visite ne vaut le trajet",
        "en": "{day}: crewed, but no visit is worth the trip",
    },
    "stay.no_staff": {
        "fr": "{day}, {unit} est dehors de {start} à {end} et personne avec {skills} n'est "
        "disponible à ces heures (rôle « {role} »)",
        "en": "{day}, the {unit} is out {start}-{end} and no staff member with {skills} is "
        "available then (crew role '{role}')",
    },
    "stay.not_distinct": {
        "fr": "{day}, {unit} est dehors de {start} à {end} et pas assez de personnes "
        "différentes sont disponibles à ces heures pour tenir chaque rôle de l'équipe",
        "en": "{day}, the {unit} is out {start}-{end} and not enough distinct staff members "
        "are available then to fill every crew role",
    },
    "detail.excluded_rule": {
        "fr": "exclue par une règle de commune",
        "en": "excluded by a commune rule",
    },
    "detail.no_visits_allowed": {
        "fr": "max_visits_per_week vaut 0",
        "en": "max_visits_per_week is 0",
    },
    "detail.no_unit": {
        "fr": "aucune unité ne peut s'y arrêter",
        "en": "no unit may stop there",
    },
    "detail.no_stay": {
        "fr": "aucun séjour ne tient dans les disponibilités de l'équipe : {blocker}",
        "en": "no stay fits the staff's availability: {blocker}",
    },
    "detail.closed": {
        "fr": "fermée les jours où ses unités sortent",
        "en": "closed on the days its units go out",
    },
    "detail.closed_by_rule": {
        "fr": "fermée les jours où ses unités sortent (ouverte {rule} seulement, zone {zone})",
        "en": "closed on the days its units go out (open in {rule} only, zone {zone})",
    },
    "detail.rule.term_time": {"fr": "en période scolaire", "en": "term time"},
    "detail.rule.holidays": {"fr": "pendant les vacances scolaires", "en": "the school holidays"},
    "cli.existing_services": {
        "fr": "Services existants : {count} commune(s) à moins de {minutes} min d'un point de "
        "service ont leur score multiplié par {factor}",
        "en": "Existing services: {count} commune(s) within {minutes} min of a service point "
        "have their score multiplied by {factor}",
    },
    "detail.too_far": {
        "fr": "aucune journée depuis le dépôt ne permet la visite (plafond de conduite, "
        "service, créneaux)",
        "en": "no day out of the depot fits a visit (driving cap, shift, windows)",
    },
    "detail.lower_value": {
        "fr": "valeur {value} (score {score}, urgence {urgency})",
        "en": "value {value} (score {score}, urgency {urgency})",
    },
    # console lines of validate, demand, network and territory show (#13)
    "cli.valid": {
        "fr": "{path} : valide — « {name} », semaine {week}, {units} unité(s), {staff} "
        "personne(s), {communes} communes du territoire {territory}",
        "en": "{path}: valid — {name!r}, week {week}, {units} unit(s), {staff} staff, "
        "{communes} communes in {territory}",
    },
    "cli.territory": {
        "fr": "{name} : {count} communes, {population} habitants",
        "en": "{name}: {count} communes, population {population}",
    },
    "cli.territory_current": {
        "fr": "{name} : {count} communes actuelles, {population} habitants",
        "en": "{name}: {count} current communes, population {population}",
    },
    "cli.merged_from": {"fr": "(regroupe {former})", "en": "(from {former})"},
    "cli.col.population": {"fr": "hab.", "en": "pop."},
    "cli.col.town_hall": {"fr": "mairie", "en": "town hall"},
    "cli.source": {"fr": "Source : {source}", "en": "Source: {source}"},
    "cli.override": {"fr": "(valeur imposée)", "en": "(override)"},
    "cli.weights": {
        "fr": "Poids : {weights} (brut -> normalisé ; score = somme des poids x normalisé)",
        "en": "Weights: {weights} (raw -> normalised; score = sum of weight x normalised)",
    },
    "cli.note": {"fr": "Note : {note}", "en": "Note: {note}"},
    "demand.note_mean": {
        "fr": "{column} : {count} commune(s) sans valeur prennent la moyenne {mean}",
        "en": "{column}: {count} commune(s) without a value take the mean {mean}",
    },
    "demand.note_no_service": {
        "fr": "{key} : aucun point de service donné, son poids est réparti sur les autres",
        "en": "{key}: no service points given, its weight is shared out",
    },
    "demand.note_no_values": {
        "fr": "{key} : aucune valeur donnée, son poids est réparti sur les autres",
        "en": "{key}: no values given, its weight is shared out",
    },
    "cli.network_fetched": {
        "fr": "En cache : {source} ({nodes} nœuds, {edges} arêtes) dans {folder}",
        "en": "cached {source}: {nodes} nodes, {edges} edges in {folder}",
    },
    "cli.network_scenario": {
        "fr": "Réseau du scénario : {source}",
        "en": "scenario network: {source}",
    },
    "cli.network_none_cached": {
        "fr": "rien en cache dans {folder}",
        "en": "nothing cached in {folder}",
    },
    "cli.network_size": {
        "fr": "{nodes} nœuds, {edges} arêtes",
        "en": "{nodes} nodes, {edges} edges",
    },
    "cli.megabytes": {"fr": "{size} Mo", "en": "{size} MB"},
    "cli.network_kind.extract": {"fr": "extrait", "en": "extract"},
    "cli.network_kind.download": {"fr": "télécharg.", "en": "download"},
    "cli.network_kind.unknown": {"fr": "inconnu", "en": "unknown"},
    # provenance of a road network or territory file, shown in the user's language (#13);
    # the cache and the data keep the English words, these replace them (i18n.provenance)
    "provenance.extract": {"fr": "extrait OSM", "en": "OSM extract"},
    "provenance.download": {"fr": "téléchargement OSM", "en": "OSM download"},
    "provenance.closed": {"fr": ", routes fermées : ", "en": ", closed: "},
    "provenance.bundled": {"fr": "fichier fourni ", "en": "bundled "},
}


def text_keys(prefix: str) -> tuple[str, ...]:
    """Return the keys of the labels that start with ``prefix``, in table order."""
    return tuple(key for key in _TEXT if key.startswith(prefix))


def text(key: str, lang: Language = "fr", /, **values: object) -> str:
    """Return the label ``key`` in ``lang``, with ``values`` filled in."""
    try:
        template = _TEXT[key][lang]
    except KeyError:
        msg = f"no {lang!r} text for {key!r}"
        raise KeyError(msg) from None
    return template.format(**values) if values else template


@dataclass(frozen=True)
class Message:
    """A sentence kept as its key and values, written out in a language when it is shown.

    The optimiser says with these why a unit-day stays home or a commune is left out;
    the plan writes them in the scenario's language (:meth:`text`). Values are shown in
    that language: a date as a day (its weekday alone under the name ``weekday``), a
    time of day as a clock, a number with its separators (floats with two decimals),
    skills (a tuple) joined with ``+``, and a nested message in the same language.
    """

    key: str
    values: Mapping[str, object] = field(default_factory=dict)

    def text(self, lang: Language = "fr") -> str:
        """Return the sentence in ``lang``."""
        return text(self.key, lang, **{k: _shown(k, v, lang) for k, v in self.values.items()})


def _shown(name: str, value: object, lang: Language) -> object:
    """Show a message's value in ``lang`` (see :class:`Message`)."""
    if isinstance(value, Message):
        return value.text(lang)
    if isinstance(value, dt.date):
        if name == "weekday":
            return weekday_name(value, lang)
        return format_date(value, lang) if lang == "fr" else f"{weekday_name(value, lang)} {value}"
    if isinstance(value, dt.time):
        return format_clock(value.hour * 60 + value.minute, lang)
    if isinstance(value, tuple):
        return " + ".join(map(str, value))
    if isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return format_number(value, lang)
    if isinstance(value, float):
        return format_number(value, lang, decimals=2)
    return value


def provenance(source: str, lang: Language = "fr") -> str:
    """Show a provenance kept in English (``OSM extract x.osm``, ``bundled x.csv``) in ``lang``."""
    for key, texts in _TEXT.items():
        if key.startswith("provenance."):
            source = source.replace(texts["en"], texts[lang])
    return source


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


def format_ratio(value: float, lang: Language = "fr") -> str:
    """Format a ratio with the digits it needs: ``1,3`` / ``1.3``, ``1,25`` / ``1.25``."""
    return f"{value:g}".replace(".", "," if lang == "fr" else ".")


def approximate_note(circuity: float, lang: Language = "fr") -> str:
    """Say that distances are straight-line estimates, with the circuity factor."""
    return text("approximate", lang, circuity=format_ratio(circuity, lang))


def format_distance_km(metres: float, lang: Language = "fr") -> str:
    """Format a distance in km with one decimal: ``12,5 km`` / ``12.5 km``."""
    separator = _NNBSP if lang == "fr" else " "
    return f"{format_number(metres / 1000, lang, decimals=1)}{separator}km"
