"""J-V calibration (`fem-cqd fit`, fem_cqd/calibrate.py) against known truth: synthetic data.

Rows (results/calibration.json; run ``python benchmarks/calibration.py [--realisations N]``):

- 3 free parameters (TCTA HOMO centre, TCTA hole mobility (log), poly-TPD HOMO centre), data at
  300 K and 340 K, 10 voltages each (20 points), 5 % multiplicative noise: each recovered value
  within 2 standard errors of the truth; over N noisy realisations (default 20) the reported
  standard error within a factor 2 of the spread (standard deviation) of the recovered values --
  both in the fit's own coordinate, log10 for a log-scaled parameter (a mobility's SE is relative:
  its linear standard deviation over skewed realisations is set by the one or two largest);
- 5 free parameters (+ CQD electron and hole mobilities, log), one realisation: within 2 SE;
- a pair the data cannot separate (TCTA mobility prefactor and activation energy from one
  temperature: mu_300 exp(-E_a/k (1/T - 1/300 K)) is one number there) is reported; the TCTA site
  density with its HOMO centre (one temperature) is shown for information -- Gauss-Fermi
  statistics separate them partly (|correlation| 0.88), the Boltzmann tail would not;
- every start at a bound (the lower corner, and the upper corner): the multi-start still reaches
  the truth (within 2 SE);
- a thickness series (TCTA 10 and 20 nm at 300 K, 10 voltages each) fitted jointly, 3 free: within 2
  half-widths of the 68 % profile-likelihood interval. This fit lies along a curved valley (TCTA
  mobility against the two HOMO levels), where the linearised SE is not the error bar -- it is shown
  for information (2.3 SE on the TCTA mobility at stop 21) and the profile interval is the check;
- speed: the 3-free fit from the box centre, one start, 20 points, on WORKERS processes (goal < 60 s
  on 2 cores).
"""
from __future__ import annotations

import argparse
import time

import numpy as np

from _report import report, row
from fem_cqd.calibrate import ColumnModel, FreeParameter, JVData, fit, profile_intervals

VOLTS = np.round(np.arange(3.5, 8.01, 0.5), 3)                  # 10 voltages
TEMPERATURES_K = (300.0, 340.0)
TRUTH = {"TCTA.homo_eV": 5.74, "TCTA.mu_p_cm2_per_Vs": 1.5e-4, "poly-TPD.homo_eV": 5.36,
         "CQD.mu_n_cm2_per_Vs": 5e-4, "CQD.mu_p_cm2_per_Vs": 3e-4}
FREE3 = (FreeParameter("TCTA.homo_eV", 5.6, 5.85), FreeParameter("TCTA.mu_p_cm2_per_Vs", 3e-5, 1e-3, log=True),
         FreeParameter("poly-TPD.homo_eV", 5.25, 5.45))
FREE5 = FREE3 + (FreeParameter("CQD.mu_n_cm2_per_Vs", 1e-5, 1e-2, log=True),
                 FreeParameter("CQD.mu_p_cm2_per_Vs", 1e-5, 1e-2, log=True))
NOISE = 0.05
WORKERS = 2                                              # processes evaluating a fit's J-V curves (2 cores)


def fit_with_workers(data, free, **kw):
    """``fit`` on a fresh column model with WORKERS processes."""
    with ColumnModel(workers=WORKERS) as model:
        return fit(data, free, model, progress=False, **kw)


def synthetic(truth, rng, temperatures=TEMPERATURES_K, noise=NOISE):
    """Noisy J-V of the column with ``truth`` (only these values changed from the base set)."""
    model = ColumnModel()
    out = []
    for t in temperatures:
        J = model.jv(truth, JVData(VOLTS, np.ones_like(VOLTS), t, f"truth {t:g} K"))
        out.append(JVData(VOLTS, J * (1 + noise * rng.standard_normal(J.size)), t, f"synthetic {t:g} K"))
    return out


