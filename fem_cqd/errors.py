"""Errors raised by fem_cqd, and the small checks that raise them.

Every bad input raises an :class:`InputError` (a ``ValueError``) whose message names the field,
the value and what is allowed; a solve that fails raises a :class:`ConvergenceError` that carries
the last converged state, so no result already computed is lost.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np


class InputError(ValueError):
    """A parameter, mesh or file is not acceptable; raised before any solve starts."""

    def __init__(self, field: str, value: Any, allowed: str):
        self.field, self.value, self.allowed = field, value, allowed
        super().__init__(f"{field} = {value!r} is not allowed: {allowed}")


class ConvergenceError(RuntimeError):
    """A nonlinear solve, a ramp or an iteration stopped. ``last_state`` holds the last converged
    result (None if nothing converged) and ``completed`` the points finished before (ramps, sweeps,
    pulses). Catch this class for any failure; what is raised is one of its subclasses, each with
    one type of ``last_state``."""

    def __init__(self, message: str, last_state: Any = None, completed: Any = None):
        self.last_state = last_state
        self.completed = completed if completed is not None else []
        super().__init__(message)


class ElectricalConvergenceError(ConvergenceError):
    """Drift-diffusion (equilibrium, bias steps, ramps, the electrical re-solves of a pulse):
    ``last_state`` an ElectricalState, ``completed`` ElectricalStates."""


class ThermalConvergenceError(ConvergenceError):
    """Steady heat: ``last_state`` the ThermalState of the last iterate (None when the linear solver
    itself failed)."""


class TransientConvergenceError(ConvergenceError):
    """Transient heat: ``last_state`` the ThermalHistory up to the last output time reached."""


class ElectrothermalConvergenceError(ConvergenceError):
    """Electrothermal operating points, ``reach`` and ramps: ``last_state`` the last converged
    OperatingPoint (None if none), ``completed`` OperatingPoints; an electrical failure inside is
    the ``__cause__`` (its own ``last_state`` an ElectricalState)."""


def check_finite(field: str, value: Any) -> None:
    """Raise unless ``value`` (scalar or array) is finite everywhere."""
    arr = np.asarray(value, dtype=float)
    if not np.all(np.isfinite(arr)):
        raise InputError(field, value, "a finite number (no NaN or infinity)")


def check_positive(field: str, value: Any, allow_zero: bool = False) -> float:
    """Return ``float(value)`` if finite and > 0 (or >= 0 with ``allow_zero``), else raise."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise InputError(field, value, "a real number") from None
    if not math.isfinite(x):
        raise InputError(field, value, "a finite number (no NaN or infinity)")
    if x < 0 or (x == 0 and not allow_zero):
        raise InputError(field, value, "a number >= 0" if allow_zero else "a number > 0")
    return x


def check_choice(field: str, value: Any, allowed: tuple | list | set) -> Any:
    """Return ``value`` if it is one of ``allowed``, else raise naming the choices."""
    if value not in allowed:
        raise InputError(field, value, "one of " + ", ".join(repr(a) for a in sorted(allowed)))
    return value


#: a triangle whose doubled area is at most this fraction of its longest edge squared is
#: degenerate: its P1 gradients (1/area) have lost all but ~4 of double precision's 16 digits, and
#: at zero area they are inf/NaN. Real meshes stay far above it (the lim2018 meshes: >= 2e-6).
DEGENERATE_TRIANGLE_RATIO = 1e-12


def check_triangles(p: Any, t: Any, field: str = "mesh") -> np.ndarray:
    """Return the signed doubled areas ``2A`` (ne,) of triangles ``t`` (3, ne) on nodes ``p`` (2, N).

    Raises an InputError naming the first degenerate (zero- or near-zero-area) element, its nodes
    and their coordinates, so no solver divides by a zero area and returns NaN. Shared by the heat
    solver and drift-diffusion's edge geometry.
    """
    p = np.asarray(p, dtype=float)
    t = np.asarray(t)
    if p.ndim != 2 or p.shape[0] != 2 or t.ndim != 2 or t.shape[0] != 3:
        raise InputError(f"{field} (p, t)", f"shapes {p.shape}, {t.shape}", "p (2, N) node coordinates, t (3, ne) triangles")
    if not np.all(np.isfinite(p)):
        bad = int(np.flatnonzero(~np.all(np.isfinite(p), axis=0))[0])
        raise InputError(f"{field} node {bad} coordinates", p[:, bad].tolist(), "finite coordinates (no NaN or infinity)")
    x, y = p[0][t], p[1][t]
    X, Y = x - x[0], y - y[0]
    area2 = X[1] * Y[2] - X[2] * Y[1]
    h2 = np.max(np.stack([X[1] ** 2 + Y[1] ** 2, X[2] ** 2 + Y[2] ** 2,
                          (X[2] - X[1]) ** 2 + (Y[2] - Y[1]) ** 2]), axis=0)
    bad = np.flatnonzero(~(np.abs(area2) > DEGENERATE_TRIANGLE_RATIO * h2))
    if bad.size:
        e = int(bad[0])
        nodes = [int(v) for v in t[:, e]]
        coords = ", ".join(f"({p[0, v]:.6g}, {p[1, v]:.6g})" for v in nodes)
        more = f" ({bad.size} degenerate elements in all)" if bad.size > 1 else ""
        raise InputError(f"{field} element {e}", f"nodes {nodes} at (x, y) = {coords} m, area {abs(area2[e]) / 2:.3g} m^2{more}",
                         f"triangles of non-zero area (2 x area > {DEGENERATE_TRIANGLE_RATIO:g} x longest edge^2)")
    return area2


def check_range(field: str, value: Any, lo: float, hi: float, unit: str, why: str = "") -> float:
    """Return ``float(value)`` if finite and ``lo <= value <= hi``, else raise naming the range.

    ``why`` names the limit (e.g. a :mod:`fem_cqd.limits` constant) so the user sees where the
    plausibility bound comes from.
    """
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise InputError(field, value, f"a real number in [{lo:g}, {hi:g}] {unit}") from None
    if not (math.isfinite(x) and lo <= x <= hi):
        raise InputError(field, value, f"a finite number in [{lo:g}, {hi:g}] {unit}" + (f" ({why})" if why else ""))
    return x
