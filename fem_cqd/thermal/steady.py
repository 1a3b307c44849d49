r"""Steady heat conduction, :func:`solve_steady`::

    -div( k(T) grad T ) = Q                           in the domain

with the boundary conditions of :mod:`fem_cqd.thermal.conditions` and an optional thermal boundary
resistance between two regions (:mod:`fem_cqd.thermal.operator`). Solved for ``T - T_ref`` (the
mean Dirichlet temperature, else the mean Robin ambient): the conduction and interface operators
annihilate constants exactly, which their floating-point row sums do not.

Temperature-dependent conductivity: Newton's method with the exact Jacobian (direct solver), or
Picard iteration with AMG-CG (the AMG hierarchy kept across iterations, :mod:`fem_cqd.thermal.amg`).
"""
from __future__ import annotations

import time as _time
from typing import Mapping

import numpy as np

from ..constants import T0
from ..errors import ThermalConvergenceError, InputError, check_positive
from ..regions import TaggedMesh
from .assembly import (_boundary_terms, _check_array, _check_bcs, _eliminate, _factor, _nonlinear_system, _resolve_solver,
                       _Sources)
from .amg import AmgCG
from .conditions import Dirichlet, Robin
from .operator import ThermalMesh
from .state import ThermalState

# Nonlinear iterations also stop when |dT| < NEWTON_RTOL * max|T|: the double-precision floor of the
# residual of a stack whose conductances span k = 0.2 to 400 W/mK and cells of 10 nm to 100 um
# (measured on lim2018: quadratic convergence down to ~2e-6 K at T ~ 440 K, then round-off noise).
NEWTON_RTOL = 1e-8
# ... or when every node's residual, in kelvin (divided by its diagonal: the Jacobi correction it
# asks for), is below RESIDUAL_RTOL x max T: on films graded to 0.07 nm over a 4 mm wide device
# (aspect 1e5) the Newton update stalls at ~1e-5 K of round-off noise at a 140 K rise, while every
# node's balance has converged.
RESIDUAL_RTOL = 1e-14
# Picard updates (AMG) are solved by CG to this relative residual only: an inexact update keeps the
# fixed point (the residual is recomputed each iteration) and adds at most this factor to the
# iteration's contraction (measured on thermal_scaling's 1e6-node planar mesh with k ~ T^-1.3 and a
# 165 K rise: 9 Picard iterations at CG rtol 1e-9 and at 1e-2, 25 -> 9 CG steps each, 26 -> 13 s,
# peak T moved by 6e-8 K; at 1e5 nodes the result is 2.9e-7 K from Newton's with the direct solver).
PICARD_CG_RTOL = 1e-2


