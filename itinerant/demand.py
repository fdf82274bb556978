"""Demand scores: an explainable score in [0, 1] per commune, and rotation urgency.

Components, each normalised to [0, 1] across the territory:

``population``
    People likely in need: population x the territory's illectronism rate (INSEE, EPCI
    level: 21.4 % in the 7 Vallées, the same for every commune, so it cancels out in the
    normalisation but makes the raw value readable as "people"). Normalised as
    ``sqrt(need / max need)``. Linear would let Hesdin (2 225 people) crush a village of
    100 (0.04); a logarithm would lift a hamlet of 22 to 0.28 although it holds 1 % of the
    town's people. The square root sits between them (village of 100: 0.21; hamlet of 22:
    0.10): need grows with population, with diminishing returns, as one session reaches
    a dozen people whatever the size of the commune.
``remoteness_depot``
    Road time between the commune and the depot, min-max normalised: far communes see
    the cooperative's premises least.
``remoteness_service``
    Road time to the nearest existing service point (France Services, mediation places),
    min-max normalised. Only when the scenario lists service points.
``<column>``
    Any indicator column given by the user (e.g. ``share_over_60``), min-max normalised;
    communes without a value take the territory's mean (said in the notes).

Min-max is ``(x - min) / (max - min)``; a component equal everywhere is 0.5 for every
commune (it does not discriminate). The score is the weighted sum of the normalised
components, weights normalised to sum 1, times the ``existing_services`` term: with
``demand.existing_services`` set, a commune within ``within_min`` of road time of a service
point has its score multiplied by ``factor`` (people there are served already), others by
1. ``remoteness_service`` ranks communes by that time gradually and relatively; this term
is a threshold that lowers the need of the communes a service point reaches, whatever the
others' times. A component with a positive weight that cannot be
computed (no service points, an empty indicator column) is left out and its weight shared
out in proportion among the others: each score lists it in ``redistributed``. A per-commune
override replaces the score (``overridden``; the computed score is kept).

Rotation: a commune's target interval between visits falls linearly from
``max_interval_days`` (score 0) to ``min_interval_days`` (score 1), and the urgency of a
visit is the days since the last one over that interval (see :func:`urgency`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from pydantic import BaseModel, ConfigDict, Field

from itinerant.errors import ScenarioError
from itinerant.i18n import Language, format_ratio, text
from itinerant.scenario import DemandModel, Rotation
from itinerant.territory import Territory

__all__ = [
    "BUILT_IN_COMPONENTS",
    "MAX_URGENCY",
    "NEVER_VISITED_URGENCY",
    "Component",
    "DemandScore",
    "demand_scores",
    "explain",
    "is_overdue_mandatory",
    "parse_indicators",
    "target_interval_days",
    "urgency",
]

BUILT_IN_COMPONENTS = ("population", "remoteness_depot", "remoteness_service")
"""Components computed from the territory and travel times (not from an indicators file)."""

NEVER_VISITED_URGENCY = 2.0
"""Urgency of a commune with no recorded visit: as if last seen two intervals ago."""

MAX_URGENCY = 3.0
"""Cap on urgency, so that one long-forgotten commune does not outweigh everything."""

_RESERVED_COLUMNS = ("insee", "name", "")


class Component(BaseModel):
    """One component of a commune's score."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    raw: float = Field(description="the indicator's value (people, seconds, share...)")
    normalised: float = Field(ge=0, le=1)
    weight: float = Field(ge=0, le=1, description="effective weight (weights sum to 1)")
    contribution: float = Field(ge=0, le=1, description="normalised x weight")


