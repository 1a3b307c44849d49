r"""Reference device, thermal: how hot does the current-focusing stack get?

Problem
-------
The lim2018 stack (ITO / PEDOT:PSS / poly-TPD / TCTA / LiF spacer with a 100 um opening / QD film /
ZnO / Al on 0.7 mm glass, far face at 300 K, top in still air) dissipates P'' = j V per unit
aperture area in its semiconductor films above the aperture (``fem_cqd.sources``). We solve

    rho c dT/dt - div(k(T) grad T) = Q

for a stripe aperture (planar cross-section) and a round one (axisymmetric), in DC at
``j = 18 A/cm^2`` (the paper's highest DC current density) and for one rectangular pulse of
1 kA/cm^2 lasting 1 us (the later pulsed work), on glass and on sapphire.

Analytic estimates beside the numbers (PHYSICS.md, "Closed forms")
-------------------------------------------------------------------
* stripe of width w on a substrate of thickness h, far face at T0 (w << h):
  centre rise (q w / pi k)[ln(8h/(pi w)) + 1], mean (q w / pi k)[ln(4h/(pi w)) + 3/2];
* disc of radius a on a half-space: centre q a / k, mean (8/3pi) q a / k;
* plus the films between the heat and the substrate, q sum(d_i / k_i);
* pulse: a half-space surface under a step flux, 2 q sqrt(t/pi) / sqrt(k rho c).

Run ``python cases/lim2018_thermal.py [--out DIR] [--overwrite] [--quick]`` or ``fem-cqd run``.
It writes under ``results/lim2018_thermal/``: ``<geometry>_dc.vtu`` (T, rise, source, heat flux),
``<geometry>_pulse_<substrate>.vtu`` (T at the end of the pulse), PNG maps (whole device and a zoom
on the aperture with the layers outlined), ``pulse_T_vs_t.png``, ``pulse.csv`` and ``summary.json``.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from tqdm import tqdm

from fem_cqd import analytic, viz
from fem_cqd.constants import UM
from fem_cqd.materials import load_library
from fem_cqd.mesh import MeshOptions, build_mesh
from fem_cqd.errors import InputError, check_positive, check_range
from fem_cqd.limits import MAX_CURRENT_DENSITY_A_PER_CM2, MAX_VOLTAGE_V
from fem_cqd.results import prepare_output_dir, write_csv, write_json, write_thermal_vtu, write_vtu
from fem_cqd.sources import aperture_heat_source, aperture_power, element_volumes
from fem_cqd.stack import lim2018
from fem_cqd.thermal import solve_steady, solve_transient, time_grid
from fem_cqd.thermal_bcs import boundary_conditions, interface_resistances

GEOMETRIES = ("planar", "axisymmetric")


def qd_aperture_mean(dm, T: np.ndarray) -> float:
    """Volume-mean temperature of the QD film above the aperture (x < a)."""
    tm = dm.thermal
    el = tm.elements_of(dm.stack.qd_layer)
    xc = tm.mesh.p[0][tm.mesh.t[:, el]].mean(axis=0)
    el = el[xc < dm.stack.aperture_half_width_um * UM]
    w = element_volumes(tm)[el]
    return float(np.sum(w * T[tm.mesh.t[:, el]].mean(axis=0)) / w.sum())


def qd_centre_node(dm) -> int:
    """Thermal node at the symmetry axis/plane, in the middle of the QD film."""
    tm = dm.thermal
    nodes = np.unique(tm.mesh.t[:, tm.elements_of(dm.stack.qd_layer)])
    p = tm.mesh.p[:, nodes]
    ymid = 0.5 * (p[1].min() + p[1].max())
    return int(nodes[np.argmin(np.abs(p[0]) * 1e3 + np.abs(p[1] - ymid))])


def film_rise(dm, q_W_per_m2: float, lib) -> float:
    """q * sum(d_i / k_i) over the films below the QD layer (the heat's path to the substrate)."""
    s = dm.stack
    total = 0.0
    for lay in s.layers:
        if lay.name == s.qd_layer:
            break
        total += lay.thickness_nm * 1e-9 / lib[lay.material].thermal_conductivity
        if lay.name == s.spacer.on:
            total += s.spacer.opening_thickness_nm * 1e-9 / lib[s.layer(s.fill_layer).material].thermal_conductivity
    return q_W_per_m2 * total


def dc_estimate(dm, q: float, lib) -> dict:
    """Analytic centre and mean rise of the QD film (substrate spreading + films)."""
    s = dm.stack
    k = lib[s.substrate.material].thermal_conductivity
    a, h = s.aperture_half_width_um * UM, s.substrate.thickness_um * UM
    films = film_rise(dm, q, lib)
    if dm.geometry == "planar":
        centre = analytic.stripe_centre_rise(q, k, 2 * a, h)
        mean = analytic.stripe_mean_rise(q, k, 2 * a, h)
        form = "stripe: (q w/pi k)[ln(8h/(pi w)) + 1], mean (q w/pi k)[ln(4h/(pi w)) + 3/2]; + q sum d/k"
    else:
        centre = analytic.uniform_flux_disc_centre_rise(q, k, a)
        mean = analytic.uniform_flux_disc_mean_rise(q, k, a)
        form = "disc on a half-space: q a/k, mean (8/3pi) q a/k; + q sum d/k"
    return {"centre_rise_K": centre + films, "mean_rise_K": mean + films, "films_K": films, "form": form}


def solve_dc(stack, options, j, V, lib):
    dm = build_mesh(stack, options, lib)
    q_el = aperture_heat_source(dm, j, V)
    st = solve_steady(dm.thermal, boundary_conditions(dm), q_element=q_el,
                      boundary_resistance=interface_resistances(dm))
    return dm, q_el, st


def run_dc(out: Path, geometry: str, options: MeshOptions, j: float, V: float, lib) -> dict:
    stack = lim2018(geometry=geometry)
    dm, q_el, st = solve_dc(stack, options, j, V, lib)
    T0 = stack.thermal.T_ambient_K
    power = aperture_power(dm, j, V)
    rise = st.T - T0
    centre = float(rise[qd_centre_node(dm)])
    mean = qd_aperture_mean(dm, st.T) - T0
    est = dc_estimate(dm, j * 1e4 * V, lib)
    unit = "K m/W" if geometry == "planar" else "K/W"
    write_thermal_vtu(out / f"{geometry}_dc.vtu", st, T_ambient_K=T0, q_element_W_per_m3=q_el)
    a = stack.aperture_half_width_um
    viz.field_map(dm.thermal, rise, out / f"{geometry}_dc_map.png", label="dT (K)",
                  title=f"{geometry}: temperature rise at {j:g} A/cm2, {V:g} V (glass, far face 300 K)",
                  xlim_um=(0, 8 * a), ylim_um=(-stack.substrate.thickness_um, stack.thickness_nm * 1e-3))
    viz.field_map(dm.thermal, rise, out / f"{geometry}_dc_aperture.png", label="dT (K)",
                  title=f"{geometry}: zoom on the aperture edge, layers outlined (height x100)",
                  xlim_um=(0, 2 * a), ylim_um=(-1.0, stack.thickness_nm * 1e-3), y_stretch=100.0)
    return {
        "geometry": geometry, "nodes": int(dm.thermal.mesh.p.shape[1]),
        "power": power, "power_unit": "W per m of stripe (half domain)" if geometry == "planar" else "W",
        "peak_rise_K": float(rise.max()), "qd_centre_rise_K": centre, "qd_aperture_mean_rise_K": mean,
        "thermal_resistance": mean / power, "thermal_resistance_unit": unit,
        "analytic": est, "heat_balance_imbalance": st.imbalance,
    }


def run_pulse(out: Path, geometry: str, substrate: str, options: MeshOptions, j: float, V: float,
              width_s: float, t_end: float, lib) -> dict:
    stack = lim2018(geometry=geometry, substrate=substrate)
    dm = build_mesh(stack, options, lib)
    q_el = aperture_heat_source(dm, j, V)
    times = np.geomspace(width_s / 100, t_end, 31)
    times = np.union1d(times, [width_s])
    grid = time_grid(t_end, width_s / 400, include=list(times) + [width_s])
    hist = solve_transient(dm.thermal, times, boundary_conditions(dm), q_element=q_el, grid=grid,
                           amplitude=lambda t: 1.0 if t <= width_s * (1 + 1e-12) else 0.0,
                           T_init_K=stack.thermal.T_ambient_K, boundary_resistance=interface_resistances(dm),
                           progress=False)
    node = qd_centre_node(dm)
    rise = hist.T[:, node] - stack.thermal.T_ambient_K
    i_end = int(np.argmin(np.abs(hist.times - width_s)))
    write_vtu(out / f"{geometry}_pulse_{substrate}.vtu", dm.thermal,
              point_data={"T_K": hist.T[i_end], "dT_K": hist.T[i_end] - stack.thermal.T_ambient_K},
              cell_data={"heat_density_W_per_cm3": q_el * 1e-6})
    m = lib[substrate]
    q = j * 1e4 * V
    half_space = analytic.step_flux_surface_rise(width_s, q, m.thermal_conductivity, m.volumetric_heat_capacity)
    films = film_rise(dm, q, lib)
    return {"geometry": geometry, "substrate": substrate, "times_s": hist.times, "qd_centre_rise_K": rise,
            "rise_at_end_of_pulse_K": float(rise[i_end]),
            "half_space_estimate_K": float(half_space),
            "half_space_plus_films_K": float(half_space + films),
            "estimate_form": "2 q sqrt(t/pi)/sqrt(k rho c) of the substrate at the end of the pulse (films "
                             "ignored); plus q sum(d/k) of the films below the QDs (their steady drop: an upper "
                             "bound, the films' own heat capacity and upward loss lower it)"}


def run(out_dir="results/lim2018_thermal", overwrite: bool = False, quick: bool = False,
        j_A_per_cm2: float = 18.0, voltage_V: float = 8.0, pulse_j_A_per_cm2: float = 1000.0,
        pulse_voltage_V: float = 10.0, pulse_width_us: float = 1.0) -> dict:
    """Run the DC and pulsed thermal study; return (and write) the summary."""
    # every drive checked before the output folder exists (a bad one used to leave it empty)
    check_range("j_A_per_cm2", j_A_per_cm2, 0.0, MAX_CURRENT_DENSITY_A_PER_CM2, "A/cm^2")
    check_range("pulse_j_A_per_cm2", pulse_j_A_per_cm2, 0.0, MAX_CURRENT_DENSITY_A_PER_CM2, "A/cm^2")
    check_range("voltage_V", voltage_V, 0.0, MAX_VOLTAGE_V, "V")
    check_range("pulse_voltage_V", pulse_voltage_V, 0.0, MAX_VOLTAGE_V, "V")
    check_positive("pulse_width_us", pulse_width_us)
    out = prepare_output_dir(out_dir, overwrite)
    lib = load_library()
    # heat only: uniform cells in the films (the interface grading of the default options resolves
    # drift-diffusion accumulation layers; here it would only add 1e5 aspect ratios and round-off)
    options = MeshOptions(layer_cell_nm=10.0, min_cells_per_layer=3, interface_grading=0.0)
    options = options.scaled(0.5) if quick else options
    width = pulse_width_us * 1e-6
    pulse_jobs = [(g, sub) for g in (("axisymmetric",) if quick else GEOMETRIES) for sub in ("glass", "sapphire")]
    with tqdm(total=len(GEOMETRIES) + len(pulse_jobs), desc="lim2018_thermal", unit="solve") as bar:
        dc = {}
        for g in GEOMETRIES:
            bar.set_postfix_str(f"DC {g}")
            dc[g] = run_dc(out, g, options, j_A_per_cm2, voltage_V, lib)
            bar.update()
        pulses = []
        for g, sub in pulse_jobs:
            bar.set_postfix_str(f"pulse {g} {sub}")
            pulses.append(run_pulse(out, g, sub, options, pulse_j_A_per_cm2, pulse_voltage_V, width, 10 * width, lib))
            bar.update()
    viz.line_plot(out / "pulse_T_vs_t.png",
                  [{"x": p["times_s"] * 1e6, "y": p["qd_centre_rise_K"], "label": f"{p['geometry']}, {p['substrate']}"}
                   for p in pulses],
                  xlabel="time (us)", ylabel="QD-film centre rise (K)", logx=True,
                  title=f"{pulse_j_A_per_cm2:g} A/cm2 x {pulse_voltage_V:g} V, {pulse_width_us:g} us pulse")
    cols = {"time_s": pulses[0]["times_s"]}
    for p in pulses:
        cols[f"{p['geometry']}_{p['substrate']}_dT_K"] = p["qd_centre_rise_K"]
    write_csv(out / "pulse.csv", cols)
    summary = {
        "case": "lim2018_thermal",
        "drive_dc": {"j_A_per_cm2": j_A_per_cm2, "voltage_V": voltage_V},
        "drive_pulse": {"j_A_per_cm2": pulse_j_A_per_cm2, "voltage_V": pulse_voltage_V, "width_us": pulse_width_us},
        "quick": quick,
        "dc": dc,
        "pulse": [{k: v for k, v in p.items() if k not in ("times_s", "qd_centre_rise_K")} for p in pulses],
        "assumptions": lim2018().description + "; heat spread uniformly over the semiconductor films above the aperture",
        "notes": ["The DC analytic forms ignore lateral spreading in the Al cathode (100 nm, 237 W/mK) and ITO; with "
                  "their conductivities divided by 1000 the computed centre rise comes within 4 % of the forms "
                  "(measured: planar 252.6 vs 262.2 K, axisymmetric 157.1 vs 161.4 K), so the lower computed "
                  "rise is the metal acting as a heat spreader, not an error."],
    }
    summary["headline"] = [
        f"DC {j_A_per_cm2:g} A/cm2 x {voltage_V:g} V, {g}: QD centre +{d['qd_centre_rise_K']:.1f} K "
        f"(analytic {d['analytic']['centre_rise_K']:.1f} K), aperture mean +{d['qd_aperture_mean_rise_K']:.1f} K, "
        f"R_th = {d['thermal_resistance']:.4g} {d['thermal_resistance_unit']}" for g, d in dc.items()
    ] + [f"pulse {pulse_j_A_per_cm2:g} A/cm2 x {pulse_voltage_V:g} V x {pulse_width_us:g} us, {p['geometry']} on "
         f"{p['substrate']}: +{p['rise_at_end_of_pulse_K']:.1f} K at the end (bare half-space "
         f"{p['half_space_estimate_K']:.1f} K, with films in series {p['half_space_plus_films_K']:.1f} K)" for p in pulses]
    write_json(out / "summary.json", summary)
    return summary


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default="results/lim2018_thermal")
    ap.add_argument("--overwrite", action="store_true")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--j", type=float, default=18.0, help="DC current density, A/cm2")
    ap.add_argument("--voltage", type=float, default=8.0, help="DC voltage, V")
    args = ap.parse_args(argv)
    try:
        summary = run(args.out, args.overwrite, args.quick, args.j, args.voltage)
    except InputError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print("\n".join(summary["headline"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
