"""End-to-end week plans on real 7 Vallées communes, solver for real."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pytest
from reference_week import (
    NEAR,
    WEEK,
    check_plan,
    make_scenario,
    matrices_for,
    reference_staff,
    stops_near,
    tiny_house,
    van,
)

from itinerant.errors import InfeasiblePlanError
from itinerant.optimize.week import plan_week
from itinerant.plan import Plan
from itinerant.scenario import (
    DateRange,
    Period,
    Scenario,
    SolverSettings,
    Staff,
    StopRule,
    TimeWindow,
    Venue,
)
from itinerant.summary import plan_summary
from itinerant.territory import Territory, build_stops

FAST = SolverSettings(time_limit_s=5, solution_limit=100)
MONDAY = dt.date(2026, 11, 30)


def _plan(
    scenario: Scenario,
    territory: Territory,
    codes: Sequence[str],
    *,
    scores: dict[str, float] | None = None,
    last: dict[str, dt.date] | None = None,
    seed: int | None = None,
) -> Plan:
    stops = stops_near(scenario, territory, codes)
    matrices = matrices_for(scenario, stops)
    plan = plan_week(
        scenario,
        stops,
        scores or dict.fromkeys(codes, 0.8),
        last or {},
        matrices,
        week=WEEK,
        seed=seed,
        scenario_hash="h",
    )
    check_plan(plan, scenario, stops, matrices)
    return plan


def test_small_week_respects_every_rule(territory: Territory) -> None:
    """Van + tiny house, reference staff, 12 communes: all hard rules hold (check_plan)."""
    scenario = make_scenario(solver=FAST)
    plan = _plan(scenario, territory, NEAR)
    assert plan.tours
    assert {t.unit_id for t in plan.tours} == {"bus", "tiny-house"}
    # Sarah (the only fab manager) does not work on Fridays: the tiny house stays home
    friday = [
        i
        for i in plan.idle_unit_days
        if i.date == dt.date(2026, 12, 4) and i.unit_id == "tiny-house"
    ]
    assert friday
    assert "fab_manager" in friday[0].reason
    # everything is either visited or explained
    visited = {v.stop_id for t in plan.tours for v in t.visits}
    assert visited | {u.stop_id for u in plan.unvisited} == set(NEAR)
    assert plan.provenance.search_ended_by in ("solution_limit", "local_optimum")
    assert plan.roster


def test_same_seed_same_plan(territory: Territory) -> None:
    """Two runs with one seed give the same plan, solve time aside."""
    scenario = make_scenario(solver=FAST)
    first = _plan(scenario, territory, NEAR, seed=3)
    second = _plan(scenario, territory, NEAR, seed=3)
    assert first.without_timing().model_dump_json() == second.without_timing().model_dump_json()


def test_recent_visit_ranks_below_overdue_one(territory: Territory) -> None:
    """With room for one visit, the commune seen two months ago beats last week's.

    Both venues stand at the same point and have the same score, so only urgency differs:
    7 days / 14-day interval (0.5) against 60 / 14 (capped at 3).
    """
    a, b = "62388", "62398"  # Grigny, Guisy
    venue = Venue(name="Salle", point=territory.find(a).point)  # type: ignore[union-attr]
    scenario = make_scenario(
        units=(van(max_stops_per_day=1),),
        period=Period(working_days=("mon",)),
        communes=(StopRule(commune=a, venue=venue), StopRule(commune=b, venue=venue)),
        solver=FAST,
    )
    plan = _plan(
        scenario,
        territory,
        (a, b),
        scores={a: 1.0, b: 1.0},
        last={a: MONDAY - dt.timedelta(days=7), b: MONDAY - dt.timedelta(days=60)},
    )
    assert [v.stop_id for t in plan.tours for v in t.visits] == [b]
    assert [(u.stop_id, u.reason) for u in plan.unvisited] == [(a, "lower_value")]


def test_must_visit_is_visited(territory: Territory) -> None:
    """A must-visit commune of score 0 is visited although it is worth nothing."""
    scenario = make_scenario(
        units=(van(),),
        communes=(StopRule(commune="62677", must_visit=True),),
        solver=FAST,
        period=Period(working_days=("mon", "tue")),
    )
    scores = dict.fromkeys(NEAR, 0.9) | {"62677": 0.0}
    plan = _plan(scenario, territory, NEAR, scores=scores)
    assert "62677" in {v.stop_id for t in plan.tours for v in t.visits}


def test_impossible_must_visit_names_stop_and_reason(territory: Territory) -> None:
    """A must-visit stop closed all week: the error names it and the missing window."""
    closed = DateRange(start=MONDAY, end=MONDAY + dt.timedelta(days=6))
    scenario = make_scenario(
        units=(van(),),
        solver=FAST,
        communes=(StopRule(commune="Marconne", must_visit=True, closures=(closed,)),),
    )
    with pytest.raises(InfeasiblePlanError, match=r"Marconne \(62549\).*no opening window"):
        _plan(scenario, territory, NEAR)


def test_no_towing_licence_names_the_day(territory: Territory) -> None:
    """Only Wednesday, no driver_be that day: a tiny-house-only must-visit cannot be done."""
    staff = tuple(
        m.model_copy(update={"absences": (dt.date(2026, 12, 2),)}) if "driver_be" in m.skills else m
        for m in reference_staff()
    )
    scenario = make_scenario(
        units=(van(), tiny_house()),
        staff=staff,
        period=Period(working_days=("wed",)),
        communes=(StopRule(commune="Marconne", must_visit=True, units=("tiny-house",)),),
        solver=FAST,
    )
    with pytest.raises(
        InfeasiblePlanError,
        match=r"Marconne \(62549\).*Wednesday 2026-12-02: no staff member with driver_be "
        r"is available, so the tiny house cannot go out",
    ):
        _plan(scenario, territory, NEAR)


def test_empty_week_says_so(territory: Territory) -> None:
    """No staff member holds a skill the units need: nothing can go out all week."""
    staff = (Staff(id="x", name="X", skills=("driver_b",)),)
    scenario = make_scenario(staff=staff, solver=FAST)
    with pytest.raises(InfeasiblePlanError, match="no unit can go out on any day"):
        _plan(scenario, territory, NEAR)


def test_no_working_day(territory: Territory) -> None:
    """A week made only of days off raises, naming the week."""
    off = DateRange(start=MONDAY, end=MONDAY + dt.timedelta(days=6))
    scenario = make_scenario(period=Period(days_off=(off,)), solver=FAST)
    with pytest.raises(InfeasiblePlanError, match=f"{WEEK} has no working day"):
        _plan(scenario, territory, NEAR)


def test_second_visit_never_same_day(territory: Territory) -> None:
    """A commune allowed twice a week, worth as much the second time, gets two days."""
    scenario = make_scenario(
        units=(van(),),
        solver=FAST,
        period=Period(working_days=("mon", "tue", "wed")),
        rotation={"second_visit_factor": 1.0},
        communes=(StopRule(commune="62549", max_visits_per_week=2),),
    )
    scores = dict.fromkeys(NEAR[:5], 0.2) | {"62549": 1.0}
    plan = _plan(scenario, territory, NEAR[:5], scores=scores)
    dates = [t.date for t in plan.tours for v in t.visits if v.stop_id == "62549"]
    assert len(dates) == 2
    assert len(set(dates)) == 2
    ranks = sorted(v.visit_rank for t in plan.tours for v in t.visits if v.stop_id == "62549")
    assert ranks == [1, 2]


def test_multi_day_stay_without_return_leg(territory: Territory) -> None:
    """Boisjean (~34 min towed each way) with a 60-minute towing cap: only a stay fits.

    Out on Monday (set-up, no pack-up), Tuesday on site, back on Wednesday: three
    consecutive days, the unit tows only on the first and last day, one way each.
    """
    far = "62150"
    th = tiny_house(max_drive_min=60)
    staff = reference_staff()
    scenario = make_scenario(
        units=(th,), staff=staff, solver=FAST, period=Period(working_days=("mon", "tue", "wed"))
    )
    plan = _plan(scenario, territory, (far,), scores={far: 1.0})
    tours = [t for t in plan.tours if t.unit_id == "tiny-house"]
    assert [t.date for t in tours] == [MONDAY + dt.timedelta(days=i) for i in range(3)]
    visits = [t.visits[0] for t in tours]
    assert [v.stay_day for v in visits] == [1, 2, 3]
    assert [v.continues_stay for v in visits] == [False, True, True]
    assert [(v.setup, v.packup) for v in visits] == [(True, False), (False, False), (False, True)]
    out = visits[0].drive_min
    # towing: out on day 1, none on day 2, back on day 3: no return trip in between
    assert [t.unit_drive_min for t in tours] == [out, 0, out]
    assert 2 * out > th.max_drive_min


def test_stay_unit_prefers_day_trips_when_they_fit(territory: Territory) -> None:
    """With room to tow both ways, a stay is chosen only if worth more: never 2 stays at one
    stop, and the plan's tiny-house days are feasible and crewed."""
    scenario = make_scenario(units=(tiny_house(),), solver=FAST)
    plan = _plan(scenario, territory, NEAR[:6])
    assert plan.tours
    stays = [v for t in plan.tours for v in t.visits if v.stay_day == 1]
    assert len({v.stop_id for v in stays}) == len(stays)


