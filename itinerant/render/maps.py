"""Interactive HTML maps (folium): the week, and one per unit-day; they work offline.

Leaflet's JavaScript and CSS are inlined from ``assets/`` (vendored by
``scripts/vendor-leaflet.sh``) instead of linked from a CDN, and folium's other CDN
libraries (jQuery, Bootstrap, Font Awesome) are left out: markers are ``L.divIcon``, and
popups, tooltips and outlines use small Leaflet-only snippets. The default base layer is
drawn from the commune outlines; OpenStreetMap tiles are an optional second base layer
for when the device is online.

Everything from input files reaching the page goes through :func:`html.escape` and then
into JavaScript as a JSON string (never into a JavaScript template literal).
"""

from __future__ import annotations

import base64
import re
from functools import cache
from html import escape
from importlib import resources
from typing import TYPE_CHECKING, Any

import folium
from branca.element import Element, Figure, MacroElement
from jinja2 import Template

from itinerant.i18n import approximate_note, format_clock, format_date, format_number, text
from itinerant.render._common import (
    outline_area,
    outline_centre,
    tour_colour,
    tour_line,
    tour_slug,
    unit_colour,
    unit_ids,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from itinerant.i18n import Language
    from itinerant.plan import Plan, Tour
    from itinerant.render.context import RenderContext
    from itinerant.scenario import Base

__all__ = [
    "COMMUNE_LABEL_CLASS",
    "NARROW_PX",
    "ROUTE_CLASS",
    "STOP_CLASS",
    "render_tour_map",
    "render_week_map",
    "tour_map_name",
]

ROUTE_CLASS = "itn-route"
"""CSS class of each tour's polyline (one per tour)."""
STOP_CLASS = "itn-stop"
"""CSS class of each visit's numbered marker (one per visit)."""
COMMUNE_LABEL_CLASS = "itn-commune"
"""CSS class of the commune names drawn on the offline base layer."""
NARROW_PX = 640
"""Below this map width (a phone), the layer control and the legend start collapsed."""

# greys: the demand shading must not be mistaken for a unit's colour
_DEMAND_RAMP = ("#ffffff", "#ececec", "#d4d4d4", "#b8b8b8", "#9a9a9a", "#7a7a7a")

_CSS = f"""
.{STOP_CLASS} {{ width: 24px; height: 24px; border-radius: 50%; border: 2px solid #fff;
  box-shadow: 0 0 0 1.5px #000; color: #fff; font: bold 13px/24px sans-serif;
  text-align: center; }}
.itn-depot {{ width: 20px; height: 20px; background: #000; color: #fff;
  font: bold 12px/20px sans-serif; text-align: center; box-shadow: 0 0 0 2px #fff; }}
.itn-legend {{ position: absolute; bottom: 24px; right: 10px; z-index: 1000; background: #fff;
  padding: 6px 9px; border: 1px solid #777; border-radius: 4px; font: 12px sans-serif;
  max-width: 320px; max-height: 55%; overflow: auto; }}
.itn-legend summary {{ font-weight: bold; font-size: 13px; cursor: pointer; }}
.itn-legend[open] summary {{ margin-bottom: 4px; }}
.leaflet-tooltip.{COMMUNE_LABEL_CLASS} {{ background: none; border: none; box-shadow: none;
  padding: 0; color: #333; font: 11px sans-serif; white-space: nowrap;
  text-shadow: 0 0 2px #fff, 0 0 2px #fff, 0 0 3px #fff; }}
.leaflet-tooltip.{COMMUNE_LABEL_CLASS}::before {{ display: none; }}
.itn-legend .sw {{ display: inline-block; width: 14px; height: 14px; border-radius: 50%;
  vertical-align: middle; margin-right: 2px; border: 1px solid #000; }}
.itn-legend .ln {{ display: inline-block; width: 28px; border-top: 3px solid #000;
  vertical-align: middle; margin-right: 4px; }}
.itn-legend .ln.a {{ border-top-style: dashed; }}
.itn-legend .sq {{ display: inline-block; width: 12px; height: 12px; background: #000;
  vertical-align: middle; margin-right: 4px; }}
.itn-legend .ramp span {{ display: inline-block; width: 18px; height: 10px;
  border: 1px solid #999; }}
.itn-title {{ position: absolute; top: 10px; left: 55px; z-index: 1000; background: #fff;
  padding: 4px 10px; border: 1px solid #777; border-radius: 4px;
  font: bold 15px sans-serif; box-sizing: border-box; max-width: calc(100% - 125px); }}
@media (max-width: {NARROW_PX}px) {{ .itn-title {{ font-size: 13px; }}
  .itn-legend {{ max-width: calc(100% - 110px); }} }}
.itn-approx {{ color: #a00; font-weight: bold; }}
"""


def _safe(value: object) -> str:
    """Escape text for HTML that Leaflet will set as ``innerHTML``."""
    return escape(str(value), quote=True)


@cache
def _leaflet_inline() -> str:
    """Leaflet's CSS (images as data URIs) and JavaScript, as inline ``<style>``/``<script>``."""
    assets = resources.files("itinerant.render") / "assets"
    css = (assets / "leaflet.css").read_text(encoding="utf-8")

    def data_uri(match: re.Match[str]) -> str:
        name = match.group(1)
        image = assets / "images" / name
        if not image.is_file():
            return "none"
        encoded = base64.b64encode(image.read_bytes()).decode("ascii")
        return f"url(data:image/png;base64,{encoded})"

    css = re.sub(r"url\(images/([\w.-]+)\)", data_uri, css)
    script = (assets / "leaflet.js").read_text(encoding="utf-8")
    if "</script" in script.lower():  # pragma: no cover - checked for the vendored version
        msg = "leaflet.js cannot be inlined: it contains '</script'"
        raise RuntimeError(msg)
    return f"<style>{css}</style>\n<script>{script}</script>\n<style>{_CSS}</style>\n"


class _Bind(MacroElement):
    """Bind a popup or tooltip (HTML, already escaped) to the parent layer, JSON-encoded."""

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "{{ this._parent.get_name() }}.{{ this.method }}("
        "{{ this.content|tojson }}, {{ this.options|tojson }});"
        "{% endmacro %}"
    )

    def __init__(self, method: str, content: str, **options: Any) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._name = "Bind"
        self.method = method
        self.content = content
        self.options = options


