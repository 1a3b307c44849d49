"""Why the operating parameter set: isothermal J-V of the lim2018 stack with the library values,
with Gauss-Fermi organics, and with the sourced set ``lim2018_operating``; and the TCTA path.

Lim, Park & Klimov, Nat. Mater. 17, 42 (2018) ran their device at 18 A/cm^2 near 8 V. With the
material library (Boltzmann organics, a 0.55 eV poly-TPD -> TCTA HOMO step, 60 nm of TCTA in the
aperture) the model carries ~1e-5 A/cm^2 there; this case shows, for the stripe (planar) and the
round aperture (axisymmetric), at 300 K:

1. J-V: library (``lim2018()``), library + Gauss-Fermi poly-TPD/TCTA (``lim2018_gauss_fermi``), and
   the operating set (every changed value with its source in ``summary.json["parameters"]``);
2. (disc) the operating set with the spacer -- and so the TCTA filling its opening -- ``TCTA_SWEEP_NM``
   thick: the current falls with the TCTA the holes cross;
3. (disc) the operating set with thermionic emission at the poly-TPD/TCTA heterointerface
   (:class:`fem_cqd.electrical.ThermionicInterface`) instead of continuous hole quasi-Fermi levels,
   for interface velocities ``INTERFACE_V_M_PER_S``: where interface kinetics start to limit the
   current. No measured velocity for this interface is known to us; the default run keeps the
   continuous levels (the v -> infinity limit), and this sweep says how much that choice carries.

The electrothermal operating points of the operating set are the default case,
``cases/lim2018_device.py``. Outputs in ``results/lim2018_transport/``: ``summary.json``, ``jv.csv``,
``jv.png``, ``tcta_path.png``, ``interface.png``.
"""
from __future__ import annotations

import math
import sys
import time
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from fem_cqd import viz
from fem_cqd.cli import case_main
from fem_cqd.electrical import Contact, ThermionicInterface, build_device, ramp
from fem_cqd.errors import ConvergenceError
from fem_cqd.mesh import OPERATING_MESH, QUICK_MESH, build_mesh
from fem_cqd.results import prepare_output_dir, write_csv, write_json
from fem_cqd.paramsets import load_parameter_set
from fem_cqd.stack import lim2018

OUT_DEFAULT = Path("results/lim2018_transport")
PARAMS = "lim2018_operating"
MESH = OPERATING_MESH                      # as lim2018_device
VOLTS = tuple(np.round(np.arange(1.0, 9.01, 0.5), 3))
TCTA_SWEEP_NM = (10.0, 30.0, 50.0)          # spacer thickness = extra TCTA in the opening (library: 50)
INTERFACE_V_M_PER_S = (1e2, 1.0, 1e-2)      # poly-TPD/TCTA hole interface velocities swept (m/s)
SETS = (("library", None, "library, 300 K", "k"),
        ("gauss_fermi", "lim2018_gauss_fermi", "library + Gauss-Fermi organics, 300 K", "m"),
        ("operating", PARAMS, "operating set, 300 K", "b"))


def isothermal_curve(stack, options, volts, interfaces=()) -> list[dict]:
    """Voltage ramp at 300 K, J over the aperture; stops (keeping the points) where Newton fails.
    ``interfaces``: thermionic heterointerfaces (default: continuous quasi-Fermi levels)."""
    dm = build_mesh(stack, options)
    a = stack.aperture_half_width_um * 1e-6
    area = math.pi * a * a if stack.geometry == "axisymmetric" else a
    dev = build_device(dm.electrical, [Contact("anode"), Contact("cathode")], thermionic_interfaces=interfaces)
    try:
        states, note = ramp(dev, "anode", volts, progress=False), None
    except ConvergenceError as exc:
        states, note = exc.completed, str(exc)[:300]
    rows = [{"V": s.voltages["anode"], "J_A_per_cm2": s.currents["anode"] / area / 1e4} for s in states]
    return rows + ([{"V": math.nan, "J_A_per_cm2": math.nan, "stopped": note}] if note else [])


