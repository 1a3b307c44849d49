"""Drift-diffusion residual and analytic Jacobian of a :class:`~.device.Device`.

Unknowns per node, node-interleaved ``x[3i:3i+3] = (psi_i, phi_n,i, phi_p,i)`` in volts:
electrostatic potential and the electron / hole quasi-Fermi potentials (E_Fn = -q phi_n).
Densities per element vertex through the element's statistics (:meth:`.device.Device.log_densities`,
L = ln n, ln p). Equations (steady state)::

    -div(eps grad psi) = q (p - n + N_D - N_A)        all non-conductor elements
     div J_n = q R,  div J_p = -q R                   semiconductor elements only (EAFE / SG, :mod:`.eafe`)
     div(sigma grad phi) = 0, psi = phi - W_F         conductor elements (phi_n = phi_p = phi)

At a heterointerface with thermionic emission (:mod:`.heterointerface`) the interface nodes have a
copy on side B and the two copies exchange the thermionic currents in their continuity rows.

Mobilities per edge from the region's model (:mod:`.mobility`), recombination summed over the
region's mechanisms (:mod:`.recombination`). At a node shared by a conductor and a semiconductor
the three rows become psi = phi - W_F, phi_p = phi_n and Kirchhoff's law: ohmic + electron + hole
current out of the node = 0 (an ideal metal-semiconductor contact with infinite recombination
velocity; :mod:`.system`). Nodes that touch only insulators keep phi_n, phi_p fixed.

Residual rows are "current out of the node's control volume" (A; A/m planar), Poisson rows are
charge (C; C/m planar). The Jacobian is assembled as triplets vectorised over elements x edges, in
an order that depends on the device only, so their CSR layout is computed once per device.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ..constants import q
from .device import Device
from .eafe import LOCAL_EDGES, electron_current, hole_current
from .heterointerface import interface_currents
from .mobility import MOBILITY, Inputs, field_magnitude
from .recombination import rates

IA = np.array([e[0] for e in LOCAL_EDGES])
IB = np.array([e[1] for e in LOCAL_EDGES])


class Triplets:
    """Jacobian entries (row, column, value) in the order the assembly adds them.

    Which entries are added, and in which order, depends on the device only (never on the state
    x), so their layout in the final CSR matrix is computed once (``fem_cqd.electrical.system``)
    and each evaluation only scatters the values (``test_dd_diode`` checks the invariant). With
    ``indices=False`` only the values are kept (the layout knows the rows and columns): copying
    the broadcast index arrays took a quarter of an assembly (60 of 260 ms at 9.6M entries)."""

    def __init__(self, indices: bool = True):
        self._indices = indices
        self._r, self._c, self._v = [], [], []

    def add(self, rows, cols, vals):
        if not self._indices:
            shape = np.broadcast_shapes(np.shape(rows), np.shape(cols), np.shape(vals))
            self._v.append(np.broadcast_to(vals, shape).ravel())
            return
        rows, cols, vals = np.broadcast_arrays(rows, cols, vals)
        self._r.append(rows.ravel()); self._c.append(cols.ravel()); self._v.append(vals.ravel())

    def arrays(self):
        """(rows, cols, vals), concatenated (of Triplets kept with their indices)."""
        if not self._indices:
            raise ValueError("Triplets(indices=False) keeps the values only")
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
    Ln: np.ndarray         # (3, ns) ln n at the vertices
    Lp: np.ndarray
    Dn: np.ndarray         # (3, ns) drift arguments of the edge fluxes (eafe module doc)
    Dp: np.ndarray
    In: np.ndarray         # (3, ns) edge currents a -> b
    Ip: np.ndarray
    Ic: np.ndarray         # (3, nc) conductor edge currents
    R: np.ndarray          # (3, ns)
    R_rad: np.ndarray
    mu_n: np.ndarray       # (3, ns) edge mobilities
    mu_p: np.ndarray
    bn: dict               # contact -> (2, nf) Schottky boundary term (electron row)
    bp: dict
    In_if: np.ndarray      # (m,) thermionic currents A -> B at heterointerface node pairs (:mod:`.heterointerface`)
    Ip_if: np.ndarray


def _mobility(dev: Device, groups, mu0, gamma, sigma, N0, S, F, L_edge):
    """Edge mobilities (3, ns) and derivatives d mu/dF (3, ns), d mu / d ln c (3, ns) (zeros where a
    model has none), per region model."""
    ns = S.size
    mu = np.empty((3, ns)); dF = np.zeros((3, ns)); dL = np.zeros((3, ns))
    s_hat = sigma / (dev.VT[S])
    for name, pos in groups:
        inp = Inputs(mu0=mu0[pos], gamma=gamma[pos], F=F[pos] if F is not None else None,
                     L_edge=L_edge[:, pos], s_hat=s_hat[pos], a=N0[pos] ** (-1.0 / 3.0), sigma=sigma[pos])
        m, df, dl = MOBILITY[name].evaluate(inp)
        mu[:, pos] = m
        if df is not None:
            dF[:, pos] = df
        if dl is not None:
            dL[:, pos] = dl
    return mu, dF, dL


@dataclass
class _Carrier:
    """One carrier's vertex values on the semiconductor elements, (3, ns) each: ln density L,
    excess chemical potential gamma, and their derivatives with respect to the vertex's own psi and
    phi; kappa = +1 (electrons: D = dpsi/V_T + gamma_a - gamma_b) or -1 (holes)."""

    L: np.ndarray
    gamma: np.ndarray
    L_psi: np.ndarray
    L_phi: np.ndarray
    g_psi: np.ndarray
    g_phi: np.ndarray
    kappa: float


def _carriers(dev: Device, S, pe, fn, fp, VT):
    """The two _Carrier records (electrons, holes)."""
    par = dev.params
    Ln, gn, dn, Lp, gp, dp = dev.log_densities(S, pe, fn, fp, VT, par.s_n[S], par.s_p[S], dev.statistics)
    return (_Carrier(Ln, gn, dn / VT, -dn / VT, (1 - dn) / VT, -(1 - dn) / VT, 1.0),
            _Carrier(Lp, gp, -dp / VT, dp / VT, -(1 - dp) / VT, (1 - dp) / VT, -1.0))


def _edge_currents(T, a, b, t, off, c: _Carrier, flux, cmu, dpsi, x, VT, mu, dmu_dF, dF, dmu_dL, dense):
    """Edge currents (3, ns) of one carrier (``flux``: electron_current or hole_current; row
    offset ``off``: 1 electrons, 2 holes) and, given Triplets ``T``, their Jacobian entries.
    ``cmu`` = w q V_T mu, ``dpsi`` = psi_b - psi_a, ``x`` = (phi_a - phi_b)/V_T."""
    D = dpsi / VT + c.kappa * (c.gamma[IA] - c.gamma[IB])
    I, dI_La, dI_D, dI_x = flux(cmu, c.L[IA], D, x, derivatives=T is not None)
    if T is None:
        return I, D
    ratio = I / np.where(mu > 0, mu, 1.0)                      # dI / dmu
    half = 0.5 * ratio * dmu_dL                                # dI / dL of each end, through mu
    dLa, dLb = dI_La + half, half
    k = c.kappa
    dpsi_a = dLa * c.L_psi[IA] + dI_D * (k * c.g_psi[IA] - 1.0 / VT)
    dpsi_b = dLb * c.L_psi[IB] + dI_D * (1.0 / VT - k * c.g_psi[IB])
    dphi_a = dLa * c.L_phi[IA] + dI_D * k * c.g_phi[IA] + dI_x / VT
    dphi_b = dLb * c.L_phi[IB] - dI_D * k * c.g_phi[IB] - dI_x / VT
    if dense:
        d = (ratio * dmu_dF)[:, None, :] * dF[None, :, :]        # dI_edge / dpsi_j, (3, 3, ns)
        d[np.arange(3), IA] += dpsi_a
        d[np.arange(3), IB] += dpsi_b
        for j in range(3):
            T.add(3 * a + off, 3 * t[j], d[:, j])
            T.add(3 * b + off, 3 * t[j], -d[:, j])
    else:
        for row, sgn in ((a, 1.0), (b, -1.0)):
            T.add(3 * row + off, 3 * a, sgn * dpsi_a); T.add(3 * row + off, 3 * b, sgn * dpsi_b)
    for row, sgn in ((a, 1.0), (b, -1.0)):
        T.add(3 * row + off, 3 * a + off, sgn * dphi_a); T.add(3 * row + off, 3 * b + off, sgn * dphi_b)
    return I, D


def assemble(dev: Device, x: np.ndarray, jacobian: bool = True, indices: bool = True,
             poisson_only: bool = False):
    """Raw residuals and Jacobian, before contact / conductor rows are applied.

    Returns ``r_int`` (3N,), ``r_bnd`` (3N,), the Jacobian entries of each as :class:`Triplets`
    (None without ``jacobian``; values only without ``indices``), Fluxes.
    ``poisson_only``: Poisson's rows alone and their psi derivatives (the continuity rows are left
    0, the fluxes' currents, mobilities and rates too) -- the equilibrium's Poisson stage, where the
    quasi-Fermi potentials are frozen; a third of the work of a full assembly.
    Row 3i: Poisson; 3i+1: electron continuity + conductor current; 3i+2: hole continuity.
    ``r_bnd`` holds the Schottky surface terms (kept apart: terminal currents use ``r_int``).
    """
    N = dev.n_nodes
    g = dev.geom
    par = dev.params
    psi, phin, phip = x[0::3], x[1::3], x[2::3]
    r = np.zeros(3 * N)
    rb = np.zeros(3 * N)
    T = Triplets(indices) if jacobian else None
    Tb = Triplets(indices) if jacobian else None

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
    In = Ip = n = p = R = R_rad = Ln = Lp = Dn = Dp = np.zeros((3, 0))
    mu_n = mu_p = np.zeros((3, 0))
    if ns:
        t = g.t[:, S]
        VT = par.VT[S]
        pe, fn, fp = psi[t], phin[t], phip[t]
        gradS = g.grad[:, :, S]
        with np.errstate(over="ignore", under="ignore"):
            el, ho = _carriers(dev, S, pe, fn, fp, VT)
            Ln, Lp = el.L, ho.L
            n, p = np.exp(Ln), np.exp(Lp)
        n = n if dev.has_electrons else np.zeros_like(n)               # a single-carrier device: the other is 0
        p = p if dev.has_holes else np.zeros_like(p)
        vol = g.vol[:, S]
        # charge
        acc(3 * t, -q * vol * (p - n + dev.net_doping[S]))
        if jacobian:
            Ln_psi, Ln_phi = (el.L_psi, el.L_phi)
            Lp_psi, Lp_phi = (ho.L_psi, ho.L_phi)
            T.add(3 * t, 3 * t, -q * vol * (p * Lp_psi - n * Ln_psi))
            if not poisson_only:
                T.add(3 * t, 3 * t + 1, q * vol * n * Ln_phi)
                T.add(3 * t, 3 * t + 2, -q * vol * p * Lp_phi)
    if poisson_only:
        zero = np.zeros((3, ns))
        return r, rb, T, Tb, Fluxes(n=n, p=p, Ln=Ln, Lp=Lp, Dn=zero, Dp=zero, In=zero, Ip=zero,
                                    Ic=np.zeros((3, dev.cond.size)), R=zero, R_rad=zero, mu_n=zero,
                                    mu_p=zero, bn={}, bp={}, In_if=np.zeros(0), Ip_if=np.zeros(0))
    if ns:
        # field and mobilities
        F = dF = None
        if dev.field_dependent:
            F, dF = field_magnitude(gradS, pe)
        # mobilities and edge currents of the carriers the device has (zero for the other)
        a, b = g.ea[:, S], g.eb[:, S]
        c = g.weight[:, S] * q * VT
        dpsi = psi[b] - psi[a]
        dense = dev.field_dependent
        mu_n, mu_p, In, Ip, Dn, Dp = (np.zeros((3, ns)) for _ in range(6))
        if dev.has_electrons:
            mu_n, dmun_dF, dmun_dL = _mobility(dev, dev.mobility_n, par.mu_n0[S], dev.gamma_n[S], dev.sigma_n[S],
                                               dev.Nc[S], S, F, 0.5 * (Ln[IA] + Ln[IB]))
            In, Dn = _edge_currents(T, a, b, t, 1, el, electron_current, c * mu_n, dpsi, (phin[a] - phin[b]) / VT,
                                    VT, mu_n, dmun_dF, dF, dmun_dL, dense)
        if dev.has_holes:
            mu_p, dmup_dF, dmup_dL = _mobility(dev, dev.mobility_p, par.mu_p0[S], dev.gamma_p[S], dev.sigma_p[S],
                                               dev.Nv[S], S, F, 0.5 * (Lp[IA] + Lp[IB]))
            Ip, Dp = _edge_currents(T, a, b, t, 2, ho, hole_current, c * mu_p, dpsi, (phip[a] - phip[b]) / VT,
                                    VT, mu_p, dmup_dF, dF, dmup_dL, dense)
        acc(3 * a + 1, In); acc(3 * b + 1, -In)
        acc(3 * a + 2, Ip); acc(3 * b + 2, -Ip)
        # recombination
        if dev.mechanisms:
            u = (fp - fn) / VT
            R, R_rad, (dR_Ln, dR_Lp, dR_u) = rates(dev.mechanisms, par.recomb, Ln, Lp, u)
            acc(3 * t + 1, -q * vol * R)
            acc(3 * t + 2, q * vol * R)
            if jacobian:
                dR = (dR_Ln * Ln_psi + dR_Lp * Lp_psi, dR_Ln * Ln_phi - dR_u / VT, dR_Lp * Lp_phi + dR_u / VT)
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

    # --- Schottky surface terms: J_n = -q v_n (n - n_0), J_p = q v_p (p - p_0) ----------------
    bn, bp = {}, {}
    for name, s in dev.schottky.items():
        fnod, el, A = s["nodes"], s["elem"], s["area"]
        n0, p0 = par.schottky_eq[name]
        VT = par.VT[el]
        with np.errstate(over="ignore", under="ignore"):
            Lsn, _, dsn, Lsp, _, dsp = dev.log_densities(el, psi[fnod], phin[fnod], phip[fnod], VT, par.s_n[el],
                                                         par.s_p[el], s["groups"])
            nn, pp = np.exp(Lsn), np.exp(Lsp)
        nn = nn if dev.has_electrons else np.zeros_like(nn)            # a single-carrier device: no
        pp = pp if dev.has_holes else np.zeros_like(pp)                # density and no exchange of the other
        kn = q * s["v_n"] * A * dev.has_electrons
        kp = q * s["v_p"] * A * dev.has_holes
        bn[name] = -kn * (nn - n0)
        bp[name] = kp * (pp - p0)
        rb += np.bincount((3 * fnod + 1).ravel(), bn[name].ravel(), minlength=3 * N)
        rb += np.bincount((3 * fnod + 2).ravel(), bp[name].ravel(), minlength=3 * N)
        if jacobian:
            Tb.add(3 * fnod + 1, 3 * fnod, -kn * nn * dsn / VT)
            Tb.add(3 * fnod + 1, 3 * fnod + 1, kn * nn * dsn / VT)
            Tb.add(3 * fnod + 2, 3 * fnod, -kp * pp * dsp / VT)
            Tb.add(3 * fnod + 2, 3 * fnod + 2, kp * pp * dsp / VT)

    # --- thermionic emission across heterointerfaces (node pairs A -> B copy) ------------------
    In_if = Ip_if = np.zeros(0)
    if dev.split is not None:
        In_if, Ip_if = interface_currents(dev, psi, phin, phip, T)
        s_ = dev.split
        for off, I in ((1, In_if), (2, Ip_if)):
            acc(3 * s_.a + off, I); acc(3 * s_.b + off, -I)

    fl = Fluxes(n=n, p=p, Ln=Ln, Lp=Lp, Dn=Dn, Dp=Dp, In=In, Ip=Ip, Ic=Ic, R=R, R_rad=R_rad, mu_n=mu_n,
                mu_p=mu_p, bn=bn, bp=bp, In_if=In_if, Ip_if=Ip_if)
    if not jacobian:
        return r, rb, None, None, fl
    return r, rb, T, Tb, fl