def test_staff_constraints_under_pressure(territory: Territory) -> None:
    """Tight weekly hours: the roster never exceeds them (check_plan) and still plans."""
    staff = tuple(m.model_copy(update={"max_hours_week": 12}) for m in reference_staff())
    scenario = make_scenario(staff=staff, solver=FAST)
    plan = _plan(scenario, territory, NEAR)
    for sid, hours in plan.kpis.staff_hours.items():
        assert hours <= 12, sid


def test_availability_windows_bound_shifts(territory: Territory) -> None:
    """A mediator free only in the afternoon gets afternoon shifts."""
    afternoon = {
        d: (TimeWindow(start=13 * 60, end=18 * 60),) for d in ("mon", "tue", "wed", "thu", "fri")
    }
    staff = (Staff(id="ana", name="Ana", skills=("mediator", "driver_b"), availability=afternoon),)
    scenario = make_scenario(units=(van(),), staff=staff, solver=FAST)
    plan = _plan(scenario, territory, NEAR)
    assert plan.tours
    assert all(t.shift_start >= 13 * 60 for t in plan.tours)


@pytest.mark.slow
def test_full_reference_week(territory: Territory) -> None:
    """Van + tiny house, four staff, the 69 communes: a full week is planned."""
    scenario = make_scenario(solver=SolverSettings(time_limit_s=30, solution_limit=2000))
    stops = build_stops(scenario, territory)
    matrices = matrices_for(scenario, stops)
    scores = {c.insee: min(1.0, c.population / 2500) for c in territory.communes}
    plan = plan_week(scenario, stops, scores, {}, matrices, week=WEEK, territory=territory)
    check_plan(plan, scenario, stops, matrices)
    assert len(plan.tours) >= 8  # 5 van days + the tiny house Monday to Thursday
    assert plan.kpis.visits >= 12
    assert len(plan.unvisited) + plan.kpis.communes_visited == 69


