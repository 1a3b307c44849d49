"""Design search for a CQD laser diode: threshold current and peak temperature over device, cavity
and pulse train, on dask.

The question of the seed's "next effort": which aperture, spacer, transport-layer thickness,
substrate, cavity and pulse train bring the reference stack (``lim2018_operating``, the stripe) to
modal threshold below a damage temperature. Two kinds of parameter:

1. **device** (each a design table: :func:`fem_cqd.studies.laser_device`, a resumable sweep on a
   dask ``LocalCluster``): aperture width, spacer taper angle, TCTA thickness, substrate / heat sink
   (glass, sapphire, silicon, diamond) -- the device driven at ``J_LIST`` A/cm^2 at ambient, the
   QD film's J_rec(x) and the film's rise for that heat switched on (transient heat solve to steady);
2. **cheap** (:mod:`fem_cqd.design_search`, no new solve): the cavity core (the ZnO between the
   film and the Al cathode, optical thickness ``core_nm``) and the cavity loss (each of
   ``CAVITY_LOSSES_PER_CM``: a grating's or mirrors' loss is a scenario, not a knob to optimise --
   a smaller loss is always better) give the threshold material gain g_th; the pulse width and duty cycle give the film's rise at
   the end of a pulse of the periodic train (exact superposition of the step response); threshold
   is where the aperture-mean gain reaches g_th.

Per device and cavity loss, the best cheap design -- the largest duty cycle at threshold with the
film's peak rise <= ``DT_MAX_K`` -- is found by ``scipy.optimize.differential_evolution``, the
searches run as tasks on the same dask client. The device sweep is written to ``results/laser_design_devices/``
(index, one folder per device with its table; kept by ``--overwrite``, so a rerun resumes it).
Outputs in ``results/laser_design/``: ``designs.csv`` (ranked: best cheap design per
device and cavity loss, J_th, rise, feasibility, or how far the threshold gain is out of reach),
``cavity.png`` (g_th, confinement and modal loss vs core thickness), ``train_map.png`` (reachable
aperture-mean gain of the best device over pulse width x duty cycle), ``devices.png`` (J-V and
DC rise per device), ``best/`` (the best device driven by a coupled electrothermal pulse,
:meth:`fem_cqd.coupled.Electrothermal.pulse`, at its threshold or at the highest current of its
table: J map, T map, film profile and gain -- the check of the table's ambient-state
approximation at the single-pulse corner, at most ``PULSE_CHECK_J_MAX``), ``summary.json``.
"""
from __future__ import annotations

import dataclasses
import math
import sys
import time
from pathlib import Path

import numpy as np

from fem_cqd import design_search as ds
from fem_cqd import gain, viz
from fem_cqd.cli import case_main
from fem_cqd.errors import ConvergenceError
from fem_cqd.gain import QDParams
from fem_cqd.results import prepare_output_dir, write_csv, write_json
from fem_cqd.stack import lim2018
from fem_cqd.studies import laser_device_values, reference_device, reference_stack
from fem_cqd.sweep import Study, _client, run_sweep

OUT_DEFAULT = Path("results/laser_design")
GEOMETRY = "planar"
PARAMS = "lim2018_operating"
QD = dataclasses.replace(QDParams(), n_max=24)     # J_rec of 100+ A/cm^2: <N> up to ~8 needs more states than 12
CAVITY_LOSSES_PER_CM = (5.0, 20.0, 50.0)   # the searched scenarios, drawn in cavity.png: 20 /cm is a DFB grating's loss,
                                           # the order of the CQD DFB lasers' (Roh et al. 2020)
CAVITY_LOSS_PER_CM = 20.0      # the reference loss of cavity.csv's confinement / modal-loss columns
DT_MAX_K = 100.0               # damage limit of the organic layers (film peak rise)
PULSE_CHECK_J_MAX = 20.0       # the coupled pulse check runs at most here: the pulse solves its electrical state from
                               # equilibrium by a current bracket, which failed at 50 A/cm^2 on the 100 um stripe
                               # (non-finite residual at 23.7 V, after minutes) where the table got there step by step
