"""Demand scores on the real 7 Vallées communes: bounded, explainable, weighted as told."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pytest

from itinerant.demand import (
    MAX_URGENCY,
    NEVER_VISITED_URGENCY,
    DemandScore,
    demand_scores,
    explain,
    is_overdue_mandatory,
    parse_indicators,
    target_interval_days,
    urgency,
)
from itinerant.errors import ScenarioError
from itinerant.scenario import DemandModel, Point, Rotation
from itinerant.territory import Commune, Territory

ROOT = Path(__file__).resolve().parents[1]
COMMUNES_CSV = ROOT / "itinerant" / "data" / "communes_7vallees.csv"
SHARED = ROOT / ".." / "shared"
HESDIN_TOWN_HALL = (50.373001, 2.03727)
SPEED_M_S = 50 / 3.6  # the stand-in: straight line at 50 km/h


def read_territory() -> Territory:
    """The 69 rows of the bundled 7 Vallées table, read with the csv module."""
    with COMMUNES_CSV.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    communes = tuple(
        Commune(
            insee=row["insee"],
            name=row["name"],
            population=int(row["population"]),
            point=Point(lat=float(row["lat"]), lon=float(row["lon"])),
            town_hall_address=row["town_hall_address"],
            postal_code=row["postal_code"],
            current_insee=row["insee_2026"],
            current_name=row["name_2026"],
            area_km2=float(row["area_km2"]) if row["area_km2"] else None,
        )
        for row in rows
    )
    return Territory(name="CC des 7 Vallées", communes=communes, illectronism_rate=0.214)


def haversine_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6_371_000 * math.asin(math.sqrt(h))


def straight_time_s(commune: Commune, target: tuple[float, float]) -> int:
    """A stand-in for road time (the function takes times, wherever they come from)."""
    return round(haversine_m((commune.point.lat, commune.point.lon), target) / SPEED_M_S)


@pytest.fixture(scope="module")
def territory() -> Territory:
    """The real 7 Vallées: 69 communes from 22 (Neulette) to 2 225 people (Hesdin)."""
    return read_territory()


@pytest.fixture(scope="module")
def depot_times(territory: Territory) -> dict[str, int]:
    """Straight-line time from each town hall to Hesdin's."""
    return {c.insee: straight_time_s(c, HESDIN_TOWN_HALL) for c in territory.communes}


@pytest.fixture(scope="module")
def service_times(territory: Territory) -> dict[str, int]:
    """Straight-line time to the nearest France Services (the real 2023 directory)."""
    path = SHARED / "data" / "france_services_near_7vallees.csv"
    if not path.exists():
        pytest.skip("../shared/data is not beside the repository")
    with path.open(encoding="utf-8", newline="") as handle:
        points = [(float(r["lat"]), float(r["lon"])) for r in csv.DictReader(handle)]
    assert len(points) == 33
    return {c.insee: min(straight_time_s(c, p) for p in points) for c in territory.communes}


def by_code(scores: tuple[DemandScore, ...]) -> dict[str, DemandScore]:
    return {s.insee: s for s in scores}


def test_the_table_is_the_real_one(territory: Territory) -> None:
    assert len(territory.communes) == 69
    assert territory.find("Hesdin") is not None
    assert max(c.population for c in territory.communes) == 2225


def test_scores_are_bounded_sorted_and_sum_their_contributions(
    territory: Territory, depot_times: dict[str, int], service_times: dict[str, int]
) -> None:
    scores = demand_scores(
        territory, DemandModel(), depot_time_s=depot_times, service_time_s=service_times
    )
    assert [s.insee for s in scores] == sorted(c.insee for c in territory.communes)
    for score in scores:
        assert 0 <= score.score <= 1
        assert list(score.components) == sorted(score.components)
        assert score.score == pytest.approx(sum(c.contribution for c in score.components.values()))
        assert sum(c.weight for c in score.components.values()) == pytest.approx(1)
        assert not score.redistributed
    # every component spans [0, 1] across the territory
    for key in ("population", "remoteness_depot", "remoteness_service"):
        values = [s.components[key].normalised for s in scores]
        assert min(values) == pytest.approx(0, abs=0.1)
        assert max(values) == pytest.approx(1)
    hesdin = by_code(scores)["62447"]
    assert hesdin.components["population"].normalised == 1
    assert hesdin.components["population"].raw == pytest.approx(2225 * 0.214)
    assert hesdin.components["remoteness_depot"].normalised == 0  # the depot is there
    # same inputs, same output (no set, no clock)
    again = demand_scores(
        territory, DemandModel(), depot_time_s=depot_times, service_time_s=service_times
    )
    assert again == scores


