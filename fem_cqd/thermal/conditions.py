r"""Boundary conditions of the heat problem (a boundary not named in ``bcs`` is adiabatic)::

    T = T_sink                                        on Dirichlet boundaries (heat sink)
    -k dT/dn = h (T - T_amb) - q_s                    on Robin boundaries (q_s: imposed surface flux)
    -k dT/dn = -q_s                                   elsewhere (adiabatic when no flux is imposed)

The imposed surface flux ``q_s`` is a source (``surface_flux=`` of the solvers), not a condition.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Dirichlet:
    """Fixed temperature ``T_K`` (K): a heat sink."""

    T_K: float


@dataclass(frozen=True)
class Robin:
    """Convection to ambient: ``-k dT/dn = h (T - T_amb)``, h = ``h_W_per_m2K``, T_amb = ``T_ambient_K``."""

    h_W_per_m2K: float
    T_ambient_K: float


@dataclass(frozen=True)
class Adiabatic:
    """No heat flow (the default on every boundary not named)."""
