"""The reference device at its operating point: drift-diffusion + heat, self-consistent, to gain.

Lim, Park & Klimov, Nat. Mater. 17, 42 (2018) ran their current-focusing CQD LED at 18 A/cm^2 DC
(about 3.2 excitons per dot) and saw 1S inversion at 3-4 A/cm^2. This case takes the lim2018
stack with the sourced parameter set ``lim2018_operating`` (every value that differs from the
material library, its unit and its source are listed in ``summary.json["parameters"]``; why this
set and not the library is ``cases/lim2018_transport.py``) and, for the stripe (planar) and the
round aperture (axisymmetric):

1. the electrothermal (self-heated, DC) operating points at 3.5 and 18 A/cm^2 over the aperture
   (:meth:`fem_cqd.coupled.Electrothermal.reach`), the voltage points on the way forming the
   self-heated J-V; the QD film's light is the gain model's photon yield at the local excitation
   and temperature and the rest of its recombination energy is heat fed back to the thermal solve
   (:mod:`fem_cqd.qd_emission`): energy balance heat + light = V I per point;
2. along the QD film at each point, J_rec(x) and T(x) from the solved maps
   (:mod:`fem_cqd.qd_profile`) fed to the gain stage (:func:`fem_cqd.gain.evaluate`): excitons per
   dot, 1S inversion, peak material gain vs position; the modal gain Gamma g - alpha of the stack's
   fundamental TE slab mode (:mod:`fem_cqd.optics`) with the aperture-mean gain spectrum, and the
   threshold of that slab without mirror loss; the band diagram at the aperture centre.

Mesh: the lateral spacing ``OPERATING_MESH`` (1 um cells at the aperture edge, growing x1.69).
With the finer library default (0.5 um, x1.3) the Newton path of the operating set failed
beyond ~4.8 V in the disc (fem_cqd issue 8 note); the vertical mesh is the default (graded films).

Outputs in ``results/lim2018_device/`` (or ``--out``): ``summary.json``, ``jv.csv``, ``jv.png``,
``profile_<geometry>_<j>A.csv``, ``profile.png``, ``<geometry>_<j>A.vtu`` (electrical maps),
``<geometry>_<j>A_thermal.vtu``, ``<geometry>_J_map.png``, ``<geometry>_T_map.png``,
``<geometry>_bands.png``.
"""
from __future__ import annotations

import math
import sys
import time
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from fem_cqd import gain, optics, viz
from fem_cqd.cli import case_main
from fem_cqd.constants import q
from fem_cqd.coupled import Electrothermal
from fem_cqd.electrical import Contact
from fem_cqd.errors import ConvergenceError
from fem_cqd.gain import QDParams
from fem_cqd.mesh import OPERATING_MESH, QUICK_MESH, MeshOptions, build_mesh
from fem_cqd.qd_profile import qd_film_profile
from fem_cqd.results import prepare_output_dir, write_csv, write_json, write_profile_csv, write_thermal_vtu
from fem_cqd.paramsets import load_parameter_set
from fem_cqd.stack import lim2018

OUT_DEFAULT = Path("results/lim2018_device")
PARAMS = "lim2018_operating"
QD = QDParams()                          # the gain model's defaults (each sourced in fem_cqd.gain.params)
TARGETS = (3.5, 18.0)                    # A/cm^2: 1S inversion reported at 3-4, gain at 18
WAVELENGTHS_NM = np.linspace(600.0, 660.0, 61)


def contacts():
    return [Contact("anode"), Contact("cathode")]


def slab_mode(stack):
    """Fundamental TE mode of the stack above the aperture at the 1S wavelength (Gamma, loss)."""
    return optics.solve_modes(optics.slab_from_stack(stack), QD.lambda_1s_nm * 1e-9, "TE")[0]


def profile_and_gain(dm, point, qd_layer: str):
    """(profile, gain maps) along the QD film of an electrothermal point."""
    prof = qd_film_profile(dm.electrical, qd_layer, point.electrical.R_vertex, point.thermal.T[dm.node_map],
                           point.electrical.J)
    maps = gain.evaluate(np.maximum(prof.j_rec_A_per_m2, 0.0), prof.T_K, WAVELENGTHS_NM * 1e-9, QD)
    return prof, maps


