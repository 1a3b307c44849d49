r"""Steady and transient heat conduction on a :class:`~fem_cqd.regions.TaggedMesh` (P1 Galerkin).

Equation solved (planar: per metre of depth; axisymmetric: x = r, every integral carries 2 pi r)::

    rho c dT/dt - div( k(T) grad T ) = Q            in the domain
    T = T_sink                                        on Dirichlet boundaries (heat sink)
    -k dT/dn = h (T - T_amb) - q_s                    on Robin boundaries (q_s: imposed surface flux)
    -k dT/dn = -q_s                                   elsewhere (adiabatic when no flux is imposed)

with an optional thermal boundary resistance R_b [m^2 K/W] between two regions, where T jumps:
``k dT/dn = (T_a - T_b) / R_b`` on both sides.

Discretisation
--------------
* P1 triangles, conductivity constant per element (per element and edge when k depends on T).
  For piecewise-constant k the stiffness is exact with one quadrature point, in
  the axisymmetric case too: the P1 gradients are constant, so ``int 2 pi r k grad(phi_i).grad(phi_j)
  = 2 pi r_c A k grad(phi_i).grad(phi_j)`` with ``r_c`` the centroid radius.
* The matrix is assembled edge by edge in vectorised numpy (the triangle edges are the mesh facets,
  so the sparsity pattern is built once per mesh, and each assembly is a ``bincount``), not through
  scikit-fem's basis; results agree with ``skfem.asm(laplace, ...)`` to round-off (tested).
* Sources: nodal volumetric densities [W/m^3] are lumped (``b_i = q_i V_i``, ``V_i = int w phi_i``);
  element densities [W/m^3] and surface fluxes [W/m^2] are integrated exactly; nodal powers [W, or
  W/m in planar geometry] are added as they are (the electrical solver's edge-wise Joule heat).
* Robin terms and the consistent mass matrix are integrated exactly (r linear in each element).
* Thermal boundary resistance: the interface nodes are duplicated for the elements of the second
  region, and the two copies are coupled by the exact interface "mass" matrix times 1/R_b. T is
  then discontinuous across the interface, as it should be. Where the interface ends at a third
  region (a triple point), that region stays attached to the first region's copy.
* Temperature-dependent conductivity: each element's share of an edge coupling uses k at the edge
  midpoint temperature (midpoint rule of the Kirchhoff integral; O(h^2) at the nodes). Newton's
  method with the exact Jacobian (direct solver), or Picard iteration with AMG-CG.
* Time: implicit Euler or variable-step BDF2, lumped or consistent mass.
* Linear solves: SuperLU (``MMD_AT_PLUS_A``) below ``AUTO_DIRECT_LIMIT`` unknowns, else pyamg
  Ruge-Stueben-preconditioned CG; choose with ``solver="direct" | "amg" | "auto"``.
"""
from __future__ import annotations

import math
import time as _time
from dataclasses import dataclass, field
from typing import Callable, Mapping

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from .constants import T0
from .errors import ConvergenceError, InputError, check_choice, check_finite, check_positive, check_range, check_triangles
from .limits import MAX_HEAT_TRANSFER_W_PER_M2K, MAX_TEMPERATURE_K
from .regions import TaggedMesh

AUTO_DIRECT_LIMIT = 200_000
# Nonlinear iterations also stop when |dT| < NEWTON_RTOL * max|T|: the double-precision floor of the
# residual of a stack whose conductances span k = 0.2 to 400 W/mK and cells of 10 nm to 100 um
# (measured on lim2018: quadratic convergence down to ~2e-6 K at T ~ 440 K, then round-off noise).
NEWTON_RTOL = 1e-8
# ... or when every node's residual, in kelvin (divided by its diagonal: the Jacobi correction it
# asks for), is below RESIDUAL_RTOL x max T: on films graded to 0.07 nm over a 4 mm wide device
# (aspect 1e5) the Newton update stalls at ~1e-5 K of round-off noise at a 140 K rise, while every
# node's balance has converged.
RESIDUAL_RTOL = 1e-14
SOLVERS = ("auto", "direct", "amg")
METHODS = ("bdf2", "euler")
MASSES = ("lumped", "consistent")
_TWO_PI = 2.0 * math.pi
_LOCAL_EDGES = ((0, 1), (1, 2), (0, 2))  # scikit-fem's facet order of a triangle


# ---------------------------------------------------------------------------------------------
# Boundary conditions
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Dirichlet:
    """Fixed temperature ``T`` [K] (a heat sink)."""

    T: float


@dataclass(frozen=True)
class Robin:
    """Convection to ambient: ``-k dT/dn = h (T - T_amb)``, ``h`` in W/(m^2 K), ``T_amb`` in K."""

    h: float
    T_amb: float


@dataclass(frozen=True)
class Adiabatic:
    """No heat flow (the default on every boundary not named)."""


# ---------------------------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------------------------
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


