"""Start-up: the command line imports heavy libraries only in the commands that use them.

``itinerant --help`` and ``itinerant validate`` need none of osmnx, OR-Tools, folium,
matplotlib, weasyprint, geopandas, pandas or scipy; importing them costs seconds
(``benchmarks/bench_startup.py`` measures it). Checked in a fresh interpreter, where
``sys.modules`` shows what was imported.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("osmnx", "ortools", "folium", "matplotlib", "weasyprint", "geopandas", "pandas", "scipy")

_PROBE = """
import contextlib, io, json, sys
from itinerant.cli import cli
with contextlib.redirect_stdout(io.StringIO()):
    cli.main({args!r}, standalone_mode=False)
print(json.dumps(sorted(m for m in {heavy!r} if m in sys.modules)))
"""


@pytest.mark.parametrize("args", [["--help"], ["validate", "scenarios/7-vallees.yaml"]])
def test_light_commands_import_no_heavy_library(args: list[str]) -> None:
    """``--help`` and ``validate`` leave every heavy library unimported."""
    done = subprocess.run(
        [sys.executable, "-c", _PROBE.format(args=args, heavy=HEAVY)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(done.stdout.splitlines()[-1]) == []


def test_planning_modules_import_no_solver() -> None:
    """Importing the pipeline and optimiser modules does not load OR-Tools or osmnx yet."""
    probe = (
        "import json, sys; import itinerant.pipeline, itinerant.horizon, itinerant.replan; "
        "print(json.dumps(sorted(m for m in ('ortools', 'osmnx', 'folium') if m in sys.modules)))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(done.stdout) == []
