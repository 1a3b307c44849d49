"""gmsh meshes through the chain: analytic checks, DEVSIM on the same unstructured triangles, the
shaped spacer edge against the tensor mesh, and its convergence under refinement (issue 12).

Rows (``benchmarks/results/gmsh_meshes.json``):

- resistors on unstructured gmsh triangles (conductor and n-silicon, planar and axisymmetric):
  R = L / (sigma A), exact up to round-off (the potential is linear, in the P1 space);
- disc contact R = rho / (4a) on an unstructured axisymmetric mesh refined at the disc edge (2 %, as
  on the tensor mesh in dd_analytic.py);
- DEVSIM's 2D diode (``_devsim_side.py``) on an unstructured gmsh mesh, both codes on the very same
  triangles and the same doping charge per box (DEVSIM is given fem_cqd's box-averaged element
  doping: on unstructured triangles the example's nodal step, 0 on the junction nodes, lumps a
  different charge there): terminal currents within 0.5 % per bias (DEVSIM in extended precision;
  skipped with a row saying so when DEVSIM is not installed);
- a deliberately non-Delaunay mesh (a jiggled tensor mesh): violations found, none after repair;
- the lim2018 operating stack (planar, isothermal 300 K, 0 -> ``V_CHECK`` = 4 V): a vertical sharp spacer
  step meshed in a gmsh window against the same step on right triangles on the same lateral grid
  (the window changes the terminal J by < 0.5 %), and against the default tensor mesh (within the
  2D mesh's convergence error, 10 %);
- the same vertical step at the operating point (electrothermal, DC, self-heated, QD light from the
  gain model: the default case's chain at ``J_OPERATING`` = 18 A/cm^2, past the stripe's
  electrothermal fold): voltage, peak rise and <N> along the film (at the tensor mesh's columns in the
  aperture, 1 um -- its edge cell, which cannot hold the window's edge spike -- from the edge), gmsh
  window against the default tensor mesh. Tolerances from the tensor mesh's own
  convergence error (``mesh_convergence.json``: J at 4-5 V moves 3-8 % under 2x refinement; on
  the steep J-V that is ~1 % of the voltage, and the rise at fixed current goes with V I): 1 % in V,
  2 % in the rise, 10 % in <N> (as the isothermal J row);
- the 20 deg taper under refinement of the window (``shape_cell_nm`` 4, 2, 1): terminal J at
  ``V_CHECK`` and the observed order;
- meshing time (< 10 s) and node counts of the tapered stack beside the tensor mesh.

Run: ``python benchmarks/gmsh_meshes.py`` (~10 min on 2 cores; ``--quick`` skips the refinement study).
"""
from __future__ import annotations

import argparse
import dataclasses
import math
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from _report import report, row  # noqa: E402

from fem_cqd.custom_mesh import gmsh_rectangle, tensor_mesh, with_boundary  # noqa: E402
from fem_cqd.delaunay import box_violations, repair_delaunay  # noqa: E402
from fem_cqd.electrical.eafe import voronoi_volumes  # noqa: E402
from fem_cqd.electrical import Contact, build_device, ramp, solve_bias, solve_equilibrium  # noqa: E402
from fem_cqd.electrical.examples import material, silicon  # noqa: E402
from fem_cqd.constants import q, thermal_voltage  # noqa: E402
from fem_cqd.errors import ConvergenceError  # noqa: E402
from fem_cqd.mesh import OPERATING_MESH, build_mesh  # noqa: E402
from fem_cqd.stack import lim2018  # noqa: E402

V_CHECK = 4.0
J_OPERATING = 18.0                           # A/cm^2: the default case's operating point
STACK_MESH = OPERATING_MESH                  # the default case's
PARAMS = "lim2018_operating"


