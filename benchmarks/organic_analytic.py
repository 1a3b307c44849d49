"""Organic-semiconductor models against independent references (DESIGN.md rung 13).

Cases (each a row in results/organic_analytic.json; run ``python benchmarks/organic_analytic.py``):

- Gauss-Fermi statistics, F(eta, s) = (1/sqrt(2 pi)) int exp(-x^2/2)/(1 + e^(s x - eta)) dx, and
  d ln F/d eta, against mpmath quadrature (20 digits, breakpoints at the integrand's mode and the
  logistic's centre x = eta/s) over eta in [-60, 20] (step 1) x s in [0, 8] (step 0.5): max relative
  error, tolerance 1e-10; the same through the per-entry (mode-centred) quadrature;
- Fermi-Dirac F_1/2 = -Li_3/2(-e^eta) and d ln F_1/2/d eta = F_-1/2/F_1/2 against mpmath polylog,
  eta in [-60, 40] (and a few points beyond 40): tolerance 1e-10;
- the generalised Einstein relation D/(mu V_T) = 1/(d ln F/d eta) against a sixth-order central
  difference of ln F (tolerance 1e-8); the limits s = 0 (logistic), s -> 0+ and eta << -s^2
  (ln F -> s^2/2 + eta); inverse round trip eta -> ln F -> eta;
- a Gauss-Fermi heterointerface at equilibrium: HOMO centres 0.3 eV apart, sigma_A = 0.08 eV,
  sigma_B = 0.12 eV, N0 = 1e21 cm^-3, one Fermi level, continuous vacuum level: p_B/p_A from the
  statistics functions vs scipy.integrate.quad of both Gaussian-DOS integrals written in energy;
- timing: 1e5 Gauss-Fermi evaluations at s = 2, 4, 8 and 1e5 Fermi-Dirac evaluations.

Device rows (``device_rows``; the independent references are in ``_organic_bvp.py``):

- hole-only Gauss-Fermi device (anode W 5.2 eV / 100 nm, HOMO 5.3 eV, sigma 0.1 eV, N0 1e21 cm^-3,
  eps_r 3, mu 1e-4 cm^2/Vs / cathode W 4.8 eV) vs scipy solve_bvp of the same equations with its own
  quad Gauss-Fermi integrals: J per bias (0.5 .. 8 V) and mesh (h_max 2 .. 0.125 nm, graded from
  0.01 nm at both contacts), tolerance 1 %; p and psi profiles; Poole-Frenkel (gamma 3e-3
  sqrt(cm/V)); the BVP's own convergence (tol 1e-6 vs 1e-8, field regularisation F_0);
- zero equilibrium current with Gauss-Fermi and Fermi-Dirac heterointerfaces (round-off; exactly 0
  for phi = 0 on any potential) and the flux on random potentials and excess chemical potentials;
- equilibrium densities on both sides of degenerate Gauss-Fermi heterointerface nodes (and of a
  Fermi-Dirac oxide) of a solved device vs quad: 1e-9;
- EGDM vs the Pasveer et al. formula (grid in T, c, F; held values; temperature law; a device's
  edge mobilities): 1e-12;
- image-force lowering: the shift the fluxes see vs sqrt(q F/(4 pi eps))/V_T: 1e-6; the current
  ratio with / without it (and, informational, its mesh dependence against the lowered-barrier
  solve_bvp: a known fem_cqd issue, see tests/test_organic.py);
- thermionic emission at a heterointerface (hole-only bilayer, HOMO step 0.3 eV, Gauss-Fermi and
  Boltzmann, interface velocity 10 and 0.1 m/s) vs the two-layer solve_bvp of ``_hetero_bvp.py``:
  J at 1, 2, 3 V on two meshes (0.5 % on the first; 0.1 % with the first cell 10x and the grading
  ratio and h_max 2x finer: the error sits in the contact accumulation / extraction layers); the
  v -> infinity limit (1/v approach to the continuous-level result); zero equilibrium current;
- analytic Jacobian vs central differences on an axisymmetric device with every feature (1e-6),
  and its current and energy conservation at 3 V (1e-9, 1e-8);
- timings.
"""
from __future__ import annotations

import math
import os
import sys
import time

import mpmath
import numpy as np
from scipy import integrate, optimize

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from fem_cqd.constants import q as q_e                                        # noqa: E402
from fem_cqd.constants import thermal_voltage                                 # noqa: E402
from fem_cqd.electrical import statistics as st                               # noqa: E402

ETA_GRID = np.arange(-60.0, 20.0 + 0.5, 1.0)
S_GRID = np.arange(0.0, 8.0 + 0.25, 0.5)


# --- references -------------------------------------------------------------------------------
def _gf_mode_mp(eta, s):
    """Mode of exp(-x^2/2)/(1 + e^(s x - eta)): root of x + s/(1 + e^(eta - s x)) in [-s, 0]."""
    lo, hi = -s, mpmath.mpf(0)
    for _ in range(80):
        m = (lo + hi) / 2
        if m + s / (1 + mpmath.exp(eta - s * m)) < 0:
            lo = m
        else:
            hi = m
    return (lo + hi) / 2