def modal(mode, prof, maps, inside) -> dict:
    """Modal gain Gamma <g>(lambda*) - alpha of the aperture-mean material gain spectrum <g>(lambda)
    (area-weighted over the aperture) at its peak lambda*, and the slab's own threshold."""
    w = prof.column_width_m[inside]
    g_mean = (w[:, None] * maps.g_per_m[inside]).sum(axis=0) / w.sum()
    k = int(np.argmax(g_mean))
    T_mean = float(np.average(prof.T_K[inside], weights=w))
    th = optics.laser_threshold(mode, 0.0, WAVELENGTHS_NM * 1e-9, T_mean, QD)
    return {"modal_gain_per_cm": float(optics.modal_gain_per_m(mode, g_mean[k])) / 100,
            "aperture_mean_peak_gain_per_cm": float(g_mean[k] / 100),
            "modal_wavelength_nm": float(maps.wavelength_m[k] * 1e9),
            "threshold_material_gain_per_cm": th["g_th_per_cm"], "threshold_j_A_per_cm2": th["j_th_A_per_cm2"]}


def recombination_by_region(et, pt) -> dict:
    """Share of the terminal current that recombines in each semiconductor region, q int R dV / I."""
    tm, geom, st = et.device.tmesh, et.device.geom, pt.electrical
    el = {name: tm.elements_of(name) for name in tm.region_names}
    rec = {name: q * float(np.sum(geom.vol[:, e] * st.R_vertex[:, e])) for name, e in el.items()}
    return {k: v / abs(pt.current) for k, v in rec.items() if v != 0.0}


def point_summary(dm, et, pt, stack, mode, out: Path, geometry: str, j: float, seconds: float) -> dict:
    """Maps and profile of one operating point written to ``out``; its summary entry."""
    prof, maps = profile_and_gain(dm, pt, stack.qd_layer)
    _, _, Y = et.heat_source.split(pt.electrical)
    tag = f"{geometry}_{j:g}A"
    pt.electrical.save_vtu(out / f"{tag}.vtu")
    write_thermal_vtu(out / f"{tag}_thermal.vtu", pt.thermal, T_ambient_K=et.T_ambient_K)
    write_profile_csv(out / f"profile_{tag}.csv", prof, {
        "excitons_per_dot": maps.occupancy.n_mean, "inversion_1S": maps.occupancy.inversion["1S"],
        "photon_yield": Y, "peak_gain_per_cm": maps.peak_g_per_m / 100,
        "peak_wavelength_nm": maps.peak_wavelength_m * 1e9})
    inside = prof.x_m <= stack.aperture_half_width_um * 1e-6
    w = prof.column_width_m[inside]
    p_in = pt.electrical.power_in
    return {
        "j_target_A_per_cm2": j, "terminal_j_A_per_cm2": pt.j_A_per_cm2, "voltage_V": pt.voltage_V,
        "j_A_per_cm2": pt.j_A_per_cm2,
        "peak_rise_K": pt.max_rise_K, "qd_centre_T_K": float(prof.T_K[0]),
        "qd_mean_T_K": float(np.average(prof.T_K[inside], weights=w)),
        "n_mean_centre": float(maps.occupancy.n_mean[0]), "n_mean_max": float(maps.occupancy.n_mean.max()),
        "inversion_1S_max": float(maps.occupancy.inversion["1S"].max()),
        "peak_gain_per_cm": float(maps.peak_g_per_m.max() / 100),
        **modal(mode, prof, maps, inside),
        "energy_balance_rel": pt.energy_balance_rel,
        "j_rec_vs_terminal_rel": 1.0 - prof.recombination_current / abs(pt.current),
        "seconds": seconds,
        "electrothermal_iterations": pt.iterations,
        "recombination_share_by_region": recombination_by_region(et, pt),
        "energy": {"power_in": p_in, "heat": pt.heat_W, "light": pt.light_W,
                   "light_share": pt.light_W / p_in if p_in else 0.0},
        "photon_yield_centre": float(Y[0]),
        "recombination_share_in_qd": prof.recombination_current / abs(pt.current),
        "qd_centre": {"j_rec_A_per_cm2": float(prof.j_rec_A_per_m2[0] / 1e4),
                      "excitons_per_dot": float(maps.occupancy.n_mean[0]),
                      "inversion_1S": float(maps.occupancy.inversion["1S"][0]),
                      "peak_gain_per_cm": float(maps.peak_g_per_m[0] / 100),
                      "peak_wavelength_nm": float(maps.peak_wavelength_m[0] * 1e9)},
        "aperture_mean_excitons_per_dot": float(np.average(maps.occupancy.n_mean[inside], weights=w)),
        "profile": {"x_um": prof.x_m * 1e6, "j_rec_A_per_cm2": prof.j_rec_A_per_m2 / 1e4,
                    "j_y_mid_A_per_cm2": prof.j_y_mid_A_per_m2 / 1e4, "T_K": prof.T_K,
                    "excitons_per_dot": maps.occupancy.n_mean, "peak_gain_per_cm": maps.peak_g_per_m / 100},
    }


