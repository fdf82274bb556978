"""Result rows of the benchmark scripts: CSV output and the printed tables."""

from __future__ import annotations

import argparse
import csv
import dataclasses
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from benchmarks.peers import SOLVERS, missing


@dataclass(frozen=True)
class Row:
    """One solver on one instance: re-checked figures next to the best-known ones.

    ``gap_pct`` is positive when worse than best known: longer distance (VRPTW) or less
    profit (OPTW); with more vehicles than best known a VRPTW gap can be negative.
    """

    instance: str
    cls: str
    solver: str
    limit_s: float
    wall_s: float
    feasible: bool
    vehicles: int
    value: float
    bks_vehicles: int
    bks_value: float
    gap_pct: float
    problems: str
    note: str


def common_arguments(description: str, default_solvers: Sequence[str]) -> argparse.ArgumentParser:
    """Return the CLI shared by the benchmark scripts."""
    ap = argparse.ArgumentParser(
        description=description, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--instances", nargs="*", help="names or classes (R1, rc1, pr); default all")
    ap.add_argument("--limit", type=float, default=30.0, help="seconds per instance and solver")
    ap.add_argument("--solvers", nargs="+", default=list(default_solvers), choices=SOLVERS)
    ap.add_argument("--csv", type=Path, help="write every row to this CSV file")
    ap.add_argument("--seed", type=int, default=1, help="PyVRP seed (echoed in the output)")
    ap.add_argument("--vroom-threads", type=int, default=1, help="threads for VROOM")
    return ap


def available(solvers: Sequence[str]) -> list[str]:
    """Keep the solvers that can run here; print why the others are skipped."""
    kept = []
    for solver in solvers:
        why = missing(solver)
        if why:
            print(f"# {why}")
        else:
            kept.append(solver)
    return kept


def write_csv(path: Path, rows: Sequence[Row]) -> None:
    """Write the rows, one per solver and instance."""
    names = [f.name for f in dataclasses.fields(Row)]
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=names)
        writer.writeheader()
        for row in rows:
            writer.writerow(dataclasses.asdict(row))


def read_csv(path: Path) -> list[Row]:
    """Read the rows that :func:`write_csv` wrote (to print the tables of earlier runs)."""
    types = {f.name: f.type for f in dataclasses.fields(Row)}
    convert: dict[str, Callable[[str], object]] = {
        "float": float,
        "int": int,
        "bool": lambda text: text == "True",
        "str": str,
    }
    with path.open(newline="") as f:
        return [
            Row(**{k: convert[str(types[k])](v) for k, v in record.items()})  # type: ignore[arg-type]
            for record in csv.DictReader(f)
        ]


def _table(header: Sequence[str], lines: Sequence[Sequence[str]]) -> str:
    widths = [max(len(str(x)) for x in col) for col in zip(header, *lines, strict=True)]
    fmt = " | ".join(f"{{:{'<' if i == 0 else '>'}{w}}}" for i, w in enumerate(widths))
    rule = "-+-".join("-" * w for w in widths)
    return "\n".join([fmt.format(*header), rule, *(fmt.format(*line) for line in lines)])


def cell(row: Row | None, *, value_fmt: Callable[[Row], str]) -> str:
    """Format one solver's result on one instance: ``veh / gap (time)``."""
    if row is None:
        return "-"
    if not row.feasible:
        return f"INFEASIBLE ({row.wall_s:.1f}s)"
    return f"{row.vehicles} / {value_fmt(row)} ({row.wall_s:.1f}s)"


def instance_table(rows: Sequence[Row], solvers: Sequence[str], bks_header: str) -> str:
    """Per instance: best known, then each solver's vehicles, gap and wall time."""
    by = {(r.instance, r.solver): r for r in rows}
    instances = list(dict.fromkeys(r.instance for r in rows))
    lines = []
    for name in instances:
        first = next(r for r in rows if r.instance == name)
        bks = f"{first.bks_vehicles} / {first.bks_value:g}"
        lines.append([name, bks, *(cell(by.get((name, s)), value_fmt=_gap) for s in solvers)])
    return _table(["instance", bks_header, *solvers], lines)


def _gap(row: Row) -> str:
    return f"{row.gap_pct:+.2f}%"


def _mean(values: Sequence[float]) -> str:
    return f"{statistics.fmean(values):+.2f}%" if values else "n/a"


def class_table(rows: Sequence[Row], solvers: Sequence[str], *, fleet: bool) -> str:
    """Per class and solver: feasible count, best-known fleet count, mean gap, mean time."""
    classes = list(dict.fromkeys(r.cls for r in rows))
    lines = []
    for cls in [*classes, "all"]:
        for s in solvers:
            sel = [r for r in rows if r.solver == s and cls in ("all", r.cls)]
            ok = [r for r in sel if r.feasible]
            line = [cls, s, f"{len(ok)}/{len(sel)}"]
            if fleet:
                at = [r for r in ok if r.vehicles <= r.bks_vehicles]
                extra = sum(max(0, r.vehicles - r.bks_vehicles) for r in ok)
                line += [f"{len(at)}/{len(sel)}", f"+{extra}", _mean([r.gap_pct for r in at])]
            line += [
                _mean([r.gap_pct for r in ok]),
                f"{statistics.fmean([r.wall_s for r in sel]):.1f}" if sel else "n/a",
            ]
            lines.append(line)
    header = ["class", "solver", "feasible"]
    if fleet:
        header += ["bks fleet", "extra veh", "gap@fleet"]
    return _table([*header, "mean gap", "mean s"], lines)


def mean_gap_by_class(rows: Sequence[Row], solver: str) -> dict[str, float]:
    """Mean gap of a solver's feasible rows, by class."""
    out: dict[str, list[float]] = {}
    for r in rows:
        if r.solver == solver and r.feasible:
            out.setdefault(r.cls, []).append(r.gap_pct)
    return {cls: statistics.fmean(v) for cls, v in out.items()}


def head_to_head_table(rows: Sequence[Row], solvers: Sequence[str], peer: str) -> str:
    """Per class, each solver against ``peer`` on the instances both solved.

    Fewer, same and more vehicles than the peer; then, where the fleets are the same, the
    mean of the solver's gap minus the peer's (points; positive: the solver is longer).
    The class mean gap mixes fleets (a larger fleet can drive less); this separates them.
    """
    by = {(r.instance, r.solver): r for r in rows if r.feasible}
    classes = list(dict.fromkeys(r.cls for r in rows))
    lines = []
    for cls in [*classes, "all"]:
        for s in solvers:
            if s == peer:
                continue
            pairs = [
                (by[(r.instance, s)], r)
                for r in rows
                if r.solver == peer
                and r.feasible
                and cls in ("all", r.cls)
                and (r.instance, s) in by
            ]
            fewer = sum(ours.vehicles < theirs.vehicles for ours, theirs in pairs)
            more = sum(ours.vehicles > theirs.vehicles for ours, theirs in pairs)
            same = [
                ours.gap_pct - theirs.gap_pct
                for ours, theirs in pairs
                if ours.vehicles == theirs.vehicles
            ]
            points = f"{statistics.fmean(same):+.2f}" if same else "n/a"
            lines.append([cls, s, str(len(pairs)), str(fewer), str(len(same)), str(more), points])
    header = ["class", "solver", "both", "fewer veh", "same veh", "more veh", "pt @same"]
    return _table(header, lines)
