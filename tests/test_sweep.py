"""Sweeps on dask.distributed: a local cluster, a running scheduler, workers killed mid-run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from itinerant.errors import SweepError
from itinerant.sweep import ALLOWED_FAILURES, run_jobs

pytest.importorskip("distributed")

ROOT = Path(__file__).resolve().parents[1]
TESTS = Path(__file__).resolve().parent
HANG_GUARD_S = 300  # a hang is caught here; nothing waits on a tuned delay


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real dask scheduler and two single-threaded worker processes, started for the tests."""
    from distributed import Client

    folder = tmp_path_factory.mktemp("cluster")
    scheduler_file = folder / "scheduler.json"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(TESTS)])}
    common = ["--no-dashboard", "--dashboard-address", ":0"]
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "distributed.cli.dask_scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--scheduler-file",
                str(scheduler_file),
                *common,
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    ]
    try:
        for _ in range(2):
            processes.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "distributed.cli.dask_worker",
                        "--scheduler-file",
                        str(scheduler_file),
                        "--nworkers",
                        "1",
                        "--nthreads",
                        "1",
                        "--host",
                        "127.0.0.1",
                        *common,
                    ],
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        # The workers wait for the scheduler file themselves; the client does the same.
        with Client(scheduler_file=str(scheduler_file), timeout=HANG_GUARD_S) as client:
            client.wait_for_workers(2, timeout=HANG_GUARD_S)
            address = client.scheduler.address
        yield address
    finally:
        for process in reversed(processes):
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=HANG_GUARD_S)
            except subprocess.TimeoutExpired:
                process.kill()


def test_results_come_back_in_order_on_a_running_scheduler(scheduler: str) -> None:
    from sweep_jobs import square

    assert run_jobs(square, list(range(7)), scheduler=scheduler) == [i * i for i in range(7)]


def test_a_worker_killed_mid_job_is_replaced_and_the_job_run_again(
    scheduler: str, tmp_path: Path
) -> None:
    from sweep_jobs import crash_once

    marker = tmp_path / "runs"
    assert run_jobs(crash_once, [str(marker)], scheduler=scheduler) == ["ran 2 times"]
    assert marker.read_text() == "2"


def test_a_job_that_keeps_killing_its_workers_is_reported_by_name(tmp_path: Path) -> None:
    from sweep_jobs import always_crash, call, square

    marker = tmp_path / "runs"
    with pytest.raises(SweepError, match=r"^cellule B: lost: its worker process died"):
        run_jobs(
            call,
            [(square, 3), (always_crash, str(marker))],
            labels=["cellule A", "cellule B"],
            workers=2,
        )
    assert int(marker.read_text()) == ALLOWED_FAILURES + 1


def test_a_cluster_that_fails_to_stop_does_not_mask_the_results(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The nanny failing to join a worker at shutdown (seen on CI) is logged, not raised."""
    from distributed import LocalCluster
    from sweep_jobs import square

    real_close = LocalCluster.close

    def close_then_fail(self: LocalCluster, timeout: float | None = None) -> None:
        real_close(self, timeout)
        msg = "can only join a started process"
        raise AssertionError(msg)

    monkeypatch.setattr(LocalCluster, "close", close_then_fail)
    with caplog.at_level("WARNING", logger="itinerant.sweep"):
        assert run_jobs(square, [2, 3], workers=2) == [4, 9]
    assert "can only join a started process" in caplog.text


def test_a_missing_scheduler_file_is_one_named_error(tmp_path: Path) -> None:
    from sweep_jobs import square

    missing = tmp_path / "no-scheduler.json"
    with pytest.raises(SweepError, match=r"no-scheduler.json: no such scheduler file"):
        run_jobs(square, [1, 2], scheduler=str(missing))


def test_compare_gives_the_same_results_on_a_running_cluster_as_on_the_local_one(
    scheduler: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``compare --scheduler`` and the default local cluster: the same plans and indicators."""
    import yaml
    from click.testing import CliRunner

    from itinerant.cli import cli

    data = yaml.safe_load((ROOT / "scenarios" / "7-vallees.yaml").read_text(encoding="utf-8"))
    data["solver"] = {**data["solver"], "seed": 0, "solution_limit": 20, "lns_iterations": 20}
    paths = []
    for name, days in (("lundi-vendredi", None), ("sans-vendredi", ["mon", "tue", "wed", "thu"])):
        variant = dict(data, name=name)
        if days is not None:
            variant["period"] = {**data.get("period", {}), "working_days": days}
        path = tmp_path / f"{name}.yaml"
        path.write_text(yaml.safe_dump(variant, allow_unicode=True), encoding="utf-8")
        paths.append(str(path))
    monkeypatch.setenv("ITINERANT_OFFLINE", "1")
    monkeypatch.setenv("ITINERANT_CACHE_DIR", str(tmp_path / "cache"))
    outputs = {}
    for where, extra in (("local", []), ("cluster", ["--scheduler", scheduler])):
        out = tmp_path / where
        args = ["compare", *paths, "--weeks", "1", "--week", "2026-W49", "--out", str(out)]
        result = CliRunner().invoke(cli, [*args, *extra])
        assert result.exit_code == 0, result.output
        outputs[where] = {
            path.relative_to(out).as_posix(): _without_timings(path)
            for path in sorted(out.rglob("*"))
            if path.is_file() and path.name in ("plan.json", "indicateurs.csv", "schedule.csv")
        }
    assert len(outputs["local"]) == 5  # indicators, then a plan and a schedule per scenario
    assert outputs["cluster"] == outputs["local"]


def _without_timings(path: Path) -> object:
    """A file's content, less the seconds a solve took (a measure of the machine, not a result)."""
    if path.suffix != ".json":
        return path.read_bytes()

    def strip(value: object) -> object:
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k != "solve_time_s"}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    return strip(json.loads(path.read_text(encoding="utf-8")))
