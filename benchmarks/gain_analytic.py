"""Gain stage and slab-mode solver against closed forms (verification ladder rung 9 + slab modes).

Rows: Poisson 1S transparency <N> = 1.146 (root of e^-N (2 + N) = 1); birth-death steady state
vs the product formula and vs Poisson for k_m = m / tau_X; three-state transparency
G = 1/sqrt(tau_X tau_XX); transient -> steady state; band-edge saturation; symmetric-slab TE0/TM0
n_eff vs the transcendental equation; P2 convergence rate; confinement limits and its
perturbative definition; loss sign of a lossy cladding; timings.

Run: ``python benchmarks/gain_analytic.py`` -> ``benchmarks/results/gain_analytic.json``.
"""
from __future__ import annotations

import math
import sys
import time
from pathlib import Path

import numpy as np
from scipy.optimize import brentq
from scipy.stats import poisson

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import report, row  # noqa: E402

from fem_cqd.gain import (QDParams, decay_rates, evaluate, excitation_rate,  # noqa: E402
                          occupancy, steady_state, transient,
                          transparency_current_density)
from fem_cqd.optics import Slab, solve_modes, symmetric_slab_n_eff  # noqa: E402

LAM = 620e-9
POISSON = QDParams(radiative_exponent=1.0, tau_xx_auger_ns=None, qy_x=1.0, n_max=40,
                   tail_tol=1e-8)


def occupancy_rows() -> list[dict]:
    n_ref = brentq(lambda n: math.exp(-n) * (2 + n) - 1, 0.5, 2.0)
    n_tr = occupancy(transparency_current_density("1S", p=POISSON), 300.0, POISSON).n_mean[0]
    rows = [row("Poisson occupancy", "<N> at 1S transparency", n_tr, n_ref, 1e-3)]

    rng = np.random.default_rng(0)
    k = np.concatenate([np.zeros((100, 1)), rng.uniform(1e7, 1e9, (100, 12))], axis=1)
    G = rng.uniform(1e6, 5e7, 100)
    closed = np.cumprod(np.concatenate([np.ones((100, 1)), G[:, None] / k[:, 1:]], axis=1), 1)
    closed /= closed.sum(axis=1, keepdims=True)
    rows.append(row("birth-death, random rates", "max |P - P0 prod G/k_m|",
                    float(np.abs(steady_state(G, k) - closed).max()), 0.0, 1e-12))

    tau = 30e-9
    table = tuple(m / (tau * 1e9) for m in range(1, 41))
    pt = QDParams(rate_table_per_ns=table, n_max=40, tail_tol=1e-9)
    G = np.linspace(1e6, 2e8, 50)
    P = steady_state(G, np.repeat(decay_rates(300.0, pt), 50, axis=0), pt)
    rows.append(row("birth-death, k_m = m/tau_X", "max |P - Poisson(G tau_X)|",
                    float(np.abs(P - poisson.pmf(np.arange(41), (G * tau)[:, None])).max()),
                    0.0, 1e-12))

    tau_x, tau_xx = 30.0, 2.0
    p3 = QDParams(rate_table_per_ns=(1 / tau_x, 1 / tau_xx) + (1e12,) * 10)
    G_tr = excitation_rate(transparency_current_density("1S", p=p3), p3)[0]
    rows.append(row("three-state (0, X, XX)", "G at 1S transparency (1/s)", float(G_tr),
                    1e9 / math.sqrt(tau_x * tau_xx), 1e-6))

    p = QDParams()
    G = excitation_rate(np.linspace(0.0, 60.0, 200) * 1e4, p)
    k = decay_rates(np.full(200, 330.0), p)
    Pt = transient(G, k, [0.0, 20e-9, 100e-9, 1e-6], p=p)
    rows += [row("transient, 0-60 A/cm2", "max |P(1 us) - P_ss|",
                 float(np.abs(Pt[-1] - steady_state(G, k, p)).max()), 0.0, 1e-8),
             row("transient, 0-60 A/cm2", "max |sum P - 1|",
                 float(np.abs(Pt.sum(-1) - 1).max()), 0.0, 1e-12),
             row("transient, 0-60 A/cm2", "min P", float(Pt.min()), 0.0, 1e-300)]

    j12 = transparency_current_density("1S", p=POISSON) * 12 / 1.14619
    x = occupancy(j12, 300.0, POISSON).inversion["1S"][0]
    rows.append(row("band-edge saturation, <N> = 12", "1S inversion x_1S", float(x), 1.0, 1e-4))
    return rows


