"""Independent references for the organic device checks (DESIGN.md rung 13): a hole-only
Gauss-Fermi device solved with ``scipy.integrate.solve_bvp``, and the Gaussian-DOS, Fermi-Dirac and
EGDM formulas, written without any of ``fem_cqd.electrical`` (only the physical constants are
shared). The last section builds the same devices in fem_cqd (the solver under test).

The device: conductor anode (work function W_a) / one organic layer 0 < x < L / conductor cathode
(W_c). Holes only (electrons absent, no recombination), steady state, 1D::

    -eps psi'' = q p
    J = -q mu(F) p phi_p'                      (constant in x)
    p = N0 G(eta, s),  eta = (phi_p - psi - E_H)/V_T,  s = sigma/kT     (E_H: HOMO centre, eV)
    G(eta, s) = int phi(x) / (1 + exp(s x - eta)) dx,   phi the standard normal density

(energies from the vacuum level, psi in V, E_v = -E_H - psi, E_Fp = -phi_p). A conductor meeting
the semiconductor imposes psi = phi - W and phi_p = phi, so psi(0) = V_a - W_a, phi_p(0) = V_a,
psi(L) = -W_c, phi_p(L) = 0, i.e. p(0) = N0 G((W_a - E_H)/V_T), p(L) = N0 G((W_c - E_H)/V_T).
With d ln p / d eta = g(eta) (the generalised Einstein relation, D/(mu V_T) = 1/g)::

    (ln p)' = -(g / V_T) (J / (q mu p) + psi')

Scaled: xi = x/L, u = psi/V_T, z = ln(p/p_s) with p_s = eps V_T/(q L^2), j = J L/(q mu_0 V_T p_s)::

    u' = v,  v' = -e^z,  z' = -g (j (mu_0/mu) e^-z + v)

with the boundary values u(0), u(1), z(0), z(1) and the unknown parameter j. (ln p is smooth here
because the cathode, W_c = 4.8 eV, keeps p(L) within ~10x of the bulk density; an extracting contact
far below the bulk density would need p itself.) g as a function of ln G comes from a table of the
Gaussian-DOS integrals by ``scipy.integrate.quad`` (each about the log-concave integrand's peak, eta
step 0.1) and a cubic spline (measured 4e-10 from fem_cqd's statistics); below the table
(eta < -s^2 - 45) the Boltzmann limit g = 1. Equilibrium first (J = 0: three boundary values, and
reaching the fourth checks the table), then continuation in V. Poole-Frenkel:
mu = mu_0 exp(gamma sqrt(F)), F = sqrt(psi'^2 + F_0^2); fem_cqd uses F_0 = 1 V/m, the BVP needs
F_0 >= ~100 V/m to pass the virtual anode (F = 0, a sqrt(|F|) cusp of mu): F_0 = 100 vs 1000 V/m
moves J by <= 5e-7. Optionally the anode barrier is lowered by the image force (the Dirichlet
density of the lowered barrier, ``image_force``), a reference for that model.
"""
from __future__ import annotations

import math

import numpy as np
from scipy import integrate, interpolate, optimize

from fem_cqd.constants import eps0, k_B, q

_LN_SQRT_2PI = 0.5 * math.log(2 * math.pi)


# --- Gaussian DOS integrals (own implementation: scipy quad) ------------------------------------
def _log_integrand(x, eta, s):
    return -0.5 * x * x - np.logaddexp(0.0, s * x - eta) - _LN_SQRT_2PI


