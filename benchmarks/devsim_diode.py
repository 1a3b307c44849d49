"""Side by side with DEVSIM: its 2D diode example on the same triangle mesh (DESIGN.md rung 12).

Problem (DEVSIM ``examples/diode``: ``diode_common`` physics, ``diode_2d.py`` ramp; details and the
choice of constants in ``_devsim_side.py``): a 10 um x 10 um silicon pn diode, abrupt junction at
x = 5 um, N_A = N_D = 1e18 cm^-3, Boltzmann, n_i = 1e10 cm^-3, constant mobilities 400 / 200 cm^2/Vs,
SRH with tau = 1e-5 s, ohmic contacts "top" (p side, x = 0, 8 um <= y <= 10 um) and "bot" (n side,
x = 10 um), forward ramp of "top" 0 -> 0.5 V in 0.1 V steps.

There is no closed form; the reference is DEVSIM itself on the very same triangles
(``skfem.MeshTri.init_tensor``, graded to the junction and the contact edge), which discretises with
the same Scharfetter-Gummel edge fluxes. Expected: terminal currents within 0.5 %, nodal potentials
within a few mV.

- accuracy: at one size (5k nodes; 500 with ``--quick``) DEVSIM runs in extended (float128)
  precision: in double precision its density unknowns leave a round-off floor in the contact
  current of ~1e-12 A/m here, i.e. tens of percent at 0.1 V (top and bottom contact currents
  disagree by that much), and its relative-update test stalls above 1e-8;
- timing: every size, both codes from mesh to the last bias point (equilibrium + ramp), DEVSIM in
  its default double precision to a relative update of 1e-6 (the example's 1e-10 is below its
  round-off floor here), each run in a fresh process, ``--repeat`` (3) of them: the median time
  is reported with the range, and the peak RSS of each code; Newton iterations per bias point are recorded.

Run::

    python benchmarks/devsim_diode.py            # 500, 5k, 18k, 56k nodes (the 56k DEVSIM run ~ minutes)
    python benchmarks/devsim_diode.py --quick    # 500 nodes only
    python benchmarks/devsim_diode.py --sizes 500,5k

Writes ``benchmarks/results/devsim_diode.json`` (rows: "current" per bias, "max_potential_difference",
"seconds" and "peak_rss_MB" for each code and size, "speedup_vs_devsim" per size, "newton_iterations").
DEVSIM is an optional dependency (``pip install devsim scipy-openblas32``).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _devsim_side import (BIASES, N_DOP, SI_PARAMS, SIZES, SOURCE, XJ, build_mesh,  # noqa: E402
                          )
from _report import median, peak_rss_mb, report, row, spread  # noqa: E402

HERE = Path(__file__).resolve().parent
CURRENT_TOL = 0.005          # relative, per bias point
POTENTIAL_TOL = 3e-3         # V, node by node ("within a few mV")
ACCURACY_SIZE = "5k"
#: fem_cqd's linear-solver backends timed side by side (the default first)
FEM_BACKENDS = {"auto": "default (PARDISO where installed)", "superlu": "SuperLU"}


# ------------------------------------------------------------------------------------------------
# fem_cqd side

def silicon():
    """DEVSIM's simple_physics silicon as a fem_cqd material (user-defined, every value sourced)."""
    from fem_cqd.constants import T0, thermal_voltage
    from fem_cqd.materials import parse_library

    vt = thermal_voltage(T0)
    nc = 1.0e19                                              # cm^-3, Nc = Nv: intrinsic level mid-gap
    eg = 2.0 * vt * np.log(nc / SI_PARAMS["n_i_per_cm3"])   # n_i = sqrt(Nc Nv) exp(-Eg / 2V_T)
    derived = (f"chosen with Nc = Nv = {nc:.0e} cm^-3 so that n_i = sqrt(Nc Nv) exp(-Eg/2V_T) = "
               f"1e10 cm^-3 at 300 K, the n_i of " + SOURCE)
    table = {
        "kind": "semiconductor",
        "relative_permittivity": SI_PARAMS["eps_r"],
        "electron_affinity_eV": 4.05,
        "band_gap_eV": float(eg),
        "Nc_per_cm3": nc,
        "Nv_per_cm3": nc,
        "mu_n_cm2_per_Vs": SI_PARAMS["mu_n_cm2"],
        "mu_p_cm2_per_Vs": SI_PARAMS["mu_p_cm2"],
        "srh_tau_n_s": SI_PARAMS["tau_n"],
        "srh_tau_p_s": SI_PARAMS["tau_p"],
        "thermal_conductivity_W_per_mK": 148.0,
        "heat_capacity_J_per_kgK": 705.0,
        "density_kg_per_m3": 2329.0,
        "sources": {
            "relative_permittivity": "eps_si = 11.1, " + SOURCE,
            "electron_affinity": "silicon handbook value; only shifts psi by a constant (DEVSIM's psi is "
                                 "referred to the intrinsic level)",
            "band_gap": derived, "Nc": derived, "Nv": derived,
            "mu_n": "mu_n = 400 cm^2/Vs (constant), " + SOURCE,
            "mu_p": "mu_p = 200 cm^2/Vs (constant), " + SOURCE,
            "srh_tau_n": "taun = 1e-5 s (n1 = p1 = n_i: midgap trap), " + SOURCE,
            "srh_tau_p": "taup = 1e-5 s, " + SOURCE,
            "thermal_conductivity": "silicon handbook value (not used: isothermal electrical solve)",
            "heat_capacity": "silicon handbook value (not used)",
            "density": "silicon handbook value (not used)",
        },
    }
    return parse_library({"Si (DEVSIM diode)": table}, "devsim_diode")["Si (DEVSIM diode)"]