def test_population_is_concave(territory: Territory, depot_times: dict[str, int]) -> None:
    model = DemandModel(weights={"population": 1.0})
    scores = by_code(demand_scores(territory, model, depot_time_s=depot_times, service_time_s=None))
    # sqrt(need / max need); the rate cancels out. Neulette (22 people) vs Hesdin (2 225):
    # linear would give 0.0099, the square root 0.099.
    assert scores["62605"].score == pytest.approx(math.sqrt(22 / 2225), abs=1e-6)
    assert scores["62447"].score == 1


def test_weight_zero_has_no_effect(territory: Territory, depot_times: dict[str, int]) -> None:
    """A component weighted 0 cannot change any score, whatever its input."""
    model = DemandModel(weights={"population": 1.0, "remoteness_depot": 0.0})
    first = demand_scores(territory, model, depot_time_s=depot_times, service_time_s=None)
    reversed_times = {code: 10_000 - t for code, t in depot_times.items()}
    second = demand_scores(territory, model, depot_time_s=reversed_times, service_time_s=None)
    assert [s.score for s in first] == [s.score for s in second]
    assert "remoteness_depot" not in first[0].components
    assert not first[0].redistributed  # weight 0 is not "missing"


def test_weights_are_respected(territory: Territory, depot_times: dict[str, int]) -> None:
    only_depot = by_code(
        demand_scores(
            territory,
            DemandModel(weights={"remoteness_depot": 2.0}),
            depot_time_s=depot_times,
            service_time_s=None,
        )
    )
    farthest = max(depot_times, key=lambda code: depot_times[code])
    assert only_depot[farthest].score == 1
    assert only_depot["62447"].score == 0
    # weights 3:1 are normalised to 0.75 / 0.25
    mixed = demand_scores(
        territory,
        DemandModel(weights={"population": 3.0, "remoteness_depot": 1.0}),
        depot_time_s=depot_times,
        service_time_s=None,
    )
    assert mixed[0].components["population"].weight == 0.75
    assert mixed[0].components["remoteness_depot"].weight == 0.25


def test_bigger_more_remote_commune_scores_higher(
    territory: Territory, depot_times: dict[str, int], service_times: dict[str, int]
) -> None:
    """Built explicitly: the same service time for both, only size and distance differ."""
    # Campagne-lès-Hesdin: 1 943 people, 11.6 km from Hesdin (straight line);
    # Marconne: 1 067 people, 0.9 km from Hesdin.
    big_far, small_near = territory.find("62204"), territory.find("62549")
    assert big_far is not None
    assert small_near is not None
    assert big_far.population > small_near.population
    assert depot_times["62204"] > 3 * depot_times["62549"]
    equal_service = {**service_times, "62549": service_times["62204"]}
    scores = by_code(
        demand_scores(
            territory, DemandModel(), depot_time_s=depot_times, service_time_s=equal_service
        )
    )
    assert scores["62204"].score > scores["62549"].score
    for key in ("population", "remoteness_depot"):
        assert (
            scores["62204"].components[key].normalised > scores["62549"].components[key].normalised
        )


def test_service_points_from_the_real_directory(
    territory: Territory, depot_times: dict[str, int], service_times: dict[str, int]
) -> None:
    scores = by_code(
        demand_scores(
            territory, DemandModel(), depot_time_s=depot_times, service_time_s=service_times
        )
    )
    # Beaurainville has its own France Services; the farthest commune from one gets 1
    assert scores["62100"].components["remoteness_service"].normalised < 0.05
    farthest = max(service_times, key=lambda code: service_times[code])
    assert scores[farthest].components["remoteness_service"].normalised == 1


