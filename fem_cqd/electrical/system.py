"""The full nonlinear system F(z) = 0: raw equations with contact / conductor / pinned rows applied.

``z = [x (3N node-interleaved psi, phi_n, phi_p), V_c for each current-driven contact]``.
Rows replaced by constraints (affine in z):

- conductor node:       psi - phi_n + W_F = 0,  phi_p - phi_n = 0;  the phi_n row becomes
                        ohmic + electron + hole current out of the node (Kirchhoff)
- insulator-only node:  phi_n = 0, phi_p = 0 (no carriers there; values unused)
- ohmic contact, semiconductor node:  psi = psi_neutral(V), phi_n = phi_p = V
- ohmic contact, conductor node:      phi = V
- Schottky contact, semiconductor node: psi = V - W_F (phi_n, phi_p free; thermionic terms)
- heterointerface copy b of node a (:mod:`.heterointerface`): psi_b - psi_a = 0, b's Poisson row
                        added to a's; likewise phi_b - phi_a = 0 for a carrier without thermionic emission
- current-driven contact c: extra row  I_c(z) - I_target = 0,  I_c = the electron + hole (+
  conductor) current leaving the contact's nodes and the conductor region behind them (ITO, a
  metal) into the rest of the device, summed over the edges that leave the region (the edges
  inside it would only cancel, and add round-off); its Jacobian row is the sum of the region's rows.

Terminal currents of contacts on a conductor are read over the conductor region behind the
contact when the contact nodes cannot resolve them (:func:`terminal_currents`): in ITO or a metal
the ohmic drop can lie below the floating-point resolution of the potential. The current-drive row
always sums over the region (the edges inside it cancel), so a contact on ITO can be driven.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import scipy.sparse.csgraph  # noqa: F401  (sp.csgraph)

from ..constants import q
from .device import Device
from .driftdiffusion import assemble

UNRESOLVED_RTOL = 1e-8   # contact-node vs conductor-region current beyond which the region's is read


@dataclass(frozen=True, eq=False)
class Constraints:
    """The constraint rows of a device (they depend on mesh and contacts, not on temperature)."""

    keep: np.ndarray            # (3N,) 1.0 for rows kept from the raw assembly
    P: sp.csr_matrix            # raw rows -> final rows (keeps, and adds hole row into phi row at conductor nodes)
    G: sp.csr_matrix            # constraint rows, linear part
    h_fixed: np.ndarray         # constraint right-hand side independent of the contact voltages
    h_volt: dict                # contact -> (rows, offsets): h[rows] = V + offsets (+ neutral psi, params)
    select: dict                # contact -> (3N,) selector of the rows of its region (current-drive Jacobian)
    region: dict                # contact -> contact nodes + the conductor region behind them
    layout: "JacobianLayout | None" = None
    poisson_layout: "JacobianLayout | None" = None   # of the Poisson-only assembly (psi rows and columns)


def _conductor_region_nodes(dev: Device, seeds: np.ndarray, others: np.ndarray) -> np.ndarray:
    """Nodes connected to ``seeds`` through conductor elements without passing through ``others``
    (the other contacts' nodes, which are left out); empty without seeds."""
    if seeds.size == 0 or dev.cond.size == 0:
        return np.zeros(0, dtype=int)
    t = dev.geom.t[:, dev.cond]
    rows = np.concatenate([t[0], t[1], t[2]])
    cols = np.concatenate([t[1], t[2], t[0]])
    free = ~np.isin(rows, others) & ~np.isin(cols, others)
    adj = sp.csr_matrix((np.ones(free.sum()), (rows[free], cols[free])), shape=(dev.n_nodes, dev.n_nodes))
    _, label = sp.csgraph.connected_components(adj, directed=False)
    region = np.flatnonzero(np.isin(label, np.unique(label[seeds])))
    return np.setdiff1d(region, others)


class JacobianLayout:
    """Where each raw Jacobian entry lands in the CSR data of ``J = P (A_int + A_bnd) + G``.

    Built once for a device from the entries' rows and columns (which depend on the mesh only):
    each raw entry (r, c) goes to every final row i with P[i, r] != 0, weighted by P[i, r]; G's
    entries are constant. The map is kept as a sparse matrix S (final entries x raw entries, G's,
    the extra ones), and ``matrix(vals)`` is one product S @ [vals, G, extra] for the CSR data --
    no COO sort, and a pattern that never changes (entries that happen to be zero are stored), so
    a sparse LU can keep its analysis over a whole ramp. (The product is 2.8x faster than the
    ``bincount`` over the final slots it replaced: 45 vs 128 ms for 9.6M raw entries at 56k nodes.)
    """

    def __init__(self, cons: Constraints, rows: np.ndarray, cols: np.ndarray, n: int, extra=None):
        self.rows, self.cols, self.n = rows, cols, n    # kept for checks and selected_row_sum
        P = cons.P.tocsc()
        counts = np.diff(P.indptr)[rows]
        src = np.repeat(np.arange(rows.size), counts)
        first = np.repeat(P.indptr[rows] - (np.cumsum(counts) - counts), counts)
        k = first + np.arange(src.size)
        G = cons.G.tocoo()
        w, self.g = P.data[k], G.data
        er, ec = extra if extra is not None else (np.zeros(0, np.int64), np.zeros(0, np.int64))
        keys = np.concatenate([P.indices[k].astype(np.int64) * n + cols[src],
                               G.row.astype(np.int64) * n + G.col, er.astype(np.int64) * n + ec])
        uniq, slot = np.unique(keys, return_inverse=True)
        self.indices = (uniq % n).astype(np.int32)
        self.indptr = np.searchsorted(uniq // n, np.arange(n + 1)).astype(np.int32)
        n_raw, n_g = rows.size, self.g.size
        cols_S = np.concatenate([src, n_raw + np.arange(n_g + er.size)])
        self.S = sp.csr_matrix((np.concatenate([w, np.ones(n_g + er.size)]), (slot, cols_S)),
                               shape=(uniq.size, n_raw + n_g + er.size))

    def selected_row_sum(self, vals: np.ndarray, select: np.ndarray) -> np.ndarray:
        """sum_r select[r] A[r, :] of the raw matrix A whose first ``vals.size`` entries (in the
        order given at construction) have the values ``vals`` (dense, length n)."""
        rows, cols = self.rows[:vals.size], self.cols[:vals.size]
        w = select[rows] * vals
        return np.bincount(cols, w, minlength=self.n)

    def matrix(self, vals: np.ndarray, extra_vals=()) -> sp.csr_matrix:
        """The matrix from the raw entries' values (through P) and the values of the extra
        (constraint-row) entries, in the order given at construction."""
        data = self.S @ np.concatenate([vals, self.g, extra_vals])
        return sp.csr_matrix((data, self.indices, self.indptr), shape=(self.n, self.n))


def jacobian_layout(dev: Device, poisson_only: bool = False) -> JacobianLayout:
    """The device's layout, from the rows and columns of one assembly (they depend on the device
    only: :class:`~.driftdiffusion.Triplets`; the values at this arbitrary state are unused), of
    the full system or of Poisson's rows alone (``poisson_only``: :func:`~.driftdiffusion.assemble`)."""
    with np.errstate(all="ignore"):
        _, _, T_int, T_bnd, _ = assemble(dev, np.zeros(3 * dev.n_nodes), poisson_only=poisson_only)
    ri, ci, _ = T_int.arrays()
    rb, cb, _ = T_bnd.arrays()
    extra = None
    if dev.image_force is not None:
        imf = dev.image_force
        extra = (np.repeat(3 * imf["nodes"][None, :], 3, axis=0).ravel(), (3 * imf["t"]).ravel())
    return JacobianLayout(dev.constraints, np.concatenate([ri, rb]), np.concatenate([ci, cb]), 3 * dev.n_nodes,
                          extra)


def jacobian_matrix(layout: JacobianLayout, T_int, T_bnd, extra_vals=()) -> sp.csr_matrix:
    """``P (A_int + A_bnd) + G`` (+ the image-force entries) through the device's ``layout``."""
    return layout.matrix(np.concatenate([T_int.values(), T_bnd.values()]), extra_vals)


def image_force_terms(dev: Device, psi: np.ndarray):
    """The image-force lowering of the interface nodes' effective work functions (module doc of
    :mod:`.device`): ``sign x Delta phi`` to add to their psi constraint rows, and its derivatives with
    respect to psi at the vertices of each node's element, (3, k) in the layout's order."""
    imf = dev.image_force
    grad_n = np.einsum("dk,djk->jk", imf["normal"], imf["grad"])      # n . grad(lambda_j)
    F = -imf["sign"] * np.einsum("jk,jk->k", grad_n, psi[imf["t"]])   # field pushing the injected carrier in
    root = np.sqrt(F * F + 1.0)
    with np.errstate(divide="ignore"):
        Fp = np.where(F >= 0, 0.5 * (F + root), 0.5 / (root - F))      # smooth positive part, no cancellation
    dphi = np.sqrt(q * Fp / (4 * np.pi * imf["eps"]))
    ddphi = dphi / (2 * Fp) * 0.5 * (1 + F / root)                     # d Delta phi / dF
    return imf["sign"] * dphi, -(ddphi * grad_n)                       # sign^2 = 1 in the derivative


def build_constraints(dev: Device) -> Constraints:
    N = dev.n_nodes
    keep = np.ones(3 * N)
    Gr, Gc, Gv = [], [], []
    h_fixed = np.zeros(3 * N)
    cn = np.flatnonzero(dev.node_cond)
    pinned = np.flatnonzero(~dev.node_cond & ~dev.node_semi)
    # conductor ties
    keep[3 * cn] = 0; keep[3 * cn + 2] = 0
    Gr += [3 * cn, 3 * cn, 3 * cn + 2, 3 * cn + 2]
    Gc += [3 * cn, 3 * cn + 1, 3 * cn + 2, 3 * cn + 1]
    Gv += [np.ones(cn.size), -np.ones(cn.size), np.ones(cn.size), -np.ones(cn.size)]
    h_fixed[3 * cn] = -dev.node_wf[cn]
    # heterointerface copies: psi single-valued (the copy's Poisson row joins the original's), and
    # the quasi-Fermi level of a carrier without thermionic emission continuous likewise
    ties = []
    if dev.split is not None:
        s_ = dev.split
        for off, tied in ((0, np.ones(s_.a.size, bool)), (1, s_.v_n == 0), (2, s_.v_p == 0)):
            a, b = s_.a[tied], s_.b[tied]
            keep[3 * b + off] = 0
            Gr += [3 * b + off, 3 * b + off]; Gc += [3 * b + off, 3 * a + off]
            Gv += [np.ones(a.size), -np.ones(a.size)]
            ties.append((3 * a + off, 3 * b + off))
    # pinned carriers
    for off in (1, 2):
        keep[3 * pinned + off] = 0
        Gr.append(3 * pinned + off); Gc.append(3 * pinned + off); Gv.append(np.ones(pinned.size))
    # contacts
    h_volt, select, regions = {}, {}, {}
    for c in dev.contacts:
        nodes, kind = dev.contact_nodes[c.boundary], dev.contact_node_kind[c.boundary]
        rows, offs = [], []
        s0 = nodes[kind == 0]            # ohmic on semiconductor (psi: + neutral psi, from the parameters)
        if s0.size:
            for off in (0, 1, 2):
                rows.append(3 * s0 + off); offs.append(np.zeros(s0.size))
        s1 = nodes[kind == 1]            # conductor node
        if s1.size:
            rows.append(3 * s1 + 1); offs.append(np.zeros(s1.size))
        s2 = nodes[kind == 2]            # Schottky on semiconductor
        if s2.size:
            rows.append(3 * s2); offs.append(-c.work_function * np.ones(s2.size))
        rows = np.concatenate(rows); offs = np.concatenate(offs)
        keep[rows] = 0
        # a contact row may already hold a tie (conductor nodes): the contact replaces only phi
        Gr.append(rows); Gc.append(rows); Gv.append(np.ones(rows.size))
        h_volt[c.boundary] = (rows, offs)
        others = np.setdiff1d(np.concatenate([dev.contact_nodes[o.boundary] for o in dev.contacts]), nodes)
        regions[c.boundary] = np.union1d(nodes, _conductor_region_nodes(dev, nodes[kind == 1], others))
        sel = np.zeros(3 * N)
        sel[3 * regions[c.boundary] + 1] = 1.0; sel[3 * regions[c.boundary] + 2] = 1.0
        select[c.boundary] = sel
    G = sp.csr_matrix((np.concatenate(Gv), (np.concatenate(Gr), np.concatenate(Gc))), shape=(3 * N, 3 * N))
    # P: keep rows; at conductor nodes the phi row also collects the hole row
    Pr = [np.arange(3 * N)]; Pc = [np.arange(3 * N)]; Pv = [keep]
    cn_kept = cn[keep[3 * cn + 1] > 0]
    Pr.append(3 * cn_kept + 1); Pc.append(3 * cn_kept + 2); Pv.append(np.ones(cn_kept.size))
    for ra, rb in ties:
        Pr.append(ra); Pc.append(rb); Pv.append(np.ones(ra.size))
    P = sp.csr_matrix((np.concatenate(Pv), (np.concatenate(Pr), np.concatenate(Pc))), shape=(3 * N, 3 * N))
    P.eliminate_zeros()
    return Constraints(keep=keep, P=P, G=G, h_fixed=h_fixed, h_volt=h_volt, select=select, region=regions)


def rhs(dev: Device, voltages: dict) -> np.ndarray:
    """Right-hand side of the constraint rows at the contact ``voltages``."""
    cons = dev.constraints
    h = cons.h_fixed.copy()
    for name, (rows, offs) in cons.h_volt.items():
        h[rows] = voltages.get(name, 0.0) + offs
        psi_rows, psi0 = dev.params.ohmic_psi[name]
        h[psi_rows] += psi0
    return h


def evaluate(dev: Device, z: np.ndarray, voltages: dict, driven: tuple = (), targets: tuple = (),
             jacobian: bool = True, poisson_only: bool = False):
    """F(z) and dF/dz. ``driven``: names of current-driven contacts (their voltages are z[3N:]);
    ``targets``: their prescribed currents. Returns F, J (CSR or None), raw (r_int, fluxes).
    ``poisson_only``: only Poisson's rows of F and their psi columns of J are meant (the
    equilibrium's first stage, the quasi-Fermi potentials frozen); the other rows are not."""
    if poisson_only and driven:
        raise ValueError("evaluate: poisson_only has no current-driven contacts")
    cons = dev.constraints
    N3 = 3 * dev.n_nodes
    x = z[:N3]
    volts = dict(voltages)
    for k, name in enumerate(driven):
        volts[name] = z[N3 + k]
    r_int, r_bnd, T_int, T_bnd, fl = assemble(dev, x, jacobian, indices=False,   # the layout has the indices
                                              poisson_only=poisson_only)
    F = cons.P @ (r_int + r_bnd) + cons.G @ x - rhs(dev, volts)
    imf_vals = ()
    if dev.image_force is not None:
        shift, imf_vals = image_force_terms(dev, x[0::3])
        F[3 * dev.image_force["nodes"]] += shift
        imf_vals = imf_vals.ravel()
    extra = [_net_current(dev, fl, _inside(dev, cons.region[name])) - I for name, I in zip(driven, targets)]
    F = np.concatenate([F, extra]) if driven else F
    if not jacobian:
        return F, None, (r_int, fl)
    J = jacobian_matrix(cons.poisson_layout if poisson_only else cons.layout, T_int, T_bnd, imf_vals)
    if driven:
        m = len(driven)
        cols = []
        for k, name in enumerate(driven):
            rows, _ = cons.h_volt[name]
            cols.append(sp.csr_matrix((-np.ones(rows.size), (rows, np.full(rows.size, k))), shape=(N3, m)))
        H = sp.hstack(cols)
        vals = T_int.values()
        Jrows = sp.csr_matrix(np.vstack([cons.layout.selected_row_sum(vals, cons.select[name]) for name in driven]))
        J = sp.bmat([[J, H], [Jrows, None]], format="csr")
        if J.shape[1] < N3 + m:      # bmat drops an empty block column
            J = sp.csr_matrix((J.data, J.indices, J.indptr), shape=(N3 + m, N3 + m))
    return F, J.tocsr(), (r_int, fl)


def _inside(dev: Device, nodes) -> np.ndarray:
    inside = np.zeros(dev.n_nodes, bool)
    inside[nodes] = True
    return inside


def _net_current(dev: Device, fl, inside: np.ndarray) -> float:
    """Net current out of the node set ``inside`` (bool per node), summed over the edges that leave
    it; edges with both ends inside cancel and are left out."""
    g = dev.geom
    total = 0.0
    for elems, flux in ((dev.semi, fl.In + fl.Ip), (dev.cond, fl.Ic)):
        if flux.size:
            ia, ib = inside[g.ea[:, elems]], inside[g.eb[:, elems]]
            total += float(np.sum(flux[ia & ~ib]) - np.sum(flux[ib & ~ia]))
    return total


def terminal_currents(dev: Device, fl) -> dict:
    """Current flowing from each contact into the device (A; A/m in planar geometry), each
    contact's own flux sum (the terminal reading of two contacts: :func:`two_terminal`).

    Read as the net current out of the contact's nodes, unless the conductor region behind them
    carries current its potential cannot resolve: in ITO or a metal the ohmic drop can lie below
    the floating-point resolution of the potential, so the contact nodes see almost nothing of
    it. When the current out of the whole region differs from the contact nodes' by more than
    ``UNRESOLVED_RTOL`` (relative), the region's is taken: it is what the semiconductors (or a
    resistive film) exchange with the conductor, computed from their own, resolved, fluxes (the
    conductor's internal edge currents cancel pairwise). The threshold is the energy balance's
    target: a 4 V ITO node is resolved to ~1e-15 V, a 0.5 nm ITO cell conducts ~1e6 S, so its row
    balances only to ~1e-9 A and the contact nodes of the lim2018 disc at 1 A/cm^2 saw the current
    8e-7 off -- sum V_c I_c = heat + light then failed by as much. (Always taking the region's
    moved a resistive sheet's current by 1e-9, where the contact nodes' conserve to 1e-16.)
    """
    cons = dev.constraints
    out = {}
    for c in dev.contacts:
        inside = np.zeros(dev.n_nodes, bool)
        inside[dev.contact_nodes[c.boundary]] = True
        at_contact = _net_current(dev, fl, inside)
        inside[cons.region[c.boundary]] = True
        over_region = _net_current(dev, fl, inside)
        unresolved = abs(over_region - at_contact) > UNRESOLVED_RTOL * max(abs(over_region), abs(at_contact))
        out[c.boundary] = over_region if unresolved else at_contact
    return out


def two_terminal(currents: dict, voltages: dict) -> dict:
    """``currents`` (each contact's own flux sum) as reported: with two contacts both are read at the
    contact nearer 0 V and the other gets its negative (steady state conserves current); more
    contacts are left as they are. A contact's current is a sum of edge fluxes driven by quasi-Fermi
    differences, resolved to ~1e-16 |V| near a contact at V, so at low bias the biased contact's sum
    is coarse (lim2018 disc at 1 V: 1e-3 apart from the grounded one's)."""
    out = dict(currents)
    if len(out) == 2:
        ref, other = sorted(out, key=lambda k: abs(voltages[k]))
        out[other] = -out[ref]
    return out