# ---------------------------------------------------------------------------------------------
# Mesh preparation (once per mesh)
# ---------------------------------------------------------------------------------------------
def _edges_from(t: np.ndarray, n: int, extra: np.ndarray | None = None):
    """Unique sorted edges (2, nE) of triangles ``t`` (+ extra pairs) and the element->edge map."""
    t = t.astype(np.int64)
    e = np.concatenate([t[[i, j]] for i, j in _LOCAL_EDGES], axis=1)
    e.sort(axis=0)
    keys = e[0] * n + e[1]
    if extra is not None and extra.size:
        x = np.sort(extra.astype(np.int64), axis=0)
        keys = np.concatenate([keys, x[0] * n + x[1]])
    uk, inv = np.unique(keys, return_inverse=True)
    edges = np.vstack([uk // n, uk % n])
    t2e = inv[: 3 * t.shape[1]].reshape(3, -1)
    return edges, t2e, uk


class ThermalMesh:
    """Geometry, sparsity pattern and boundary data of a :class:`TaggedMesh`, prepared once.

    Parameters
    ----------
    tagged_mesh : TaggedMesh
    boundary_resistance : dict (region_a, region_b) -> R_b [m^2 K/W], optional
        Thermal boundary resistance between two regions that share facets.

    Pass the same ``ThermalMesh`` to several solves (``thermal_mesh=``) to skip the preparation.
    """

    def __init__(self, tagged_mesh: TaggedMesh, boundary_resistance: Mapping | None = None):
        if not isinstance(tagged_mesh, TaggedMesh):
            raise InputError("tagged_mesh", type(tagged_mesh).__name__, "a fem_cqd.regions.TaggedMesh")
        self.tm = tm = tagged_mesh
        mesh = tm.mesh
        p, t = mesh.p, mesh.t
        self.n_nodes = n = p.shape[1]
        self.n_elements = ne = t.shape[1]
        self.axisymmetric = tm.geometry == "axisymmetric"
        self.boundary_resistance = dict(boundary_resistance or {})

        # --- element geometry ---
        x, y = p[0][t], p[1][t]                       # (3, ne)
        b = np.stack([y[1] - y[2], y[2] - y[0], y[0] - y[1]])
        c = np.stack([x[2] - x[1], x[0] - x[2], x[1] - x[0]])
        check_triangles(p, t, "tagged_mesh")             # refuses zero-area elements, naming them
        area2 = x[0] * b[0] + x[1] * b[1] + x[2] * b[2]   # 2A, positive for counter-clockwise
        self.b, self.c = b / area2, c / area2            # grad phi_i = (b_i, c_i)
        self.area = np.abs(area2) / 2
        if self.axisymmetric:
            rsum = x.sum(axis=0)
            self.weight = _TWO_PI * rsum / 3 * self.area          # int 2 pi r dA
            self.node_weight = _TWO_PI * self.area * (x + rsum) / 12  # int 2 pi r phi_i dA, (3, ne)
        else:
            rsum = None
            self.weight = self.area
            self.node_weight = np.broadcast_to(self.area / 3, (3, ne))
        self._x = x
        self._rsum = rsum

        # --- regions and materials ---
        mats = tm.region_materials
        k300 = np.array([m.thermal_conductivity for m in mats], dtype=float)
        expo = np.array([m.k_T_exponent for m in mats], dtype=float)
        for name, m, kv, ev in zip(tm.region_names, mats, k300, expo):
            if not (math.isfinite(kv) and kv > 0):
                raise InputError(f"materials[{m.name!r}].thermal_conductivity (region {name!r})", kv, "a finite number > 0 W/(m K)")
            check_finite(f"materials[{m.name!r}].k_T_exponent", ev)
        reg = np.asarray(tm.element_region)
        self.k300 = k300[reg]
        self.k_exponent = expo[reg]
        self.nonlinear = bool(np.any(self.k_exponent[...] != 0))
        self._regions_rhoc = mats

        # --- duplication of interface nodes for boundary resistances ---
        dof_t = t.astype(np.int64) if self.boundary_resistance else t   # copied only when it changes
        n_dofs = n
        dof_node = np.arange(n)
        self.interfaces = []      # (name, R, dofs_a (2, nf), dofs_b (2, nf), length, r_ends (2, nf))
        f2t = mesh.f2t if self.boundary_resistance else None
        for key, R in self.boundary_resistance.items():
            if not (isinstance(key, tuple) and len(key) == 2):
                raise InputError("boundary_resistance", key, "keys (region_a, region_b) with two region names")
            ia, ib = tm.region_index(key[0]), tm.region_index(key[1])
            R = check_positive(f"boundary_resistance[{key!r}]", R)
            e0, e1 = f2t
            inner = e1 >= 0
            r0 = np.where(inner, reg[e0], -1)
            r1 = np.where(inner, reg[np.maximum(e1, 0)], -1)
            sel = np.flatnonzero(((r0 == ia) & (r1 == ib)) | ((r0 == ib) & (r1 == ia)))
            if sel.size == 0:
                raise InputError("boundary_resistance", key, "a pair of regions that share an interface")
            ea = np.where(r0[sel] == ia, e0[sel], e1[sel])
            eb = np.where(r0[sel] == ia, e1[sel], e0[sel])
            fn = mesh.facets[:, sel]
            da = self._facet_dofs(dof_t, fn, ea)
            # new dofs for the interface nodes, used by region b elements
            old = np.unique(self._facet_dofs(dof_t, fn, eb))
            new = np.arange(n_dofs, n_dofs + old.size)
            remap = np.full(n_dofs, -1, dtype=np.int64)
            remap[old] = new
            belts = np.flatnonzero(reg == ib)
            sub = dof_t[:, belts]
            hit = remap[sub] >= 0
            sub[hit] = remap[sub[hit]]
            dof_t[:, belts] = sub
            dof_node = np.concatenate([dof_node, dof_node[old]])
            n_dofs += old.size
            db = self._facet_dofs(dof_t, fn, eb)
            L = np.hypot(*(p[:, fn[1]] - p[:, fn[0]]))
            self.interfaces.append((key, R, da, db, L, p[0][fn] if self.axisymmetric else None))
        self.dof_t = dof_t
        self.n_dofs = n_dofs
        self.dof_node = dof_node                      # original mesh node of every unknown

        # --- edges and CSR pattern ---
        if self.interfaces:
            extra = []
            for (_, _, da, db, _, _) in self.interfaces:
                extra += [np.vstack([da[0], db[0]]), np.vstack([da[1], db[1]]),
                          np.vstack([da[0], db[1]]), np.vstack([da[1], db[0]])]
            edges, t2e, self._keys = _edges_from(dof_t, n_dofs, np.concatenate(extra, axis=1))
        else:
            edges, t2e = mesh.facets, mesh.t2f
            self._keys = None
        self.edges, self.t2e = edges, t2e
        self._build_pattern()

        # --- lumped volumes ---
        self.volume = np.bincount(dof_t.ravel(), weights=np.ascontiguousarray(self.node_weight).ravel(), minlength=n_dofs)

        # --- boundaries (prepared lazily per name) ---
        self._bnd: dict = {}

    # helpers ------------------------------------------------------------------------------
    def _facet_dofs(self, dof_t, fn, elts):
        """Dofs of facet nodes ``fn`` (2, nf) as seen from elements ``elts``."""
        tt = self.tm.mesh.t[:, elts]
        out = np.empty(fn.shape, dtype=np.int64)
        for s in range(2):
            pos = np.argmax(tt == fn[s], axis=0)
            out[s] = dof_t[pos, elts]
        return out

    def _edge_index(self, a, b):
        """Edge indices of dof pairs (a, b)."""
        lo, hi = np.minimum(a, b), np.maximum(a, b)
        if self._keys is None:
            raise RuntimeError("edge lookup only needed with duplicated nodes")
        idx = np.searchsorted(self._keys, lo * self.n_dofs + hi)
        return idx

    def _build_pattern(self):
        """CSR structure of the edge-form operators: per row, lower entries, diagonal, upper entries."""
        n, (e0, e1) = self.n_dofs, self.edges
        nE = e0.size
        it = np.int32 if 3 * n + 2 * nE < 2**31 - 1 else np.int64
        e0, e1 = e0.astype(it, copy=False), e1.astype(it, copy=False)
        nlo = np.bincount(e1, minlength=n).astype(it)
        nup = np.bincount(e0, minlength=n).astype(it)
        indptr = np.zeros(n + 1, dtype=it)
        np.cumsum(nlo + nup + 1, out=indptr[1:])
        # upper entries: edges are sorted by (e0, e1), so row e0's entries are consecutive
        first_up = np.zeros(n + 1, dtype=it)
        np.cumsum(nup, out=first_up[1:])
        pos_up = np.arange(nE, dtype=it) + (indptr[:-1] + nlo + 1 - first_up[:-1])[e0]
        # lower entries: a stable sort by e1 orders them by (e1, e0)
        order = np.argsort(e1, kind="stable").astype(it)
        first_lo = np.zeros(n + 1, dtype=it)
        np.cumsum(nlo, out=first_lo[1:])
        pos_lo = np.empty(nE, dtype=it)
        pos_lo[order] = np.arange(nE, dtype=it) + (indptr[:-1] - first_lo[:-1])[e1[order]]
        pos_diag = indptr[:-1] + nlo
        indices = np.empty(int(indptr[-1]), dtype=it)
        indices[pos_up] = e1
        indices[pos_lo] = e0
        indices[pos_diag] = np.arange(n, dtype=it)
        self._indptr = indptr
        self._indices = indices
        self._pos = (pos_up, pos_lo, pos_diag)

    def boundary_data(self, name: str):
        """(dofs (2, nf), lengths (nf,), r_ends (2, nf) or None) of boundary ``name`` (validated)."""
        if name not in self._bnd:
            facets = self.tm.boundary(name)
            mesh = self.tm.mesh
            fn = mesh.facets[:, facets]
            if self.interfaces:
                dofs = self._facet_dofs(self.dof_t, fn, mesh.f2t[0, facets])
            else:
                dofs = fn
            L = np.hypot(*(mesh.p[:, fn[1]] - mesh.p[:, fn[0]]))
            r = mesh.p[0][fn] if self.axisymmetric else None
            eidx = facets if not self.interfaces else self._edge_index(dofs[0], dofs[1])
            self._bnd[name] = (dofs, L, r, eidx)
        return self._bnd[name]

    # facet integrals ------------------------------------------------------------------------
    def _facet_mass(self, L, r):
        """Exact facet mass entries (M_aa, M_bb, M_ab) of int w phi phi ds."""
        if r is None:
            return L / 3, L / 3, L / 6
        ra, rb = r
        f = _TWO_PI * L / 12
        return f * (3 * ra + rb), f * (ra + 3 * rb), f * (ra + rb)

    def _facet_load(self, L, r):
        """Exact int w phi_a ds, int w phi_b ds."""
        if r is None:
            return L / 2, L / 2
        ra, rb = r
        f = _TWO_PI * L / 6
        return f * (2 * ra + rb), f * (ra + 2 * rb)

    # operators in edge form: (up, lo, diag) -------------------------------------------------
    def conductivity(self, T_dofs):
        """Per-element k(T_e) [W/(m K)], ``T_e`` the element mean (for the heat-flux output)."""
        if not self.nonlinear:
            return self.k300
        Te = T_dofs[self.dof_t].mean(axis=0)
        return self.k300 * (np.maximum(Te, 1e-300) / T0) ** self.k_exponent

    def stiffness(self, T_dofs=None):
        """Edge-form stiffness of int w k grad phi_i . grad phi_j, and d(off-diagonal)/dT_edge.

        Constant k: exact P1 Galerkin. k(T): each element's contribution to edge (i, j) takes
        ``k_e((T_i + T_j)/2)`` (the midpoint rule for the Kirchhoff integral along the edge: O(h^2)
        at the nodes, where an element-mean k is only O(h) on right-triangle meshes). Returns
        ``(W, diag, dW)``: off-diagonals per edge, diagonal (= -row sums), and dW/dT_mid (None
        when k is constant).
        """
        b, c = self.b, self.c
        kw = self.weight
        if not self.nonlinear:
            vals = np.concatenate([self.k300 * kw * (b[i] * b[j] + c[i] * c[j]) for i, j in _LOCAL_EDGES])
            dvals = None
        else:
            Tl = T_dofs[self.dof_t]
            vs, ds = [], []
            for i, j in _LOCAL_EDGES:
                Tm = 0.5 * (Tl[i] + Tl[j])
                if np.any(Tm <= 0):
                    raise ConvergenceError(f"non-positive temperature {Tm.min():.4g} K during the nonlinear solve", None)
                v = self.k300 * (Tm / T0) ** self.k_exponent * kw * (b[i] * b[j] + c[i] * c[j])
                vs.append(v)
                ds.append(self.k_exponent / Tm * v)
            vals, dvals = np.concatenate(vs), np.concatenate(ds)
        nE, n = self.edges.shape[1], self.n_dofs
        idx = self.t2e.ravel()
        W = np.bincount(idx, weights=vals, minlength=nE)
        e0, e1 = self.edges
        diag = -(np.bincount(e0, weights=W, minlength=n) + np.bincount(e1, weights=W, minlength=n))
        dW = None if dvals is None else np.bincount(idx, weights=dvals, minlength=nE)
        return W, diag, dW

    def jacobian_extra(self, T_dofs, dW):
        """Edge-form (up, lo, diag) of d(K(T) T)/dT - K(T) for the edge-midpoint k(T).

        With F_i = sum_j W_ij (T_j - T_i) and dW_ij/dT_i = dW_ij/dT_j = dW/2:
        dF_i/dT_j gains dW/2 (T_j - T_i) for j != i and for j = i.
        """
        e0, e1 = self.edges
        g = 0.5 * dW * (T_dofs[e1] - T_dofs[e0])           # row e0: d/dT of W (T_e1 - T_e0)
        n = self.n_dofs
        diag = np.bincount(e0, weights=g, minlength=n) + np.bincount(e1, weights=-g, minlength=n)
        return g, -g, diag

    def mass(self, kind: str, rho_c_e):
        """Edge-form mass of int w rho c phi_i phi_j: ``"lumped"`` (diagonal) or ``"consistent"``."""
        nE = self.edges.shape[1]
        if kind == "lumped":
            diag = np.bincount(self.dof_t.ravel(), weights=(rho_c_e * self.node_weight).ravel(), minlength=self.n_dofs)
            return np.zeros(nE), diag
        A = self.area
        if self.axisymmetric:
            x, rs = self._x, self._rsum
            dvals = _TWO_PI * A * (2 * x + rs) / 30 * rho_c_e
            ovals = np.concatenate([_TWO_PI * A * (x[i] + x[j] + rs) / 60 * rho_c_e for i, j in _LOCAL_EDGES])
        else:
            dvals = np.broadcast_to(A / 6 * rho_c_e, (3, A.size))
            ovals = np.concatenate([A / 12 * rho_c_e] * 3)
        W = np.bincount(self.t2e.ravel(), weights=ovals, minlength=nE)
        diag = np.bincount(self.dof_t.ravel(), weights=np.ascontiguousarray(dvals).ravel(), minlength=self.n_dofs)
        return W, diag

    def rho_c(self):
        """Per-element volumetric heat capacity rho c [J/(m^3 K)]."""
        vals = []
        for name, m in zip(self.tm.region_names, self.tm.region_materials):
            v = m.volumetric_heat_capacity
            if not (math.isfinite(v) and v > 0):
                raise InputError(f"materials[{m.name!r}].density*heat_capacity (region {name!r})", v, "a finite number > 0")
            vals.append(v)
        return np.asarray(vals)[np.asarray(self.tm.element_region)]

    def interface_operator(self):
        """Edge-form coupling (1/R_b) int (T_a - T_b)(phi_a - phi_b) ds of all interfaces."""
        nE = self.edges.shape[1]
        W = np.zeros(nE)
        diag = np.zeros(self.n_dofs)
        for (_, R, da, db, L, r) in self.interfaces:
            maa, mbb, mab = self._facet_mass(L, r)
            g = 1.0 / R
            # blocks: [[M, -M], [-M, M]] on (a-side, b-side)
            for side in (da, db):
                np.add.at(diag, side[0], g * maa)
                np.add.at(diag, side[1], g * mbb)
                W[self._edge_index(side[0], side[1])] += g * mab   # same-side facet edge
            W[self._edge_index(da[0], db[0])] += -g * maa
            W[self._edge_index(da[1], db[1])] += -g * mbb
            W[self._edge_index(da[0], db[1])] += -g * mab
            W[self._edge_index(da[1], db[0])] += -g * mab
        return W, diag

    def matvec(self, up, lo, diag, x):
        e0, e1 = self.edges
        n = self.n_dofs
        return diag * x + np.bincount(e0, weights=up * x[e1], minlength=n) + np.bincount(e1, weights=lo * x[e0], minlength=n)

    def to_csr(self, up, lo, diag):
        data = np.empty(self._indices.size)
        pu, pl, pd = self._pos
        data[pu] = up
        data[pl] = lo
        data[pd] = diag
        return sp.csr_matrix((data, self._indices, self._indptr), shape=(self.n_dofs, self.n_dofs))


# ---------------------------------------------------------------------------------------------
# Input handling
# ---------------------------------------------------------------------------------------------
def _check_temperature(field: str, value) -> float:
    check_positive(field, value)
    return check_range(field, value, 0.0, MAX_TEMPERATURE_K, "K", "fem_cqd.limits.MAX_TEMPERATURE_K")


def _check_bcs(tm: TaggedMesh, bcs):
    bcs = dict(bcs or {})
    for name, bc in bcs.items():
        tm.boundary(name)
        if isinstance(bc, Dirichlet):
            _check_temperature(f"bcs[{name!r}].T", bc.T)
        elif isinstance(bc, Robin):
            check_positive(f"bcs[{name!r}].h", bc.h, allow_zero=True)
            check_range(f"bcs[{name!r}].h", bc.h, 0.0, MAX_HEAT_TRANSFER_W_PER_M2K, "W/(m^2 K)",
                        "fem_cqd.limits.MAX_HEAT_TRANSFER_W_PER_M2K")
            _check_temperature(f"bcs[{name!r}].T_amb", bc.T_amb)
        elif not isinstance(bc, Adiabatic):
            raise InputError(f"bcs[{name!r}]", bc, "Dirichlet(T), Robin(h, T_amb) or Adiabatic()")
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
    """Validated source terms; ``vector(tmesh)`` gives the load at amplitude 1."""

    def __init__(self, tm, q_node, q_element, node_power, surface_flux):
        n, ne = tm.mesh.p.shape[1], tm.mesh.t.shape[1]
        self.q_node = _check_array("q_node", q_node, n, "node [W/m^3]")
        self.q_element = _check_array("q_element", q_element, ne, "element [W/m^3]")
        self.node_power = _check_array("node_power", node_power, n, "node [W, W/m in planar]")
        self.surface_flux = {}
        for name, q in dict(surface_flux or {}).items():
            nf = tm.boundary(name).size
            self.surface_flux[name] = _check_array(f"surface_flux[{name!r}]", q, nf, f"facet of boundary {name!r} [W/m^2]")

    def vector(self, tmesh: ThermalMesh):
        b = np.zeros(tmesh.n_dofs)
        if self.q_node is not None:
            b += tmesh.volume * self.q_node[tmesh.dof_node]
        if self.q_element is not None:
            b += np.bincount(tmesh.dof_t.ravel(), weights=(self.q_element * tmesh.node_weight).ravel(), minlength=tmesh.n_dofs)
        if self.node_power is not None:
            b[: tmesh.n_nodes] += self.node_power
        for name, q in self.surface_flux.items():
            dofs, L, r, _ = tmesh.boundary_data(name)
            la, lb = tmesh._facet_load(L, r)
            b += np.bincount(dofs[0], weights=q * la, minlength=tmesh.n_dofs)
            b += np.bincount(dofs[1], weights=q * lb, minlength=tmesh.n_dofs)
        return b


def _boundary_terms(tmesh: ThermalMesh, bcs):
    """Robin operator (edge form), Robin load, Dirichlet mask/values and per-boundary bookkeeping."""
    nE, n = tmesh.edges.shape[1], tmesh.n_dofs
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
        dofs, L, r, eidx = tmesh.boundary_data(name)
        if isinstance(bc, Dirichlet):
            nodes = np.unique(dofs)
            new = nodes[~dmask[nodes]]
            dmask[nodes] = True
            dval[nodes] = bc.T
            dirichlet_owner[name] = new
        else:
            maa, mbb, mab = tmesh._facet_mass(L, r)
            la, lb = tmesh._facet_load(L, r)
            np.add.at(diag, dofs[0], bc.h * maa)
            np.add.at(diag, dofs[1], bc.h * mbb)
            np.add.at(W, eidx, bc.h * mab)
            load += np.bincount(dofs[0], weights=bc.h * bc.T_amb * la, minlength=n)
            load += np.bincount(dofs[1], weights=bc.h * bc.T_amb * lb, minlength=n)
            robin[name] = (bc, dofs, maa, mbb, mab, la, lb)
    return W, diag, load, dmask, dval, dirichlet_owner, robin


def _eliminate(tmesh, up, lo, diag, rhs, dmask, dval):
    """Symmetric Dirichlet elimination in edge form: rows/columns of fixed dofs -> identity."""
    e0, e1 = tmesh.edges
    d0, d1 = dmask[e0], dmask[e1]
    symmetric = lo is None
    lo = up if symmetric else lo
    rhs = rhs.copy()
    n = tmesh.n_dofs
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


def _factor(A: sp.csr_matrix, kind: str, rtol: float = 1e-9):
    """A callable ``solve(b, x0)`` for matrix ``A`` (SuperLU or AMG-preconditioned CG)."""
    if kind == "direct":
        lu = spla.splu(A.tocsc(), permc_spec="MMD_AT_PLUS_A")
        return lambda b, x0=None: lu.solve(b)
    import pyamg

    A = A.copy()
    A.eliminate_zeros()
    # sparse LU on the coarsest level: the default dense pseudo-inverse costs ~0.1 s per V-cycle
    ml = pyamg.ruge_stuben_solver(A, max_coarse=500, coarse_solver="splu")
    M = ml.aspreconditioner(cycle="V")

    def solve(b, x0=None):
        # solve for the correction to x0 so that rtol applies to the change, not to 300 K offsets
        r0 = b if x0 is None else b - A @ x0
        nb = np.linalg.norm(r0)
        if nb == 0:
            return np.zeros_like(b) if x0 is None else x0.copy()
        d, info = spla.cg(A, r0, rtol=rtol, atol=0.0, maxiter=500, M=M)
        if info != 0:
            raise ConvergenceError(f"AMG-preconditioned CG did not converge (info={info}); try solver='direct'", None)
        return d if x0 is None else x0 + d

    return solve


# ---------------------------------------------------------------------------------------------
# Steady solve
# ---------------------------------------------------------------------------------------------
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
    if not any(isinstance(b, Dirichlet) or (isinstance(b, Robin) and b.h > 0) for b in bcs.values()):
        raise InputError("bcs", {k: type(v).__name__ for k, v in bcs.items()},
                         "at least one Dirichlet or Robin (h > 0) boundary for a steady solve")
    check_positive("tol_K", tol_K)
    if thermal_mesh is None:
        thermal_mesh = ThermalMesh(tm, boundary_resistance)
    elif thermal_mesh.tm is not tm:
        raise InputError("thermal_mesh", "prepared for another mesh", "a ThermalMesh of this tagged_mesh")
    tmesh = thermal_mesh
    kind = _resolve_solver(solver, tmesh.n_dofs)
    t_prep = _time.perf_counter()

    bsrc = sources.vector(tmesh)
    rW, rdiag, rload, dmask, dval, downer, robin = _boundary_terms(tmesh, bcs)
    iW, idiag = tmesh.interface_operator() if tmesh.interfaces else (0.0, 0.0)
    # solved for T - T_ref: conduction and interface operators annihilate constants exactly, which
    # their floating-point row sums do not (conductances ~1e5 W/K times 300 K left 2e-8 K and a
    # 1e-8 W phantom sink with no source); only the Robin terms see T_ref
    T_ref = _reference_temperature(bcs)
    b = bsrc + rload - T_ref * tmesh.matvec(rW, rW, rdiag, np.ones(tmesh.n_dofs))
    T = _initial(tmesh, T_guess, bcs, dmask, dval)
    t_asm = 0.0
    t_sol = 0.0
    iters = 0
    while True:
        ta = _time.perf_counter()
        W, diag, dW = tmesh.stiffness(T)
        W = W + rW + iW
        diag = diag + rdiag + idiag
        if not tmesh.nonlinear:
            up, lo, dg, rhs = _eliminate(tmesh, W, None, diag, b, dmask, dval - T_ref)
            A = tmesh.to_csr(up, lo, dg)
            t_asm += _time.perf_counter() - ta
            ts = _time.perf_counter()
            T = _factor(A, kind)(rhs, T - T_ref) + T_ref
            t_sol += _time.perf_counter() - ts
            iters = 1
            break
        # nonlinear: Newton (direct) or Picard (amg), on the update with zero Dirichlet values
        res = tmesh.matvec(W, W, diag, T - T_ref) - b
        res[dmask] = 0.0
        if iters and float(np.max(np.abs(res[~dmask]) / diag[~dmask])) <= RESIDUAL_RTOL * float(np.max(np.abs(T))):
            break                         # every node balanced to round-off
        if kind == "direct":
            eu, el, ed = tmesh.jacobian_extra(T, dW)
            up, lo, dg, rhs = _eliminate(tmesh, W + eu, W + el, diag + ed, -res, dmask, None)
        else:
            up, lo, dg, rhs = _eliminate(tmesh, W, None, diag, -res, dmask, None)
        A = tmesh.to_csr(up, lo, dg)
        t_asm += _time.perf_counter() - ta
        ts = _time.perf_counter()
        dT = _factor(A, kind)(rhs)
        t_sol += _time.perf_counter() - ts
        T = T + dT
        iters += 1
        step = float(np.max(np.abs(dT)))
        if not np.isfinite(step):
            raise ConvergenceError("nonlinear heat solve diverged (non-finite update)", None)
        if step < tol_K or step < NEWTON_RTOL * float(np.max(np.abs(T))):
            break

        if iters >= max_iter:
            last = _state(tmesh, T, bsrc, bcs, downer, robin, iters, kind, rW, rdiag, iW, idiag, b - bsrc, T_ref)
            raise ConvergenceError(f"nonlinear heat solve: |dT| = {step:.3g} K > tol_K = {tol_K:g} after {iters} "
                                   f"{'Newton' if kind == 'direct' else 'Picard'} iterations", last)
    st = _state(tmesh, T, bsrc, bcs, downer, robin, iters, kind, rW, rdiag, iW, idiag, b - bsrc, T_ref)
    if timings is not None:
        timings.update(prepare=t_prep - tic, assemble=t_asm, solve=t_sol)
    return st


def _reference_temperature(bcs) -> float:
    """The mean Dirichlet temperature, else the mean Robin ambient, else T0 (K)."""
    dT = [b.T for b in bcs.values() if isinstance(b, Dirichlet)] or [b.T_amb for b in bcs.values() if isinstance(b, Robin)]
    return float(np.mean(dT)) if dT else T0


def _initial(tmesh, T_guess, bcs, dmask, dval):
    if T_guess is None:
        T = np.full(tmesh.n_dofs, _reference_temperature(bcs))
    else:
        Tn = _check_array("T_guess", T_guess, tmesh.n_nodes, "node [K]")
        if np.any(Tn <= 0):
            raise InputError("T_guess", float(Tn.min()), "temperatures > 0 K")
        T = Tn[tmesh.dof_node]
    T[dmask] = dval[dmask]
    return T


def _state(tmesh, T, bsrc, bcs, downer, robin, iters, kind, rW, rdiag, iW, idiag, rload_ref, T_ref) -> ThermalState:
    k_e = tmesh.conductivity(T)
    W, diag, _ = tmesh.stiffness(T)
    # Discrete balance: the stiffness rows and columns sum to zero, so sources = heat into the sinks
    # + Robin losses int h (T - T_amb), exactly. The heat a Dirichlet dof takes is -(residual) there,
    # evaluated on T - T_ref with the Robin load shifted alike (``rload_ref``; see solve_steady).
    react = tmesh.matvec(W + rW + iW, W + rW + iW, diag + rdiag + idiag, T - T_ref) - bsrc - rload_ref
    pb = {}
    for name, dofs in downer.items():
        pb[name] = -float(react[dofs].sum())
    for name, (bc, dofs, maa, mbb, mab, la, lb) in robin.items():
        Ta, Tb = T[dofs[0]], T[dofs[1]]
        qa = bc.h * (maa * Ta + mab * Tb - bc.T_amb * la)
        qb = bc.h * (mab * Ta + mbb * Tb - bc.T_amb * lb)
        pb[name] = float(np.sum(qa) + np.sum(qb))
    pin = float(bsrc.sum())
    imb = abs(pin - sum(pb.values())) / max(abs(pin), 1e-300)
    Tl = T[tmesh.dof_t]
    gx = (tmesh.b * Tl).sum(axis=0)
    gy = (tmesh.c * Tl).sum(axis=0)
    flux = -k_e * np.vstack([gx, gy])
    sink = [b.T for b in bcs.values() if isinstance(b, Dirichlet)]
    return ThermalState(T=T[: tmesh.n_nodes].copy(), T_dofs=T, heat_flux=flux, power_source=pin,
                        power_boundary=pb, imbalance=imb, iterations=iters, solver=kind,
                        sink_temperature=float(np.mean(sink)) if sink else None, thermal_mesh=tmesh)


# ---------------------------------------------------------------------------------------------
# Transient solve
# ---------------------------------------------------------------------------------------------
def time_grid(t_end: float, dt_first: float, steps_per_level: int = 10, growth: float = 2.0,
              include=()) -> np.ndarray:
    """Step end times from ``dt_first`` growing by ``growth`` every ``steps_per_level`` steps up to ``t_end``.

    Piecewise-constant steps keep the number of distinct system matrices (factorisations) small.
    ``include`` times (output times, pulse edges) are inserted. Returns an increasing array > 0.
    """
    t_end = check_positive("t_end", t_end)
    dt = check_positive("dt_first", dt_first)
    check_positive("growth", growth)
    out, t, i = [], 0.0, 0
    while t < t_end * (1 - 1e-12):
        t = min(t + dt, t_end)
        out.append(t)
        i += 1
        if i % steps_per_level == 0:
            dt *= growth
    grid = np.union1d(np.asarray(out), np.asarray(list(include), dtype=float))
    grid = grid[(grid > 0) & (grid <= t_end * (1 + 1e-12))]
    # merge times closer than 1e-9 of a step
    keep = np.concatenate([[True], np.diff(grid) > 1e-9 * np.maximum(grid[1:], 1e-300)])
    return grid[keep]


def rectangular_pulses(width: float, period: float, n_pulses: int | None = None, start: float = 0.0,
                       height: float = 1.0):
    """A rectangular pulse train ``a(t)`` (``height`` for ``start + j period <= t < ... + width``).

    Returns ``(amplitude, edges)``; ``edges`` are the switching times (first ``n_pulses`` pulses, or
    the first 1000 when None) to include in the time grid.
    """
    width = check_positive("width", width)
    period = check_positive("period", period)
    if width > period:
        raise InputError("width", width, f"a pulse width <= the period ({period:g} s)")
    check_finite("start", start)
    height = float(height)
    check_finite("height", height)
    if n_pulses is not None and (int(n_pulses) != n_pulses or n_pulses < 1):
        raise InputError("n_pulses", n_pulses, "a whole number >= 1, or None for an endless train")

    def amplitude(t: float) -> float:
        s = t - start
        if s < 0 or (n_pulses is not None and s >= n_pulses * period):
            return 0.0
        return height if (s % period) < width else 0.0

    j = np.arange(n_pulses if n_pulses is not None else 1000)
    edges = np.sort(np.concatenate([start + j * period, start + j * period + width]))
    amplitude.edges = edges[edges > 0]
    return amplitude, amplitude.edges


def solve_transient(tagged_mesh: TaggedMesh, times, bcs: Mapping | None = None, *, q_node=None, q_element=None,
                    node_power=None, surface_flux: Mapping | None = None,
                    amplitude: Callable[[float], float] | None = None, T_init=T0,
                    dt: float | None = None, grid=None, breakpoints=None, method: str = "bdf2", mass: str = "lumped",
                    boundary_resistance: Mapping | None = None, solver: str = "auto", tol_K: float = 1e-7,
                    max_iter: int = 30, progress: bool | None = None,
                    thermal_mesh: ThermalMesh | None = None, on_step: Callable | None = None) -> ThermalHistory:
    r"""Transient heat ``rho c dT/dt - div(k(T) grad T) = a(t) Q`` from ``T(0) = T_init``.

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
    tmesh = thermal_mesh
    kind = _resolve_solver(solver, tmesh.n_dofs)

    rhoc = tmesh.rho_c()
    mW, mdiag = tmesh.mass(mass, rhoc)
    bsrc = sources.vector(tmesh)
    rW, rdiag, rload, dmask, dval, downer, robin = _boundary_terms(tmesh, bcs)
    iW, idiag = tmesh.interface_operator() if tmesh.interfaces else (0.0, 0.0)
    Tn = _check_array("T_init", T_init, tmesh.n_nodes, "node [K]")
    if np.any(Tn <= 0):
        raise InputError("T_init", float(Tn.min()), "temperatures > 0 K")
    # T holds T - T_ref (as in solve_steady: constants are annihilated exactly by the conduction and
    # interface operators, not by their floating-point row sums); stored and passed on absolute
    T_ref = _reference_temperature(bcs)
    rload = rload - T_ref * tmesh.matvec(rW, rW, rdiag, np.ones(tmesh.n_dofs))
    T = Tn[tmesh.dof_node] - T_ref
    T[dmask] = dval[dmask] - T_ref
    T_prev = None
    amp = amplitude or (lambda t: 1.0)

    if not tmesh.nonlinear:
        KW, Kdiag, _ = tmesh.stiffness()
        KW, Kdiag = KW + rW + iW, Kdiag + rdiag + idiag
    cache: dict = {}
    out_T = np.empty((times.size, tmesh.n_dofs))
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
        b = float(amp(t_new - 1e-9 * h)) * bsrc + rload + tmesh.matvec(mW, mW, mdiag, hist)
        if not tmesh.nonlinear:
            up, lo, dg, rhs = _eliminate(tmesh, KW + c * mW, None, Kdiag + c * mdiag, b, dmask, dval - T_ref)
            if c not in cache:
                cache[c] = _factor(tmesh.to_csr(up, lo, dg), kind)
            T_new = cache[c](rhs, T)
        else:
            T_new = T.copy()
            for k_it in range(max_iter):
                W, diag, dW = tmesh.stiffness(T_new + T_ref)
                W = W + rW + iW + c * mW
                diag = diag + rdiag + idiag + c * mdiag
                res = tmesh.matvec(W, W, diag, T_new) - b
                res[dmask] = 0.0
                if kind == "direct":
                    eu, el, ed = tmesh.jacobian_extra(T_new + T_ref, dW)
                    up, lo, dg, rhs = _eliminate(tmesh, W + eu, W + el, diag + ed, -res, dmask, None)
                else:
                    up, lo, dg, rhs = _eliminate(tmesh, W, None, diag, -res, dmask, None)
                dT = _factor(tmesh.to_csr(up, lo, dg), kind)(rhs)
                T_new = T_new + dT
                step = float(np.max(np.abs(dT)))
                if step < tol_K or step < NEWTON_RTOL * float(np.max(np.abs(T_new + T_ref))):
                    break
            else:
                done = ThermalHistory(times=times[:j_out], T=out_T[:j_out, : tmesh.n_nodes].copy(),
                                      T_dofs=out_T[:j_out].copy(), steps=0, factorizations=0, thermal_mesh=tmesh)
                raise ConvergenceError(f"transient heat: nonlinear step to t = {t_new:.4g} s did not converge "
                                       f"(|dT| = {step:.3g} K)", done)
        T_prev, T = T, T_new
        dt_old, t_old = h, t_new
        while j_out < times.size and abs(times[j_out] - t_new) <= 1e-9 * max(t_new, 1e-300):
            out_T[j_out] = T + T_ref
            j_out += 1
        if on_step is not None:
            power = on_step(t_new, T[: tmesh.n_nodes] + T_ref)
            if power is not None:
                sources = _Sources(tm, q_node, q_element, power, surface_flux)
                bsrc = sources.vector(tmesh)
                restart.add(i_step + 1)
    return ThermalHistory(times=times, T=out_T[:, : tmesh.n_nodes].copy(), T_dofs=out_T, steps=grid.size,
                          factorizations=len(cache), thermal_mesh=tmesh)


# ---------------------------------------------------------------------------------------------
# Post-processing
# ---------------------------------------------------------------------------------------------
def _dofs_of(state_or_history, T):
    tmesh = state_or_history.thermal_mesh
    if T is None:
        T = state_or_history.T_dofs
    return tmesh, np.asarray(T)


def mean_temperature(state, region: str | None = None, boundary: str | None = None, T=None) -> float:
    """Mean temperature [K] over a region (volume mean, w-weighted) or a boundary (surface mean).

    ``state`` is a ThermalState (or ThermalHistory with ``T`` one row of ``T_dofs``). Exactly one of
    ``region`` and ``boundary``.
    """
    tmesh, Td = _dofs_of(state, T)
    if (region is None) == (boundary is None):
        raise InputError("region/boundary", (region, boundary), "exactly one of a region name or a boundary name")
    if region is not None:
        elts = tmesh.tm.elements_of(region)
        nw = tmesh.node_weight[:, elts]
        return float(np.sum(nw * Td[tmesh.dof_t[:, elts]]) / np.sum(nw))
    dofs, L, r, _ = tmesh.boundary_data(boundary)
    la, lb = tmesh._facet_load(L, r)
    return float(np.sum(la * Td[dofs[0]] + lb * Td[dofs[1]]) / np.sum(la + lb))


def thermal_resistance(state: ThermalState, power: float | None = None, region: str | None = None,
                       boundary: str | None = None, T_ref: float | None = None) -> float:
    """Thermal resistance (mean T over a region or boundary - T_ref) / power [K/W; K m/W in planar].

    ``power`` defaults to ``state.power_source``; ``T_ref`` to the heat-sink temperature (the mean
    of the Dirichlet values).
    """
    if power is None:
        power = state.power_source
    power = float(power)
    if not math.isfinite(power) or power == 0:
        raise InputError("power", power, "a finite, non-zero heating power")
    if T_ref is None:
        if state.sink_temperature is None:
            raise InputError("T_ref", None, "a reference temperature (there is no Dirichlet boundary)")
        T_ref = state.sink_temperature
    return (mean_temperature(state, region=region, boundary=boundary) - T_ref) / power

