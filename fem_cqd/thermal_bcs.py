"""A stack's thermal boundary description -> the heat solver's boundary conditions.

``Stack.thermal`` (:class:`~fem_cqd.stack.ThermalBoundary`) names what happens at the bottom of the
substrate or heat sink, at the top surface and at the lateral end of the domain; the symmetry side
is adiabatic. Its interface resistance applies to every interface between two thin-film regions.
"""
from __future__ import annotations

import numpy as np

from .mesh import DeviceMesh
from .thermal import Adiabatic, Dirichlet, Robin

_SIDES = {"bottom": "heat_sink", "top": "top", "far_edge": "far_edge"}


def boundary_conditions(dm: DeviceMesh) -> dict:
    """``{boundary name: Dirichlet | Robin | Adiabatic}`` for ``dm.thermal``."""
    th = dm.stack.thermal
    out = {}
    for side, boundary in _SIDES.items():
        kind = getattr(th, side)
        out[boundary] = {"isothermal": Dirichlet(th.T_ambient_K),
                         "convective": Robin(th.h_W_per_m2K, th.T_ambient_K),
                         "adiabatic": Adiabatic()}[kind]
    return out


def interface_resistances(dm: DeviceMesh) -> dict:
    """``{(region_a, region_b): R_b}`` for every pair of thin-film regions sharing facets."""
    R = dm.stack.thermal.interface_resistance_m2K_per_W
    if R == 0:
        return {}
    tm = dm.thermal
    f2t = tm.mesh.f2t
    inner = f2t[1] >= 0
    ra, rb = tm.element_region[f2t[0, inner]], tm.element_region[f2t[1, inner]]
    films = np.array([n not in ("substrate", "heat_sink") for n in tm.region_names])
    pairs = {tuple(sorted((int(a), int(b)))) for a, b in zip(ra, rb) if a != b and films[a] and films[b]}
    return {(tm.region_names[a], tm.region_names[b]): R for a, b in sorted(pairs)}