def solve_steady(tagged_mesh: TaggedMesh, bcs: Mapping | None = None, *, q_node=None, q_element=None,
                 node_power=None, surface_flux: Mapping | None = None, boundary_resistance: Mapping | None = None,
                 T_guess=None, solver: str = "auto", tol_K: float = 1e-7, max_iter: int = 30,
                 thermal_mesh: ThermalMesh | None = None, timings: dict | None = None) -> ThermalState:
    r"""Steady heat conduction ``-div(k(T) grad T) = Q`` with the boundary conditions ``bcs``.

    Parameters
    ----------
    tagged_mesh : TaggedMesh
        Planar (per metre of depth) or axisymmetric (2 pi r weighted) mesh in metres.
    bcs : dict boundary name -> Dirichlet | Robin | Adiabatic
        Boundaries not named are adiabatic. At least one Dirichlet or Robin (h > 0) boundary.
    q_node : (n_nodes,) array or scalar, optional
        Volumetric source per node [W/m^3], lumped.
    q_element : (n_elements,) array or scalar, optional
        Volumetric source per element [W/m^3], integrated exactly.
    node_power : (n_nodes,) array, optional
        Heat added at each node [W; W/m in planar geometry].
    surface_flux : dict boundary name -> scalar or (n_facets,) array, optional
        Heat flux into the domain through the boundary [W/m^2].
    boundary_resistance : dict (region_a, region_b) -> R_b [m^2 K/W], optional
        Thermal boundary resistance (T discontinuous across the interface).
    T_guess : scalar or (n_nodes,) array, optional
        Start of the nonlinear iteration (default: Dirichlet temperature or 300 K).
    solver : {"auto", "direct", "amg"}
        Linear solver; "auto" takes "direct" below ``AUTO_DIRECT_LIMIT`` unknowns.
    tol_K : float
        Nonlinear convergence: max |update| < tol_K [K] (or < NEWTON_RTOL * max T, the round-off floor).
    max_iter : int
        Nonlinear iterations before a :class:`ConvergenceError` (carrying the last iterate).
    thermal_mesh : ThermalMesh, optional
        A prepared mesh (same ``tagged_mesh`` and ``boundary_resistance``) to reuse.
    timings : dict, optional
        Filled with the seconds spent in "prepare", "assemble", "solve".

    Returns
    -------
    ThermalState
    """
    tic = _time.perf_counter()
    tm = tagged_mesh
    bcs = _check_bcs(tm, bcs)
    sources = _Sources(tm, q_node, q_element, node_power, surface_flux)
    if not any(isinstance(b, Dirichlet) or (isinstance(b, Robin) and b.h_W_per_m2K > 0) for b in bcs.values()):
        raise InputError("bcs", {k: type(v).__name__ for k, v in bcs.items()},
                         "at least one Dirichlet or Robin (h > 0) boundary for a steady solve")
    check_positive("tol_K", tol_K)
    if thermal_mesh is None:
        thermal_mesh = ThermalMesh(tm, boundary_resistance)
    elif thermal_mesh.tm is not tm:
        raise InputError("thermal_mesh", "prepared for another mesh", "a ThermalMesh of this tagged_mesh")
    thm = thermal_mesh
    kind = _resolve_solver(solver, thm.n_dofs)
    t_prep = _time.perf_counter()

    bsrc = sources.vector(thm)
    rW, rdiag, rload, dmask, dval, downer, robin = _boundary_terms(thm, bcs)
    iW, idiag = thm.interface_operator() if thm.interfaces else (0.0, 0.0)
    # solved for T - T_ref: conduction and interface operators annihilate constants exactly, which
    # their floating-point row sums do not (conductances ~1e5 W/K times 300 K left 2e-8 K and a
    # 1e-8 W phantom sink with no source); only the Robin terms see T_ref
    T_ref = _reference_temperature(bcs)
    b = bsrc + rload - T_ref * thm.matvec(rW, rW, rdiag, np.ones(thm.n_dofs)) if robin else bsrc + rload
    T = _initial(thm, T_guess, bcs, dmask, dval)
    t_asm = 0.0
    t_sol = 0.0
    iters = 0
    amg = AmgCG() if kind == "amg" else None     # one AMG hierarchy for all Picard iterations while it serves
    while True:
        ta = _time.perf_counter()
        W, diag, dW = thm.stiffness(T)
        W = W + rW + iW
        diag = diag + rdiag + idiag
        if not thm.nonlinear:
            up, lo, dg, rhs = _eliminate(thm, W, None, diag, b, dmask, dval - T_ref)
            A = thm.to_csr(up, lo, dg)
            t_asm += _time.perf_counter() - ta
            ts = _time.perf_counter()
            T = _factor(A, kind)(rhs, T - T_ref) + T_ref
            t_sol += _time.perf_counter() - ts
            iters = 1
            break
        # nonlinear: Newton (direct) or Picard (amg), on the update with zero Dirichlet values
        res, A, rhs = _nonlinear_system(thm, W, diag, dW, T, T - T_ref, b, dmask, kind)
        if iters and float(np.max(np.abs(res[~dmask]) / diag[~dmask])) <= RESIDUAL_RTOL * float(np.max(np.abs(T))):
            break                         # every node balanced to round-off
        t_asm += _time.perf_counter() - ta
        ts = _time.perf_counter()
        dT = _factor(A, kind, amg, PICARD_CG_RTOL)(rhs)
        t_sol += _time.perf_counter() - ts
        T = T + dT
        iters += 1
        step = float(np.max(np.abs(dT)))
        if not np.isfinite(step):
            raise ThermalConvergenceError("nonlinear heat solve diverged (non-finite update)", None)
        if step < tol_K or step < NEWTON_RTOL * float(np.max(np.abs(T))):
            break

        if iters >= max_iter:
            last = _state(thm, T, bsrc, bcs, downer, robin, iters, kind, rW, rdiag, iW, idiag, b - bsrc, T_ref)
            raise ThermalConvergenceError(f"nonlinear heat solve: |dT| = {step:.3g} K > tol_K = {tol_K:g} after {iters} "
                                   f"{'Newton' if kind == 'direct' else 'Picard'} iterations", last)
    st = _state(thm, T, bsrc, bcs, downer, robin, iters, kind, rW, rdiag, iW, idiag, b - bsrc, T_ref)
    if timings is not None:
        timings.update(prepare=t_prep - tic, assemble=t_asm, solve=t_sol)
    return st