def tagged_mesh(m, contacts):
    """The shared mesh as a fem_cqd TaggedMesh (one silicon region, boundaries "top" and "bot")."""
    from fem_cqd.regions import TaggedMesh

    return TaggedMesh(mesh=m, geometry="planar", element_region=np.zeros(m.t.shape[1], dtype=np.int64),
                      region_names=("silicon",), region_materials=(silicon(),),
                      boundaries={"top": contacts["top"], "bot": contacts["bot"]})


def element_doping(m):
    """Per-element N_D - N_A: acceptors left of the junction line, donors right of it.

    With a node on the junction and mirror-symmetric spacing, the doping charge lumped to every node
    equals DEVSIM's nodal step doping (0 on the junction node, +-N elsewhere).
    """
    xc = m.p[0][m.t].mean(axis=0)
    return np.where(xc > XJ, N_DOP, -N_DOP)


def run_fem(m, contacts, biases=BIASES, linear_solver="auto") -> dict:
    """fem_cqd: equilibrium + voltage ramp of "top" on mesh ``m``; same outputs as run_devsim.

    ``linear_solver``: fem_cqd's sparse direct solver ("auto" = PARDISO where installed, "superlu").
    """
    from fem_cqd.electrical import Contact, build_device, ramp, solve_equilibrium
    from fem_cqd.electrical.linear import JacobianSolver

    t0 = time.perf_counter()
    dev = build_device(tagged_mesh(m, contacts), [Contact("top"), Contact("bot")],
                       net_doping=element_doping(m), field_dependent_mobility=False)
    linear = JacobianSolver(linear_solver)          # one solver for both: its analysis and factors are kept
    eq = solve_equilibrium(dev, linear_solver=linear)
    iters = [eq.iterations]
    states = ramp(dev, "top", list(biases), start=eq, progress=False, linear_solver=linear,
                  on_point=lambda s: iters.append(s.iterations))
    seconds = time.perf_counter() - t0
    out = {"bias": np.array([s.voltages["top"] for s in states]),
           "current_top": np.array([s.currents["top"] for s in states]),
           "current_bot": np.array([s.currents["bot"] for s in states]),
           "flux_top": np.array([s.contact_fluxes["top"] for s in states]),      # each contact's own flux sum
           "flux_bot": np.array([s.contact_fluxes["bot"] for s in states]),
           "potential": np.array([s.psi for s in states]),
           "electrons": np.array([s.n for s in states]),
           "holes": np.array([s.p for s in states]),
           "iterations": np.array(iters), "seconds": seconds, "n_nodes": m.p.shape[1],
           "backend": linear.backend, "rss_MB": peak_rss_mb()}
    return out


