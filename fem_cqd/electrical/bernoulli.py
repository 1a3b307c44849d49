"""Bernoulli function B(x) = x / (e^x - 1) and its derivative, accurate for every real x.

B is the weight of the Scharfetter-Gummel flux: B(x) -> 1 - x/2 near 0, B(x) ~ x e^{-x} for
x -> +inf and B(x) ~ -x for x -> -inf. Computed without overflow and without 0/0:

- |x| small: Taylor series in the Bernoulli numbers (B(x) = sum B_k x^k / k!);
- x > 0: x e^{-x} / (1 - e^{-x}) with ``expm1`` (no overflow for any x);
- x < 0: x / expm1(x).

Relative error <= 1e-15 or so on [-700, 700] (tests/test_bernoulli.py checks 1e-13 against mpmath).
"""
from __future__ import annotations

from fractions import Fraction
from math import factorial

import numpy as np

# Bernoulli numbers B_0 .. B_22 (B_1 = -1/2 convention)
_BN = {0: Fraction(1), 1: Fraction(-1, 2), 2: Fraction(1, 6), 4: Fraction(-1, 30), 6: Fraction(1, 42),
       8: Fraction(-1, 30), 10: Fraction(5, 66), 12: Fraction(-691, 2730), 14: Fraction(7, 6),
       16: Fraction(-3617, 510), 18: Fraction(43867, 798), 20: Fraction(-174611, 330),
       22: Fraction(854513, 138)}
# coefficients (highest power first, for np.polyval) of B(x) and B'(x)
_C_B = [float(_BN.get(k, 0) / factorial(k)) for k in range(23)][::-1]
_C_DB = [float(_BN.get(k, 0) / factorial(k - 1)) for k in range(1, 23)][::-1]
_SERIES_B = 1e-2      # |x| below: series for B (x^22 term ~ 1e-50)
_SERIES_DB = 0.5      # |x| below: series for B' (remainder ~ (0.5 / 2 pi)^22 ~ 1e-24)


def bernoulli(x):
    """B(x) = x / (e^x - 1), elementwise; B(0) = 1. Never overflows, never 0/0."""
    x = np.asarray(x, dtype=float)
    out = np.empty_like(x)
    small = np.abs(x) < _SERIES_B
    pos = (x > 0) & ~small
    neg = (x < 0) & ~small
    out[small] = np.polyval(_C_B, x[small])
    xp = x[pos]
    out[pos] = xp * np.exp(-xp) / -np.expm1(-xp)
    xn = x[neg]
    out[neg] = xn / np.expm1(xn)
    return out if out.ndim else float(out)


def bernoulli_derivative(x):
    """B'(x) = (e^x - 1 - x e^x) / (e^x - 1)^2, elementwise; B'(0) = -1/2."""
    x = np.asarray(x, dtype=float)
    out = np.empty_like(x)
    small = np.abs(x) < _SERIES_DB
    pos = (x > 0) & ~small
    neg = (x < 0) & ~small
    out[small] = np.polyval(_C_DB, x[small])
    xp = x[pos]
    e = np.exp(-xp)                              # in (0, 1)
    out[pos] = e * ((1.0 - xp) - e) / np.expm1(-xp) ** 2
    xn = x[neg]
    y = np.exp(xn)                               # in (0, 1)
    out[neg] = (y * (1.0 - xn) - 1.0) / np.expm1(xn) ** 2
    return out if out.ndim else float(out)


def bernoulli_pair(x):
    """(B(x), B(-x), B'(x), B'(-x)), each evaluated directly (the identities B(-x) = x + B(x),
    B'(-x) = -1 - B'(x) cancel catastrophically for x << 0)."""
    x = np.asarray(x, dtype=float)
    return bernoulli(x), bernoulli(-x), bernoulli_derivative(x), bernoulli_derivative(-x)
