"""Scaling of the steady heat solve, and the same problem in NGSolve on the same mesh.

Problem: a 2 mm x 0.7 mm glass substrate (k = 1 W/mK), heat sink (T = 300 K) at the bottom, a
uniform flux of 1e7 W/m^2 into the top for x < 50 um (a 100 um stripe in planar geometry, a
100 um disc in axisymmetric geometry), adiabatic elsewhere. Tensor mesh of right triangles,
graded towards the heated corner (spacing ratio ~55 across the mesh), about 1e4, 1e5, 1e6 nodes.

Every run is a fresh subprocess (own peak RSS, no warm caches). fem_cqd end to end = numpy mesh
(``MeshTri.init_tensor``) + facet table + named boundaries + ``ThermalMesh`` (geometry, CSR
pattern) + assembly + solve. NGSolve end to end = the same numpy mesh + netgen mesh built from the
arrays + H1(order=1) assembly + solve (``sparsecholesky``, TaskManager on both cores). Rows:
"seconds" per phase, "peak_rss_MB", "max |dT| vs ngsolve / rise" (agreement), "ratio_vs_ngsolve"
(fem_cqd time / NGSolve time, end to end) and the fitted exponent of time vs unknowns.

Run: ``python benchmarks/thermal_scaling.py`` (about 2 minutes on 2 cores; ~3 with ``--direct-1e6``) or ``--quick``
(<= 1e5 unknowns, ~15 s). ``--direct-1e6`` adds SuperLU at 1e6 (slow, ~4 GB).
Needs ``pip install ngsolve`` for the comparison (skipped with a note when missing).
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, ROOT)

from _report import report, row  # noqa: E402

WIDTH, DEPTH, HALF_W, Q, K = 2e-3, 0.7e-3, 50e-6, 1e7, 1.0


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


def worker_femcqd(n_nodes: int, geometry: str, solver: str) -> dict:
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
    glass = Material("glass", "insulator", K, 700.0, 2500.0)
    tm = TaggedMesh(mesh, geometry, np.zeros(mesh.t.shape[1], dtype=int), ("glass",), (glass,), bnd)
    t1 = time.perf_counter()
    tmesh = th.ThermalMesh(tm)
    t2 = time.perf_counter()
    tim = {}
    st = th.solve_steady(tm, {"sink": th.Dirichlet(300.0)}, surface_flux={"stripe": Q}, solver=solver,
                         thermal_mesh=tmesh, timings=tim)
    t3 = time.perf_counter()
    t["mesh"] = t1 - t0
    t["prepare"] = t2 - t1
    t["solve"] = tim["solve"]
    t["assemble"] = (t3 - t2) - tim["solve"]       # sources, BCs, stiffness, CSR, balance
    t["total"] = t3 - t0
    return {"times": t, "T": st.T, "n": int(st.T.size), "solver": st.solver,
            "rss_MB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def worker_ngsolve(n_nodes: int, geometry: str) -> dict:
    import skfem

    t = {}
    t0 = time.perf_counter()
    x, y = coordinates(n_nodes)
    mesh = skfem.MeshTri.init_tensor(x, y)
    p, tri = mesh.p, mesh.t
    import netgen.meshing as nm
    import ngsolve as ngs

    ngs.SetNumThreads(2)
    with ngs.TaskManager():
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
        m = ngs.Mesh(ngm)
        t1 = time.perf_counter()
        fes = ngs.H1(m, order=1, dirichlet="sink")
        u, v = fes.TnT()
        w = 2 * np.pi * ngs.x if geometry == "axisymmetric" else 1.0
        a = ngs.BilinearForm(w * K * ngs.grad(u) * ngs.grad(v) * ngs.dx)
        f = ngs.LinearForm(w * Q * v * ngs.ds("stripe"))
        a.Assemble()
        f.Assemble()
        gf = ngs.GridFunction(fes)
        gf.Set(300.0, definedon=m.Boundaries("sink"))
        t2 = time.perf_counter()
        r = f.vec.CreateVector()
        r.data = f.vec - a.mat * gf.vec
        gf.vec.data += a.mat.Inverse(fes.FreeDofs(), inverse="sparsecholesky") * r
        t3 = time.perf_counter()
    t["mesh"] = t1 - t0
    t["assemble"] = t2 - t1
    t["solve"] = t3 - t2
    t["total"] = t3 - t0
    T = gf.vec.FV().NumPy()[: p.shape[1]].copy()
    return {"times": t, "T": T, "n": int(T.size), "solver": "sparsecholesky",
            "rss_MB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def _spawn(kind: str, n: int, geometry: str, solver: str) -> dict | None:
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "r.npz")
        cmd = [sys.executable, os.path.abspath(__file__), "--worker", kind, "--n", str(n), "--geometry", geometry,
               "--solver", solver, "--out", out]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            print(f"  {kind} {geometry} n={n} failed:\n{proc.stderr[-2000:]}", file=sys.stderr)
            return None
        z = np.load(out, allow_pickle=False)
        res = json.loads(str(z["meta"]))
        res["T"] = z["T"]
        return res


def _worker_main(args) -> int:
    if args.worker == "femcqd":
        res = worker_femcqd(args.n, args.geometry, args.solver)
    else:
        res = worker_ngsolve(args.n, args.geometry)
    T = res.pop("T")
    np.savez(args.out, T=T, meta=json.dumps(res))
    return 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="only 1e4 and 1e5 unknowns")
    ap.add_argument("--direct-1e6", action="store_true", help="also SuperLU at 1e6 (slow, ~4 GB)")
    ap.add_argument("--geometry", default=None, choices=["planar", "axisymmetric"])
    ap.add_argument("--worker", choices=["femcqd", "ngsolve"])
    ap.add_argument("--n", type=int)
    ap.add_argument("--solver", default="auto")
    ap.add_argument("--out")
    args = ap.parse_args(argv)
    if args.worker:
        return _worker_main(args)

    try:
        import ngsolve  # noqa: F401
        have_ng = True
    except ImportError:
        have_ng = False
        print("ngsolve not installed (pip install ngsolve): NGSolve rows skipped")
    sizes = [10_000, 100_000] if args.quick else [10_000, 100_000, 1_000_000]
    geometries = [args.geometry] if args.geometry else ["planar", "axisymmetric"]
    rows = []
    for geo in geometries:
        auto_t, auto_n = [], []
        for n in sizes:
            solvers = ["auto", "direct", "amg"]
            if n >= 1_000_000 and not args.direct_1e6:
                solvers = ["auto"]             # auto = amg here; direct only on request
            res = {}
            for s in solvers:
                if s != "auto" and res.get("auto") is not None and res["auto"]["solver"] == s:
                    continue                   # same as auto: not run twice
                r = _spawn("femcqd", n, geo, s)
                if r is None:
                    continue
                res[s] = r
                label = f"{geo} n={r['n']} fem_cqd solver={s}" + (f" ({r['solver']})" if s == "auto" else "")
                for phase, sec in r["times"].items():
                    rows.append(row(f"{label}: {phase}", "seconds", sec))
                rows.append(row(label, "peak_rss_MB", r["rss_MB"]))
                print(f"  {label}: " + ", ".join(f"{k} {v:.2f}s" for k, v in r["times"].items()), flush=True)
            if res.get("auto") is None:
                continue
            auto_t.append(res["auto"]["times"]["total"])
            auto_n.append(res["auto"]["n"])
            rise = float(res["auto"]["T"].max() - 300.0)
            for s, r in res.items():
                if s != "auto":
                    d = float(np.max(np.abs(r["T"] - res["auto"]["T"])) / rise)
                    rows.append(row(f"{geo} n={r['n']} fem_cqd {s} vs auto", "max |dT| / rise", d, 0.0, 1e-6))
            if have_ng:
                g = _spawn("ngsolve", n, geo, "sparsecholesky")
                if g is not None:
                    label = f"{geo} n={g['n']} ngsolve sparsecholesky"
                    for phase, sec in g["times"].items():
                        rows.append(row(f"{label}: {phase}", "seconds", sec))
                    rows.append(row(label, "peak_rss_MB", g["rss_MB"]))
                    print(f"  {label}: " + ", ".join(f"{k} {v:.2f}s" for k, v in g["times"].items()), flush=True)
                    d = float(np.max(np.abs(g["T"] - res["auto"]["T"])) / rise)
                    rows.append(row(f"{geo} n={g['n']} fem_cqd (auto) vs ngsolve", "max |dT| / rise", d, 0.0, 1e-6))
                    for phase in ("total", "solve"):
                        rows.append(row(f"{geo} n={g['n']} fem_cqd auto / ngsolve: {phase}", "ratio_vs_ngsolve",
                                        res["auto"]["times"][phase] / g["times"][phase]))
        if len(auto_n) >= 2:
            p = float(np.polyfit(np.log(auto_n), np.log(auto_t), 1)[0])
            r = row(f"{geo} fem_cqd auto, total time vs unknowns {auto_n}", "fitted exponent (target <= reference)", p, 1.2)
            r["ok"] = bool(p <= 1.2)
            rows.append(r)
    report("thermal_scaling" + ("_quick" if args.quick else ""), rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
