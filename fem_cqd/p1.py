"""Geometry of P1 (linear) triangles: the one place that computes element areas, barycentric
gradients and element measures, for the drift-diffusion edge geometry, the heat operator, the
source integrals, the QD film profile and the plots (a tetrahedral version would enter here).

For a triangle with vertices (x_k, y_k), k = 0, 1, 2 (indices mod 3):

    2A            = (x_1 - x_0)(y_2 - y_0) - (x_2 - x_0)(y_1 - y_0)     (signed: > 0 counter-clockwise)
    grad lambda_k = (y_{k+1} - y_{k+2}, x_{k+2} - x_{k+1}) / 2A
    measure       = |A| (planar, per metre of depth), or 2 pi r_c |A| (axisymmetric, r = x; r_c the
                    centroid radius: Pappus's theorem, exact for the element's volume of revolution)
"""
from __future__ import annotations

import numpy as np

from .errors import InputError

#: a triangle whose doubled area is at most this fraction of its longest edge squared is
#: degenerate: its P1 gradients (1/area) have lost all but ~4 of double precision's 16 digits, and
#: at zero area they are inf/NaN. Real meshes stay far above it (the lim2018 meshes: >= 2e-6).
DEGENERATE_TRIANGLE_RATIO = 1e-12


def doubled_areas(p, t, field: str = "mesh") -> np.ndarray:
    """Return the signed doubled areas ``2A`` (ne,) of triangles ``t`` (3, ne) on nodes ``p`` (2, N).

    Raises an InputError naming the first degenerate (zero- or near-zero-area) element, its nodes
    and their coordinates, so no solver divides by a zero area and returns NaN.
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


def areas(p, t, field: str = "mesh") -> np.ndarray:
    """|A| (ne,), m^2, of the triangles ``t`` on nodes ``p`` (degenerate ones refused)."""
    return 0.5 * np.abs(doubled_areas(p, t, field))


def gradients(p, t, area2: np.ndarray) -> np.ndarray:
    """Barycentric gradients grad lambda_k, (2, 3, ne), 1/m, given the signed doubled areas."""
    x, y = p[0][t], p[1][t]
    i1, i2 = [1, 2, 0], [2, 0, 1]
    return np.stack([y[i1] - y[i2], x[i2] - x[i1]]) / area2


def measures(p, t, axisymmetric: bool, field: str = "mesh") -> np.ndarray:
    """Element measures (ne,): area (planar, m^2 per metre of depth) or volume of revolution
    2 pi r_c A (axisymmetric, m^3)."""
    area = areas(p, t, field)
    return 2 * np.pi * p[0][t].mean(axis=0) * area if axisymmetric else area
