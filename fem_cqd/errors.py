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
