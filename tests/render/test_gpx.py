"""GPX: one file per unit-day, its stops in order, a well-formed GPX 1.1 document."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from itinerant.plan import Plan
from itinerant.render import RenderContext, render_tour_gpx

NS = {"g": "http://www.topografix.com/GPX/1/1"}


def test_gpx_route_follows_the_tour(week_plan: Plan, week_context: RenderContext) -> None:
    for tour in week_plan.tours:
        root = ET.fromstring(render_tour_gpx(week_plan, tour, week_context).encode())
        assert root.tag == "{http://www.topografix.com/GPX/1/1}gpx"
        points = [
            (float(p.get("lat", "0")), float(p.get("lon", "0")))
            for p in root.findall("g:rte/g:rtept", NS)
        ]
        depot = (week_context.depot.point.lat, week_context.depot.point.lon)
        stops = [(round(v.point.lat, 6), round(v.point.lon, 6)) for v in tour.visits]
        assert points == [depot, *stops, depot]
        assert len(root.findall("g:wpt", NS)) == len(tour.visits) + 1
        track = root.find("g:trk/g:name", NS)
        assert track is not None
        assert "approximatif" in (track.text or "")  # straight-line plan
