"""Fixtures shared by every test folder (builders and checks: ``reference_week.py``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import pytest
from reference_week import check_plan

from itinerant.geo.matrix import TravelMatrix
from itinerant.loading import load_bundled_territory
from itinerant.plan import Plan
from itinerant.scenario import Scenario
from itinerant.territory import Stop, Territory


@pytest.fixture(scope="session")
def territory() -> Territory:
    """The 69 real communes of the CC des 7 Vallées (bundled CSV, town-hall points)."""
    return load_bundled_territory("7-vallees")


@pytest.fixture
def plan_checker() -> Callable[[Plan, Scenario, Sequence[Stop], Mapping[str, TravelMatrix]], None]:
    """The function that asserts every hard rule of a plan."""
    return check_plan