class _Outlines(MacroElement):
    """Commune outlines as an ``L.geoJSON`` layer with per-feature style and tooltip.

    A feature with ``name`` and ``at`` properties also gets its name written on the map at
    ``at``, in a pane under the routes and markers; :class:`_Behaviour` hides the names
    that would overlap.
    """

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "var {{ this.get_name() }} = L.geoJSON({{ this.data|tojson }}, {"
        "style: function (f) { return f.properties.style; },"
        "onEachFeature: function (f, layer) {"
        " if (f.properties.label) { layer.bindTooltip(f.properties.label, {sticky: true}); }"
        " if (f.properties.name) { L.tooltip({permanent: true, direction: 'center',"
        " pane: 'itn-labels', className: " + repr(COMMUNE_LABEL_CLASS) + "})"
        ".setLatLng(f.properties.at).setContent(f.properties.name)"
        ".addTo({{ this._parent.get_name() }}); }"
        "}}).addTo({{ this._parent.get_name() }});"
        "{% endmacro %}"
    )

    def __init__(self, data: dict[str, Any]) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._name = "Outlines"
        self.data = data


class _Behaviour(MacroElement):
    """Phone-friendly controls and legible commune names.

    On a narrow map (under :data:`NARROW_PX`) the layer control is rebuilt collapsed (an
    icon to tap) and the legend starts closed. After each zoom, the commune names that
    would overlap a marker or a larger commune's name are hidden.
    """

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "(function (map, control) {"
        " function overlaps(a, b) { return a.left < b.right && b.left < a.right"
        " && a.top < b.bottom && b.top < a.bottom; }"
        " function declutter() {"
        "  var taken = [];"
        "  map.getContainer().querySelectorAll('.itn-stop, .itn-depot')"
        "   .forEach(function (el) { taken.push(el.getBoundingClientRect()); });"
        "  map.getContainer().querySelectorAll('." + COMMUNE_LABEL_CLASS + "')"
        "   .forEach(function (el) {"
        "    el.style.visibility = 'visible';"
        "    var box = el.getBoundingClientRect();"
        "    if (taken.some(function (t) { return overlaps(box, t); })) {"
        "     el.style.visibility = 'hidden'; } else { taken.push(box); } }); }"
        " map.on('zoomend overlayadd overlayremove baselayerchange', declutter);"
        " if (map.getSize().x < {{ this.narrow }}) {"
        "  control.remove(); control.options.collapsed = true; control.addTo(map);"
        "  var legend = document.querySelector('.itn-legend');"
        "  if (legend) { legend.open = false; } }"
        " declutter();"
        "})({{ this.map_name }}, {{ this.control_name }});"
        "{% endmacro %}"
    )

    def __init__(self, map_name: str, control_name: str) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._name = "Behaviour"
        self.map_name = map_name
        self.control_name = control_name
        self.narrow = NARROW_PX


