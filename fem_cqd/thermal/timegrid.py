r"""Time steps and source amplitudes for :func:`~fem_cqd.thermal.transient.solve_transient`:
:func:`time_grid` (piecewise-constant steps growing geometrically, switching times included) and
:func:`rectangular_pulses` (a rectangular pulse train and its switching times).
"""
from __future__ import annotations

import numpy as np

from ..errors import InputError, check_finite, check_positive


def time_grid(t_end: float, dt_first: float, steps_per_level: int = 10, growth: float = 2.0,
              include=()) -> np.ndarray:
    """Step end times from ``dt_first`` growing by ``growth`` every ``steps_per_level`` steps up to ``t_end``.

    Piecewise-constant steps keep the number of distinct system matrices (factorisations) small.
    ``include`` times (output times, pulse edges) are inserted. Returns an increasing array > 0.
    """
    t_end = check_positive("t_end", t_end)
    dt = check_positive("dt_first", dt_first)
    check_positive("growth", growth)
    out, t, i = [], 0.0, 0
    while t < t_end * (1 - 1e-12):
        t = min(t + dt, t_end)
        out.append(t)
        i += 1
        if i % steps_per_level == 0:
            dt *= growth
    grid = np.union1d(np.asarray(out), np.asarray(list(include), dtype=float))
    grid = grid[(grid > 0) & (grid <= t_end * (1 + 1e-12))]
    # merge times closer than 1e-9 of a step
    keep = np.concatenate([[True], np.diff(grid) > 1e-9 * np.maximum(grid[1:], 1e-300)])
    return grid[keep]


def rectangular_pulses(width_s: float, period_s: float, n_pulses: int | None = None, start_s: float = 0.0,
                       height: float = 1.0):
    """A rectangular pulse train ``a(t)``: ``height`` for start + j period <= t < start + j period + width
    (``start_s``, ``period_s``, ``width_s`` in seconds), else 0.

    Returns ``(amplitude, edges)``; ``edges`` are the switching times (first ``n_pulses`` pulses, or
    the first 1000 when None) to include in the time grid.
    """
    width = check_positive("width_s", width_s)
    period = check_positive("period_s", period_s)
    if width > period:
        raise InputError("width_s", width, f"a pulse width <= the period ({period:g} s)")
    start = float(start_s)
    check_finite("start_s", start)
    height = float(height)
    check_finite("height", height)
    if n_pulses is not None and (int(n_pulses) != n_pulses or n_pulses < 1):
        raise InputError("n_pulses", n_pulses, "a whole number >= 1, or None for an endless train")

    def amplitude(t: float) -> float:
        s = t - start
        if s < 0 or (n_pulses is not None and s >= n_pulses * period):
            return 0.0
        return height if (s % period) < width else 0.0

    j = np.arange(n_pulses if n_pulses is not None else 1000)
    edges = np.sort(np.concatenate([start + j * period, start + j * period + width]))
    amplitude.edges = edges[edges > 0]
    return amplitude, amplitude.edges
