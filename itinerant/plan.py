"""Output models: the weekly plan, its tours, visits, roster, KPIs and provenance.

Times of day are minutes since midnight in code and ``"HH:MM"`` strings in JSON (the
same :data:`itinerant.scenario.TimeOfDay` type the scenario uses). Distances are whole
metres, durations whole minutes. Every collection is sorted before it is emitted, so
the same inputs and seed give byte-identical JSON (``solve_time_s`` aside).
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from itinerant.scenario import Point, TimeOfDay

__all__ = [
    "IdleUnitDay",
    "Kpis",
    "LunchSlot",
    "Plan",
    "Provenance",
    "RosterEntry",
    "SearchEnd",
    "SearchRun",
    "SearchStats",
    "SkipReason",
    "Tour",
    "Unvisited",
    "Visit",
]

SkipReason = Literal[
    "excluded",
    "unit_not_allowed",
    "no_window_on_crewed_day",
    "too_far_for_day",
    "outside_staff_availability",
    "lower_value",
]
"""Why a commune is not visited this week.

``excluded``: a rule excludes it, or it allows no visit (``max_visits_per_week: 0``);
``unit_not_allowed``: no unit of the scenario may stop there;
``no_window_on_crewed_day``: no unit-day that goes out has an opening window there;
``too_far_for_day``: it is open on a crewed day, but no single-visit tour from the depot
fits that day (driving cap, day window, lunch);
``outside_staff_availability``: only a stay unit can go, and every stay there keeps the
crew out beyond the hours the staff are available (or allowed in a day);
``lower_value``: it could have been visited, but other visits were worth more.
"""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Visit(_Model):
    """One session at a stop, with the leg that leads to it."""

    stop_id: str
    insee: str
    commune_name: str
    venue_name: str
    address: str
    point: Point
    arrival: TimeOfDay = Field(description="arrival on site (or the crew's, on a stay day)")
    session_start: TimeOfDay
    session_end: TimeOfDay
    departure: TimeOfDay = Field(description="leaving the site, pack-up done (or not, on a stay)")
    drive_min: int = Field(ge=0, description="driving time of the leg from the previous point")
    distance_m: int = Field(ge=0, description="length of the leg from the previous point")
    value: float = Field(ge=0, description="value of this session in the objective")
    visit_rank: int = Field(ge=1, description="1: first visit of the week to the commune, 2: ...")
    setup: bool = Field(default=True, description="the unit is set up on arrival")
    packup: bool = Field(default=True, description="the unit is packed up before departure")
    continues_stay: bool = Field(
        default=False, description="the unit stayed here overnight (multi-day stay, not day 1)"
    )
    stay_day: int = Field(default=1, ge=1, description="day number within a multi-day stay")
    stay_days: int = Field(default=1, ge=1, description="length of the stay in days")


class LunchSlot(_Model):
    """When the crew takes its lunch break."""

    start: TimeOfDay
    end: TimeOfDay


class Tour(_Model):
    """One unit's day: leave the depot, visit stops in order, come back."""

    unit_id: str
    unit_name: str
    date: dt.date
    crew: tuple[str, ...] = Field(description="staff ids, in the order of the unit's crew roles")
    shift_start: TimeOfDay = Field(description="start of the crew's rostered shift")
    shift_end: TimeOfDay
    departure: TimeOfDay = Field(description="leaving the depot")
    return_time: TimeOfDay = Field(description="back at the depot")
    visits: tuple[Visit, ...]
    lunch: LunchSlot | None
    return_drive_min: int = Field(ge=0, description="driving time of the leg back to the depot")
    return_distance_m: int = Field(ge=0)
    unit_drive_min: int = Field(
        ge=0, description="driving time of the unit itself (0 on the middle day of a stay)"
    )
    drive_min: int = Field(ge=0, description="all legs, the return leg included")
    distance_m: int = Field(ge=0)
    on_site_min: int = Field(ge=0, description="set-up, sessions and pack-up")
    span_min: int = Field(ge=0, description="from departure to return")
    value: float = Field(ge=0)


