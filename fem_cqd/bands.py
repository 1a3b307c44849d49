"""Band diagram of a solved device along a vertical line: each film with its own band edges.

For every region crossed by the node column at x = x0 (nodes must lie on it, as in fem_cqd's
tensor meshes), the energies in eV on the vacuum-level scale::

    E_c = -chi - psi,   E_v = E_c - E_g          (semiconductors: LUMO / HOMO, Gaussian centres
                                                   for a Gauss-Fermi material)
    E_Fn = -phi_n,      E_Fp = -phi_p            (quasi-Fermi levels; a conductor's Fermi level)

Nodes on an interface appear in both regions' segments, so band offsets show as steps.
"""
from __future__ import annotations

import numpy as np

from .errors import InputError


def band_segments(tmesh, state, x0: float = 0.0) -> list[dict]:
    """Per region along x = x0 (m): name, kind, y (m) and E_c, E_v (semiconductors), E_Fn, E_Fp."""
    p = tmesh.mesh.p
    scale = max(float(np.ptp(p[0])), 1e-30)
    col = np.abs(p[0] - x0) <= 1e-9 * scale
    if not np.any(col):
        raise InputError("x0", x0, f"the x of a node column of the mesh (nearest: {p[0][np.argmin(np.abs(p[0] - x0))]:.6g} m)")
    segs = []
    for r, (name, m) in enumerate(zip(tmesh.region_names, tmesh.region_materials)):
        el = np.flatnonzero(tmesh.element_region == r)
        nodes = np.unique(tmesh.mesh.t[:, el])
        nodes = nodes[col[nodes]]
        if nodes.size < 2:
            continue
        nodes = nodes[np.argsort(p[1][nodes])]
        seg = {"name": name, "kind": m.kind, "y_m": p[1][nodes], "Efn": -state.phi_n[nodes], "Efp": -state.phi_p[nodes]}
        if m.kind == "semiconductor":
            seg["Ec"] = -m.electron_affinity - state.psi[nodes]
            seg["Ev"] = seg["Ec"] - m.band_gap
        segs.append(seg)
    return segs
