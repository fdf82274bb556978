"""Orienteering with time windows, one route (OPTW): itinerant against PyVRP and VROOM.

Run on demand from the repository root (not a test)::

    python -m benchmarks.bench_optw --instances c101 r101 rc101 pr01 --limit 10
    python -m benchmarks.bench_optw --instances pr --limit 30 --csv optw.csv

Each instance of ``../shared/benchmarks/toptw`` with a best-known one-route score
(``optw_m1_bks.csv``) becomes one integer ``RoutingProblem``
(:func:`benchmarks.instances.optw_problem`: every customer optional, prize = profit
weighted above any distance). PyVRP gets the prizes as optional clients; VROOM as job
priorities (profit / gcd, exact while at most 100). Every tour is re-checked in double
precision with the benchmark's truncated distances and its profit recomputed. The gap is
``1 - score / best known`` (positive: less profit).
"""

from __future__ import annotations

import statistics
import sys

from benchmarks.instances import (
    check_optw,
    optw_names,
    optw_path,
    optw_problem,
    read_optw,
    read_optw_bks,
    select,
    solomon_class,
)
from benchmarks.peers import run
from benchmarks.report import (
    Row,
    available,
    class_table,
    common_arguments,
    instance_table,
    write_csv,
)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; return the exit status."""
    args = common_arguments(__doc__ or "", ["itinerant", "pyvrp", "vroom"]).parse_args(argv)
    bks = read_optw_bks()
    try:
        names = [n for n in select(args.instances, optw_names()) if n in bks]
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    solvers = available(args.solvers)
    print(f"# OPTW (m = 1): {len(names)} instances, limit {args.limit:g}s, seed {args.seed}")
    rows: list[Row] = []
    for name in names:
        inst = read_optw(optw_path(name))
        problem = optw_problem(inst)
        best = bks[name]
        for solver in solvers:
            out = run(
                solver, problem, limit_s=args.limit, seed=args.seed, threads=args.vroom_threads
            )
            check = check_optw(inst, [int(c) for r in out.routes for c in r])
            if len(out.routes) > 1:
                check = type(check)(False, len(out.routes), check.value, ("several routes",))
            row = Row(
                instance=name,
                cls=solomon_class(name),
                solver=solver,
                limit_s=args.limit,
                wall_s=round(out.wall_s, 2),
                feasible=check.feasible,
                vehicles=check.vehicles,
                value=check.value,
                bks_vehicles=1,
                bks_value=best.score,
                gap_pct=round(100 * (1 - check.value / best.score), 2) + 0.0,
                problems="; ".join(check.problems),
                note=out.note + ("" if best.proven else " (best known not proven)"),
            )
            rows.append(row)
            status = "ok" if row.feasible else f"INFEASIBLE {row.problems}"
            print(
                f"{name:6} {solver:14} {row.wall_s:6.1f}s score {row.value:5.0f}/{best.score:4}"
                f" gap {row.gap_pct:+6.2f}% {status} ({row.note.strip()})",
                flush=True,
            )
    if args.csv:
        write_csv(args.csv, rows)
    print("\n## Per instance: routes / profit gap to best known (wall time)\n")
    print(instance_table(rows, solvers, "best score"))
    print("\n## Per class\n")
    print(class_table(rows, solvers, fleet=False))
    print("\n## Targets (issue 3: feasible on all OPTW instances)\n")
    for solver in solvers:
        sel = [r for r in rows if r.solver == solver]
        ok = [r for r in sel if r.feasible]
        optimal = [r for r in ok if r.gap_pct <= 0]
        gap = statistics.fmean([r.gap_pct for r in ok]) if ok else float("nan")
        mark = "ok" if len(ok) == len(sel) else "MISS"
        print(
            f"{solver}: [{mark}] feasible {len(ok)}/{len(sel)}; best known reached"
            f" {len(optimal)}/{len(sel)}; mean profit gap {gap:+.2f}%"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