class _LabelPane(MacroElement):
    """The pane of the commune names: above the outlines (400), under routes' markers (600)."""

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "(function (pane) { pane.style.zIndex = 450; pane.style.pointerEvents = 'none'; })"
        "({{ this._parent.get_name() }}.createPane('itn-labels'));"
        "{% endmacro %}"
    )

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._name = "LabelPane"


def _demand_colour(score: float) -> str:
    index = min(int(max(score, 0.0) * (len(_DEMAND_RAMP) - 1) + 0.5), len(_DEMAND_RAMP) - 1)
    return _DEMAND_RAMP[index]


def _outline_features(
    plan: Plan, context: RenderContext, lang: Language, *, only: set[str] | None = None
) -> dict[str, Any]:
    """Outlines reduced to geometry, an escaped label and a style (demand shading).

    The base outlines (``only`` None) also carry the commune's escaped name, to write on
    the map, largest commune first: where names would overlap, the larger one is kept.
    """
    assert context.outlines is not None
    unvisited = {u.insee for u in plan.unvisited}
    features = []
    for feature in context.outlines.get("features", []):
        props = feature.get("properties") or {}
        insee = str(props.get("insee", ""))
        if only is not None and insee not in only:
            continue
        label = f"{props.get('name', insee)} ({insee})"
        score = None if context.scores is None else context.scores.get(insee)
        style: dict[str, Any] = {
            "color": "#555",
            "weight": 1,
            "fillColor": "#ffffff",
            "fillOpacity": 0.9,
        }
        if score is not None:
            style["fillColor"] = _demand_colour(score)
            label += " — " + text("map.score", lang, score=format_number(score, lang, decimals=2))
        if only is not None:  # the "not visited" overlay
            style = {"color": "#444", "weight": 2, "dashArray": "4 4", "fill": False}
            reason = next((u.reason for u in plan.unvisited if u.insee == insee), None)
            if reason is not None:
                label += " — " + text(f"reason.{reason}", lang)
        elif insee in unvisited:
            style["fillOpacity"] = 0.6
        properties: dict[str, Any] = {"label": _safe(label), "style": style}
        geometry = feature.get("geometry") or {}
        if only is None and props.get("name") and outline_centre(geometry) is not None:
            properties["name"] = _safe(props["name"])
            properties["at"] = outline_centre(geometry)
        features.append(
            {"type": "Feature", "properties": properties, "geometry": feature.get("geometry")}
        )
    features.sort(key=lambda f: -outline_area(f["geometry"] or {}))
    return {"type": "FeatureCollection", "features": features}


def _visit_popup(plan: Plan, tour: Tour, rank: int, context: RenderContext, lang: Language) -> str:
    visit = tour.visits[rank - 1]
    crew = ", ".join(context.staff_name(s) for s in tour.crew)
    rows = [
        f"<b>{rank}. {_safe(visit.commune_name)}</b> ({_safe(visit.insee)})",
        _safe(visit.venue_name),
        _safe(visit.address),
        _safe(f"{tour.unit_name} — {format_date(tour.date, lang)}"),
        _safe(text("sheet.arrive_at", lang, time=format_clock(visit.arrival, lang))),
        _safe(
            text(
                "sheet.session_hours",
                lang,
                start=format_clock(visit.session_start, lang),
                end=format_clock(visit.session_end, lang),
            )
        ),
        _safe(text("field", lang, label=text("crew", lang), value=crew)),
    ]
    if plan.provenance.approximate:
        rows.append(f'<span class="itn-approx">{_safe(text("sheet.approx_short", lang))}</span>')
    return "<br>".join(r for r in rows if r)