def mode_rows() -> list[dict]:
    rows = []
    for pol in ("TE", "TM"):
        modes = solve_modes(Slab([("qd", 400e-9, 1.9)], 1.5, 1.5, "qd"), LAM, pol, num_modes=2)
        for m, mode in enumerate(modes):
            ref = symmetric_slab_n_eff(1.9, 1.5, 400e-9, LAM, pol, m)
            rows.append(row(f"symmetric slab 400 nm, {pol}{m}", "n_eff", mode.n_eff.real, ref,
                            1e-6))
    ref = symmetric_slab_n_eff(1.9, 1.5, 300e-9, LAM, "TE")
    err = [abs(solve_modes(Slab([("qd", 300e-9, 1.9)], 1.5, 1.5, "qd"), LAM,
                           h_max_m=LAM / n)[0].n_eff - ref) for n in (10, 20, 40)]
    rows.append(row("symmetric slab 300 nm, TE0", "P2 convergence order (h/2, h/4)",
                    float(math.log2(err[1] / err[2])), 4.0, 0.15))
    rows.append(row("symmetric slab 300 nm, TE0", "|n_eff error| at h = lambda/80",
                    float(abs(solve_modes(Slab([("qd", 300e-9, 1.9)], 1.5, 1.5, "qd"),
                                          LAM)[0].n_eff - ref)), 0.0, 1e-8))
    thick = solve_modes(Slab([("qd", 3e-6, 1.9)], 1.5, 1.5, "qd"), LAM)[0]
    thin = solve_modes(Slab([("qd", 5e-9, 1.9)], 1.5, 1.5, "qd"), LAM)[0]
    rows += [row("3 um core", "confinement Gamma", thick.confinement, 1.0, 2e-3),
             row("5 nm core", "confinement Gamma", thin.confinement, 0.0, 5e-3)]
    layers = [("ito", 120e-9, 1.85 + 0.01j), ("qd", 40e-9, 1.9), ("tcta", 60e-9, 1.75)]
    m0 = solve_modes(Slab(layers, 1.52, 1.0, "qd"), LAM)[0]
    layers[1] = ("qd", 40e-9, 1.9 + 1e-6j)
    m1 = solve_modes(Slab(layers, 1.52, 1.0, "qd"), LAM)[0]
    rows.append(row("ITO/QD/TCTA on glass, TE0", "Gamma vs d Im(n_eff)/d kappa_QD (FD)",
                    m0.confinement, (m1.n_eff.imag - m0.n_eff.imag) / 1e-6, 1e-4))
    lossy = solve_modes(Slab([("qd", 200e-9, 1.9)], 1.5, 1.5 + 1e-3j, "qd"), LAM)[0]
    rows.append(row("lossy cover (kappa = 1e-3)", "sign of modal loss",
                    float(np.sign(lossy.loss_per_m)), 1.0, 0.0))
    return rows


def timing_rows() -> list[dict]:
    lam = np.linspace(570e-9, 680e-9, 201)
    j = np.linspace(0.0, 40e4, 10_000)
    t0 = time.perf_counter()
    evaluate(j, 300.0, lam, QDParams())
    t1 = time.perf_counter()
    k = decay_rates(np.full(1000, 300.0))
    transient(excitation_rate(j[:1000]), k, np.linspace(0, 200e-9, 21))
    t2 = time.perf_counter()
    solve_modes(Slab([("qd", 300e-9, 1.9)], 1.5, 1.5, "qd"), LAM, "TM")
    t3 = time.perf_counter()
    return [row("evaluate: 10k positions x 201 wavelengths", "seconds", t1 - t0),
            row("transient: 1000 positions x 21 times", "seconds", t2 - t1),
            row("slab TM0, default mesh", "seconds", t3 - t2)]


if __name__ == "__main__":
    all_rows = occupancy_rows() + mode_rows() + timing_rows()
    report("gain_analytic", all_rows)
    sys.exit(0 if all(r["ok"] is not False for r in all_rows) else 1)
