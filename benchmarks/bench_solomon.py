"""Solomon VRPTW (56 instances): itinerant's routing core against PyVRP and VROOM.

Run on demand from the repository root (not a test)::

    python -m benchmarks.bench_solomon --instances C101 R1 --limit 30 --csv solomon.csv
    python -m benchmarks.bench_solomon --instances RC2 --limit 5 --solvers itinerant-core pyvrp
    python -m benchmarks.bench_solomon --from-csv c1-r1.csv r2-rc.csv   # tables of earlier runs

Each instance becomes one integer ``RoutingProblem`` (:func:`benchmarks.instances.
solomon_problem`: distance + 1000 per vehicle used, fewest vehicles first) that every
solver gets, one after another, with the same time limit. Every solution is re-checked
and its distance recomputed in double precision. Prints one line per run, then tables
per instance and per class (vehicles, gap to the hierarchical best known, wall time),
each solver against PyVRP (fleets, distance at the same fleet), and the issue's
targets. Solvers whose package is missing are skipped with a message.
"""

from __future__ import annotations

import sys
from pathlib import Path

from benchmarks.instances import (
    SOLOMON_DIR,
    check_vrptw,
    read_solomon,
    read_solomon_bks,
    select,
    solomon_class,
    solomon_names,
    solomon_problem,
)
from benchmarks.peers import run
from benchmarks.report import (
    Row,
    available,
    class_table,
    common_arguments,
    head_to_head_table,
    instance_table,
    mean_gap_by_class,
    read_csv,
    write_csv,
)

TARGET_FLEET = 45 / 56
TARGET_GAP_PCT = 2.0
TARGET_PEER_POINTS = 1.0


def targets(rows: list[Row], solver: str) -> list[str]:
    """The issue's targets for one solver, as lines ``[ok]``/``[MISS]`` with figures."""
    sel = [r for r in rows if r.solver == solver]
    if not sel:
        return []
    ok = [r for r in sel if r.feasible]
    at = [r for r in ok if r.vehicles <= r.bks_vehicles]
    need = TARGET_FLEET * len(sel)
    gap = sum(r.gap_pct for r in ok) / len(ok) if ok else float("inf")
    lines = [
        f"feasible on all: {len(ok)}/{len(sel)}",
        f"best-known fleet on >= 45/56 ({need:.1f} of {len(sel)}): {len(at)}",
        f"mean distance gap <= {TARGET_GAP_PCT:.0f}%: {gap:+.2f}%",
    ]
    marks = [len(ok) == len(sel), len(at) >= need, gap <= TARGET_GAP_PCT]
    if solver != "pyvrp" and any(r.solver == "pyvrp" for r in rows):
        ours, theirs = mean_gap_by_class(rows, solver), mean_gap_by_class(rows, "pyvrp")
        worse = {
            c: ours[c] - theirs[c]
            for c in ours
            if c in theirs and ours[c] - theirs[c] > TARGET_PEER_POINTS
        }
        text = ", ".join(f"{c} {d:+.2f} pt" for c, d in worse.items()) or "none"
        lines.append(f"classes where PyVRP's mean gap beats ours by > 1 point: {text}")
        marks.append(not worse)
    return [f"  [{'ok' if m else 'MISS'}] {line}" for m, line in zip(marks, lines, strict=True)]


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; return the exit status."""
    parser = common_arguments(__doc__ or "", ["itinerant-core", "pyvrp", "vroom"])
    parser.add_argument(
        "--from-csv",
        nargs="+",
        type=Path,
        metavar="CSV",
        help="print the tables and targets of earlier runs (their --csv files) and exit",
    )
    args = parser.parse_args(argv)
    if args.from_csv:
        return print_earlier(args.from_csv)
    try:
        names = select(args.instances, solomon_names())
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    solvers = available(args.solvers)
    bks = read_solomon_bks()
    print(f"# Solomon VRPTW: {len(names)} instances, limit {args.limit:g}s, seed {args.seed}")
    rows: list[Row] = []
    for name in names:
        inst = read_solomon(SOLOMON_DIR / f"{name}.txt")
        problem = solomon_problem(inst)
        best = bks[name]
        for solver in solvers:
            out = run(
                solver, problem, limit_s=args.limit, seed=args.seed, threads=args.vroom_threads
            )
            check = check_vrptw(inst, [[int(c) for c in r] for r in out.routes])
            row = Row(
                instance=name,
                cls=solomon_class(name),
                solver=solver,
                limit_s=args.limit,
                wall_s=round(out.wall_s, 2),
                feasible=check.feasible,
                vehicles=check.vehicles,
                value=round(check.value, 2),
                bks_vehicles=best.vehicles,
                bks_value=best.distance,
                gap_pct=round(100 * (check.value / best.distance - 1), 2) + 0.0,
                problems="; ".join(check.problems),
                note=out.note,
            )
            rows.append(row)
            print(
                f"{name:6} {solver:14} {row.wall_s:6.1f}s veh {row.vehicles:2}/{best.vehicles:2}"
                f" dist {row.value:8.2f} gap {row.gap_pct:+6.2f}%"
                f" {'ok' if row.feasible else 'INFEASIBLE ' + row.problems} ({out.note})",
                flush=True,
            )
    if args.csv:
        write_csv(args.csv, rows)
    print_tables(rows, solvers)
    return 0


def print_earlier(paths: list[Path]) -> int:
    """Print the tables and targets of the rows in earlier runs' CSV files."""
    try:
        rows = [row for path in paths for row in read_csv(path)]
    except (OSError, KeyError, TypeError, ValueError) as exc:
        print(f"error: cannot read the rows: {exc}", file=sys.stderr)
        return 2
    order = {name: i for i, name in enumerate(solomon_names())}
    rows.sort(key=lambda r: order.get(r.instance, len(order)))
    solvers = list(dict.fromkeys(r.solver for r in rows))
    limits = sorted({r.limit_s for r in rows})
    print(f"# Solomon VRPTW: {len({r.instance for r in rows})} instances from {len(paths)} CSV")
    print(f"# limits (s): {', '.join(f'{x:g}' for x in limits)}")
    print_tables(rows, solvers)
    return 0


def print_tables(rows: list[Row], solvers: list[str]) -> None:
    """Print the per-instance and per-class tables and the targets."""
    print("\n## Per instance: vehicles / distance gap to best known (wall time)\n")
    print(instance_table(rows, solvers, "BKS veh / dist"))
    print("\n## Per class (gap@fleet: mean gap where the fleet is the best known's)\n")
    print(class_table(rows, solvers, fleet=True))
    if "pyvrp" in solvers and len(solvers) > 1:
        print("\n## Against PyVRP (vehicles; pt @same: mean gap difference at the same fleet)\n")
        print(head_to_head_table(rows, solvers, "pyvrp"))
    print("\n## Targets (issue 3, at 30 s per instance)\n")
    for solver in solvers:
        print(solver)
        print("\n".join(targets(rows, solver)))


if __name__ == "__main__":
    sys.exit(main())