def _add_tour(
    plan: Plan, tour: Tour, context: RenderContext, lang: Language, group: folium.FeatureGroup
) -> None:
    colour = tour_colour(plan, tour)
    line, approximate = tour_line(plan, tour, context)
    title = text("map.tour_title", lang, unit=tour.unit_name, date=format_date(tour.date, lang))
    route_label = (
        _safe(title)
        + "<br>"
        + _safe(text("map.approx_route" if approximate else "map.road_route", lang))
    )
    polyline = folium.PolyLine(  # type: ignore[no-untyped-call]
        line,
        color=colour,
        weight=4,
        opacity=0.9,
        dash_array="8 8" if approximate else None,
        class_name=ROUTE_CLASS + (" itn-approximate" if approximate else ""),
    )
    _Bind("bindTooltip", route_label, sticky=True).add_to(polyline)
    polyline.add_to(group)
    for rank, visit in enumerate(tour.visits, start=1):
        icon = folium.DivIcon(
            html=f'<div class="{STOP_CLASS}" style="background:{colour}">{rank}</div>',
            icon_size=(28, 28),
            icon_anchor=(14, 14),
            class_name="itn-marker",
        )
        marker = folium.Marker([visit.point.lat, visit.point.lon], icon=icon)
        _Bind(
            "bindTooltip",
            f"{rank}. {_safe(visit.commune_name)} — {_safe(visit.venue_name)}",
            direction="top",
        ).add_to(marker)
        _Bind("bindPopup", _visit_popup(plan, tour, rank, context, lang), maxWidth=320).add_to(
            marker
        )
        marker.add_to(group)


def _legend(
    plan: Plan, tours: Sequence[Tour], context: RenderContext, lang: Language, unvisited: bool
) -> str:
    parts = [f"<summary>{_safe(text('map.legend', lang))}</summary>"]
    for unit_id in unit_ids(plan):
        unit_tours = [t for t in tours if t.unit_id == unit_id]
        if not unit_tours:
            continue
        swatches = "".join(
            f'<span class="sw" style="background:{tour_colour(plan, t)}" '
            f'title="{_safe(format_date(t.date, lang))}"></span>'
            for t in unit_tours
        )
        days = ", ".join(format_date(t.date, lang, weekday=True) for t in unit_tours)
        parts.append(
            f'<div><b style="color:{unit_colour(plan, unit_id)}">'
            f"{_safe(unit_tours[0].unit_name)}</b> {swatches}<br><small>{_safe(days)}</small></div>"
        )
    parts.extend(
        f'<div><span class="sq"></span>{_safe(text("depot", lang))} — {_safe(base.name)}</div>'
        for base in _shown_bases(tours, context, week=unvisited)
    )
    parts.append(f'<div><span class="ln"></span>{_safe(text("map.road_route", lang))}</div>')
    parts.append(f'<div><span class="ln a"></span>{_safe(text("map.approx_route", lang))}</div>')
    if unvisited and plan.unvisited:
        parts.append(
            '<div><span class="ln a" style="border-top-width:2px;border-color:#444"></span>'
            f"{_safe(text('not_visited', lang))} ({len(plan.unvisited)})</div>"
        )
    if context.outlines is not None and context.scores is not None:
        ramp = "".join(f'<span style="background:{c}"></span>' for c in _DEMAND_RAMP)
        parts.append(f'<div class="ramp">{_safe(text("map.demand", lang))}<br>0 {ramp} 1</div>')
    if plan.provenance.approximate:
        parts.append(
            f'<div class="itn-approx">{_safe(approximate_note(context.circuity, lang))}</div>'
        )
    return f'<details class="itn-legend" open>{"".join(parts)}</details>'


def _shown_bases(tours: Sequence[Tour], context: RenderContext, *, week: bool) -> list[Base]:
    """Bases a map marks: every base on the week's map, the tour's own on a tour's map."""
    used = {context.base_of(t.unit_id).id for t in tours}
    return [b for b in context.all_bases if week or not used or b.id in used]


def _bounds(
    tours: Sequence[Tour], context: RenderContext, plan: Plan, *, week: bool
) -> list[list[float]]:
    points = [[b.point.lat, b.point.lon] for b in _shown_bases(tours, context, week=week)]
    for tour in tours:
        points.extend(tour_line(plan, tour, context)[0])
    lats = [p[0] for p in points]
    lons = [p[1] for p in points]
    return [[min(lats), min(lons)], [max(lats), max(lons)]]