class Unvisited(_Model):
    """A commune (stop) the plan does not visit this week, and why."""

    stop_id: str
    insee: str
    commune_name: str
    reason: SkipReason
    detail: str = ""


class IdleUnitDay(_Model):
    """A unit-day of the week on which the unit does not go out, and why."""

    unit_id: str
    date: dt.date
    reason: str


class RosterEntry(_Model):
    """One staff member on one unit on one date."""

    staff_id: str
    date: dt.date
    unit_id: str
    role: str
    shift_start: TimeOfDay
    shift_end: TimeOfDay


class Kpis(_Model):
    """Figures of the week."""

    value_served: float
    visits: int
    communes_visited: int
    population_visited: int = Field(description="population of the communes visited")
    distance_km: float
    driving_h: float
    on_site_h: float
    staff_hours: dict[str, float] = Field(description="staff id -> hours (tour spans)")


SearchEnd = Literal[
    "optimal",
    "solution_limit",
    "work_limit",
    "time_limit",
    "local_optimum",
    "no_search",
    "unknown",
]
"""What ended a search.

``optimal``: the method proved its result optimal (or the model infeasible);
``solution_limit``, ``work_limit``: its work budget (solutions found; CP-SAT's
deterministic time), so the same inputs give the same result on any machine;
``time_limit``: the wall-clock safety net, so the result depends on the machine and its
load; ``local_optimum``: the local search found no improving move; ``no_search``: nothing
to search.
"""


class SearchRun(_Model):
    """How one search went: what ended it, the work it did, its objective and bound."""

    method: str = Field(description="CP-SAT, OR-Tools routing, or greedy (fallback roster)")
    status: str
    ended_by: SearchEnd
    work: float = Field(description="work done: CP-SAT deterministic time, routing solutions")
    work_limit: float = Field(description="the work budget, in the same unit")
    time_limit_s: float = Field(description="wall-clock safety net")
    objective: float | None = Field(description="objective of the search's own model")
    bound: float | None = Field(
        default=None, description="upper bound on that objective, where the method gives one"
    )
    gap: float | None = Field(default=None, description="(bound - objective) / bound")


class SearchStats(_Model):
    """The two searches of a week: the roster (CP-SAT) and the routing (OR-Tools)."""

    roster: SearchRun
    routing: SearchRun

    @property
    def timed_out(self) -> tuple[str, ...]:
        """Names of the searches the wall-clock safety net ended (machine-dependent)."""
        runs = (("roster", self.roster), ("routing", self.routing))
        return tuple(name for name, run in runs if run.ended_by == "time_limit")


class Provenance(_Model):
    """Where the plan comes from, to reproduce it."""

    scenario_name: str
    scenario_hash: str
    network_source: str
    approximate: bool = Field(description="travel times are straight-line estimates")
    seed: int
    roster_status: str = Field(description="CP-SAT status of the roster model")
    solver_status: str = Field(description="routing status")
    search_ended_by: Literal[
        "solution_limit", "time_limit", "local_optimum", "no_search", "unknown"
    ]
    first_solution_strategy: str
    solution_limit: int
    time_limit_s: float
    solve_time_s: float
    generated_at: dt.datetime | None
    search: SearchStats | None = Field(
        default=None, description="what ended each search (None: a plan from an older version)"
    )


class Plan(_Model):
    """A weekly plan: tours, roster, what is left out, KPIs and provenance."""

    week: str
    dates: tuple[dt.date, ...] = Field(description="working days of the week")
    tours: tuple[Tour, ...] = Field(description="sorted by date, then unit id")
    unvisited: tuple[Unvisited, ...] = Field(description="sorted by INSEE code")
    idle_unit_days: tuple[IdleUnitDay, ...] = Field(description="sorted by date, then unit id")
    roster: tuple[RosterEntry, ...] = Field(description="sorted by staff id, then date")
    kpis: Kpis
    provenance: Provenance

    def without_timing(self) -> Plan:
        """Return the plan with ``solve_time_s`` zeroed, to compare runs."""
        return self.model_copy(
            update={"provenance": self.provenance.model_copy(update={"solve_time_s": 0.0})}
        )