class DemandScore(BaseModel):
    """A commune's demand score with its breakdown."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    insee: str
    name: str
    population: int
    score: float = Field(ge=0, le=1, description="the override if any, else computed_score")
    computed_score: float = Field(
        ge=0, le=1, description="sum of the contributions, times existing_services"
    )
    components: dict[str, Component] = Field(description="by name, sorted")
    overridden: bool = False
    redistributed: tuple[str, ...] = Field(
        default=(), description="weighted components left out, their weight shared out"
    )
    existing_services: float = Field(
        default=1.0,
        ge=0,
        le=1,
        description="multiplier of the summed contributions: the factor within reach of a "
        "service point, else 1",
    )
    notes: tuple[str, ...] = Field(
        default=(), description="short remarks, in the scenario's language"
    )


def parse_indicators(
    rows: Sequence[Mapping[str, str | None]], territory: Territory, *, source: str
) -> dict[str, dict[str, float]]:
    """Turn indicator rows (``insee`` + numeric columns) into ``column -> insee -> value``.

    A ``name`` column is ignored; empty cells are missing values. Numbers may use a
    decimal comma and a trailing ``%`` (dropped: ``21,4%`` reads 21.4). Line numbers count
    the header as line 1, as a spreadsheet shows them.

    Parameters
    ----------
    rows
        The table as read by :class:`csv.DictReader` (header -> cell).
    territory
        The communes; a row may name one by INSEE code or by name.
    source
        The file name, for messages.

    Returns
    -------
    dict
        Values by column, then by INSEE code.

    Raises
    ------
    ScenarioError
        One line per bad cell, duplicate or unknown commune, naming the file, line, column
        and value.
    """
    if not rows:
        return {}
    header = [str(c).strip() for c in rows[0]]
    if "insee" not in header:
        msg = f"{source}: missing column insee (found: {', '.join(header)})"
        raise ScenarioError([msg])
    columns = [c for c in header if c not in _RESERVED_COLUMNS]
    problems = [
        f"{source}: line 1: {column}: is a built-in component name; rename the column"
        for column in columns
        if column in BUILT_IN_COMPONENTS
    ]
    values: dict[str, dict[str, float]] = {column: {} for column in columns}
    seen: dict[str, int] = {}
    for line_no, row in enumerate(rows, start=2):
        key = (row.get("insee") or "").strip()
        commune = territory.find(key) if key else None
        if commune is None:
            problems.append(
                f"{source}: line {line_no}: insee: {key!r} is not a commune of {territory.name}"
            )
            continue
        if commune.insee in seen:
            problems.append(
                f"{source}: line {line_no}: insee: {key!r} is a duplicate of line "
                f"{seen[commune.insee]}"
            )
            continue
        seen[commune.insee] = line_no
        for column in columns:
            text = (row.get(column) or "").strip()
            if not text:
                continue
            try:
                number = float(text.replace(",", ".").removesuffix("%"))
            except ValueError:
                problems.append(f"{source}: line {line_no}: {column}: {text!r} is not a number")
                continue
            if not math.isfinite(number):
                problems.append(f"{source}: line {line_no}: {column}: {text!r} is not finite")
                continue
            values[column][commune.insee] = number
    if problems:
        raise ScenarioError(problems)
    return values


def demand_scores(
    territory: Territory,
    model: DemandModel,
    *,
    depot_time_s: Mapping[str, int],
    service_time_s: Mapping[str, int] | None,
    indicators: Mapping[str, Mapping[str, float]] | None = None,
    illectronism_rate: float | None = None,
    indicator_rows: Sequence[Mapping[str, str | None]] | None = None,
    indicators_source: str = "indicators CSV",
    lang: Language = "fr",
) -> tuple[DemandScore, ...]:
    """Score every commune of the territory; sorted by INSEE code.

    Parameters
    ----------
    territory
        The communes and their populations.
    model
        Weights (components or indicator columns) and per-commune overrides.
    depot_time_s
        Road time between each commune and the depot, by INSEE code.
    service_time_s
        Road time from each commune to the nearest service point, by INSEE code; None
        when the scenario lists no service points.
    indicators
        User indicators, ``column -> insee -> value`` (see :func:`parse_indicators`).
    illectronism_rate
        Share of adults in illectronism; default: the territory's.
    indicator_rows
        Unparsed indicator rows instead of ``indicators`` (parsed here, named
        ``indicators_source`` in messages).
    indicators_source
        The indicator file's name, for messages.
    lang
        Language of the notes.

    Returns
    -------
    tuple of DemandScore
        One per commune, sorted by INSEE code.

    Raises
    ------
    ScenarioError
        A weight names neither a component nor an indicator column
        (``demand.weights.<key>``), an override names no commune
        (``demand.overrides.<key>``), or the indicators are malformed.
    ValueError
        A travel time is missing for a commune, or both ``indicators`` and
        ``indicator_rows`` are given.
    """
    if indicators is not None and indicator_rows is not None:
        msg = "give either indicators or indicator_rows, not both"
        raise ValueError(msg)
    if indicator_rows is not None:
        indicators = parse_indicators(indicator_rows, territory, source=indicators_source)
    indicators = indicators or {}
    codes = sorted(c.insee for c in territory.communes)
    _check_indicators(indicators, set(codes))
    _check_weights(model, indicators)
    overrides = _overrides(model, territory)
    rate = territory.illectronism_rate if illectronism_rate is None else illectronism_rate

    raw: dict[str, dict[str, float]] = {
        "population": {c.insee: c.population * rate for c in territory.communes},
        "remoteness_depot": _times(depot_time_s, codes, what="depot_time_s"),
    }
    if service_time_s is not None:
        raw["remoteness_service"] = _times(service_time_s, codes, what="service_time_s")
    notes: list[str] = []
    for column in sorted(indicators):
        by_code = indicators[column]
        if not by_code or model.weights.get(column, 0) <= 0:
            continue
        mean = sum(by_code.values()) / len(by_code)
        raw[column] = {code: by_code.get(code, mean) for code in codes}
        missing = len(codes) - len(by_code)
        if missing:
            mean_text = format_ratio(float(f"{mean:g}"), lang)
            notes.append(
                text("demand.note_mean", lang, column=column, count=missing, mean=mean_text)
            )

    redistributed = tuple(sorted(k for k, w in model.weights.items() if w > 0 and k not in raw))
    notes += [
        text(
            "demand.note_no_service" if key == "remoteness_service" else "demand.note_no_values",
            lang,
            key=key,
        )
        for key in redistributed
    ]
    weights = {k: w for k, w in sorted(model.weights.items()) if w > 0 and k in raw}
    total = sum(weights.values())
    if total <= 0:
        msg = "demand.weights: no positive weight on an available component"
        raise ScenarioError([msg])
    weights = {k: w / total for k, w in weights.items()}
    normalised = {key: _normalise(key, raw[key]) for key in weights}
    served = _existing_services(model, service_time_s, codes)

    scores = []
    for commune in sorted(territory.communes, key=lambda c: c.insee):
        code = commune.insee
        components = {
            key: Component(
                raw=raw[key][code],
                normalised=round(normalised[key][code], 6),
                weight=round(weight, 6),
                contribution=round(normalised[key][code] * weight, 6),
            )
            for key, weight in weights.items()
        }
        summed = min(1.0, sum(c.contribution for c in components.values()))
        computed = round(summed * served.get(code, 1.0), 6)
        scores.append(
            DemandScore(
                insee=code,
                name=commune.name,
                population=commune.population,
                score=overrides.get(code, computed),
                computed_score=computed,
                components=components,
                overridden=code in overrides,
                redistributed=redistributed,
                existing_services=served.get(code, 1.0),
                notes=tuple(notes),
            )
        )
    return tuple(scores)


def _existing_services(
    model: DemandModel, service_time_s: Mapping[str, int] | None, codes: Sequence[str]
) -> dict[str, float]:
    """Return the factor of each commune within reach of a service point (others: none)."""
    rule = model.existing_services
    if rule is None:
        return {}
    if service_time_s is None:
        msg = "demand.existing_services: the service point files list no point"
        raise ScenarioError([msg])
    times = _times(service_time_s, codes, what="service_time_s")
    return {code: rule.factor for code in codes if times[code] <= rule.within_min * 60}


def _check_indicators(indicators: Mapping[str, Mapping[str, float]], codes: set[str]) -> None:
    problems = []
    for column in sorted(indicators):
        if column in BUILT_IN_COMPONENTS or column in _RESERVED_COLUMNS:
            problems.append(f"indicators: {column!r} is a reserved name; rename the column")
        for code, value in sorted(indicators[column].items()):
            if code not in codes:
                problems.append(f"indicators: {column}: {code!r} is not a commune code")
            elif not math.isfinite(value):
                problems.append(f"indicators: {column}: {code}: {value!r} is not finite")
    if problems:
        raise ScenarioError(problems)


def _check_weights(model: DemandModel, indicators: Mapping[str, Mapping[str, float]]) -> None:
    unknown = [k for k in model.weights if k not in BUILT_IN_COMPONENTS and k not in indicators]
    if unknown:
        known = ", ".join([*BUILT_IN_COMPONENTS, *sorted(indicators)])
        raise ScenarioError(
            [
                f"demand.weights.{key}: {key!r} is neither a component nor an indicator "
                f"column (known: {known})"
                for key in unknown
            ]
        )


def _overrides(model: DemandModel, territory: Territory) -> dict[str, float]:
    found: dict[str, float] = {}
    keys: dict[str, str] = {}
    problems = []
    for key, score in model.overrides.items():
        commune = territory.find(key)
        if commune is None:
            problems.append(f"demand.overrides.{key}: {key!r} is not a commune of {territory.name}")
        elif commune.insee in found:
            problems.append(
                f"demand.overrides.{key}: {commune.name} is already overridden as "
                f"{keys[commune.insee]!r}"
            )
        else:
            found[commune.insee] = score
            keys[commune.insee] = key
    if problems:
        raise ScenarioError(problems)
    return found


def _times(times: Mapping[str, int], codes: Sequence[str], *, what: str) -> dict[str, float]:
    missing = [code for code in codes if code not in times]
    if missing:
        msg = f"{what}: no travel time for commune(s) {', '.join(missing)}"
        raise ValueError(msg)
    return {code: float(times[code]) for code in codes}


def _min_max(values: Mapping[str, float]) -> dict[str, float]:
    low, high = min(values.values()), max(values.values())
    if high - low <= 0:
        return dict.fromkeys(values, 0.5)
    return {key: (value - low) / (high - low) for key, value in values.items()}


def _normalise(key: str, values: Mapping[str, float]) -> dict[str, float]:
    if key == "population":
        top = max(values.values())
        return {k: math.sqrt(max(v, 0.0) / top) if top > 0 else 0.0 for k, v in values.items()}
    return _min_max(values)


def explain(score: DemandScore) -> str:
    """Explain a score in one line of English, components as identifiers (for docs, logs).

    Example: ``62447 Hesdin: 0.714 = population 1.000 x 0.714 + remoteness_depot 0.000 x
    0.286``, followed by the override and the notes if any.
    """
    terms = " + ".join(
        f"{key} {c.normalised:.3f} x {c.weight:.3f}" for key, c in score.components.items()
    )
    if score.existing_services != 1.0:
        terms = f"({terms}) x existing_services {score.existing_services:.3f}"
    text = f"{score.insee} {score.name}: {score.computed_score:.3f} = {terms}"
    if score.overridden:
        text += f"; overridden: {score.score:.3f}"
    if score.notes:
        text += " (" + "; ".join(score.notes) + ")"
    return text


def target_interval_days(score: float, rotation: Rotation) -> float:
    """Return the target days between two visits of a commune of this score.

    Linear in the score: ``max_interval_days`` at 0, ``min_interval_days`` at 1 (a score
    outside [0, 1] is clipped).
    """
    clipped = min(max(score, 0.0), 1.0)
    span = rotation.max_interval_days - rotation.min_interval_days
    return rotation.max_interval_days - clipped * span


def urgency(days_since_last_visit: float | None, interval_days: float) -> float:
    """Return how urgent a visit is: days since the last visit over the target interval.

    ``min(days / interval, MAX_URGENCY)``, never below 0: visited yesterday with a
    14-day interval gives 0.07, a visit due today 1, two months ago 4.3 capped at 3.
    A commune never visited (None) counts as two intervals ago
    (:data:`NEVER_VISITED_URGENCY`): more urgent than one just due, less than a commune
    forgotten for longer. The optimiser may add a floor so that every visit keeps value.
    """
    if days_since_last_visit is None:
        return NEVER_VISITED_URGENCY
    if interval_days <= 0:
        msg = f"interval_days must be positive, not {interval_days}"
        raise ValueError(msg)
    return min(max(days_since_last_visit / interval_days, 0.0), MAX_URGENCY)


def is_overdue_mandatory(
    days_since_last_visit: float | None, interval_days: float, rotation: Rotation
) -> bool:
    """Whether the last visit is more than ``mandatory_after_factor`` intervals ago.

    A commune never visited is not mandatory: with an empty history every commune would
    be, and the week could not be planned.
    """
    if days_since_last_visit is None:
        return False
    return days_since_last_visit > rotation.mandatory_after_factor * interval_days