# ------------------------------------------------------------------------------------------------
# DEVSIM side (own process: global state, verbose output)

def devsim_available() -> bool:
    """Both packages importable (found, not imported: DEVSIM loads its BLAS on import)."""
    from importlib.util import find_spec

    return find_spec("devsim") is not None and find_spec("scipy_openblas32") is not None


def run_devsim_subprocess(size: str, extended: bool, workdir: Path, cache: Path | None = None, k: int = 0) -> dict:
    """One DEVSIM run in a fresh process (or its earlier result from ``cache``, if there); ``k``
    numbers the repeats."""
    name = f"devsim_{size}{'_ext' if extended else ''}" + (f"_{k}" if k else "")
    if cache is not None and (cache / f"{name}.npz").is_file():
        with np.load(cache / f"{name}.npz") as z:
            print(f"(DEVSIM {size} extended={extended}: reusing {cache / name}.npz)", flush=True)
            return {k: z[k] for k in z.files}
    workdir = cache if cache is not None else workdir
    out = workdir / f"{name}.npz"
    log = workdir / f"{name}.log"
    cmd = [sys.executable, str(HERE / "_devsim_side.py"), size, str(out)] + (["--extended"] if extended else [])
    with open(log, "w") as fh:
        res = subprocess.run(cmd, stdout=fh, stderr=subprocess.STDOUT)
    if res.returncode != 0:
        tail = log.read_text().splitlines()[-5:]
        raise RuntimeError(f"DEVSIM run {size} (extended={extended}) failed:\n" + "\n".join(tail))
    with np.load(out) as z:
        return {k: z[k] for k in z.files}


def run_fem_subprocess(size: str, workdir: Path, linear_solver: str = "auto",
                       timeout: float | None = None) -> dict | None:
    """One fem_cqd run in a fresh process; None if it did not finish within ``timeout`` s."""
    out = workdir / f"fem_{size}_{linear_solver}.npz"
    cmd = [sys.executable, str(Path(__file__).resolve()), "--fem-only", size, str(out), linear_solver]
    try:
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None
    if res.returncode != 0:
        raise RuntimeError(f"fem_cqd run {size} failed:\n{res.stderr[-3000:]}")
    with np.load(out) as z:
        return {k: z[k] for k in z.files}


# ------------------------------------------------------------------------------------------------
# comparison

def potential_offset(fem, ref, m, contacts):
    """Constant between the two potential references, from the grounded contact nodes ("bot")."""
    nodes = np.unique(m.facets[:, contacts["bot"]])
    return float(np.mean(fem["potential"][0][nodes] - ref["potential"][0][nodes]))


def compare(fem, ref, m, contacts, size, label):
    """Rows comparing fem_cqd (computed) with DEVSIM (reference) on one mesh."""
    rows = []
    off = potential_offset(fem, ref, m, contacts)
    # DEVSIM reports the current into the device at a contact, fem_cqd too (state.currents docs)
    for k, v in enumerate(ref["bias"]):
        if v == 0.0:     # equilibrium: exactly 0; both codes give round-off (rel_error is then |I| in A/m)
            rows.append(row(f"{label} {size} nodes, V = 0.0 V (exact 0; DEVSIM {ref['current_top'][k]:.2g} A/m)",
                            "current", float(fem["current_top"][k]), 0.0, CURRENT_TOL))
            continue
        rows.append(row(f"{label} {size} nodes, V = {v:.1f} V (A/m)", "current",
                        float(fem["current_top"][k]), float(ref["current_top"][k]), CURRENT_TOL))
    dpsi = np.abs(fem["potential"] - off - ref["potential"])
    worst = float(dpsi.max())
    k, i = np.unravel_index(int(np.argmax(dpsi)), dpsi.shape)
    rows.append(row(f"{label} {size} nodes, all biases (worst at V = {ref['bias'][k]:.1f} V, "
                    f"node {i} x = {m.p[0, i] * 1e6:.4f} um)", "max_potential_difference_V",
                    worst, 0.0, POTENTIAL_TOL))
    return rows, off