def _reference_temperature(bcs) -> float:
    """The mean Dirichlet temperature, else the mean Robin ambient, else T0 (K)."""
    dT = [b.T_K for b in bcs.values() if isinstance(b, Dirichlet)] or [b.T_ambient_K for b in bcs.values() if isinstance(b, Robin)]
    return float(np.mean(dT)) if dT else T0


def _initial(thm, T_guess, bcs, dmask, dval):
    if T_guess is None:
        T = np.full(thm.n_dofs, _reference_temperature(bcs))
    else:
        Tn = _check_array("T_guess", T_guess, thm.n_nodes, "node [K]")
        if np.any(Tn <= 0):
            raise InputError("T_guess", float(Tn.min()), "temperatures > 0 K")
        T = Tn[thm.dof_node]
    T[dmask] = dval[dmask]
    return T


def _state(thm, T, bsrc, bcs, downer, robin, iters, kind, rW, rdiag, iW, idiag, rload_ref, T_ref) -> ThermalState:
    k_e = thm.conductivity(T)
    W, diag, _ = thm.stiffness(T)
    # Discrete balance: the stiffness rows and columns sum to zero, so sources = heat into the sinks
    # + Robin losses int h (T - T_amb), exactly. The heat a Dirichlet dof takes is -(residual) there,
    # evaluated on T - T_ref with the Robin load shifted alike (``rload_ref``; see solve_steady).
    react = thm.matvec(W + rW + iW, W + rW + iW, diag + rdiag + idiag, T - T_ref) - bsrc - rload_ref
    pb = {}
    for name, dofs in downer.items():
        pb[name] = -float(react[dofs].sum())
    for name, (bc, dofs, maa, mbb, mab, la, lb) in robin.items():
        Ta, Tb = T[dofs[0]], T[dofs[1]]
        qa = bc.h_W_per_m2K * (maa * Ta + mab * Tb - bc.T_ambient_K * la)
        qb = bc.h_W_per_m2K * (mab * Ta + mbb * Tb - bc.T_ambient_K * lb)
        pb[name] = float(np.sum(qa) + np.sum(qb))
    pin = float(bsrc.sum())
    imb = abs(pin - sum(pb.values())) / max(abs(pin), 1e-300)
    Tl = T[thm.dof_t]
    gx = (thm.b * Tl).sum(axis=0)
    gy = (thm.c * Tl).sum(axis=0)
    flux = -k_e * np.vstack([gx, gy])
    sink = [b.T_K for b in bcs.values() if isinstance(b, Dirichlet)]
    return ThermalState(T=T[: thm.n_nodes].copy(), T_dofs=T, heat_flux=flux, power_source=pin,
                        power_boundary=pb, imbalance=imb, iterations=iters, solver=kind,
                        sink_temperature=float(np.mean(sink)) if sink else None, thermal_mesh=thm)