DC_CHECK_RISE_K = 10.0         # the DC check of the ambient-state table runs at the row whose DC rise is nearest this
J_LIST = [2.0, 5.0, 10.0, 20.0, 30.0, 40.0, 50.0, 70.0, 100.0, 150.0, 200.0]
DEVICES = ([{"aperture_um": a, "substrate": "glass"} for a in (20.0, 50.0, 100.0, 200.0)]
           + [{"aperture_um": 100.0, "substrate": s} for s in ("sapphire", "silicon", "diamond")]
           + [{"aperture_um": 100.0, "substrate": "glass", "tcta_nm": 30.0},
              {"aperture_um": 100.0, "substrate": "glass", "taper_angle_deg": 45.0},
              {"aperture_um": 10.0, "substrate": "glass"}])    # last: the list grew, its folder keeps the other tables
QUICK_DEVICES = [{"aperture_um": 100.0, "substrate": "glass"}, {"aperture_um": 100.0, "substrate": "diamond"}]
QUICK_J_LIST = [2.0, 5.0, 10.0, 20.0]
WIDTHS_S = np.geomspace(1e-8, 1e-3, 11)
DUTIES = np.geomspace(1e-5, 1.0, 11)


def device_study(quick: bool) -> Study:
    return Study(name="laser_design_devices", point="laser_device", design="list",
                 points=tuple(QUICK_DEVICES if quick else DEVICES),
                 parameters={},
                 fixed={"geometry": GEOMETRY, "params": PARAMS, "quick": quick,
                        "j_A_per_cm2": QUICK_J_LIST if quick else J_LIST, "times": 31 if quick else 46})


def devices_folder(out: Path, quick: bool) -> Path:
    """The device sweep's folder, beside the case's output so that ``--overwrite`` keeps it: a rerun
    (after an interruption, or with new cheap settings) reuses every finished device table. Delete
    it to recompute the tables (e.g. after changing ``laser_device``)."""
    return out.with_name(out.name + ("_devices_quick" if quick else "_devices"))


def _label(values: dict) -> str:
    extra = "".join(f", {k} {v:g}" for k, v in values.items() if k not in ("aperture_um", "substrate"))
    return f"{values['aperture_um']:g} um, {values['substrate']}{extra}"


def search_device(folder: str, values: dict, cavity_loss_per_cm: float, seed: int) -> dict:
    """The best cheap design of one device under one cavity loss (a dask task): its table, cavity
    curve and optimiser."""
    table = ds.DeviceTable.load(Path(folder))
    cavity = ds.CavityCurve(reference_stack(laser_device_values(values)), cavity_loss_per_cm)
    return {"cavity_loss_per_cm": cavity_loss_per_cm, **ds.best_design(table, cavity, QD, DT_MAX_K, seed=seed)}


def cavity_plot(out: Path) -> None:
    """g_th, confinement and modal loss vs the ZnO core of the 100 um glass stripe for several cavity
    losses: ``cavity.png``, ``cavity.csv``."""
    stack = lim2018(GEOMETRY, aperture_um=100.0, params=PARAMS)
    curves = {a: ds.CavityCurve(stack, a) for a in CAVITY_LOSSES_PER_CM}
    ref = curves[CAVITY_LOSS_PER_CM]
    write_csv(out / "cavity.csv", {"core_nm": ref.core_nm, "confinement": ref.confinement,
                                   "modal_loss_per_cm": ref.modal_loss_per_cm,
                                   **{f"g_th_per_cm_loss{a:g}": c.g_th_per_cm for a, c in curves.items()}})
    g_sat = float(gain.saturated_peak_gain_per_m(ds.wavelength_grid_m(np.array([300.0]), QD), None, QD) / 100)
    viz.panel_plot(out / "cavity.png", [
        {"curves": [{"x": c.core_nm, "y": c.g_th_per_cm, "style": f"C{i}", "label": f"cavity loss {a:g} /cm"}
                    for i, (a, c) in enumerate(curves.items())]
         + [{"hline": g_sat, "color": "k", "ls": ":", "label": "saturated gain, 300 K"}],
         "ylabel": "g$_{th}$ (cm$^{-1}$)", "logy": True, "legend": 8, "title": "slab TE0, 100 um glass stripe",
         "xlabel": "ZnO core (nm)"},
        {"curves": [{"x": ref.core_nm, "y": ref.confinement, "style": "C1"}], "ylabel": r"$\Gamma$",
         "xlabel": "ZnO core (nm)",
         "twin": {"curves": [{"x": ref.core_nm, "y": ref.modal_loss_per_cm, "style": "C3"}],
                  "ylabel": "modal loss (cm$^{-1}$)", "ylabel_color": "C3"}}], rows=1)


