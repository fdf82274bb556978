"""What renderers need beyond the plan: depot, staff names, road geometry, outlines, scores."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from itinerant.errors import TerritoryError
from itinerant.loading import read_text_file
from itinerant.scenario import Depot, Point

if TYPE_CHECKING:
    from pathlib import Path

    from itinerant.scenario import Scenario
    from itinerant.territory import Territory

__all__ = ["LegGeometries", "Navigation", "RenderContext", "read_outlines"]

LegGeometries = Mapping[tuple[str, str], Sequence[tuple[float, float]]]
"""Road polylines ``(lat, lon)`` by leg ``(from_id, to_id)``; ids are ``"depot"`` and stop ids."""

Navigation = Literal["geo", "google"]
"""What the QR code of a stop opens: a ``geo:`` URI, or a Google Maps directions URL."""


@dataclass(frozen=True)
class RenderContext:
    """The data a plan refers to, for the renderers.

    Parameters
    ----------
    depot
        Where every tour starts and ends.
    staff_names
        Display name by staff id (a missing id is shown as the id).
    geometries
        Road polylines by leg (:func:`itinerant.geo.matrix.leg_geometry`), or ``None``:
        legs are then drawn as straight dashed lines labelled approximate. A tour with a
        missing leg is drawn straight too.
    outlines
        GeoJSON ``FeatureCollection`` of commune outlines, property ``insee``, or ``None``.
    scores
        Demand score in [0, 1] by INSEE code, to shade outlines on the week map.
    commune_points
        A point (town hall) by INSEE code, to mark communes not visited on the week map.
    circuity
        Straight-line detour factor, quoted in the "approximate" warning.
    navigation
        What the QR codes open: ``geo`` (default; any navigation app, no network needed to
        resolve it) or ``google`` (an https Google Maps directions URL, works on iPhones).
    online_tiles
        Offer OpenStreetMap web tiles as an optional base layer of the maps.
    """

    depot: Depot
    staff_names: Mapping[str, str] = field(default_factory=dict)
    geometries: LegGeometries | None = None
    outlines: Mapping[str, Any] | None = None
    scores: Mapping[str, float] | None = None
    commune_points: Mapping[str, Point] = field(default_factory=dict)
    circuity: float = 1.3
    navigation: Navigation = "geo"
    online_tiles: bool = True

    @classmethod
    def from_scenario(
        cls,
        scenario: Scenario,
        territory: Territory | None = None,
        *,
        geometries: LegGeometries | None = None,
        outlines: Mapping[str, Any] | None = None,
        scores: Mapping[str, float] | None = None,
    ) -> RenderContext:
        """Build the context from a scenario (depot, staff names, circuity) and its territory."""
        points: dict[str, Point] = {}
        if territory is not None:
            points = {c.insee: c.point for c in territory.communes}
        return cls(
            depot=scenario.depot,
            staff_names={m.id: m.name for m in scenario.staff},
            geometries=geometries,
            outlines=outlines,
            scores=scores,
            commune_points=points,
            circuity=scenario.network.circuity,
        )

    def staff_name(self, staff_id: str) -> str:
        """Display name of a staff member."""
        return self.staff_names.get(staff_id, staff_id)


def read_outlines(path: Path) -> dict[str, Any]:
    """Read a GeoJSON ``FeatureCollection`` of commune outlines (property ``insee``).

    Raises
    ------
    ScenarioError
        When the file cannot be read.
    TerritoryError
        When it is not a FeatureCollection with ``insee`` codes.
    """
    text = read_text_file(path, what="commune outlines GeoJSON")  # a regular file, size-capped
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:
        msg = f"{path}: cannot read commune outlines: {exc}"
        raise TerritoryError(msg) from exc
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        msg = f"{path}: not a GeoJSON FeatureCollection"
        raise TerritoryError(msg)
    features = data.get("features")
    if not isinstance(features, list) or not all(
        isinstance(f, dict) and "insee" in (f.get("properties") or {}) for f in features
    ):
        msg = f"{path}: every feature needs an 'insee' property"
        raise TerritoryError(msg)
    return data
