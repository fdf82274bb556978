#!/usr/bin/env python3
"""Make the bundled commune outlines from a GeoJSON of commune contours.

    python scripts/simplify-outlines.py ../shared/data/communes_7vallees.geojson \
        itinerant/data/communes_7vallees.geojson

Keeps the ``insee`` and ``name`` properties, simplifies the polygons together (shared
borders stay shared: ``shapely.coverage_simplify``), rounds coordinates to 5 decimals
(about 1 m) and writes one feature per line. Needs shapely 2.1+ (an osmnx dependency).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import shapely
from shapely.geometry import mapping, shape

TOLERANCE_DEG = 0.001
"""Simplification tolerance (degrees; the result stays within about 90 m of the source)."""


def _rounded(value: object) -> object:
    if isinstance(value, float):
        return round(value, 5)
    if isinstance(value, list | tuple):
        return [_rounded(item) for item in value]
    return value


def main(source: Path, target: Path) -> None:
    """Simplify ``source`` into ``target``."""
    data = json.loads(source.read_text(encoding="utf-8"))
    features = sorted(data["features"], key=lambda f: f["properties"]["insee"])
    geometries = shapely.coverage_simplify(
        [shape(f["geometry"]) for f in features], tolerance=TOLERANCE_DEG
    )
    lines = []
    for feature, geometry in zip(features, geometries, strict=True):
        props = {key: feature["properties"][key] for key in ("insee", "name")}
        shaped = mapping(geometry)
        out = {
            "type": "Feature",
            "properties": props,
            "geometry": {"type": shaped["type"], "coordinates": _rounded(shaped["coordinates"])},
        }
        lines.append(json.dumps(out, ensure_ascii=False, separators=(",", ":")))
    target.write_text(
        '{"type":"FeatureCollection","features":[\n' + ",\n".join(lines) + "\n]}\n",
        encoding="utf-8",
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
