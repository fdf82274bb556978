"""Exception and warning hierarchy of itinerant.

The library raises these; the command line turns any :class:`ItinerantError` into
one clear ``Error: ...`` message and exit code 1, without a traceback.
"""

from __future__ import annotations

from collections.abc import Sequence


class ItinerantError(Exception):
    """Base class of every error itinerant reports to its user."""


MAX_PROBLEMS_SHOWN = 100
"""Problems an error message lists; a count says how many more there are."""


class ScenarioError(ItinerantError, ValueError):
    """A scenario (or a file it names) is invalid; one line per problem.

    All problems are in ``problems``; the message shows the first
    :data:`MAX_PROBLEMS_SHOWN` and how many more there are.
    """

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        shown = self.problems[:MAX_PROBLEMS_SHOWN]
        hidden = len(self.problems) - len(shown)
        if hidden:
            shown.append(f"... and {hidden} more problem(s) (fix these first)")
        super().__init__("\n".join(shown))


class UnknownCommuneError(ScenarioError):
    """A commune code or name is not in the territory."""


class TerritoryError(ItinerantError, ValueError):
    """A territory (bundled or user communes CSV) cannot be read."""


class RoadNetworkError(ItinerantError):
    """The road network cannot be loaded, downloaded, or used for a stop."""


class SnappingError(RoadNetworkError):
    """A stop lies too far from the road network, or cannot be reached on it."""


class InfeasiblePlanError(ItinerantError):
    """The week cannot be planned as asked (mandatory visit or crew impossible)."""


class HistoryError(ItinerantError):
    """The visit history file cannot be read or written."""


class OutputError(ItinerantError, OSError):
    """An output cannot be written."""


class SweepError(ItinerantError):
    """A sweep could not run: its cluster is out of reach, or a job was lost with its worker."""


class ApproximateDistancesWarning(UserWarning):
    """No road network: travel times come from straight lines times a circuity factor."""


class FarVenueWarning(UserWarning):
    """A venue lies far from its commune's town hall (a typo, or lat and lon swapped)."""


class DisruptionIgnoredWarning(UserWarning):
    """A replan disruption names dates that the replan does not cover."""
