"""Shape of the spacer's edge: taper angle 90 -> 20 deg and a rounded top edge, at 18 A/cm^2.

The spacer's opening focuses the current onto the QD film; its edge is where the current crowds.
For the stripe (planar) with the sourced parameter set ``lim2018_operating`` (a 10 nm LiF spacer,
its opening filled by TCTA) and the QD film's light from the gain model, at ``J_TARGET`` = 18
A/cm^2 over the aperture (Lim et al.'s DC operating point; 3.5 A/cm^2, where they report 1S
inversion, is solved on the way and its voltage and rise kept), DC and self-heated (the default
case's chain, :func:`cases.lim2018_device.point_summary`), for each edge in ``SHAPES`` -- (taper
angle in deg, top edge radius in nm); ``width_um`` stays the opening at the spacer's top face, so
the emitting width is the same and the foot of a tapered edge reaches t / tan(angle) further in --
this case reports:

- the edge peak of the QD film's recombination current J_rec(x) over its centre value, and of the
  vertical current density J_y at the film's mid-plane;
- the share of the terminal current recombining in the film inside the aperture (and outside it);
- the voltage and the peak temperature rise;
- the crowding zone: the width of film where J_rec exceeds twice its centre value, and the share
  of the film's recombination current in it;
- the uniformity of the excitons per dot <N> and of the peak material gain across the aperture:
  the area-weighted coefficient of variation (std / mean; a spike a few nm wide at the edge weighs
  by its width) and (max - min) / mean.

18 A/cm^2 on the stripe is past its electrothermal fold (8.1 A/cm^2 at 4.83 V, runaway at 4.93 V,
18 A/cm^2 at 4.78 V on the upper branch: only a current drive gets there); the fixed-current
iteration's temperature predictor (:mod:`fem_cqd.coupled`) gets a shape there in ~3 min (13 min
before it). The rectangular spacer is also solved on the default case's tensor mesh
(``tensor_reference`` in the summary): the 90 deg gmsh-window row must reproduce its voltage,
peak rise and <N> within the mesh error (the window resolves the edge with 2 nm cells, the tensor
mesh with 1 um).

Mesh: the default case's ``OPERATING_MESH`` with a gmsh window around the edge of cells
``SHAPE_CELL_NM`` (:mod:`fem_cqd.shaped_mesh`); the vertical 90 deg sharp step is meshed the same
way (``edge_window="gmsh"``) so that every shape sees the same lateral grid away from the edge.

Outputs in ``results/spacer_shape/``: ``summary.json``, ``spacer_shape.csv``, ``spacer_shape.png``
(figures of merit vs angle), ``J_map_taper<angle>_r<radius>.png`` (|J| near the edge for three
shapes), and per shape the
default case's maps and profile (``taper<angle>_r<radius>/``; the tensor-mesh rectangular spacer's in
``tensor_reference/``).
"""
from __future__ import annotations

import dataclasses
import sys
import time
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from fem_cqd import viz
from fem_cqd.cli import case_main, load_case
from fem_cqd.coupled import Electrothermal
from fem_cqd.errors import ConvergenceError, check_positive
from fem_cqd.mesh import build_mesh
from fem_cqd.qd_profile import qd_film_profile
from fem_cqd.results import prepare_output_dir, write_csv, write_json
from fem_cqd.stack import lim2018

OUT_DEFAULT = Path("results/spacer_shape")
SHAPES = ((90.0, 0.0), (60.0, 0.0), (45.0, 0.0), (30.0, 0.0), (20.0, 0.0), (90.0, 5.0), (90.0, 10.0), (45.0, 10.0))
QUICK_SHAPES = ((90.0, 0.0), (30.0, 5.0))
J_TARGET = 18.0
STEPS_A_PER_CM2 = (3.5,)                  # reached first, each point starting the next (as lim2018_device)
GEOMETRY = "planar"
SHAPE_CELL_NM = 2.0
EDGE_EXCLUDED_UM = 1.0                    # <N> profiles compared this far inside the aperture edge (um)
MAP_SHAPES = 3                            # J maps drawn for the first, middle and last shape


def shaped_stack(params: str, taper: float, radius: float):
    st = lim2018(GEOMETRY, params=params)
    return dataclasses.replace(st, spacer=dataclasses.replace(st.spacer, taper_angle_deg=taper, edge_radius_nm=radius))


def uniformity(values: np.ndarray, weights: np.ndarray) -> dict:
    """Area-weighted coefficient of variation and (max - min) / weighted mean."""
    mean = np.average(values, weights=weights)
    return {"cv": float(np.sqrt(np.average((values - mean) ** 2, weights=weights)) / mean),
            "range": float((values.max() - values.min()) / mean)}


