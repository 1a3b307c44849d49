"""Where the time of the reference-device chain goes (issue 9 performance rows).

Per geometry, on the case's operating mesh (``cases/lim2018_device.OPERATING_MESH``), each timed
in this one run:

- mesh + device build;
- an electrothermal J-V of ``N_JV`` voltage points (``STEP_V`` apart from 1 V), each started from
  the previous one (temperature carried), up to the first point whose solve fails (recorded as a
  row: past the electrothermal fold a voltage point has no steady state); iterations per point
  with Anderson acceleration (depth 3) and, at the last point, with plain Picard (depth 0) from
  the same start: the ratio of iterations;
- the current-density targets 3.5 and 18 A/cm^2 by ``Electrothermal.reach`` from that ramp's
  nearest point below (the default run's route);
- profile + gain maps at 18 A/cm^2;
- the default run itself (``fem-cqd run``: both geometries, both targets, maps and plots);
- the aperture study's widest point (``cases/studies/aperture.toml``: the ``lim2018`` study point,
  200 um disc at 18 A/cm^2, 3.5 A/cm^2 first): its voltage and rise beside the time. It guards a
  path: stop 25's temperature predictor took it from ~2 min to >8 min (stop 27 fixed it).

All electrothermal points carry the QD film's light/heat split (``qd_emission``) as the case does.
Run: ``python3 benchmarks/device_pipeline.py [--points N] [--no-default-run] [--no-aperture-corner] [--repeat 3]``: the
whole sequence runs in ``--repeat`` fresh processes (:func:`_report.rows_in_fresh_processes`); each
"seconds" row is the median of the runs (their range in the row's case), each "peak_rss_MB" row --
the process's peak resident memory at the end of the phase before it (``ru_maxrss``: it only grows,
so it is the largest phase so far) -- the largest of the runs. Iteration counts and voltages are
deterministic (a disagreement between runs is shown in the row). No references: this is a
performance table. ~4 minutes per process on a quiet 2-core machine.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, ROOT)

from _report import peak_rss_mb, report, row, rows_in_fresh_processes  # noqa: E402

from fem_cqd.cli import load_case  # noqa: E402
from fem_cqd.coupled import Electrothermal  # noqa: E402
from fem_cqd.errors import ConvergenceError  # noqa: E402
from fem_cqd.mesh import build_mesh  # noqa: E402
from fem_cqd.stack import lim2018  # noqa: E402

N_JV = 20
STEP_V = 0.25


def timed_rows(case: str, seconds: float) -> list[dict]:
    """A phase's time and the process's peak resident memory at its end."""
    return [row(case, "seconds", seconds), row(case, "peak_rss_MB", peak_rss_mb())]


def geometry_rows(case, geometry: str, n_points: int) -> list[dict]:
    rows = []
    t = time.perf_counter()
    stack = lim2018(geometry, params=case.PARAMS)
    dm = build_mesh(stack, case.OPERATING_MESH)
    et = Electrothermal(dm, case.contacts(), qd_emission=case.QD)
    rows += timed_rows(f"{geometry}: mesh + device build ({dm.electrical.mesh.p.shape[1]} electrical nodes)",
                       time.perf_counter() - t)
    t = time.perf_counter()
    points, prev = [], None
    for k in range(n_points):
        try:
            prev = et.operating_point(voltage_V=1.0 + STEP_V * k, start=prev)
        except ConvergenceError as exc:          # past the fold, or a hard Newton path: recorded, not hidden
            rows.append(row(f"{geometry}: electrothermal J-V stopped at {1.0 + STEP_V * k:g} V: {str(exc)[:120]}",
                            "voltage_V", 1.0 + STEP_V * k))
            break
        points.append(prev)
    n_points = len(points)
    jv_s = time.perf_counter() - t
    rows += timed_rows(f"{geometry}: electrothermal J-V, {n_points} points 1-{1 + STEP_V * (n_points - 1):g} V "
                       "(with the failed point, if any)", jv_s)
    rows.append(row(f"{geometry}: electrothermal J-V, Anderson iterations per point (mean)", "iterations",
                    sum(p.iterations for p in points) / len(points)))
    rows.append(row(f"{geometry}: J at {points[-1].voltage_V:g} V (A/cm2), peak rise {points[-1].max_rise_K:.3g} K",
                    "J_A_per_cm2", points[-1].j_A_per_cm2))
    plain = et.operating_point(voltage_V=points[-1].voltage_V, start=points[-2], anderson=0, tol_K=1e-3, max_iter=200)
    fast = et.operating_point(voltage_V=points[-1].voltage_V, start=points[-2], anderson=3, tol_K=1e-3)
    rows.append(row(f"{geometry}: last J-V point from the previous one, Picard iterations", "iterations",
                    float(plain.iterations)))
    rows.append(row(f"{geometry}: same, Anderson (depth 3) iterations", "iterations", float(fast.iterations)))
    # the default run's route: the first target from the ramp's nearest point below, the next from it
    below = [p for p in points if p.j_A_per_cm2 < case.TARGETS[0]]
    start = max(below, key=lambda p: p.j_A_per_cm2) if below else None
    for j in case.TARGETS:
        t = time.perf_counter()
        try:
            pt, way = et.reach(j_A_per_cm2=j, start=start, progress=False)
        except ConvergenceError as exc:
            rows += timed_rows(f"{geometry}: reach {j:g} A/cm2 FAILED: {str(exc)[:120]}", time.perf_counter() - t)
            return rows
        rows += timed_rows(f"{geometry}: reach {j:g} A/cm2 from {start.voltage_V if start else 1.0:g} V "
                           f"({len(way)} voltage points)", time.perf_counter() - t)
        rows.append(row(f"{geometry}: voltage at {j:g} A/cm2 (V)", "voltage_V", pt.voltage_V))
        start = pt
    t = time.perf_counter()
    case.profile_and_gain(dm, start, stack.qd_layer)
    rows += timed_rows(f"{geometry}: QD-film profile + gain maps", time.perf_counter() - t)
    return rows


def aperture_corner_rows() -> list[dict]:
    """The aperture study's 200 um disc point at 18 A/cm^2 (module doc)."""
    from fem_cqd.studies import lim2018 as lim2018_point
    values = {"geometry": "axisymmetric", "j_A_per_cm2": 18.0, "params": "lim2018_operating", "aperture_um": 200.0}
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        out = lim2018_point(values, Path(tmp))
        rows = timed_rows("aperture study, 200 um disc at 18 A/cm2 (lim2018 study point)", time.perf_counter() - t)
    rows.append(row("aperture study, 200 um disc: voltage at 18 A/cm2 (V)", "voltage_V", out["voltage_V"]))
    rows.append(row("aperture study, 200 um disc: peak rise at 18 A/cm2 (K)", "rise_K", out["peak_rise_K"]))
    return rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--points", type=int, default=N_JV)
    ap.add_argument("--no-default-run", action="store_true")
    ap.add_argument("--no-aperture-corner", action="store_true", help="skip the 200 um aperture point (~2 min)")
    ap.add_argument("--repeat", type=int, default=3, help="fresh processes; medians reported (default 3)")
    ap.add_argument("--rows-json", help=argparse.SUPPRESS)     # one fresh process: write its rows here
    a = ap.parse_args(argv)
    if a.repeat < 1:
        ap.error(f"--repeat {a.repeat}: at least 1")
    if a.rows_json is None:
        args = (["--points", str(a.points)] + (["--no-default-run"] if a.no_default_run else [])
                + (["--no-aperture-corner"] if a.no_aperture_corner else []))
        report("device_pipeline", rows_in_fresh_processes(os.path.abspath(__file__), args, a.repeat))
        return 0
    case = load_case("lim2018_device")
    t0 = time.perf_counter()
    rows = []
    for g in ("axisymmetric", "planar"):
        rows += geometry_rows(case, g, a.points)
    if not a.no_default_run:
        with tempfile.TemporaryDirectory() as tmp:
            t = time.perf_counter()
            case.run(os.path.join(tmp, "run"))
            rows += timed_rows("default run (fem-cqd run: 2 geometries x 2 targets, maps, plots)", time.perf_counter() - t)
    if not a.no_aperture_corner:
        rows += aperture_corner_rows()
    rows += timed_rows("device_pipeline total", time.perf_counter() - t0)
    with open(a.rows_json, "w") as fh:
        json.dump(rows, fh)
    return 0


if __name__ == "__main__":
    sys.exit(main())
