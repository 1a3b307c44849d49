"""Prescribed heat sources, for thermal studies before (or without) a drift-diffusion solve.

The aperture's dissipation: a current density ``j`` driven by a voltage ``V`` through the aperture
dissipates P'' = j V (1 - f_light) per unit aperture area, f_light being the fraction of the
electrical power leaving as light. It is spread uniformly, as a volumetric source
Q = P'' A / V_active, over the semiconductor films above the aperture (x < a), so that the total
is exactly P'' A: A = a per unit depth on the half stripe (planar), pi a^2 for the disc
(axisymmetric), and V_active the matching volume (per unit depth, or with 2 pi r).
"""
from __future__ import annotations

import numpy as np

from .constants import UM
from .errors import InputError, check_positive, check_range
from .p1 import measures
from .limits import MAX_CURRENT_DENSITY_A_PER_CM2, MAX_VOLTAGE_V
from .mesh import DeviceMesh



def element_volumes(tmesh) -> np.ndarray:
    """Area of each element (planar, per metre of depth) or its volume of revolution 2 pi r_c A."""
    return measures(tmesh.mesh.p, tmesh.mesh.t, tmesh.geometry == "axisymmetric", "tmesh")


def aperture_area(dm: DeviceMesh) -> float:
    """Aperture area inside the modelled half domain: a (m per m depth) or pi a^2 (m^2)."""
    a = dm.stack.aperture_half_width_um * UM
    return np.pi * a ** 2 if dm.geometry == "axisymmetric" else a


def aperture_power(dm: DeviceMesh, j_A_per_cm2: float, voltage_V: float, light_fraction: float = 0.0) -> float:
    """Heat dissipated in the modelled domain: W (axisymmetric) or W per m of stripe (half stripe)."""
    j = check_range("j_A_per_cm2", j_A_per_cm2, 0.0, MAX_CURRENT_DENSITY_A_PER_CM2, "A/cm^2",
                    "fem_cqd.limits.MAX_CURRENT_DENSITY_A_PER_CM2") * 1e4
    v = check_range("voltage_V", voltage_V, 0.0, MAX_VOLTAGE_V, "V", "fem_cqd.limits.MAX_VOLTAGE_V")
    f = check_positive("light_fraction", light_fraction, allow_zero=True)
    if f >= 1:
        raise InputError("light_fraction", light_fraction, "a fraction in [0, 1)")
    return j * v * (1 - f) * aperture_area(dm)


def aperture_heat_source(dm: DeviceMesh, j_A_per_cm2: float, voltage_V: float,
                         light_fraction: float = 0.0) -> np.ndarray:
    """Per-element volumetric heat source (W/m^3) on ``dm.thermal``; see the module docstring."""
    power = aperture_power(dm, j_A_per_cm2, voltage_V, light_fraction)
    tm = dm.thermal
    a = dm.stack.aperture_half_width_um * UM
    xc = tm.mesh.p[0][tm.mesh.t].mean(axis=0)
    active = (tm.element_kind() == "semiconductor") & (xc < a)
    volume = element_volumes(tm)[active].sum()
    if not volume > 0:
        raise InputError("dm (semiconductor elements above the aperture)", int(active.sum()),
                         "a mesh with semiconductor elements of non-zero volume at x < the aperture half width")
    q = np.zeros(tm.mesh.t.shape[1])
    q[active] = power / volume
    return q
