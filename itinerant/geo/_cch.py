"""Customizable contraction hierarchies (routingkit-cch) over a road network's edges.

Three phases, as RoutingKit splits them: a weight-independent node order (nested
dissection on the coordinates, the slow part: cached with the network), the hierarchy
built from it (once per network), and one customization per vehicle profile (integer
milliseconds per edge). Queries then answer many-to-many times in milliseconds and
unpack fastest paths into the network's own edge indices.

``routingkit_cch`` is imported here only; :func:`available` says whether it can be.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from numpy.typing import NDArray

__all__ = ["CchMetric", "available", "build_hierarchy", "customize", "node_order"]

logger = logging.getLogger(__name__)

MS_PER_S = 1000
"""Edge weights are whole milliseconds (RoutingKit weights are 32-bit integers)."""

_PAIRS_PER_CHUNK = 2048
"""Paths unpacked before their arcs are summed (bounds the arc list to a few MB)."""


@functools.cache
def _module() -> ModuleType | None:
    """``routingkit_cch``, or ``None`` (logged once) when it cannot be imported."""
    try:
        import routingkit_cch  # noqa: PLC0415 - optional fast engine, imported on first use
    except ImportError as exc:
        logger.info("routingkit-cch unavailable (%s): travel matrices use scipy Dijkstra", exc)
        return None
    return routingkit_cch


def available() -> bool:
    """Whether routingkit-cch can be imported."""
    return _module() is not None


def arcs(
    edge_u: NDArray[np.int64], edge_v: NDArray[np.int64]
) -> tuple[NDArray[np.int64], list[int], list[int]]:
    """Edges given to the hierarchy (all but self-loops), as positions and tail/head lists."""
    keep = np.flatnonzero(edge_u != edge_v)
    return keep, edge_u[keep].tolist(), edge_v[keep].tolist()


def node_order(
    edge_u: NDArray[np.int64],
    edge_v: NDArray[np.int64],
    lat: NDArray[np.float64],
    lon: NDArray[np.float64],
) -> NDArray[np.int64] | None:
    """Weight-independent node order (inertial nested dissection), ``None`` without the module."""
    module = _module()
    if module is None:
        return None
    _, tail, head = arcs(edge_u, edge_v)
    order = module.compute_order_inertial(int(lat.size), tail, head, lat.tolist(), lon.tolist())
    return np.asarray(order, dtype=np.int64)


@dataclass(frozen=True, eq=False)
class CchMetric:
    """A hierarchy customized for one profile's edge times.

    ``edges[a]`` is the network edge of hierarchy arc ``a``.
    """

    metric: Any
    edges: NDArray[np.int64]
    module: ModuleType

    def times_s(
        self, sources: NDArray[np.int64], targets: NDArray[np.int64]
    ) -> NDArray[np.float64]:
        """Fastest times (s) from each source to each target (``inf`` where unreachable)."""
        query = self.module.CCHOneToMany(self.metric, targets.tolist())
        rows = [query.distances_from(s) for s in sources.tolist()]
        times = np.array(rows, dtype=np.float64).reshape(sources.size, targets.size)
        times[np.isnan(times)] = np.inf  # None (unreachable) became NaN
        return times / MS_PER_S

    def path_edges(self, source: int, target: int) -> NDArray[np.int64]:
        """Network edges of the fastest path from ``source`` to ``target`` (empty if none)."""
        query = self.module.CCHQuery(self.metric)
        arcs = query.run(source, target).arc_path
        return self.edges[np.asarray(arcs, dtype=np.int64)]

    def path_lengths(
        self, pairs: NDArray[np.int64], edge_length_m: NDArray[np.float64]
    ) -> NDArray[np.float64]:
        """Length (m) of the fastest path of each ``(source, target)`` row of ``pairs``.

        Paths are unpacked a chunk of pairs at a time, so memory stays flat; each path is
        summed on its own, so a length does not depend on the other pairs asked with it.
        """
        arc_length = edge_length_m[self.edges]
        query = self.module.CCHQuery(self.metric)
        lengths = np.zeros(len(pairs), dtype=np.float64)
        for first in range(0, len(pairs), _PAIRS_PER_CHUNK):
            flat: list[int] = []
            starts = []
            for source, target in pairs[first : first + _PAIRS_PER_CHUNK].tolist():
                starts.append(len(flat))
                result = query.run(source, target)
                flat += result.arc_path
                del result  # the binding forbids a new run while a result is alive
            sizes = np.diff([*starts, len(flat)])
            arc = arc_length[np.asarray(flat, dtype=np.int64)]
            chunk = lengths[first : first + len(starts)]
            walked = sizes > 0  # no path (unreachable, or from a node to itself): 0 m
            if walked.any():
                chunk[walked] = np.add.reduceat(arc, np.asarray(starts)[walked])
        return lengths


def build_hierarchy(
    order: NDArray[np.int64], edge_u: NDArray[np.int64], edge_v: NDArray[np.int64]
) -> object:
    """Build the hierarchy of a network's edges from its node order (once per network).

    Raises
    ------
    RuntimeError
        If routingkit-cch cannot be imported (check :func:`available` first).
    """
    module = _module()
    if module is None:  # pragma: no cover - callers check available() first
        msg = "routingkit-cch is not available"
        raise RuntimeError(msg)
    _, tail, head = arcs(edge_u, edge_v)
    return module.CCH(order.tolist(), tail, head, False)


def customize(
    hierarchy: object,
    edge_u: NDArray[np.int64],
    edge_v: NDArray[np.int64],
    time_s: NDArray[np.float64],
) -> CchMetric:
    """Customize a hierarchy for edge times ``time_s`` (once per profile)."""
    module = _module()
    assert module is not None  # a hierarchy exists, so the module was imported
    keep, _, _ = arcs(edge_u, edge_v)
    weights = np.maximum(np.rint(time_s[keep] * MS_PER_S), 1).astype(np.int64)
    metric = module.CCHMetric(hierarchy, weights.tolist())
    return CchMetric(metric=metric, edges=keep, module=module)
