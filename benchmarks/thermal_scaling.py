"""Scaling of the steady heat solve, and the same problem in NGSolve on the same mesh.

Problem: a 2 mm x 0.7 mm glass substrate (k = 1 W/mK), heat sink (T = 300 K) at the bottom, a
uniform flux of 1e7 W/m^2 into the top for x < 50 um (a 100 um stripe in planar geometry, a
100 um disc in axisymmetric geometry), adiabatic elsewhere. Tensor mesh of right triangles,
graded towards the heated corner (spacing ratio ~55 across the mesh), about 1e4, 1e5, 1e6 nodes.

Every run is a fresh subprocess (own peak RSS, no warm caches); each configuration runs
``--repeat`` (3) times and the rows give the median time per phase (the median of each phase on
its own: the phases need not add up to the total), the spread max/min - 1 of the total and the
largest peak RSS of the repeats. Imports (fem_cqd, scikit-fem, ngsolve, netgen) are outside the
timings for both codes.

fem_cqd end to end = numpy mesh (``MeshTri.init_tensor``) + facet table + named boundaries +
``ThermalMesh`` (geometry, CSR pattern) + assembly + solve, for ``solver=auto`` (SuperLU below
2e5 unknowns, CG preconditioned by a V-cycle of pyamg's Ruge-Stueben hierarchy above,
:mod:`fem_cqd.thermal.amg`), ``direct`` and ``amg``. One more fem_cqd row at the largest planar size:
the same problem with a temperature-dependent conductivity k = K (T/300 K)^-1.3 and a tenth of the
flux (165 K rise), solved by Picard iterations with one AMG hierarchy kept across them (its Picard
iterations and rise are rows; no NGSolve counterpart).

NGSolve end to end = mesh + H1(order=1) assembly + solve, ``ngsolve.SetNumThreads(2)`` (``--ngsolve-
threads``) and everything inside ``TaskManager()``. Configurations (``--ngsolve-configs``):

* ``sparsecholesky``: direct, NGSolve's own sparse Cholesky (factorisation in "solve").
* ``pardisospd``: direct, MKL PARDISO (SPD) through NGSolve's ``ngsolve.solvers.mkl_pardiso``
  wrapper (needs the pip ``mkl`` package, installed here with fem_cqd's pypardiso; without it the
  configuration's runs fail and are reported and skipped).
* ``bddc``: CG + ``Preconditioner(a, "bddc")`` with NGSolve's defaults (wirebasket inverse
  ``sparsecholesky``). With order 1 every dof is a wirebasket dof, so this is an exact sparse
  Cholesky of the whole matrix wrapped in BDDC: CG stops after 1 step.
* ``bddc-h1amg``: CG + BDDC with ``coarsetype="h1amg"``, the other documented choice of BDDC's
  ``coarsetype`` flag ("direct" or "h1amg"): the wirebasket system, i.e. the whole matrix here, by
  NGSolve's H1 AMG, which makes BDDC an iterative method at order 1.
* ``h1amg``: CG + NGSolve's algebraic multigrid ``Preconditioner(a, "h1amg")``, *instead of*
  geometric ``"multigrid"``: a mesh imported from arrays has a single level, so ``"multigrid"`` is
  only its coarse-level direct solve (again an exact sparse Cholesky, CG stops after 1 step). A real
  hierarchy needs ``Mesh.Refine()`` from a coarse mesh, which doubles the cells per direction and
  cannot give this grid (99, 315, 999 cells per direction: odd). ``multigrid`` can still be asked
  for with ``--ngsolve-configs``; it is not run by default.

The preconditioners are registered before ``a.Assemble()`` and built during it, so for the CG
configurations "assemble" includes the preconditioner setup and "solve" is the CG alone. CG
(``ngsolve.solvers.CGSolver``) stops at a relative residual (preconditioned norm) of 1e-9, the
``rtol`` of fem_cqd's own AMG-CG; the rows give the CG steps (NGSolve's ``iterations`` less the
initial residual) and the agreement with the ``sparsecholesky`` temperature (max |dT| / rise,
tolerance 1e-6).

NGSolve mesh: ``netgen.meshing.Mesh`` filled from the numpy arrays of fem_cqd's mesh
(``AddPoints`` / ``AddElements``, one call each for points, triangles, stripe and sink segments),
then ``ngsolve.Mesh``: the identical mesh, node for node. The alternative, NGSolve's own
structured generator ``ngsolve.meshes.MakeStructured2DMesh(quads=False, flip_triangles=True,
mapping=...)``, gives the same nodes (to 1e-18 m) and the same triangles but loops over points and
elements in Python: 0.16 s at 1e4 and 1.3 s at 1e5 nodes against 0.016 s and 0.13 s for the
arrays (1 NGSolve thread; 0.28 / 1.41 s against 0.13 / 0.23 s with 2 threads; fresh processes on a
2-core machine busy with another job), so the arrays are the reported "mesh" phase. The runs at
<= 1e5 nodes time both routes again (rows "ngsolve mesh import"; ``--no-mesh-routes`` skips them;
the structured mesh lacks the stripe boundary, so its time is a lower bound).

Rows: "seconds" per phase, "peak_rss_MB", "CG steps", "spread (max/min - 1)" of the total,
agreement rows "max |dT| / rise" (fem_cqd amg/direct vs auto, fem_cqd auto vs NGSolve
sparsecholesky, every other NGSolve configuration vs NGSolve sparsecholesky), "ratio_vs_ngsolve"
(fem_cqd auto time / NGSolve ``sparsecholesky`` time, total and solve, as before), "ngsolve best"
(the NGSolve configuration with the smallest median total at that size), "ratio_vs_ngsolve_best"
(fem_cqd auto total / that best total) and the fitted exponents of total time vs unknowns.

Run on a quiet machine: NGSolve's TaskManager threads spin while they wait, and with another
process on one of the 2 cores the 2-thread runs slow down by up to 40x (h1amg at 1e5: 27-42 s with
2 threads against 1.5-2 s with 1 thread, measured that way); ``--ngsolve-threads 1`` shows whether
a run was disturbed.

Run: ``python benchmarks/thermal_scaling.py`` (3 repeats: estimated ~10-12 minutes on a quiet
2-core machine, most of it the 1e6 runs, 3 x (1 fem_cqd + 5 NGSolve) processes of ~5-25 s per
geometry; ~+2 minutes with ``--direct-1e6``; the 1e6 size has not been timed with these
configurations yet) or ``--quick`` (<= 1e5 unknowns; 54 s with ``--repeat 1 --ngsolve-threads 1``
and 12 minutes with the defaults on the busy 2-core machine above, where the h1amg runs took most
of it). ``--direct-1e6`` adds SuperLU at 1e6 (slow, ~4 GB).
Needs ``pip install ngsolve`` for the comparison (skipped with a note when missing).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, ROOT)

from _report import median, peak_rss_mb, report, row, spread  # noqa: E402

WIDTH, DEPTH, HALF_W, Q, K = 2e-3, 0.7e-3, 50e-6, 1e7, 1.0
# temperature-dependent conductivity row: k = K (T/300 K)^K_EXPONENT (silicon-like), a tenth of the flux
# (165 K rise; the full flux has no steady state with a k that falls this fast)
K_EXPONENT, Q_NONLINEAR = -1.3, 1e6

# NGSolve configurations: name -> (kind, inverse type or preconditioner type, preconditioner flags)
NG_CONFIGS = {
    "sparsecholesky": ("direct", "sparsecholesky", {}),
    "pardisospd": ("direct", "pardisospd", {}),
    "bddc": ("cg", "bddc", {}),
    "bddc-h1amg": ("cg", "bddc", {"coarsetype": "h1amg"}),
    "h1amg": ("cg", "h1amg", {}),
    "multigrid": ("cg", "multigrid", {}),     # one level on an imported mesh: a direct solve (opt-in)
}
NG_DEFAULT = ("sparsecholesky", "pardisospd", "bddc", "bddc-h1amg", "h1amg")
CG_TOL, CG_MAXITER = 1e-9, 1000               # relative, preconditioned residual norm; fem_cqd's AMG-CG rtol
MESH_ROUTES = {"arrays": "netgen.meshing from numpy arrays (used)",
               "structured": "ngsolve.meshes.MakeStructured2DMesh (not used; no stripe boundary)"}
MESH_ROUTE_MAX = 100_000                      # the structured route is timed up to this size only


def coordinates(n_nodes: int):
    """Graded x (0..2 mm) and y (-0.7..0 mm), fine at the heated corner (x = 0, y = 0)."""
    n = int(round(np.sqrt(n_nodes)))
    s = np.linspace(0.0, 1.0, n)
    g = np.expm1(4.0 * s) / np.expm1(4.0)
    return WIDTH * g, np.sort(-DEPTH * g)


def fast_facets(mesh):
    """Fill scikit-fem's facet table (same order as ``mesh.facets``) with one int64 ``np.unique``."""
    t = mesh.t.astype(np.int64)
    n = mesh.p.shape[1]
    e = np.concatenate([t[[0, 1]], t[[1, 2]], t[[0, 2]]], axis=1)
    e.sort(axis=0)
    uk, inv = np.unique(e[0] * n + e[1], return_inverse=True)
    mesh._facets = np.vstack([uk // n, uk % n]).astype(np.int32)
    mesh._t2f = inv.reshape(3, -1).astype(np.int32)


def worker_femcqd(n_nodes: int, geometry: str, solver: str, k_exponent: float = 0.0) -> dict:
    import skfem

    from fem_cqd import thermal as th
    from fem_cqd.materials import Material
    from fem_cqd.regions import TaggedMesh

    t = {}
    t0 = time.perf_counter()
    x, y = coordinates(n_nodes)
    mesh = skfem.MeshTri.init_tensor(x, y)
    fast_facets(mesh)
    bnd = {"stripe": mesh.facets_satisfying(lambda p: (p[1] > -1e-12) & (p[0] < HALF_W)),
           "sink": mesh.facets_satisfying(lambda p: p[1] < -DEPTH + 1e-12)}
    glass = Material("glass", "insulator", K, 700.0, 2500.0, k_T_exponent=k_exponent)
    tm = TaggedMesh(mesh, geometry, np.zeros(mesh.t.shape[1], dtype=int), ("glass",), (glass,), bnd)
    t1 = time.perf_counter()
    tmesh = th.ThermalMesh(tm)
    t2 = time.perf_counter()
    tim = {}
    q = Q if k_exponent == 0 else Q_NONLINEAR
    st = th.solve_steady(tm, {"sink": th.Dirichlet(300.0)}, surface_flux={"stripe": q}, solver=solver,
                         thermal_mesh=tmesh, timings=tim)
    t3 = time.perf_counter()
    t["mesh"] = t1 - t0
    t["prepare"] = t2 - t1
    t["solve"] = tim["solve"]
    t["assemble"] = (t3 - t2) - tim["solve"]       # sources, BCs, stiffness, CSR, balance
    t["total"] = t3 - t0
    return {"times": t, "T": st.T, "n": int(st.T.size), "solver": st.solver, "iterations": st.iterations,
            "rss_MB": peak_rss_mb()}


def ngsolve_mesh_from_arrays(p: np.ndarray, tri: np.ndarray, nm, ngs):
    """NGSolve mesh with exactly the nodes ``p`` (2, N) and triangles ``tri`` (3, M), boundaries
    "stripe" (top, facet midpoint x < HALF_W) and "sink" (bottom): one numpy call per block."""
    ngm = nm.Mesh(dim=2)
    ngm.AddPoints(np.ascontiguousarray(np.vstack([p, np.zeros(p.shape[1])]).T))
    ngm.Add(nm.FaceDescriptor(surfnr=1, domin=1, bc=1))
    ngm.AddElements(dim=2, index=1, data=np.ascontiguousarray(tri.T.astype(np.int32)), base=0)
    top = np.flatnonzero(np.abs(p[1]) < 1e-12)
    top = top[np.argsort(p[0, top])]
    bot = np.flatnonzero(np.abs(p[1] + DEPTH) < 1e-12)
    bot = bot[np.argsort(p[0, bot])]
    seg = np.vstack([top[:-1], top[1:]]).T
    stripe = seg[0.5 * (p[0, top[:-1]] + p[0, top[1:]]) < HALF_W]
    sink = np.vstack([bot[:-1], bot[1:]]).T
    ngm.AddElements(dim=1, index=1, data=np.ascontiguousarray(stripe.astype(np.int32)), base=0)
    ngm.AddElements(dim=1, index=2, data=np.ascontiguousarray(sink.astype(np.int32)), base=0)
    ngm.SetBCName(0, "stripe")
    ngm.SetBCName(1, "sink")
    return ngs.Mesh(ngm)


def worker_ngsolve(n_nodes: int, geometry: str, config: str, threads: int) -> dict:
    import netgen.meshing as nm
    import ngsolve as ngs
    import skfem

    kind, name, flags = NG_CONFIGS[config]
    t = {}
    ngs.SetNumThreads(threads)
    steps, converged = None, None
    with ngs.TaskManager():
        t0 = time.perf_counter()
        x, y = coordinates(n_nodes)
        mesh = skfem.MeshTri.init_tensor(x, y)
        p = mesh.p
        m = ngsolve_mesh_from_arrays(p, mesh.t, nm, ngs)
        t1 = time.perf_counter()
        fes = ngs.H1(m, order=1, dirichlet="sink")
        u, v = fes.TnT()
        w = 2 * np.pi * ngs.x if geometry == "axisymmetric" else 1.0
        a = ngs.BilinearForm(w * K * ngs.grad(u) * ngs.grad(v) * ngs.dx)
        f = ngs.LinearForm(w * Q * v * ngs.ds("stripe"))
        pre = ngs.Preconditioner(a, name, **flags) if kind == "cg" else None   # before Assemble: built by it
        a.Assemble()
        f.Assemble()
        gf = ngs.GridFunction(fes)
        gf.Set(300.0, definedon=m.Boundaries("sink"))
        t2 = time.perf_counter()
        r = f.vec.CreateVector()
        r.data = f.vec - a.mat * gf.vec
        if kind == "direct":
            gf.vec.data += a.mat.Inverse(fes.FreeDofs(), inverse=name) * r
        else:
            cg = ngs.solvers.CGSolver(a.mat, pre.mat, tol=CG_TOL, maxiter=CG_MAXITER)
            gf.vec.data += cg * r
            steps = cg.iterations - 1                  # NGSolve counts the initial residual as one
            converged = bool(cg.residuals[-1] <= CG_TOL * cg.residuals[0])
        t3 = time.perf_counter()
    t["mesh"] = t1 - t0
    t["assemble"] = t2 - t1
    t["solve"] = t3 - t2
    t["total"] = t3 - t0
    T = gf.vec.FV().NumPy()[: p.shape[1]].copy()
    return {"times": t, "T": T, "n": int(T.size), "solver": config, "steps": steps, "converged": converged,
            "rss_MB": peak_rss_mb()}


def worker_ngmesh(n_nodes: int, route: str, threads: int) -> dict:
    """Time one NGSolve mesh import route; then check its nodes and triangles against fem_cqd's."""
    import netgen.meshing as nm
    import ngsolve as ngs
    import skfem
    from ngsolve.meshes import MakeStructured2DMesh

    ngs.SetNumThreads(threads)
    with ngs.TaskManager():
        t0 = time.perf_counter()
        if route == "arrays":
            x, y = coordinates(n_nodes)
            mesh = skfem.MeshTri.init_tensor(x, y)
            m = ngsolve_mesh_from_arrays(mesh.p, mesh.t, nm, ngs)
        else:
            n = int(round(np.sqrt(n_nodes)))
            e4 = np.expm1(4.0)
            m = MakeStructured2DMesh(quads=False, nx=n - 1, ny=n - 1, flip_triangles=True,
                                     mapping=lambda s, r: (WIDTH * np.expm1(4.0 * s) / e4,
                                                           -DEPTH * np.expm1(4.0 * (1.0 - r)) / e4))
        t1 = time.perf_counter()
    x, y = coordinates(n_nodes)
    ref = skfem.MeshTri.init_tensor(x, y)
    P = np.asarray(m.ngmesh.Coordinates())[:, :2].T
    tri = m.ngmesh.Elements2D().NumPy()["nodes"][:, :3].astype(np.int64) - 1      # netgen numbers from 1
    dx, same_tri = float("inf"), False
    if P.shape == ref.p.shape and tri.shape[0] == ref.t.shape[1]:
        ia, ib = np.lexsort(ref.p[::-1]), np.lexsort(P[::-1])                    # by y, then x
        dx = float(np.max(np.abs(P[:, ib] - ref.p[:, ia])))
        to_ref = np.empty(P.shape[1], dtype=np.int64)
        to_ref[ib] = ia
        a_ = np.sort(to_ref[tri], axis=1)
        b_ = np.sort(ref.t.T.astype(np.int64), axis=1)
        same_tri = bool(np.array_equal(a_[np.lexsort(a_.T[::-1])], b_[np.lexsort(b_.T[::-1])]))
    return {"times": {"mesh": t1 - t0}, "T": np.zeros(0), "n": int(P.shape[1]), "solver": route,
            "max_dx": dx, "same_triangles": same_tri, "rss_MB": peak_rss_mb()}


def _spawn(kind: str, n: int, geometry: str, solver: str, threads: int = 2) -> dict | None:
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "r.npz")
        cmd = [sys.executable, os.path.abspath(__file__), "--worker", kind, "--n", str(n), "--geometry", geometry,
               "--solver", solver, "--ngsolve-threads", str(threads), "--out", out]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            print(f"  {kind} {solver} {geometry} n={n} failed:\n{proc.stderr[-2000:]}", file=sys.stderr)
            return None
        z = np.load(out, allow_pickle=False)
        res = json.loads(str(z["meta"]))
        res["T"] = z["T"]
        return res


def _repeated(kind: str, n: int, geometry: str, solver: str, repeat: int, threads: int) -> dict | None:
    """``repeat`` fresh processes: median time per phase, spread max/min - 1, largest peak RSS."""
    reps = []
    for _ in range(repeat):
        r = _spawn(kind, n, geometry, solver, threads)
        if r is None:
            return None
        reps.append(r)
    res = dict(reps[0])                                  # T, n, solver: the first run's
    phases = list(reps[0]["times"])
    res["times"] = {ph: median(r["times"][ph] for r in reps) for ph in phases}
    res["spread"] = {ph: max(r["times"][ph] for r in reps) / min(r["times"][ph] for r in reps) - 1.0
                     for ph in phases}
    key = "total" if "total" in phases else phases[-1]
    res["spread_text"] = spread(r["times"][key] for r in reps)
    res["repeats"] = len(reps)
    res["rss_MB"] = max(float(r["rss_MB"]) for r in reps)
    if reps[0].get("steps") is not None:
        res["steps"] = max(int(r["steps"]) for r in reps)
        res["converged"] = all(bool(r["converged"]) for r in reps)
    return res


def _timing_rows(rows: list, label: str, r: dict) -> None:
    for phase, sec in r["times"].items():
        rows.append(row(f"{label}: {phase}", "seconds", sec))
    last = "total" if "total" in r["times"] else list(r["times"])[-1]
    if r["repeats"] > 1:
        rows.append(row(f"{label}: {last}", f"spread (max/min - 1) of {r['repeats']} fresh processes",
                        r["spread"][last]))
    rows.append(row(label, "peak_rss_MB", r["rss_MB"]))
    extra = ""
    if r.get("steps") is not None:
        rows.append(row(label + ("" if r["converged"] else f" (NOT CONVERGED to {CG_TOL:g})"), "CG steps",
                        float(r["steps"])))
        extra = f", CG steps {r['steps']}" + ("" if r["converged"] else " NOT CONVERGED")
    print(f"  {label}: " + ", ".join(f"{k} {v:.3f}s" for k, v in r["times"].items())
          + f" [{r['spread_text']}], peak RSS {r['rss_MB']:.0f} MB{extra}", flush=True)


def _worker_main(args) -> int:
    if args.worker in ("femcqd", "femcqd-kT"):
        res = worker_femcqd(args.n, args.geometry, args.solver, K_EXPONENT if args.worker == "femcqd-kT" else 0.0)
    elif args.worker == "ngmesh":
        res = worker_ngmesh(args.n, args.solver, args.ngsolve_threads)
    else:
        res = worker_ngsolve(args.n, args.geometry, args.solver, args.ngsolve_threads)
    T = res.pop("T")
    np.savez(args.out, T=T, meta=json.dumps(res))
    return 0


def _fit(ns, ts) -> float:
    return float(np.polyfit(np.log(ns), np.log(ts), 1)[0])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="only 1e4 and 1e5 unknowns")
    ap.add_argument("--direct-1e6", action="store_true", help="also SuperLU at 1e6 (slow, ~4 GB)")
    ap.add_argument("--geometry", default=None, choices=["planar", "axisymmetric"])
    ap.add_argument("--repeat", type=int, default=3,
                    help="fresh processes per configuration and size; the median time is reported (default 3)")
    ap.add_argument("--ngsolve-configs", default=",".join(NG_DEFAULT),
                    help=f"comma-separated subset of {','.join(NG_CONFIGS)} (default {','.join(NG_DEFAULT)})")
    ap.add_argument("--ngsolve-threads", type=int, default=2, help="NGSolve SetNumThreads (default 2)")
    ap.add_argument("--mesh-routes", action=argparse.BooleanOptionalAction, default=True,
                    help=f"time NGSolve's two mesh import routes at sizes <= {MESH_ROUTE_MAX} (default on)")
    ap.add_argument("--worker", choices=["femcqd", "femcqd-kT", "ngsolve", "ngmesh"], help=argparse.SUPPRESS)
    ap.add_argument("--n", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--solver", default="auto", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        return _worker_main(args)
    ng_configs = [c for c in args.ngsolve_configs.split(",") if c]
    bad = [c for c in ng_configs if c not in NG_CONFIGS]
    if bad or args.repeat < 1 or args.ngsolve_threads < 1:
        ap.error(f"--ngsolve-configs {args.ngsolve_configs} / --repeat {args.repeat} / --ngsolve-threads "
                 f"{args.ngsolve_threads}: configurations from {','.join(NG_CONFIGS)}, repeat and threads >= 1")

    try:
        import ngsolve  # noqa: F401
        have_ng = True
    except ImportError:
        have_ng = False
        print("ngsolve not installed (pip install ngsolve): NGSolve rows skipped")
    sizes = [10_000, 100_000] if args.quick else [10_000, 100_000, 1_000_000]
    geometries = [args.geometry] if args.geometry else ["planar", "axisymmetric"]
    nrep, nthr = args.repeat, args.ngsolve_threads
    rows = []
    if have_ng and args.mesh_routes:
        for n in [s for s in sizes if s <= MESH_ROUTE_MAX]:
            for route, what in MESH_ROUTES.items():
                r = _repeated("ngmesh", n, "planar", route, nrep, nthr)
                if r is None:
                    continue
                label = f"n={r['n']} ngsolve mesh import, {what}"
                rows.append(row(f"{label}: mesh", "seconds", r["times"]["mesh"]))
                rows.append(row(f"{label}: nodes vs fem_cqd's mesh", "max |dx| (m)", r["max_dx"], 0.0, 1e-12))
                rows.append(row(f"{label}: triangles vs fem_cqd's mesh", "same triangles (1 = yes)",
                                float(r["same_triangles"]), 1.0, 0.0))
                print(f"  {label}: {r['times']['mesh']:.3f}s [{r['spread_text']}], max |dx| {r['max_dx']:.2g} m, "
                      f"same triangles {r['same_triangles']}", flush=True)
    for geo in geometries:
        auto_t, auto_n, best_t, best_n = [], [], [], []
        for n in sizes:
            solvers = ["auto", "direct", "amg"]
            if n >= 1_000_000 and not args.direct_1e6:
                solvers = ["auto"]             # auto = amg here; direct only on request
            res = {}
            for s in solvers:
                if s != "auto" and res.get("auto") is not None and res["auto"]["solver"] == s:
                    continue                   # same as auto: not run twice
                r = _repeated("femcqd", n, geo, s, nrep, nthr)
                if r is None:
                    continue
                res[s] = r
                label = f"{geo} n={r['n']} fem_cqd solver={s}" + (f" ({r['solver']})" if s == "auto" else "")
                _timing_rows(rows, label, r)
            if res.get("auto") is None:
                continue
            auto = res["auto"]
            auto_t.append(auto["times"]["total"])
            auto_n.append(auto["n"])
            rise = float(auto["T"].max() - 300.0)
            for s, r in res.items():
                if s != "auto":
                    d = float(np.max(np.abs(r["T"] - auto["T"])) / rise)
                    rows.append(row(f"{geo} n={r['n']} fem_cqd {s} vs auto", "max |dT| / rise", d, 0.0, 1e-6))
            if not have_ng:
                continue
            ng = {}
            for cfg in ng_configs:
                g = _repeated("ngsolve", n, geo, cfg, nrep, nthr)
                if g is None:
                    continue
                ng[cfg] = g
                _timing_rows(rows, f"{geo} n={g['n']} ngsolve {cfg}", g)
            # agreement: fem_cqd auto vs NGSolve's sparse Cholesky (as before); every other NGSolve
            # configuration vs that direct solve (or fem_cqd's direct one when it was not run)
            if "sparsecholesky" in ng:
                g = ng["sparsecholesky"]
                d = float(np.max(np.abs(g["T"] - auto["T"])) / rise)
                rows.append(row(f"{geo} n={g['n']} fem_cqd (auto) vs ngsolve", "max |dT| / rise", d, 0.0, 1e-6))
                for phase in ("total", "solve"):
                    rows.append(row(f"{geo} n={g['n']} fem_cqd auto / ngsolve: {phase}", "ratio_vs_ngsolve",
                                    auto["times"][phase] / g["times"][phase]))
                ref_T, ref_name = g["T"], "ngsolve sparsecholesky"
            else:
                fd = res.get("direct") or (auto if auto["solver"] == "direct" else None)
                ref_T, ref_name = (fd["T"], "fem_cqd direct") if fd is not None else (auto["T"], "fem_cqd auto")
            for cfg, g in ng.items():
                if cfg != "sparsecholesky":
                    d = float(np.max(np.abs(g["T"] - ref_T)) / rise)
                    rows.append(row(f"{geo} n={g['n']} ngsolve {cfg} vs {ref_name}", "max |dT| / rise", d, 0.0, 1e-6))
            if ng:
                best = min(ng, key=lambda c: ng[c]["times"]["total"])
                bt = ng[best]["times"]["total"]
                best_t.append(bt)
                best_n.append(ng[best]["n"])
                rows.append(row(f"{geo} n={ng[best]['n']} ngsolve best of {len(ng)} = {best}: total", "seconds", bt))
                rows.append(row(f"{geo} n={ng[best]['n']} fem_cqd auto / ngsolve best ({best}): total",
                                "ratio_vs_ngsolve_best", auto["times"]["total"] / bt))
                print(f"  {geo} n={ng[best]['n']}: best NGSolve {best} {bt:.3f}s, fem_cqd auto "
                      f"{auto['times']['total']:.3f}s, ratio {auto['times']['total'] / bt:.3f}", flush=True)
        if geo == "planar":                    # k(T): Picard iterations with one kept AMG hierarchy
            r = _repeated("femcqd-kT", sizes[-1], geo, "amg", nrep, nthr)
            if r is not None:
                label = f"{geo} n={r['n']} fem_cqd solver=amg, k ~ T^{K_EXPONENT:g}"
                _timing_rows(rows, label, r)
                rows.append(row(label, "Picard iterations", float(r["iterations"])))
                rows.append(row(label, "peak rise (K)", float(r["T"].max() - 300.0)))
        if len(auto_n) >= 2:
            p = _fit(auto_n, auto_t)
            r = row(f"{geo} fem_cqd auto, total time vs unknowns {auto_n}", "fitted exponent (target <= reference)", p, 1.2)
            r["ok"] = bool(p <= 1.2)
            rows.append(r)
        if len(best_n) >= 2:
            rows.append(row(f"{geo} ngsolve best, total time vs unknowns {best_n}", "fitted exponent",
                            _fit(best_n, best_t)))
    report("thermal_scaling" + ("_quick" if args.quick else ""), rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
