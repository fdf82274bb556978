"""Demand scores on the real 7 Vallées communes: bounded, explainable, weighted as told."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from itinerant.demand import demand_scores, parse_indicators
from itinerant.errors import ScenarioError
from itinerant.geo.matrix import haversine_m
from itinerant.loading import load_bundled_territory, read_service_points
from itinerant.scenario import DemandModel
from itinerant.territory import Territory

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
HESDIN = (50.373001, 2.03727)


@pytest.fixture(scope="module")
def territory() -> Territory:
    return load_bundled_territory("7-vallees")


def straight_time_s(lat: float, lon: float, target: tuple[float, float]) -> int:
    """A stand-in for road time: straight line at 50 km/h (the function takes any times)."""
    return round(float(haversine_m(lat, lon, target[0], target[1])) / (50 / 3.6))


@pytest.fixture(scope="module")
def depot_times(territory: Territory) -> dict[str, int]:
    return {c.insee: straight_time_s(c.point.lat, c.point.lon, HESDIN) for c in territory.communes}


def test_scores_are_bounded_sorted_and_explained(
    territory: Territory, depot_times: dict[str, int]
) -> None:
    scores = demand_scores(territory, DemandModel(), depot_time_s=depot_times, service_time_s=None)
    assert [s.insee for s in scores] == sorted(c.insee for c in territory.communes)
    for score in scores:
        assert 0 <= score.score <= 1
        # the score is the sum of its contributions, and the weights sum to 1
        assert score.score == pytest.approx(sum(c.contribution for c in score.components.values()))
        assert sum(c.weight for c in score.components.values()) == pytest.approx(1)
        # no service points: the remoteness_service weight is shared out, and it says so
        assert "remoteness_service" not in score.components
        assert any("shared out" in note for note in score.notes)
    # default weights 0.5 / 0.2 / 0.3 without the last: 0.5/0.7 and 0.2/0.7
    weights = scores[0].components
    assert weights["population"].weight == pytest.approx(0.5 / 0.7, abs=1e-6)
    hesdin = next(s for s in scores if s.insee == "62447")
    assert hesdin.components["remoteness_depot"].normalised == pytest.approx(0)


def test_population_is_concave_and_weight_zero_has_no_effect(
    territory: Territory, depot_times: dict[str, int]
) -> None:
    model = DemandModel(weights={"population": 1.0, "remoteness_depot": 0.0})
    scores = {
        s.insee: s
        for s in demand_scores(territory, model, depot_time_s=depot_times, service_time_s=None)
    }
    largest = max(territory.communes, key=lambda c: c.population)
    assert scores[largest.insee].score == pytest.approx(1)
    smallest = min(territory.communes, key=lambda c: c.population)
    # sqrt(need / max need): a village keeps a visible share
    assert scores[smallest.insee].score == pytest.approx(
        math.sqrt(smallest.population / largest.population), abs=1e-6
    )
    # remoteness weighted 0: moving the depot changes nothing
    far = {code: 10_000 - t for code, t in depot_times.items()}
    again = demand_scores(territory, model, depot_time_s=far, service_time_s=None)
    assert [s.score for s in again] == [s.score for s in scores.values()]


def test_big_remote_commune_outranks_small_one_next_to_depot(
    territory: Territory, depot_times: dict[str, int]
) -> None:
    scores = {
        s.insee: s.score
        for s in demand_scores(
            territory, DemandModel(), depot_time_s=depot_times, service_time_s=None
        )
    }
    # Beaurainville: 2 014 people, 10 km from Hesdin; Marconnelle: 1 090, next to Hesdin
    assert depot_times["62100"] > depot_times["62550"]
    assert scores["62100"] > scores["62550"]


def test_service_points_from_the_real_directory(
    territory: Territory, depot_times: dict[str, int]
) -> None:
    path = SHARED / "data" / "france_services_near_7vallees.csv"
    if not path.exists():
        pytest.skip("../shared/data is not beside the repository")
    points = read_service_points(path)
    service = {
        c.insee: min(straight_time_s(c.point.lat, c.point.lon, (p.lat, p.lon)) for p in points)
        for c in territory.communes
    }
    scores = {
        s.insee: s
        for s in demand_scores(
            territory, DemandModel(), depot_time_s=depot_times, service_time_s=service
        )
    }
    # Beaurainville has its own France Services: the farthest from one scores higher
    assert scores["62100"].components["remoteness_service"].normalised == pytest.approx(0, abs=0.05)
    farthest = max(service, key=lambda code: service[code])
    assert scores[farthest].components["remoteness_service"].normalised == pytest.approx(1)


def test_overrides_win_and_are_flagged(territory: Territory, depot_times: dict[str, int]) -> None:
    model = DemandModel(overrides={"Marconne": 0.95})
    scores = {
        s.insee: s
        for s in demand_scores(territory, model, depot_time_s=depot_times, service_time_s=None)
    }
    assert scores["62549"].score == 0.95
    assert scores["62549"].overridden
    assert sum(s.overridden for s in scores.values()) == 1


def test_indicator_columns_and_unknown_weights(
    territory: Territory, depot_times: dict[str, int]
) -> None:
    rows = [{"insee": "62018", "share_over_60": "0,40"}, {"insee": "62046", "share_over_60": "0.2"}]
    model = DemandModel(weights={"share_over_60": 1.0})
    scores = {
        s.insee: s
        for s in demand_scores(
            territory, model, depot_time_s=depot_times, service_time_s=None, indicator_rows=rows
        )
    }
    assert scores["62018"].score == pytest.approx(1)
    assert scores["62046"].score == pytest.approx(0)
    assert scores["62050"].score == pytest.approx(0.5)  # missing: the mean, 0.3
    with pytest.raises(ScenarioError, match=r"demand\.weights\.share_over_65: 'share_over_65'"):
        demand_scores(
            territory,
            DemandModel(weights={"share_over_65": 1.0}),
            depot_time_s=depot_times,
            service_time_s=None,
            indicator_rows=rows,
        )


def test_bad_indicator_rows_are_all_named(territory: Territory) -> None:
    rows = [
        {"insee": "62018", "poverty": "12"},
        {"insee": "62018", "poverty": "13"},
        {"insee": "75056", "poverty": "15"},
        {"insee": "62046", "poverty": "high"},
    ]
    with pytest.raises(ScenarioError) as info:
        parse_indicators(rows, territory, source="ind.csv")
    assert info.value.problems == [
        "ind.csv: line 3: insee: '62018' is a duplicate of line 2",
        "ind.csv: line 4: insee: '75056' is not a commune of CC des 7 Vallées (Pas-de-Calais)",
        "ind.csv: line 5: poverty: 'high' is not a number",
    ]
