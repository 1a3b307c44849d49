"""Independent reference for a hole-only organic bilayer with a thermionic-emission heterointerface:
``scipy.integrate.solve_bvp`` on both layers at once, written without any of ``fem_cqd.electrical``
(only the physical constants, and the Gaussian-DOS tables of ``_organic_bvp.py``, are shared).

The device: conductor anode (work function W_a) / layer A on 0 < x < L_A / layer B on
L_A < x < L = L_A + L_B / conductor cathode (W_c). Holes only (no electrons, no recombination),
steady state, 1D; per layer k (A or B)::

    -eps_k psi'' = q p
    J = -q mu_k p phi_p'                       (constant in x, the same in both layers)
    p = N0_k G(eta, s_k),  eta = (phi_p - psi - E_Hk)/V_T,  s_k = sigma_k/V_T
    G(eta, s) = int phi(x) / (1 + exp(s x - eta)) dx  (phi the standard normal density),  G = e^eta if s = 0

(energies from the vacuum level in eV, E_v = -E_H - psi, V_T = k_B T/q). Contacts: psi(0) = V_a - W_a,
phi_p(0) = V_a, psi(L) = -W_c, phi_p(L) = 0 (so p(0) = N0_A G((W_a - E_HA)/V_T, s_A),
p(L) = N0_B G((W_c - E_HB)/V_T, s_B)). At the interface x_i = L_A (no interface charge)::

    psi(x_i-) = psi(x_i+) = psi_i,   eps_A psi'(x_i-) = eps_B psi'(x_i+),   J the same on both sides,
    J = q v [p_B(psi_i, phi_p,A) - p_B(psi_i, phi_p,B)]       (thermionic emission over the HOMO step)

with phi_p,A = phi_p(x_i-), phi_p,B = phi_p(x_i+), p_B(psi, phi) = N0_B G((phi - psi - E_HB)/V_T, s_B)
layer B's density (B the barrier side, E_HB >= E_HA) and v the interface velocity (m/s); v = inf
imposes phi_p,A = phi_p,B instead (the limit of large v).

With d ln p/d eta = g(eta) (g = 1 for Boltzmann), (ln p)' = -(g/V_T) (J/(q mu p) + psi'). Scaled:
x' = x/L, u = psi/V_T, e = du/dx', P = p/p_s with p_s = eps0 V_T/(q L^2), j = J L/(q mu_A V_T p_s),
and the density variable w = ln(P + c) (c >= 0; c = 0 is ln p). Each layer is mapped onto
xi in [0, 1] (x = L_A xi in A, x = L_A + L_B xi in B, l_k = L_k/L), and the two layers' unknowns
are stacked into one system y = (u_A, e_A, w_A, u_B, e_B, w_B)(xi) with the parameter j::

    u' = l_k e,   e' = -l_k P/eps_rk,   w' = -l_k g_k (j mu_A/mu_k + e P)/(P + c),   P = e^w - c

with seven boundary conditions: u_A(0), w_A(0), u_B(1), w_B(1) from the contacts; u_A(1) = u_B(0),
eps_rA e_A(1) = eps_rB e_B(0) and, with P_BA = p_B(psi_i, phi_p,A)/p_s (eta_A(1) from layer A's
density, shifted by -(E_HB - E_HA)/V_T, evaluated in B's statistics) and k_v = v L/(mu_A V_T),
the interface condition divided by P_BA::

    P_B(0)/P_BA + (j/k_v)/P_BA - 1 = 0         (v = inf: P_B(0)/P_BA - 1 = 0, phi_p continuous)

Why c > 0: with these parameters the cathode (W_c = 4.8 eV, E_HB = 5.5 eV) extracts: p(L) = 2e17 m^-3
against 7e18-7e20 m^-3 in B's bulk (0.5-3 V, sigma 0.08 eV), reached within ~1 nm of the cathode
(the drift length V_T/F). There ln p ~ ln(p_bulk (L - x) F/V_T + p(L)), a log-kink ~1e-12 m wide
that solve_bvp cannot mesh (pure ln p, c = 0: from 1 V (Boltzmann) or 1.75 V (sigma 0.08 eV) the
nodes pile up within 1e-5 L of the cathode past any node limit; the remark in ``_organic_bvp.py``).
w = ln(P + c) is ln p where P >> c (the anode accumulation layer, up to p(0) ~ 1e26 m^-3) and
linear in p (smooth) where P << c. c = 1 (p_s = 2.9e20 m^-3 for L = 70 nm)
in both layers by default; J does not depend on c (c = 0.3, 1, 10, 30 agree to ~1e-10). The
interface itself is no difficulty: p jumps between separate unknowns, and p_B(x_i+) ~ J/(q mu_B F)
(drift-carried, F = -psi' > 0). g(ln G), eta(ln G) and ln G(eta) are the cubic-spline tables of
``_organic_bvp.EinsteinTable`` (scipy quad), Boltzmann (g = 1) for sigma = 0 or below the table.

Equilibrium first (V_a = 0, j = 0: six boundary conditions; reaching the seventh, w_B(1), checks
the tables), then continuation in V_a (steps <= 0.25 V, halved on a failure). solve_bvp's
tolerance: 1e-7 (default) and 1e-8 give J within 1e-10; below ~1e-9 the collocation residual hits
round-off in the anode accumulation layer and the mesh grows without bound.
"""
from __future__ import annotations