def resistor_rows() -> list:
    rows = []
    L, a = 1e-6, 100e-9
    VT = thermal_voltage(300.0)
    for kind in ("conductor", "semiconductor"):
        if kind == "conductor":
            mat, sigma = material("M", "conductor", conductivity_S_per_m=1e4, work_function_eV=4.5), 1e4
        else:
            mat = silicon("n", donors_per_cm3=1e16)
            ni2 = 2.8e25 * 1.04e25 * np.exp(-1.12 / VT)
            nn = 0.5e22 + np.sqrt(0.25e44 + ni2)
            sigma = q * (1400e-4 * nn + 450e-4 * ni2 / nn)
        for geo in ("planar", "axisymmetric"):
            tm = gmsh_rectangle((0, a), (0, L), "M", {"M": mat}, a / 8, a / 3, fine_at=[(a / 2, L / 2)], geometry=geo)
            st = solve_bias(build_device(tm, [Contact("bottom"), Contact("top")]), {"bottom": 0.1})
            area = a if geo == "planar" else math.pi * a ** 2
            rows.append(row(f"gmsh resistor {kind} {geo}, {tm.mesh.p.shape[1]} nodes", "resistance_ohm",
                            0.1 / st.currents["bottom"], L / (sigma * area), 1e-9))
    a, D = 1e-6, 100e-6
    mat = material("M", "conductor", conductivity_S_per_m=10.0, work_function_eV=4.5)
    tm = gmsh_rectangle((0, D), (0, D), "M", {"M": mat}, a / 40, D / 20, fine_at=[(0, D), (a / 2, D), (a, D)],
                        growth=0.1, geometry="axisymmetric")
    tm = with_boundary(tm, "disc", lambda p: (p[1] > D - 1e-12) & (p[0] <= a + 1e-12))
    st = solve_bias(build_device(tm, [Contact("disc"), Contact("bottom")]), {"disc": 1.0})
    rows.append(row(f"gmsh disc contact rho/(4a), {tm.mesh.p.shape[1]} nodes", "resistance_ohm",
                    1.0 / st.currents["disc"], 0.1 / (4 * a), 0.02))
    return rows


def devsim_rows() -> list:
    from devsim_diode import compare, devsim_available, element_doping, run_fem
    from _devsim_side import L, XJ, Y_CONTACT, contact_facets, run_devsim
    if not devsim_available():
        return [row("DEVSIM diode on gmsh triangles: SKIPPED (pip install devsim scipy-openblas32)", "current", None)]
    fine = [(0.0, Y_CONTACT)] + [(XJ, y) for y in np.linspace(0, L, 21)]
    tm = gmsh_rectangle((0, L), (0, L), "Si", {"Si": silicon("n", donors_per_cm3=1e16)}, L / 400, L / 20,
                        fine_at=fine, growth=0.2, split_x=[XJ])
    m = tm.mesh
    contacts = contact_facets(m)
    fem = run_fem(m, contacts)
    # the same doping charge per box in both codes: DEVSIM gets fem_cqd's lumped element doping
    vol = voronoi_volumes(m.p[0][m.t], m.p[1][m.t])
    nodal = (np.bincount(m.t.ravel(), (vol * element_doping(m)).ravel(), m.p.shape[1])
             / np.bincount(m.t.ravel(), vol.ravel(), m.p.shape[1]))
    ref = run_devsim(m, contacts, extended=True, node_doping=nodal)
    rows, _ = compare(fem, ref, m, contacts, f"{m.p.shape[1]}", "DEVSIM diode, unstructured gmsh triangles,")
    return rows


def delaunay_rows() -> list:
    x = np.linspace(0, 1e-6, 21)
    mats = {"a": material("a", "conductor", conductivity_S_per_m=1.0, work_function_eV=4.5),
            "b": material("b", "conductor", conductivity_S_per_m=2.0, work_function_eV=4.5)}
    tm = tensor_mesh(x, x, lambda xc, yc: np.where(xc < 0.5e-6, "a", "b"), mats)
    p = tm.mesh.p.copy()
    inner = (p[0] > 0) & (p[0] < 1e-6) & (p[1] > 0) & (p[1] < 1e-6) & (np.abs(p[0] - 0.5e-6) > 1e-12)
    p[:, inner] += np.random.default_rng(0).uniform(-1.75e-8, 1.75e-8, (2, inner.sum()))
    import skfem
    from fem_cqd.regions import TaggedMesh
    j = TaggedMesh(skfem.MeshTri(p, tm.mesh.t), "planar", tm.element_region, tm.region_names, tm.region_materials,
                   tm.boundaries)
    before = len(box_violations(j))
    fixed, rep = repair_delaunay(j)
    return [row("jiggled tensor mesh (non-Delaunay by construction)", "violations_found", float(before), None),
            row(f"jiggled tensor mesh after repair ({rep})", "violations_left", float(len(box_violations(fixed))), 0.0, 0.0)]


