"""Electrothermal pulses of the reference device: drift-diffusion re-solved as the film heats, on
glass and on sapphire, to the excitons per dot and gain at the end of the pulse.

Later work on these devices (after Lim, Park & Klimov 2018) drove them with ~1 us pulses at up to
~1 kA/cm^2, where Joule heat in a DC device would be fatal. For the disc (round aperture) with the
sourced parameter set ``lim2018_operating`` this case:

1. tries the ambient electrical solve at ``ATTEMPT_J`` = 1 kA/cm^2 and records where the Newton
   path stops (at 300 K the set carries ~52 A/cm^2 at 22 V: its organic layers' series resistance,
   not heat, limits it);
2. runs 1 us pulses at ``PULSE_J`` (18 A/cm^2, the DC operating density, and 40 A/cm^2) on glass
   and on sapphire, current-driven, with :meth:`fem_cqd.coupled.Electrothermal.pulse`: the heat
   equation in time, the electrical state re-solved whenever the temperature moved by ``TOL_K``,
   the QD film's light from the gain model (as the default case);
3. at the end of each pulse, J_rec(x) and T(x) along the film and the gain stage's excitons per dot,
   1S inversion and peak gain (steady-state occupancy: tau_X = 30 ns and the Auger times are far
   below the pulse), against the same at the DC operating point (``cases/lim2018_device.py``).

Outputs in ``results/lim2018_pulse/``: ``summary.json``, ``pulse.csv`` (film peak rise and voltage vs
time), ``pulse.png``, ``profile_<substrate>_<j>A.csv``.
"""
from __future__ import annotations

import math
import sys
import time
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from fem_cqd import gain, viz
from fem_cqd.cli import case_main
from fem_cqd.coupled import Electrothermal
from fem_cqd.electrical import Contact
from fem_cqd.errors import ConvergenceError
from fem_cqd.gain import QDParams
from fem_cqd.mesh import OPERATING_MESH, QUICK_MESH, build_mesh
from fem_cqd.qd_profile import qd_film_profile
from fem_cqd.results import prepare_output_dir, write_csv, write_json
from fem_cqd.stack import lim2018

OUT_DEFAULT = Path("results/lim2018_pulse")
PARAMS = "lim2018_operating"
QD = QDParams()
MESH = OPERATING_MESH                      # as lim2018_device
WIDTH_S = 1e-6
ATTEMPT_J = 1000.0                 # A/cm^2, the later pulsed work
PULSE_J = (18.0, 40.0)             # A/cm^2
SUBSTRATES = ("glass", "sapphire")
TOL_K = 1.0                        # re-solve the electrical state when T moved by this much
TIMES_S = np.array([1e-8, 3e-8, 1e-7, 3e-7, 1e-6, 3e-6, 1e-5])
WAVELENGTHS_NM = np.linspace(600.0, 660.0, 61)


def contacts():
    return [Contact("anode"), Contact("cathode")]


def attempt(et, j: float) -> dict:
    """The ambient electrical solve at ``j`` A/cm^2 (the start of a pulse): reached, or where its
    Newton path stopped."""
    t0 = time.time()
    try:
        res = et.pulse(j_A_per_cm2=j, width_s=WIDTH_S, times=[WIDTH_S / 1000], tol_K=np.inf, progress=False)
        return {"j_A_per_cm2": j, "reached": True, "voltage_V": res.states[0].voltages["anode"],
                "seconds": time.time() - t0}
    except ConvergenceError as exc:
        last = exc.last_state
        out = {"j_A_per_cm2": j, "reached": False, "message": str(exc)[:400], "seconds": time.time() - t0}
        if last is not None:                          # pulse failures are electrical: an ElectricalState
            out.update(last_voltage_V=last.voltages["anode"],
                       last_j_A_per_cm2=abs(last.currents["anode"]) / et.area_m / 1e4)
        return out


def end_of_pulse(dm, res, qd_layer: str) -> dict:
    """Film profile and gain at the end of the pulse (the last electrical state, T at the pulse end)."""
    k = int(np.argmin(np.abs(res.history.times - res.width_s)))
    T_nodes = res.history.T[k][dm.node_map]
    st = res.end_state
    prof = qd_film_profile(dm.electrical, qd_layer, st.R_vertex, T_nodes)
    maps = gain.evaluate(np.maximum(prof.j_rec_A_per_m2, 0.0), prof.T_K, WAVELENGTHS_NM * 1e-9, QD)
    return {"prof": prof, "maps": maps, "T_end": res.history.T[k]}