import functools
import math

import numpy as np
from _organic_bvp import EinsteinTable
from scipy import integrate

from fem_cqd.constants import eps0, k_B, q


class _Boltzmann:
    """G = e^eta: the EinsteinTable interface for sigma = 0."""

    def __call__(self, lnG):
        return np.ones_like(np.asarray(lnG, dtype=float))

    def lnG_of(self, eta):
        return np.asarray(eta, dtype=float)

    def eta_of(self, lnG):
        return np.asarray(lnG, dtype=float)


@functools.cache
def statistics(s):
    """g(ln G), ln G(eta), eta(ln G) at s = sigma/V_T (the Gauss-Fermi table is built once per s, ~1 s)."""
    return _Boltzmann() if s == 0.0 else EinsteinTable(s)


class Bilayer:
    """The bilayer's parameters (SI, energies in eV; eps_A, eps_B relative permittivities; v in m/s,
    math.inf for continuous phi_p; c the density-variable offset) and its scaled system (module doc)."""

    def __init__(self, *, L_A, L_B, E_HA, E_HB, sigma_A, sigma_B, N0_A, N0_B, eps_A, eps_B, mu_A, mu_B,
                 W_a, W_c, T, v, c=1.0):
        if E_HB < E_HA:
            raise ValueError(f"layer B must be the barrier side (E_HB = {E_HB} < E_HA = {E_HA})")
        if not v > 0:
            raise ValueError(f"interface velocity v = {v} must be > 0 (math.inf: continuous phi_p)")
        self.L_A, self.L_B, self.L = L_A, L_B, L_A + L_B
        self.E_H, self.N0, self.eps_r, self.mu = (E_HA, E_HB), (N0_A, N0_B), (eps_A, eps_B), (mu_A, mu_B)
        self.W_a, self.W_c, self.T, self.v, self.c = W_a, W_c, T, v, c
        self.VT = k_B * T / q
        self.stat = (statistics(sigma_A / self.VT), statistics(sigma_B / self.VT))
        self.l = (L_A / self.L, L_B / self.L)
        self.p_s = eps0 * self.VT / (q * self.L ** 2)
        self.J_s = q * mu_A * self.VT * self.p_s / self.L            # J = J_s j
        self.k_v = v * self.L / (mu_A * self.VT)                      # q v p_s / J_s
        self.lnN = tuple(math.log(n / self.p_s) for n in self.N0)     # ln(N0_k/p_s)
        self.dE = (E_HB - E_HA) / self.VT
        self._contacts = self.contact_values(0.0)                      # the bias of the current solve

    # --- densities (P = p/p_s) and the density variable w --------------------------------------
    def P(self, w):
        return np.exp(w) - self.c

    def w_of_P(self, P):
        return np.log(P + self.c)

    def P_eq(self, k, eta):
        """P of layer k at eta."""
        return np.exp(self.lnN[k] + self.stat[k].lnG_of(eta))

    def eta(self, k, P):
        """eta of layer k at density P (P > 0)."""
        return self.stat[k].eta_of(np.log(np.maximum(P, 1e-300)) - self.lnN[k])

    def P_BA(self, wA1):
        """p_B(psi_i, phi_p,A)/p_s from layer A's density at the interface."""
        return self.P_eq(1, self.eta(0, self.P(wA1)) - self.dE)

    # --- the stacked system ---------------------------------------------------------------------
    def rhs(self, xi, y, par):
        j = par[0]
        out = np.empty_like(y)
        for k in (0, 1):
            e, w = y[3 * k + 1], y[3 * k + 2]
            P = self.P(w)
            g = self.stat[k](np.log(np.maximum(P, 1e-300)) - self.lnN[k])
            lk = self.l[k]
            out[3 * k] = lk * e
            out[3 * k + 1] = -lk * P / self.eps_r[k]
            out[3 * k + 2] = -lk * g * (j * self.mu[0] / self.mu[k] + e * P) / (P + self.c)
        return out

    def contact_values(self, V):
        """(u_A(0), w_A(0), u_B(1), w_B(1)) at anode voltage V."""
        VT = self.VT
        return ((V - self.W_a) / VT, float(self.w_of_P(self.P_eq(0, (self.W_a - self.E_H[0]) / VT))),
                -self.W_c / VT, float(self.w_of_P(self.P_eq(1, (self.W_c - self.E_H[1]) / VT))))

    def interface_residual(self, ya, yb, j):
        """The thermionic-emission condition divided by P_BA (module doc)."""
        PBA = self.P_BA(yb[2])
        flux = 0.0 if math.isinf(self.v) else j / self.k_v
        return (self.P(ya[5]) + flux) / PBA - 1.0

    def bc(self, ya, yb, par):
        ua, wa, uc, wc = self._contacts
        return np.array([ya[0] - ua, ya[2] - wa, yb[3] - uc, yb[5] - wc, yb[0] - ya[3],
                         self.eps_r[0] * yb[1] - self.eps_r[1] * ya[4], self.interface_residual(ya, yb, par[0])])

    # --- solves ---------------------------------------------------------------------------------
    def equilibrium(self, n_mesh=1001, tol=1e-7, max_nodes=300_000):
        """V_a = 0: j = 0, the six conditions other than w_B(1); ``w_end_error`` = w_B(1) - its
        contact value checks the statistics tables. Started from the charge-free potential and the
        equilibrium densities (phi_p = 0) on it, solved to 1e-4, then again to ``tol`` from that
        solution on a uniform mesh (fewer nodes than one solve from the crude start)."""
        self._contacts = self.contact_values(0.0)
        ua, _, uc, wc = self._contacts
        xi = np.linspace(0.0, 1.0, n_mesh)
        d = self.l[0] / self.eps_r[0] + self.l[1] / self.eps_r[1]
        eA, eB = (uc - ua) / (self.eps_r[0] * d), (uc - ua) / (self.eps_r[1] * d)
        uA, uB = ua + eA * self.l[0] * xi, ua + eA * self.l[0] + eB * self.l[1] * xi
        y = np.vstack([uA, np.full_like(xi, eA), self.w_of_P(self.P_eq(0, -uA - self.E_H[0] / self.VT)),
                       uB, np.full_like(xi, eB), self.w_of_P(self.P_eq(1, -uB - self.E_H[1] / self.VT))])
        for t in (max(tol, 1e-4), tol):
            sol = integrate.solve_bvp(lambda x, yy: self.rhs(x, yy, (0.0,)),
                                      lambda ya, yb: self.bc(ya, yb, (0.0,))[[0, 1, 2, 4, 5, 6]], xi, y,
                                      tol=t, max_nodes=max_nodes, bc_tol=1e-10)
            if not sol.success:
                raise RuntimeError(f"solve_bvp at equilibrium: {sol.message}")
            y = sol.sol(xi)
        res = self._result(0.0, 0.0, sol)
        res["w_end_error"] = float(sol.y[5, -1] - wc)
        return res

    def solve(self, V, guess, n_mesh=1001, tol=1e-7, max_nodes=300_000):
        """Solve at anode voltage V from ``guess`` (a result at a nearby bias, re-sampled on a uniform
        mesh of n_mesh nodes, its potential shifted by (V - V_guess)(1 - x/L))."""
        self._contacts = self.contact_values(V)
        xi = np.linspace(0.0, 1.0, n_mesh)
        y = guess["sol"].sol(xi)
        d = (V - guess["V"]) / self.VT
        y[0] += d * (1.0 - self.l[0] * xi)
        y[3] += d * self.l[1] * (1.0 - xi)
        y[1] -= d
        y[4] -= d
        sol = integrate.solve_bvp(self.rhs, self.bc, xi, y, p=np.array([guess["j"]]), tol=tol,
                                  max_nodes=max_nodes, bc_tol=1e-10)
        if not sol.success:
            raise RuntimeError(f"solve_bvp at V = {V}: {sol.message}")
        return self._result(V, float(sol.p[0]), sol)

    def sweep(self, biases, step=0.25, min_step=1e-3, **kw):
        """Results at the given anode voltages by continuation from equilibrium (steps <= ``step``,
        halved down to ``min_step`` where solve_bvp fails); V = 0 gives the equilibrium result."""
        res = self.equilibrium(**kw)
        out = {}
        for V in biases:
            while res["V"] != V:
                h = math.copysign(min(step, abs(V - res["V"])), V - res["V"])
                while True:
                    try:
                        res = self.solve(V if abs(V - res["V"]) <= abs(h) else res["V"] + h, res, **kw)
                        break
                    except RuntimeError:
                        h /= 2
                        if abs(h) < min_step:
                            raise
            out[V] = res
        return out

    def _result(self, V, j, sol):
        """J, the interface values and the profiles (x: layer A's nodes then B's, x_i twice)."""
        xi, y = sol.x, sol.y
        psi_i = y[0, -1] * self.VT
        PA, PB = self.P(y[2]), self.P(y[5])
        phi = [y[3 * k] * self.VT + self.E_H[k] + self.VT * self.eta(k, P) for k, P in ((0, PA), (1, PB))]
        return {"V": V, "j": j, "J": j * self.J_s, "psi_i": float(psi_i), "phi_A": float(phi[0][-1]),
                "phi_B": float(phi[1][0]), "x": np.r_[xi * self.L_A, self.L_A + xi * self.L_B],
                "psi": np.r_[y[0], y[3]] * self.VT, "p": np.r_[PA, PB] * self.p_s, "phi_p": np.r_[phi[0], phi[1]],
                "sol": sol, "n_nodes": xi.size}


