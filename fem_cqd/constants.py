"""Physical constants (SI, from scipy.constants) and the thermal voltage."""
from __future__ import annotations

import numpy as np
from scipy import constants as _c

q = _c.elementary_charge          # C
k_B = _c.Boltzmann                # J/K
eps0 = _c.epsilon_0               # F/m
h = _c.Planck                     # J s
c0 = _c.speed_of_light            # m/s
m0 = _c.electron_mass             # kg
NM, UM = 1e-9, 1e-6               # m per nanometre, per micrometre (lengths in the user's units -> SI)
T0 = 300.0                        # K, reference temperature of the material data
GEOMETRIES = ("planar", "axisymmetric")   # the 2D geometries: per metre of depth, or x = r about the axis


def thermal_voltage(T_K=T0):
    """V_T = k_B T / q in volts (``T_K`` in K, scalar or array)."""
    return k_B * np.asarray(T_K, dtype=float) / q if np.ndim(T_K) else k_B * float(T_K) / q
