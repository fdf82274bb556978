"""Demand scores: an explainable score in [0, 1] per commune, from weighted indicators.

Components, each normalised to [0, 1] across the territory:

``population``
    People likely in need: population x the territory's illectronism rate (INSEE, EPCI
    level, so the same rate for every commune). Normalised as ``sqrt(need / max need)``:
    a concave transform, so that the 2 000-inhabitant town scores higher than a village of
    100 without crushing it (linear would give the village 0.05; the square root, 0.22).
``remoteness_depot``
    Road time from the commune to the depot, min-max normalised: far communes see the
    cooperative's premises least.
``remoteness_service``
    Road time to the nearest existing service point (France Services, mediation places),
    min-max normalised. Only when the scenario lists service points; otherwise its weight
    is shared out among the others, and each breakdown says so.
``<column>``
    Any column of the scenario's ``indicators_csv`` (e.g. ``share_over_60``), min-max
    normalised; communes missing from the file take the territory's mean.

The score is the weighted mean of the components (weights normalised to sum 1). A
per-commune override replaces the score and is flagged.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from pydantic import BaseModel, ConfigDict, Field

from itinerant.errors import ScenarioError
from itinerant.scenario import DemandModel
from itinerant.territory import Territory

__all__ = [
    "BUILT_IN_COMPONENTS",
    "Component",
    "DemandScore",
    "demand_scores",
    "parse_indicators",
]

BUILT_IN_COMPONENTS = ("population", "remoteness_depot", "remoteness_service")


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
    score: float = Field(ge=0, le=1)
    components: dict[str, Component]
    overridden: bool = False
    notes: tuple[str, ...] = ()


def parse_indicators(
    rows: Sequence[Mapping[str, str]], territory: Territory, *, source: str
) -> dict[str, dict[str, float]]:
    """Turn indicator rows (``insee`` + numeric columns) into ``column -> insee -> value``.

    Raises
    ------
    ScenarioError
        Naming the file, line, column and value of every bad cell, duplicate or unknown
        commune.
    """
    if not rows:
        return {}
    columns = [c for c in rows[0] if c not in ("insee", "name", "")]
    if "insee" not in rows[0]:
        msg = f"{source}: missing column insee (found: {', '.join(rows[0])})"
        raise ScenarioError([msg])
    problems: list[str] = []
    values: dict[str, dict[str, float]] = {column: {} for column in columns}
    seen: dict[str, int] = {}
    for line_no, row in enumerate(rows, start=2):
        commune = territory.find(row["insee"])
        if commune is None:
            problems.append(
                f"{source}: line {line_no}: insee: {row['insee']!r} is not a commune of "
                f"{territory.name}"
            )
            continue
        if commune.insee in seen:
            problems.append(
                f"{source}: line {line_no}: insee: {row['insee']!r} is a duplicate of line "
                f"{seen[commune.insee]}"
            )
            continue
        seen[commune.insee] = line_no
        for column in columns:
            text = row.get(column, "")
            if text == "":
                continue
            try:
                number = float(text.replace(",", ".").rstrip("%"))
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


def _min_max(values: Mapping[str, float]) -> dict[str, float]:
    low, high = min(values.values()), max(values.values())
    if high - low <= 0:
        return dict.fromkeys(values, 0.5)
    return {key: (value - low) / (high - low) for key, value in values.items()}


def demand_scores(
    territory: Territory,
    model: DemandModel,
    *,
    depot_time_s: Mapping[str, int],
    service_time_s: Mapping[str, int] | None,
    indicator_rows: Sequence[Mapping[str, str]] | None = None,
    indicators_source: str = "indicators CSV",
) -> tuple[DemandScore, ...]:
    """Score every commune of the territory; sorted by INSEE code.

    Parameters
    ----------
    territory
        The communes (population) and the illectronism rate.
    model
        Weights, per-commune overrides.
    depot_time_s
        Road time between each commune and the depot, by INSEE code.
    service_time_s
        Road time to the nearest service point by INSEE code; None when the scenario
        lists no service points.
    indicator_rows
        Rows of the scenario's indicators CSV, if any.
    indicators_source
        The CSV's name, for messages.

    Raises
    ------
    ScenarioError
        When a weight names neither a component nor an indicator column, or the
        indicators are malformed.
    """
    indicators = parse_indicators(indicator_rows or [], territory, source=indicators_source)
    unknown = [
        key for key in model.weights if key not in BUILT_IN_COMPONENTS and key not in indicators
    ]
    if unknown:
        known = ", ".join([*BUILT_IN_COMPONENTS, *sorted(indicators)])
        raise ScenarioError(
            [
                f"demand.weights.{key}: {key!r} is neither a component nor an indicator "
                f"column (known: {known})"
                for key in unknown
            ]
        )
    codes = sorted(c.insee for c in territory.communes)
    raw: dict[str, dict[str, float]] = {
        "population": {
            c.insee: c.population * territory.illectronism_rate for c in territory.communes
        },
        "remoteness_depot": {code: float(depot_time_s[code]) for code in codes},
    }
    notes: list[str] = []
    if service_time_s is not None:
        raw["remoteness_service"] = {code: float(service_time_s[code]) for code in codes}
    elif model.weights.get("remoteness_service", 0) > 0:
        notes.append("remoteness_service: no service points given, its weight is shared out")
    for column, by_code in indicators.items():
        if by_code:
            mean = sum(by_code.values()) / len(by_code)
            raw[column] = {code: by_code.get(code, mean) for code in codes}
    weights = {k: w for k, w in model.weights.items() if k in raw and w > 0}
    total = sum(weights.values())
    if total <= 0:
        msg = "demand.weights: no positive weight on an available component"
        raise ScenarioError([msg])
    weights = {k: w / total for k, w in weights.items()}
    normalised = {key: _normalise(key, values) for key, values in raw.items() if key in weights}
    overrides = {}
    for key, score in model.overrides.items():
        commune = territory.find(key)
        if commune is not None:
            overrides[commune.insee] = score
    scores = []
    for commune in sorted(territory.communes, key=lambda c: c.insee):
        components = {
            key: Component(
                raw=raw[key][commune.insee],
                normalised=round(normalised[key][commune.insee], 6),
                weight=round(weight, 6),
                contribution=round(normalised[key][commune.insee] * weight, 6),
            )
            for key, weight in sorted(weights.items())
        }
        computed = min(1.0, sum(c.contribution for c in components.values()))
        overridden = commune.insee in overrides
        scores.append(
            DemandScore(
                insee=commune.insee,
                name=commune.name,
                population=commune.population,
                score=round(overrides[commune.insee] if overridden else computed, 6),
                components=components,
                overridden=overridden,
                notes=tuple(notes),
            )
        )
    return tuple(scores)


def _normalise(key: str, values: Mapping[str, float]) -> dict[str, float]:
    if key == "population":
        top = max(values.values())
        return {k: math.sqrt(v / top) if top > 0 else 0.0 for k, v in values.items()}
    return _min_max(values)
