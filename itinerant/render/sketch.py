"""A printable route sketch: inline SVG drawn from the plan's geometry and commune outlines.

No web tiles: the sketch prints the same with or without internet, in black and white.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from html import escape
from typing import TYPE_CHECKING, Any

from itinerant.i18n import format_number
from itinerant.render._common import outline_area, outline_centre, tour_line

if TYPE_CHECKING:
    from itinerant.i18n import Language
    from itinerant.plan import Plan, Tour
    from itinerant.render.context import RenderContext

__all__ = ["render_route_sketch"]

WIDTH, HEIGHT = 680.0, 300.0
_MARGIN = 28.0
_MIN_SPAN_KM = 6.0
_KM_PER_DEG = 111.32


class _Projection:
    """Equirectangular projection of a lat/lon box onto the sketch, aspect kept."""

    def __init__(self, points: Sequence[tuple[float, float]]) -> None:
        lats = [p[0] for p in points]
        lons = [p[1] for p in points]
        self.lat0 = (min(lats) + max(lats)) / 2
        self.cos = math.cos(math.radians(self.lat0))
        lon0 = (min(lons) + max(lons)) / 2
        span_x = max((max(lons) - min(lons)) * self.cos, _MIN_SPAN_KM / _KM_PER_DEG)
        span_y = max(max(lats) - min(lats), _MIN_SPAN_KM / _KM_PER_DEG)
        self.scale = min((WIDTH - 2 * _MARGIN) / span_x, (HEIGHT - 2 * _MARGIN) / span_y)
        self.lon0 = lon0

    def __call__(self, lat: float, lon: float) -> tuple[float, float]:
        x = WIDTH / 2 + (lon - self.lon0) * self.cos * self.scale
        y = HEIGHT / 2 - (lat - self.lat0) * self.scale
        return x, y

    def inside(self, lat: float, lon: float, pad: float = 0.0) -> bool:
        x, y = self(lat, lon)
        return -pad <= x <= WIDTH + pad and -pad <= y <= HEIGHT + pad

    def px_per_km(self) -> float:
        return self.scale / _KM_PER_DEG


def _rings(geometry: Mapping[str, Any]) -> Iterable[Sequence[Sequence[float]]]:
    kind = geometry.get("type")
    coords = geometry.get("coordinates") or []
    if kind == "Polygon":
        yield from coords
    elif kind == "MultiPolygon":
        for polygon in coords:
            yield from polygon


def _path(points: Iterable[tuple[float, float]], *, close: bool) -> str:
    parts = [f"{x:.1f},{y:.1f}" for x, y in points]
    if not parts:
        return ""
    return "M" + " L".join(parts) + (" Z" if close else "")


def _outlines(
    project: _Projection, outlines: Mapping[str, Any], visited: set[str]
) -> tuple[list[str], list[Mapping[str, Any]]]:
    """Commune outlines in view (visited ones shaded), and their features, largest first."""
    shapes, shown = [], []
    for feature in outlines.get("features", []):
        insee = str((feature.get("properties") or {}).get("insee", ""))
        rings = list(_rings(feature.get("geometry") or {}))
        if not rings or not any(
            project.inside(lat, lon, pad=40) for ring in rings for lon, lat, *_ in ring
        ):
            continue
        d = " ".join(
            _path((project(lat, lon) for lon, lat, *_ in ring), close=True) for ring in rings
        )
        css = "c v" if insee in visited else "c"
        shapes.append(f'<path class="{css}" d="{d}"/>')
        shown.append(feature)
    shown.sort(key=lambda f: -outline_area(f.get("geometry") or {}))
    return shapes, shown


Box = tuple[float, float, float, float]
"""A rectangle on the sketch: left, top, right, bottom (px)."""

_BOLD_EM, _REGULAR_EM = 0.7, 0.62
"""Generous mean advance of sans-serif text (DejaVu Sans, bold and regular) per em."""
_INSET = 3.0
"""Labels stay this far inside the frame."""


def _text_box(x: float, y: float, name: str, size: float, anchor: str, em: float) -> Box:
    """Estimated box of a label whose baseline starts at ``(x, y)``, halo included."""
    width = len(name) * size * em
    left = {"start": x, "middle": x - width / 2, "end": x - width}[anchor]
    return (left - 2, y - 0.8 * size - 2, left + width + 2, y + 0.25 * size + 2)


def _overlaps(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


class _Layout:
    """Where labels may still go: inside the frame, clear of markers and other labels."""

    def __init__(self, taken: Iterable[Box]) -> None:
        self.taken = list(taken)

    def place(
        self,
        candidates: Iterable[tuple[float, float, str]],
        name: str,
        *,
        size: float,
        em: float,
    ) -> tuple[float, float, str] | None:
        """Take the first candidate ``(x, y, anchor)`` whose label fits; None if none does."""
        for x, y, anchor in candidates:
            box = _text_box(x, y, name, size, anchor, em)
            inside = (
                box[0] >= _INSET
                and box[1] >= _INSET
                and box[2] <= WIDTH - _INSET
                and box[3] <= HEIGHT - _INSET
            )
            if inside and not any(_overlaps(box, other) for other in self.taken):
                self.taken.append(box)
                return x, y, anchor
        return None


def _around(x: float, y: float, gap: float) -> list[tuple[float, float, str]]:
    """List label positions around a marker of half-size ``gap``, best first.

    Right, left, below, above, the corners, then the same farther out (another marker
    may sit on this one).
    """
    spots = []
    for d in (gap, gap + 14, gap + 28):
        spots += [
            (x + d + 4, y + 4, "start"),
            (x - d - 4, y + 4, "end"),
            (x, y + d + 13, "middle"),
            (x, y - d - 5, "middle"),
            (x + d, y - d - 2, "start"),
            (x + d, y + d + 11, "start"),
            (x - d, y - d - 2, "end"),
            (x - d, y + d + 11, "end"),
        ]
    return spots


def _label(x: float, y: float, name: str, anchor: str) -> str:
    """Draw a bold label with a white halo (twice: print engines lack ``paint-order``)."""
    common = f'text-anchor="{anchor}" x="{x:.1f}" y="{y:.1f}"'
    return (
        f'<text class="l h" {common}>{escape(name)}</text>'
        f'<text class="l" {common}>{escape(name)}</text>'
    )


def _scale_bar(project: _Projection, lang: Language) -> tuple[str, Box]:
    """Draw the scale bar (bottom left); return it and the box it covers."""
    px_km = project.px_per_km()
    length = next((n for n in (1, 2, 5, 10, 20, 50) if n * px_km >= WIDTH * 0.12), 50)
    x0, y0, w = 12.0, HEIGHT - 14.0, length * px_km
    label = f"{format_number(length, lang)}\u202fkm" if lang == "fr" else f"{length} km"
    box = _text_box(x0 + w + 5, y0, label, 10, "start", _REGULAR_EM)
    svg = (
        f'<g class="scale"><path d="M{x0:.1f},{y0 - 5:.1f} V{y0:.1f} H{x0 + w:.1f} '
        f'V{y0 - 5:.1f}"/><text x="{x0 + w + 5:.1f}" y="{y0:.1f}">{escape(label)}</text></g>'
    )
    return svg, (x0 - 2, y0 - 7, box[2], y0 + 3)


_NORTH_BOX: Box = (WIDTH - 24, 10, WIDTH - 4, 50)


def render_route_sketch(
    plan: Plan, tour: Tour, context: RenderContext, *, lang: Language = "fr"
) -> str:
    """Render the sketch of one unit-day as an inline ``<svg>`` element (text).

    Commune outlines (when given) are the background, the visited ones shaded and the
    others named; the route is a solid line along the roads, or a dashed straight line
    when approximate; stops are numbered circles, the depot a black square. Labels are
    placed inside the frame, clear of the markers, the scale bar, the north arrow and
    each other; one that fits nowhere is left out (the stop's number still links it to
    the table). Every name is escaped.
    """
    line, approximate = tour_line(plan, tour, context)
    base = context.base_of(tour.unit_id)
    depot = base.point
    project = _Projection([(p[0], p[1]) for p in line])
    visited = {v.insee for v in tour.visits}
    scale_svg, scale_box = _scale_bar(project, lang)
    dx, dy = project(depot.lat, depot.lon)
    stops = [project(v.point.lat, v.point.lon) for v in tour.visits]
    layout = _Layout(
        [scale_box, _NORTH_BOX, (dx - 10, dy - 10, dx + 10, dy + 10)]
        + [(x - 13, y - 13, x + 13, y + 13) for x, y in stops]
    )
    parts = [
        (
            f'<svg xmlns="http://www.w3.org/2000/svg" class="sketch" viewBox="0 0 {WIDTH:.0f} '
            f'{HEIGHT:.0f}" role="img">'
        ),
        (
            "<style>"
            ".c{fill:#fff;stroke:#9a9a9a;stroke-width:.7}.c.v{fill:#e4e4e4;stroke:#555}"
            ".r{fill:none;stroke:#000;stroke-width:2.6;stroke-linejoin:round;stroke-linecap:round}"
            ".r.a{stroke-dasharray:9 6}"
            ".n{fill:#fff;stroke:#000;stroke-width:1.8}"
            ".t{font-family:sans-serif;font-weight:bold;font-size:13px;text-anchor:middle}"
            ".l{font-family:sans-serif;font-weight:bold;font-size:11px;fill:#000}"
            ".h{fill:#fff;stroke:#fff;stroke-width:3.5px;stroke-linejoin:round}"
            ".o{font-family:sans-serif;font-size:9px;fill:#555}"
            ".scale path{fill:none;stroke:#000;stroke-width:1.5}"
            ".scale text{font-family:sans-serif;font-size:10px}"
            ".frame{fill:none;stroke:#000;stroke-width:1}"
            "</style>"
        ),
        (
            f'<clipPath id="clip-{escape(tour.unit_id)}-{tour.date.isoformat()}">'
            f'<rect width="{WIDTH:.0f}" height="{HEIGHT:.0f}"/></clipPath>'
        ),
        f'<g clip-path="url(#clip-{escape(tour.unit_id)}-{tour.date.isoformat()})">',
    ]
    outline_labels: list[tuple[float, float, str]] = []
    if context.outlines is not None:
        shapes, features = _outlines(project, context.outlines, visited)
        parts.extend(shapes)
        for feature in features:
            props = feature.get("properties") or {}
            centre = outline_centre(feature.get("geometry") or {})
            if props.get("insee") in visited or not props.get("name") or centre is None:
                continue
            x, y = project(centre[0], centre[1])
            outline_labels.append((x, y + 3, str(props["name"])))
    css = "r a" if approximate else "r"
    route = _path((project(lat, lon) for lat, lon in line), close=False)
    parts.append(f'<path class="{css}" d="{route}"/>')
    labels = []
    depot_at = layout.place(_around(dx, dy, 8), base.name, size=11, em=_BOLD_EM)
    if depot_at is not None:
        labels.append(_label(*depot_at[:2], base.name, depot_at[2]))
    parts.append(f'<rect x="{dx - 8:.1f}" y="{dy - 8:.1f}" width="16" height="16" fill="#000"/>')
    for rank, (visit, (x, y)) in enumerate(zip(tour.visits, stops, strict=True), start=1):
        parts.append(
            f'<circle class="n" cx="{x:.1f}" cy="{y:.1f}" r="12"/>'
            f'<text class="t" x="{x:.1f}" y="{y + 4.6:.1f}">{rank}</text>'
        )
        at = layout.place(_around(x, y, 12), visit.commune_name, size=11, em=_BOLD_EM)
        if at is not None:
            labels.append(_label(*at[:2], visit.commune_name, at[2]))
    for x, y, name in outline_labels:  # the stops' names first: they matter more
        if layout.place([(x, y, "middle")], name, size=9, em=_REGULAR_EM) is not None:
            labels.append(
                f'<text class="o" text-anchor="middle" x="{x:.1f}" y="{y:.1f}">'
                f"{escape(name)}</text>"
            )
    parts.extend(labels)
    parts.append("</g>")
    parts.append(scale_svg)
    parts.append(
        f'<g class="north"><path d="M{WIDTH - 20:.0f},30 L{WIDTH - 14:.0f},14 '
        f'L{WIDTH - 8:.0f},30 Z" fill="#000"/><text class="t" x="{WIDTH - 14:.0f}" y="46">N'
        "</text></g>"
    )
    parts.append(f'<rect class="frame" width="{WIDTH:.0f}" height="{HEIGHT:.0f}"/>')
    parts.append("</svg>")
    return "".join(parts)