def bilayer_te(V_a, *, n_mesh=1001, tol=1e-7, step=0.25, **params):
    """One bias: ``Bilayer(**params).sweep([V_a])[V_a]`` (keywords of :class:`Bilayer`). Returns a
    dict with J (A/m^2, positive from anode to cathode), psi_i, phi_A = phi_p(x_i-), phi_B =
    phi_p(x_i+) (V), and the profiles x (m), psi (V), p (m^-3), phi_p (V) (layer A's nodes then B's)."""
    return Bilayer(**params).sweep([V_a], step=step, n_mesh=n_mesh, tol=tol)[V_a]


def bilayer_sweep(biases, *, n_mesh=1001, tol=1e-7, step=0.25, **params):
    """{V_a: result} for a list of anode voltages by continuation from equilibrium (as ``bilayer_te``)."""
    return Bilayer(**params).sweep(biases, step=step, n_mesh=n_mesh, tol=tol)


EXAMPLE = {"L_A": 40e-9, "L_B": 30e-9, "E_HA": 5.2, "E_HB": 5.5, "sigma_A": 0.08, "sigma_B": 0.08, "N0_A": 1e27,
           "N0_B": 1e27, "eps_A": 3.0, "eps_B": 3.0, "mu_A": 1e-8, "mu_B": 5e-9, "W_a": 5.1, "W_c": 4.8, "T": 300.0}