def gain_spread(g_per_cm: np.ndarray, weights: np.ndarray) -> dict:
    """Area-weighted mean and standard deviation of the peak material gain (/cm; it changes sign at
    transparency, so a relative spread would mean nothing)."""
    mean = np.average(g_per_cm, weights=weights)
    return {"peak_gain_mean_in_aperture_per_cm": float(mean),
            "peak_gain_std_in_aperture_per_cm": float(np.sqrt(np.average((g_per_cm - mean) ** 2, weights=weights)))}


def edge_metrics(dm, pt, stack) -> dict:
    """Edge peaks over centre values, current shares and uniformity inside the aperture."""
    prof = qd_film_profile(dm.electrical, stack.qd_layer, pt.electrical.R_vertex, pt.thermal.T[dm.node_map],
                           pt.electrical.J)
    shares = prof.current_shares(stack.aperture_half_width_um * 1e-6, pt.current)
    rec = prof.j_rec_A_per_m2 * prof.column_width_m
    jy = np.abs(prof.j_y_mid_A_per_m2)
    k = int(np.argmax(prof.j_rec_A_per_m2))
    crowd = prof.j_rec_A_per_m2 > 2.0 * prof.j_rec_A_per_m2[0]
    strip = prof.column_width_m                                    # lateral width of each column (m; planar)
    return {"j_rec_edge_over_centre": float(prof.j_rec_A_per_m2[k] / prof.j_rec_A_per_m2[0]),
            "j_rec_peak_x_um": float(prof.x_m[k] * 1e6),
            "crowding_width_nm": float(strip[crowd].sum() * 1e9),
            "crowding_share_of_film_current": float(rec[crowd].sum() / rec.sum()),
            "j_y_mid_edge_over_centre": float(jy.max() / jy[0]),
            "share_film_inside_aperture": shares["film_inside_aperture"],
            "share_film_outside_aperture": shares["film_outside_aperture"]}


def run_shape(device, out: Path, taper: float, radius: float, quick: bool, j_target: float = J_TARGET) -> dict:
    stack = shaped_stack(device.PARAMS, taper, radius)
    opt = dataclasses.replace(device.QUICK_MESH if quick else device.OPERATING_MESH,
                              shape_cell_nm=2 * SHAPE_CELL_NM if quick else SHAPE_CELL_NM, edge_window="gmsh")
    t0 = time.time()
    dm = build_mesh(stack, opt)
    mesh_s = time.time() - t0
    et = Electrothermal(dm, device.contacts(), qd_emission=device.QD)
    base = {"taper_angle_deg": taper, "edge_radius_nm": radius, "electrical_nodes": int(dm.electrical.mesh.p.shape[1]),
            "mesh_seconds": mesh_s, "delaunay_repair": str(dm.repair)}
    try:
        pt, on_the_way = solve_targets(et, j_target)
    except ConvergenceError as exc:
        return {**base, "failed": str(exc)[:400], "seconds": time.time() - t0}
    sub = out / f"taper{taper:g}_r{radius:g}"
    sub.mkdir()
    op = device.point_summary(dm, et, pt, stack, device.slab_mode(stack), sub, GEOMETRY, j_target, time.time() - t0)
    prof = op.pop("profile")
    x = np.asarray(prof["x_um"])
    inside = x <= stack.aperture_half_width_um
    w = np.gradient(x)[inside]
    return {**base, **op, **on_the_way, **edge_metrics(dm, pt, stack),
            **{f"n_mean_{k}_in_aperture": v for k, v in uniformity(np.asarray(prof["excitons_per_dot"])[inside], w).items()},
            **gain_spread(np.asarray(prof["peak_gain_per_cm"])[inside], w),
            "_map": (dm, pt), "_profile": prof}


def solve_targets(et, j_target: float):
    """The operating point at ``j_target``, the lower ``STEPS_A_PER_CM2`` reached first (each point
    starting the next, as lim2018_device); returns it and the lower points' voltage and rise."""
    pt, kept = None, {}
    for j in [s for s in STEPS_A_PER_CM2 if s < j_target] + [j_target]:
        pt, _ = et.reach(j_A_per_cm2=j, start=pt, progress=False)
        if j != j_target:
            kept.update({f"voltage_V_at_{j:g}_A_per_cm2": pt.voltage_V, f"peak_rise_K_at_{j:g}_A_per_cm2": pt.max_rise_K})
    return pt, kept