def test_unavailable_unit_stays_home_that_day(territory: Territory) -> None:
    """The van in the garage on Wednesday: no tour that day, and the reason is given."""
    wednesday = dt.date(2026, 12, 2)
    scenario = make_scenario(solver=FAST, units=(van(unavailable=(wednesday,)), tiny_house()))
    plan = _plan(scenario, territory, NEAR)
    assert not [t for t in plan.tours if t.unit_id == "bus" and t.date == wednesday]
    assert [t for t in plan.tours if t.unit_id == "bus"]  # other days still go out
    (idle,) = [i for i in plan.idle_unit_days if i.unit_id == "bus" and i.date == wednesday]
    assert idle.reason == "Bus numérique indisponible le mercredi 2 décembre"  # French


# ----------------------------------------------------------------- search limits, skip reasons


def test_plan_records_what_ended_each_search(territory: Territory) -> None:
    """The roster is proven optimal (bound = objective); the routing used its budget."""
    scenario = make_scenario(solver=FAST)
    plan = _plan(scenario, territory, NEAR)
    search = plan.provenance.search
    assert search is not None
    assert (search.roster.method, search.roster.ended_by) == ("CP-SAT", "optimal")
    assert search.roster.bound == search.roster.objective
    assert search.roster.gap == 0
    assert 0 < search.roster.work <= search.roster.work_limit
    assert search.routing.ended_by in ("solution_limit", "local_optimum")
    assert search.routing.work <= search.routing.work_limit == 100
    assert search.timed_out == ()
    summary = plan_summary(plan, scenario, "fr")
    assert "Recherche : équipes optimum prouvé" in summary
    assert "limite de temps" not in summary


