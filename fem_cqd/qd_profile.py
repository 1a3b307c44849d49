"""The QD film's lateral profile of a solved device: what the gain stage takes from the maps.

Along the film (x: the stripe's half-width coordinate, or the radius of a disc) at each column
of electrical nodes x_i::

    J_rec(x_i) = q * integral over the film thickness of R(x_i, y) dy      (A/m^2)
    T(x_i)     = mean of the temperature at the film's nodes of that column (K)

R is the total recombination rate (m^-3 s^-1) of the drift-diffusion solution: every electron-hole
pair that recombines in the film is an exciton made in a dot (the gain stage's J_rec). The
integral is the trapezoid rule over the column's nodes, exact for R linear in y between nodes.
``column_width_m`` is the share of the film's area each column stands for (m per m of stripe, or
m^2 of annulus), so that sum(J_rec w) is the recombination current in the film.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .constants import q
from .errors import InputError


@dataclass(frozen=True)
class QDProfile:
    """J_rec(x) and T(x) along the QD film, with the column widths (see module doc)."""

    x_m: np.ndarray
    j_rec_A_per_m2: np.ndarray
    T_K: np.ndarray
    column_width_m: np.ndarray
    geometry: str

    @property
    def recombination_current(self) -> float:
        """sum J_rec w: A (A/m per metre of stripe in planar geometry)."""
        return float(np.sum(self.j_rec_A_per_m2 * self.column_width_m))


def qd_film_profile(tmesh, region: str, R_per_m3s, T_nodes) -> QDProfile:
    """The profile of module doc from nodal R (m^-3 s^-1) and nodal T (K) on the electrical mesh
    ``tmesh`` (a TaggedMesh whose nodes lie on columns of equal x, as fem_cqd's tensor meshes)."""
    if region not in tmesh.region_names:
        raise InputError("region", region, "one of " + ", ".join(tmesh.region_names))
    R = np.asarray(R_per_m3s, dtype=float)
    T = np.asarray(T_nodes, dtype=float)
    N = tmesh.mesh.p.shape[1]
    for name, v in (("R_per_m3s", R), ("T_nodes", T)):
        if v.shape != (N,) or not np.all(np.isfinite(v)):
            raise InputError(name, f"array of shape {v.shape}", f"{N} finite nodal values")
    el = tmesh.elements_of(region)
    nodes = np.unique(tmesh.mesh.t[:, el])
    x, y = tmesh.mesh.p[0][nodes], tmesh.mesh.p[1][nodes]
    scale = max(float(np.ptp(tmesh.mesh.p[0])), 1e-30)
    key = np.round(x / scale, 9)
    cols, inverse = np.unique(key, return_inverse=True)
    xc = np.zeros(cols.size)
    jr = np.zeros(cols.size)
    Tc = np.zeros(cols.size)
    for k in range(cols.size):
        sel = np.flatnonzero(inverse == k)
        sel = sel[np.argsort(y[sel])]
        if sel.size < 2:
            raise InputError("tmesh", f"column at x = {x[sel[0]]:.4g} m with one film node",
                             "a mesh whose film nodes form columns of at least two nodes")
        xc[k] = x[sel].mean()
        jr[k] = q * np.trapezoid(R[nodes[sel]], y[sel])
        Tc[k] = T[nodes[sel]].mean()
    # each column stands for the strip between the midpoints to its neighbours (within the film)
    edges = np.concatenate([[xc[0]], 0.5 * (xc[1:] + xc[:-1]), [xc[-1]]])
    w = np.diff(edges) if tmesh.geometry == "planar" else np.pi * np.diff(edges ** 2)
    return QDProfile(xc, jr, Tc, w, tmesh.geometry)
