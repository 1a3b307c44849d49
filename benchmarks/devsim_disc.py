"""Side by side with DEVSIM on a linear-like problem: a disc contact on an axisymmetric resistor.

Problem: a silicon cylinder (DEVSIM's simple_physics silicon, ``devsim_diode.silicon``), radius
R = 10 um, height H = 10 um, uniformly n-doped N_D = 1e16 cm^-3; contact "top" a disc of radius
a = 2 um centred on the axis of the top face, contact "bot" the whole bottom face; 0 -> 0.1 V on
"top" (one bias step). A majority-carrier resistor: nearly linear (the current is ohmic to
~1e-3 at 0.1 V = 4 V_T), the spreading resistance of the disc near rho / 4a (a disc on a
half-space; here the grounded bottom face at depth 5a lowers it, the insulating wall at r = 5a
raises it: 4.5 / 3.5 / 3.0 % below rho / 4a at 7k / 28k / 113k nodes, the disc edge's
singularity converging slowly).

Both codes on the very same triangles (a uniform tensor grid with a node line at r = a), DEVSIM
in cylindrical coordinates (its CylindricalEdgeCouple / NodeVolume / SurfaceArea models, radius x),
both with electrons and holes (3 unknowns per node); fem_cqd also as a single-carrier device
(``carriers="electrons"``, 2 unknowns per node), which is the model this problem needs. Every
timing is from mesh to the last bias point in a fresh process, the median of ``--repeat`` (3) runs,
with each code's peak RSS.

Run::

    python benchmarks/devsim_disc.py                 # 7k and 28k nodes
    python benchmarks/devsim_disc.py --sizes 7k      # one size
    python benchmarks/devsim_disc.py --sizes 7k,28k,113k

Writes ``benchmarks/results/devsim_disc.json`` (rows: "current" at 0.1 V vs DEVSIM (tolerance
0.5 %), "resistance_ohm" vs rho / 4a (context, no tolerance), "seconds" and "peak_rss_MB" per code
and size, "speedup_vs_devsim").
DEVSIM is an optional dependency (``pip install devsim scipy-openblas32``).
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _report import median, peak_rss_mb, report, row, spread  # noqa: E402
from devsim_diode import devsim_available, silicon  # noqa: E402

HERE = Path(__file__).resolve().parent
R = 10e-6             # m, cylinder radius
H = 10e-6             # m, height
A_DISC = 2e-6         # m, disc contact radius
N_D = 1e16 * 1e6      # m^-3
BIASES = (0.0, 0.1)
#: grid lines per direction (a multiple of 5 intervals: a node line at r = a = R / 5)
SIZES = {"7k": 86, "28k": 171, "113k": 341}
CURRENT_TOL = 0.005
FEM_VARIANTS = {"both": "electrons and holes", "electrons": "electrons only (single carrier)"}


def build_mesh(n: int):
    """The shared mesh (skfem.MeshTri, metres) and the contact facets {"top", "bot"}."""
    import skfem

    m = skfem.MeshTri.init_tensor(np.linspace(0.0, R, n), np.linspace(0.0, H, n))
    tol = 1e-9 * R
    f = m.facets
    px, py = m.p[0][f], m.p[1][f]
    bnd = np.zeros(f.shape[1], bool)
    bnd[m.boundary_facets()] = True
    top = bnd & np.all(np.abs(py - H) < tol, axis=0) & np.all(px < A_DISC + tol, axis=0)
    bot = bnd & np.all(np.abs(py) < tol, axis=0)
    return m, {"top": np.flatnonzero(top), "bot": np.flatnonzero(bot)}


def run_fem(m, contacts, carriers: str) -> dict:
    """fem_cqd: equilibrium + the bias step on "top", axisymmetric."""
    from fem_cqd.electrical import Contact, build_device, ramp, solve_equilibrium
    from fem_cqd.electrical.linear import JacobianSolver
    from fem_cqd.regions import TaggedMesh

    t0 = time.perf_counter()
    tm = TaggedMesh(mesh=m, geometry="axisymmetric", element_region=np.zeros(m.t.shape[1], dtype=np.int64),
                    region_names=("silicon",), region_materials=(silicon(),),
                    boundaries={"top": contacts["top"], "bot": contacts["bot"]})
    dev = build_device(tm, [Contact("top"), Contact("bot")], net_doping=np.full(m.t.shape[1], N_D),
                       field_dependent_mobility=False, carriers=carriers)
    linear = JacobianSolver("auto")
    eq = solve_equilibrium(dev, linear_solver=linear)
    iters = [eq.iterations]
    states = ramp(dev, "top", list(BIASES), start=eq, progress=False, linear_solver=linear,
                  on_point=lambda s: iters.append(s.iterations))
    return {"current_top": np.array([s.currents["top"] for s in states]), "iterations": np.array(iters),
            "seconds": time.perf_counter() - t0, "rss_MB": peak_rss_mb(), "n_nodes": m.p.shape[1]}


def run_devsim(m, contacts) -> dict:
    from _devsim_side import run_devsim as devsim_run

    r = devsim_run(m, contacts, biases=BIASES, node_doping=np.full(m.p.shape[1], N_D), cylindrical=True)
    return {"current_top": r["current_top"], "iterations": r["iterations"], "seconds": r["seconds"],
            "rss_MB": r["rss_MB"], "n_nodes": m.p.shape[1]}


def _worker(size: str, out: str, code: str) -> None:
    m, contacts = build_mesh(SIZES[size])
    r = run_devsim(m, contacts) if code == "devsim" else run_fem(m, contacts, code)
    np.savez(out, **r)


def _spawn(size: str, code: str, workdir: Path) -> dict:
    """One run in a fresh process (DEVSIM's chatter to a log)."""
    out = workdir / f"{code}_{size}.npz"
    log = workdir / f"{code}_{size}.log"
    with open(log, "w") as fh:
        res = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--worker", size, str(out), code],
                             stdout=fh, stderr=subprocess.STDOUT)
    if res.returncode != 0:
        raise RuntimeError(f"{code} run {size} failed:\n" + "\n".join(log.read_text().splitlines()[-8:]))
    with np.load(out) as z:
        return {k: z[k] for k in z.files}


