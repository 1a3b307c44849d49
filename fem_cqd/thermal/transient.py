r"""Transient heat conduction, :func:`solve_transient`::

    rho c dT/dt - div( k(T) grad T ) = a(t) Q         in the domain, from T(0) = T_init_K

with the boundary conditions of :mod:`fem_cqd.thermal.conditions` and an optional thermal boundary
resistance between two regions (:mod:`fem_cqd.thermal.operator`).

* Time: implicit Euler or variable-step BDF2, lumped or consistent mass.
* Temperature-dependent conductivity: Newton's method with the exact Jacobian (direct solver), or
  Picard iteration with AMG-CG, in each step (one AMG hierarchy across iterations and steps while it
  serves, :mod:`fem_cqd.thermal.amg`).
"""
from __future__ import annotations

import math
from typing import Callable, Mapping

import numpy as np

from ..constants import T0
from ..errors import TransientConvergenceError, InputError, check_choice, check_finite, check_positive
from ..regions import TaggedMesh
from .assembly import (_boundary_terms, _check_array, _check_bcs, _eliminate, _factor, _nonlinear_system, _resolve_solver,
                       _Sources)
from .amg import AmgCG
from .operator import ThermalMesh
from .state import ThermalHistory
from .steady import NEWTON_RTOL, PICARD_CG_RTOL, _reference_temperature

METHODS = ("bdf2", "euler")
MASSES = ("lumped", "consistent")