def tensor_reference(device, out: Path, quick: bool, j_target: float, gmsh_row: dict | None) -> dict:
    """The rectangular spacer on the default case's tensor mesh at ``j_target`` (verification of the
    gmsh window, module doc): its voltage, peak rise and <N> profile, and the 90 deg gmsh-window
    row's differences from them (<N> compared at the tensor mesh's film columns inside the aperture
    and ``EDGE_EXCLUDED_UM`` from its edge: the spike the window resolves there is below the tensor
    mesh's 1 um edge cell)."""
    stack = shaped_stack(device.PARAMS, 90.0, 0.0)
    dm = build_mesh(stack, device.QUICK_MESH if quick else device.OPERATING_MESH)
    et = Electrothermal(dm, device.contacts(), qd_emission=device.QD)
    t0 = time.time()
    try:
        pt, _ = solve_targets(et, j_target)
    except ConvergenceError as exc:
        return {"failed": str(exc)[:400]}
    sub = out / "tensor_reference"
    sub.mkdir()
    op = device.point_summary(dm, et, pt, stack, device.slab_mode(stack), sub, GEOMETRY, j_target, time.time() - t0)
    prof = op.pop("profile")
    ref = {"electrical_nodes": int(dm.electrical.mesh.p.shape[1]), "voltage_V": op["voltage_V"],
           "peak_rise_K": op["peak_rise_K"], "n_mean_centre": op["n_mean_centre"], "seconds": op["seconds"]}
    if gmsh_row is None or "failed" in gmsh_row:
        return ref
    x = np.asarray(prof["x_um"])
    inside = x <= stack.aperture_half_width_um - EDGE_EXCLUDED_UM
    n_ref = np.asarray(prof["excitons_per_dot"])[inside]
    n_gmsh = np.interp(x[inside], gmsh_row["_profile"]["x_um"], gmsh_row["_profile"]["excitons_per_dot"])
    return {**ref, "gmsh_window_minus_tensor": {
        "voltage_V": gmsh_row["voltage_V"] - ref["voltage_V"],
        "peak_rise_K": gmsh_row["peak_rise_K"] - ref["peak_rise_K"],
        "n_mean_max_rel_in_aperture": float(np.max(np.abs(n_gmsh / n_ref - 1)))}}


def on_the_way_keys(rows: list) -> tuple:
    """The lower targets' columns (``solve_targets``) of the rows."""
    return tuple(k for k in (rows[0] if rows else {}) if k.startswith(("voltage_V_at_", "peak_rise_K_at_")))