def test_time_limit_ending_is_said(territory: Territory) -> None:
    """A plan the wall clock ended says, in the summary, that it is machine-dependent."""
    scenario = make_scenario(solver=FAST)
    plan = _plan(scenario, territory, NEAR)
    search = plan.provenance.search
    assert search is not None
    timed = search.model_copy(
        update={"routing": search.routing.model_copy(update={"ended_by": "time_limit"})}
    )
    plan = plan.model_copy(
        update={"provenance": plan.provenance.model_copy(update={"search": timed})}
    )
    assert timed.timed_out == ("routing",)
    lines = plan_summary(plan, scenario, "en").splitlines()
    assert "routes STOPPED ON THE TIME LIMIT" in lines[-3]
    assert lines[-2].startswith("Warning: the time limit (solver.time_limit_s = 5 s) ended")
    assert "(routes)" in lines[-2]


def test_roster_out_of_budget_falls_back_to_a_greedy_roster(territory: Territory) -> None:
    """No must-visit stop and no time to find a roster: a greedy one, every rule kept (#13).

    A deterministic-time budget of 1e-9 stops CP-SAT before its first solution; the plan
    is still made, on the greedy roster, and says so.
    """
    solver = FAST.model_copy(update={"roster_work_limit": 1e-9})
    scenario = make_scenario(solver=solver)
    plan = _plan(scenario, territory, NEAR)  # check_plan inside
    search = plan.provenance.search
    assert search is not None
    assert (search.roster.method, search.roster.ended_by) == ("greedy", "work_limit")
    assert {t.unit_id for t in plan.tours} == {"bus", "tiny-house"}
    assert "répartition simple" in plan_summary(plan, scenario, "fr")


def test_skip_reason_names_staff_availability(territory: Territory) -> None:
    """The best commune, open to the tiny house only in the afternoon, is out of staff hours.

    Boisjean (62150, ~34 min out) opens 13:30-16:00 to the tiny house only: a session from
    13:30 brings the crew back near 17:50, after the only fab manager (Sarah, here 08:00
    to 16:45) stops. It has stay options, and the highest value, so "lower value" would
    be wrong (#13): the reason names the staff's availability and the role.
    """
    far = "62150"
    staff = list(reference_staff())
    staff[2] = staff[2].model_copy(
        update={
            "availability": {
                d: (TimeWindow(start=8 * 60, end=16 * 60 + 45),)
                for d in ("mon", "tue", "wed", "thu")
            }
        }
    )
    afternoon = {
        d: (TimeWindow(start=13 * 60 + 30, end=16 * 60),)
        for d in ("mon", "tue", "wed", "thu", "fri")
    }
    scenario = make_scenario(
        staff=tuple(staff),
        solver=FAST,
        communes=(StopRule(commune=far, units=("tiny-house",), windows=afternoon),),
    )
    codes = (*NEAR, far)
    plan = _plan(scenario, territory, codes, scores={**dict.fromkeys(NEAR, 0.5), far: 1.0})
    assert any(t.unit_id == "tiny-house" for t in plan.tours)  # near stops fit the hours
    (skipped,) = [u for u in plan.unvisited if u.insee == far]
    assert skipped.reason == "outside_staff_availability"
    assert "fab_manager" in skipped.detail
    assert "17\u202fh" in skipped.detail  # the return time that is out of hours, in French