def gauss_fermi_quad(eta, s):
    """(ln G, d ln G/d eta) of the Gauss-Fermi integral by scipy quad (relative ~1e-13).

    The integrand phi(x)/(1 + e^(s x - eta)) is log-concave with curvature >= 1, its peak x_m the
    root of x + s/(1 + e^(eta - s x)) in [-s, 0] (0 when s = 0); it is integrated scaled by its peak
    value over x_m +- 14. d ln G / d eta = int phi L (1 - L) / int phi L, L the logistic factor.
    """
    eta, s = float(eta), float(s)
    if s == 0.0:
        lnG = -float(np.logaddexp(0.0, -eta))
        return lnG, 1.0 / (1.0 + math.exp(min(eta, 700.0)))
    xm = optimize.brentq(lambda x: x + s / (1.0 + math.exp(min(eta - s * x, 700.0))), -s - 1e-12, 1e-12,
                         xtol=1e-14, rtol=1e-15)
    l0 = float(_log_integrand(xm, eta, s))
    a, b = xm - 14.0, xm + 14.0
    pts = sorted({xm - 3, xm - 1, xm, xm + 1, xm + 3} | ({eta / s} if a < eta / s < b else set()))

    def f(x):
        return math.exp(float(_log_integrand(x, eta, s)) - l0)

    def f1(x):
        return f(x) / (1.0 + math.exp(min(eta - s * x, 700.0)))

    i0 = integrate.quad(f, a, b, points=pts, epsabs=0.0, epsrel=1e-13, limit=400)[0]
    i1 = integrate.quad(f1, a, b, points=pts, epsabs=0.0, epsrel=1e-13, limit=400)[0]
    return l0 + math.log(i0), i1 / i0


def hole_density_energy(EF, EH, sigma, kT, N0):
    """ln p of a Gaussian HOMO band written in energy (eV), p = N0 int g(E) (1 - f(E)) dE,
    g = exp(-(E - EH)^2/(2 sigma^2))/(sigma sqrt(2 pi)), 1 - f = 1/(1 + exp((EF - E)/kT)), by
    scipy quad about the integrand's peak (an independent form of the same integral)."""
    def lg(E):
        return -0.5 * ((E - EH) / sigma) ** 2 - float(np.logaddexp(0.0, (EF - E) / kT))

    # peak: -(E - EH)/sigma^2 + (1/kT)/(1 + exp((E - EF)/kT)) = 0, between EH and EH + sigma^2/kT
    def dlg(E):
        return -(E - EH) / sigma ** 2 + 1.0 / (kT * (1.0 + math.exp(min((E - EF) / kT, 700.0))))
    peak = optimize.brentq(dlg, EH - 1e-12, EH + sigma ** 2 / kT + 1e-12, xtol=1e-16, rtol=1e-15)
    lp = lg(peak)
    a, b = peak - 14 * sigma, peak + 14 * sigma
    pts = sorted(p for p in {peak, EF, peak - sigma, peak + sigma, peak - 3 * sigma, peak + 3 * sigma} if a < p < b)
    val = integrate.quad(lambda E: math.exp(lg(E) - lp), a, b, points=pts, epsabs=0.0, epsrel=1e-13, limit=400)[0]
    return math.log(N0) + lp + math.log(val / (sigma * math.sqrt(2 * math.pi)))


class EinsteinTable:
    """g = d ln G/d eta as a function of ln G (cubic spline over a quad table), Boltzmann below."""

    def __init__(self, s, step=0.1, eta_max=12.0, tail=45.0):
        self.s = s
        eta = np.arange(-(s * s + tail), eta_max + step / 2, step)
        vals = np.array([gauss_fermi_quad(e, s) for e in eta])
        self.lnG_min = vals[0, 0]
        self.eta = eta
        self.lnG = vals[:, 0]
        self.g = vals[:, 1]
        self._g = interpolate.CubicSpline(vals[:, 0], vals[:, 1])
        self._eta = interpolate.CubicSpline(vals[:, 0], eta)
        self._lnG = interpolate.CubicSpline(eta, vals[:, 0])

    def __call__(self, lnG):
        lnG = np.asarray(lnG, dtype=float)
        out = np.ones_like(lnG)
        inside = lnG > self.lnG_min
        out[inside] = self._g(np.minimum(lnG[inside], self.lnG[-1]))
        return out

    def lnG_of(self, eta):
        """ln G(eta): spline inside the table, Boltzmann eta + s^2/2 below it."""
        eta = np.asarray(eta, dtype=float)
        return np.where(eta > self.eta[0], self._lnG(np.clip(eta, self.eta[0], self.eta[-1])),
                        eta + 0.5 * self.s ** 2)

    def eta_of(self, lnG):
        """eta(ln G): spline inside the table, Boltzmann ln G - s^2/2 below it."""
        lnG = np.asarray(lnG, dtype=float)
        return np.where(lnG > self.lnG_min, self._eta(np.clip(lnG, self.lnG_min, self.lnG[-1])),
                        lnG - 0.5 * self.s ** 2)


