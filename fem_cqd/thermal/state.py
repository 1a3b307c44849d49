r"""Results of the heat solves: :class:`ThermalState` (a steady temperature field and its heat
balance) and :class:`ThermalHistory` (the temperatures of a transient run at the requested times).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .operator import ThermalMesh


@dataclass(frozen=True, eq=False)
class ThermalState:
    """A steady temperature field and its heat balance.

    Attributes
    ----------
    T : (n_nodes,) ndarray
        Nodal temperature [K]. With a boundary resistance, the value on the first region's side.
    T_dofs : (n_dofs,) ndarray
        All unknowns: ``T`` followed by the duplicated interface nodes (second region's side).
    heat_flux : (2, n_elements) ndarray
        ``-k grad T`` per element [W/m^2].
    power_source : float
        Heat generated, volumetric + surface-flux + nodal [W; W/m in planar geometry].
    power_boundary : dict str -> float
        Heat leaving through each Dirichlet or Robin boundary [W; W/m in planar geometry].
    imbalance : float
        ``|power_source - sum(power_boundary)| / max(|power_source|, tiny)``; round-off small.
    iterations : int
        Nonlinear iterations (1 for constant conductivity).
    sink_temperature : float or None
        Mean of the Dirichlet temperatures (the heat-sink reference), None without Dirichlet.
    solver : str
        "direct" or "amg".
    """

    T: np.ndarray
    T_dofs: np.ndarray
    heat_flux: np.ndarray
    power_source: float
    power_boundary: dict
    imbalance: float
    iterations: int
    solver: str
    sink_temperature: float | None
    thermal_mesh: "ThermalMesh" = field(repr=False)


@dataclass(frozen=True, eq=False)
class ThermalHistory:
    """Temperatures of a transient run at the requested times.

    Attributes
    ----------
    times : (n_t,) ndarray  [s]
    T : (n_t, n_nodes) ndarray  [K]
    T_dofs : (n_t, n_dofs) ndarray  [K]
    steps : int
        Time steps taken.
    factorizations : int
        Distinct system matrices factorised (or AMG hierarchies built).
    """

    times: np.ndarray
    T: np.ndarray
    T_dofs: np.ndarray
    steps: int
    factorizations: int
    thermal_mesh: "ThermalMesh" = field(repr=False)