def shaped(taper=90.0, radius=0.0):
    st = lim2018("planar", params=PARAMS)
    return dataclasses.replace(st, spacer=dataclasses.replace(st.spacer, taper_angle_deg=taper, edge_radius_nm=radius))


def stack_current(stack, options) -> tuple[float | None, int, float, str]:
    """Terminal J (A/cm^2 over the aperture) at V_CHECK, isothermal; nodes; seconds; "" or the
    failure (a ramp that does not converge is a result, reported as such)."""
    t0 = time.time()
    dm = build_mesh(stack, options)
    dev = build_device(dm.electrical, [Contact("anode"), Contact("cathode")])
    try:
        st = ramp(dev, "anode", np.arange(0.5, V_CHECK + 1e-9, 0.5), start=solve_equilibrium(dev), progress=False)[-1]
    except ConvergenceError as exc:
        return None, int(dm.electrical.mesh.p.shape[1]), time.time() - t0, f" FAILED: {str(exc)[:160]}"
    a_cm = stack.aperture_half_width_um * 1e-4
    j = float(st.currents["anode"] / (2 * a_cm * 1e-2) / 1e4)
    return j, int(dm.electrical.mesh.p.shape[1]), time.time() - t0, ""


def stack_rows(quick: bool) -> list:
    rows = []
    grid = dataclasses.replace(STACK_MESH, shape_cell_nm=2.0)
    j_tensor, n_t, s_t, f_t = stack_current(shaped(), dataclasses.replace(grid, edge_window="tensor"))
    j_gmsh, n_g, s_g, f_g = stack_current(shaped(), dataclasses.replace(grid, edge_window="gmsh"))
    j_plain, n_p, s_p, f_p = stack_current(shaped(), STACK_MESH)
    case = f"lim2018 operating, planar, isothermal, {V_CHECK:g} V, vertical step"
    rows.append(row(f"{case}: gmsh window ({n_g} nodes) vs right triangles, same grid ({n_t} nodes){f_g}{f_t}",
                    "j_A_per_cm2", j_gmsh, j_tensor, 0.005))
    rows.append(row(f"{case}: gmsh window vs default tensor mesh ({n_p} nodes){f_p}", "j_A_per_cm2", j_gmsh, j_plain, 0.10))
    for label, s, n in (("tensor, window grid", s_t, n_t), ("gmsh window", s_g, n_g), ("default tensor", s_p, n_p)):
        rows.append(row(f"{case}: {label}, {n} nodes (mesh + equilibrium + ramp)", "seconds", s, None))
    t0 = time.time()
    dm = build_mesh(shaped(20.0), grid)
    mesh_s = time.time() - t0
    t0 = time.time()
    plain = build_mesh(shaped(), STACK_MESH)
    rows.append(row(f"meshing the 20 deg tapered stack ({dm.thermal.mesh.p.shape[1]} thermal / "
                    f"{dm.electrical.mesh.p.shape[1]} electrical nodes; {dm.repair})", "seconds", mesh_s, None))
    rows.append(row("meshing time goal: < 10 s", "seconds_over_10", mesh_s / 10.0, 0.0, 1.0))
    rows.append(row(f"tensor mesh of the same stack ({plain.thermal.mesh.p.shape[1]} thermal / "
                    f"{plain.electrical.mesh.p.shape[1]} electrical nodes)", "seconds", time.time() - t0, None))
    if quick:
        return rows
    cells = (4.0, 2.0, 1.0)
    js = []
    for c in cells:
        j, n, s, f = stack_current(shaped(20.0), dataclasses.replace(STACK_MESH, shape_cell_nm=c))
        js.append(j)
        rows.append(row(f"20 deg taper, window cell {c:g} nm, {n} nodes ({s:.0f} s){f}", "j_A_per_cm2", j, None))
    if None in js:
        rows.append(row("20 deg taper under refinement: a ramp failed, no order", "observed_order", None))
        return rows
    d1, d2 = js[0] - js[1], js[1] - js[2]
    order = math.log2(abs(d1 / d2)) if d2 != 0 and d1 != 0 else float("nan")
    rows.append(row("20 deg taper under refinement (cells 4, 2, 1 nm)", "observed_order", order, None))
    rows.append(row("20 deg taper: change from 2 to 1 nm cells", "relative_change", abs(d2 / js[2]), 0.0, 0.005))
    return rows