def fermi_dirac_half_quad(eta):
    """ln F_1/2(eta), F_1/2 = (2/sqrt(pi)) int_0^inf sqrt(x)/(1 + e^(x - eta)) dx, by scipy quad in
    y = sqrt(x) (integrand (4/sqrt(pi)) y^2/(1 + e^(y^2 - eta)), smooth), scaled by e^eta for eta < 0."""
    eta = float(eta)
    top = math.sqrt(max(eta, 0.0) + 60.0)
    if eta < 0:      # F e^-eta = (4/sqrt pi) int y^2 e^-y^2 / (1 + e^(eta - y^2)) dy
        val = integrate.quad(lambda y: y * y * math.exp(-y * y) / (1.0 + math.exp(eta - y * y)), 0.0, top,
                             epsabs=0.0, epsrel=1e-13, limit=200)[0]
        return eta + math.log(4.0 / math.sqrt(math.pi) * val)
    pts = [math.sqrt(eta)] if eta > 0 else None
    val = integrate.quad(lambda y: y * y / (1.0 + math.exp(min(y * y - eta, 700.0))), 0.0, top, points=pts,
                         epsabs=0.0, epsrel=1e-13, limit=200)[0]
    return math.log(4.0 / math.sqrt(math.pi) * val)


def egdm_pasveer(mu_star, sigma_eV, T, c_a3, F, a):
    """EGDM mobility of Pasveer et al., PRL 94, 206601 (2005), as published (no range handling):
    mu = mu0(T) g1(c, T) g2(F, T), mu0(T) = mu* c1 exp(-c2 s^2), c1 = 1.8e-9, c2 = 0.42,
    g1 = exp[(s^2 - s)/2 (2 c a^3)^delta], delta = 2 [ln(s^2 - s) - ln(ln 4)]/s^2,
    g2 = exp{0.44 (s^1.5 - 2.2) [sqrt(1 + 0.8 (F e a/sigma)^2) - 1]},  s = sigma/kT."""
    s = sigma_eV * q / (k_B * np.asarray(T, dtype=float))
    mu0 = mu_star * 1.8e-9 * np.exp(-0.42 * s ** 2)
    delta = 2.0 * (np.log(s ** 2 - s) - np.log(np.log(4.0))) / s ** 2
    g1 = np.exp(0.5 * (s ** 2 - s) * (2.0 * np.asarray(c_a3)) ** delta)
    g2 = np.exp(0.44 * (s ** 1.5 - 2.2) * (np.sqrt(1.0 + 0.8 * (np.asarray(F) * a / sigma_eV) ** 2) - 1.0))
    return mu0 * g1 * g2


def element_gradients(p, t, u):
    """grad u per triangle (2, ne) of the P1 interpolant of nodal ``u``: solve the 2x2 system of
    the edge vectors from vertex 0 (independent of fem_cqd's barycentric gradients)."""
    P = p[:, t]                                               # (2, 3, ne)
    A = np.stack([P[:, 1] - P[:, 0], P[:, 2] - P[:, 0]], axis=0).transpose(2, 0, 1)   # (ne, 2 edges, 2 dims)
    b = np.stack([u[t[1]] - u[t[0]], u[t[2]] - u[t[0]]], axis=1)[..., None]          # (ne, 2, 1)
    return np.linalg.solve(A, b)[..., 0].T


