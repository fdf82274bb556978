"""The published JSON Schema of plan.json stays in sync with the Plan model (#13)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema

from itinerant.plan import Plan
from itinerant.render import render_plan_json
from itinerant.schemas import PLAN_SCHEMA_PATH, plan_json_schema

ROOT = Path(__file__).resolve().parents[2]


def test_published_plan_schema_is_the_models() -> None:
    """Regenerate with ``python -m itinerant.schemas`` when this fails."""
    published = (ROOT / PLAN_SCHEMA_PATH).read_text(encoding="utf-8")
    assert published == plan_json_schema()


def test_a_real_plan_validates_and_a_broken_one_does_not(week_plan: Plan) -> None:
    schema = json.loads((ROOT / PLAN_SCHEMA_PATH).read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    document = json.loads(render_plan_json(week_plan))
    validator.validate(document)
    document["tours"][0]["visits"][0]["drive_min"] = -1
    document["tours"][0]["surprise"] = True
    errors = sorted(e.message for e in validator.iter_errors(document))
    assert any("-1 is less than the minimum of 0" in e for e in errors), errors
    assert any("'surprise' was unexpected" in e for e in errors), errors
