"""``max_visits_per_week`` counts visits, and a multi-day stay is one visit (#13).

A coordinator announces a stay once (the fab lab is in Boisjean Tuesday to Thursday)
and books the hall once: it is one visit of three days. So the default cap of 1 allows
a stay, and a cap of 2 allows a stay and one other visit, four session days in all.
"""

from __future__ import annotations

import pytest
from reference_week import (
    check_plan,
    make_scenario,
    matrices_for,
    reference_staff,
    stops_near,
    tiny_house,
    van,
)

from itinerant.optimize.week import plan_week
from itinerant.plan import Plan
from itinerant.scenario import Period, SolverSettings, StopRule
from itinerant.territory import Territory

BOISJEAN = "62150"  # ~34 min towed each way: with a 60-minute towing cap, only a stay fits


def _plan(territory: Territory, cap: int) -> Plan:
    scenario = make_scenario(
        units=(van(), tiny_house(max_drive_min=60)),
        staff=reference_staff(),
        solver=SolverSettings(time_limit_s=5, solution_limit=100),
        period=Period(working_days=("mon", "tue", "wed", "thu")),
        communes=(StopRule(commune=BOISJEAN, max_visits_per_week=cap),),
    )
    stops = stops_near(scenario, territory, (BOISJEAN,))
    matrices = matrices_for(scenario, stops)
    plan = plan_week(scenario, stops, {BOISJEAN: 1.0}, {}, matrices, week="2026-W49")
    check_plan(plan, scenario, stops, matrices)  # visits, stays counted once, within the cap
    return plan


@pytest.mark.parametrize(("cap", "visits", "session_days"), [(1, 1, 3), (2, 2, 4)])
def test_a_stay_counts_as_one_visit(
    territory: Territory, cap: int, visits: int, session_days: int
) -> None:
    plan = _plan(territory, cap)
    days = [(t.unit_id, v) for t in plan.tours for v in t.visits if v.insee == BOISJEAN]
    arrivals = [(unit, v) for unit, v in days if not v.continues_stay]
    assert len(arrivals) == visits  # the cap is met, counting the stay once
    assert len(days) == session_days
    stay = [v for unit, v in days if unit == "tiny-house"]
    assert [v.stay_day for v in stay] == [1, 2, 3]  # the 3-day stay is kept under cap 1
    assert plan.kpis.visits == session_days  # every day of a stay is a session