def gf_reference(eta, s, deriv=True, dps=20):
    """(F, d ln F/d eta) of Gauss-Fermi by mpmath quadrature (as mpf; the second None unless
    ``deriv``), any eta and s >= 0.

    The integrand is scaled by its value at the mode (mpmath's quad tests absolute errors) and
    split at the mode +- (1, 3, 6, 13) and at the logistic's centre eta/s +- (2, 6)/s.
    """
    with mpmath.workdps(dps):
        eta, s = mpmath.mpf(float(eta)), mpmath.mpf(float(s))
        if s == 0:
            return 1 / (1 + mpmath.exp(-eta)), (1 / (1 + mpmath.exp(eta)) if deriv else None)
        xm = _gf_mode_mp(eta, s)
        c = eta / s

        def lg(x):
            return -x * x / 2 - mpmath.log1p(mpmath.exp(s * x - eta))

        g0 = lg(xm)
        pts = [xm + k for k in (-13, -6, -3, -1, 0, 1, 3, 6, 13)] + [c + k / s for k in (-6, -2, 0, 2, 6)]
        pts = sorted(p for p in set(pts) if xm - 13 <= p <= xm + 13)

        def f(x):
            return mpmath.exp(lg(x) - g0)

        i0 = mpmath.quad(f, pts)
        F = i0 * mpmath.exp(g0) / mpmath.sqrt(2 * mpmath.pi)
        if not deriv:
            return F, None
        i1 = mpmath.quad(lambda x: f(x) / (1 + mpmath.exp(eta - s * x)), pts)   # phi L (1 - L)
        return F, i1 / i0


def fd_reference(eta, dps=30):
    """(F_1/2, F_-1/2) = (-Li_3/2(-e^eta), -Li_1/2(-e^eta)) by mpmath (as mpf)."""
    with mpmath.workdps(dps):
        z = -mpmath.exp(mpmath.mpf(float(eta)))
        return -mpmath.re(mpmath.polylog(1.5, z)), -mpmath.re(mpmath.polylog(0.5, z))


def gf_reference_grid(etas=ETA_GRID, ss=S_GRID):
    """Arrays (eta, s, ln F, d ln F/d eta) of the mpmath reference on the grid etas x ss."""
    e, s = (a.ravel() for a in np.meshgrid(etas, ss, indexing="ij"))
    ref = [gf_reference(a, b) for a, b in zip(e, s)]
    lnf = np.array([float(mpmath.log(F)) for F, _ in ref])
    dln = np.array([float(d) for _, d in ref])
    return e, s, lnf, dln


def max_rel_error_ln(lnf, lnf_ref):
    """max |F/F_ref - 1| from logarithms (exact for tiny F)."""
    return float(np.max(np.abs(np.expm1(np.asarray(lnf) - lnf_ref))))


def numerical_dln(name, eta, s, h=1e-3):
    """Sixth-order central difference of ln F (truncation ~h^6, round-off ~1e-16 |ln F|/h)."""
    c = [(1, 45.0), (2, -9.0), (3, 1.0)]
    return sum(w * (st.log_density(name, eta + k * h, s)[0] - st.log_density(name, eta - k * h, s)[0])
               for k, w in c) / (60.0 * h)


def hole_density_direct(EF, EH, sigma, kT, N0):
    """ln p for a Gaussian HOMO band written in energy (eV), independently of fem_cqd:
    p = N0 int g(E) (1 - f(E)) dE, g = exp(-(E - EH)^2/(2 sigma^2))/(sigma sqrt(2 pi)),
    1 - f(E) = 1/(1 + exp((EF - E)/kT)); scipy.integrate.quad about the integrand's peak."""
    def lg(E):
        return -0.5 * ((E - EH) / sigma) ** 2 - np.logaddexp(0.0, (EF - E) / kT)

    # log-concave: peak between EH - 10 sigma and EH + sigma^2/kT + 10 sigma
    peak = optimize.minimize_scalar(lambda E: -lg(E), bounds=(EH - 10 * sigma, EH + sigma ** 2 / kT + 10 * sigma),
                                    method="bounded", options={"xatol": 1e-10}).x
    lp = lg(peak)
    a, b = peak - 14 * sigma, peak + 14 * sigma
    pts = sorted(p for p in {peak, EF, EH, peak - sigma, peak + sigma, peak - 3 * sigma, peak + 3 * sigma}
                 if a < p < b)
    val, _ = integrate.quad(lambda E: math.exp(lg(E) - lp), a, b, points=pts, epsabs=0.0, epsrel=1e-13,
                            limit=400)
    return math.log(N0) + lp + math.log(val / (sigma * math.sqrt(2 * math.pi)))


def heterointerface_ratio(EF_minus_EHA, dE=0.3, sigma_A=0.08, sigma_B=0.12, N0=1e27, T=300.0):
    """(p_B/p_A from fem_cqd statistics, p_B/p_A by direct integration in energy) at one Fermi level.

    HOMO centre of B lies dE below that of A (same vacuum level: continuous electrostatic
    potential); holes: eta = (E_HOMO - E_F)/kT. N0 in m^-3 (1e21 cm^-3).
    """
    kT = float(thermal_voltage(T))
    EHA, EF = 0.0, EF_minus_EHA
    EHB = EHA - dE
    ln_pa = math.log(N0) + float(st.gauss_fermi((EHA - EF) / kT, sigma_A / kT)[0])
    ln_pb = math.log(N0) + float(st.gauss_fermi((EHB - EF) / kT, sigma_B / kT)[0])
    ra = hole_density_direct(EF, EHA, sigma_A, kT, N0)
    rb = hole_density_direct(EF, EHB, sigma_B, kT, N0)
    return math.exp(ln_pb - ln_pa), math.exp(rb - ra)