def _z(p, value, truth, se):
    """|error| / SE in the fit's own coordinate: a log-scaled parameter's error is ln(value / truth)
    and its SE the relative one, SE / value (the linearised SE of ln x)."""
    if p.log:
        return abs(np.log(value / truth)) / (se / value)
    return abs(value - truth) / se


def within_2se(res, truth, label, check=True):
    """|error| / linearised SE per parameter; ``check`` False: shown for information (a fit along a curved
    valley, whose check is within_2_profile)."""
    rows = []
    for p in res.parameters:
        z = _z(p, res.values[p.name], truth[p.name], res.std_errors[p.name])
        rows.append(row(f"{label}: {p.name} recovered {res.values[p.name]:.5g} +- {res.std_errors[p.name]:.2g} "
                        f"(truth {truth[p.name]:g})" + ("" if check else " [information: linearised SE]"),
                        "|error| / standard error", z, 0.0, None)
                    | ({"ok": bool(z <= 2.0), "tolerance": 2.0} if check else {"ok": None, "tolerance": None}))
    return rows


def within_2_profile(res, prof, truth, label):
    """|error| over the 68 % profile-likelihood half-width on the truth's side (fit coordinate: log for a
    log-scaled parameter) -- the honest counterpart of within_2se along a curved valley."""
    rows = []
    for p in res.parameters:
        v, t, iv = res.values[p.name], truth[p.name], prof[p.name]
        end = iv["upper"] if t > v else iv["lower"]
        err, half = (abs(np.log(v / t)), abs(np.log(end / v))) if p.log else (abs(v - t), abs(end - v))
        z = err / half if half > 0 else np.inf
        rows.append(row(f"{label}: {p.name} {v:.5g}, 68 % profile interval [{iv['lower']:.5g}, {iv['upper']:.5g}]"
                        f"{' (open)' if any(iv['open']) else ''} (truth {t:g})",
                        "|error| / profile half-width", float(z), 0.0, None) | {"ok": bool(z <= 2.0), "tolerance": 2.0})
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--realisations", type=int, default=20)
    args = ap.parse_args()
    rows = []
    rng = np.random.default_rng(10)
    truth3 = {p.name: TRUTH[p.name] for p in FREE3}          # the data differ from the base set in these only
    # speed + first realisation (3 free, box centre, one start)
    recovered, errors = [], []
    t_first = None
    for k in range(args.realisations):
        data = synthetic(truth3, rng)
        t0 = time.perf_counter()
        res = fit_with_workers(data, FREE3, starts=1)
        if t_first is None:
            t_first = time.perf_counter() - t0
            rows.append(row("3 free parameters, 20 points, one start from the box centre, 2 worker processes (goal < 60 s on 2 cores)", "seconds",
                            t_first, None))
            rows.append(row("3 free parameters: model J-V evaluations of that fit", "count", res.evaluations, None))
            rows += within_2se(res, TRUTH, "3 free, realisation 1")
        recovered.append([res.values[p.name] for p in FREE3])
        errors.append([res.std_errors[p.name] for p in FREE3])
        print(f"realisation {k + 1}/{args.realisations}: " + ", ".join(f"{v:.5g}" for v in recovered[-1]), flush=True)
    recovered, errors = np.array(recovered), np.array(errors)
    for i, p in enumerate(FREE3):
        z = np.array([_z(p, v, TRUTH[p.name], e) for v, e in zip(recovered[:, i], errors[:, i])])
        inside = float(np.mean(z <= 2.0))
        # in the fit's coordinate: log10 for a log-scaled parameter (SE / (x ln 10) vs the spread of log10 x)
        vals, ses = (np.log10(recovered[:, i]), errors[:, i] / (recovered[:, i] * np.log(10))) if p.log else \
            (recovered[:, i], errors[:, i])
        spread = vals.std(ddof=1)
        ratio = np.median(ses) / spread
        unit = " (log10)" if p.log else ""
        rows.append(row(f"3 free, {args.realisations} realisations: {p.name} median SE / spread of the recovered "
                        f"values{unit} ({np.median(ses):.3g} / {spread:.3g})", "ratio", ratio, 1.0, None)
                    | {"ok": bool(0.5 <= ratio <= 2.0), "tolerance": "factor 2"})
        rows.append(row(f"3 free, {args.realisations} realisations: {p.name} share within 2 SE of the truth",
                        "fraction", inside, 0.95, None))
    # 5 free
    data = synthetic(TRUTH, rng)
    t0 = time.perf_counter()
    res5 = fit_with_workers(data, FREE5, starts=2)
    rows += within_2se(res5, TRUTH, "5 free")
    rows.append(row("5 free parameters, 20 points, 2 starts", "seconds", time.perf_counter() - t0, None))
    # non-identifiable pairs: mu(T) = mu_300 exp(-E_a/k (1/T - 1/300 K)) from one temperature (exactly
    # degenerate), and the TCTA site density with its HOMO centre (Gauss-Fermi: nearly, not exactly)
    for pair, truth, label in (
            ((FreeParameter("TCTA.mu_p_cm2_per_Vs", 3e-5, 1e-3, log=True),
              FreeParameter("TCTA.mobility_activation_eV", 0.0, 0.4)),
             {"TCTA.mu_p_cm2_per_Vs": 1.5e-4, "TCTA.mobility_activation_eV": 0.2},
             "TCTA mobility prefactor and activation energy from one temperature (340 K)"),
            ((FreeParameter("TCTA.Nv_per_cm3", 1e20, 1e22, log=True), FreeParameter("TCTA.homo_eV", 5.6, 5.85)),
             {"TCTA.Nv_per_cm3": 1e21, "TCTA.homo_eV": 5.74},
             "TCTA site density and HOMO centre from one temperature (340 K)")):
        resp = fit_with_workers(synthetic(truth, rng, temperatures=(340.0,)), pair, starts=2)
        rows.append(row(f"{label}: |correlation| (reported if > 0.95); warnings: {'; '.join(resp.warnings) or 'none'}",
                        "|correlation|", float(abs(resp.correlation[0, 1])), None)
                    | {"ok": bool(resp.warnings) if "activation" in label else None,
                       "tolerance": "a warning" if "activation" in label else None})
    # every start at a bound
    data = synthetic(truth3, rng)
    for corner, pick in (("lower", lambda p: p.lower), ("upper", lambda p: p.upper)):
        free = tuple(FreeParameter(p.name, p.lower, p.upper, p.log, initial=pick(p)) for p in FREE3)
        resc = fit_with_workers(data, free, starts=3, seed=1)
        rows += within_2se(resc, TRUTH, f"3 free, first start at the {corner} corner (+ 2 Latin-hypercube starts)")
    # a thickness series: the same 3 parameters from two TCTA thicknesses at one temperature
    model = ColumnModel()
    series = []
    for t_nm in (10.0, 20.0):
        J = model.jv(truth3, JVData(VOLTS, np.ones_like(VOLTS), 300.0, f"truth {t_nm:g} nm", {"tcta_nm": t_nm}))
        series.append(JVData(VOLTS, J * (1 + NOISE * rng.standard_normal(J.size)), 300.0,
                             f"synthetic TCTA {t_nm:g} nm", {"tcta_nm": t_nm}))
    t0 = time.perf_counter()
    with ColumnModel(workers=WORKERS) as model:
        rest = fit(series, FREE3, model, starts=1, progress=False)
        t_fit = time.perf_counter() - t0
        prof = profile_intervals(rest, model, progress=False)
    rows += within_2se(rest, TRUTH, "3 free, TCTA 10 nm + 20 nm at 300 K jointly", check=False)
    rows += within_2_profile(rest, prof, TRUTH, "3 free, TCTA 10 nm + 20 nm at 300 K jointly")
    rows.append(row("3 free, thickness series, 20 points, one start", "seconds", t_fit, None))
    rows.append(row("3 free, thickness series: the three profiles", "seconds", time.perf_counter() - t0 - t_fit, None))
    report("calibration", rows)


if __name__ == "__main__":
    main()