def run_pulse(out: Path, stack, options, j: float) -> dict:
    dm = build_mesh(stack, options)
    et = Electrothermal(dm, contacts(), qd_emission=QD)
    t0 = time.time()
    try:
        res = et.pulse(j_A_per_cm2=j, width_s=WIDTH_S, times=TIMES_S, tol_K=TOL_K, progress=False)
    except ConvergenceError as exc:
        return {"j_A_per_cm2": j, "substrate": stack.substrate.material, "failed": str(exc)[:400],
                "seconds": time.time() - t0}
    e = end_of_pulse(dm, res, stack.qd_layer)
    prof, maps = e["prof"], e["maps"]
    film = dm.thermal.elements_of(stack.qd_layer)
    film_nodes = np.unique(dm.thermal.mesh.t[:, film])
    rise_t = res.history.T[:, film_nodes].max(axis=1) - et.T_ambient_K
    tag = f"{stack.substrate.material}_{j:g}A"
    write_csv(out / f"profile_{tag}.csv", {
        "x_um": prof.x_m * 1e6, "j_rec_A_per_cm2": prof.j_rec_A_per_m2 / 1e4, "T_K": prof.T_K,
        "excitons_per_dot": maps.occupancy.n_mean, "inversion_1S": maps.occupancy.inversion["1S"],
        "peak_gain_per_cm": maps.peak_g_per_m / 100})
    inside = prof.x_m <= stack.aperture_half_width_um * 1e-6
    w = prof.column_width_m[inside]
    return {
        "j_A_per_cm2": j, "substrate": stack.substrate.material, "width_s": WIDTH_S, "tol_K": TOL_K,
        "times_s": TIMES_S, "qd_peak_rise_K": rise_t,
        "electrical_solves": len(res.states),
        "voltage_start_V": res.states[0].voltages["anode"], "voltage_end_V": res.end_state.voltages["anode"],
        "j_end_A_per_cm2": res.j_A_per_cm2(res.end_state),
        "qd_peak_rise_end_K": float(rise_t[int(np.argmin(np.abs(TIMES_S - WIDTH_S)))]),
        "qd_mean_T_end_K": float(np.average(prof.T_K[inside], weights=w)),
        "n_mean_centre": float(maps.occupancy.n_mean[0]), "n_mean_max": float(maps.occupancy.n_mean.max()),
        "inversion_1S_max": float(maps.occupancy.inversion["1S"].max()),
        "peak_gain_per_cm": float(maps.peak_g_per_m.max() / 100),
        "solve_times_s": res.solve_times_s,
        "seconds": time.time() - t0,
    }


def run(out_dir=OUT_DEFAULT, overwrite: bool = False, quick: bool = False, pulse_j=PULSE_J, substrates=SUBSTRATES,
        attempt_j=ATTEMPT_J) -> dict:
    out = prepare_output_dir(out_dir, overwrite)
    options = QUICK_MESH if quick else MESH
    t0 = time.time()
    bar = tqdm(total=len(pulse_j) * len(substrates) + (attempt_j is not None), desc="lim2018_pulse", unit="run")
    s = {"case": "lim2018_pulse", "quick": quick, "parameter_set": PARAMS, "geometry": "axisymmetric",
         "width_s": WIDTH_S, "tol_K": TOL_K}
    if attempt_j is not None:
        bar.set_postfix_str(f"ambient solve at {attempt_j:g} A/cm2")
        stack = lim2018("axisymmetric", params=PARAMS)
        s["attempt"] = attempt(Electrothermal(build_mesh(stack, options), contacts()), attempt_j)
        bar.update()
    s["pulses"] = []
    for sub in substrates:
        for j in pulse_j:
            bar.set_postfix_str(f"{sub}: {j:g} A/cm2 x {WIDTH_S * 1e6:g} us")
            s["pulses"].append(run_pulse(out, lim2018("axisymmetric", params=PARAMS, substrate=sub), options, j))
            bar.update()
    bar.close()
    ok = [p for p in s["pulses"] if "failed" not in p]
    cols = {"t_s": TIMES_S}
    for p in ok:
        cols[f"{p['substrate']}_{p['j_A_per_cm2']:g}A_qd_peak_rise_K"] = p["qd_peak_rise_K"]
    write_csv(out / "pulse.csv", cols)
    viz.line_plot(out / "pulse.png", [
        {"x": TIMES_S * 1e6, "y": p["qd_peak_rise_K"], "label": f"{p['substrate']}, {p['j_A_per_cm2']:g} A/cm2",
         "style": ("-" if p["substrate"] == "glass" else "--") + "o"} for p in ok],
        xlabel="time (us)", ylabel="QD-film peak temperature rise (K)", logx=True,
        title=f"disc, {WIDTH_S * 1e6:g} us pulse, electrothermal (re-solved every {TOL_K:g} K)")
    s["seconds"] = time.time() - t0
    s["headline"] = [(f"{p['substrate']}, {p['j_A_per_cm2']:g} A/cm2 x 1 us: {p['voltage_start_V']:.3f} -> "
                      f"{p['voltage_end_V']:.3f} V, QD film +{p['qd_peak_rise_end_K']:.1f} K, centre <N> "
                      f"{p['n_mean_centre']:.2f}, 1S inversion {p['inversion_1S_max']:+.2f}, "
                      f"{p['electrical_solves']} electrical solves") if "failed" not in p else
                     f"{p['substrate']}, {p['j_A_per_cm2']:g} A/cm2: FAILED {p['failed'][:160]}" for p in s["pulses"]]
    if "attempt" in s:
        a = s["attempt"]
        s["headline"].insert(0, f"{a['j_A_per_cm2']:g} A/cm2 at ambient: " + (
            f"{a['voltage_V']:.3f} V" if a["reached"] else
            f"not reached (Newton path stopped at {a.get('last_voltage_V', math.nan):.3g} V, "
            f"{a.get('last_j_A_per_cm2', math.nan):.3g} A/cm2)"))
    write_json(out / "summary.json", s)
    return s


def main(argv=None) -> int:
    return case_main(run, __doc__, OUT_DEFAULT, argv)


if __name__ == "__main__":
    sys.exit(main())