def run(out_dir=OUT_DEFAULT, overwrite: bool = False, quick: bool = False, geometries=("axisymmetric", "planar"),
        volts=VOLTS, tcta_sweep_nm=TCTA_SWEEP_NM, interface_v=INTERFACE_V_M_PER_S, params=PARAMS) -> dict:
    """``params``: the parameter set of the "operating" curves and the sweeps (name or TOML path)."""
    load_parameter_set(params)                    # bad input before any folder is made
    out = prepare_output_dir(out_dir, overwrite)
    options = QUICK_MESH if quick else MESH
    t0 = time.time()
    bar = tqdm(total=len(geometries) * len(SETS) + len(tcta_sweep_nm) + len(interface_v), desc="lim2018_transport",
               unit="curve")
    curves = {}
    for g in geometries:
        for key, ps, _, _ in SETS:
            bar.set_postfix_str(f"{g}: {key}")
            ps = params if ps == PARAMS else ps
            curves[f"{g}_{key}"] = isothermal_curve(lim2018(g, params=ps), options, volts)
            bar.update()
    sweep = []
    for d in tcta_sweep_nm:
        bar.set_postfix_str(f"TCTA path: spacer {d:g} nm")
        stack = lim2018("axisymmetric", params=params, spacer_nm=float(d))
        sweep.append({"spacer_nm": d, "tcta_path_nm": stack.path_through("TCTA"),
                      "jv": isothermal_curve(stack, options, volts)})
        bar.update()
    kinetics = []
    for v in interface_v:
        bar.set_postfix_str(f"poly-TPD/TCTA thermionic, v_p = {v:g} m/s")
        itf = (ThermionicInterface("poly-TPD", "TCTA", v_p_m_per_s=float(v)),)
        kinetics.append({"v_p_m_per_s": v, "jv": isothermal_curve(lim2018("axisymmetric", params=params), options,
                                                                   volts, itf)})
        bar.update()
    bar.close()
    ok = {k: [r for r in rows if r["J_A_per_cm2"] == r["J_A_per_cm2"] and r["J_A_per_cm2"] > 0]
          for k, rows in curves.items()}
    dash = {"planar": "-", "axisymmetric": "--"}
    lines = [{"x": [r["V"] for r in ok[f"{g}_{key}"]], "y": [r["J_A_per_cm2"] for r in ok[f"{g}_{key}"]],
              "label": f"{g}: {label}", "style": mark + dash[g] + "o"}
             for g in geometries for key, _, label, mark in SETS if ok[f"{g}_{key}"]]
    lines.append({"x": [0, 10], "y": [18, 18], "label": "18 A/cm2 (Lim 2018)", "style": "g:"})
    viz.line_plot(out / "jv.png", lines, xlabel="anode voltage (V)", ylabel="J over the aperture (A/cm2)",
                  title="lim2018: isothermal DC J-V, 300 K", logy=True)
    viz.line_plot(out / "tcta_path.png", [
        {"x": [r["V"] for r in row["jv"] if r["V"] == r["V"]],
         "y": [r["J_A_per_cm2"] for r in row["jv"] if r["V"] == r["V"]],
         "label": f"TCTA path {row['tcta_path_nm']:g} nm", "style": "-o"} for row in sweep],
        xlabel="anode voltage (V)", ylabel="J over the aperture (A/cm2)", logy=True,
        title="disc, operating set at 300 K: holes cross 10 nm TCTA + the spacer's opening")
    continuous = {r["V"]: r["J_A_per_cm2"] for r in curves.get("axisymmetric_operating", [])}
    for row in kinetics:
        row["J_over_continuous"] = [r["J_A_per_cm2"] / continuous[r["V"]] for r in row["jv"]
                                    if r["V"] in continuous and continuous[r["V"]] > 0]
    viz.line_plot(out / "interface.png", [
        {"x": list(continuous), "y": list(continuous.values()), "label": "continuous quasi-Fermi levels",
         "style": "k-o"}] + [
        {"x": [r["V"] for r in row["jv"] if r["V"] == r["V"]],
         "y": [r["J_A_per_cm2"] for r in row["jv"] if r["V"] == r["V"]],
         "label": f"thermionic, v_p = {row['v_p_m_per_s']:g} m/s", "style": "-o"} for row in kinetics],
        xlabel="anode voltage (V)", ylabel="J over the aperture (A/cm2)", logy=True,
        title="disc, operating set at 300 K: poly-TPD/TCTA interface kinetics")
    cols = {}
    for k, rows in curves.items():
        cols[f"{k}_V"] = [r["V"] for r in rows]
        cols[f"{k}_J_A_per_cm2"] = [r["J_A_per_cm2"] for r in rows]
    n = max(len(v) for v in cols.values())
    write_csv(out / "jv.csv", {k: list(v) + [math.nan] * (n - len(v)) for k, v in cols.items()})
    stack = lim2018(params=params)
    s = {"case": "lim2018_transport", "quick": quick, "parameter_set": str(params),
         "parameters": [{k: r[k] for k in ("name", "value", "unit", "source")} for r in stack.parameters],
         "jv_isothermal": curves, "tcta_path_sweep": sweep, "interface_kinetics": kinetics,
         "seconds": time.time() - t0}
    at8 = {k: next((r["J_A_per_cm2"] for r in rows if r["V"] == 8.0), None) for k, rows in curves.items()}
    s["headline"] = [f"J(8 V) {k}: {v:.3g} A/cm2" if v is not None else f"J(8 V) {k}: not reached"
                     for k, v in at8.items()]
    s["headline"] += [f"disc, poly-TPD/TCTA thermionic v_p = {row['v_p_m_per_s']:g} m/s: J / J_continuous = "
                      f"{row['J_over_continuous'][-1]:.3g} at {row['jv'][len(row['J_over_continuous']) - 1]['V']:g} V"
                      for row in kinetics if row["J_over_continuous"]]
    write_json(out / "summary.json", s)
    return s


def main(argv=None) -> int:
    return case_main(run, __doc__, OUT_DEFAULT, argv)


if __name__ == "__main__":
    sys.exit(main())
