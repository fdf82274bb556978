"""Indicators of a horizon of plans, and their comparison between scenarios (pure functions).

Formulas (``v_i``: sessions held in commune ``i`` over the horizon; ``p_i``: its
population; ``s_i``: its demand score; communes are those of the territory):

- *reach*: communes visited at least once; their population; the share of the
  territory's population living in a commune whose stop is within 15 minutes' drive
  (the scenario's travel matrix for its first unit's vehicle, from the commune's stop to
  the stops visited that week) of a session that week, averaged over the weeks; the mean
  and maximum number of days between two consecutive visits of a commune within the
  horizon (a multi-day stay counts as one visit, on its first day); communes never visited
  (those the scenario excludes every week are counted apart, not as never visited).
- *fairness*: visits per 1,000 inhabitants ``1000 * sum(v) / sum(p)``; two concentration
  indices of the visits (:func:`concentration_index`), against population (``w_i = p_i``)
  and against demand (``w_i = s_i``): 0 when visits are proportional to ``w``, towards 1
  when they go to a few communes; the demand-weighted share served
  ``sum(s_i, i visited) / sum(s_i)``.
- *effort and cost*: km of every trip (the crews' trips to a tiny house staying on site
  included), km driven by the units themselves, driving, on-site and staff hours (tour
  spans of each crew member), fuel ``unit km * fuel_l_per_100km / 100``, CO2
  ``fuel * co2_kg_per_l``, mileage cost ``unit km * cost_per_km``, staff cost
  ``sum(tour span h * cost_per_hour of each crew member)``, and their total. A cost whose
  rate a scenario does not give (no ``cost_per_km``, no ``cost_per_hour``) is shown but
  never ranked best: 0 € there means "not counted", not "cheaper".
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from itinerant.i18n import format_ratio, text

if TYPE_CHECKING:
    import datetime as dt

    from itinerant.geo.matrix import TravelMatrix
    from itinerant.i18n import Language
    from itinerant.plan import Plan, Tour
    from itinerant.scenario import Staff, Unit
    from itinerant.territory import Territory

__all__ = [
    "INDICATOR_SPECS",
    "REACH_THRESHOLD_MIN",
    "Comparison",
    "ComparisonRow",
    "Difference",
    "IndicatorSpec",
    "Indicators",
    "compare",
    "compute_indicators",
    "concentration_index",
    "scenario_differences",
    "unit_distance_m",
    "weekly_reach_share",
]

REACH_THRESHOLD_MIN = 15
"""A commune is within reach of a session when its stop is this many minutes' drive away."""

