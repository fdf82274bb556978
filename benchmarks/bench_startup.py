"""Start-up cost of the command line: import time of ``itinerant --help`` and ``validate``.

Run on demand (not a test)::

    python benchmarks/bench_startup.py [--runs 5] [--top 12]

Runs each command ``--runs`` times under ``python -X importtime`` (from the repository
root, so the working tree's package is the one imported) and prints the median time
spent in imports and the median wall time, then the imports with the largest cumulative
time of the median run (heavy libraries such as osmnx, OR-Tools, folium, matplotlib,
geopandas and weasyprint should not be among them: the commands that need them import
them).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COMMANDS = {
    "itinerant --help": ["--help"],
    "itinerant validate": ["validate", "scenarios/7-vallees.yaml"],
}


def import_times(stderr: str) -> list[tuple[int, int, str]]:
    """Parse ``-X importtime`` output: (self µs, cumulative µs, indented module name)."""
    rows = []
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        own, cumulative, name = line.removeprefix("import time:").split("|", 2)
        rows.append((int(own), int(cumulative), name.rstrip().removeprefix(" ")))
    return rows


def run_once(args: list[str]) -> tuple[float, float, list[tuple[int, int, str]]]:
    """Run one command; return seconds in imports, wall seconds and its import rows."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "itinerant", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    wall = time.perf_counter() - start
    rows = import_times(done.stderr)
    # top-level imports (no indentation) hold the time of everything below them
    total_us = sum(cumulative for _, cumulative, name in rows if not name.startswith(" "))
    return total_us / 1e6, wall, rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--top", type=int, default=12)
    args = parser.parse_args()
    for label, command in COMMANDS.items():
        runs = sorted((run_once(command) for _ in range(args.runs)), key=lambda r: r[0])
        median = runs[len(runs) // 2]
        print(
            f"{label}: imports {statistics.median(r[0] for r in runs):.3f} s, "
            f"wall {statistics.median(r[1] for r in runs):.3f} s (median of {args.runs})"
        )
        heaviest = sorted(median[2], key=lambda r: -r[1])[: args.top]
        for _, cumulative, name in heaviest:
            print(f"  {cumulative / 1e6:7.3f} s  {name.strip()}")


if __name__ == "__main__":
    main()
