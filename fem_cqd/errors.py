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
    """A nonlinear solve or a ramp stopped; ``last_state`` holds the last converged result."""

    def __init__(self, message: str, last_state: Any = None, completed: Any = None):
        self.last_state = last_state
        self.completed = completed if completed is not None else []
        super().__init__(message)


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
