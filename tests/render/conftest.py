"""Render fixtures: small real week plans on 7 Vallées communes, solved once per run.

The reference week of ``tests/reference_week.py`` (bundled communes, reference units and
staff, straight-line travel matrices) through the real optimiser.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from reference_week import HESDIN, NEAR, WEEK, matrices_for, reference_staff, tiny_house, van

from itinerant.optimize.week import plan_week
from itinerant.plan import Plan
from itinerant.render import RenderContext
from itinerant.scenario import (
    Contact,
    Contacts,
    Depot,
    Period,
    Scenario,
    SolverSettings,
    StopRule,
    Venue,
)
from itinerant.territory import Stop, Territory, build_stops

REPO_ROOT = Path(__file__).resolve().parents[2]
OUTLINES = REPO_ROOT / ".." / "shared" / "data" / "communes_7vallees.geojson"
GENERATED = dt.datetime(2026, 11, 23, 9, 15, tzinfo=dt.UTC)
EVIL = "<script>alert(1)</script>"


def _solve(scenario: Scenario, stops: Sequence[Stop]) -> Plan:
    return plan_week(
        scenario,
        stops,
        {s.insee: 0.5 + 0.04 * i for i, s in enumerate(stops)},
        {},
        matrices_for(scenario, stops),
        week=WEEK,
        seed=1,
        scenario_hash="h",
        generated_at=GENERATED,
    )


@pytest.fixture(scope="session")
def outlines() -> dict[str, Any]:
    """Commune outlines of the 7 Vallées (``../shared/data/communes_7vallees.geojson``)."""
    if not OUTLINES.is_file():
        pytest.skip(f"commune outlines not found at {OUTLINES} (../shared missing)")
    data: dict[str, Any] = json.loads(OUTLINES.read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="session")
def week_scenario() -> Scenario:
    """Van and tiny house from the Hesdin depot, four staff, Monday to Friday."""
    return Scenario(
        name="7 Vallées test",
        depot=Depot(name="Coopérative", address="1 place d'Armes, 62140 Hesdin", point=HESDIN),
        units=(van(), tiny_house(name="Tiny house fab lab")),
        staff=reference_staff(),
        solver=SolverSettings(time_limit_s=5, solution_limit=100),
    )


@pytest.fixture(scope="session")
def week_plan(week_scenario: Scenario, territory: Territory) -> Plan:
    """A real week: the van and the tiny house over 12 communes near Hesdin, 5 days."""
    stops = tuple(s for s in build_stops(week_scenario, territory) if s.insee in NEAR)
    plan = _solve(week_scenario, stops)
    assert len(plan.tours) >= 4
    assert {t.unit_id for t in plan.tours} == {"bus", "tiny-house"}
    return plan


@pytest.fixture(scope="session")
def week_context(
    week_scenario: Scenario, territory: Territory, outlines: dict[str, Any]
) -> RenderContext:
    """Context of ``week_plan``: depot, staff names, outlines, demand, no road geometry."""
    return RenderContext.from_scenario(
        week_scenario,
        territory,
        outlines=outlines,
        scores={c: 0.3 + 0.05 * i for i, c in enumerate(NEAR)},
    )


@pytest.fixture(scope="session")
def evil_scenario(territory: Territory) -> Scenario:
    """The van on two days; a venue, a unit and a staff member named by an attacker."""
    marconne = territory.find("62549")
    assert marconne is not None
    venue = Venue(name=EVIL, address='=HYPERLINK("http://x")', point=marconne.point)
    camille, *others = reference_staff()
    return Scenario(
        name="evil",
        depot=Depot(name="Dépôt <b>", point=HESDIN),
        units=(van(name="Bus <i>"),),
        staff=(camille.model_copy(update={"name": "@Camille"}), *others),
        period=Period(working_days=("mon", "tue")),
        communes=(StopRule(commune="62549", venue=venue, must_visit=True),),
        solver=SolverSettings(time_limit_s=5, solution_limit=100),
    )


@pytest.fixture(scope="session")
def evil_plan(evil_scenario: Scenario, territory: Territory) -> Plan:
    """A plan whose Marconne stop is named ``<script>alert(1)</script>`` (commune, venue)."""
    stops = []
    for stop in build_stops(evil_scenario, territory):
        if stop.insee in NEAR[:4]:
            evil = stop.insee == "62549"
            stops.append(stop.model_copy(update={"commune_name": EVIL}) if evil else stop)
    plan = _solve(evil_scenario, stops)
    assert any(v.commune_name == EVIL for t in plan.tours for v in t.visits)
    return plan


@pytest.fixture(scope="session")
def evil_context(
    evil_scenario: Scenario, territory: Territory, outlines: dict[str, Any]
) -> RenderContext:
    """Context of ``evil_plan``, with an outline whose name is a script too."""
    features = [
        {**f, "properties": {**f["properties"], "name": EVIL}}
        if f["properties"]["insee"] == "62447"
        else f
        for f in outlines["features"]
    ]
    return RenderContext.from_scenario(
        evil_scenario,
        territory,
        outlines={**outlines, "features": features},
        scores=dict.fromkeys(NEAR, 0.5),
    )


@pytest.fixture(scope="session")
def contacts_context(
    week_scenario: Scenario, week_plan: Plan, territory: Territory
) -> RenderContext:
    """The week's context with a coordinator, a delay line, staff phones and a stop contact."""
    first = week_plan.tours[0].visits[0]
    scenario = week_scenario.model_copy(
        update={
            "contacts": Contacts(
                coordinator=Contact(name="Coordination <b>", phone="03 53 01 00 10"),
                delay_or_breakdown="Appeler la coordination, puis la mairie de l'étape",
            ),
            "staff": tuple(
                s.model_copy(update={"phone": f"06 39 98 00 {i:02d}"})
                for i, s in enumerate(week_scenario.staff)
            ),
            "communes": (
                StopRule(commune=first.insee, contact=Contact(name=EVIL, phone="03 53 01 00 20")),
            ),
        }
    )
    return RenderContext.from_scenario(scenario, territory)
