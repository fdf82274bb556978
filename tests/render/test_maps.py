"""Maps: one polyline per tour, one marker per visit, escaped text, no CDN, offline base."""

from __future__ import annotations

import itertools
import re

from itinerant.plan import Plan
from itinerant.render import RenderContext, render_tour_map, render_week_map
from itinerant.render._common import tour_line
from itinerant.render.maps import COMMUNE_LABEL_CLASS, ROUTE_CLASS, STOP_CLASS
from itinerant.scenario import Scenario
from itinerant.territory import Territory

EVIL = "<script>alert(1)</script>"


def test_week_map_draws_every_tour_and_visit(week_plan: Plan, week_context: RenderContext) -> None:
    page = render_week_map(week_plan, week_context)
    assert page.count(f'"className": "{ROUTE_CLASS}') == len(week_plan.tours)
    visits = sum(len(t.visits) for t in week_plan.tours)
    assert page.count(f'class=\\"{STOP_CLASS}\\"') == visits
    # one layer per unit-day, a layer control, the offline base first, tiles optional
    assert page.count("L.featureGroup(") >= len(week_plan.tours) + 1
    assert "L.control.layers(" in page
    assert "Fond hors ligne (communes)" in page
    assert "L.geoJSON(" in page  # commune outlines, shaded by demand
    # straight-line plan: dashed routes, labelled approximate
    assert page.count('"dashArray": "8 8"') == len(week_plan.tours)
    assert "trajet approximatif" in page


def test_no_cdn_needed(week_plan: Plan, week_context: RenderContext) -> None:
    page = render_week_map(week_plan, week_context)
    assert not re.search(r"<script[^>]+src=", page)
    assert not re.search(r"<link[^>]+href=\"?https?:", page)
    assert "Leaflet 1.9.4" in page  # inlined
    assert "jquery" not in page.lower()


def test_tour_map_has_its_tour_only(week_plan: Plan, week_context: RenderContext) -> None:
    tour = week_plan.tours[0]
    page = render_tour_map(week_plan, tour, week_context, lang="en")
    assert page.count(f'"className": "{ROUTE_CLASS}') == 1
    assert page.count(f'class=\\"{STOP_CLASS}\\"') == len(tour.visits)
    assert "Offline base (communes)" in page


def test_road_geometry_is_drawn_solid(week_plan: Plan, week_context: RenderContext) -> None:
    """With a road polyline for every leg (and a road-network plan), the line is solid."""
    exact = week_plan.model_copy(
        update={"provenance": week_plan.provenance.model_copy(update={"approximate": False})}
    )
    tour = exact.tours[0]
    depot = week_context.depot.point
    places = [("depot", depot), *((v.stop_id, v.point) for v in tour.visits), ("depot", depot)]
    geometries = {
        (a, b): [(pa.lat, pa.lon), ((pa.lat + pb.lat) / 2 + 0.003, (pa.lon + pb.lon) / 2),
                 (pb.lat, pb.lon)]
        for (a, pa), (b, pb) in itertools.pairwise(places)
    }  # fmt: skip
    context = RenderContext(
        depot=week_context.depot, staff_names=week_context.staff_names, geometries=geometries
    )
    page = render_tour_map(exact, tour, context)
    assert page.count(f'"className": "{ROUTE_CLASS}"') == 1
    assert '"dashArray": "8 8"' not in page
    # every leg's bend is on the line: depot, (bend, stop) per leg, shared ends once
    line, approximate = tour_line(exact, tour, context)
    assert not approximate
    assert len(line) == 2 * (len(tour.visits) + 1) + 1
    assert f"[{line[1][0]}, {line[1][1]}]" in page


def test_input_text_is_escaped(evil_plan: Plan, evil_context: RenderContext) -> None:
    for page in (
        render_week_map(evil_plan, evil_context),
        *(render_tour_map(evil_plan, t, evil_context) for t in evil_plan.tours),
    ):
        assert EVIL not in page
        assert "<script>alert" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.replace("\\u0026", "&").replace(
            "\\u003c", "<"
        ).replace("\\u003e", ">")
        assert "Bus <i>" not in page
        assert "Dépôt <b>" not in page


def test_bundled_outlines_are_the_default_base(
    week_plan: Plan, week_scenario: Scenario, territory: Territory
) -> None:
    """A scenario without a contours file still gets the 7 Vallées outlines, named."""
    assert week_scenario.territory.contours is None
    context = RenderContext.from_scenario(week_scenario, territory)
    assert context.outlines is not None
    assert len(context.outlines["features"]) == len(territory.communes) == 69
    page = render_week_map(week_plan, context)
    assert "L.geoJSON(" in page
    assert page.count('"name": ') == 69  # every commune's name, to write on the map
    assert COMMUNE_LABEL_CLASS in page
    assert "Maresquel-Ecquemicourt" in page
