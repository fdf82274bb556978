"""What renderers need beyond the plan: bases, staff names, road geometry, outlines, scores."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from itinerant.loading import read_text_file
from itinerant.scenario import Base, Contact, Depot, Point
from itinerant.territory import parse_outlines

if TYPE_CHECKING:
    from pathlib import Path

    from itinerant.scenario import Scenario
    from itinerant.territory import Territory

__all__ = ["LegGeometries", "Navigation", "RenderContext", "read_outlines"]

LegGeometries = Mapping[tuple[str, str], Sequence[tuple[float, float]]]
"""Road polylines ``(lat, lon)`` by leg ``(from_id, to_id)``; ids are base ids and stop ids."""

Navigation = Literal["geo", "google"]
"""What the QR code of a stop opens: a ``geo:`` URI, or a Google Maps directions URL."""


@dataclass(frozen=True)
class RenderContext:
    """The data a plan refers to, for the renderers.

    Parameters
    ----------
    depot
        The first base (where every tour starts and ends, when there is one base).
    staff_names
        Display name by staff id (a missing id is shown as the id).
    geometries
        Road polylines by leg (:func:`itinerant.geo.matrix.leg_geometry`), or ``None``:
        legs are then drawn as straight dashed lines labelled approximate. A tour with a
        missing leg is drawn straight too.
    outlines
        GeoJSON ``FeatureCollection`` of commune outlines, property ``insee`` (and
        ``name``, shown as labels), or ``None``.
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
    coordinator
        Who the crews call (printed on every sheet and in the staff calendars).
    delay_or_breakdown
        What to do when late or broken down: one short line on every sheet.
    staff_phones
        Phone number by staff id, printed next to the crew's names.
    stop_contacts
        Who to call at a stop, by stop id (the commune's INSEE code).
    bases
        Every base; default: the depot alone.
    unit_bases
        Base id of each unit (missing: the first base).
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
    coordinator: Contact | None = None
    delay_or_breakdown: str = ""
    staff_phones: Mapping[str, str] = field(default_factory=dict)
    stop_contacts: Mapping[str, Contact] = field(default_factory=dict)
    bases: tuple[Base, ...] = ()
    unit_bases: Mapping[str, str] = field(default_factory=dict)

    @property
    def all_bases(self) -> tuple[Base, ...]:
        """Every base, the first one first."""
        return self.bases or (self.depot.as_base(),)

    def base_of(self, unit_id: str) -> Base:
        """Return the base a unit's tours start and end at."""
        bases = self.all_bases
        wanted = self.unit_bases.get(unit_id)
        return next((b for b in bases if b.id == wanted), bases[0])

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
        """Build the context from a scenario (bases, staff, contacts, circuity) and territory.

        Without ``outlines``, the territory's own (bundled) outlines are used.
        """
        points: dict[str, Point] = {}
        contacts: dict[str, Contact] = {}
        if territory is not None:
            points = {c.insee: c.point for c in territory.communes}
            if outlines is None:
                outlines = territory.outlines
            for rule in scenario.communes:
                commune = territory.find(rule.commune)
                if commune is not None and rule.contact is not None:
                    contacts[commune.insee] = rule.contact
        return cls(
            depot=scenario.all_bases[0],
            staff_names={m.id: m.name for m in scenario.staff},
            geometries=geometries,
            outlines=outlines,
            scores=scores,
            commune_points=points,
            circuity=scenario.network.circuity,
            coordinator=scenario.contacts.coordinator,
            delay_or_breakdown=scenario.contacts.delay_or_breakdown,
            staff_phones={m.id: m.phone for m in scenario.staff if m.phone is not None},
            stop_contacts=contacts,
            bases=scenario.all_bases,
            unit_bases={u.id: scenario.base_of(u).id for u in scenario.units},
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
    return parse_outlines(text, source=str(path))
