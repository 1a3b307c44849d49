r""":class:`ThermalMesh`: geometry, sparsity pattern, boundary data and edge-form operators of a
:class:`~fem_cqd.regions.TaggedMesh`, prepared once per mesh.

Operators of ``rho c dT/dt - div( k(T) grad T )`` (planar: per metre of depth; axisymmetric: x = r,
every integral carries 2 pi r), and of the thermal boundary resistance R_b [m^2 K/W] between two
regions, where T jumps: ``k dT/dn = (T_a - T_b) / R_b`` on both sides.

Discretisation
--------------
* P1 triangles, conductivity constant per element (per element and edge when k depends on T).
  For piecewise-constant k the stiffness is exact with one quadrature point, in
  the axisymmetric case too: the P1 gradients are constant, so ``int 2 pi r k grad(phi_i).grad(phi_j)
  = 2 pi r_c A k grad(phi_i).grad(phi_j)`` with ``r_c`` the centroid radius.
* The matrix is assembled edge by edge in vectorised numpy (the triangle edges are the mesh facets,
  so the sparsity pattern is built once per mesh, and each assembly is a ``bincount``), not through
  scikit-fem's basis; results agree with ``skfem.asm(laplace, ...)`` to round-off (tested).
* Robin terms and the consistent mass matrix are integrated exactly (r linear in each element).
* Thermal boundary resistance: the interface nodes are duplicated for the elements of the second
  region, and the two copies are coupled by the exact interface "mass" matrix times 1/R_b. T is
  then discontinuous across the interface, as it should be. Where the interface ends at a third
  region (a triple point), that region stays attached to the first region's copy.
* Temperature-dependent conductivity: each element's share of an edge coupling uses k at the edge
  midpoint temperature (midpoint rule of the Kirchhoff integral; O(h^2) at the nodes).
"""
from __future__ import annotations

import math
from typing import Mapping

import numpy as np
import scipy.sparse as sp

from ..constants import T0
from ..errors import ThermalConvergenceError, InputError, check_finite, check_positive
from ..p1 import doubled_areas, gradients
from ..regions import TaggedMesh

_TWO_PI = 2.0 * math.pi
_LOCAL_EDGES = ((0, 1), (1, 2), (0, 2))  # scikit-fem's facet order of a triangle


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
        x = p[0][t]                                   # (3, ne)
        area2 = doubled_areas(p, t, "tagged_mesh")       # refuses zero-area elements, naming them
        self.b, self.c = gradients(p, t, area2)          # grad phi_i = (b_i, c_i)
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
        k300 = np.array([m.require("thermal_conductivity", f"heat conduction in region {name!r}")
                         for name, m in zip(tm.region_names, mats)], dtype=float)
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

        # --- boundaries (prepared lazily per name); stiffness of a constant k (on first use) ---
        self._bnd: dict = {}
        self._constant_stiffness = None

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
        when k is constant; W and diag are then computed once per mesh and read-only).
        """
        b, c = self.b, self.c
        kw = self.weight
        if not self.nonlinear:
            if self._constant_stiffness is None:
                vals = np.concatenate([self.k300 * kw * (b[i] * b[j] + c[i] * c[j]) for i, j in _LOCAL_EDGES])
                W, diag = self._edge_sums(vals)
                for a in (W, diag):
                    a.setflags(write=False)       # shared by every solve on this mesh
                self._constant_stiffness = (W, diag, None)
            return self._constant_stiffness
        else:
            Tl = T_dofs[self.dof_t]
            vs, ds = [], []
            for i, j in _LOCAL_EDGES:
                Tm = 0.5 * (Tl[i] + Tl[j])
                if np.any(Tm <= 0):
                    raise ThermalConvergenceError(f"non-positive temperature {Tm.min():.4g} K during the nonlinear solve", None)
                v = self.k300 * (Tm / T0) ** self.k_exponent * kw * (b[i] * b[j] + c[i] * c[j])
                vs.append(v)
                ds.append(self.k_exponent / Tm * v)
            vals, dvals = np.concatenate(vs), np.concatenate(ds)
        W, diag = self._edge_sums(vals)
        return W, diag, np.bincount(self.t2e.ravel(), weights=dvals, minlength=self.edges.shape[1])

    def _edge_sums(self, vals):
        """Edge weights W (the element contributions ``vals``, ordered as ``t2e.ravel()``, summed
        per edge) and the diagonal, minus the row sums of W."""
        W = np.bincount(self.t2e.ravel(), weights=vals, minlength=self.edges.shape[1])
        e0, e1 = self.edges
        n = self.n_dofs
        return W, -(np.bincount(e0, weights=W, minlength=n) + np.bincount(e1, weights=W, minlength=n))

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
