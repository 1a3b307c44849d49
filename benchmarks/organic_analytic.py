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

Device rows (hole-only Gauss-Fermi device vs solve_bvp, ...) are added by ``device_rows`` later.
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


def main():
    from _report import report, row
    t0 = time.time()
    rows = statistics_rows()
    rows.append(row("organic_analytic total", "seconds", time.time() - t0, None))
    report("organic_analytic", rows)


if __name__ == "__main__":
    main()