def train_map(table, g_th_per_cm: float) -> np.ndarray:
    """Reachable aperture-mean gain (1/cm) of a table over WIDTHS_S x DUTIES."""
    return np.array([[ds.threshold(table, 100 * g_th_per_cm, w, d, QD)["g_reach_per_cm"] for d in DUTIES]
                     for w in WIDTHS_S])


def best_pulse(out: Path, values: dict, design: dict, table) -> dict:
    """The best device under one coupled pulse of the best width, at J_th or the table's largest J:
    maps, film profile and gain; the table's prediction at the same corner beside it."""
    from fem_cqd.qd_profile import qd_film_profile

    stack, dm, et, _ = reference_device(laser_device_values(values))     # the table's device, as laser_device built it
    j0 = min(PULSE_CHECK_J_MAX, design["j_th_A_per_cm2"] if np.isfinite(design["j_th_A_per_cm2"])
             else float(table.j_A_per_cm2[-1]))
    w = float(design["width_s"])
    t0 = time.time()
    tried = []
    for j in [j0] + [float(v) for v in table.j_A_per_cm2[::-1] if v < j0]:     # down the table's rows on failure
        try:
            res = et.pulse(j_A_per_cm2=j, width_s=w, times=[w], tol_K=1.0, progress=False)
            break
        except ConvergenceError as exc:   # the pulse starts from equilibrium, the table reached its rows step by step
            tried.append(f"{j:g} A/cm2: {str(exc)[:200]}")
    else:
        return {"values": values, "failed": tried}
    T_end = res.history.T[-1]
    st = res.end_state
    prof = qd_film_profile(dm.electrical, stack.qd_layer, st.R_vertex, T_end[dm.node_map])
    maps = gain.evaluate(np.maximum(prof.j_rec_A_per_m2, 0.0), prof.T_K, ds.wavelength_grid_m(prof.T_K, QD), QD)
    best = out / "best"
    best.mkdir(exist_ok=True)
    Jmag = np.hypot(st.J[:, 0], st.J[:, 1]) / 1e4
    a_um = stack.aperture_half_width_um
    window = dict(xlim_um=(0.0, 2 * a_um), ylim_um=(0.1, stack.thickness_nm * 1e-3), y_stretch=100.0)
    viz.field_map(dm.electrical, Jmag, best / "J_map.png", title=f"|J| at the end of a {w:.3g} s pulse, {j:.3g} A/cm2",
                  label="|J| (A/cm2)", log=True, **window)
    viz.field_map(dm.thermal, T_end, best / "T_map.png", title="T at the end of the pulse", label="T (K)",
                  xlim_um=(0.0, 8 * a_um), ylim_um=(-stack.substrate.thickness_um, stack.thickness_nm * 1e-3))
    viz.gain_profile_plot(best / "film.png", prof.x_m * 1e6, prof.j_rec_A_per_m2 / 1e4, prof.T_K, {"coupled pulse": maps},
                          QD.lambda_1s_nm)
    write_csv(best / "film.csv", {"x_um": prof.x_m * 1e6, "j_rec_A_per_cm2": prof.j_rec_A_per_m2 / 1e4, "T_K": prof.T_K,
                                  "excitons_per_dot": maps.occupancy.n_mean, "peak_gain_per_cm": maps.peak_g_per_m / 100})
    j_rec_tab, rise_tab = table.at(j, w, 1e-12)                 # the table's single pulse (D -> 0) at J
    dc = table.step_K[:, :, -1].max(axis=1)                     # the DC corner: the row nearest DC_CHECK_RISE_K
    k = int(np.argmin(np.abs(np.log(np.maximum(dc, 1e-9) / DC_CHECK_RISE_K))))
    dc_check = {"j_A_per_cm2": float(table.j_A_per_cm2[k]), "table_ambient_state_rise_K": float(dc[k]),
                "table_voltage_V": float(table.voltage_V[k])}
    try:
        op, _ = et.reach(j_A_per_cm2=float(table.j_A_per_cm2[k]), progress=False)
        dc_check.update(coupled_voltage_V=op.voltage_V, coupled_self_heated_rise_K=float(qd_film_profile(
            dm.electrical, stack.qd_layer, op.electrical.R_vertex, op.thermal.T[dm.node_map]).T_K.max() - et.T_ambient_K))
    except ConvergenceError as exc:                   # recorded: the check is a result either way
        dc_check.update(coupled_voltage_V=math.nan, coupled_self_heated_rise_K=math.nan, failed=str(exc)[:300])
    return {"values": values, "j_A_per_cm2": j, "width_s": w, "seconds": time.time() - t0, "dc_check": dc_check,
            "failed_at_higher_j": tried,
            "coupled_film_peak_rise_K": float(prof.T_K.max() - et.T_ambient_K),
            "table_film_peak_rise_K": float(rise_tab.max()),
            "coupled_voltage_end_V": float(st.voltages[et.drive]),
            "coupled_aperture_mean_peak_gain_per_cm": ds.aperture_gain_per_m(
                prof.j_rec_A_per_m2, prof.T_K, prof.column_width_m, table.inside, QD) / 100,
            "table_aperture_mean_peak_gain_per_cm": ds.aperture_gain_per_m(
                j_rec_tab, table.T_ambient_K + rise_tab, table.weight, table.inside, QD) / 100}


