"""Drift-diffusion model on a TaggedMesh: set-up (``Device``) and residual + analytic Jacobian.

Unknowns per node, node-interleaved ``x[3i:3i+3] = (psi_i, phi_n,i, phi_p,i)`` in volts:
electrostatic potential and the electron / hole quasi-Fermi potentials (E_Fn = -q phi_n).
Energies (eV, vacuum-level reference): ``E_c = -chi - psi``, ``E_v = E_c - E_g``, so in a region of
electron affinity chi::

    n = N_c exp((psi + chi - phi_n)/V_T),   p = N_v exp((phi_p - psi - chi - E_g)/V_T)

evaluated per element with that element's chi, E_g, N_c, N_v and temperature: heterojunctions need
no special code (phi continuous, n and p jump). Equations (steady state)::

    -div(eps grad psi) = q (p - n + N_D - N_A)        all non-conductor elements
     div J_n = q R,  div J_p = -q R                   semiconductor elements only (EAFE / SG)
     div(sigma grad phi) = 0, psi = phi - W_F         conductor elements (phi_n = phi_p = phi)

At a node shared by a conductor and a semiconductor the three rows become psi = phi - W_F,
phi_p = phi_n and Kirchhoff's law: ohmic + electron + hole current out of the node = 0 (an ideal
metal-semiconductor contact with infinite recombination velocity). Nodes that touch only
insulators keep phi_n, phi_p fixed (no carriers there).

Residual rows are "current out of the node's control volume" (A; A/m planar), Poisson rows are
charge (C; C/m planar). The Jacobian is assembled as COO triplets vectorised over elements x edges.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from ..constants import T0, eps0, q, thermal_voltage
from ..errors import InputError, check_finite
from ..regions import TaggedMesh
from .contacts import Contact
from .eafe import LOCAL_EDGES, EdgeGeometry, edge_geometry, electron_current, hole_current
from .mobility import poole_frenkel
from .recombination import MECHANISMS, RecombinationCoefficients, rates


@dataclass(frozen=True, eq=False)
class Device:
    """Everything fixed for a solve: mesh geometry, per-element parameters, contacts.

    Build it with :func:`build_device`; all validation happens there (InputError before solving).
    """

    tmesh: TaggedMesh
    geom: EdgeGeometry
    contacts: tuple
    T_node: np.ndarray
    VT: np.ndarray                  # per element
    VT_ref: float                   # smallest thermal voltage (damping and tolerance scale)
    semi: np.ndarray                # element indices
    poisson: np.ndarray             # semiconductor + insulator elements
    cond: np.ndarray                # conductor elements
    eps: np.ndarray                 # per element, F/m
    chi: np.ndarray
    Eg: np.ndarray
    Nc: np.ndarray
    Nv: np.ndarray
    ni2: np.ndarray
    net_doping: np.ndarray          # N_D - N_A, m^-3
    mu_n0: np.ndarray               # zero-field mobility at the element temperature
    mu_p0: np.ndarray
    gamma_n: np.ndarray
    gamma_p: np.ndarray
    sigma: np.ndarray
    E_photon: np.ndarray            # eV per photon
    recomb: RecombinationCoefficients  # arrays over ``semi``
    node_cond: np.ndarray           # bool per node
    node_semi: np.ndarray
    node_wf: np.ndarray             # work function of conductor nodes (eV)
    node_rep: np.ndarray            # representative semiconductor element per node (-1: none)
    contact_nodes: dict             # name -> node indices
    contact_node_kind: dict         # name -> per node: 0 ohmic-semi, 1 conductor, 2 schottky-semi
    schottky: dict                  # name -> facet data for the thermionic terms
    field_dependent: bool
    extra: dict = field(default_factory=dict)

    @property
    def n_nodes(self) -> int:
        return self.geom.n_nodes

    def contact(self, name: str) -> Contact:
        for c in self.contacts:
            if c.boundary == name:
                return c
        raise InputError("contact", name, "one of " + ", ".join(c.boundary for c in self.contacts))

    def neutral_psi(self, nodes, phi):
        """psi at ``nodes`` giving local charge neutrality with phi_n = phi_p = phi."""
        e = self.node_rep[nodes]
        C, ni2, VT = self.net_doping[e], self.ni2[e], self.VT[e]
        half = 0.5 * np.abs(C)
        root = np.sqrt(half ** 2 + ni2)
        big = half + root                       # majority density, no cancellation
        n = np.where(C >= 0, big, ni2 / np.maximum(big, 1e-300))
        return phi + VT * np.log(n / self.Nc[e]) - self.chi[e]


def build_device(tmesh: TaggedMesh, contacts, T=T0, recombination=None, field_dependent_mobility=True,
                 net_doping=None) -> Device:
    """Validate the inputs and precompute the geometry and per-element parameters.

    Parameters
    ----------
    tmesh : TaggedMesh (metres; planar or axisymmetric)
    contacts : sequence of :class:`Contact`; every boundary name must exist, contacts must not
        overlap and must touch a semiconductor or conductor; at least one contact is required.
    T : float or (n_nodes,) nodal temperature field, K (V_T, mobility, n_i per element).
    recombination : None (every mechanism whose coefficients the material sets), or a dict
        region name -> iterable of mechanisms ("radiative", "langevin", "srh", "auger"); regions
        not listed keep their material's mechanisms.
    field_dependent_mobility : use the Poole-Frenkel gamma of each material.
    net_doping : optional (n_elements,) N_D - N_A in m^-3 replacing the materials' doping.
    """
    if not isinstance(tmesh, TaggedMesh):
        raise InputError("tmesh", type(tmesh).__name__, "a fem_cqd TaggedMesh")
    mesh = tmesh.mesh
    N, ne = mesh.p.shape[1], mesh.t.shape[1]
    contacts = tuple(contacts)
    if not contacts:
        raise InputError("contacts", contacts, "at least one Contact")
    names = [c.boundary for c in contacts]
    for c in contacts:
        if not isinstance(c, Contact):
            raise InputError("contacts", c, "Contact instances")
        if c.boundary not in tmesh.boundaries:
            raise InputError("contact boundary", c.boundary, "one of the mesh boundaries: " + ", ".join(sorted(tmesh.boundaries)))
    if len(set(names)) != len(names):
        raise InputError("contacts", names, "each boundary used by one contact only")
    # temperature
    Tn = np.broadcast_to(np.asarray(T, dtype=float), (N,)).copy() if np.ndim(T) == 0 else np.asarray(T, dtype=float)
    if Tn.shape != (N,):
        raise InputError("T", f"shape {Tn.shape}", f"a scalar or ({N},) nodal temperatures")
    check_finite("T", Tn)
    if Tn.min() <= 0:
        raise InputError("T", float(Tn.min()), "temperatures > 0 K")
    Te = Tn[mesh.t].mean(axis=0)
    VT = thermal_voltage(Te)
    kinds = tmesh.element_kind()
    semi = np.flatnonzero(kinds == "semiconductor")
    cond = np.flatnonzero(kinds == "conductor")
    poisson = np.flatnonzero(kinds != "conductor")
    mats = tmesh.region_materials
    reg = tmesh.element_region

    def per_region(fun, default=0.0):
        vals = np.array([fun(m) if fun(m) is not None else default for m in mats], dtype=float)
        return vals[reg]

    # validate material parameters that the solve uses (before any solve)
    for name, m in zip(tmesh.region_names, mats):
        where = f"materials[{m.name!r}] (region {name!r})"
        if m.kind in ("semiconductor", "insulator"):
            if m.relative_permittivity is None or not m.relative_permittivity > 0:
                raise InputError(f"{where}.relative_permittivity", m.relative_permittivity, "a number > 0")
        if m.kind == "semiconductor":
            for prop in ("Nc", "Nv", "mu_n", "mu_p", "band_gap"):
                v = getattr(m, prop)
                if v is None or not np.isfinite(v) or v <= 0:
                    raise InputError(f"{where}.{prop}", v, "a number > 0")
            if m.electron_affinity is None or not np.isfinite(m.electron_affinity):
                raise InputError(f"{where}.electron_affinity", m.electron_affinity, "a finite number (eV)")
            for prop in ("donors", "acceptors", "radiative_coefficient", "langevin_factor",
                         "auger_n", "auger_p"):
                v = getattr(m, prop)
                if not np.isfinite(v) or v < 0:
                    raise InputError(f"{where}.{prop}", v, "a number >= 0")
            if not 0 <= m.langevin_radiative_fraction <= 1:
                raise InputError(f"{where}.langevin_radiative_fraction", m.langevin_radiative_fraction, "a number in [0, 1]")
            if (m.srh_tau_n is None) != (m.srh_tau_p is None):
                raise InputError(f"{where}.srh_tau_n/srh_tau_p", (m.srh_tau_n, m.srh_tau_p), "both lifetimes or neither")
            for prop in ("srh_tau_n", "srh_tau_p"):
                v = getattr(m, prop)
                if v is not None and not (np.isfinite(v) and v > 0):
                    raise InputError(f"{where}.{prop}", v, "a lifetime > 0 s")
        if m.kind == "conductor":
            for prop in ("conductivity", "work_function"):
                v = getattr(m, prop)
                if v is None or not np.isfinite(v) or v <= 0:
                    raise InputError(f"{where}.{prop}", v, "a number > 0")

    eps = eps0 * per_region(lambda m: m.relative_permittivity, 1.0)
    chi = per_region(lambda m: m.electron_affinity)
    Eg = per_region(lambda m: m.band_gap, 1.0)
    Nc = per_region(lambda m: m.Nc, 1.0)
    Nv = per_region(lambda m: m.Nv, 1.0)
    ni2 = Nc * Nv * np.exp(-Eg / VT)
    if net_doping is None:
        C = per_region(lambda m: m.donors) - per_region(lambda m: m.acceptors)
    else:
        C = np.asarray(net_doping, dtype=float)
        if C.shape != (ne,):
            raise InputError("net_doping", f"shape {C.shape}", f"({ne},) per-element N_D - N_A")
        check_finite("net_doping", C)
    C = np.where(kinds == "semiconductor", C, 0.0)
    tf = np.ones(ne)
    for r, m in enumerate(mats):
        sel = reg == r
        tf[sel] = m.mobility_temperature_factor(Te[sel])
    mu_n0 = per_region(lambda m: m.mu_n, 0.0) * tf
    mu_p0 = per_region(lambda m: m.mu_p, 0.0) * tf
    gamma_n = per_region(lambda m: m.pf_gamma_n) if field_dependent_mobility else np.zeros(ne)
    gamma_p = per_region(lambda m: m.pf_gamma_p) if field_dependent_mobility else np.zeros(ne)
    sigma = per_region(lambda m: m.conductivity if m.kind == "conductor" else 0.0)
    wf = per_region(lambda m: m.work_function if m.kind == "conductor" else 0.0)
    E_ph = per_region(lambda m: m.emission_energy if m.emission_energy is not None else m.band_gap, 0.0)

    # recombination switches
    on = {r: {k: True for k in MECHANISMS} for r in range(len(mats))}
    if recombination is not None:
        for rname, mechs in dict(recombination).items():
            ri = tmesh.region_index(rname)
            mechs = tuple(mechs)
            for mk in mechs:
                if mk not in MECHANISMS:
                    raise InputError(f"recombination[{rname!r}]", mk, "one of " + ", ".join(MECHANISMS))
            on[ri] = {k: (k in mechs) for k in MECHANISMS}
    def coef(fun, mech, default=0.0):
        vals = np.array([(fun(m) if fun(m) is not None else default) if on[r][mech] else default
                         for r, m in enumerate(mats)], dtype=float)
        return vals[reg][semi]
    es = semi
    k_rad = coef(lambda m: m.radiative_coefficient, "radiative")
    k_lang = coef(lambda m: m.langevin_factor, "langevin") * q * (mu_n0[es] + mu_p0[es]) / eps[es]
    frac = coef(lambda m: m.langevin_radiative_fraction, "langevin", 1.0)
    srh_on = coef(lambda m: 1.0 if m.srh_tau_n is not None else 0.0, "srh")
    tau_n = coef(lambda m: m.srh_tau_n, "srh", 1.0)
    tau_p = coef(lambda m: m.srh_tau_p, "srh", 1.0)
    co = RecombinationCoefficients(k_rad=k_rad, k_lang=k_lang, frac_lang=frac, inv_srh=srh_on,
                                   tau_n=np.where(srh_on > 0, tau_n, 1.0), tau_p=np.where(srh_on > 0, tau_p, 1.0),
                                   c_n=coef(lambda m: m.auger_n, "auger"), c_p=coef(lambda m: m.auger_p, "auger"))

    geom = edge_geometry(mesh.p, mesh.t, axisymmetric=(tmesh.geometry == "axisymmetric"))
    # node classes
    node_cond = np.zeros(N, bool)
    node_cond[mesh.t[:, cond].ravel()] = True
    node_semi = np.zeros(N, bool)
    node_semi[mesh.t[:, semi].ravel()] = True
    node_wf = np.zeros(N)
    node_wf[mesh.t[:, cond].ravel()] = np.repeat(wf[cond][None, :], 3, axis=0).ravel()
    node_rep = -np.ones(N, dtype=np.int64)
    if semi.size:
        nodes = mesh.t[:, semi].ravel()
        elems = np.tile(semi, 3)
        vols = geom.vol[:, semi].ravel()
        order = np.lexsort((vols, nodes))
        last = np.r_[nodes[order][1:] != nodes[order][:-1], True]
        node_rep[nodes[order][last]] = elems[order][last]
    if semi.size == 0 and cond.size == 0:
        raise InputError("tmesh regions", tmesh.region_names, "at least one semiconductor or conductor region")

    contact_nodes, contact_kind, schottky = {}, {}, {}
    seen = np.zeros(N, bool)
    f2t = mesh.f2t
    for c in contacts:
        nodes = tmesh.boundary_nodes(c.boundary)
        if nodes.size == 0:
            raise InputError(f"contacts[{c.boundary!r}]", c.boundary, "a boundary with at least one facet")
        if np.any(seen[nodes]):
            raise InputError(f"contacts[{c.boundary!r}]", c.boundary, "contacts that do not share nodes")
        seen[nodes] = True
        bad = ~(node_cond[nodes] | node_semi[nodes])
        if np.any(bad):
            raise InputError(f"contacts[{c.boundary!r}]", c.boundary,
                             "a boundary on a semiconductor or conductor region (it touches only insulator "
                             f"at {int(bad.sum())} nodes)")
        kind = np.where(node_cond[nodes], 1, 2 if c.kind == "schottky" else 0)
        contact_nodes[c.boundary] = nodes
        contact_kind[c.boundary] = kind
        if c.kind == "schottky":
            facets = tmesh.boundary(c.boundary)
            el = f2t[0, facets]
            fn = mesh.facets[:, facets]                               # (2, nf)
            keep = (kinds[el] == "semiconductor") & ~node_cond[fn].any(axis=0)
            facets, el, fn = facets[keep], el[keep], fn[:, keep]
            x, y = mesh.p[0][fn], mesh.p[1][fn]
            L = np.hypot(x[1] - x[0], y[1] - y[0])
            if geom.axisymmetric:
                A = 2 * np.pi * L * (2 * x + x[::-1]) / 6.0          # int 2 pi r phi_i ds
            else:
                A = np.vstack([L / 2, L / 2])
            wfc = c.work_function
            n0 = Nc[el] * np.exp((chi[el] - wfc) / VT[el])
            p0 = Nv[el] * np.exp((wfc - chi[el] - Eg[el]) / VT[el])
            schottky[c.boundary] = dict(nodes=fn, elem=el, area=A, n0=n0, p0=p0, v_n=c.v_n, v_p=c.v_p)
    return Device(tmesh=tmesh, geom=geom, contacts=contacts, T_node=Tn, VT=VT, VT_ref=float(VT.min()),
                  semi=semi, poisson=poisson, cond=cond, eps=eps, chi=chi, Eg=Eg, Nc=Nc, Nv=Nv, ni2=ni2,
                  net_doping=C, mu_n0=mu_n0, mu_p0=mu_p0, gamma_n=gamma_n, gamma_p=gamma_p, sigma=sigma,
                  E_photon=E_ph, recomb=co, node_cond=node_cond, node_semi=node_semi, node_wf=node_wf,
                  node_rep=node_rep, contact_nodes=contact_nodes, contact_node_kind=contact_kind,
                  schottky=schottky, field_dependent=bool(np.any(gamma_n[semi]) or np.any(gamma_p[semi])))


# ----------------------------------------------------------------------------------------------
# assembly

class Triplets:
    """Jacobian entries (row, column, value) in the order the assembly adds them.

    Which entries are added, and in which order, depends on the device only (never on the state
    x), so their layout in the final CSR matrix is computed once (``fem_cqd.electrical.system``)
    and each evaluation only scatters the values (``test_dd_diode`` checks the invariant)."""

    def __init__(self):
        self._r, self._c, self._v = [], [], []

    def add(self, rows, cols, vals):
        rows, cols, vals = np.broadcast_arrays(rows, cols, vals)
        self._r.append(rows.ravel()); self._c.append(cols.ravel()); self._v.append(vals.ravel())

    def arrays(self):
        """(rows, cols, vals), concatenated."""
        if not self._r:
            return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
        return np.concatenate(self._r), np.concatenate(self._c), self.values()

    def values(self):
        return np.concatenate(self._v) if self._v else np.zeros(0)

    def matrix(self, n):
        r, c, v = self.arrays()
        return sp.csr_matrix((v, (r, c)), shape=(n, n))


@dataclass
class Fluxes:
    """Element-level quantities from one evaluation (for post-processing)."""

    n: np.ndarray          # (3, ns) vertex densities per semiconductor element
    p: np.ndarray
    In: np.ndarray         # (3, ns) edge currents a -> b
    Ip: np.ndarray
    Ic: np.ndarray         # (3, nc) conductor edge currents
    R: np.ndarray          # (3, ns)
    R_rad: np.ndarray
    mu_n: np.ndarray       # (ns,)
    mu_p: np.ndarray
    bn: dict               # contact -> (2, nf) Schottky boundary term (electron row)
    bp: dict


def assemble(dev: Device, x: np.ndarray, jacobian: bool = True):
    """Raw residuals and Jacobian, before contact / conductor rows are applied.

    Returns ``r_int`` (3N,), ``r_bnd`` (3N,), the Jacobian entries of each as :class:`Triplets`
    (None without ``jacobian``), Fluxes.
    Row 3i: Poisson; 3i+1: electron continuity + conductor current; 3i+2: hole continuity.
    ``r_bnd`` holds the Schottky surface terms (kept apart: terminal currents use ``r_int``).
    """
    N = dev.n_nodes
    g = dev.geom
    psi, phin, phip = x[0::3], x[1::3], x[2::3]
    r = np.zeros(3 * N)
    rb = np.zeros(3 * N)
    T = Triplets() if jacobian else None
    Tb = Triplets() if jacobian else None

    def acc(rows, vals):
        r[:] += np.bincount(rows.ravel(), vals.ravel(), minlength=3 * N)

    # --- Poisson: edge part on semiconductor + insulator elements --------------------------
    P = dev.poisson
    if P.size:
        a, b = g.ea[:, P], g.eb[:, P]
        we = g.weight[:, P] * dev.eps[P]
        f = we * (psi[a] - psi[b])
        acc(3 * a, f); acc(3 * b, -f)
        if jacobian:
            T.add(3 * a, 3 * a, we); T.add(3 * a, 3 * b, -we)
            T.add(3 * b, 3 * a, -we); T.add(3 * b, 3 * b, we)

    S = dev.semi
    ns = S.size
    In = Ip = n = p = R = R_rad = np.zeros((3, 0))
    mu_n = mu_p = np.zeros(0)
    if ns:
        t = g.t[:, S]
        VT = dev.VT[S]
        chi, Eg = dev.chi[S], dev.Eg[S]
        pe, fn, fp = psi[t], phin[t], phip[t]
        with np.errstate(over="ignore", under="ignore"):
            n = dev.Nc[S] * np.exp((pe + chi - fn) / VT)
            p = dev.Nv[S] * np.exp((fp - pe - chi - Eg) / VT)
        vol = g.vol[:, S]
        # charge
        C = dev.net_doping[S]
        acc(3 * t, -q * vol * (p - n + C))
        if jacobian:
            T.add(3 * t, 3 * t, q * vol * (n + p) / VT)
            T.add(3 * t, 3 * t + 1, -q * vol * n / VT)
            T.add(3 * t, 3 * t + 2, -q * vol * p / VT)
        # mobility
        if dev.field_dependent:
            mu_n, dmu_n, _ = poole_frenkel(dev.mu_n0[S], dev.gamma_n[S], g.grad[:, :, S], pe)
            mu_p, dmu_p, _ = poole_frenkel(dev.mu_p0[S], dev.gamma_p[S], g.grad[:, :, S], pe)
        else:
            mu_n, mu_p = dev.mu_n0[S], dev.mu_p0[S]
        # edge currents
        a, b = g.ea[:, S], g.eb[:, S]
        ia = [e[0] for e in LOCAL_EDGES]
        ib = [e[1] for e in LOCAL_EDGES]
        delta = (psi[b] - psi[a]) / VT
        w = g.weight[:, S]
        cn = w * q * mu_n * VT
        cp = w * q * mu_p * VT
        In, dn_pa, dn_pb, dn_fa, dn_fb = electron_current(cn, n[ia], delta, (phin[a] - phin[b]) / VT, VT)
        Ip, dp_pa, dp_pb, dp_fa, dp_fb = hole_current(cp, p[ia], delta, (phip[a] - phip[b]) / VT, VT)
        acc(3 * a + 1, In); acc(3 * b + 1, -In)
        acc(3 * a + 2, Ip); acc(3 * b + 2, -Ip)
        if jacobian:
            for row, sgn in ((a, 1.0), (b, -1.0)):
                T.add(3 * row + 1, 3 * a, sgn * dn_pa); T.add(3 * row + 1, 3 * b, sgn * dn_pb)
                T.add(3 * row + 1, 3 * a + 1, sgn * dn_fa); T.add(3 * row + 1, 3 * b + 1, sgn * dn_fb)
                T.add(3 * row + 2, 3 * a, sgn * dp_pa); T.add(3 * row + 2, 3 * b, sgn * dp_pb)
                T.add(3 * row + 2, 3 * a + 2, sgn * dp_fa); T.add(3 * row + 2, 3 * b + 2, sgn * dp_fb)
            if dev.field_dependent:
                for cur, mu, dmu, gam, off in ((In, mu_n, dmu_n, dev.gamma_n[S], 1),
                                               (Ip, mu_p, dmu_p, dev.gamma_p[S], 2)):
                    if not np.any(gam):     # by device, not by state: the entry layout is fixed
                        continue
                    ratio = cur / np.where(mu > 0, mu, 1.0)          # (3 edges, ns)
                    for k in range(3):
                        d = ratio * dmu[k]                          # d I_edge / d psi_{t_k}
                        T.add(3 * a + off, 3 * t[k], d)
                        T.add(3 * b + off, 3 * t[k], -d)
        # recombination
        if dev.recomb.any:
            ni2 = dev.ni2[S]
            em1 = np.expm1((fp - fn) / VT)
            R, R_rad, dR = rates(n, p, ni2, em1, np.sqrt(ni2), VT, dev.recomb)
            acc(3 * t + 1, -q * vol * R)
            acc(3 * t + 2, q * vol * R)
            if jacobian:
                for k in range(3):
                    T.add(3 * t + 1, 3 * t + k, -q * vol * dR[k])
                    T.add(3 * t + 2, 3 * t + k, q * vol * dR[k])
        else:
            R = R_rad = np.zeros_like(n)

    # --- conductors: Ohm's law on phi (stored in the phi_n slot) ---------------------------
    Cd = dev.cond
    Ic = np.zeros((3, 0))
    if Cd.size:
        a, b = g.ea[:, Cd], g.eb[:, Cd]
        ws = g.weight[:, Cd] * dev.sigma[Cd]
        Ic = ws * (phin[a] - phin[b])
        acc(3 * a + 1, Ic); acc(3 * b + 1, -Ic)
        if jacobian:
            T.add(3 * a + 1, 3 * a + 1, ws); T.add(3 * a + 1, 3 * b + 1, -ws)
            T.add(3 * b + 1, 3 * a + 1, -ws); T.add(3 * b + 1, 3 * b + 1, ws)

    # --- Schottky surface terms ------------------------------------------------------------
    bn, bp = {}, {}
    for name, s in dev.schottky.items():
        fnod, el, A = s["nodes"], s["elem"], s["area"]
        VT = dev.VT[el]
        with np.errstate(over="ignore", under="ignore"):
            nn = dev.Nc[el] * np.exp((psi[fnod] + dev.chi[el] - phin[fnod]) / VT)
            pp = dev.Nv[el] * np.exp((phip[fnod] - psi[fnod] - dev.chi[el] - dev.Eg[el]) / VT)
        kn = q * s["v_n"] * A
        kp = q * s["v_p"] * A
        bn[name] = -kn * (nn - s["n0"])
        bp[name] = kp * (pp - s["p0"])
        rb += np.bincount((3 * fnod + 1).ravel(), bn[name].ravel(), minlength=3 * N)
        rb += np.bincount((3 * fnod + 2).ravel(), bp[name].ravel(), minlength=3 * N)
        if jacobian:
            Tb.add(3 * fnod + 1, 3 * fnod, -kn * nn / VT)
            Tb.add(3 * fnod + 1, 3 * fnod + 1, kn * nn / VT)
            Tb.add(3 * fnod + 2, 3 * fnod, -kp * pp / VT)
            Tb.add(3 * fnod + 2, 3 * fnod + 2, kp * pp / VT)

    fl = Fluxes(n=n, p=p, In=In, Ip=Ip, Ic=Ic, R=R, R_rad=R_rad, mu_n=mu_n, mu_p=mu_p, bn=bn, bp=bp)
    if not jacobian:
        return r, rb, None, None, fl
    return r, rb, T, Tb, fl
