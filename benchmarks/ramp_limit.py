"""Where the laser-design stripes' current ramp ends, and what the device looks like there.

Every rectangular-spacer table of ``cases/laser_design.py`` stops near 23 V (its 70 A/cm^2 point
fails), the 45 deg taper's near 37 V. This diagnostic ramps ``laser_device`` stripes (``DEVICES``:
20 um rectangular, 100 um 45 deg taper; glass, ``lim2018_operating``) isothermally in 1 V steps
(``fem_cqd.electrical.newton.ramp``) until Newton stops, on the quick and the operating mesh (the taper on the quick
mesh only: its gmsh edge window made the ramp run > 25 min), and reports at the last converged
voltage, along the TCTA/spacer interface outside the aperture:

- the largest hole density in TCTA there over TCTA's site density N0 (Gaussian DOS: p < N0);
- the field across the spacer under that node (its potential drop over its thickness).

Near p -> N0 the accumulation layer of the spacer capacitor fills the hopping sites; the field is
then near the dielectric breakdown of thin insulators, which the model does not include. No
references: a diagnostic table (``benchmarks/results/ramp_limit.json``).
Run: ``python3 benchmarks/ramp_limit.py [--quick-only]`` (~3 min on 2 cores).
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))

from _report import report, row  # noqa: E402

from fem_cqd.electrical.newton import ramp  # noqa: E402
from fem_cqd.errors import ConvergenceError  # noqa: E402
from fem_cqd.studies import laser_device_values, reference_device  # noqa: E402

DEVICES = {"20 um stripe": {"aperture_um": 20.0}, "100 um stripe, 45 deg taper": {"aperture_um": 100.0, "taper_angle_deg": 45.0}}
OPERATING_MESH_DEVICES = ("20 um stripe",)
VOLTAGES = np.arange(2.0, 60.0, 1.0)


def region_nodes(tmesh, region: str) -> np.ndarray:
    return np.unique(tmesh.mesh.t[:, tmesh.elements_of(region)])


def ramp_end(name: str, quick: bool) -> list[dict]:
    values = laser_device_values({**DEVICES[name], "substrate": "glass", "geometry": "planar",
                                  "params": "lim2018_operating", "quick": quick})
    _, _, et, _ = reference_device(values)
    dev, tm = et.device, et.device.tmesh
    mesh = f"{'quick' if quick else 'operating'} mesh, {dev.n_nodes} nodes"
    t0 = time.perf_counter()
    try:
        state, stop = ramp(dev, "anode", VOLTAGES, progress=False)[-1], f"none up to {VOLTAGES[-1]:g} V"
    except ConvergenceError as exc:
        state, stop = exc.last_state, str(exc).split("failed: ")[-1].split(" (")[0][:80]
    iface = np.intersect1d(region_nodes(tm, "TCTA"), region_nodes(tm, "spacer"))
    k = iface[np.argmax(state.p[iface])]
    top = np.intersect1d(region_nodes(tm, "spacer"), region_nodes(tm, "CQD"))
    j = top[np.argmin(np.abs(tm.mesh.p[0, top] - tm.mesh.p[0, k]))]
    tcta = tm.elements_of("TCTA")
    tcta = tcta[(tm.mesh.t[:, tcta] == k).any(axis=0)]
    N0 = float(dev.Nv[tcta].max())                 # the site density of the device's TCTA (m^-3)
    field = (state.psi[k] - state.psi[j]) / (tm.mesh.p[1, j] - tm.mesh.p[1, k])
    x_um = tm.mesh.p[0, k] * 1e6
    return [row(f"{name}, {mesh}: last converged voltage of the 1 V ramp (stop: {stop})", "voltage_V",
                state.voltages["anode"]),
            row(f"{name}, {mesh}: TCTA holes at the spacer (x = {x_um:.1f} um) / N0", "p_over_N0", state.p[k] / N0),
            row(f"{name}, {mesh}: field across the spacer there", "V_per_m", field),
            row(f"{name}, {mesh}: ramp time", "seconds", time.perf_counter() - t0)]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick-only", action="store_true", help="only the quick meshes (~1 min)")
    a = ap.parse_args(argv)
    runs = [(name, True) for name in DEVICES] + ([] if a.quick_only else [(n, False) for n in OPERATING_MESH_DEVICES])
    rows = [r for name, quick in runs for r in ramp_end(name, quick)]
    report("ramp_limit", rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