def deficit_line(rows: list[dict]) -> str:
    """Per cavity loss, the smallest g_th - g_reach (1/cm) of the designs with a guided mode (<= 0: reached)."""
    parts = []
    for a in CAVITY_LOSSES_PER_CM:
        gaps = [d["g_th_per_cm"] - d["g_reach_per_cm"] for d in rows if d["cavity_loss_per_cm"] == a
                and math.isfinite(d["g_th_per_cm"]) and math.isfinite(d["g_reach_per_cm"])]
        parts.append(f"{a:g} /cm: {min(gaps):.4g} /cm" if gaps else f"{a:g} /cm: no guided mode")
    return "smallest gain deficit g_th - g_reach per cavity loss: " + ", ".join(parts)


def check_line(check: dict) -> str:
    if "failed" in check:
        return f"coupled pulse check failed at every current tried: {check['failed'][-1]}"
    dc = check["dc_check"]
    return (f"coupled pulse check ({check['j_A_per_cm2']:.3g} A/cm2, {check['width_s']:.3g} s): film peak rise "
            f"{check['coupled_film_peak_rise_K']:.3g} K coupled vs {check['table_film_peak_rise_K']:.3g} K table, aperture-mean "
            f"gain {check['coupled_aperture_mean_peak_gain_per_cm']:.4g} vs {check['table_aperture_mean_peak_gain_per_cm']:.4g} /cm; "
            f"DC at {dc['j_A_per_cm2']:g} A/cm2: {dc['coupled_self_heated_rise_K']:.3g} K self-heated vs "
            f"{dc['table_ambient_state_rise_K']:.3g} K table (ambient state)")


