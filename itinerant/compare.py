"""Indicators of a horizon of plans, and their comparison between scenarios (pure functions).

Formulas (``v_i``: sessions held in commune ``i`` over the horizon; ``p_i``: its
population; ``s_i``: its demand score; communes are those of the territory):

- *reach*: communes visited at least once; their population; the share of the
  territory's population living in a commune whose stop is within 15 minutes' drive
  (the scenario's travel matrix for its first unit's vehicle, from the commune's stop to
  the stops visited that week) of a session that week, averaged over the weeks; the mean
  and maximum number of days between two consecutive visits of a commune within the
  horizon (a multi-day stay counts as one visit, on its first day); communes never visited.
- *fairness*: visits per 1,000 inhabitants ``1000 * sum(v) / sum(p)``; two concentration
  indices of the visits (:func:`concentration_index`), against population (``w_i = p_i``)
  and against demand (``w_i = s_i``): 0 when visits are proportional to ``w``, towards 1
  when they go to a few communes; the demand-weighted share served
  ``sum(s_i, i visited) / sum(s_i)``.
- *effort and cost*: km of every trip (the crews' trips to a tiny house staying on site
  included), km driven by the units themselves, driving, on-site and staff hours (tour
  spans of each crew member), fuel ``unit km * fuel_l_per_100km / 100``, CO2
  ``fuel * co2_kg_per_l``, mileage cost ``unit km * cost_per_km``, staff cost
  ``sum(tour span h * cost_per_hour of each crew member)``, and their total.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    import datetime as dt

    from itinerant.geo.matrix import TravelMatrix
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
    communes_never_visited: int
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


class Difference(_Model):
    """One field that differs between scenarios: its path, and its JSON value in each."""

    path: str
    values: tuple[str | None, ...] = Field(description="compact JSON; None: absent")


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
        communes_never_visited=len(codes) - len(reached),
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
    )


# --------------------------------------------------------------------------- comparison


def _best(spec: IndicatorSpec, values: Sequence[float | None]) -> tuple[int, ...]:
    present = [(i, round(v, spec.decimals + 4)) for i, v in enumerate(values) if v is not None]
    if spec.better is None or len(present) < 2 or len({v for _, v in present}) == 1:
        return ()
    target = (max if spec.better == "higher" else min)(v for _, v in present)
    return tuple(i for i, v in present if v == target)


_ABSENT = object()


def _diff(values: Sequence[Any], path: str, out: list[Difference]) -> None:
    present = [v for v in values if v is not _ABSENT]
    if all(isinstance(v, dict) for v in present) and len(present) == len(values):
        keys = sorted({k for v in present for k in v})
        for key in keys:
            child = f"{path}.{key}" if path else str(key)
            _diff([v.get(key, _ABSENT) for v in present], child, out)
        return
    if all(isinstance(v, list) for v in present) and len(present) == len(values):
        for i in range(max(len(v) for v in present)):
            _diff([v[i] if i < len(v) else _ABSENT for v in present], f"{path}[{i}]", out)
        return
    texts = [
        None if v is _ABSENT else json.dumps(v, ensure_ascii=False, sort_keys=True) for v in values
    ]
    if len(set(texts)) > 1:
        out.append(Difference(path=path or "(scenario)", values=tuple(texts)))


def scenario_differences(dumps: Sequence[Mapping[str, Any]]) -> tuple[Difference, ...]:
    """List the fields that differ between scenarios, path by path.

    ``dumps`` are the validated scenarios' ``model_dump(mode="json")``. Mappings are
    compared key by key and lists item by item; where they stop matching in shape (a
    unit only one scenario has), the whole value is one row, absent (None) in the others.
    """
    out: list[Difference] = []
    _diff([dict(d) for d in dumps], "", out)
    return tuple(out)


def compare(
    labels: Sequence[str],
    indicators: Sequence[Indicators],
    dumps: Sequence[Mapping[str, Any]],
) -> Comparison:
    """Put the scenarios' indicators side by side, best values marked, with their differences."""
    rows = []
    for spec in INDICATOR_SPECS:
        values = tuple(getattr(ind, spec.key) for ind in indicators)
        rows.append(ComparisonRow(spec=spec, values=values, best=_best(spec, values)))
    return Comparison(
        labels=tuple(labels), rows=tuple(rows), differences=scenario_differences(dumps)
    )
