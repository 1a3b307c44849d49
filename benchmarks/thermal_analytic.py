"""Heat solver against closed forms (verification rungs 6, 7 and 11 of DESIGN.md).

Cases (exact answers in ``fem_cqd.analytic``):

1. slab, uniform generation, T(0) = T0, adiabatic top: T = T0 + Q(Ly - y^2/2)/k, nodally exact on a
   graded mesh; on jiggled (irregular) meshes the L2 and nodal errors fall as O(h^2)
   (planar slab and an axisymmetric cylinder, T = Q(R^2 - r^2)/4k).
2. isothermal disc (radius a) on a half-space: R = 1/(4ka) within 1 %.
3. uniform-flux disc on a half-space: centre rise q a/k and mean (8/3pi) q a/k within 1 %.
4. step flux on a half-space: surface rise 2q sqrt(t/pi)/sqrt(k rho c) within 2 % from t1 to 1000 t1 (BDF2).
5. uniform-flux stripe (width w) on a substrate of thickness h held at T0 below: centre
   (qw/pi k)[ln(8h/pi w) + 1] and mean (qw/pi k)[ln(4h/pi w) + 3/2] within 1 % for w << h; the
   exact integral for w/h = 0.2; the Joyce-Dixon estimate ln(4h/w)/(pi k L) beside them (its offset).

Every truncated domain is re-run doubled: those rows ("domain_doubling") must change < 0.1 %.

Run: ``python benchmarks/thermal_analytic.py`` (writes benchmarks/results/thermal_analytic.json);
``--coarse`` uses the test resolutions.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np
import skfem

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from _report import report, row  # noqa: E402

from fem_cqd import analytic  # noqa: E402
from fem_cqd import thermal as th  # noqa: E402
from fem_cqd.grading import graded_points  # noqa: E402
from fem_cqd.p1 import areas  # noqa: E402
from fem_cqd.materials import Material  # noqa: E402
from fem_cqd.regions import TaggedMesh  # noqa: E402

K = 1.3                      # W/(m K)
RHO_C = 2.0e6                # J/(m^3 K)
T_SINK = 300.0
MAT = Material("solid", "insulator", K, RHO_C / 2000.0, 2000.0)


# ---------------------------------------------------------------------------------------------
# meshes
# ---------------------------------------------------------------------------------------------
def joined(*parts) -> np.ndarray:
    return np.unique(np.round(np.concatenate(parts), 15))


def tagged(x, y, geometry, boundaries: dict, jiggle: float = 0.0, seed: int = 0) -> TaggedMesh:
    """Tensor triangle mesh on x * y with named boundaries given as predicates on facet midpoints."""
    m = skfem.MeshTri.init_tensor(x, y)
    if jiggle:
        rng = np.random.default_rng(seed)
        p = m.p.copy()
        hx = np.min(np.diff(x))
        hy = np.min(np.diff(y))
        inner = (p[0] > x[0]) & (p[0] < x[-1]) & (p[1] > y[0]) & (p[1] < y[-1])
        p[0, inner] += jiggle * hx * rng.uniform(-1, 1, inner.sum())
        p[1, inner] += jiggle * hy * rng.uniform(-1, 1, inner.sum())
        m = skfem.MeshTri(p, m.t)
    bnd = {name: m.facets_satisfying(pred) for name, pred in boundaries.items()}
    return TaggedMesh(m, geometry, np.zeros(m.t.shape[1], dtype=int), ("solid",), (MAT,), bnd)


def _l2_error(tm: TaggedMesh, T: np.ndarray, exact) -> float:
    """Relative L2 error (w-weighted, edge-midpoint rule) of the P1 field against ``exact(x, y)``."""
    m = tm.mesh
    t = m.t
    err2 = ref2 = 0.0
    area = areas(m.p, t)
    for i, j in ((0, 1), (1, 2), (0, 2)):
        xm = 0.5 * (m.p[0, t[i]] + m.p[0, t[j]])
        ym = 0.5 * (m.p[1, t[i]] + m.p[1, t[j]])
        w = area / 3 * (xm if tm.geometry == "axisymmetric" else 1.0)
        e = 0.5 * (T[t[i]] + T[t[j]]) - exact(xm, ym)
        err2 += np.sum(w * e * e)
        ref2 += np.sum(w * exact(xm, ym) ** 2)
    return float(np.sqrt(err2 / ref2))


# ---------------------------------------------------------------------------------------------
# cases
# ---------------------------------------------------------------------------------------------
def slab_exact(n: int = 30) -> list[dict]:
    """Uniform generation in a slab on a graded tensor mesh: nodally exact row averages.

    On a tensor mesh of right triangles the P1 stiffness is Dx (x) Ky + Kx (x) Dy (Dx: the 1D
    dual-cell lengths, r-weighted in axisymmetric geometry), and every cell splits its load equally
    between its bottom and top rows. Summing the equations of a row with weights Dx therefore gives
    exactly the 1D P1 equations for the Dx-weighted row average of T, which is nodally exact in 1D.
    (Single nodes are not: the diagonal makes the split between the two rows of a boundary column
    uneven; that error is O(h^2), see :func:`convergence`.)
    """
    L, Q = 1e-3, 1e9
    rows = []
    y = graded_points(0.0, L, L / (4 * n), 1.08)
    xs = np.array([0.0, 0.2e-3, 0.5e-3, 1e-3])
    for geo in ("planar", "axisymmetric"):
        tm = tagged(xs, y, geo, {"bottom": lambda p: p[1] < 1e-12})
        st = th.solve_steady(tm, {"bottom": th.Dirichlet(T_SINK)}, q_element=Q)
        p = tm.mesh.p
        h = np.diff(xs)
        if geo == "planar":
            dx = np.r_[h / 2, 0] + np.r_[0, h / 2]
        else:   # int r phi_i dr
            dx = np.r_[h * (2 * xs[:-1] + xs[1:]) / 6, 0] + np.r_[0, h * (xs[:-1] + 2 * xs[1:]) / 6]
        ix = np.searchsorted(xs, p[0])
        iy = np.searchsorted(y, p[1])
        avg = np.bincount(iy, weights=dx[ix] * st.T) / np.bincount(iy, weights=dx[ix])
        ex = T_SINK + analytic.slab_uniform_generation(y, L, Q, K)
        err = float(np.max(np.abs(avg - ex)) / (Q * L * L / (2 * K)))
        case = f"slab uniform generation ({geo}, graded, {y.size} rows)"
        rows.append(row(case, "max error of row averages / rise", err, 0.0, 1e-9))
        rows.append(row(case, "energy imbalance", st.imbalance, 0.0, 1e-9))
    return rows


def convergence(levels=(8, 16, 32, 64)) -> list[dict]:
    """Observed order on jiggled meshes: planar slab (T(y)) and axisymmetric cylinder (T(r))."""
    rows = []
    L, Q = 1e-3, 1e9
    cases = {
        "planar": (lambda x, y: T_SINK + analytic.slab_uniform_generation(y, L, Q, K), {"bottom": lambda p: p[1] < 1e-12},
                   {"q_element": Q}),
        "axisymmetric": (lambda x, y: T_SINK + Q * (L * L - x * x) / (4 * K), {"outer": lambda p: p[0] > L - 1e-12},
                         {"q_element": Q}),
    }
    for geo, (exact, bnd, src) in cases.items():
        e2, emax, hs = [], [], []
        for n in levels:
            x = np.linspace(0, L, n + 1)
            tm = tagged(x, x, geo, bnd, jiggle=0.25, seed=n)
            name = next(iter(bnd))
            st = th.solve_steady(tm, {name: th.Dirichlet(T_SINK)}, **src)
            ex = exact(tm.mesh.p[0], tm.mesh.p[1])
            e2.append(_l2_error(tm, st.T - T_SINK, lambda a, b: exact(a, b) - T_SINK))
            emax.append(np.max(np.abs(st.T - ex)) / np.max(np.abs(ex - T_SINK)))
            hs.append(L / n)
        p2 = float(np.polyfit(np.log(hs), np.log(e2), 1)[0])
        pm = float(np.polyfit(np.log(hs), np.log(emax), 1)[0])
        rows.append(row(f"uniform generation, jiggled meshes ({geo}), n={list(levels)}", "L2 error order", p2, 2.0, 0.1))
        rows.append(row(f"uniform generation, jiggled meshes ({geo}), n={list(levels)}", "max nodal error order", pm, 2.0, 0.15))
        rows.append(row(f"uniform generation, jiggled meshes ({geo}), n={levels[-1]}", "relative L2 error", e2[-1], None, None))
    return rows


def _disc_mesh(a: float, far: float, h_edge: float, growth: float) -> TaggedMesh:
    r = joined(graded_points(0.0, a, h_edge, growth, a / 15, "end"), graded_points(a, far, h_edge, growth))
    z = graded_points(-far, 0.0, h_edge, growth, None, "end")
    return tagged(r, z, "axisymmetric", {
        "disc": lambda p: (p[1] > -1e-15) & (p[0] < a + 1e-15),
        "far": lambda p: (p[1] < -far + 1e-12 * far) | (p[0] > far - 1e-12 * far),
    })


def disc(a: float = 50e-6, far_factor: float = 1000.0, h_edge_factor: float = 1 / 200, growth: float = 1.15) -> list[dict]:
    """Isothermal disc R = 1/(4ka) and uniform-flux disc centre/mean rise on a half-space (Dirichlet far away)."""
    rows = []
    res = {}
    for f in (far_factor, 2 * far_factor):
        tm = _disc_mesh(a, f * a, a * h_edge_factor, growth)
        sink = {"far": th.Dirichlet(T_SINK)}
        st = th.solve_steady(tm, {**sink, "disc": th.Dirichlet(T_SINK + 1.0)})
        R_iso = 1.0 / st.power_boundary["far"]
        q = 1e6
        sf = th.solve_steady(tm, sink, surface_flux={"disc": q})
        centre = float(sf.T[np.argmin(tm.mesh.p[0] ** 2 + tm.mesh.p[1] ** 2)] - T_SINK)
        mean = th.mean_temperature(sf, boundary="disc") - T_SINK
        res[f] = (R_iso, centre, mean, tm.mesh.p.shape[1])
    R_iso, centre, mean, nn = res[far_factor]
    q = 1e6
    case = f"disc a={a*1e6:g} um on half-space (axisym, {nn} nodes, far={far_factor:g}a)"
    rows.append(row("isothermal " + case, "R [K/W]", R_iso, analytic.isothermal_disc_resistance(K, a), 0.01))
    rows.append(row("uniform-flux " + case, "centre rise [K]", centre, analytic.uniform_flux_disc_centre_rise(q, K, a), 0.01))
    rows.append(row("uniform-flux " + case, "mean rise [K]", mean, analytic.uniform_flux_disc_mean_rise(q, K, a), 0.01))
    R2, c2, m2, _ = res[2 * far_factor]
    rows.append(row("isothermal disc: far boundary doubled", "domain_doubling", R2, R_iso, 1e-3))
    rows.append(row("uniform-flux disc centre: far boundary doubled", "domain_doubling", c2, centre, 1e-3))
    return rows


def step_flux(t1: float = 1e-6, decades: int = 3, h0_factor: float = 1 / 20, dt_factor: float = 1 / 50,
              growth: float = 1.1, depth_factor: float = 8.0) -> list[dict]:
    """Step flux on a half-space (a 1D column, planar), BDF2 on a doubling time grid."""
    rows = []
    alpha = K / RHO_C
    s1 = np.sqrt(alpha * t1)
    t_end = t1 * 10 ** decades
    times = t1 * np.logspace(0, decades, 3 * decades + 1)
    q = 1e7
    out = {}
    for dfac in (depth_factor, 2 * depth_factor):
        depth = dfac * np.sqrt(alpha * t_end)
        y = graded_points(-depth, 0.0, s1 * h0_factor, growth, None, "end")
        tm = tagged(np.array([0.0, s1]), y, "planar", {"top": lambda p: p[1] > -1e-15,
                                                        "bottom": lambda p: p[1] < -depth * (1 - 1e-12)})
        grid = th.time_grid(t_end, t1 * dt_factor, steps_per_level=10, growth=2.0, include=times)
        hist = th.solve_transient(tm, times, {"bottom": th.Dirichlet(T_SINK)}, surface_flux={"top": q},
                                  T_init_K=T_SINK, grid=grid, method="bdf2", progress=False)
        top = np.flatnonzero(tm.mesh.p[1] > -1e-15)
        out[dfac] = (hist.T[:, top].mean(axis=1) - T_SINK, tm.mesh.p.shape[1], hist.steps, hist.factorizations)
    rise, nn, steps, nfac = out[depth_factor]
    ref = analytic.step_flux_surface_rise(times, q, K, RHO_C)
    for t, c, r in zip(times, rise, ref):
        rows.append(row(f"step flux on half-space (BDF2, {nn} nodes, {steps} steps, {nfac} LU), t={t:.3g} s",
                        "surface rise [K]", float(c), float(r), 0.02))
    rows.append(row(f"step flux: depth doubled, t={times[-1]:.3g} s", "domain_doubling",
                    float(out[2 * depth_factor][0][-1]), float(rise[-1]), 1e-3))
    return rows


def stripe(w: float = 10e-6, h_over_w: float = 100.0, h_edge_factor: float = 1 / 100, growth: float = 1.15,
           lateral_factor: float = 10.0, exact_only: bool = False) -> list[dict]:
    """Uniform-flux stripe on a heat-sunk substrate (planar, half domain x >= 0, symmetry at x = 0)."""
    rows = []
    h = h_over_w * w
    q = 1e7
    res = {}
    for lf in (lateral_factor, 2 * lateral_factor):
        X = lf * h
        x = joined(graded_points(0.0, w / 2, w * h_edge_factor, growth, w / 20, "end"),
                   graded_points(w / 2, X, w * h_edge_factor, growth))
        y = graded_points(-h, 0.0, w * h_edge_factor, growth, None, "end")
        tm = tagged(x, y, "planar", {"stripe": lambda p: (p[1] > -1e-15) & (p[0] < w / 2 + 1e-15),
                                      "sink": lambda p: p[1] < -h * (1 - 1e-12)})
        st = th.solve_steady(tm, {"sink": th.Dirichlet(T_SINK)}, surface_flux={"stripe": q})
        centre = float(st.T[np.argmin(tm.mesh.p[0] ** 2 + tm.mesh.p[1] ** 2)] - T_SINK)
        mean = th.mean_temperature(st, boundary="stripe") - T_SINK
        res[lf] = (centre, mean, tm.mesh.p.shape[1], st.imbalance)
    centre, mean, nn, imb = res[lateral_factor]
    case = f"stripe w={w*1e6:g} um, h/w={h_over_w:g} (planar, {nn} nodes)"
    exact_c = analytic.stripe_centre_rise_exact(q, K, w, h)
    exact_m = analytic.stripe_mean_rise_exact(q, K, w, h)
    if not exact_only:
        rows.append(row(case, "centre rise [K] vs (qw/pi k)[ln(8h/pi w)+1]", centre, analytic.stripe_centre_rise(q, K, w, h), 0.01))
        rows.append(row(case, "mean rise [K] vs (qw/pi k)[ln(4h/pi w)+3/2]", mean, analytic.stripe_mean_rise(q, K, w, h), 0.01))
        rows.append(row(case, "Joyce-Dixon ln(4h/w) estimate [K] (offset vs FE mean, info)",
                        analytic.stripe_joyce_dixon_rise(q, K, w, h), mean, None))
    rows.append(row(case, "centre rise [K] vs exact integral", centre, exact_c, 0.01))
    rows.append(row(case, "mean rise [K] vs exact integral", mean, exact_m, 0.01))
    rows.append(row(case + ": lateral extent doubled", "domain_doubling", res[2 * lateral_factor][0], centre, 1e-3))
    return rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--coarse", action="store_true", help="test resolutions (seconds)")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    rows = []
    if args.coarse:
        rows += slab_exact(10)
        rows += convergence((4, 8, 16))
        rows += disc(h_edge_factor=1 / 60, growth=1.3)
        rows += step_flux(h0_factor=1 / 8, dt_factor=1 / 20, growth=1.2)
        rows += stripe(h_edge_factor=1 / 30, growth=1.3)
        rows += stripe(h_over_w=5.0, h_edge_factor=1 / 30, growth=1.3, exact_only=True)
    else:
        rows += slab_exact(40)
        rows += convergence((8, 16, 32, 64, 128))
        rows += disc(h_edge_factor=1 / 1000, growth=1.1)
        rows += step_flux()
        rows += stripe(h_edge_factor=1 / 300, growth=1.1)
        rows += stripe(h_over_w=5.0, h_edge_factor=1 / 300, growth=1.1, exact_only=True)
        rows += stripe(h_over_w=20.0, h_edge_factor=1 / 300, growth=1.1)
    rows.append(row("thermal_analytic total", "seconds", time.perf_counter() - t0))
    report("thermal_analytic" + ("_coarse" if args.coarse else ""), rows)
    return 0 if all(r["ok"] is not False for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