def run(out_dir=OUT_DEFAULT, overwrite: bool = False, quick: bool = False, workers: int | None = None) -> dict:
    t0 = time.time()
    out = prepare_output_dir(out_dir, overwrite)
    study = device_study(quick)
    devices = devices_folder(out, quick)
    sweep = run_sweep(study, devices, workers=workers, progress=True)
    done = [r for r in sweep.records if r["status"] == "done"]
    client, cluster = _client(None, workers)
    try:
        jobs = [(r, loss) for r in done for loss in CAVITY_LOSSES_PER_CM]
        futures = [client.submit(search_device, str(devices / "points" / r["id"]), {**study.fixed, **r["values"]},
                                 loss, 0, pure=False) for r, loss in jobs]
        results = client.gather(futures)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    rows = []
    for (r, _), res in zip(jobs, results):
        rows.append({"device": _label(r["values"]), "values": r["values"], **res,
                     "j_max_A_per_cm2": r["outputs"]["j_max_A_per_cm2"], "stopped": r["outputs"]["stopped"]})
    rows.sort(key=lambda d: d["score"])
    write_csv(out / "designs.csv", {
        "rank": list(range(1, len(rows) + 1)), "device": [d["device"] for d in rows],
        "cavity_loss_per_cm": [d["cavity_loss_per_cm"] for d in rows], "feasible": [d["feasible"] for d in rows], "core_nm": [d["core_nm"] for d in rows],
        "duty": [d["duty"] for d in rows], "width_s": [d["width_s"] for d in rows],
        "g_th_per_cm": [d["g_th_per_cm"] for d in rows], "g_reach_per_cm": [d["g_reach_per_cm"] for d in rows],
        "j_th_A_per_cm2": [d["j_th_A_per_cm2"] for d in rows], "peak_rise_K": [d["peak_rise_K"] for d in rows],
        "j_max_A_per_cm2": [d["j_max_A_per_cm2"] for d in rows], "score": [d["score"] for d in rows]})
    cavity_plot(out)
    tables = {r["id"]: ds.DeviceTable.load(devices / "points" / r["id"]) for r in done}
    viz.panel_plot(out / "devices.png", [
        {"curves": [{"x": t.j_A_per_cm2, "y": t.voltage_V, "style": "o-", "label": _label(r["values"])}
                    for r, t in zip(done, tables.values())], "xlabel": "J (A/cm$^2$)", "ylabel": "V at 300 K", "logx": True,
         "legend": 6},
        {"curves": [{"x": t.j_A_per_cm2, "y": t.step_K[:, :, -1].max(axis=1), "style": "o-"} for t in tables.values()]
         + [{"hline": DT_MAX_K, "color": "k", "ls": ":"}],
         "xlabel": "J (A/cm$^2$)", "ylabel": "DC film peak rise (K)", "logx": True, "logy": True}], rows=1)
    best = rows[0]
    best_rec = next(r for r in done if _label(r["values"]) == best["device"])
    gmap = train_map(tables[best_rec["id"]], best["g_th_per_cm"])
    W, Dg = np.meshgrid(WIDTHS_S, DUTIES, indexing="ij")
    viz.scatter_map(out / "train_map.png", W.ravel(), Dg.ravel(), gmap.ravel(), xlabel="pulse width (s)",
                    ylabel="duty cycle", label="reachable aperture-mean gain (cm$^{-1}$)",
                    title=f"{best['device']}: gain reachable in the table")
    check = best_pulse(out, {**study.fixed, **best["values"]}, best, tables[best_rec["id"]])
    feasible = [d for d in rows if d["feasible"]]
    head = (f"best: {best['device']}, cavity loss {best['cavity_loss_per_cm']:g} /cm, core {best['core_nm']:.0f} nm, duty {best['duty']:.3g}, width {best['width_s']:.3g} s: "
            + (f"J_th {best['j_th_A_per_cm2']:.3g} A/cm2, film peak rise {best['peak_rise_K']:.3g} K" if best["feasible"] else
               f"no threshold: g_th {best['g_th_per_cm']:.4g} /cm, reachable {best['g_reach_per_cm']:.4g} /cm"))
    summary = {
        "headline": [f"laser_design: {len(feasible)} of {len(rows)} designs ({len(done)} devices x "
                     f"{len(CAVITY_LOSSES_PER_CM)} cavity losses) reach threshold under dT <= {DT_MAX_K:g} K",
                     deficit_line(rows),
                     head,
                     check_line(check)],
        "cavity_losses_per_cm": list(CAVITY_LOSSES_PER_CM), "dT_max_K": DT_MAX_K, "quick": quick,
        "designs": rows, "best_pulse_check": check, "sweep_counts": sweep.counts, "seconds": time.time() - t0}
    write_json(out / "summary.json", summary)
    return summary


def main(argv=None) -> int:
    return case_main(run, __doc__, OUT_DEFAULT, argv)


if __name__ == "__main__":
    sys.exit(main())
