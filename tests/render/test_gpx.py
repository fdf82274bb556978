"""GPX: one file per unit-day, its stops in order, a well-formed GPX 1.1 document."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from itinerant.plan import Plan, Tour
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


def _track(plan: Plan, tour: Tour, context: RenderContext) -> list[tuple[float, float]]:
    root = ET.fromstring(render_tour_gpx(plan, tour, context).encode())
    return [
        (float(p.get("lat", "0")), float(p.get("lon", "0")))
        for p in root.findall("g:trk/g:trkseg/g:trkpt", NS)
    ]


def test_gpx_track_comes_back_to_the_depot(week_plan: Plan, week_context: RenderContext) -> None:
    """Every track, the tiny house's one-stop days too, drives out and back to the depot."""
    depot = (week_context.depot.point.lat, week_context.depot.point.lon)
    one_stop = [t for t in week_plan.tours if len(t.visits) == 1]
    assert any(t.unit_id == "tiny-house" for t in one_stop)  # the case that lost its return
    for tour in week_plan.tours:
        stops = [(round(v.point.lat, 6), round(v.point.lon, 6)) for v in tour.visits]
        assert _track(week_plan, tour, week_context) == [depot, *stops, depot]


def test_gpx_track_follows_the_roads_both_ways(
    week_plan: Plan, week_context: RenderContext
) -> None:
    exact = week_plan.model_copy(
        update={"provenance": week_plan.provenance.model_copy(update={"approximate": False})}
    )
    tour = next(t for t in exact.tours if len(t.visits) == 1)
    stop = tour.visits[0].point
    depot = week_context.depot.point
    out = [(depot.lat, depot.lon), (50.39, 2.0), (stop.lat, stop.lon)]
    back = [(stop.lat, stop.lon), (50.36, 2.0), (depot.lat, depot.lon)]
    context = RenderContext(
        depot=week_context.depot,
        geometries={
            ("depot", tour.visits[0].stop_id): out,
            (tour.visits[0].stop_id, "depot"): back,
        },
    )
    track = _track(exact, tour, context)
    assert track == [(round(a, 6), round(b, 6)) for a, b in [*out, *back[1:]]]