# --- the hole-only device -----------------------------------------------------------------------
class HoleOnlyDevice:
    """Parameters of the hole-only device (SI, energies in eV) and its solve_bvp solution."""

    def __init__(self, L=100e-9, eps_r=3.0, N0=1e27, E_H=5.3, sigma=0.1, mu0=1e-8, W_a=5.2, W_c=4.8,
                 T=300.0, gamma=0.0, F0=1.0):
        self.L, self.eps, self.N0, self.E_H, self.sigma = L, eps_r * eps0, N0, E_H, sigma
        self.mu0, self.W_a, self.W_c, self.T, self.gamma, self.F0 = mu0, W_a, W_c, T, gamma, F0
        self.VT = k_B * T / q
        self.s = sigma / self.VT
        self.p_s = self.eps * self.VT / (q * L * L)
        self._table = None

    @property
    def table(self) -> EinsteinTable:
        """The g(ln G) table at this s (built on first use, ~1 s)."""
        if self._table is None:
            self._table = EinsteinTable(self.s)
        return self._table

    def contact_density(self, W, V=0.0):
        """p at a conductor contact: eta = (phi_p - psi - E_H)/V_T = (W - E_H)/V_T."""
        return self.N0 * math.exp(gauss_fermi_quad((W - self.E_H) / self.VT, self.s)[0])

    def _mu_ratio(self, v):
        if self.gamma == 0.0:
            return np.ones_like(v)
        F = np.sqrt((v * self.VT / self.L) ** 2 + self.F0 ** 2)
        return np.exp(-self.gamma * np.sqrt(F))          # mu_0 / mu

    def rhs(self, xi, y, par):
        u, v, z = y
        j = par[0]
        g = self.table(z + math.log(self.p_s / self.N0))
        return np.vstack([v, -np.exp(z), -g * (j * self._mu_ratio(v) * np.exp(-z) + v)])

    def base_mesh(self, n=2001):
        """Starting nodes in xi (uniform: solve_bvp refines where its residual asks; a start mesh
        graded down to 1e-7 L made its first Newton iterations fail)."""
        return np.linspace(0.0, 1.0, n)

    def _bc_values(self, V):
        VT = self.VT
        return ((V - self.W_a) / VT, -self.W_c / VT, math.log(self.contact_density(self.W_a, V) / self.p_s),
                math.log(self.contact_density(self.W_c) / self.p_s))

    def equilibrium(self, tol=1e-7, max_nodes=200_000):
        """V = 0: J = 0 and phi_p = 0, so z' = -g u' with three boundary values (u(0), u(1), z(0));
        z(1) = z_c then follows (a check of the g table: ``res["z_end_error"]``)."""
        ua, uc, za, zc = self._bc_values(0.0)
        xi = self.base_mesh()
        u = ua + (uc - ua) * xi
        y = np.vstack([u, np.full(xi.size, uc - ua), za + (zc - za) * xi])

        def rhs(x, yy):
            return self.rhs(x, yy, (0.0,))
        sol = integrate.solve_bvp(rhs, lambda ya, yb: np.array([ya[0] - ua, yb[0] - uc, ya[2] - za]), xi, y,
                                  tol=tol, max_nodes=max_nodes, bc_tol=1e-10)
        if not sol.success:
            raise RuntimeError(f"solve_bvp at equilibrium: {sol.message}")
        return {"V": 0.0, "J": 0.0, "j": 0.0, "xi": sol.x, "y": sol.y, "sol": sol, "x": sol.x * self.L,
                "z_end_error": float(sol.y[2, -1] - zc)}

    def lowering(self, v0):
        """Image-force barrier lowering Delta phi = sqrt(q F_+/(4 pi eps)) (V) at the anode, F the
        field pushing holes into the layer (-psi'(0)), F_+ = (F + sqrt(F^2 + F_0^2))/2."""
        F = -v0 * self.VT / self.L
        Fp = 0.5 * (F + np.sqrt(F * F + self.F0 ** 2))
        return np.sqrt(q * Fp / (4 * np.pi * self.eps))

    def solve(self, V, guess, tol=1e-7, max_nodes=200_000, image_force=0.0):
        """Solve at anode voltage V (cathode at 0) from ``guess`` (a solution at a nearby bias,
        re-sampled on the base mesh, its anode potential moved to the new bias). Returns a dict
        with J (A/m^2, positive from anode to cathode), the solve_bvp solution, x (m).

        ``image_force`` (0..1): the anode barrier lowered by that fraction of the image-force
        Delta phi at the anode field: the anode acts with the work function W_a + Delta phi, i.e.
        psi(0) = V - W_a - Delta phi and the hole density of that barrier, eta(0) =
        (W_a - E_H + Delta phi)/V_T (fem_cqd's model: an effective work function of the interface
        node; reached by continuation in the fraction)."""
        ua, uc, za, zc = self._bc_values(V)
        lg0 = math.log(self.N0 / self.p_s)

        def bc(ya, yb, par):
            z0, u0 = za, ua
            if image_force:
                dphi = image_force * self.lowering(ya[1])
                eta0 = (self.W_a - self.E_H + dphi) / self.VT
                z0 = lg0 + float(self.table.lnG_of(eta0))
                u0 = ua - dphi / self.VT                  # u = psi / V_T
            return np.array([ya[0] - u0, yb[0] - uc, ya[2] - z0, yb[2] - zc])

        xi = self.base_mesh()
        y = guess["sol"].sol(xi)
        y[0] += (ua - y[0, 0]) * (1 - xi)
        y[1] += -(ua - guess["y"][0, 0])
        sol = integrate.solve_bvp(self.rhs, bc, xi, y, p=np.array([guess["j"]]), tol=tol, max_nodes=max_nodes,
                                  bc_tol=1e-10)
        if not sol.success:
            raise RuntimeError(f"solve_bvp at V = {V}: {sol.message}")
        j = float(sol.p[0])
        J = j * q * self.mu0 * self.VT * self.p_s / self.L
        return {"V": V, "J": J, "j": j, "xi": sol.x, "y": sol.y, "sol": sol, "x": sol.x * self.L}

    def sweep(self, biases, step=0.25, **kw):
        """Solutions at the given biases by continuation from equilibrium (steps <= ``step`` V)."""
        res = self.equilibrium(**kw)
        out, v_prev = {}, 0.0
        for V in biases:
            n = max(1, int(math.ceil(abs(V - v_prev) / step - 1e-9)))
            for k in range(1, n + 1):
                res = self.solve(v_prev + (V - v_prev) * k / n, res, **kw)
            v_prev = V
            out[V] = res
        return out

    def profiles(self, res, x):
        """psi (V), p (m^-3) and phi_p (V) of a solution at positions x (m)."""
        Y = res["sol"].sol(np.asarray(x) / self.L)
        psi = Y[0] * self.VT
        p = np.exp(Y[2]) * self.p_s
        eta = self.table.eta_of(np.log(np.maximum(p, 1e-300) / self.N0))
        return psi, p, psi + self.E_H + self.VT * eta