Better = Literal["higher", "lower"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Indicators(_Model):
    """What a scenario does over a horizon (see the module docstring for each formula)."""

    weeks: int = Field(ge=1)
    communes_total: int
    population_total: int
    communes_reached: int
    population_reached: int
    reach_share: float = Field(description="mean weekly share of population within 15 min")
    reach_share_by_week: tuple[float, ...]
    mean_interval_days: float | None = Field(description="None: no commune visited twice")
    max_interval_days: int | None
    communes_never_visited: int = Field(description="communes the scenario allows, never visited")
    communes_excluded: int = Field(default=0, description="communes the scenario excludes")
    visits: int
    visits_per_1000: float
    concentration_population: float | None
    concentration_demand: float | None
    demand_share_served: float
    km_driven: float
    unit_km: float
    driving_h: float
    on_site_h: float
    staff_h: float
    fuel_l: float
    co2_kg: float
    cost_eur: float
    staff_cost_eur: float
    total_cost_eur: float
    visits_by_commune: dict[str, int] = Field(description="INSEE -> sessions (0 included)")
    excluded: tuple[str, ...] = Field(default=(), description="INSEE codes excluded every week")
    km_rate_given: bool = Field(default=True, description="some unit has a cost per km")
    staff_rate_given: bool = Field(default=True, description="some staff member has an hourly cost")


class IndicatorSpec(_Model):
    """How an indicator is shown and compared."""

    key: str
    group: Literal["reach", "fairness", "effort"]
    better: Better | None = Field(description="which way is best; None: not ranked")
    decimals: int = 0
    percent: bool = False


INDICATOR_SPECS: tuple[IndicatorSpec, ...] = (
    IndicatorSpec(key="communes_reached", group="reach", better="higher"),
    IndicatorSpec(key="population_reached", group="reach", better="higher"),
    IndicatorSpec(key="reach_share", group="reach", better="higher", decimals=1, percent=True),
    IndicatorSpec(key="mean_interval_days", group="reach", better="lower", decimals=1),
    IndicatorSpec(key="max_interval_days", group="reach", better="lower"),
    IndicatorSpec(key="communes_never_visited", group="reach", better="lower"),
    IndicatorSpec(key="communes_excluded", group="reach", better=None),
    IndicatorSpec(key="visits", group="fairness", better="higher"),
    IndicatorSpec(key="visits_per_1000", group="fairness", better="higher", decimals=2),
    IndicatorSpec(key="concentration_population", group="fairness", better="lower", decimals=3),
    IndicatorSpec(key="concentration_demand", group="fairness", better="lower", decimals=3),
    IndicatorSpec(
        key="demand_share_served", group="fairness", better="higher", decimals=1, percent=True
    ),
    IndicatorSpec(key="km_driven", group="effort", better="lower", decimals=1),
    IndicatorSpec(key="unit_km", group="effort", better="lower", decimals=1),
    IndicatorSpec(key="driving_h", group="effort", better="lower", decimals=1),
    IndicatorSpec(key="on_site_h", group="effort", better="higher", decimals=1),
    IndicatorSpec(key="staff_h", group="effort", better=None, decimals=1),
    IndicatorSpec(key="fuel_l", group="effort", better="lower", decimals=1),
    IndicatorSpec(key="co2_kg", group="effort", better="lower", decimals=1),
    IndicatorSpec(key="cost_eur", group="effort", better="lower", decimals=2),
    IndicatorSpec(key="staff_cost_eur", group="effort", better="lower", decimals=2),
    IndicatorSpec(key="total_cost_eur", group="effort", better="lower", decimals=2),
)
"""Rows of the comparison, in order: reach, fairness, effort and cost."""


class ComparisonRow(_Model):
    """One indicator across scenarios, with the columns holding the best value."""

    spec: IndicatorSpec
    values: tuple[float | None, ...]
    best: tuple[int, ...] = Field(description="indexes of the best columns; () when all tie")
    unranked: tuple[int, ...] = Field(
        default=(), description="columns left out of the ranking: a cost with no rate given"
    )


class Difference(_Model):
    """One thing that differs between scenarios, in words a planner reads.

    ``values[0]`` is the first scenario's value; each other is what changes from it
    (``"Tiny house fab lab retirée"``, ``"compétence fab_manager retirée"``,
    ``"0,35 → 0,4"``), or ``"="`` where it is the same as the first.
    """

    what: str
    values: tuple[str, ...]


class Comparison(_Model):
    """Indicators side by side, and what differs between the scenarios."""

    labels: tuple[str, ...]
    rows: tuple[ComparisonRow, ...]
    differences: tuple[Difference, ...]


# --------------------------------------------------------------------------- indicators


def concentration_index(values: Sequence[float], weights: Sequence[float]) -> float | None:
    """Gini-type concentration of ``values`` against ``weights`` (a Lorenz curve).

    Sort the items by ``values[i] / weights[i]`` (items of zero weight last), take the
    cumulative shares ``X_k`` of the weights and ``Y_k`` of the values, and return
    ``G = 1 - sum_k (X_k - X_(k-1)) * (Y_k + Y_(k-1))``. ``G = 0`` when values are
    proportional to weights; it grows towards 1 as values concentrate on few items.

    Returns
    -------
    The index, or None when the values or the weights sum to zero.
    """
    total_v = float(sum(values))
    total_w = float(sum(weights))
    if total_v <= 0 or total_w <= 0:
        return None
    items = sorted(
        zip(values, weights, strict=True),
        key=lambda vw: (vw[1] <= 0, vw[0] / vw[1] if vw[1] > 0 else math.inf),
    )
    area = 0.0
    x_prev = y_prev = 0.0
    cum_v = cum_w = 0.0
    for value, weight in items:
        cum_v += value
        cum_w += weight
        x, y = cum_w / total_w, cum_v / total_v
        area += (x - x_prev) * (y + y_prev)
        x_prev, y_prev = x, y
    return round(1.0 - area, 6)


def weekly_reach_share(
    plan: Plan,
    territory: Territory,
    matrix: TravelMatrix,
    *,
    threshold_min: float = REACH_THRESHOLD_MIN,
) -> float:
    """Share of the territory's population within ``threshold_min`` of a session that week.

    A commune is within reach when the drive from its stop to a stop visited that week
    (itself included) is at most the threshold, on ``matrix``. Communes without a stop
    (excluded by the scenario) count in the population, never as reached.
    """
    total = sum(c.population for c in territory.communes)
    index = {pid: i for i, pid in enumerate(matrix.point_ids)}
    visited = sorted({index[v.stop_id] for t in plan.tours for v in t.visits if v.stop_id in index})
    if total <= 0 or not visited:
        return 0.0
    limit_s = threshold_min * 60
    reached = 0
    for commune in territory.communes:
        row = index.get(commune.insee)
        if row is not None and min(matrix.travel_time_s[row][j] for j in visited) <= limit_s:
            reached += commune.population
    return reached / total


def unit_distance_m(tour: Tour) -> int:
    """Metres the unit itself drives on a tour (not the crew's trips to a unit on a stay)."""
    out = sum(v.distance_m for v in tour.visits if not v.continues_stay)
    back = tour.return_distance_m if not tour.visits or tour.visits[-1].packup else 0
    return out + back


def _intervals(plans: Sequence[Plan]) -> list[int]:
    dates: dict[str, set[dt.date]] = {}
    for plan in plans:
        for tour in plan.tours:
            for visit in tour.visits:
                if not visit.continues_stay:
                    dates.setdefault(visit.insee, set()).add(tour.date)
    gaps: list[int] = []
    for insee in sorted(dates):
        days = sorted(dates[insee])
        gaps += [(b - a).days for a, b in itertools.pairwise(days)]
    return gaps


def compute_indicators(
    plans: Sequence[Plan],
    *,
    territory: Territory,
    scores: Mapping[str, float],
    matrix: TravelMatrix,
    units: Sequence[Unit],
    staff: Sequence[Staff] = (),
    reach_threshold_min: float = REACH_THRESHOLD_MIN,
) -> Indicators:
    """Compute a horizon's indicators from its plans (formulas in the module docstring).

    Parameters
    ----------
    plans
        One plan per week, in order.
    territory
        Every commune, with its population (the denominators).
    scores
        Demand score by INSEE code.
    matrix
        Travel matrix between the depot and the stops (for the 15-minute reach).
    units
        The scenario's units (consumption, emission factor, cost per km).
    staff
        The scenario's staff (hourly cost); none: no staff cost.
    reach_threshold_min
        The drive that counts as "within reach".
    """
    codes = sorted(c.insee for c in territory.communes)
    population = {c.insee: c.population for c in territory.communes}
    visits = dict.fromkeys(codes, 0)
    for plan in plans:
        for tour in plan.tours:
            for visit in tour.visits:
                visits[visit.insee] = visits.get(visit.insee, 0) + 1
    reached = [code for code in codes if visits[code] > 0]
    excluded = sorted(
        set.intersection(
            *({u.insee for u in plan.unvisited if u.reason == "excluded"} for plan in plans)
        )
        - set(reached)
        if plans
        else set()
    )
    total_pop = sum(population.values())
    by_week = tuple(
        round(weekly_reach_share(p, territory, matrix, threshold_min=reach_threshold_min), 4)
        for p in plans
    )
    gaps = _intervals(plans)
    tours = [tour for plan in plans for tour in plan.tours]
    by_unit = {unit.id: unit for unit in units}
    unit_km = fuel = co2 = cost = 0.0
    for tour in tours:
        km = unit_distance_m(tour) / 1000
        unit = by_unit.get(tour.unit_id)
        unit_km += km
        if unit is not None:
            litres = km * unit.fuel_l_per_100km / 100
            fuel += litres
            co2 += litres * unit.co2_kg_per_l
            cost += km * unit.cost_per_km
    rates = {member.id: member.cost_per_hour for member in staff}
    staff_cost = sum(t.span_min / 60 * rates.get(member, 0.0) for t in tours for member in t.crew)
    total_score = sum(scores.get(code, 0.0) for code in codes)
    served_score = sum(scores.get(code, 0.0) for code in reached)
    return Indicators(
        weeks=len(plans),
        communes_total=len(codes),
        population_total=total_pop,
        communes_reached=len(reached),
        population_reached=sum(population[code] for code in reached),
        reach_share=round(sum(by_week) / len(by_week), 4) if by_week else 0.0,
        reach_share_by_week=by_week,
        mean_interval_days=round(sum(gaps) / len(gaps), 2) if gaps else None,
        max_interval_days=max(gaps) if gaps else None,
        communes_never_visited=len(codes) - len(reached) - len(excluded),
        communes_excluded=len(excluded),
        visits=sum(visits.values()),
        visits_per_1000=round(1000 * sum(visits.values()) / total_pop, 3) if total_pop else 0.0,
        concentration_population=concentration_index(
            [visits[c] for c in codes], [population[c] for c in codes]
        ),
        concentration_demand=concentration_index(
            [visits[c] for c in codes], [scores.get(c, 0.0) for c in codes]
        ),
        demand_share_served=round(served_score / total_score, 4) if total_score > 0 else 0.0,
        km_driven=round(sum(t.distance_m for t in tours) / 1000, 1),
        unit_km=round(unit_km, 1),
        driving_h=round(sum(t.drive_min for t in tours) / 60, 2),
        on_site_h=round(sum(t.on_site_min for t in tours) / 60, 2),
        staff_h=round(sum(t.span_min * len(t.crew) for t in tours) / 60, 2),
        fuel_l=round(fuel, 1),
        co2_kg=round(co2, 1),
        cost_eur=round(cost, 2),
        staff_cost_eur=round(staff_cost, 2),
        total_cost_eur=round(cost + staff_cost, 2),
        visits_by_commune=visits,
        excluded=tuple(excluded),
        km_rate_given=any(unit.cost_per_km > 0 for unit in units),
        staff_rate_given=any(member.cost_per_hour > 0 for member in staff),
    )


# --------------------------------------------------------------------------- comparison


_RATES = {
    "cost_eur": ("km_rate_given",),
    "staff_cost_eur": ("staff_rate_given",),
    "total_cost_eur": ("km_rate_given", "staff_rate_given"),
}
"""Costs that mean something only where the scenario gives their rates."""


def _unranked(spec: IndicatorSpec, indicators: Sequence[Indicators]) -> tuple[int, ...]:
    """Columns whose value is a cost computed with no rate (0 €, but not cheaper)."""
    rates = _RATES.get(spec.key, ())
    return tuple(i for i, ind in enumerate(indicators) if not all(getattr(ind, r) for r in rates))


def _best(
    spec: IndicatorSpec, values: Sequence[float | None], unranked: Sequence[int] = ()
) -> tuple[int, ...]:
    present = [
        (i, round(v, spec.decimals + 4))
        for i, v in enumerate(values)
        if v is not None and i not in unranked
    ]
    if spec.better is None or len(present) < 2 or len({v for _, v in present}) == 1:
        return ()
    target = (max if spec.better == "higher" else min)(v for _, v in present)
    return tuple(i for i, v in present if v == target)


_ABSENT: Any = object()
_KEYED = {"units": "id", "staff": "id", "communes": "commune"}
"""Scenario lists whose items are matched by a key, not by position."""


def _words(value: Any, lang: Language) -> str:
    """Write a scenario value as a planner reads it: lists joined, windows ``08:30–12:00``."""
    if value is None or value is _ABSENT:
        return text("diff.none", lang)
    if isinstance(value, bool):
        return text("diff.yes" if value else "diff.no", lang)
    if isinstance(value, float):
        return format_ratio(value, lang)
    if isinstance(value, list):
        return ", ".join(_words(v, lang) for v in value) if value else text("diff.none", lang)
    if isinstance(value, dict):
        if set(value) == {"start", "end"}:
            return f"{value['start']}–{value['end']}"
        if not value:
            return text("diff.none", lang)
        return "; ".join(f"{k} {_words(v, lang)}" for k, v in value.items())
    return str(value)


def _changed(first: Any, other: Any, lang: Language, noun: str) -> str:
    """Say what changes from ``first`` to ``other`` (``"="`` when nothing does).

    Lists of plain values change item by item: ``diff.<noun>_removed`` / ``_added``.
    """
    if other == first:
        return "="
    if isinstance(first, list) and isinstance(other, list) and _flat(first) and _flat(other):
        gone = [v for v in first if v not in other]
        new = [v for v in other if v not in first]
        if gone or new:
            parts = [text(f"diff.{noun}_removed", lang, item=_words(v, lang)) for v in gone]
            parts += [text(f"diff.{noun}_added", lang, item=_words(v, lang)) for v in new]
            return "; ".join(parts)
    return f"{_words(first, lang)} → {_words(other, lang)}"


def _flat(values: list[Any]) -> bool:
    return all(isinstance(v, str | int | float) for v in values)


def _leaves(values: Sequence[Any], path: str, out: list[tuple[str, list[Any]]]) -> None:
    """Collect ``(path, values)`` of the leaves that differ; mappings are walked key by key."""
    if all(isinstance(v, dict) for v in values):
        for key in dict.fromkeys(k for v in values for k in v):
            child = f"{path}.{key}" if path else str(key)
            _leaves([v.get(key, _ABSENT) for v in values], child, out)
        return
    if len({repr(v) for v in values}) > 1:
        out.append((path, list(values)))


def _row(what: str, path: str, values: Sequence[Any], lang: Language) -> Difference:
    noun = "skill" if path == "skills" else "item"
    first = values[0]
    cells = [_words(first, lang), *(_changed(first, v, lang, noun) for v in values[1:])]
    return Difference(what=what, values=tuple(cells))


def _item_name(kind: str, key: str, items: Sequence[Any]) -> str:
    named = next((i for i in items if isinstance(i, dict) and i.get("name")), None)
    return str(named["name"]) if named is not None and kind != "communes" else key


def _keyed_rows(kind: str, lists: Sequence[Any], lang: Language, out: list[Difference]) -> None:
    """Rows for a keyed list: items added or removed, then each item's fields that differ."""
    field = _KEYED[kind]
    maps = [
        {str(item.get(field)): item for item in items if isinstance(item, dict)}
        if isinstance(items, list)
        else {}
        for items in lists
    ]
    for key in dict.fromkeys(k for m in maps for k in m):
        items = [m.get(key, _ABSENT) for m in maps]
        name = _item_name(kind, key, items)
        present = [item is not _ABSENT for item in items]
        if not all(present):
            cells = [text("diff.present" if present[0] else "diff.missing", lang)]
            for here in present[1:]:
                if here == present[0]:
                    cells.append("=")
                else:
                    state = "added" if here else "removed"
                    cells.append(text(f"diff.{kind}_{state}", lang, name=name))
            out.append(Difference(what=text(f"diff.{kind}", lang, name=name), values=tuple(cells)))
            continue
        leaves: list[tuple[str, list[Any]]] = []
        _leaves(items, "", leaves)
        for path, values in leaves:
            label = text("diff.skills", lang) if path == "skills" else path
            out.append(_row(f"{name}{text('summary.colon', lang)}{label}", path, values, lang))


def scenario_differences(
    dumps: Sequence[Mapping[str, Any]], lang: Language = "fr"
) -> tuple[Difference, ...]:
    """Describe what differs between scenarios, from the first one, in ``lang``.

    ``dumps`` are the validated scenarios' ``model_dump(mode="json")``. Units and staff
    are matched by id and commune rules by commune (an item only some scenarios have is
    one row: added, removed); other fields are compared key by key, and a list of
    skills or days as a set (``compétence fab_manager retirée``).
    """
    out: list[Difference] = []
    for key in dict.fromkeys(k for d in dumps for k in d):
        values = [d.get(key, _ABSENT) for d in dumps]
        if key in _KEYED:
            _keyed_rows(key, values, lang, out)
            continue
        leaves: list[tuple[str, list[Any]]] = []
        _leaves(values, key, leaves)
        out += [_row(path, path, vals, lang) for path, vals in leaves]
    return tuple(out)


def compare(
    labels: Sequence[str],
    indicators: Sequence[Indicators],
    dumps: Sequence[Mapping[str, Any]],
    *,
    lang: Language = "fr",
) -> Comparison:
    """Put the scenarios' indicators side by side, best values marked, with their differences."""
    rows = []
    for spec in INDICATOR_SPECS:
        values = tuple(getattr(ind, spec.key) for ind in indicators)
        unranked = _unranked(spec, indicators)
        rows.append(
            ComparisonRow(
                spec=spec, values=values, best=_best(spec, values, unranked), unranked=unranked
            )
        )
    return Comparison(
        labels=tuple(labels), rows=tuple(rows), differences=scenario_differences(dumps, lang)
    )