def time_call(fun, *args, repeat=5):
    """Best of ``repeat`` wall-clock times (s)."""
    best = math.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        fun(*args)
        best = min(best, time.perf_counter() - t0)
    return best


# --- rows -------------------------------------------------------------------------------------
def gauss_fermi_rows(row):
    e, s, lnf_ref, dln_ref = gf_reference_grid()
    lnf, dln = st.gauss_fermi(e, s)
    grid = "eta -60..20 step 1, s 0..8 step 0.5"
    rows = [row(f"Gauss-Fermi F vs mpmath quad ({grid})", "max_rel_error", max_rel_error_ln(lnf, lnf_ref), 0.0, 1e-10),
            row(f"Gauss-Fermi dlnF/deta vs mpmath quad ({grid})", "max_rel_error",
                float(np.max(np.abs(dln / dln_ref - 1))), 0.0, 1e-10)]
    # the per-entry path (many distinct s, or s > 20): trapezoid centred at each entry's mode
    neg = (e <= 0) & (s > 0)
    lc, dc = st._gf_centred(e[neg], s[neg])
    rows.append(row("Gauss-Fermi mode-centred quadrature vs mpmath (eta <= 0, s > 0 of the grid)",
                    "max_rel_error", max(max_rel_error_ln(lc, lnf_ref[neg]),
                                         float(np.max(np.abs(dc / dln_ref[neg] - 1)))), 0.0, 1e-10))
    big = [(-400.0, 12.0), (-150.0, 12.0), (0.0, 12.0), (5.0, 16.0), (-700.0, 25.0), (-20.0, 25.0), (10.0, 40.0)]
    rb = [gf_reference(a, b) for a, b in big]
    lb, db = st.gauss_fermi(np.array([a for a, _ in big]), np.array([b for _, b in big]))
    err = max(max_rel_error_ln(lb, np.array([float(mpmath.log(F)) for F, _ in rb])),
              float(np.max(np.abs(db / np.array([float(d) for _, d in rb]) - 1))))
    rows.append(row("Gauss-Fermi s = 12..40 (F and dlnF) vs mpmath quad", "max_rel_error", err, 0.0, 1e-10))
    # Einstein relation vs a numerical derivative
    eta = np.linspace(-60, 20, 321)
    err = 0.0
    for sv in (0.5, 2.0, 4.0, 8.0):
        err = max(err, float(np.max(np.abs(st.einstein_ratio("gauss_fermi", eta, sv)
                                            * numerical_dln("gauss_fermi", eta, sv) - 1))))
    rows.append(row("Gauss-Fermi Einstein ratio 1/(dlnF/deta) vs 6th-order difference of ln F",
                    "max_rel_error", err, 0.0, 1e-8))
    # limits
    eta = np.linspace(-700, 700, 2801)
    logistic = -np.logaddexp(0.0, -eta)
    rows.append(row("Gauss-Fermi s = 0 vs logistic 1/(1 + e^-eta), eta -700..700", "max_rel_error",
                    max_rel_error_ln(st.gauss_fermi(eta, 0.0)[0], logistic), 0.0, 1e-14))
    rows.append(row("Gauss-Fermi s = 1e-6 vs logistic (continuity at s -> 0+, O(s^2))", "max_rel_error",
                    max_rel_error_ln(st.gauss_fermi(eta, 1e-6)[0], logistic), 0.0, 1e-10))
    sv = np.arange(0.5, 8.01, 0.5)
    eb = -2 * sv ** 2 - 40                      # next term e^(eta + 3 s^2/2) relative <= e^-40
    rows.append(row("Gauss-Fermi Boltzmann limit eta = -2 s^2 - 40: ln F = s^2/2 + eta", "max_rel_error",
                    max_rel_error_ln(st.gauss_fermi(eb, sv)[0], sv ** 2 / 2 + eb), 0.0, 1e-12))
    eta = np.linspace(-60, 20, 81)
    err = 0.0
    for sv in (0.0, 0.5, 2.0, 4.0, 8.0):
        lnf = st.gauss_fermi(eta, sv)[0]
        err = max(err, float(np.max(np.abs(st.eta_from_log_density("gauss_fermi", lnf, sv) - eta)
                                    / np.maximum(1, np.abs(eta)))))
    rows.append(row("Gauss-Fermi inverse round trip eta -> ln F -> eta", "max_rel_error", err, 0.0, 1e-12))
    return rows


def fermi_dirac_rows(row):
    eta = np.concatenate([np.arange(-60.0, 40.01, 0.25), [40.0001, 41.0, 50.0, 80.0, 200.0]])
    ref = [fd_reference(a) for a in eta]
    lnf_ref = np.array([float(mpmath.log(a)) for a, _ in ref])
    dln_ref = np.array([float(b / a) for a, b in ref])
    lnf, dln = st.fermi_dirac(eta, 0.0)
    rows = [row("Fermi-Dirac F_1/2 vs mpmath polylog (eta -60..40 step 0.25, 41..200)", "max_rel_error",
                max_rel_error_ln(lnf, lnf_ref), 0.0, 1e-10),
            row("Fermi-Dirac F_-1/2/F_1/2 vs mpmath polylog", "max_rel_error",
                float(np.max(np.abs(dln / dln_ref - 1))), 0.0, 1e-10)]
    e = np.linspace(-60, 60, 481)
    rows.append(row("Fermi-Dirac Einstein ratio vs 6th-order difference of ln F", "max_rel_error",
                    float(np.max(np.abs(st.einstein_ratio("fermi_dirac", e, 0.0)
                                        * numerical_dln("fermi_dirac", e, 0.0) - 1))), 0.0, 1e-8))
    e = np.linspace(-700, 1000, 1701)
    lnf = st.fermi_dirac(e, 0.0)[0]
    rows.append(row("Fermi-Dirac inverse round trip eta -> ln F -> eta", "max_rel_error",
                    float(np.max(np.abs(st.eta_from_log_density("fermi_dirac", lnf, 0.0) - e)
                                 / np.maximum(1, np.abs(e)))), 0.0, 1e-12))
    return rows