# --- the same device in fem_cqd (the solver under test) -----------------------------------------
def fem_hole_only(ref: HoleOnlyDevice, h0=0.01e-9, ratio=1.1, hmax=0.5e-9, image_force=False, width=10e-9,
                  contact_thickness=5e-9, statistics="gauss_fermi"):
    """(TaggedMesh, Device, width) of ``ref``'s device in fem_cqd: one column of elements (two x
    points, ``width`` apart), the organic layer graded from ``h0`` at both contacts by ``ratio`` up
    to ``hmax``, 5 nm conductors (sigma 1e7 S/m: their ohmic drop is below 1e-9 V) with the
    contacts "bottom" (anode) and "top" (cathode). Electrons are absent: LUMO 2.0 eV (>= 2 eV below
    both work functions) and mobility 1e-10 cm^2/Vs; no recombination."""
    from fem_cqd.electrical import Contact, build_device
    from fem_cqd.electrical.examples import material
    from fem_cqd.grading import graded_points
    from fem_cqd.custom_mesh import tensor_mesh
    L = ref.L
    org = dict(relative_permittivity=ref.eps / eps0, lumo_eV=2.0, homo_eV=ref.E_H, Nc_per_cm3=ref.N0 * 1e-6,
               Nv_per_cm3=ref.N0 * 1e-6, mu_n_cm2_per_Vs=1e-10, mu_p_cm2_per_Vs=ref.mu0 * 1e4, statistics=statistics,
               sigma_n_eV=ref.sigma, sigma_p_eV=ref.sigma)
    if ref.gamma:
        org["pf_gamma_p_sqrt_cm_per_V"] = ref.gamma * 10.0
    mats = {"anode": material("anode", "conductor", conductivity_S_per_m=1e7, work_function_eV=ref.W_a),
            "org": material("org", **org),
            "cathode": material("cathode", "conductor", conductivity_S_per_m=1e7, work_function_eV=ref.W_c)}
    half = graded_points(0.0, L / 2, h0, ratio, hmax)
    y = np.unique(np.r_[-contact_thickness, -contact_thickness / 2, half, L - half[::-1], L + contact_thickness / 2,
                        L + contact_thickness])
    tm = tensor_mesh([0.0, width], y, lambda xc, yc: np.where(yc < 0, "anode", np.where(yc < L, "org", "cathode")),
                     mats)
    dev = build_device(tm, [Contact("bottom"), Contact("top")], T_K=ref.T,
                       image_force_lowering=("anode",) if image_force else ())
    return tm, dev, width