def operating_point(options) -> tuple:
    """The vertical step's electrothermal point at J_OPERATING (3.5 A/cm^2 first, as the default
    case): (point, <N> profile (x um, <N>) in the aperture, electrical nodes, seconds), or the failure."""
    from fem_cqd.cli import load_case
    from fem_cqd.coupled import Electrothermal
    device = load_case("lim2018_device")
    t0 = time.time()
    dm = build_mesh(shaped(), options)
    et = Electrothermal(dm, device.contacts(), qd_emission=device.QD)
    try:
        pt, _ = et.reach(j_A_per_cm2=3.5, progress=False)
        pt, _ = et.reach(j_A_per_cm2=J_OPERATING, start=pt, progress=False)
    except ConvergenceError as exc:
        return None, None, int(dm.electrical.mesh.p.shape[1]), time.time() - t0, f" FAILED: {str(exc)[:160]}"
    prof, maps = device.profile_and_gain(dm, pt, shaped().qd_layer)
    inside = prof.x_m <= (shaped().aperture_half_width_um - 1.0) * 1e-6     # 1 um (the tensor's edge cell) in
    return (pt, (prof.x_m[inside] * 1e6, maps.occupancy.n_mean[inside]), int(dm.electrical.mesh.p.shape[1]),
            time.time() - t0, "")


def electrothermal_rows() -> list:
    """The vertical step at the operating point: gmsh window against the default tensor mesh (module doc)."""
    g, n_g, nodes_g, s_g, f_g = operating_point(dataclasses.replace(STACK_MESH, shape_cell_nm=2.0, edge_window="gmsh"))
    t, n_t, nodes_t, s_t, f_t = operating_point(STACK_MESH)
    case = f"lim2018 operating, planar, {J_OPERATING:g} A/cm2 electrothermal, vertical step, gmsh window ({nodes_g} nodes) " \
           f"vs default tensor mesh ({nodes_t} nodes){f_g}{f_t}"
    rows = [row(f"{case}: gmsh window ({s_g:.0f} s)", "seconds", s_g, None),
            row(f"{case}: tensor mesh ({s_t:.0f} s)", "seconds", s_t, None)]
    if g is None or t is None:
        return rows + [row(f"{case}: not solved", "voltage_V", None)]
    n_gmsh = np.interp(n_t[0], *n_g)
    return rows + [
        row(f"{case}: voltage", "voltage_V", g.voltage_V, t.voltage_V, 0.01),
        row(f"{case}: peak rise", "peak_rise_K", g.max_rise_K, t.max_rise_K, 0.02),
        row(f"{case}: <N> at the film centre", "excitons_per_dot", float(n_gmsh[0]), float(n_t[1][0]), 0.10),
        row(f"{case}: <N> in the aperture (1 um from its edge), largest deviation", "max_rel_deviation",
            float(np.max(np.abs(n_gmsh / n_t[1] - 1))), 0.0, 0.10)]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="skip the refinement study")
    args = ap.parse_args(argv)
    t0 = time.time()
    rows = resistor_rows() + delaunay_rows() + devsim_rows() + stack_rows(args.quick) + electrothermal_rows()
    rows.append(row("gmsh_meshes total", "seconds", time.time() - t0, None))
    report("gmsh_meshes", rows)


if __name__ == "__main__":
    main()
