"""Thermionic emission at a heterointerface: quasi-Fermi levels that jump across it (an option).

By default a node on the interface of two semiconductor regions carries one (psi, phi_n, phi_p),
each side's density following from its own band edges and statistics: continuous quasi-Fermi
levels, the limit of an interface that passes any current. A :class:`ThermionicInterface` between
regions A and B instead gives every node of that interface a second copy on side B (the elements
of B use it); psi stays single-valued (tie row psi_B = psi_A, the B copy's Poisson row added to
A's), while each carrier's quasi-Fermi potential may differ on the two sides, tied by the
thermionic-emission current over the band offset (per node, through its share S of the interface,
A -> B)::

    I_p = q v_p S [p_X(psi, phi_p,A) - p_X(psi, phi_p,B)]
    I_n = -q v_n S [n_X(psi, phi_n,A) - n_X(psi, phi_n,B)]

with X the barrier side of that carrier (holes: the deeper HOMO centre, chi + E_g larger;
electrons: the higher LUMO centre, chi smaller) and p_X(psi, phi) its density at the interface
potential and a quasi-Fermi potential, in X's own statistics (Boltzmann, Fermi-Dirac or
Gauss-Fermi). For Boltzmann carriers this is Richardson's thermionic emission,
J = q v [p_A exp(-Delta E/kT) (N_X/N_A) - p_B] with v = A* T^2 / (q N_X) (Horio & Yanai, IEEE TED
37, 1093 (1990); Yang, Jiao & Lundstrom, Solid-State Electron. 36, 321 (1993)); for hopping
organics v is an effective interface velocity (in the spirit of the interface models of
ChargeTransport.jl). The current vanishes when the quasi-Fermi levels agree (equilibrium stays
exact, for any statistics); as v grows it tends to the continuous default; its Joule heat
I (phi_A - phi_B) >= 0 is dissipated at the node. Nodes of the interface that also touch a
conductor keep one copy (a contact sets their levels anyway).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..constants import q
from ..errors import InputError
from .eafe import boundary_face_areas


@dataclass(frozen=True)
class ThermionicInterface:
    """Thermionic-emission conditions between semiconductor regions ``region_a`` and ``region_b``.

    ``v_n_m_per_s``, ``v_p_m_per_s``: interface velocities (m/s, > 0; ``None`` keeps that carrier's
    quasi-Fermi level continuous, the default behaviour)."""

    region_a: str
    region_b: str
    v_n_m_per_s: float | None = None
    v_p_m_per_s: float | None = None

    def __post_init__(self):
        for field in ("v_n_m_per_s", "v_p_m_per_s"):
            v = getattr(self, field)
            if v is not None and not (isinstance(v, (int, float)) and np.isfinite(v) and v > 0):
                raise InputError(f"ThermionicInterface.{field}", v, "a finite velocity > 0 m/s, or None (continuous)")
        if self.v_n_m_per_s is None and self.v_p_m_per_s is None:
            raise InputError("ThermionicInterface", "v_n_m_per_s = v_p_m_per_s = None",
                             "a velocity for at least one carrier")


@dataclass(frozen=True, eq=False)
class Split:
    """The interface nodes and their copies: ``t`` (3, ne) element nodes with side B's elements on
    the copies, ``origin`` (N + m,) the mesh node of every solver node, and per pair (m,): ``a``
    (mesh node), ``b`` (its copy), ``area`` (the node's share of the interface, m^2 or m per metre
    planar), ``elem_n``/``elem_p`` (a representative element of each carrier's barrier side),
    ``v_n``/``v_p`` (m/s, 0 where that carrier stays continuous) and statistics groups per carrier."""

    t: np.ndarray
    origin: np.ndarray
    a: np.ndarray
    b: np.ndarray
    area: np.ndarray
    elem_n: np.ndarray
    elem_p: np.ndarray
    v_n: np.ndarray
    v_p: np.ndarray
    groups_n: tuple
    groups_p: tuple


def split_nodes(tmesh, interfaces, kinds, chi, Eg, stat_of_elem, axisymmetric: bool) -> Split | None:
    """Copy the nodes of each :class:`ThermionicInterface` (module doc); None without any."""
    interfaces = tuple(interfaces)
    if not interfaces:
        return None
    mesh = tmesh.mesh
    N, t = mesh.p.shape[1], mesh.t.copy()
    reg = tmesh.element_region
    cond_node = np.zeros(N, bool)
    cond_node[mesh.t[:, kinds == "conductor"].ravel()] = True
    f2t = mesh.f2t
    inner = np.flatnonzero(f2t[1] >= 0)
    e0, e1 = f2t[0, inner], f2t[1, inner]
    a_all, b_all, area_all, eA_all, eB_all, vn_all, vp_all = [], [], [], [], [], [], []
    taken = np.zeros(N, bool)
    for k, itf in enumerate(interfaces):
        if not isinstance(itf, ThermionicInterface):
            raise InputError(f"thermionic_interfaces[{k}]", itf, "ThermionicInterface instances")
        ra, rb = (tmesh.region_index(itf.region_a), tmesh.region_index(itf.region_b))
        for r, name in ((ra, itf.region_a), (rb, itf.region_b)):
            if tmesh.region_materials[r].kind != "semiconductor":
                raise InputError(f"thermionic_interfaces[{k}]", name, "two semiconductor regions")
        if ra == rb:
            raise InputError(f"thermionic_interfaces[{k}]", (itf.region_a, itf.region_b), "two different regions")
        on_a = (reg[e0] == ra) & (reg[e1] == rb)
        on_b = (reg[e0] == rb) & (reg[e1] == ra)
        fac = np.r_[inner[on_a], inner[on_b]]
        elA, elB = np.r_[e0[on_a], e1[on_b]], np.r_[e1[on_a], e0[on_b]]
        if fac.size == 0:
            raise InputError(f"thermionic_interfaces[{k}]", (itf.region_a, itf.region_b), "regions that share an interface")
        fn = mesh.facets[:, fac]                                   # (2, nf)
        x, y = mesh.p[0][fn], mesh.p[1][fn]
        L = np.hypot(x[1] - x[0], y[1] - y[0])
        share = boundary_face_areas(L, x, axisymmetric)
        nodes = np.unique(fn)
        nodes = nodes[~cond_node[nodes]]
        if np.any(taken[nodes]):
            raise InputError("thermionic_interfaces", [(i.region_a, i.region_b) for i in interfaces],
                             "interfaces that do not share nodes")
        taken[nodes] = True
        area = np.bincount(fn.ravel(), share.ravel(), minlength=N)[nodes]
        first = {}
        for j in range(2):                                         # a representative element per node and side
            for nd, ea, eb in zip(fn[j], elA, elB):
                first.setdefault(int(nd), (int(ea), int(eb)))
        eA = np.array([first[int(nd)][0] for nd in nodes])
        eB = np.array([first[int(nd)][1] for nd in nodes])
        a_all.append(nodes); area_all.append(area); eA_all.append(eA); eB_all.append(eB)
        vn_all.append(np.full(nodes.size, itf.v_n_m_per_s or 0.0))
        vp_all.append(np.full(nodes.size, itf.v_p_m_per_s or 0.0))
        # side B's elements take the copies
        copy_of = np.full(N, -1)
        copy_of[nodes] = N + sum(v.size for v in b_all) + np.arange(nodes.size)
        b_all.append(copy_of[nodes])
        elems_b = np.flatnonzero(reg == rb)
        tb = t[:, elems_b]
        t[:, elems_b] = np.where(copy_of[tb] >= 0, copy_of[tb], tb)
    a, b = np.concatenate(a_all), np.concatenate(b_all)
    eA, eB = np.concatenate(eA_all), np.concatenate(eB_all)
    elem_p = np.where(chi[eB] + Eg[eB] >= chi[eA] + Eg[eA], eB, eA)   # deeper HOMO: the holes' barrier side
    elem_n = np.where(chi[eB] <= chi[eA], eB, eA)                      # higher LUMO: the electrons'

    def groups(elems):
        st = np.array([stat_of_elem[int(e)] for e in elems])
        return tuple((s, np.flatnonzero(st == s)) for s in sorted(set(st.tolist())))
    return Split(t=t, origin=np.r_[np.arange(N), a], a=a, b=b, area=np.concatenate(area_all), elem_n=elem_n,
                 elem_p=elem_p, v_n=np.concatenate(vn_all), v_p=np.concatenate(vp_all), groups_n=groups(elem_n),
                 groups_p=groups(elem_p))


def interface_currents(dev, psi, phin, phip, T=None):
    """Thermionic currents A -> B (module doc) of every copied node, (I_n, I_p) (A; A/m planar), and
    with Triplets ``T`` their Jacobian entries added to the continuity rows of both copies."""
    sp_ = dev.split
    par = dev.params
    a, b = sp_.a, sp_.b
    out = []
    for off, elem, groups, v in ((1, sp_.elem_n, sp_.groups_n, sp_.v_n), (2, sp_.elem_p, sp_.groups_p, sp_.v_p)):
        if not (dev.has_electrons if off == 1 else dev.has_holes):     # a single-carrier device
            out.append(np.zeros(a.size))
            continue
        VT = par.VT[elem]
        dens, ddens = [], []
        for side in (a, b):
            fn = phin[side] if off == 1 else phin[a]
            fp = phip[side] if off == 2 else phip[a]
            with np.errstate(over="ignore", under="ignore"):
                Ln, _, dn, Lp, _, dp = dev.log_densities(elem, psi[a], fn, fp, VT, par.s_n[elem], par.s_p[elem], groups)
            L, d = (Ln, dn) if off == 1 else (Lp, dp)
            dens.append(np.exp(L)); ddens.append(np.exp(L) * d / VT)     # density and |d density / d phi|
        sign = -1.0 if off == 1 else 1.0                     # electrons: current opposite to the particle flux
        k = q * v * sp_.area
        I = sign * k * (dens[0] - dens[1])
        out.append(I)
        if T is not None:
            # d/dphi: holes +dens' , electrons -dens' (n falls with phi_n); d/dpsi: the opposite
            s_phi = 1.0 if off == 2 else -1.0
            dI_phia = sign * k * s_phi * ddens[0]
            dI_phib = -sign * k * s_phi * ddens[1]
            dI_psi = -sign * k * s_phi * (ddens[0] - ddens[1])
            for row, sgn in ((a, 1.0), (b, -1.0)):
                T.add(3 * row + off, 3 * a, sgn * dI_psi)
                T.add(3 * row + off, 3 * a + off, sgn * dI_phia)
                T.add(3 * row + off, 3 * b + off, sgn * dI_phib)
    return tuple(out)
