"""Mesh convergence of the reference device's current with the operating parameter set (issue 8).

For each geometry the operating set ``lim2018_operating`` at 300 K (isothermal) is ramped from 1 V
in 0.5 V steps on the default case's mesh (``cases/lim2018_device.OPERATING_MESH``) refined by
``FACTORS`` (every cell size divided by the factor, :meth:`fem_cqd.mesh.MeshOptions.scaled`),
and the current density over the aperture is compared at ``VOLTS`` with the finest level that
reached that voltage. A ramp that stops (the Newton path of the filling Gaussian DOS) is recorded
as a row with the voltage where it stopped: not hidden. Rows: J (A/cm^2) per level against the
finest, the observed order from three levels where they converge monotonically (else their
spread: ``scaled`` also changes the cells per film and the grading ratios, so the levels are not
nested), and seconds per ramp.

Run: ``python3 benchmarks/mesh_convergence.py [--factors 1 1.4142 2]`` (the order needs geometric factors;
x4 took > 8 min for the disc ramp alone).
"""
from __future__ import annotations

import argparse
import math
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, ROOT)

from _report import report, row  # noqa: E402

from fem_cqd.cli import load_case  # noqa: E402
from fem_cqd.electrical import Contact, build_device, ramp  # noqa: E402
from fem_cqd.errors import ConvergenceError  # noqa: E402
from fem_cqd.mesh import build_mesh  # noqa: E402
from fem_cqd.stack import lim2018  # noqa: E402

FACTORS = (1.0, 2 ** 0.5, 2.0)
VOLTS = (3.0, 4.0, 5.0, 6.0)
RAMP = tuple(np.round(np.arange(1.0, max(VOLTS) + 1e-9, 0.5), 3))
TOL = 0.05          # relative change of J against the finest level counted as converged


def level(case, geometry: str, factor: float) -> dict:
    stack = lim2018(geometry, params=case.PARAMS)
    dm = build_mesh(stack, case.OPERATING_MESH.scaled(factor))
    a = stack.aperture_half_width_um * 1e-6
    area = math.pi * a * a if geometry == "axisymmetric" else a
    dev = build_device(dm.electrical, [Contact("anode"), Contact("cathode")])
    t0 = time.perf_counter()
    try:
        states, stop = ramp(dev, "anode", RAMP, progress=False), None
    except ConvergenceError as exc:
        states, stop = exc.completed, str(exc)
    J = {round(s.voltages["anode"], 6): s.currents["anode"] / area / 1e4 for s in states}
    return {"nodes": int(dm.electrical.mesh.p.shape[1]), "J": J, "stop": stop, "seconds": time.perf_counter() - t0,
            "last_V": max(J) if J else None}


def geometry_rows(case, geometry: str, factors) -> list[dict]:
    rows, levels = [], {}
    for f in factors:
        levels[f] = lv = level(case, geometry, f)
        rows.append(row(f"{geometry}: refinement x{f:g} ({lv['nodes']} electrical nodes), ramp 1-{max(RAMP):g} V",
                        "seconds", lv["seconds"]))
        if lv["stop"]:
            rows.append(row(f"{geometry}: refinement x{f:g}: ramp stopped after {lv['last_V']} V: "
                            f"{lv['stop'][:140]}", "voltage_V", lv["last_V"]))
    for V in VOLTS:
        have = [f for f in factors if V in levels[f]["J"]]
        if len(have) < 2:
            rows.append(row(f"{geometry}: J at {V:g} V reached on {len(have)} level(s) only", "levels", float(len(have))))
            continue
        fine = max(have)
        ref = levels[fine]["J"][V]
        for f in have[:-1]:
            rows.append(row(f"{geometry}: J at {V:g} V, refinement x{f:g} vs x{fine:g}", "J_A_per_cm2",
                            levels[f]["J"][V], ref, TOL))
        if len(have) >= 3:
            f1, f2, f3 = have[-3:]
            d12, d23 = levels[f1]["J"][V] - levels[f2]["J"][V], levels[f2]["J"][V] - levels[f3]["J"][V]
            if d12 * d23 > 0 and math.isclose(f3 / f2, f2 / f1, rel_tol=1e-9):
                rows.append(row(f"{geometry}: J at {V:g} V, observed order from x{f1:g}, x{f2:g}, x{f3:g}",
                                "order", math.log(abs(d12 / d23)) / math.log(f2 / f1)))
            else:                                    # not in the asymptotic range: no order, the spread
                Js = [levels[f]["J"][V] for f in (f1, f2, f3)]
                rows.append(row(f"{geometry}: J at {V:g} V not monotone in x{f1:g}, x{f2:g}, x{f3:g}: "
                                "spread max/min - 1", "spread", max(Js) / min(Js) - 1))
    return rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--factors", type=float, nargs="+", default=list(FACTORS))
    a = ap.parse_args(argv)
    case = load_case("lim2018_device")
    t0 = time.perf_counter()
    rows = []
    for g in ("axisymmetric", "planar"):
        rows += geometry_rows(case, g, sorted(a.factors))
    rows.append(row("mesh_convergence total", "seconds", time.perf_counter() - t0))
    report("mesh_convergence", rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