def resistivity() -> float:
    """rho = 1 / (q N_D mu_n) of the doped silicon (Ohm m)."""
    from fem_cqd.constants import q

    return 1.0 / (q * N_D * silicon().mu_n)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="7k,28k", help="comma-separated subset of " + ",".join(SIZES))
    ap.add_argument("--repeat", type=int, default=3, help="fresh processes per code and size (median reported)")
    ap.add_argument("--worker", nargs=3, metavar=("SIZE", "OUT", "CODE"), help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.worker:
        return _worker(*a.worker)
    sizes = a.sizes.split(",")
    bad = [s for s in sizes if s not in SIZES]
    if bad or a.repeat < 1:
        ap.error(f"--sizes {a.sizes} / --repeat {a.repeat}: sizes from {', '.join(SIZES)}, repeat >= 1")
    codes = list(FEM_VARIANTS) + (["devsim"] if devsim_available() else [])
    if "devsim" not in codes:
        print("DEVSIM not installed (pip install devsim scipy-openblas32): fem_cqd timings only")
    rows = []
    rho = resistivity()
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            runs = {}
            for code in codes:
                reps = [_spawn(size, code, Path(tmp)) for _ in range(a.repeat)]
                runs[code] = dict(reps[0], seconds=median(r["seconds"] for r in reps),
                                  rss_MB=max(float(r["rss_MB"]) for r in reps))
                N = int(reps[0]["n_nodes"])
                what = (f"{'DEVSIM' if code == 'devsim' else 'fem_cqd ' + FEM_VARIANTS[code]} {size} ({N} nodes), "
                        f"{spread(r['seconds'] for r in reps)}")
                print(f"{what}: {runs[code]['seconds']:.2f} s, peak RSS {runs[code]['rss_MB']:.0f} MB, Newton "
                      f"iterations {runs[code]['iterations'].tolist()}, I(0.1 V) = {runs[code]['current_top'][-1]:.6g} A",
                      flush=True)
                rows.append(row(what, "seconds", float(runs[code]["seconds"])))
                rows.append(row(what, "peak_rss_MB", float(runs[code]["rss_MB"])))
            for code in FEM_VARIANTS:
                I = float(runs[code]["current_top"][-1])
                rows.append(row(f"{size}: fem_cqd {FEM_VARIANTS[code]}, resistance V / I at 0.1 V vs rho/4a "
                                f"(half-space disc; context only: the finite cylinder differs)", "resistance_ohm",
                                BIASES[-1] / I, rho / (4 * A_DISC)))
                if "devsim" in runs:
                    rows.append(row(f"{size}: fem_cqd {FEM_VARIANTS[code]} vs DEVSIM, I at 0.1 V (A)", "current", I,
                                    float(runs["devsim"]["current_top"][-1]), CURRENT_TOL))
                    rows.append(row(f"{size}: fem_cqd {FEM_VARIANTS[code]}", "speedup_vs_devsim",
                                    float(runs["devsim"]["seconds"]) / float(runs[code]["seconds"])))
    report("devsim_disc", rows)
    return rows


if __name__ == "__main__":
    main()