def fem_only_main(size, out, linear_solver):
    m, contacts = build_mesh(*SIZES[size])
    r = run_fem(m, contacts, linear_solver=linear_solver)
    np.savez(out, **r)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="500 nodes only")
    ap.add_argument("--sizes", default=None, help="comma-separated subset of " + ",".join(SIZES))
    ap.add_argument("--fem-only", nargs=3, metavar=("SIZE", "OUT", "LINEAR_SOLVER"), help=argparse.SUPPRESS)
    ap.add_argument("--devsim-cache", default=None,
                    help="directory keeping DEVSIM results (npz) between runs: DEVSIM's answer does not "
                         "change when fem_cqd does, and its 56k run takes minutes")
    ap.add_argument("--repeat", type=int, default=3,
                    help="fresh processes per code and size; the median time is reported (default 3)")
    ap.add_argument("--fem-timeout", type=float, default=1200.0,
                    help="seconds before a fem_cqd timing run is stopped and reported as unfinished")
    a = ap.parse_args(argv)
    if a.repeat < 1:
        ap.error(f"--repeat {a.repeat}: at least 1")
    if a.fem_only:
        return fem_only_main(*a.fem_only)
    sizes = ["500"] if a.quick else (a.sizes.split(",") if a.sizes else list(SIZES))
    acc_size = ACCURACY_SIZE if ACCURACY_SIZE in sizes else sizes[0]
    have_devsim = devsim_available()
    if not have_devsim:
        print("DEVSIM not installed (pip install devsim scipy-openblas32): fem_cqd timings only")
    cache = None
    if a.devsim_cache:
        cache = Path(a.devsim_cache)
        cache.mkdir(parents=True, exist_ok=True)
    rows, summary = [], {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for size in sizes:
            m, contacts = build_mesh(*SIZES[size])
            N = m.p.shape[1]
            print(f"--- {size}: {N} nodes, {m.t.shape[1]} triangles", flush=True)
            runs = {}
            for backend in FEM_BACKENDS:
                what = f"fem_cqd {size} ({N} nodes) equilibrium + ramp, {FEM_BACKENDS[backend]}"
                reps = []
                for _ in range(a.repeat):
                    res = run_fem_subprocess(size, tmp, backend, timeout=a.fem_timeout)
                    if res is None:
                        break
                    reps.append(res)
                if len(reps) < a.repeat:
                    runs[backend] = None
                    print(f"{what}: did not finish within {a.fem_timeout:.0f} s", flush=True)
                    rows.append(row(f"{what}: NOT FINISHED, stopped after {a.fem_timeout:.0f} s", "seconds",
                                    float(a.fem_timeout)))
                    continue
                res = dict(reps[0], seconds=median(r["seconds"] for r in reps),
                           rss_MB=max(float(r["rss_MB"]) for r in reps))
                runs[backend] = res
                what += f" [{res['backend']}], {spread(r['seconds'] for r in reps)}"
                print(f"{what}: {res['seconds']:.2f} s, peak RSS {res['rss_MB']:.0f} MB, Newton iterations "
                      f"{res['iterations'].tolist()}", flush=True)
                rows.append(row(what, "seconds", float(res["seconds"])))
                rows.append(row(what, "peak_rss_MB", float(res["rss_MB"])))
            summary[size] = {"nodes": N, **{f"fem_{b}_seconds": (None if r is None else float(r["seconds"]))
                                           for b, r in runs.items()}}
            fem = runs["auto"] if runs["auto"] is not None else runs["superlu"]
            summary[size]["fem_iterations"] = [] if fem is None else fem["iterations"].tolist()
            if not have_devsim:
                continue
            reps = [run_devsim_subprocess(size, False, tmp, cache, k) for k in range(a.repeat)]
            ds = dict(reps[0], seconds=median(r["seconds"] for r in reps),
                      rss_MB=max(float(r.get("rss_MB", np.nan)) for r in reps))
            what = f"DEVSIM {size} ({N} nodes) equilibrium + ramp, {spread(r['seconds'] for r in reps)}"
            print(f"{what}: {ds['seconds']:.2f} s, peak RSS {ds['rss_MB']:.0f} MB, Newton iterations "
                  f"{ds['iterations'].tolist()}", flush=True)
            rows.append(row(what, "seconds", float(ds["seconds"])))
            rows.append(row(what, "peak_rss_MB", float(ds["rss_MB"])))
            summary[size].update(devsim_seconds=float(ds["seconds"]), devsim_iterations=ds["iterations"].tolist())
            for backend, res in runs.items():
                t_fem = float(res["seconds"]) if res is not None else float(a.fem_timeout)
                label = (f"{size} ({N} nodes), fem_cqd {FEM_BACKENDS[backend]}"
                         + ("" if res is None else f" [{res['backend']}]")
                         + ("" if res is not None else f" (unfinished at {t_fem:.0f} s: upper bound)"))
                quantity = "speedup_vs_devsim" if backend == "auto" else f"speedup_vs_devsim_{backend}"
                rows.append(row(label, quantity, float(ds["seconds"]) / t_fem))
                summary[size][quantity] = float(ds["seconds"]) / t_fem
            if fem is None:
                continue
            # double-precision DEVSIM vs fem_cqd at every size: the 0.5 V current and potentials
            r2, _ = compare(fem, ds, m, contacts, size, "vs DEVSIM double")
            rows.append(r2[len(BIASES) - 1])
            rows.append(r2[-1])
            if size == acc_size:
                ext = run_devsim_subprocess(size, True, tmp, cache)
                r3, off = compare(fem, ext, m, contacts, size, "vs DEVSIM float128")
                rows.extend(r3)
                imbalance = np.abs(ds["current_top"] + ds["current_bot"]) / np.abs(ext["current_top"]).clip(1e-300)
                summary[size].update(psi_offset_V=off, devsim_double_top_bot_imbalance=imbalance.tolist(),
                                     fem_top_bot_imbalance=(np.abs(fem["flux_top"] + fem["flux_bot"])
                                                            / np.abs(fem["current_top"]).clip(1e-300)).tolist(),
                                     currents_A_per_m={"bias": ext["bias"].tolist(),
                                                       "devsim_float128": ext["current_top"].tolist(),
                                                       "devsim_double": ds["current_top"].tolist(),
                                                       "fem_cqd": fem["current_top"].tolist()})
    for size, s in summary.items():
        if not s["fem_iterations"]:
            continue
        rows.append(row(f"fem_cqd {size}: Newton iterations (equilibrium, then per bias point) "
                        + " ".join(map(str, s["fem_iterations"])), "newton_iterations", float(sum(s["fem_iterations"]))))
        if "devsim_iterations" in s:
            rows.append(row(f"DEVSIM {size}: Newton iterations (Poisson, DD equilibrium, then per bias point) "
                            + " ".join(map(str, s["devsim_iterations"])), "newton_iterations",
                            float(sum(s["devsim_iterations"]))))
    print(json.dumps(summary, indent=1))
    report("devsim_diode", rows)
    return rows


if __name__ == "__main__":
    main()
