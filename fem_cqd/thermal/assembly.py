r"""Input checks and assembly helpers shared by the steady and transient solves: validated boundary
conditions and source arrays, the load vector, the Robin and Dirichlet terms, Dirichlet elimination,
and the linear solver.

* Sources: nodal volumetric densities [W/m^3] are lumped (``b_i = q_i V_i``, ``V_i = int w phi_i``);
  element densities [W/m^3] and surface fluxes [W/m^2] are integrated exactly; nodal powers [W, or
  W/m in planar geometry] are added as they are (the electrical solver's edge-wise Joule heat).
* Linear solves: SuperLU (``MMD_AT_PLUS_A``) below ``AUTO_DIRECT_LIMIT`` unknowns, else CG
  preconditioned by a Ruge-Stueben V-cycle (:mod:`fem_cqd.thermal.amg`); choose with
  ``solver="direct" | "amg" | "auto"``.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from ..errors import InputError, check_choice, check_finite, check_positive, check_range
from ..limits import MAX_HEAT_TRANSFER_W_PER_M2K, MAX_TEMPERATURE_K
from ..regions import TaggedMesh
from .amg import AmgCG
from .conditions import Adiabatic, Dirichlet, Robin
from .operator import ThermalMesh

AUTO_DIRECT_LIMIT = 200_000
SOLVERS = ("auto", "direct", "amg")


def _check_temperature(field: str, value) -> float:
    check_positive(field, value)
    return check_range(field, value, 0.0, MAX_TEMPERATURE_K, "K", "fem_cqd.limits.MAX_TEMPERATURE_K")


def _check_bcs(tm: TaggedMesh, bcs):
    bcs = dict(bcs or {})
    for name, bc in bcs.items():
        tm.boundary(name)
        if isinstance(bc, Dirichlet):
            _check_temperature(f"bcs[{name!r}].T_K", bc.T_K)
        elif isinstance(bc, Robin):
            check_positive(f"bcs[{name!r}].h_W_per_m2K", bc.h_W_per_m2K, allow_zero=True)
            check_range(f"bcs[{name!r}].h_W_per_m2K", bc.h_W_per_m2K, 0.0, MAX_HEAT_TRANSFER_W_PER_M2K, "W/(m^2 K)",
                        "fem_cqd.limits.MAX_HEAT_TRANSFER_W_PER_M2K")
            _check_temperature(f"bcs[{name!r}].T_ambient_K", bc.T_ambient_K)
        elif not isinstance(bc, Adiabatic):
            raise InputError(f"bcs[{name!r}]", bc, "Dirichlet(T_K), Robin(h_W_per_m2K, T_ambient_K) or Adiabatic()")
    return bcs


def _check_array(field_name, value, n, what):
    if value is None:
        return None
    arr = np.asarray(value, dtype=float)
    if arr.ndim == 0:
        arr = np.full(n, float(arr))
    if arr.shape != (n,):
        raise InputError(field_name, f"shape {arr.shape}", f"a scalar or shape ({n},): one value per {what}")
    check_finite(field_name, arr)
    return arr


class _Sources:
    """Validated source terms; ``vector(thm)`` gives the load at amplitude 1."""

    def __init__(self, tm, q_node, q_element, node_power, surface_flux):
        n, ne = tm.mesh.p.shape[1], tm.mesh.t.shape[1]
        self.q_node = _check_array("q_node", q_node, n, "node [W/m^3]")
        self.q_element = _check_array("q_element", q_element, ne, "element [W/m^3]")
        self.node_power = _check_array("node_power", node_power, n, "node [W, W/m in planar]")
        self.surface_flux = {}
        for name, q in dict(surface_flux or {}).items():
            nf = tm.boundary(name).size
            self.surface_flux[name] = _check_array(f"surface_flux[{name!r}]", q, nf, f"facet of boundary {name!r} [W/m^2]")

    def vector(self, thm: ThermalMesh):
        b = np.zeros(thm.n_dofs)
        if self.q_node is not None:
            b += thm.volume * self.q_node[thm.dof_node]
        if self.q_element is not None:
            b += np.bincount(thm.dof_t.ravel(), weights=(self.q_element * thm.node_weight).ravel(), minlength=thm.n_dofs)
        if self.node_power is not None:
            b[: thm.n_nodes] += self.node_power
        for name, q in self.surface_flux.items():
            dofs, L, r, _ = thm.boundary_data(name)
            la, lb = thm._facet_load(L, r)
            b += np.bincount(dofs[0], weights=q * la, minlength=thm.n_dofs)
            b += np.bincount(dofs[1], weights=q * lb, minlength=thm.n_dofs)
        return b


def _boundary_terms(thm: ThermalMesh, bcs):
    """Robin operator (edge form), Robin load, Dirichlet mask/values and per-boundary bookkeeping."""
    nE, n = thm.edges.shape[1], thm.n_dofs
    W = np.zeros(nE)
    diag = np.zeros(n)
    load = np.zeros(n)
    dmask = np.zeros(n, dtype=bool)
    dval = np.zeros(n)
    dirichlet_owner = {}
    robin = {}
    for name, bc in bcs.items():
        if isinstance(bc, Adiabatic):
            continue
        dofs, L, r, eidx = thm.boundary_data(name)
        if isinstance(bc, Dirichlet):
            nodes = np.unique(dofs)
            new = nodes[~dmask[nodes]]
            dmask[nodes] = True
            dval[nodes] = bc.T_K
            dirichlet_owner[name] = new
        else:
            maa, mbb, mab = thm._facet_mass(L, r)
            la, lb = thm._facet_load(L, r)
            np.add.at(diag, dofs[0], bc.h_W_per_m2K * maa)
            np.add.at(diag, dofs[1], bc.h_W_per_m2K * mbb)
            np.add.at(W, eidx, bc.h_W_per_m2K * mab)
            load += np.bincount(dofs[0], weights=bc.h_W_per_m2K * bc.T_ambient_K * la, minlength=n)
            load += np.bincount(dofs[1], weights=bc.h_W_per_m2K * bc.T_ambient_K * lb, minlength=n)
            robin[name] = (bc, dofs, maa, mbb, mab, la, lb)
    return W, diag, load, dmask, dval, dirichlet_owner, robin


def _eliminate(thm, up, lo, diag, rhs, dmask, dval):
    """Symmetric Dirichlet elimination in edge form: rows/columns of fixed dofs -> identity."""
    e0, e1 = thm.edges
    d0, d1 = dmask[e0], dmask[e1]
    symmetric = lo is None
    lo = up if symmetric else lo
    rhs = rhs.copy()
    n = thm.n_dofs
    if dval is not None and np.any(dval[dmask] != 0):
        rhs -= np.bincount(e0, weights=np.where(d1 & ~d0, up * dval[e1], 0.0), minlength=n)
        rhs -= np.bincount(e1, weights=np.where(d0 & ~d1, lo * dval[e0], 0.0), minlength=n)
    cut = d0 | d1
    up = np.where(cut, 0.0, up)
    lo = up if symmetric else np.where(cut, 0.0, lo)
    diag = np.where(dmask, 1.0, diag)
    rhs[dmask] = 0.0 if dval is None else dval[dmask]
    return up, lo, diag, rhs


def _resolve_solver(solver, n):
    check_choice("solver", solver, SOLVERS)
    if solver == "auto":
        return "direct" if n < AUTO_DIRECT_LIMIT else "amg"
    return solver


def _factor(A: sp.csr_matrix, kind: str, amg: AmgCG | None = None, rtol: float | None = None):
    """A callable ``solve(b, x0)`` for matrix ``A``: SuperLU, or CG (to relative residual ``rtol``,
    default :class:`AmgCG`'s) preconditioned by the AMG hierarchy of ``amg`` (kept across calls: pass
    the same :class:`AmgCG` for a sequence of matrices; a new one by default)."""
    if kind == "direct":
        lu = spla.splu(A.tocsc(), permc_spec="MMD_AT_PLUS_A")
        return lambda b, x0=None: lu.solve(b)
    amg = AmgCG() if amg is None else amg
    return lambda b, x0=None: amg.solve(A, b, x0, rtol)


def _nonlinear_system(thm: ThermalMesh, W, diag, dW, T_abs, u, b, dmask, kind):
    """One k(T) iteration's linear system for the update of ``u`` (the unknown, T - T_ref): the
    residual r = A(T) u - b (zero at Dirichlet nodes) and the matrix and right-hand side of
    A dT = -r -- Newton's (A plus d(A u)/dT from the k(T) derivative ``dW``, at the absolute
    temperature ``T_abs``) for the direct solver, Picard's (A alone, symmetric for CG) for AMG.
    Returns (r, A, rhs)."""
    res = thm.matvec(W, W, diag, u) - b
    res[dmask] = 0.0
    if kind == "direct":
        eu, el, ed = thm.jacobian_extra(T_abs, dW)
        up, lo, dg, rhs = _eliminate(thm, W + eu, W + el, diag + ed, -res, dmask, None)
    else:
        up, lo, dg, rhs = _eliminate(thm, W, None, diag, -res, dmask, None)
    return res, thm.to_csr(up, lo, dg), rhs