def heterointerface_rows(row):
    rows = []
    for ef in (0.8, 0.5, 0.2, 0.0, -0.1):
        got, ref = heterointerface_ratio(ef)
        rows.append(row(f"heterointerface density ratio at equilibrium, Gauss-Fermi both sides vs direct "
                        f"integration (E_F - E_HOMO,A = {ef:+.1f} eV, dE 0.3 eV, sigma 0.08/0.12 eV)",
                        "p_B/p_A", got, ref, 1e-9))
    return rows


def timing_rows(row):
    eta = np.random.default_rng(0).uniform(-60.0, 20.0, 100_000)
    rows = [row(f"1e5 Gauss-Fermi evaluations (F and dlnF), s = {sv:g}, eta in [-60, 20]", "seconds",
                time_call(st.gauss_fermi, eta, sv), None) for sv in (2.0, 4.0, 8.0)]
    rows.append(row("1e5 Fermi-Dirac 1/2 evaluations (F and dlnF), eta in [-60, 40]", "seconds",
                    time_call(st.fermi_dirac, np.random.default_rng(0).uniform(-60.0, 40.0, 100_000), 0.0), None))
    return rows


def statistics_rows():
    """All statistics rows: Gauss-Fermi, Fermi-Dirac, heterointerface, timings."""
    from _report import row
    return gauss_fermi_rows(row) + fermi_dirac_rows(row) + heterointerface_rows(row) + timing_rows(row)


# --- device rows -------------------------------------------------------------------------------
DEVICE_BIASES = (0.5, 1.0, 2.0, 4.0, 8.0)
DEVICE_HMAX = (2e-9, 1e-9, 0.5e-9, 0.25e-9, 0.125e-9)