def test_missing_service_times_share_the_weight_out(
    territory: Territory, depot_times: dict[str, int]
) -> None:
    scores = demand_scores(territory, DemandModel(), depot_time_s=depot_times, service_time_s=None)
    for score in scores:
        assert score.redistributed == ("remoteness_service",)
        assert "remoteness_service" not in score.components
        assert any("remoteness_service" in note for note in score.notes)
    # default 0.5 / 0.2 / 0.3 without the last: 0.5 / 0.7 and 0.2 / 0.7
    assert scores[0].components["population"].weight == pytest.approx(0.5 / 0.7, abs=1e-6)
    assert scores[0].components["remoteness_depot"].weight == pytest.approx(0.2 / 0.7, abs=1e-6)


def test_overrides_win_and_are_flagged(territory: Territory, depot_times: dict[str, int]) -> None:
    model = DemandModel(overrides={"Marconne": 0.95, "62605": 0.0})
    scores = by_code(demand_scores(territory, model, depot_time_s=depot_times, service_time_s=None))
    assert scores["62549"].score == 0.95
    assert scores["62549"].overridden
    assert scores["62549"].computed_score < 0.95  # kept for the breakdown
    assert scores["62605"].score == 0
    assert sum(s.overridden for s in scores.values()) == 2
    assert "overridden: 0.950" in explain(scores["62549"])
    with pytest.raises(ScenarioError, match=r"demand\.overrides\.Paris: 'Paris' is not a commune"):
        demand_scores(
            territory,
            DemandModel(overrides={"Paris": 1.0}),
            depot_time_s=depot_times,
            service_time_s=None,
        )


def test_unknown_weight_key_is_named(territory: Territory, depot_times: dict[str, int]) -> None:
    with pytest.raises(ScenarioError, match=r"demand\.weights\.populaton: 'populaton' is neither"):
        demand_scores(
            territory,
            DemandModel(weights={"populaton": 1.0}),
            depot_time_s=depot_times,
            service_time_s=None,
        )


def test_indicator_columns_are_min_max_and_missing_takes_the_mean(
    territory: Territory, depot_times: dict[str, int]
) -> None:
    rows = [
        {"insee": "62018", "name": "Aix-en-Issart", "share_over_60": "0,40"},
        {"insee": "Aubin-Saint-Vaast", "name": "", "share_over_60": "0.2"},
    ]
    indicators = parse_indicators(rows, territory, source="ind.csv")
    assert indicators == {"share_over_60": {"62018": 0.4, "62046": 0.2}}
    model = DemandModel(weights={"share_over_60": 1.0, "population": 0.0})
    scores = by_code(
        demand_scores(
            territory,
            model,
            depot_time_s=depot_times,
            service_time_s=None,
            indicators=indicators,
        )
    )
    assert scores["62018"].score == 1
    assert scores["62046"].score == 0
    assert scores["62050"].score == pytest.approx(0.5)  # no value: the mean, 0.3
    assert any("67 commune(s)" in note for note in scores["62050"].notes)
    # the unparsed rows give the same result
    from_rows = demand_scores(
        territory, model, depot_time_s=depot_times, service_time_s=None, indicator_rows=rows
    )
    assert from_rows == tuple(scores.values())


def test_bad_indicator_rows_are_all_named(territory: Territory) -> None:
    rows = [
        {"insee": "62018", "poverty": "12"},
        {"insee": "62018", "poverty": "13"},
        {"insee": "75056", "poverty": "15"},
        {"insee": "62046", "poverty": "high"},
        {"insee": "62050", "poverty": "nan"},
    ]
    with pytest.raises(ScenarioError) as info:
        parse_indicators(rows, territory, source="ind.csv")
    assert info.value.problems == [
        "ind.csv: line 3: insee: '62018' is a duplicate of line 2",
        "ind.csv: line 4: insee: '75056' is not a commune of CC des 7 Vallées",
        "ind.csv: line 5: poverty: 'high' is not a number",
        "ind.csv: line 6: poverty: 'nan' is not finite",
    ]
    with pytest.raises(ScenarioError, match=r"ind\.csv: missing column insee"):
        parse_indicators([{"code": "62018"}], territory, source="ind.csv")


