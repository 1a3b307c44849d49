"""Drift-diffusion solver against analytic limits and an independent BVP solve (issue 3).

Cases (each a row in results/dd_analytic.json; run ``python benchmarks/dd_analytic.py``):

- ohmic resistor, conductor and doped semiconductor, planar and axisymmetric: R = L/(sigma A), exact;
- disc contact of radius a on a thick resistive slab: R = rho/(4a) (slab 100a x 100a, 2 %);
- trap-free single-carrier SCLC: J(V) vs scipy solve_bvp of the same 1D boundary-value problem
  (1 %), and J/J_MG (Mott-Gurney (9/8) eps mu V^2/L^3) as V/V_T grows; Poole-Frenkel: J_PF/J > 1
  and growing with V;
- pn diode rows come from tests/test_dd_diode.py (built-in potential, depletion, ideal diode);
- current spreading past a contact edge: J(x) = J_e/(1 + x/l0)^2, l0 = sqrt(2 n V_T/(R_s J_e));
- observed order of nodal convergence (SCLC potential under refinement).
"""
from __future__ import annotations

import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from fem_cqd.constants import eps0, q, thermal_voltage                      # noqa: E402
from fem_cqd.electrical import Contact, build_device, ramp, solve_bias, solve_equilibrium  # noqa: E402
from fem_cqd.electrical.examples import material, silicon  # noqa: E402
from fem_cqd.grading import graded_points  # noqa: E402
from fem_cqd.custom_mesh import tensor_mesh, with_boundary  # noqa: E402

VT = thermal_voltage(300.0)