def hetero_device(T=300.0):
    """(TaggedMesh, Device): a planar 2D stack with Gauss-Fermi and Fermi-Dirac heterointerfaces:
    anode (W 5.2 eV) / A (Gauss-Fermi, HOMO 5.3 eV, sigma_p 0.08 eV) / B (Gauss-Fermi, HOMO 5.6 eV,
    sigma_p 0.12 eV; A reaches into B's layer for x > 20 nm, so A/B interfaces run along x and y) /
    C (Fermi-Dirac oxide, N_D 1e19 cm^-3, degenerate) / cathode (W 4.0 eV). N0 = 1e21 cm^-3; A and B
    p-doped (1e20 cm^-3) so that the holes at the A/B interface are degenerate in both Gaussians
    (eta_A in [-4, -1] > -s_A^2 = -9.6, eta_B in [-15.6, -12.6] > -s_B^2 = -21.5 at equilibrium)."""
    from fem_cqd.electrical import Contact, build_device
    from fem_cqd.electrical.examples import material
    from fem_cqd.custom_mesh import tensor_mesh
    A = material("A", relative_permittivity=3.0, lumo_eV=2.3, homo_eV=5.3, Nc_per_cm3=1e21, Nv_per_cm3=1e21,
                 mu_n_cm2_per_Vs=1e-5, mu_p_cm2_per_Vs=1e-3, statistics="gauss_fermi", sigma_n_eV=0.07,
                 sigma_p_eV=0.08, acceptors_per_cm3=1e20)
    B = material("B", relative_permittivity=3.5, lumo_eV=2.6, homo_eV=5.6, Nc_per_cm3=1e21, Nv_per_cm3=1e21,
                 mu_n_cm2_per_Vs=1e-4, mu_p_cm2_per_Vs=1e-4, statistics="gauss_fermi", sigma_n_eV=0.09,
                 sigma_p_eV=0.12, acceptors_per_cm3=1e20)
    C = material("C", relative_permittivity=8.0, electron_affinity_eV=3.9, band_gap_eV=3.3, Nc_per_cm3=2e18,
                 Nv_per_cm3=1e19, mu_n_cm2_per_Vs=10.0, mu_p_cm2_per_Vs=1.0, donors_per_cm3=1e19,
                 statistics="fermi_dirac")
    an = material("an", "conductor", conductivity_S_per_m=1e5, work_function_eV=5.2)
    ca = material("ca", "conductor", conductivity_S_per_m=1e5, work_function_eV=4.0)
    y = np.r_[0, 5, 6, 8, 11, 15, 20, 23, 25, 27, 30, 35, 40, 43, 45, 47, 50, 55, 60, 65] * 1e-9
    x = np.r_[0, 10, 20, 30, 40] * 1e-9

    def reg(xc, yc):
        out = np.where(yc < 5e-9, "an", np.where(yc < 25e-9, "A", np.where(yc < 45e-9, "B",
                                                                            np.where(yc < 60e-9, "C", "ca"))))
        return np.where((xc > 20e-9) & (yc > 25e-9) & (yc < 35e-9), "A", out)
    tm = tensor_mesh(x, y, reg, {"an": an, "A": A, "B": B, "C": C, "ca": ca})
    return tm, build_device(tm, [Contact("bottom"), Contact("top")], T_K=T)