def solve_transient(tagged_mesh: TaggedMesh, times, bcs: Mapping | None = None, *, q_node=None, q_element=None,
                    node_power=None, surface_flux: Mapping | None = None,
                    amplitude: Callable[[float], float] | None = None, T_init_K=T0,
                    dt: float | None = None, grid=None, breakpoints=None, method: str = "bdf2", mass: str = "lumped",
                    boundary_resistance: Mapping | None = None, solver: str = "auto", tol_K: float = 1e-7,
                    max_iter: int = 30, progress: bool | None = None,
                    thermal_mesh: ThermalMesh | None = None, on_step: Callable | None = None) -> ThermalHistory:
    r"""Transient heat ``rho c dT/dt - div(k(T) grad T) = a(t) Q`` from ``T(0) = T_init_K``.

    Sources (``q_node``, ``q_element``, ``node_power``, ``surface_flux``; as in :func:`solve_steady`)
    are multiplied by ``amplitude(t)`` (default 1), evaluated at the left limit of each step end, e.g.
    a rectangular pulse train from :func:`rectangular_pulses` — put its edges in ``grid``.

    Time stepping: implicit Euler or variable-step BDF2 (``method``; the first step, any step more
    than 2.4 times the previous one (zero-stability) and the first step after each of the
    ``breakpoints`` (switching times of the sources; default ``amplitude.edges`` when the amplitude
    comes from :func:`rectangular_pulses`) are implicit Euler: BDF2 carried across a jump of the
    source overshoots by half a step's increment, Euler does not), with a
    ``"lumped"`` or ``"consistent"`` mass matrix. Steps: ``grid`` (step end times, see
    :func:`time_grid`) or a uniform ``dt``; the requested ``times`` are always step ends.
    Linear problems factorise once per distinct step size. Nonlinear conductivity: Newton (direct)
    or Picard (AMG) in each step.

    ``on_step(t, T_nodes)``, when given, is called after every step with its end time and nodal
    temperatures; an array it returns (W per node, as ``node_power``) replaces the node-power source
    from the next step on, which is then implicit Euler (a source that depends on the solution:
    the electrothermal pulse of :meth:`fem_cqd.coupled.Electrothermal.pulse`).

    Returns
    -------
    ThermalHistory
        ``T`` at ``times`` (shape (len(times), n_nodes)).
    """
    tm = tagged_mesh
    bcs = _check_bcs(tm, bcs)
    sources = _Sources(tm, q_node, q_element, node_power, surface_flux)
    check_choice("method", method, METHODS)
    check_choice("mass", mass, MASSES)
    times = np.atleast_1d(np.asarray(times, dtype=float))
    check_finite("times", times)
    if times.size == 0 or np.any(times <= 0) or np.any(np.diff(times) <= 0):
        raise InputError("times", times.tolist() if times.size < 8 else f"array of {times.size}", "increasing times > 0 s")
    if amplitude is not None and not callable(amplitude):
        raise InputError("amplitude", amplitude, "a function of t [s] returning the source multiplier")
    if grid is None:
        if dt is None:
            raise InputError("dt", None, "a time step > 0 s, or a grid of step end times")
        dt = check_positive("dt", dt)
        n_steps = int(math.ceil(times[-1] / dt - 1e-9))
        grid = np.union1d(np.arange(1, n_steps + 1) * dt, times)
        grid = grid[grid <= times[-1] * (1 + 1e-12)]
    else:
        grid = np.union1d(np.asarray(grid, dtype=float), times)
        check_finite("grid", grid)
        if grid[0] <= 0:
            raise InputError("grid", float(grid[0]), "step end times > 0 s")
        grid = grid[grid <= times[-1] * (1 + 1e-12)]
    if breakpoints is None:
        breakpoints = getattr(amplitude, "edges", ())
    breakpoints = np.asarray(breakpoints, dtype=float).ravel()
    check_finite("breakpoints", breakpoints)
    breakpoints = breakpoints[(breakpoints > 0) & (breakpoints < times[-1])]
    grid = np.union1d(grid, breakpoints)
    keep = np.concatenate([[True], np.diff(grid) > 1e-9 * np.maximum(grid[1:], 1e-300)])
    grid = grid[keep]
    restart = set(np.searchsorted(grid, breakpoints * (1 + 1e-12)).tolist())   # step index after a breakpoint
    if thermal_mesh is None:
        thermal_mesh = ThermalMesh(tm, boundary_resistance)
    thm = thermal_mesh
    kind = _resolve_solver(solver, thm.n_dofs)

    rhoc = thm.rho_c()
    mW, mdiag = thm.mass(mass, rhoc)
    bsrc = sources.vector(thm)
    rW, rdiag, rload, dmask, dval, downer, robin = _boundary_terms(thm, bcs)
    iW, idiag = thm.interface_operator() if thm.interfaces else (0.0, 0.0)
    Tn = _check_array("T_init_K", T_init_K, thm.n_nodes, "node [K]")
    if np.any(Tn <= 0):
        raise InputError("T_init_K", float(Tn.min()), "temperatures > 0 K")
    # T holds T - T_ref (as in solve_steady: constants are annihilated exactly by the conduction and
    # interface operators, not by their floating-point row sums); stored and passed on absolute
    T_ref = _reference_temperature(bcs)
    if robin:
        rload = rload - T_ref * thm.matvec(rW, rW, rdiag, np.ones(thm.n_dofs))
    T = Tn[thm.dof_node] - T_ref
    T[dmask] = dval[dmask] - T_ref
    T_prev = None
    amp = amplitude or (lambda t: 1.0)

    if not thm.nonlinear:
        KW, Kdiag, _ = thm.stiffness()
        KW, Kdiag = KW + rW + iW, Kdiag + rdiag + idiag
    cache: dict = {}
    amg = AmgCG() if kind == "amg" else None     # nonlinear: one AMG hierarchy across iterations and steps
    newton_factorizations = 0
    out_T = np.empty((times.size, thm.n_dofs))
    j_out = 0
    t_old, dt_old = 0.0, None
    show = progress if progress is not None else grid.size > 200
    it = grid
    if show:
        from tqdm import tqdm
        it = tqdm(grid, desc="heat transient", unit="step", leave=False)
    for i_step, t_new in enumerate(it):
        h = t_new - t_old
        if (method == "bdf2" and T_prev is not None and dt_old is not None and h / dt_old <= 2.4
                and i_step not in restart):
            w = h / dt_old
            a0, a1, a2 = (1 + 2 * w) / (1 + w), -(1 + w), w * w / (1 + w)
        else:
            a0, a1, a2 = 1.0, -1.0, 0.0
        c = float(f"{a0 / h:.12e}")
        hist = -(a1 * T + (a2 * T_prev if a2 else 0.0)) * (c / a0)
        # amplitude at the left limit of the step end: rectangular pulses with edges on the grid
        # are then on or off for whole steps; smooth amplitudes see an O(1e-9 dt) shift
        b = float(amp(t_new - 1e-9 * h)) * bsrc + rload + thm.matvec(mW, mW, mdiag, hist)
        if not thm.nonlinear:
            up, lo, dg, rhs = _eliminate(thm, KW + c * mW, None, Kdiag + c * mdiag, b, dmask, dval - T_ref)
            if c not in cache:
                cache[c] = _factor(thm.to_csr(up, lo, dg), kind)
            T_new = cache[c](rhs, T)
        else:
            T_new = T.copy()
            for k_it in range(max_iter):
                W, diag, dW = thm.stiffness(T_new + T_ref)
                W = W + rW + iW + c * mW
                diag = diag + rdiag + idiag + c * mdiag
                _, A, rhs = _nonlinear_system(thm, W, diag, dW, T_new + T_ref, T_new, b, dmask, kind)
                dT = _factor(A, kind, amg, PICARD_CG_RTOL)(rhs)
                newton_factorizations += kind == "direct"
                T_new = T_new + dT
                step = float(np.max(np.abs(dT)))
                if step < tol_K or step < NEWTON_RTOL * float(np.max(np.abs(T_new + T_ref))):
                    break
            else:
                done = ThermalHistory(times=times[:j_out], T=out_T[:j_out, : thm.n_nodes].copy(),
                                      T_dofs=out_T[:j_out].copy(), steps=0, factorizations=0, thermal_mesh=thm)
                raise TransientConvergenceError(f"transient heat: nonlinear step to t = {t_new:.4g} s did not converge "
                                       f"(|dT| = {step:.3g} K)", done)
        T_prev, T = T, T_new
        dt_old, t_old = h, t_new
        while j_out < times.size and abs(times[j_out] - t_new) <= 1e-9 * max(t_new, 1e-300):
            out_T[j_out] = T + T_ref
            j_out += 1
        if on_step is not None:
            power = on_step(t_new, T[: thm.n_nodes] + T_ref)
            if power is not None:
                sources = _Sources(tm, q_node, q_element, power, surface_flux)
                bsrc = sources.vector(thm)
                restart.add(i_step + 1)
    built = len(cache) + newton_factorizations + (amg.builds if amg is not None else 0)
    return ThermalHistory(times=times, T=out_T[:, : thm.n_nodes].copy(), T_dofs=out_T, steps=grid.size,
                          factorizations=built, thermal_mesh=thm)
