"""itinerant: weekly tours for mobile digital-inclusion outreach.

Data flows one way: scenario -> road network -> travel matrix -> optimiser -> plan ->
renderers -> command line.
"""

from __future__ import annotations

from itinerant.errors import (
    InfeasiblePlanError,
    ItinerantError,
    RoadNetworkError,
    ScenarioError,
    UnknownCommuneError,
)
from itinerant.loading import load_bundled_territory, load_scenario
from itinerant.scenario import Scenario
from itinerant.territory import Commune, Stop, Territory, build_stops

__all__ = [
    "Commune",
    "InfeasiblePlanError",
    "ItinerantError",
    "RoadNetworkError",
    "Scenario",
    "ScenarioError",
    "Stop",
    "Territory",
    "UnknownCommuneError",
    "build_stops",
    "load_bundled_territory",
    "load_scenario",
]

__version__ = "0.1.0"
