r"""Post-processing of thermal results: mean temperature over a region or a boundary, and the
thermal resistance (mean rise over the heating power).
"""
from __future__ import annotations

import math

import numpy as np

from ..errors import InputError
from .state import ThermalState


def _dofs_of(state_or_history, T_K):
    thm = state_or_history.thermal_mesh
    if T_K is None:
        T_K = state_or_history.T_dofs
    return thm, np.asarray(T_K)


def mean_temperature(state, region: str | None = None, boundary: str | None = None, T_K=None) -> float:
    """Mean temperature [K] over a region (volume mean, w-weighted) or a boundary (surface mean).

    ``state`` is a ThermalState (or ThermalHistory with ``T_K`` one row of ``T_dofs``). Exactly one of
    ``region`` and ``boundary``.
    """
    thm, Td = _dofs_of(state, T_K)
    if (region is None) == (boundary is None):
        raise InputError("region/boundary", (region, boundary), "exactly one of a region name or a boundary name")
    if region is not None:
        elts = thm.tm.elements_of(region)
        nw = thm.node_weight[:, elts]
        return float(np.sum(nw * Td[thm.dof_t[:, elts]]) / np.sum(nw))
    dofs, L, r, _ = thm.boundary_data(boundary)
    la, lb = thm._facet_load(L, r)
    return float(np.sum(la * Td[dofs[0]] + lb * Td[dofs[1]]) / np.sum(la + lb))


def thermal_resistance(state: ThermalState, power_W: float | None = None, region: str | None = None,
                       boundary: str | None = None, T_ref_K: float | None = None) -> float:
    """Thermal resistance (mean T over a region or boundary - T_ref) / power [K/W; K m/W in planar].

    ``power_W`` (W; W/m planar) defaults to ``state.power_source``; ``T_ref_K`` to the heat-sink
    temperature (the mean of the Dirichlet values).
    """
    power = state.power_source if power_W is None else power_W
    power = float(power)
    if not math.isfinite(power) or power == 0:
        raise InputError("power_W", power, "a finite, non-zero heating power")
    T_ref = T_ref_K
    if T_ref is None:
        if state.sink_temperature is None:
            raise InputError("T_ref_K", None, "a reference temperature (there is no Dirichlet boundary)")
        T_ref = state.sink_temperature
    return (mean_temperature(state, region=region, boundary=boundary) - T_ref) / power