def feature_device():
    """(TaggedMesh, Device): a small axisymmetric OLED-like stack with every organic feature at once:
    anode (image-force lowered) / HTL (Gauss-Fermi, EGDM; an insulator notch at its top for
    r > 40 nm) / EML (Gauss-Fermi, Poole-Frenkel, Langevin recombination, a quarter radiative) /
    ETL (Fermi-Dirac, doped) / cathode. 6 x 15 nodes.

    The HTL LUMO (2.8 eV) is chosen so that the default Newton converges: with 2.2 eV (electrons
    in the HTL ~1e-11 m^-3) the ramp stalls near 0.8 V (the "absent carriers" issue of
    ``tests/test_organic.py::test_newton_converges_on_an_egdm_hole_layer_stack``)."""
    from fem_cqd.electrical import Contact, build_device
    from fem_cqd.electrical.examples import material
    from fem_cqd.custom_mesh import tensor_mesh
    htl = material("htl", relative_permittivity=3.0, lumo_eV=2.8, homo_eV=5.2, Nc_per_cm3=1e21, Nv_per_cm3=1e21,
                   mu_n_cm2_per_Vs=1e-6, mu_p_cm2_per_Vs=1e-3, statistics="gauss_fermi", sigma_n_eV=0.09,
                   sigma_p_eV=0.1, mobility_model="egdm")
    eml = material("eml", relative_permittivity=3.5, lumo_eV=3.0, homo_eV=5.4, Nc_per_cm3=5e20, Nv_per_cm3=8e20,
                   mu_n_cm2_per_Vs=1e-4, mu_p_cm2_per_Vs=3e-4, statistics="gauss_fermi", sigma_n_eV=0.07,
                   sigma_p_eV=0.12, pf_gamma_n_sqrt_cm_per_V=2e-3, pf_gamma_p_sqrt_cm_per_V=3e-3,
                   langevin_factor=1.0, langevin_radiative_fraction=0.25, emission_energy_eV=2.5)
    etl = material("etl", relative_permittivity=8.0, electron_affinity_eV=3.2, band_gap_eV=3.0, Nc_per_cm3=1e19,
                   Nv_per_cm3=1e19, mu_n_cm2_per_Vs=1.0, mu_p_cm2_per_Vs=1e-2, donors_per_cm3=1e19,
                   statistics="fermi_dirac")
    an = material("an", "conductor", conductivity_S_per_m=1e4, work_function_eV=5.0)
    ca = material("ca", "conductor", conductivity_S_per_m=1e4, work_function_eV=3.3)
    ins = material("ins", "insulator", relative_permittivity=4.0)
    y = np.array([0, 5, 10, 13, 17, 21, 26, 30, 34, 38, 43, 48, 52, 56, 60]) * 1e-9
    x = np.linspace(0, 60e-9, 6)

    def reg(xc, yc):
        out = np.where(yc < 10e-9, "an", np.where(yc < 30e-9, "htl", np.where(yc < 43e-9, "eml",
                                                                              np.where(yc < 56e-9, "etl", "ca"))))
        return np.where((yc > 26e-9) & (yc < 30e-9) & (xc > 40e-9), "ins", out)
    tm = tensor_mesh(x, y, reg, {"an": an, "htl": htl, "ins": ins, "eml": eml, "etl": etl, "ca": ca},
                     geometry="axisymmetric")
    return tm, build_device(tm, [Contact("bottom"), Contact("top")], image_force_lowering=("an",))
