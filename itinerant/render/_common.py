"""Helpers shared by the renderers: file names, legs, outlines, colours, QR targets."""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from itinerant.i18n import text
from itinerant.outputs import safe_file_name

if TYPE_CHECKING:
    from itinerant.i18n import Language
    from itinerant.plan import Plan, Tour
    from itinerant.render.context import Navigation, RenderContext
    from itinerant.scenario import Base, Contact, Point

# One colour family per unit (ColorBrewer, dark to light), one shade per day of the week.
_FAMILIES = (
    ("#08306b", "#08519c", "#2171b5", "#4292c6", "#6baed6", "#9ecae1", "#c6dbef"),  # blues
    ("#7f2704", "#a63603", "#d94801", "#f16913", "#fd8d3c", "#fdae6b", "#fdd0a2"),  # oranges
    ("#00441b", "#006d2c", "#238b45", "#41ab5d", "#74c476", "#a1d99b", "#c7e9c0"),  # greens
    ("#3f007d", "#54278f", "#6a51a3", "#807dba", "#9e9ac8", "#bcbddc", "#dadaeb"),  # purples
    ("#67000d", "#a50f15", "#cb181d", "#ef3b2c", "#fb6a4a", "#fc9272", "#fcbba1"),  # reds
)


def tour_slug(tour: Tour) -> str:
    """File stem of a unit-day: ``2026-11-30_bus`` (the unit id made a safe file name)."""
    return f"{tour.date.isoformat()}_{safe_file_name(tour.unit_id)}"


def unit_ids(plan: Plan) -> list[str]:
    """Return the unit ids of the plan's tours, sorted."""
    return sorted({t.unit_id for t in plan.tours})


def tour_colour(plan: Plan, tour: Tour) -> str:
    """Colour of a tour: the unit's family, the day's shade."""
    family = _FAMILIES[unit_ids(plan).index(tour.unit_id) % len(_FAMILIES)]
    day = plan.dates.index(tour.date) if tour.date in plan.dates else tour.date.weekday()
    # the lightest shade is left out: it would not stand out on a white base
    return family[min(day, len(family) - 2)]


def unit_colour(plan: Plan, unit_id: str) -> str:
    """Return the main colour of a unit (its family's middle shade), for legends."""
    return _FAMILIES[unit_ids(plan).index(unit_id) % len(_FAMILIES)][2]


@dataclass(frozen=True)
class Leg:
    """One leg of a tour, with the polyline to draw."""

    origin: str
    destination: str
    points: tuple[tuple[float, float], ...]
    approximate: bool


def tour_points(tour: Tour, base: Base) -> list[tuple[str, tuple[float, float]]]:
    """Return the tour's places in order, its base first and last, as ``(id, (lat, lon))``."""
    home = (base.id, (base.point.lat, base.point.lon))
    return [home, *((v.stop_id, (v.point.lat, v.point.lon)) for v in tour.visits), home]


def tour_legs(plan: Plan, tour: Tour, context: RenderContext) -> list[Leg]:
    """Legs of a tour with road geometry where known, straight segments otherwise."""
    places = tour_points(tour, context.base_of(tour.unit_id))
    legs = []
    for (a, pa), (b, pb) in itertools.pairwise(places):
        geometry = None if context.geometries is None else context.geometries.get((a, b))
        if geometry is not None and len(geometry) >= 2 and not plan.provenance.approximate:
            legs.append(Leg(a, b, tuple((float(y), float(x)) for y, x in geometry), False))
        else:
            legs.append(Leg(a, b, (pa, pb), True))
    return legs


def tour_track(plan: Plan, tour: Tour, context: RenderContext) -> tuple[list[list[float]], bool]:
    """Return the whole way driven, depot to depot, as ``[lat, lon]``, and if approximate.

    A tour follows the roads only when every leg has a road geometry; otherwise it is the
    straight line through its stops, so that a track never mixes the two.
    """
    legs = tour_legs(plan, tour, context)
    approximate = any(leg.approximate for leg in legs)
    if approximate:
        places = tour_points(tour, context.base_of(tour.unit_id))
        return [[lat, lon] for _, (lat, lon) in places], True
    line: list[list[float]] = []
    for leg in legs:
        points = [[lat, lon] for lat, lon in leg.points]
        line.extend(points[1:] if line and points and points[0] == line[-1] else points)
    return line, False