def _hole_only_rows(row, ob):
    from fem_cqd.electrical import ramp
    rows = []
    ref = ob.HoleOnlyDevice()
    t0 = time.perf_counter()
    bvp = ref.sweep(DEVICE_BIASES, step=0.5, tol=1e-8)
    t_bvp = time.perf_counter() - t0
    loose = ref.sweep((1.0, 4.0), step=1.0, tol=1e-6)
    rows += [row(f"hole-only GF device: solve_bvp tol 1e-6 vs 1e-8, V = {V:g} V", "J (A/m^2)", loose[V]["J"],
                 bvp[V]["J"], 1e-6) for V in (1.0, 4.0)]
    rows.append(row("hole-only GF device: solve_bvp equilibrium reaches the cathode density (g-table check)",
                    "z(L) - ln(p_c/p_s)", abs(ref.equilibrium(tol=1e-8)["z_end_error"]), 0.0, 1e-6))
    timing = {}
    for hmax in DEVICE_HMAX:
        t0 = time.perf_counter()
        tm, dev, w = ob.fem_hole_only(ref, hmax=hmax)
        states = ramp(dev, "bottom", DEVICE_BIASES, progress=False)
        timing[hmax] = (time.perf_counter() - t0, tm.mesh.p.shape[1] // 2)
        for state, V in zip(states, DEVICE_BIASES):
            rows.append(row(f"hole-only GF device vs solve_bvp: V = {V:g} V, h_max = {hmax * 1e9:g} nm "
                            f"({timing[hmax][1]} nodes in y)", "J (A/m^2)", state.currents["bottom"] / w, bvp[V]["J"],
                            1e-2))
        if hmax == 0.5e-9:
            p = tm.mesh.p
            col = np.flatnonzero((p[0] == 0) & (p[1] > 0) & (p[1] < ref.L))
            col = col[np.argsort(p[1, col])]
            probes = np.array([2, 10, 30, 50, 70, 90, 98]) * 1e-9
            idx = col[[int(np.argmin(np.abs(p[1, col] - y))) for y in probes]]
            for st, V in zip(states, DEVICE_BIASES):
                psi_b, p_b, phip_b = ref.profiles(bvp[V], p[1, idx])
                rows.append(row(f"hole-only GF device profile vs solve_bvp at y = 2..98 nm, V = {V:g} V, h_max 0.5 nm",
                                "max |p/p_bvp - 1|", float(np.max(np.abs(st.p[idx] / p_b - 1))), 0.0, 1e-2))
                rows.append(row(f"hole-only GF device profile vs solve_bvp at y = 2..98 nm, V = {V:g} V, h_max 0.5 nm",
                                "max |psi - psi_bvp| (V)", float(np.max(np.abs(st.psi[idx] - psi_b))), 0.0, 1e-3))
                rows.append(row(f"hole-only GF device profile vs solve_bvp at y = 2..98 nm, V = {V:g} V, h_max 0.5 nm",
                                "max |phi_p - phi_p,bvp| (V)", float(np.max(np.abs(st.phi_p[idx] - phip_b))), 0.0, 1e-3))
    # Poole-Frenkel
    # (the BVP regularises F as sqrt(psi'^2 + F_0^2) with F_0 = 1000 V/m, fem_cqd with 1 V/m: the
    # sqrt(|F|) cusp of mu at the virtual anode defeats solve_bvp's mesh refinement below ~100 V/m)
    pf = ob.HoleOnlyDevice(gamma=3e-4, F0=1000.0)
    pf_b = pf.sweep((1.0, 2.0, 4.0), step=0.5, tol=1e-7)
    pf_loose = pf.sweep((1.0, 4.0), step=0.5, tol=1e-6)
    pf_100 = ob.HoleOnlyDevice(gamma=3e-4, F0=100.0).sweep((1.0, 4.0), step=0.5, tol=1e-6)
    for V in (1.0, 4.0):
        rows.append(row(f"hole-only GF+PF device: solve_bvp tol 1e-6 vs 1e-7, V = {V:g} V", "J (A/m^2)",
                        pf_loose[V]["J"], pf_b[V]["J"], 1e-6))
        rows.append(row(f"hole-only GF+PF device: solve_bvp field regularisation F_0 = 100 vs 1000 V/m (fem_cqd: "
                        f"1 V/m), V = {V:g} V", "J (A/m^2)", pf_100[V]["J"], pf_loose[V]["J"], 1e-5))
    for hmax in (1e-9, 0.5e-9, 0.25e-9):
        tm, dev, w = ob.fem_hole_only(pf, hmax=hmax)
        for st, V in zip(ramp(dev, "bottom", (1.0, 2.0, 4.0), progress=False), (1.0, 2.0, 4.0)):
            rows.append(row(f"hole-only GF device, Poole-Frenkel gamma 3e-3 sqrt(cm/V), vs solve_bvp: V = {V:g} V, "
                            f"h_max = {hmax * 1e9:g} nm", "J (A/m^2)", st.currents["bottom"] / w, pf_b[V]["J"], 1e-2))
    rows.append(row(f"solve_bvp hole-only sweep 0 -> 8 V (tol 1e-8, {len(DEVICE_BIASES)} biases)", "seconds", t_bvp,
                    None))
    e = {h: abs(next(r for r in rows if r["case"].startswith(f"hole-only GF device vs solve_bvp: V = 4 V, h_max = "
                                                            f"{h * 1e9:g} nm"))["rel_error"]) for h in DEVICE_HMAX}
    for h1, h2 in zip(DEVICE_HMAX[:-1], DEVICE_HMAX[1:]):
        rows.append(row(f"hole-only GF device, V = 4 V: observed order of the J error, h_max {h1 * 1e9:g} -> "
                        f"{h2 * 1e9:g} nm (grading at the contacts fixed)", "log2(e1/e2)", math.log2(e[h1] / e[h2]),
                        None))
    for hmax, (t, n) in timing.items():
        rows.append(row(f"fem_cqd hole-only ramp to {len(DEVICE_BIASES)} biases, h_max = {hmax * 1e9:g} nm ({n} nodes "
                        "in y, incl. equilibrium)", "seconds", t, None))
    return rows


def _equilibrium_rows(row, ob):
    from fem_cqd.constants import q
    from fem_cqd.electrical import solve_equilibrium
    from fem_cqd.electrical.bernoulli import bernoulli
    from fem_cqd.electrical.driftdiffusion import IA, assemble
    from fem_cqd.electrical.eafe import electron_current, hole_current
    from fem_cqd.electrical.system import terminal_currents
    rows = []
    tm, dev = ob.hetero_device()
    eq = solve_equilibrium(dev)
    live = dev.node_semi
    rows.append(row("equilibrium, GF + FD heterointerfaces (2D, p-doped GF layers, degenerate oxide)",
                    "max |phi_n|, |phi_p| (V)", float(max(np.abs(eq.phi_n[live]).max(), np.abs(eq.phi_p[live]).max())),
                    0.0, 1e-14))
    _, _, _, _, fl = assemble(dev, eq.x, jacobian=False)
    S = dev.semi
    c = dev.geom.weight[:, S] * q * dev.VT[S]
    one_p = np.abs(c * fl.mu_p * fl.p[IA] * bernoulli(fl.Dp))
    one_n = np.abs(c * fl.mu_n * fl.n[IA] * bernoulli(-fl.Dn))
    rel = max(float(np.max(np.abs(fl.Ip) / np.maximum(one_p, 1e-300))),
              float(np.max(np.abs(fl.In) / np.maximum(one_n, 1e-300))))
    rows.append(row("equilibrium, GF + FD heterointerfaces: edge currents / one-way fluxes c n B(D)",
                    "max relative", rel, 0.0, 1e-12))
    scale = max(one_p.max(), one_n.max())
    rows.append(row("equilibrium, GF + FD heterointerfaces: terminal currents / largest one-way edge flux",
                    "max relative", max(abs(v) for v in eq.currents.values()) / scale, 0.0, 1e-12))
    rng = np.random.default_rng(3)
    nonzero = 0
    for k in range(5):
        x = np.zeros_like(eq.x)
        x[0::3] = eq.psi + (rng.uniform(-1, 1, eq.psi.size) if k else 0.0)
        _, _, _, _, f0 = assemble(dev, x, jacobian=False)
        nonzero += int(np.count_nonzero(f0.In) + np.count_nonzero(f0.Ip) + np.count_nonzero(f0.Ic))
        nonzero += sum(v != 0 for v in terminal_currents(dev, f0).values())
    rows.append(row("phi_n = phi_p = 0 on the solved and 4 random potentials (GF + FD device): edge and terminal "
                    "currents", "count of nonzero", float(nonzero), 0.0, 0.0))
    n = 1_000_000
    dpsi = rng.uniform(-2.0, 2.0, n) / thermal_voltage(300.0)
    ga, gb = rng.uniform(-32, 0, n), rng.uniform(-32, 0, n)
    La = np.log(1e27) + rng.uniform(-60, 0, n)
    zero = np.zeros(n)
    cnt = int(np.count_nonzero(electron_current(1e-25, La, dpsi + ga - gb, zero)[0])
              + np.count_nonzero(hole_current(1e-25, La, dpsi - ga + gb, zero)[0]))
    rows.append(row("ECP flux at s = t = 0, 1e6 random (dpsi, gamma_a, gamma_b, ln n_a) per carrier", "count of nonzero",
                    float(cnt), 0.0, 0.0))
    # heterointerface densities
    kT = float(thermal_voltage(300.0))
    t = dev.geom.t[:, S]
    region = np.array(tm.region_names)[tm.element_region[S]]
    errs, ratio_err, ratios = [], [], []
    for node in np.unique(t[:, region == "A"]):
        kb = np.argwhere((t == node) & (region == "B")[None, :])
        if not kb.size:
            continue
        ka = np.argwhere((t == node) & (region == "A")[None, :])[0]
        pa, pb = fl.p[ka[0], ka[1]], fl.p[kb[0][0], kb[0][1]]
        ra = math.exp(ob.hole_density_energy(-eq.phi_p[node], -5.3 - eq.psi[node], 0.08, kT, 1e27))
        rb = math.exp(ob.hole_density_energy(-eq.phi_p[node], -5.6 - eq.psi[node], 0.12, kT, 1e27))
        errs += [abs(pa / ra - 1), abs(pb / rb - 1)]
        ratio_err.append(abs((pb / pa) / (rb / ra) - 1))
        ratios.append(rb / ra)
    rows.append(row(f"heterointerface densities, solved GF/GF equilibrium ({len(ratio_err)} nodes, HOMO 5.3/5.6 eV, "
                    "sigma 0.08/0.12 eV, degenerate) vs quad in energy", "max |p/p_quad - 1|", max(errs), 0.0, 1e-9))
    rows.append(row(f"heterointerface density ratio p_B/p_A, solved device (ratios {min(ratios):.4g} .. "
                    f"{max(ratios):.4g}) vs quad", "max relative error", max(ratio_err), 0.0, 1e-9))
    ferr = []
    for node in np.unique(t[:, region == "C"]):
        kb = np.argwhere((t == node) & (region == "B")[None, :])
        if not kb.size:
            continue
        kc = np.argwhere((t == node) & (region == "C")[None, :])[0]
        eta = (eq.psi[node] + 3.9 - eq.phi_n[node]) / kT
        ferr.append(abs(fl.n[kc[0], kc[1]] / (2e24 * math.exp(ob.fermi_dirac_half_quad(eta))) - 1))
    rows.append(row(f"GF/FD interface: oxide electron density, solved device ({len(ferr)} nodes) vs quad of F_1/2",
                    "max |n/n_quad - 1|", max(ferr), 0.0, 1e-9))
    return rows


def _egdm_rows(row, ob):
    import dataclasses

    from fem_cqd.constants import k_B, q
    from fem_cqd.electrical import Contact, build_device, solve_bias
    from fem_cqd.electrical import mobility as mob
    from fem_cqd.electrical.driftdiffusion import IA, IB, assemble
    rows = []
    sigma, a, mu_star = 0.1, 1e-9, 3e-2
    s300 = sigma / float(thermal_voltage(300.0))
    mu_300 = mu_star * 1.8e-9 * math.exp(-0.42 * s300 ** 2)

    def fem(T, ca3, F):
        T, ca3, F = np.broadcast_arrays(np.asarray(T, float), np.asarray(ca3, float), np.asarray(F, float))
        mu0 = mob.egdm_prefactor(mu_300, 0.0, sigma, T)
        return mob.egdm(mob.Inputs(mu0=mu0, gamma=0 * mu0, F=F, L_edge=np.broadcast_to(np.log(ca3 / a ** 3),
                                   (3,) + ca3.shape), s_hat=sigma * q / (k_B * T), a=np.full(T.shape, a),
                                   sigma=np.full(T.shape, sigma)))
    T = sigma * q / k_B / np.linspace(3.0, 6.0, 13)
    ca3 = np.geomspace(1e-10, 0.1, 19)
    F = np.linspace(0.0, 2.0, 11) * sigma / a
    TT, CC, FF = np.meshgrid(T, ca3, F, indexing="ij")
    mu = fem(TT, CC, FF)[0]
    want = ob.egdm_pasveer(mu_star, sigma, TT, CC, FF, a)
    rows.append(row("EGDM vs Pasveer et al. 2005 formula: sigma/kT 3..6, c a^3 1e-10..0.1, F e a/sigma 0..2 "
                    f"({mu[0].size} points)", "max relative error", float(np.max(np.abs(mu[0] / want - 1))), 0.0, 1e-12))
    edge = ob.egdm_pasveer(mu_star, sigma, TT[..., :1][:, :1], 0.1, 2 * sigma / a, a)
    held = fem(TT[:, :1, :1], 0.5, 5 * sigma / a)[0]
    rows.append(row("EGDM beyond c a^3 = 0.1 and F^ = 2 (0.5, 5): held at the edge values", "max relative error",
                    float(np.max(np.abs(held[0] / edge - 1))), 0.0, 1e-12))
    law = np.exp(-0.42 * ((sigma * q / (k_B * T)) ** 2 - s300 ** 2))
    got = mob.egdm_prefactor(mu_300, 0.0, sigma, T) / mu_300
    rows.append(row("EGDM temperature law mu0(T)/mu0(300 K) = exp(-c2 (s(T)^2 - s(300)^2))", "max relative error",
                    float(np.max(np.abs(got / law - 1))), 0.0, 1e-12))
    # a device's edge mobilities
    ref = ob.HoleOnlyDevice()
    tm, _, w = ob.fem_hole_only(ref, hmax=1e-9)
    tm = dataclasses.replace(tm, region_materials=tuple(dataclasses.replace(m, mobility_model="egdm")
                                                        if m.name == "org" else m for m in tm.region_materials))
    dev = build_device(tm, [Contact("bottom"), Contact("top")])
    st = solve_bias(dev, {"bottom": 3.0})
    _, _, _, _, fl = assemble(dev, st.x, jacobian=False)
    S = dev.semi
    aa = ref.N0 ** (-1 / 3)
    G = ob.element_gradients(tm.mesh.p, tm.mesh.t[:, S], st.psi)
    Fe = np.sqrt(G[0] ** 2 + G[1] ** 2 + 1.0)
    star = ref.mu0 / (1.8e-9 * math.exp(-0.42 * s300 ** 2))
    c = np.sqrt(fl.p[IA] * fl.p[IB]) * aa ** 3
    want = ob.egdm_pasveer(star, ref.sigma, 300.0, np.minimum(c, 0.1), np.minimum(Fe, 2 * ref.sigma / aa)[None, :], aa)
    rows.append(row("EGDM edge mobilities of a solved hole-only device at 3 V (assemble) vs formula at sqrt(p_a p_b), "
                    "|grad psi| (held where c a^3 > 0.1 or F^ > 2)", "max relative error",
                    float(np.max(np.abs(fl.mu_p / want - 1))), 0.0, 1e-12))
    return rows


def _image_force_rows(row, ob):
    """Image-force lowering as an effective work function of the interface node
    (fem_cqd.electrical.device): the shift phi - W_a - psi at the anode vs sqrt(qF/(4 pi eps)), and the
    current against solve_bvp with the lowered-barrier boundary density, as the first cell shrinks."""
    from fem_cqd.electrical import ramp, solve_bias
    rows = []
    ref = ob.HoleOnlyDevice(W_a=4.6)                       # injection-limited anode: 0.7 eV below the HOMO centre
    push_err, held = 0.0, 0.0
    for V in (2.0, 4.0, 8.0, -2.0):
        tm, dev, w = ob.fem_hole_only(ref, hmax=1e-9, image_force=True)
        st = solve_bias(dev, {"bottom": V})
        nodes = dev.image_force["nodes"]
        got = st.phi_n[nodes] - ref.W_a - st.psi[nodes]
        t = tm.mesh.t[:, dev.semi]
        E = -ob.element_gradients(tm.mesh.p, t, st.psi)
        F = E[1][np.flatnonzero(np.isin(t, nodes).any(axis=0))].mean()
        if F > 1e3:
            push_err = max(push_err, float(np.max(np.abs(got / np.sqrt(q_e * F / (4 * np.pi * ref.eps)) - 1))))
        else:
            held = max(held, float(np.max(np.abs(got))))
    rows.append(row("image-force lowering of the anode's effective work function vs sqrt(qF/(4 pi eps)) (2, 4, 8 V)",
                    "max relative error", push_err, 0.0, 1e-6))
    rows.append(row("image-force lowering where the field holds the holes back (-2 V; smooth F_+)",
                    "max |shift| (V)", held, 0.0, 1e-6))
    biases = (2.0, 4.0, 8.0)
    plain = ref.sweep(biases, step=0.5, tol=1e-6)
    lowered = {}
    for V in biases:
        res = plain[V]
        for lam in np.linspace(0.1, 1.0, 10):              # continuation in the lowering
            res = ref.solve(V, res, tol=1e-6, image_force=lam)
        lowered[V] = res["J"] / plain[V]["J"]
    for h0 in (0.002e-9, 0.01e-9, 0.1e-9, 1e-9):
        J = []
        for ifl in (False, True):
            tm, dev, w = ob.fem_hole_only(ref, h0=h0, hmax=1e-9, image_force=ifl)
            J.append(np.array([s.currents["bottom"] / w for s in ramp(dev, "bottom", biases, progress=False)]))
        ratio = J[1] / J[0]
        for k, V in enumerate(biases):
            rows.append(row(f"image-force J ratio with / without, first element h0 = {h0 * 1e9:g} nm, V = {V:g} V, "
                            "vs solve_bvp with the same lowered effective work function (psi and density at the anode)",
                            "J ratio", float(ratio[k]), lowered[V], 1e-3))
    return rows


def _thermionic_rows(row):
    import _hetero_bvp as hb
    from fem_cqd.electrical import ramp, solve_equilibrium
    from fem_cqd.electrical.driftdiffusion import assemble
    rows, biases = [], (1.0, 2.0, 3.0)
    for sigma in (0.08, 0.0):
        label = "Gauss-Fermi" if sigma else "Boltzmann"
        for v in (10.0, 0.1):
            ref = hb.bilayer_sweep(biases, **dict(hb.EXAMPLE, sigma_A=sigma, sigma_B=sigma, v=v))
            for h0, ratio, hmax, tol in ((0.02e-9, 1.1, 0.5e-9, 5e-3), (0.002e-9, 1.05, 0.25e-9, 1e-3)):
                tm, dev, area = hb.fem_bilayer(v, sigma=sigma, hmax=hmax, h0=h0, ratio=ratio)
                states = ramp(dev, "bottom", biases, progress=False)
                rows += [row(f"thermionic heterointerface, {label}, v = {v:g} m/s vs solve_bvp: V = {V:g} V, "
                             f"h0 {h0 * 1e9:g} nm x {ratio:g} to h_max {hmax * 1e9:g} nm ({dev.n_nodes // 2} nodes in y)",
                             "J (A/m^2)", s.currents["bottom"] / area, ref[V]["J"], tol) for s, V in zip(states, biases)]
    J = {}
    for v in (None, 1e2, 1e3):
        tm, dev, area = hb.fem_bilayer(v, hmax=1e-9)
        J[v] = ramp(dev, "bottom", (2.0,), progress=False)[-1].currents["bottom"]
    rows.append(row("thermionic heterointerface, Gauss-Fermi, V = 2 V: (J_inf - J(100 m/s)) / (J_inf - J(1000 m/s)) "
                    "(1/v approach to continuous levels)", "ratio", (J[None] - J[1e2]) / (J[None] - J[1e3]), 10.0, 0.05))
    tm, dev, area = hb.fem_bilayer(0.1, hmax=1e-9)
    eq = solve_equilibrium(dev)
    fl = assemble(dev, eq.x, jacobian=False)[4]
    rows.append(row("thermionic heterointerface at equilibrium: interface current / 1 V current", "ratio",
                    float(np.max(np.abs(fl.Ip_if))) / abs(J[None]), 0.0, 1e-12))
    return rows


def _feature_rows(row, ob):
    from fem_cqd.electrical import solve_bias, solve_equilibrium
    from fem_cqd.electrical.system import evaluate
    rows = []
    tm, dev = ob.feature_device()
    t0 = time.perf_counter()
    eq = solve_equilibrium(dev)
    st = solve_bias(dev, {"bottom": 3.0}, start=eq)
    t_solve = time.perf_counter() - t0
    rng = np.random.default_rng(5)
    worst = 0.0
    for base, volts in ((eq.x, {"bottom": 0.0, "top": 0.0}), (st.x, {"bottom": 3.0, "top": 0.0})):
        for amp in (0.0, 0.05):
            z = base + amp * rng.standard_normal(base.size)
            for driven in ((), ("bottom",)):
                zz = np.r_[z, volts["bottom"]] if driven else z
                targets = (st.currents["bottom"],) if driven else ()
                F, J, _ = evaluate(dev, zz, volts, driven, targets)
                for _k in range(3):
                    v = rng.standard_normal(zz.size)
                    h = 1e-6
                    fd = (evaluate(dev, zz + h * v, volts, driven, targets, jacobian=False)[0]
                          - evaluate(dev, zz - h * v, volts, driven, targets, jacobian=False)[0]) / (2 * h)
                    scale = np.abs(J).max(axis=1).toarray().ravel() * np.abs(v).max() + 1e-300
                    worst = max(worst, float(np.max(np.abs(J @ v - fd) / scale)))
    rows.append(row("Jacobian vs central differences: axisymmetric GF+EGDM / GF+PF+Langevin / FD device, image-force "
                    "anode, insulator notch (equilibrium and 3 V, +-noise, voltage and current drive)",
                    "max scaled error", worst, 0.0, 1e-6))
    I = st.currents["bottom"]
    rows.append(row("feature device at 3 V: anode + cathode current (each contact's own flux sum)", "|I_a + I_c| / I_a",
                    abs(st.contact_fluxes["bottom"] + st.contact_fluxes["top"]) / abs(I), 0.0, 1e-9))
    rows.append(row("feature device at 3 V: heat + emitted light vs sum V I", "relative error",
                    abs(st.heat.sum() + st.emitted_power - st.power_in) / abs(st.power_in), 0.0, 1e-8))
    rows.append(row(f"feature device ({dev.n_nodes} nodes): equilibrium + solve_bias to 3 V", "seconds", t_solve, None))
    return rows


def device_rows():
    """All device rows (module doc): hole-only device vs solve_bvp, zero equilibrium current,
    heterointerface densities, EGDM, image-force lowering, Jacobian and conservation, timings."""
    import _organic_bvp as ob
    from _report import row
    t0 = time.time()
    rows = (_hole_only_rows(row, ob) + _equilibrium_rows(row, ob) + _egdm_rows(row, ob) + _image_force_rows(row, ob)
            + _thermionic_rows(row) + _feature_rows(row, ob))
    rows.append(row("organic_analytic device rows", "seconds", time.time() - t0, None))
    return rows


def main():
    from _report import report, row
    t0 = time.time()
    rows = statistics_rows() + device_rows()
    rows.append(row("organic_analytic total", "seconds", time.time() - t0, None))
    report("organic_analytic", rows)


if __name__ == "__main__":
    main()
