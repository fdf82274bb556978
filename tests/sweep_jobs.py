"""Jobs for the sweep tests, importable by dask worker processes (``tests`` is on their path)."""

from __future__ import annotations

import os
from pathlib import Path


def square(value: int) -> int:
    return value * value


def crash_once(marker: str) -> str:
    """Kill the worker process the first time, succeed when run again: a worker lost mid-job."""
    path = Path(marker)
    runs = int(path.read_text()) if path.exists() else 0
    path.write_text(str(runs + 1))
    if runs == 0:
        os._exit(1)
    return f"ran {runs + 1} times"


def always_crash(marker: str) -> str:
    """Kill every worker that runs it."""
    path = Path(marker)
    path.write_text(str(int(path.read_text()) + 1 if path.exists() else 1))
    os._exit(1)


def call(job: tuple[object, object]) -> object:
    """Run ``function(argument)`` for a ``(function, argument)`` job."""
    function, argument = job
    return function(argument)  # type: ignore[operator]