def tour_line(plan: Plan, tour: Tour, context: RenderContext) -> tuple[list[list[float]], bool]:
    """Return the tour's line to draw on a map or sketch, and whether it is approximate.

    The :func:`tour_track`, except that an approximate out-and-back to one stop is drawn
    once: drawn twice, the two dash patterns would fill each other in and read as a solid
    (road) line.
    """
    line, approximate = tour_track(plan, tour, context)
    if approximate and len(tour.visits) == 1:
        return line[:2], True
    return line, approximate


def _outer_rings(geometry: Mapping[str, Any]) -> list[Sequence[Sequence[float]]]:
    coords = geometry.get("coordinates") or []
    polygons = coords if geometry.get("type") == "MultiPolygon" else [coords]
    return [polygon[0] for polygon in polygons if polygon and len(polygon[0]) >= 3]


def _ring_moments(ring: Sequence[Sequence[float]]) -> tuple[float, float, float]:
    """Signed area and first moments (x, y) of a lon/lat ring (shoelace formula)."""
    area = cx = cy = 0.0
    for (x0, y0, *_), (x1, y1, *_) in itertools.pairwise([*ring, ring[0]]):
        cross = x0 * y1 - x1 * y0
        area += cross / 2
        cx += (x0 + x1) * cross / 6
        cy += (y0 + y1) * cross / 6
    return area, cx, cy


def outline_area(geometry: Mapping[str, Any]) -> float:
    """Area of a GeoJSON (Multi)Polygon in square degrees: only to rank outlines by size."""
    return sum(abs(_ring_moments(ring)[0]) for ring in _outer_rings(geometry))


def outline_centre(geometry: Mapping[str, Any]) -> list[float] | None:
    """Centroid ``[lat, lon]`` of a (Multi)Polygon's largest part, where to write its name."""
    rings = _outer_rings(geometry)
    if not rings:
        return None
    area, cx, cy = max((_ring_moments(ring) for ring in rings), key=lambda m: abs(m[0]))
    if area == 0:
        return None
    return [round(cy / area, 6), round(cx / area, 6)]


def navigation_uri(point: Point, navigation: Navigation) -> str:
    """URI a QR code opens to navigate to ``point``.

    ``geo``: ``geo:lat,lon?q=lat,lon`` (RFC 5870), which Android hands to any installed
    navigation app, offline ones included, with no server in between. ``google``: the
    documented cross-platform Google Maps URL, which also works on iPhones but needs
    the network to open.
    """
    lat, lon = f"{point.lat:.6f}", f"{point.lon:.6f}"
    if navigation == "google":
        return f"https://www.google.com/maps/dir/?api=1&destination={lat}%2C{lon}"
    return f"geo:{lat},{lon}?q={lat},{lon}"


def tel_uri(phone: str) -> str:
    """``tel:`` URI of a phone number as written (RFC 3966: digits and a leading ``+``)."""
    return "tel:" + "".join(ch for ch in phone if ch.isdigit() or ch == "+")


def contact_text(contact: Contact, lang: Language) -> str:
    """One line for a contact: ``Secrétariat — tél. 03 21 ...`` (the name if any)."""
    phone = text("contact.phone", lang, phone=contact.phone)
    return f"{contact.name} — {phone}" if contact.name else phone


def visit_key(plan: Plan, owner: str, tour: Tour, index: int) -> str:
    """Return a stable identifier of a visit in a calendar, from the plan's content.

    Built from the scenario name (not its hash, which changes when the scenario is
    edited), the week, the calendar's owner, the stop, the visit's rank in the week and
    its day within a stay: re-importing a re-planned week updates the event even when it
    moved to another day or unit, and never duplicates it.
    """
    visit = tour.visits[index]
    raw = "|".join(
        (
            plan.provenance.scenario_name,
            plan.week,
            owner,
            visit.stop_id,
            str(visit.visit_rank),
            str(visit.stay_day),
        )
    )
    return hashlib.sha1(raw.encode("utf-8"), usedforsecurity=False).hexdigest()


def day_key(plan: Plan, owner: str, tour: Tour) -> str:
    """Return a stable identifier of a working day in a calendar (owner and date).

    Like :func:`visit_key`: a re-planned week updates the day's event, even when its
    owner moved to another unit that day.
    """
    raw = f"{plan.provenance.scenario_name}|{plan.week}|{owner}|{tour.date.isoformat()}"
    return hashlib.sha1(raw.encode("utf-8"), usedforsecurity=False).hexdigest()


@cache
def templates() -> Environment:
    """Return the Jinja2 environment of the package's templates (autoescaped, strict)."""
    return Environment(
        loader=PackageLoader("itinerant.render", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