def run_geometry(out: Path, geometry: str, options: MeshOptions, targets, bar, params=PARAMS) -> dict:
    stack = lim2018(geometry, params=params)
    dm = build_mesh(stack, options)
    mode = slab_mode(stack)
    res = {"geometry": geometry, "electrical_nodes": int(dm.electrical.mesh.p.shape[1]),
           "thermal_nodes": int(dm.thermal.mesh.p.shape[1]),
           "slab_mode": {"polarization": mode.polarization, "n_eff": [mode.n_eff.real, mode.n_eff.imag],
                         "confinement": mode.confinement, "loss_per_cm": mode.loss_per_m / 100}}
    t0 = time.time()
    et = Electrothermal(dm, contacts(), qd_emission=QD)
    points, ramp_points, start, seconds = {}, [], None, {}
    for j in targets:
        bar.set_postfix_str(f"{geometry}: electrothermal {j:g} A/cm2")
        t1 = time.time()
        try:
            pt, way = et.reach(j_A_per_cm2=j, start=start, progress=False)
        except ConvergenceError as exc:
            ramp_points += exc.completed
            res.setdefault("failures", []).append(f"{j:g} A/cm2: {str(exc)[:400]}")
            break
        ramp_points += way + [pt]
        points[j], start, seconds[j] = pt, pt, time.time() - t1
        bar.update()
    pts = sorted({round(p.voltage_V, 9): p for p in ramp_points}.values(), key=lambda p: abs(p.current))  # past a fold V is not monotonic
    res["jv_electrothermal"] = [{"V": p.voltage_V, "J_A_per_cm2": p.j_A_per_cm2, "peak_rise_K": p.max_rise_K}
                                for p in pts]
    res["operating_points"] = {f"{j:g}": point_summary(dm, et, pt, stack, mode, out, geometry, j, seconds[j])
                               for j, pt in points.items()}
    if points:
        top = points[max(points)]
        a_um = stack.aperture_half_width_um
        win = dict(xlim_um=(0, 2 * a_um), ylim_um=(0.1, stack.thickness_nm * 1e-3), y_stretch=100.0)
        jmag = np.hypot(top.electrical.J[:, 0], top.electrical.J[:, 1]) / 1e4
        viz.field_map(dm.electrical, jmag, out / f"{geometry}_J_map.png",
                      label="J magnitude (A/cm2)", title=f"{geometry}: current density magnitude at {max(points):g} "
                      "A/cm2 (height x100)", **win)
        viz.field_map(dm.thermal, top.thermal.T - et.T_ambient_K, out / f"{geometry}_T_map.png", label="dT (K)",
                      title=f"{geometry}: temperature rise at {max(points):g} A/cm2, DC",
                      xlim_um=(0, 8 * a_um), ylim_um=(-stack.substrate.thickness_um, stack.thickness_nm * 1e-3))
        viz.band_plot(out / f"{geometry}_bands.png", dm.electrical,
                      {f"{geometry}, axis: {j:g} A/cm2, {pt.voltage_V:.3f} V, +{pt.max_rise_K:.1f} K": pt.electrical
                       for j, pt in points.items()})
    res["seconds"] = time.time() - t0
    return res


