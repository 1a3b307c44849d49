"""Graded 1D grids: the one generator of the package, its tests and benchmarks.

Spacing h0 at the fine end, growing geometrically by ``ratio`` per cell, capped at ``hmax``,
stretched uniformly so that the last point lands exactly on the interval's end (a last sliver
under half a cell is merged first). Used for the stack meshes' layers and lateral grid, the
custom geometries, the optics claddings and every graded test or benchmark mesh.
"""
from __future__ import annotations

import numpy as np


def graded_steps(length: float, h0: float, ratio: float, hmax: float) -> np.ndarray:
    """Steps that start at ``h0``, grow by ``ratio`` up to ``hmax`` and sum exactly to ``length``."""
    steps, total, h = [], 0.0, h0
    while total < length:
        steps.append(h)
        total += h
        h = min(h * ratio, hmax)
    steps = np.array(steps)
    if len(steps) > 1 and steps[-1] - (total - length) < 0.5 * steps[-2]:
        steps = steps[:-1]                       # drop a sliver, stretch the rest
    return steps * (length / steps.sum())


def graded_points(x0: float, x1: float, h0: float, ratio: float = 1.0, hmax: float | None = None,
                  fine_at: str = "start") -> np.ndarray:
    """Points on [x0, x1] (m) whose spacing is ``h0`` at the ``fine_at`` end ("start", "end", or
    "both": finest at both ends, coarsest in the middle), grows by ``ratio`` per cell away from it
    and is capped at ``hmax`` (None: no cap); the steps are stretched slightly so that they end
    exactly at x1 (a last sliver under half a cell is merged). ``ratio`` 1 gives uniform cells of
    about ``h0``. The one graded-grid generator of the package, its tests and benchmarks."""
    length = x1 - x0
    hmax = max(min(length if hmax is None else hmax, length), h0)
    if fine_at == "both":
        half = graded_steps(length / 2, h0, ratio, hmax)
        steps = np.concatenate([half, half[::-1]])
    else:
        steps = graded_steps(length, h0, ratio, hmax)
        if fine_at == "end":
            steps = steps[::-1]
    pts = x0 + np.concatenate([[0.0], np.cumsum(steps)])
    pts[-1] = x1
    return pts
