"""GPX 1.1 of each unit-day: waypoints, the planned route, and the track to drive."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING

from itinerant.i18n import format_clock, format_date, text
from itinerant.render._common import tour_track

if TYPE_CHECKING:
    from itinerant.i18n import Language
    from itinerant.plan import Plan, Tour
    from itinerant.render.context import RenderContext

__all__ = ["render_tour_gpx"]

_NS = "http://www.topografix.com/GPX/1/1"


def _point(parent: ET.Element, tag: str, lat: float, lon: float, name: str = "") -> ET.Element:
    element = ET.SubElement(parent, tag, lat=f"{lat:.6f}", lon=f"{lon:.6f}")
    if name:
        ET.SubElement(element, "name").text = name
    return element


def render_tour_gpx(
    plan: Plan, tour: Tour, context: RenderContext, *, lang: Language = "fr"
) -> str:
    """Render one unit-day as GPX 1.1 text.

    Waypoints: the depot and each stop (named ``1. Commune — venue``, with the session
    hours). Route: depot, stops, depot. Track: the whole way, return leg included, along
    the roads when every leg has a geometry, else straight, and then its name says so.
    """
    title = text("map.tour_title", lang, unit=tour.unit_name, date=format_date(tour.date, lang))
    root = ET.Element("gpx", version="1.1", creator="itinerant", xmlns=_NS)
    metadata = ET.SubElement(root, "metadata")
    ET.SubElement(metadata, "name").text = title
    depot = context.base_of(tour.unit_id)
    _point(root, "wpt", depot.point.lat, depot.point.lon, f"{text('depot', lang)} — {depot.name}")
    for rank, visit in enumerate(tour.visits, start=1):
        wpt = _point(
            root,
            "wpt",
            visit.point.lat,
            visit.point.lon,
            f"{rank}. {visit.commune_name} — {visit.venue_name}",
        )
        ET.SubElement(wpt, "desc").text = text(
            "sheet.session_hours",
            lang,
            start=format_clock(visit.session_start, lang),
            end=format_clock(visit.session_end, lang),
        ) + (f" — {visit.address}" if visit.address else "")
    route = ET.SubElement(root, "rte")
    ET.SubElement(route, "name").text = title
    _point(route, "rtept", depot.point.lat, depot.point.lon, depot.name)
    for visit in tour.visits:
        _point(route, "rtept", visit.point.lat, visit.point.lon, visit.commune_name)
    _point(route, "rtept", depot.point.lat, depot.point.lon, depot.name)
    line, approximate = tour_track(plan, tour, context)
    track = ET.SubElement(root, "trk")
    name = title
    if approximate:
        name += f" ({text('map.approx_route', lang)})"
    ET.SubElement(track, "name").text = name
    segment = ET.SubElement(track, "trkseg")
    for lat, lon in line:
        _point(segment, "trkpt", lat, lon)
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"