def _plots(out: Path, results: dict) -> None:
    styles = {"planar": "-", "axisymmetric": "--"}
    curves = [{"x": [row["V"] for row in r["jv_electrothermal"]], "y": [row["J_A_per_cm2"] for row in r["jv_electrothermal"]],
               "label": f"{g}: operating set, self-heated", "style": {"planar": "b", "axisymmetric": "r"}[g] + styles[g] + "o"}
              for g, r in results.items() if r["jv_electrothermal"]]
    curves.append({"x": [0, 10], "y": [18, 18], "label": "18 A/cm2 (Lim 2018)", "style": "g:"})
    viz.line_plot(out / "jv.png", curves, xlabel="anode voltage (V)", ylabel="J over the aperture (A/cm2)",
                  title="lim2018: DC J-V, self-heated", logy=True)
    prof = [{"x": op["profile"]["x_um"], "y": op["profile"]["excitons_per_dot"], "label": f"{g} {j} A/cm2: <N>",
             "style": styles[g]} for g, r in results.items() for j, op in r["operating_points"].items()]
    if prof:
        viz.line_plot(out / "profile.png", prof, xlabel="x or r (um)", ylabel="excitons per dot <N>",
                      title="QD film: excitons per dot from the solved J_rec(x), T(x)")


def headline(s: dict) -> list[str]:
    lines = []
    for g, r in s["geometries"].items():
        for j, op in r["operating_points"].items():
            c = op["qd_centre"]
            lines.append(f"{g}: {j} A/cm2 at {op['voltage_V']:.3f} V, peak rise {op['peak_rise_K']:.1f} K, "
                         f"centre <N> = {c['excitons_per_dot']:.2f}, 1S inversion {c['inversion_1S']:+.2f}, "
                         f"peak gain {c['peak_gain_per_cm']:.0f} /cm, modal {op['modal_gain_per_cm']:.0f} /cm, "
                         f"light {100 * op['energy']['light_share']:.2f} % of V I")
        for f in r.get("failures", []):
            lines.append(f"{g}: FAILED {f[:160]}")
    return lines


def run(out_dir=OUT_DEFAULT, overwrite: bool = False, quick: bool = False, geometries=("axisymmetric", "planar"),
        targets=TARGETS, params=PARAMS) -> dict:
    """``params``: the parameter set (name or TOML path, e.g. one written by ``fem-cqd fit``)."""
    load_parameter_set(params)                    # bad input before any folder is made
    out = prepare_output_dir(out_dir, overwrite)
    options = QUICK_MESH if quick else OPERATING_MESH
    t0 = time.time()
    results = {}
    bar = tqdm(total=len(geometries) * len(targets), desc="lim2018_device", unit="point")
    for g in geometries:
        results[g] = run_geometry(out, g, options, targets, bar, params)
    bar.close()
    cols = {}
    for g, r in results.items():
        cols[f"{g}_V"] = [row["V"] for row in r["jv_electrothermal"]]
        cols[f"{g}_J_A_per_cm2"] = [row["J_A_per_cm2"] for row in r["jv_electrothermal"]]
        cols[f"{g}_peak_rise_K"] = [row["peak_rise_K"] for row in r["jv_electrothermal"]]
    n = max([len(v) for v in cols.values()] + [0])
    write_csv(out / "jv.csv", {k: list(v) + [math.nan] * (n - len(v)) for k, v in cols.items()})
    _plots(out, results)
    stack = lim2018(params=params)
    s = {
        "case": "lim2018_device", "quick": quick, "parameter_set": str(params),
        "parameters": [{k: r[k] for k in ("name", "value", "unit", "source")} for r in stack.parameters],
        "gain_parameters": "fem_cqd.gain.QDParams defaults (sources in fem_cqd/gain/params.py)",
        "mesh": {"edge_cell_um": options.edge_cell_um, "lateral_ratio": options.lateral_ratio,
                 "max_cell_fraction": options.max_cell_fraction, "layer_cell_nm": options.layer_cell_nm},
        "operating_point": {g: {"electrothermal": True, "dc": True, "qd_light_from_gain_model": True,
                                "voltage_V_at_18_A_per_cm2": r["operating_points"].get("18", {}).get("voltage_V"),
                                "peak_rise_K": r["operating_points"].get("18", {}).get("peak_rise_K"),
                                "reached": "18" in r["operating_points"]}
                            for g, r in results.items()},
        "geometries": results,
        "seconds": time.time() - t0,
    }
    s["headline"] = headline(s)
    write_json(out / "summary.json", s)
    return s


def main(argv=None) -> int:
    return case_main(run, __doc__, OUT_DEFAULT, argv)


if __name__ == "__main__":
    sys.exit(main())