def _build_map(
    plan: Plan,
    tours: Sequence[Tour],
    context: RenderContext,
    lang: Language,
    *,
    title: str,
    week: bool,
) -> str:
    figure = Figure(title=_safe(title))
    fmap = folium.Map(location=None, tiles=None, control_scale=True, zoom_start=11)
    # no CDN: Leaflet is inlined below, and nothing on these maps needs jQuery & co.
    fmap.default_js = []
    fmap.default_css = []
    figure.add_child(fmap)
    figure.header.add_child(Element(_leaflet_inline()), name="itinerant_leaflet")

    fmap.add_child(_LabelPane())
    base = folium.FeatureGroup(name=text("map.offline_base", lang), overlay=False, control=True)
    if context.outlines is not None:
        base.add_child(_Outlines(_outline_features(plan, context, lang)))
    base.add_to(fmap)
    if context.online_tiles:
        folium.TileLayer(
            "OpenStreetMap", name=text("map.online_base", lang), overlay=False, show=False
        ).add_to(fmap)

    if week and plan.unvisited:
        group = folium.FeatureGroup(
            name=f"{text('not_visited', lang)} ({len(plan.unvisited)})", show=True
        )
        if context.outlines is not None:
            group.add_child(
                _Outlines(
                    _outline_features(plan, context, lang, only={u.insee for u in plan.unvisited})
                )
            )
        for commune in plan.unvisited:
            point = context.commune_points.get(commune.insee)
            if point is None:
                continue
            label = (
                f"{_safe(commune.commune_name)} ({_safe(commune.insee)}) — "
                f"{_safe(text(f'reason.{commune.reason}', lang))}"
            )
            marker = folium.CircleMarker(
                [point.lat, point.lon],
                radius=4,
                color="#444",
                weight=1,
                fill=True,
                fill_color="#bbbbbb",
                fill_opacity=1,
                class_name="itn-unvisited",
            )
            _Bind("bindTooltip", label).add_to(marker)
            marker.add_to(group)
        group.add_to(fmap)

    for tour in tours:
        name = text("map.tour_title", lang, unit=tour.unit_name, date=format_date(tour.date, lang))
        group = folium.FeatureGroup(name=_safe(name), show=True)
        _add_tour(plan, tour, context, lang, group)
        group.add_to(fmap)

    for depot in _shown_bases(tours, context, week=week):
        depot_marker = folium.Marker(
            [depot.point.lat, depot.point.lon],
            icon=folium.DivIcon(
                html='<div class="itn-depot">D</div>',
                icon_size=(20, 20),
                icon_anchor=(10, 10),
                class_name="itn-marker-depot",
            ),
        )
        _Bind(
            "bindTooltip",
            f"{_safe(text('depot', lang))} — {_safe(depot.name)}<br>{_safe(depot.address)}",
        ).add_to(depot_marker)
        depot_marker.add_to(fmap)

    control = folium.LayerControl(collapsed=False)
    control.add_to(fmap)
    fmap.add_child(_Behaviour(fmap.get_name(), control.get_name()))
    fmap.fit_bounds(_bounds(tours, context, plan, week=week), padding=(20, 20))
    figure.html.add_child(Element(f'<div class="itn-title">{_safe(title)}</div>'))
    figure.html.add_child(Element(_legend(plan, tours, context, lang, week)))
    return stable_element_ids(str(figure.render()))


_ELEMENT_ID = re.compile(r"(?<=_)[0-9a-f]{32}(?![0-9a-f])")


def stable_element_ids(html: str) -> str:
    """Replace folium's random element ids by counters in order of first appearance.

    folium names every element ``map_<32 random hex digits>``; numbering them instead
    makes the same plan give the same map, byte for byte.
    """
    numbers: dict[str, str] = {}

    def number(match: re.Match[str]) -> str:
        return numbers.setdefault(match[0], f"{len(numbers) + 1:032x}")

    return _ELEMENT_ID.sub(number, html)


def render_week_map(plan: Plan, context: RenderContext, *, lang: Language = "fr") -> str:
    """Render the week's map: every tour in its own layer, communes not visited apart."""
    title = text("map.week_title", lang, week=plan.week)
    return _build_map(plan, plan.tours, context, lang, title=title, week=True)


def render_tour_map(
    plan: Plan, tour: Tour, context: RenderContext, *, lang: Language = "fr"
) -> str:
    """Render the map of one unit-day (linked from its printed sheet)."""
    title = text("map.tour_title", lang, unit=tour.unit_name, date=format_date(tour.date, lang))
    return _build_map(plan, [tour], context, lang, title=title, week=False)


def tour_map_name(tour: Tour) -> str:
    """File name of a unit-day's map."""
    return f"{tour_slug(tour)}.html"
