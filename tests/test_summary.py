"""The plan summary says, in the scenario's language, which unit-days stay home and why (#13)."""

from __future__ import annotations

import datetime as dt

import pytest
from reference_week import NEAR, WEEK, make_scenario, matrices_for, stops_near

from itinerant.optimize.week import plan_week
from itinerant.plan import IdleUnitDay, Plan
from itinerant.scenario import Period, Scenario, SolverSettings
from itinerant.summary import idle_day_reason, plan_summary
from itinerant.territory import Territory

SATURDAY = dt.date(2026, 12, 5)
FRIDAY = dt.date(2026, 12, 4)


@pytest.fixture(scope="module")
def saturday_week(territory: Territory) -> tuple[Scenario, Plan]:
    """The reference week with ``sat`` added to the working days: nobody works Saturdays."""
    scenario = make_scenario(
        period=Period(working_days=("mon", "tue", "wed", "thu", "fri", "sat")),
        solver=SolverSettings(time_limit_s=4, solution_limit=50),
    )
    stops = stops_near(scenario, territory, NEAR)
    plan = plan_week(
        scenario, stops, dict.fromkeys(NEAR, 0.8), {}, matrices_for(scenario, stops), week=WEEK
    )
    return scenario, plan


def test_saturday_added_but_nobody_works_it(saturday_week: tuple[Scenario, Plan]) -> None:
    """Adding ``sat`` changes nothing; the summary says why, for each unit, in French."""
    scenario, plan = saturday_week
    assert SATURDAY in plan.dates
    assert not [t for t in plan.tours if t.date == SATURDAY]
    idle = {(i.unit_id, i.date) for i in plan.idle_unit_days}
    assert {(u.id, SATURDAY) for u in scenario.units} <= idle
    text = plan_summary(plan, scenario)
    van = scenario.units[0]
    role = van.crew[0]
    assert (
        f"  samedi 5 décembre : {van.name} reste au dépôt : personne avec "
        f"{' + '.join(sorted(role.skills))} ne travaille le samedi (rôle « {role.role} »)"
    ) in text.splitlines()
    assert "Saturday" not in text  # plan.json's reason is English; the summary is not
    english = plan_summary(plan, scenario, "en")
    assert f"nobody with {' + '.join(sorted(role.skills))} works on Saturday" in english


def test_each_kind_of_idle_day_is_named(saturday_week: tuple[Scenario, Plan]) -> None:
    scenario, _ = saturday_week
    van = scenario.units[0]
    part_time = van.model_copy(update={"working_days": ("mon", "tue"), "unavailable": (FRIDAY,)})
    changed = scenario.model_copy(update={"units": (part_time, *scenario.units[1:])})

    def why(day: dt.date, lang: str = "fr") -> str:
        idle = IdleUnitDay(unit_id=van.id, date=day, reason="(English diagnostic)")
        return idle_day_reason(idle, changed, "en" if lang == "en" else "fr")

    assert why(FRIDAY) == f"{van.name} ne sort pas le vendredi (jours de travail de l'unité)"
    assert why(FRIDAY, "en") == f"{van.name} does not work on Fridays (the unit's working days)"
    tuesday = dt.date(2026, 12, 1)
    assert why(tuesday).startswith(f"{van.name} reste au dépôt : son équipe est plus utile")
    available = changed.model_copy(
        update={"units": (van.model_copy(update={"unavailable": (tuesday,)}), *scenario.units[1:])}
    )
    idle = IdleUnitDay(unit_id=van.id, date=tuesday, reason="x")
    assert idle_day_reason(idle, available, "fr") == f"{van.name} indisponible ce jour-là"