def test_missing_travel_time_is_a_caller_error(
    territory: Territory, depot_times: dict[str, int]
) -> None:
    partial = {code: t for code, t in depot_times.items() if code != "62447"}
    with pytest.raises(ValueError, match=r"depot_time_s: no travel time for commune\(s\) 62447"):
        demand_scores(territory, DemandModel(), depot_time_s=partial, service_time_s=None)


def test_explain_names_each_component(territory: Territory, depot_times: dict[str, int]) -> None:
    scores = by_code(
        demand_scores(territory, DemandModel(), depot_time_s=depot_times, service_time_s=None)
    )
    text = explain(scores["62447"])
    assert text.startswith("62447 Hesdin: ")
    assert "population 1.000 x 0.714" in text
    assert "remoteness_depot 0.000 x 0.286" in text


ROTATION = Rotation(min_interval_days=14, max_interval_days=56, mandatory_after_factor=2.0)


def test_target_interval_is_linear_in_the_score() -> None:
    assert target_interval_days(1.0, ROTATION) == 14
    assert target_interval_days(0.0, ROTATION) == 56
    assert target_interval_days(0.5, ROTATION) == 35
    assert target_interval_days(1.5, ROTATION) == 14  # clipped


def test_urgency_grows_with_time_since_the_last_visit() -> None:
    interval = target_interval_days(0.6, ROTATION)  # 30.8 days
    last_week, two_months_ago = urgency(7, interval), urgency(61, interval)
    assert last_week < two_months_ago
    assert urgency(1, interval) == pytest.approx(1 / interval)  # near 0
    assert urgency(interval, interval) == 1  # due today
    assert urgency(None, interval) == NEVER_VISITED_URGENCY == 2
    assert urgency(10 * interval, interval) == MAX_URGENCY
    assert urgency(-3, interval) == 0  # a visit recorded after the reference date


def test_overdue_becomes_mandatory_beyond_the_factor() -> None:
    interval = 20.0
    assert not is_overdue_mandatory(40, interval, ROTATION)  # exactly 2 intervals
    assert is_overdue_mandatory(41, interval, ROTATION)
    assert not is_overdue_mandatory(None, interval, ROTATION)  # never visited: not forced


def test_existing_services_multiply_the_need_within_reach_only(
    territory: Territory, depot_times: dict[str, int], service_times: dict[str, int]
) -> None:
    """Within 6 min (5 km here) of a France Services the score is x 0.6; beyond, unchanged.

    The term multiplies the summed contributions after normalisation, so every other
    number of the breakdown stays as it was without the rule.
    """
    plain = by_code(
        demand_scores(
            territory, DemandModel(), depot_time_s=depot_times, service_time_s=service_times
        )
    )
    model = DemandModel.model_validate(
        {
            "service_points": [str(COMMUNES_CSV)],  # any existing file: times are given here
            "existing_services": {"within_min": 6, "factor": 0.6},
        }
    )
    served = by_code(
        demand_scores(territory, model, depot_time_s=depot_times, service_time_s=service_times)
    )
    near = [code for code, t in service_times.items() if t <= 6 * 60]
    far = [code for code, t in service_times.items() if t > 6 * 60]
    assert near  # the real directory reaches some communes, not all
    assert far
    assert "62100" in near  # Beaurainville has its own France Services
    for code in near:
        assert served[code].existing_services == 0.6
        assert served[code].computed_score == pytest.approx(
            plain[code].computed_score * 0.6,
            abs=1e-6,  # both rounded to 6 decimals
        )
        assert served[code].components == plain[code].components
    for code in far:
        assert served[code].existing_services == 1.0
        assert served[code].computed_score == plain[code].computed_score
    assert "x existing_services 0.600" in explain(served["62100"])


def test_existing_services_need_service_points() -> None:
    """The rule measures the time to service points: without any it is refused."""
    with pytest.raises(ValueError, match="existing_services needs service_points"):
        DemandModel.model_validate({"existing_services": {"within_min": 15, "factor": 0.6}})
