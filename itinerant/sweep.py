"""Run independent jobs (a scenario's season, one cell of a sweep) on a dask.distributed cluster.

A sweep (``itinerant compare``, scenarios x weeks) is a list of independent jobs, each a
pure function of its inputs and seed. :func:`run_jobs` sends them to a cluster and
returns their results in the order given, so a sweep gives the same results on one
machine and on many:

- with no scheduler, it starts a local cluster (one single-threaded worker process per
  job, up to the machine's cores) and stops it when the jobs are done;
- with ``scheduler="tcp://HOST:PORT"`` (or a scheduler file), it uses that running
  cluster; its workers need itinerant installed and the files the scenarios name
  (road networks, territory CSVs) at the same paths.

A job whose worker dies is run again on another worker; one that kills its workers
``allowed_failures + 1`` times is reported as a :class:`~itinerant.errors.SweepError`
naming it, never silently lost. An :class:`~itinerant.errors.ItinerantError` raised by a
job reaches the caller as it is. dask is imported only when a cluster is used.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from itinerant.errors import SweepError

if TYPE_CHECKING:
    from distributed import Client

__all__ = ["ALLOWED_FAILURES", "run_jobs"]

logger = logging.getLogger(__name__)

JobT = TypeVar("JobT")
ResultT = TypeVar("ResultT")

ALLOWED_FAILURES = 2
"""Worker deaths a job may cause on the local cluster before it is reported as lost."""

_CONNECT_TIMEOUT_S = 60
"""How long to wait for a named scheduler to answer: a hang guard, not a tuned deadline."""


def run_jobs(
    function: Callable[[JobT], ResultT],
    jobs: Sequence[JobT],
    *,
    labels: Sequence[str] | None = None,
    scheduler: str | None = None,
    workers: int | None = None,
) -> list[ResultT]:
    """Run ``function`` on every job on a dask cluster; the results in the order of ``jobs``.

    Parameters
    ----------
    function
        A module-level function (the workers import it by name).
    jobs
        Its arguments, one per job (picklable).
    labels
        A name per job for messages (default: ``job 1``, ``job 2``...).
    scheduler
        ``tcp://HOST:PORT`` of a running scheduler, or the path of a scheduler file;
        ``None`` starts a local cluster for this call.
    workers
        Worker processes of the local cluster (default: one per job, up to the cores).
        With one worker and no scheduler, the jobs run in this process.

    Raises
    ------
    SweepError
        When the scheduler cannot be reached, or a job's worker died too often.
    """
    names = list(labels) if labels is not None else [f"job {i + 1}" for i in range(len(jobs))]
    count = workers or min(len(jobs), os.cpu_count() or 1)
    if scheduler is None and (count <= 1 or len(jobs) <= 1):
        return [function(job) for job in jobs]
    with _client(scheduler, count) as client:
        futures = [client.submit(function, job, pure=False) for job in jobs]
        return [_result(future, name) for future, name in zip(futures, names, strict=True)]


@contextmanager
def _client(scheduler: str | None, count: int) -> Iterator[Client]:
    """Connect to the named scheduler, or start a local cluster stopped on exit."""
    import dask  # noqa: PLC0415  # heavy, and only a sweep needs it
    from distributed import Client, LocalCluster  # noqa: PLC0415

    if scheduler is None:
        logger.info("starting a local cluster of %d worker process(es)", count)
        with dask.config.set({"distributed.scheduler.allowed-failures": ALLOWED_FAILURES}):
            cluster = LocalCluster(
                n_workers=count,
                threads_per_worker=1,
                processes=True,
                dashboard_address=":0",  # any free port: never one in use
                silence_logs=logging.ERROR,
            )
            try:
                client = Client(cluster, set_as_default=False)
                try:
                    yield client
                finally:
                    _close_quietly(client, "client")
            finally:
                _close_quietly(cluster, "local cluster")
        return
    logger.info("connecting to the dask scheduler %s", scheduler)
    if "://" in scheduler:
        address = {"address": scheduler}
    elif Path(scheduler).is_file():
        address = {"scheduler_file": scheduler}
    else:
        msg = f"--scheduler: {scheduler}: no such scheduler file, and not an address (tcp://HOST:PORT)"
        raise SweepError(msg)
    try:
        client = Client(**address, timeout=_CONNECT_TIMEOUT_S, set_as_default=False)
    except (OSError, ValueError) as exc:
        msg = f"--scheduler: {scheduler}: cannot reach the dask scheduler ({exc})"
        raise SweepError(msg) from exc
    with client:
        yield client


def _close_quietly(resource: Any, what: str) -> None:
    """Close a local cluster or its client; a failure to stop is logged, never raised.

    The sweep's jobs are over by then: their results, or the :class:`SweepError` naming a
    job that killed its workers, must reach the caller even when a worker process that
    the nanny was restarting cannot be joined at shutdown.
    """
    try:
        resource.close()
    except Exception as exc:  # noqa: BLE001  # shutdown only; the outcome is already known
        logger.warning("stopping the %s: %s: %s", what, type(exc).__name__, exc)


def _result(future: Any, name: str) -> Any:
    """Return the future's result; a job lost with its workers is a named :class:`SweepError`."""
    from distributed import KilledWorker  # noqa: PLC0415

    try:
        return future.result()
    except KilledWorker as exc:
        msg = (
            f"{name}: lost: its worker process died each time it ran ({exc}); "
            "look for a crash or an out-of-memory kill in the workers' logs"
        )
        raise SweepError(msg) from exc
