"""Band diagram of a solved device along a vertical line: each film with its own band edges.

For every region crossed by the vertical line x = x0, sampled where the line meets the edges of the
region's triangles (P1 values there; on fem_cqd's tensor meshes the line runs through the nodes of a
column and these are the nodal values), the energies in eV on the vacuum-level scale::

    E_c = -chi - psi,   E_v = E_c - E_g          (semiconductors: LUMO / HOMO, Gaussian centres
                                                   for a Gauss-Fermi material)
    E_Fn = -phi_n,      E_Fp = -phi_p            (quasi-Fermi levels; a conductor's Fermi level)

Nodes on an interface appear in both regions' segments, so band offsets show as steps.
"""
from __future__ import annotations

import numpy as np

from .errors import InputError


def line_samples(tmesh, elements: np.ndarray, x0: float, fields: dict) -> tuple[np.ndarray, dict]:
    """Where the line x = x0 (m) meets the edges of ``elements``: heights y (m, increasing, unique)
    and the P1 values of the nodal ``fields`` there (name -> (n_nodes,) array)."""
    p, t = tmesh.mesh.p, tmesh.mesh.t[:, elements]
    ys, vals = [], {k: [] for k in fields}
    for i, j in ((0, 1), (1, 2), (2, 0)):
        a, b = t[i], t[j]
        xa, xb = p[0][a], p[0][b]
        for end, other in ((a, b), (b, a)):        # edge end points on the line
            on = p[0][end] == x0
            ys.append(p[1][end[on]])
            for k, f in fields.items():
                vals[k].append(f[end[on]])
        cross = (np.minimum(xa, xb) < x0) & (x0 < np.maximum(xa, xb))
        s = (x0 - xa[cross]) / (xb[cross] - xa[cross])
        ya, yb = p[1][a[cross]], p[1][b[cross]]
        ys.append(ya + s * (yb - ya))
        for k, f in fields.items():
            vals[k].append(f[a[cross]] + s * (f[b[cross]] - f[a[cross]]))
    y = np.concatenate(ys)
    scale = max(float(np.ptp(p[1])), 1e-30)
    _, first = np.unique(np.round(y / scale, 12), return_index=True)
    order = first[np.argsort(y[first])]
    return y[order], {k: np.concatenate(v)[order] for k, v in vals.items()}


def band_segments(tmesh, state, x0: float = 0.0) -> list[dict]:
    """Per region along x = x0 (m): name, kind, y (m) and E_c, E_v (semiconductors), E_Fn, E_Fp."""
    p = tmesh.mesh.p
    if not p[0].min() <= x0 <= p[0].max():
        raise InputError("x0", x0, f"a lateral position inside the mesh: [{p[0].min():.6g}, {p[0].max():.6g}] m")
    fields = {"psi": state.psi, "phi_n": state.phi_n, "phi_p": state.phi_p}
    segs = []
    for r, (name, m) in enumerate(zip(tmesh.region_names, tmesh.region_materials)):
        y, v = line_samples(tmesh, np.flatnonzero(tmesh.element_region == r), x0, fields)
        if y.size < 2:
            continue
        seg = {"name": name, "kind": m.kind, "y_m": y, "Efn": -v["phi_n"], "Efp": -v["phi_p"]}
        if m.kind == "semiconductor":
            seg["Ec"] = -m.electron_affinity - v["psi"]
            seg["Ev"] = seg["Ec"] - m.band_gap
        segs.append(seg)
    return segs
