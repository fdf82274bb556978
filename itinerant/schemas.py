"""The JSON Schema of ``plan.json``, generated from the :class:`~itinerant.plan.Plan` model.

It is published in ``schemas/plan.schema.json`` for tools that read plans (a test keeps
it in sync with the model). Regenerate it after changing :mod:`itinerant.plan` with::

    python -m itinerant.schemas
"""

from __future__ import annotations

import json
from pathlib import Path

from itinerant.plan import Plan

__all__ = ["PLAN_SCHEMA_PATH", "plan_json_schema"]

PLAN_SCHEMA_PATH = Path("schemas") / "plan.schema.json"
"""Where the schema is published, relative to the repository root."""

_DRAFT = "https://json-schema.org/draft/2020-12/schema"


def plan_json_schema() -> str:
    """Return the JSON Schema of ``plan.json`` (what ``Plan.model_dump_json`` writes)."""
    schema = {
        "$schema": _DRAFT,
        "$comment": (
            "Generated from itinerant.plan.Plan by `python -m itinerant.schemas`; do not edit. "
            "Free-text fields (Unvisited.detail, IdleUnitDay.reason) are written in the "
            "scenario's language; reason codes are translated by itinerant.i18n (reason.<code>)."
        ),
        **Plan.model_json_schema(mode="serialization"),
    }
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":  # pragma: no cover
    from itinerant.outputs import write_atomic

    write_atomic(PLAN_SCHEMA_PATH, plan_json_schema())
