"""Contacts: named boundaries of the mesh where the device meets the outside circuit.

``Contact(boundary, kind="ohmic" | "schottky", ...)``:

- ohmic on a semiconductor: phi_n = phi_p = V, psi from local charge neutrality (Dirichlet);
- ohmic on a conductor region: its potential phi = V;
- schottky on a semiconductor: psi = V - work_function (the metal's vacuum level, so the barrier
  for electrons is work_function - electron_affinity), and the thermionic/recombination-velocity
  currents J_n = -q v_n (n - n_0), J_p = q v_p (p - p_0) leave through the surface
  (n_0, p_0 the densities in equilibrium with the metal).

A contact is voltage-driven by default; a ramp or solve can drive it by a prescribed terminal
current instead (the contact voltage becomes an extra unknown). ``voltage_range`` bounds what the
user allows on this contact; a bias outside it raises an InputError before any solve.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from ..errors import InputError, check_choice, check_positive, check_range
from ..limits import MAX_SURFACE_VELOCITY_M_PER_S, MAX_VOLTAGE_V, WORK_FUNCTION_RANGE_EV

KINDS = ("ohmic", "schottky")


@dataclass(frozen=True)
class Contact:
    """One electrode on boundary ``boundary`` of the TaggedMesh.

    Parameters
    ----------
    boundary : name of the boundary in ``TaggedMesh.boundaries`` (also the contact's name)
    kind : "ohmic" | "schottky"
    work_function : eV, required for "schottky"
    v_n_m_per_s, v_p_m_per_s : surface recombination velocities v_n, v_p (m/s) of a Schottky contact (default 1e5 m/s,
        about the Richardson velocity A* T^2 / (q N_c) for m* = m0 at 300 K)
    voltage_range : (min, max) volts allowed on this contact
    """

    boundary: str
    kind: str = "ohmic"
    work_function: float | None = None
    v_n_m_per_s: float = 1e5
    v_p_m_per_s: float = 1e5
    voltage_range: tuple = (-100.0, 100.0)

    def __post_init__(self):
        check_choice(f"contacts[{self.boundary!r}].kind", self.kind, KINDS)
        if self.kind == "schottky":
            if self.work_function is None:
                raise InputError(f"contacts[{self.boundary!r}].work_function", None,
                                 "a work function in eV (needed for a Schottky contact)")
            check_range(f"contacts[{self.boundary!r}].work_function", self.work_function, *WORK_FUNCTION_RANGE_EV,
                        "eV", "fem_cqd.limits.WORK_FUNCTION_RANGE_EV")
        for name in ("v_n_m_per_s", "v_p_m_per_s"):
            check_positive(f"contacts[{self.boundary!r}].{name}", getattr(self, name))
            check_range(f"contacts[{self.boundary!r}].{name}", getattr(self, name), 0.0, MAX_SURFACE_VELOCITY_M_PER_S,
                        "m/s", "fem_cqd.limits.MAX_SURFACE_VELOCITY_M_PER_S")
        try:
            lo, hi = (float(v) for v in self.voltage_range)
        except (TypeError, ValueError):
            raise InputError(f"contacts[{self.boundary!r}].voltage_range", self.voltage_range,
                             "(min, max) volts") from None
        if not (math.isfinite(lo) and math.isfinite(hi) and -MAX_VOLTAGE_V <= lo < hi <= MAX_VOLTAGE_V):
            raise InputError(f"contacts[{self.boundary!r}].voltage_range", self.voltage_range,
                             f"(min, max) finite with min < max, within +-{MAX_VOLTAGE_V:g} V (fem_cqd.limits.MAX_VOLTAGE_V)")

    def check_voltage(self, v: float) -> float:
        v = float(v)
        lo, hi = self.voltage_range
        if not (math.isfinite(v) and lo <= v <= hi):
            raise InputError(f"bias[{self.boundary!r}]", v, f"a voltage in [{lo}, {hi}] V (contact voltage_range)")
        return v