# --- resistors ---------------------------------------------------------------------------------
def resistor(kind="conductor", geometry="planar", n=20, V=0.1):
    """Bar L = 1 um along y, cross-section 100 nm (planar: per metre depth; axisym: radius 100 nm).
    Returns (computed R, exact R)."""
    L, a = 1e-6, 100e-9
    if kind == "conductor":
        mat = material("M", "conductor", conductivity_S_per_m=1e4, work_function_eV=4.5)
        sigma = 1e4
    else:
        mat = silicon("n", donors_per_cm3=1e16)
        ni2 = 2.8e25 * 1.04e25 * np.exp(-1.12 / VT)
        nn = 0.5e22 + np.sqrt(0.25e44 + ni2)
        sigma = q * (1400e-4 * nn + 450e-4 * ni2 / nn)
    tm = tensor_mesh(np.linspace(0, a, n // 4 + 2), np.linspace(0, L, n + 1), lambda x, y: "M", {"M": mat},
                     geometry=geometry)
    dev = build_device(tm, [Contact("bottom"), Contact("top")])
    st = solve_bias(dev, {"bottom": V})
    area = a if geometry == "planar" else np.pi * a ** 2
    return V / st.currents["bottom"], L / (sigma * area), st


def disc_contact(n_r=60, ratio=1.12):
    """Disc contact radius a = 1 um on a slab (radius = thickness = 100 a), bottom grounded."""
    a, D = 1e-6, 100e-6
    rho = 1.0 / 10.0
    mat = material("M", "conductor", conductivity_S_per_m=10.0, work_function_eV=4.5)
    h0 = a / n_r * 2
    inner = a - graded_points(0, a, h0 / 8, ratio, h0)[::-1]
    outer = a + graded_points(0, D - a, h0 / 8, ratio)
    r = np.unique(np.r_[inner, outer])
    z = D - graded_points(0, D, h0 / 8, ratio)[::-1]
    tm = tensor_mesh(r, z, lambda x, y: "M", {"M": mat}, geometry="axisymmetric")
    tm = with_boundary(tm, "disc", lambda p: (p[1] > D - 1e-12) & (p[0] <= a + 1e-12))
    dev = build_device(tm, [Contact("disc"), Contact("bottom")])
    st = solve_bias(dev, {"disc": 1.0})
    return 1.0 / st.currents["disc"], rho / (4 * a), tm.mesh.p.shape[1]


# --- SCLC --------------------------------------------------------------------------------------
SCLC = dict(L=100e-9, eps_r=3.0, mu=1e-8, Nc=1e25, chi=2.5, Eg=3.0, v=1e5)


def _sclc_material(gamma=0.0):
    s = SCLC
    return material("org", relative_permittivity=s["eps_r"], electron_affinity_eV=s["chi"], band_gap_eV=s["Eg"],
                    Nc_per_cm3=s["Nc"] * 1e-6, Nv_per_cm3=s["Nc"] * 1e-6, mu_n_cm2_per_Vs=s["mu"] * 1e4,
                    mu_p_cm2_per_Vs=1e-12, pf_gamma_n_sqrt_cm_per_V=gamma * 10.0)


def sclc_mesh_y(h0=5e-12, ratio=1.02):
    L = SCLC["L"]
    half = graded_points(0, L / 2, h0, ratio)
    return np.unique(np.r_[half, L - half[::-1]])


def sclc_fem(voltages, gamma=0.0, y=None):
    """Electron-only device, both contacts barrier-free for electrons (Schottky, W_F = chi, v = 1e5 m/s).
    Anode (bottom, y = 0) at V. Returns current densities (A/m^2) and the states."""
    s = SCLC
    y = sclc_mesh_y() if y is None else y
    tm = tensor_mesh([0.0, 1e-9], y, lambda xc, yc: "org", {"org": _sclc_material(gamma)})
    dev = build_device(tm, [Contact("bottom", "schottky", work_function=s["chi"], v_n_m_per_s=s["v"], v_p_m_per_s=s["v"]),
                            Contact("top", "schottky", work_function=s["chi"], v_n_m_per_s=s["v"], v_p_m_per_s=s["v"])])
    states = ramp(dev, "bottom", voltages, progress=False)
    return np.array([st.currents["bottom"] / 1e-9 for st in states]), states, tm


def sclc_bvp(V, gamma=0.0, tol=1e-8, guess=None):
    """The same 1D problem with scipy.integrate.solve_bvp (collocation with its own error control),
    in scaled variables xi = y/L, psi/V_T, E L/V_T, u = ln(n/Nc), J/(q mu Nc V_T/L)::

        psi' = -E,  E' = -lambda e^u,  u' = j (mu0/mu(E)) e^-u - E,  lambda = q Nc L^2/(eps V_T)
        psi(0) = (V - chi)/V_T, psi(1) = -chi/V_T, j = k (e^u(0) - 1), j = -k (e^u(1) - 1), k = v L/(mu0 V_T)

    ``guess`` = (y, psi, n) (e.g. a drift-diffusion state) is only a starting point; without it a
    smooth profile is used and V is reached by continuation.
    """
    from scipy.integrate import solve_bvp
    s = SCLC
    eps = s["eps_r"] * eps0
    L, Nc, v, mu0 = s["L"], s["Nc"], s["v"], s["mu"]
    lam = q * Nc * L ** 2 / (eps * VT)
    k = v * L / (mu0 * VT)

    def ratio(E):
        F = np.sqrt((E * VT / L) ** 2 + 1.0)
        return np.exp(-gamma * np.sqrt(F))

    def f(x, Y, p):
        psi, E, u = Y
        return np.vstack([-E, -lam * np.exp(u), p[0] * ratio(E) * np.exp(-u) - E])

    def make_bc(Vk):
        def bc(Ya, Yb, p):
            return np.array([Ya[0] - (Vk - s["chi"]) / VT, Yb[0] + s["chi"] / VT,
                             p[0] - k * np.expm1(Ya[2]), p[0] + k * np.expm1(Yb[2])])
        return bc

    if guess is not None:
        y, psi, n = guess
        x = y / L
        E = -np.gradient(psi / VT, x)
        Y = np.vstack([psi / VT, E, np.log(n / Nc)])
        p0 = [mott_gurney(V) / (q * mu0 * Nc * VT / L)]
        steps = [V]
    else:
        x = sclc_mesh_y(1e-11, 1.05) / L
        Y = np.vstack([(-s["chi"] + V * (1 - x)) / VT, V / VT * np.ones_like(x), -5 * np.sin(np.pi * x)])
        p0 = [0.0]
        steps = np.linspace(0, V, 21)[1:]
    sol = None
    for Vk in steps:
        sol = solve_bvp(f, make_bc(Vk), x, Y, p=p0 if sol is None else sol.p, tol=tol, max_nodes=300000)
        if not sol.success:
            raise RuntimeError(f"solve_bvp failed at V = {Vk}: {sol.message}")
        x, Y = sol.x, sol.y
    return float(sol.p[0] * q * mu0 * Nc * VT / L), sol


def fem_profile(tm, st):
    """(y, psi, n) along the left column of a 1D drift-diffusion state (a starting guess only)."""
    p = tm.mesh.p
    sel = np.flatnonzero(p[0] < 1e-15)
    sel = sel[np.argsort(p[1][sel])]
    return p[1][sel], st.psi[sel], st.n[sel]


def mott_gurney(V):
    s = SCLC
    return 9 / 8 * s["eps_r"] * eps0 * s["mu"] * np.asarray(V) ** 2 / s["L"] ** 3


# --- pn diode ------------------------------------------------------------------------------------
def pn_diode_rows(row):
    """Abrupt Si pn junction, N_A = N_D = 1e17 cm^-3, 5 um bases, ohmic contacts (short base)."""
    W, N = 5e-6, 1e23
    half = graded_points(0, W, 2e-9, 1.08, W / 40)
    x = np.unique(np.r_[W - half[::-1], W + half])
    eps = 11.7 * eps0
    ni2 = 2.8e25 * 1.04e25 * np.exp(-1.12 / VT)
    vbi = VT * np.log(N * N / ni2)
    out = []
    for tau in (None, 1e-9):
        mats = {"p": silicon("p", acceptors_per_cm3=1e17, tau_s=tau), "n": silicon("n", donors_per_cm3=1e17, tau_s=tau)}
        tm = tensor_mesh(x, [0.0, 1e-7], lambda xc, yc: np.where(xc < W, "p", "n"), mats)
        dev = build_device(tm, [Contact("left"), Contact("right")])
        eq = solve_equilibrium(dev)
        if tau is None:
            xs = tm.mesh.p[0]
            d = eq.psi[np.argmin(np.abs(xs - 9e-6))] - eq.psi[np.argmin(np.abs(xs - 1e-6))]
            out.append(row("pn diode 1e17/1e17", "built_in_potential_V", float(d), float(vbi), 1e-9))
            st = solve_bias(dev, {"left": -2.0}, start=eq)
            Emax = np.sqrt(2 * q * N / 2 * (vbi + 2.0 - 2 * VT) / eps)
            g = dev.geom
            field = np.abs(np.einsum("dke,ke->de", g.grad, st.psi[g.t]))[0]
            out.append(row("pn diode V=-2 V", "peak_field_V_per_m", float(field.max()), float(Emax), 0.02))
            vol = g.node_volume()
            side = xs < W - 1e-12
            Q = -np.sum((q * (st.p - st.n - N))[side] * vol[side]) / 1e-7
            out.append(row("pn diode V=-2 V", "depletion_charge_C_per_m2", float(Q), float(eps * Emax), 0.02))
            for st in ramp(dev, "left", [0.3, 0.4, 0.5], start=eq, progress=False):
                V = st.voltages["left"]
                xd = np.sqrt(eps * (vbi - V - 2 * VT) / (q * N))
                J = q * ni2 * (1400e-4 + 450e-4) * VT / (N * (W - xd)) * np.expm1(V / VT)
                out.append(row(f"ideal short-base diode V={V}", "J_A_per_m2", st.currents["left"] / 1e-7, float(J), 0.05))
        else:
            s1, s2 = ramp(dev, "left", [0.15, 0.25], start=eq, progress=False)
            nid = 0.1 / (VT * np.log(s2.currents["left"] / s1.currents["left"]))
            out.append(row("pn diode, junction SRH tau=1 ns, 0.15-0.25 V", "ideality", float(nid), 2.0, 0.08))
            st = solve_bias(dev, {"left": 0.6}, start=s2)
            each = st.contact_fluxes                       # each contact's own flux sum
            out.append(row("pn diode SRH V=0.6", "anode+cathode_over_anode_current",
                           abs(each["left"] + each["right"]) / abs(each["left"]), 0.0, 1e-9))
            out.append(row("pn diode SRH V=0.6", "heat+light_vs_VI_W_per_m", float(st.heat.sum() + st.emitted_power),
                           float(st.power_in), 1e-8))
    return out


# --- current spreading -------------------------------------------------------------------------
def spreading(n_x=1.06, V=0.25):
    """Resistive sheet (conductor, 100 nm, sigma 1e5 S/m -> R_s = 100 Ohm/sq) over a thin n-type layer
    (10 nm) whose bottom is a forward-biased Schottky contact (exponential junction, barrier 0.6 eV).
    Current enters the sheet at its left edge x = 0 (the aperture edge). Returns x, J(x), J_e, l0."""
    t_sheet, t_semi = 100e-9, 10e-9
    sigma = 1e5
    Rs = 1.0 / (sigma * t_sheet)
    sheet = material("ITOish", "conductor", conductivity_S_per_m=sigma, work_function_eV=4.0)
    semi = material("nlayer", relative_permittivity=10.0, electron_affinity_eV=4.0, band_gap_eV=2.0,
                    Nc_per_cm3=1e19, Nv_per_cm3=1e19, mu_n_cm2_per_Vs=100.0, mu_p_cm2_per_Vs=1.0,
                    donors_per_cm3=1e19)
    X = 3e-3
    x = graded_points(0, X, 2e-7, n_x, 2e-5)
    y = np.r_[np.linspace(0, t_semi, 5), t_semi + np.linspace(0, t_sheet, 5)[1:]]
    tm = tensor_mesh(x, y, lambda xc, yc: np.where(yc < t_semi, "nlayer", "ITOish"),
                     {"nlayer": semi, "ITOish": sheet})
    tm = with_boundary(tm, "edge", lambda p: (p[0] < 1e-15) & (p[1] >= t_semi - 1e-15))
    dev = build_device(tm, [Contact("edge"), Contact("bottom", "schottky", work_function=4.6, v_n_m_per_s=1e5, v_p_m_per_s=1e5)])
    st = solve_bias(dev, {"bottom": V})         # Schottky on n-type: forward with the metal positive
    # current density into the bottom contact at each bottom node: lumped nodal currents / facet share
    from fem_cqd.electrical.driftdiffusion import assemble
    r_int = assemble(dev, st.x, jacobian=False)[0]
    nodes = tm.boundary_nodes("bottom")
    nodes = nodes[np.argsort(tm.mesh.p[0][nodes])]
    xb = tm.mesh.p[0][nodes]
    Ii = r_int[3 * nodes + 1] + r_int[3 * nodes + 2]
    share = np.zeros_like(xb)
    dx = np.diff(xb)
    share[:-1] += dx / 2
    share[1:] += dx / 2
    Jx = np.abs(Ii) / share                     # A/m^2 through the junction
    # interior nodes (lumped values at the two ends of a facet are not point values at x = 0)
    Je = np.interp(0.0, xb[1:4], Jx[1:4])       # extrapolated to the edge from the first nodes
    l0 = np.sqrt(2 * VT / (Rs * Je))
    return xb, Jx, Je, l0, st


# --- convergence -------------------------------------------------------------------------------
def _bisect(y, k):
    for _ in range(k):
        y = np.sort(np.r_[y, 0.5 * (y[1:] + y[:-1])])
    return y


def convergence(levels=(0, 1, 2, 3), V=2.0, base=(4e-11, 1.2)):
    """Max nodal error of psi at the base-mesh nodes under uniform bisection of a graded mesh,
    against a solution two bisections finer than the finest level (SCLC 1D at V)."""
    y0 = sclc_mesh_y(*base)
    sols = []
    for k in list(levels) + [levels[-1] + 2]:
        y = _bisect(y0, k)
        _, states, tm = sclc_fem([V], y=y)
        sols.append(_column(tm, states[-1].psi)[:: 2 ** k])
    ref = sols[-1]
    errs = np.array([np.max(np.abs(p - ref)) for p in sols[:-1]])
    hs = np.array([np.max(np.diff(y0)) / 2 ** k for k in levels])
    orders = np.log(errs[:-1] / errs[1:]) / np.log(2.0)
    return hs, errs, orders


def _column(tm, f):
    p = tm.mesh.p
    sel = p[0] < 1e-15
    order = np.argsort(p[1][sel])
    return f[sel][order]


def main():
    from _report import report, row
    rows = []
    t0 = time.time()
    for kind in ("conductor", "semiconductor"):
        for geo in ("planar", "axisymmetric"):
            R, Rex, _ = resistor(kind, geo)
            rows.append(row(f"resistor {kind} {geo}", "resistance_ohm", R, Rex, 1e-9))
    R, Rex, nn = disc_contact()
    rows.append(row(f"disc contact rho/(4a), {nn} nodes", "resistance_ohm", R, Rex, 0.02))
    Vs = [0.5, 1.0, 2.0, 5.0, 10.0, 20.0]
    J, states, tm = sclc_fem(Vs)
    for V, j, st in zip(Vs, J, states):
        jb, _ = sclc_bvp(V, guess=fem_profile(tm, st))
        rows.append(row(f"SCLC V={V} V (V/VT={V / VT:.0f})", "J_vs_solve_bvp", float(j), float(jb), 0.01))
    for V, j in zip(Vs, J):
        rows.append(row(f"SCLC V={V} V (V/VT={V / VT:.0f})", "J_over_J_MG", float(j / mott_gurney(V)), None))
    gamma = 1e-4
    Jpf, spf, tm = sclc_fem(Vs, gamma=gamma)
    for V, j, j0 in zip(Vs, Jpf, J):
        rows.append(row(f"SCLC Poole-Frenkel gamma={gamma} sqrt(m/V), V={V}", "J_PF_over_J", float(j / j0), None))
    jb, _ = sclc_bvp(5.0, gamma=gamma, guess=fem_profile(tm, spf[3]), tol=1e-5)   # collocation residual 1e-5: PF stiffens it
    rows.append(row("SCLC Poole-Frenkel V=5 V", "J_vs_solve_bvp", float(Jpf[3]), float(jb), 0.01))
    rows += pn_diode_rows(row)
    xb, Jx, Je, l0, _ = spreading()
    sel = (xb > 0) & (xb < 5 * l0)
    model = Je / (1 + xb[sel] / l0) ** 2
    err = np.max(np.abs(Jx[sel] / model - 1))
    rows.append(row(f"current spreading, l0 = {l0 * 1e6:.1f} um", "max_rel_dev_J(x)_0<x<5l0", float(err), 0.0, 0.05))
    hs, errs, orders = convergence()
    for h, e in zip(hs, errs):
        rows.append(row(f"convergence SCLC h={h * 1e9:.3g} nm", "max_nodal_psi_error_V", float(e), None))
    rows.append(row("convergence SCLC", "observed_order", float(orders[-1]), 2.0, 0.15))
    rows.append(row("dd_analytic total", "seconds", time.time() - t0, None))
    report("dd_analytic", rows)


if __name__ == "__main__":
    main()