def j_maps(out: Path, rows: list, stack_a_um: float, j: float) -> None:
    """|J| near the aperture edge for up to MAP_SHAPES solved shapes (first, middle, last), a PNG each."""
    solved = [r for r in rows if "_map" in r]
    pick = [solved[i] for i in sorted({0, len(solved) // 2, len(solved) - 1})][:MAP_SHAPES] if solved else []
    for r in pick:
        dm, pt = r["_map"]
        jmag = np.hypot(pt.electrical.J[:, 0], pt.electrical.J[:, 1]) / 1e4
        viz.field_map(dm.electrical, jmag, out / f"J_map_taper{r['taper_angle_deg']:g}_r{r['edge_radius_nm']:g}.png",
                      label="|J| (A/cm2)", title=f"taper {r['taper_angle_deg']:g} deg, radius {r['edge_radius_nm']:g} nm: "
                      f"|J| at the spacer edge, {j:g} A/cm2",
                      xlim_um=(stack_a_um - 0.1, stack_a_um + 0.1), ylim_um=(0.185, 0.235), y_stretch=3.0, log=True)


def figure_of_merit_plot(png: Path, rows: list) -> None:
    """Edge crowding, peak rise and uniformity against the taper angle, one curve per edge radius."""
    radii = sorted({r["edge_radius_nm"] for r in rows})
    marks = "osd^v"

    def curves(key, scale=1.0, label=""):
        out = []
        for k, rad in enumerate(radii):
            sel = sorted((r for r in rows if r["edge_radius_nm"] == rad), key=lambda r: r["taper_angle_deg"])
            out.append({"x": [r["taper_angle_deg"] for r in sel], "y": [scale * r[key] for r in sel],
                        "style": "-" + marks[k % len(marks)], "label": f"{label}r = {rad:g} nm"})
        return out

    viz.panel_plot(png, [
        {"curves": curves("j_rec_edge_over_centre", label="J_rec, "), "xlabel": "taper angle (deg)",
         "ylabel": "edge peak / centre", "title": "current crowding at the QD film", "legend": 8},
        {"curves": curves("peak_rise_K"), "xlabel": "taper angle (deg)", "ylabel": "K", "title": "peak temperature rise",
         "legend": 8},
        {"curves": curves("n_mean_cv_in_aperture", 100.0), "xlabel": "taper angle (deg)",
         "ylabel": "std / mean (%), area-weighted", "title": "<N> non-uniformity in the aperture", "legend": 8}],
        rows=1, figsize=(15, 4.2))


def run(out_dir=OUT_DEFAULT, overwrite: bool = False, quick: bool = False, shapes=None,
        j_A_per_cm2: float = J_TARGET) -> dict:
    """``shapes``: (taper angle deg, edge radius nm) pairs; ``j_A_per_cm2``: the current density over
    the aperture (the tests use a small one)."""
    check_positive("j_A_per_cm2", j_A_per_cm2)
    device = load_case("lim2018_device")
    shapes = tuple(shapes or (QUICK_SHAPES if quick else SHAPES))
    for taper, radius in shapes:                       # bad shapes refused before any folder or solve
        shaped_stack(device.PARAMS, taper, radius)
    out = prepare_output_dir(out_dir, overwrite)
    t0 = time.time()
    rows = [run_shape(device, out, float(t), float(r), quick, j_A_per_cm2)
            for t, r in tqdm(shapes, desc="spacer_shape", unit="shape")]
    a_um = lim2018(GEOMETRY).aperture_half_width_um
    j_maps(out, rows, a_um, j_A_per_cm2)
    vertical = next((r for r in rows if (r["taper_angle_deg"], r["edge_radius_nm"]) == (90.0, 0.0)), None)
    reference = tensor_reference(device, out, quick, j_A_per_cm2, vertical)
    for r in rows:
        r.pop("_map", None)
        r.pop("_profile", None)
    ok = [r for r in rows if "failed" not in r]
    keys = ("taper_angle_deg", "edge_radius_nm", "voltage_V", "peak_rise_K", *on_the_way_keys(ok), "j_rec_edge_over_centre",
            "j_y_mid_edge_over_centre", "share_film_inside_aperture", "share_film_outside_aperture",
            "crowding_width_nm", "crowding_share_of_film_current", "n_mean_centre", "n_mean_cv_in_aperture",
            "n_mean_range_in_aperture", "peak_gain_mean_in_aperture_per_cm", "peak_gain_std_in_aperture_per_cm",
            "electrical_nodes")
    write_csv(out / "spacer_shape.csv", {k: [r[k] for r in ok] for k in keys})
    if ok:
        figure_of_merit_plot(out / "spacer_shape.png", ok)
    s = {"case": "spacer_shape", "quick": quick, "geometry": GEOMETRY, "j_A_per_cm2": j_A_per_cm2,
         "parameter_set": device.PARAMS, "shape_cell_nm": 2 * SHAPE_CELL_NM if quick else SHAPE_CELL_NM,
         "shapes": rows, "tensor_reference": reference, "seconds": time.time() - t0}
    s["headline"] = [f"taper {r['taper_angle_deg']:g} deg, r {r['edge_radius_nm']:g} nm: FAILED {r['failed'][:120]}"
                     if "failed" in r else
                     (f"taper {r['taper_angle_deg']:g} deg, r {r['edge_radius_nm']:g} nm: {r['voltage_V']:.4f} V, "
                      f"+{r['peak_rise_K']:.2f} K, J_rec edge/centre {r['j_rec_edge_over_centre']:.2f}, "
                      f"film share in/out {r['share_film_inside_aperture']:.4f}/{r['share_film_outside_aperture']:.4f}, "
                      f"crowding zone {r['crowding_width_nm']:.0f} nm carrying {100 * r['crowding_share_of_film_current']:.2f} % "
                      f"of the film current, <N> std/mean {100 * r['n_mean_cv_in_aperture']:.2f} %") for r in rows]
    diff = reference.get("gmsh_window_minus_tensor")
    if diff:
        s["headline"].append(f"90 deg gmsh window minus tensor mesh: {1e3 * diff['voltage_V']:+.2f} mV, "
                             f"{diff['peak_rise_K']:+.3f} K, <N> in the aperture ({EDGE_EXCLUDED_UM:g} um from its edge) within "
                             f"{100 * diff['n_mean_max_rel_in_aperture']:.2f} %")
    write_json(out / "summary.json", s)
    return s


def main(argv=None) -> int:
    return case_main(run, __doc__, OUT_DEFAULT, argv)


if __name__ == "__main__":
    sys.exit(main())