# --- the same device in fem_cqd (the solver under test) -------------------------------------------
def fem_bilayer(v, sigma=0.08, geometry="planar", hmax=0.5e-9, h0=0.02e-9, ratio=1.1, width=10e-9, params=None):
    """(TaggedMesh, Device, area) of the bilayer (``EXAMPLE`` with sigma_A = sigma_B = ``sigma``; 0:
    Boltzmann) in fem_cqd: one column of elements ``width`` wide (planar: area = width per metre;
    axisymmetric: four columns, area = pi width^2), each layer graded from ``h0`` at both of its faces
    by ``ratio`` up to ``hmax``, 5 nm conductors (1e7 S/m) with the contacts "bottom" (anode) and
    "top" (cathode); a :class:`~fem_cqd.electrical.ThermionicInterface` A/B with ``v_p_m_per_s = v``
    (None: continuous quasi-Fermi levels). Electrons are absent (LUMO 2.0 eV, mobility 1e-10 cm^2/Vs)."""
    from fem_cqd.electrical import Contact, ThermionicInterface, build_device
    from fem_cqd.electrical.examples import material
    from fem_cqd.grading import graded_points
    from fem_cqd.custom_mesh import tensor_mesh
    P = dict(EXAMPLE, **(params or {}))
    LA, LB = P["L_A"], P["L_B"]
    stats = dict(statistics="gauss_fermi", sigma_n_eV=sigma, sigma_p_eV=sigma) if sigma > 0 else {}
    layer = lambda name, E_H, N0, eps, mu: material(  # noqa: E731
        name, relative_permittivity=eps, lumo_eV=2.0, homo_eV=E_H, Nc_per_cm3=N0 * 1e-6, Nv_per_cm3=N0 * 1e-6,
        mu_n_cm2_per_Vs=1e-10, mu_p_cm2_per_Vs=mu * 1e4, **stats)
    mats = {"A": layer("A", P["E_HA"], P["N0_A"], P["eps_A"], P["mu_A"]),
            "B": layer("B", P["E_HB"], P["N0_B"], P["eps_B"], P["mu_B"]),
            "an": material("an", "conductor", conductivity_S_per_m=1e7, work_function_eV=P["W_a"]),
            "ca": material("ca", "conductor", conductivity_S_per_m=1e7, work_function_eV=P["W_c"])}

    def both_faces(x0, L):
        half = graded_points(0.0, L / 2, h0, ratio, hmax)
        return x0 + np.unique(np.r_[half, L - half[::-1]])
    y = np.unique(np.r_[-5e-9, -2.5e-9, both_faces(0.0, LA), both_faces(LA, LB), LA + LB + 2.5e-9, LA + LB + 5e-9])
    x = [0.0, width] if geometry == "planar" else np.linspace(0.0, width, 4)
    tm = tensor_mesh(x, y, lambda xc, yc: np.where(yc < 0, "an", np.where(yc < LA, "A", np.where(
        yc < LA + LB, "B", "ca"))), mats, geometry=geometry)
    itf = () if v is None else (ThermionicInterface("A", "B", v_p_m_per_s=v),)
    dev = build_device(tm, [Contact("bottom"), Contact("top")], T_K=P["T"], thermionic_interfaces=itf)
    return tm, dev, (width if geometry == "planar" else math.pi * width ** 2)


def main():
    """J of the example bilayer, Gauss-Fermi and Boltzmann, for four interface velocities."""
    biases = (0.5, 1.0, 2.0, 3.0)
    for sigma in (0.08, 0.0):
        print(f"sigma_A = sigma_B = {sigma} eV: J (A/m^2) at V_a = {biases}")
        for v in (math.inf, 1e3, 1e1, 1e-1):
            res = bilayer_sweep(biases, **{**EXAMPLE, "sigma_A": sigma, "sigma_B": sigma, "v": v})
            print(f"  v = {v:7.0e} m/s: " + "  ".join(f"{res[V]['J']:.6e}" for V in biases))


if __name__ == "__main__":
    main()
