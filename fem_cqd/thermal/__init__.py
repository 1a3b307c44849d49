r"""Steady and transient heat conduction on a :class:`~fem_cqd.regions.TaggedMesh` (P1 Galerkin).

Equation solved (planar: per metre of depth; axisymmetric: x = r, every integral carries 2 pi r)::

    rho c dT/dt - div( k(T) grad T ) = Q            in the domain
    T = T_sink                                        on Dirichlet boundaries (heat sink)
    -k dT/dn = h (T - T_amb) - q_s                    on Robin boundaries (q_s: imposed surface flux)
    -k dT/dn = -q_s                                   elsewhere (adiabatic when no flux is imposed)

with an optional thermal boundary resistance R_b [m^2 K/W] between two regions, where T jumps:
``k dT/dn = (T_a - T_b) / R_b`` on both sides.

Modules (the discretisation is described in each)
--------------------------------------------------
* :mod:`.conditions` -- boundary conditions :class:`Dirichlet`, :class:`Robin`, :class:`Adiabatic`.
* :mod:`.state` -- results :class:`ThermalState` (steady) and :class:`ThermalHistory` (transient).
* :mod:`.operator` -- :class:`ThermalMesh`: geometry, sparsity pattern, interface-node duplication for
  boundary resistances, and the stiffness, mass and interface operators in edge form.
* :mod:`.assembly` -- input checks, sources, Robin/Dirichlet terms, Dirichlet elimination, linear solver.
* :mod:`.steady` -- :func:`solve_steady`.
* :mod:`.timegrid` -- :func:`time_grid` and :func:`rectangular_pulses`.
* :mod:`.transient` -- :func:`solve_transient` (implicit Euler or variable-step BDF2).
* :mod:`.post` -- :func:`mean_temperature` and :func:`thermal_resistance`.

The names below are the public API; import them from ``fem_cqd.thermal``. The constants are
re-exported for reading: patch them in the submodule that uses them (e.g.
``fem_cqd.thermal.assembly.AUTO_DIRECT_LIMIT``).
"""
from .assembly import AUTO_DIRECT_LIMIT, SOLVERS
from .conditions import Adiabatic, Dirichlet, Robin
from .operator import ThermalMesh
from .post import mean_temperature, thermal_resistance
from .state import ThermalHistory, ThermalState
from .steady import NEWTON_RTOL, RESIDUAL_RTOL, solve_steady
from .timegrid import rectangular_pulses, time_grid
from .transient import MASSES, METHODS, solve_transient

__all__ = ["AUTO_DIRECT_LIMIT", "Adiabatic", "Dirichlet", "MASSES", "METHODS", "NEWTON_RTOL", "RESIDUAL_RTOL",
           "Robin", "SOLVERS", "ThermalHistory", "ThermalMesh", "ThermalState", "mean_temperature",
           "rectangular_pulses", "solve_steady", "solve_transient", "thermal_resistance", "time_grid"]
