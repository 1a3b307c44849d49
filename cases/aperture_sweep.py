"""The current-focusing trade-off: aperture diameter 10-200 um at a fixed current density.

A smaller opening concentrates the current on less film (less total heat, spread by the substrate
in all directions), a larger one approaches the 1D film. For the disc (round aperture) with the
sourced parameter set ``lim2018_operating`` and the QD film's light from the gain model, at
``J_TARGET`` = 18 A/cm^2 over the aperture, DC and self-heated (the default case's chain,
:func:`cases.lim2018_device.point_summary`), per aperture diameter in ``APERTURES_UM``:
the voltage, peak temperature rise and QD-film mean temperature, excitons per dot and 1S inversion
at the centre and their spread across the aperture, peak material gain, and where the current goes:
the share recombining in the QD film inside the aperture, in the film outside it (lateral spreading
past the spacer's edge), and elsewhere.

Outputs in ``results/aperture_sweep/``: ``summary.json``, ``aperture_sweep.csv``, ``aperture_sweep.png``,
and per aperture the default case's maps and profile (``d<diameter>um/``).
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from fem_cqd import viz
from fem_cqd.cli import case_main, load_case
from fem_cqd.coupled import Electrothermal
from fem_cqd.errors import ConvergenceError
from fem_cqd.mesh import build_mesh
from fem_cqd.qd_profile import qd_film_profile
from fem_cqd.results import prepare_output_dir, write_csv, write_json
from fem_cqd.stack import lim2018

OUT_DEFAULT = Path("results/aperture_sweep")
APERTURES_UM = (10.0, 20.0, 50.0, 100.0, 200.0)
J_TARGET = 18.0
GEOMETRY = "axisymmetric"


def current_shares(dm, pt, stack) -> dict:
    """Shares of the terminal current recombining in the film inside / outside the aperture."""
    prof = qd_film_profile(dm.electrical, stack.qd_layer, pt.electrical.R_vertex, pt.electrical.T)
    return prof.current_shares(stack.aperture_half_width_um * 1e-6, pt.current)


def run_aperture(device, out: Path, d_um: float, quick: bool) -> dict:
    stack = lim2018(GEOMETRY, aperture_um=d_um, params=device.PARAMS)
    dm = build_mesh(stack, device.QUICK_MESH if quick else device.OPERATING_MESH)
    et = Electrothermal(dm, device.contacts(), qd_emission=device.QD)
    t0 = time.time()
    try:
        pt, _ = et.reach(j_A_per_cm2=J_TARGET, progress=False)
    except ConvergenceError as exc:
        return {"aperture_um": d_um, "failed": str(exc)[:400], "seconds": time.time() - t0}
    sub = out / f"d{d_um:g}um"
    sub.mkdir()
    op = device.point_summary(dm, et, pt, stack, device.slab_mode(stack), sub, GEOMETRY, J_TARGET, time.time() - t0)
    prof = op.pop("profile")
    inside = np.asarray(prof["x_um"]) <= d_um / 2
    n_in = np.asarray(prof["excitons_per_dot"])[inside]
    return {"aperture_um": d_um, **op, "current_share": current_shares(dm, pt, stack),
            "n_mean_spread_in_aperture": float((n_in.max() - n_in.min()) / n_in.mean()),
            "electrical_nodes": int(dm.electrical.mesh.p.shape[1])}


def run(out_dir=OUT_DEFAULT, overwrite: bool = False, quick: bool = False, apertures_um=APERTURES_UM) -> dict:
    out = prepare_output_dir(out_dir, overwrite)
    device = load_case("lim2018_device")
    t0 = time.time()
    rows = []
    for d in tqdm(apertures_um, desc="aperture_sweep", unit="aperture"):
        rows.append(run_aperture(device, out, float(d), quick))
    ok = [r for r in rows if "failed" not in r]
    cols = {"aperture_um": [r["aperture_um"] for r in ok], "voltage_V": [r["voltage_V"] for r in ok],
            "peak_rise_K": [r["peak_rise_K"] for r in ok], "qd_mean_T_K": [r["qd_mean_T_K"] for r in ok],
            "n_mean_centre": [r["n_mean_centre"] for r in ok], "inversion_1S_max": [r["inversion_1S_max"] for r in ok],
            "peak_gain_per_cm": [r["peak_gain_per_cm"] for r in ok],
            "share_film_inside": [r["current_share"]["film_inside_aperture"] for r in ok],
            "share_film_outside": [r["current_share"]["film_outside_aperture"] for r in ok],
            "share_elsewhere": [r["current_share"]["elsewhere"] for r in ok]}
    write_csv(out / "aperture_sweep.csv", cols)
    d = cols["aperture_um"]
    viz.line_plot(out / "aperture_sweep.png", [
        {"x": d, "y": cols["peak_rise_K"], "label": "peak rise (K)", "style": "r-o"},
        {"x": d, "y": [10 * v for v in cols["n_mean_centre"]], "label": "10 x <N> at the centre", "style": "b-o"},
        {"x": d, "y": [100 * v for v in cols["share_film_inside"]], "label": "% of I recombining in the film "
         "inside the aperture", "style": "g-o"}],
        xlabel="aperture diameter (um)", ylabel="value", logx=True,
        title=f"disc at {J_TARGET:g} A/cm2, DC self-heated (lim2018_operating)")
    s = {"case": "aperture_sweep", "quick": quick, "geometry": GEOMETRY, "j_A_per_cm2": J_TARGET,
         "parameter_set": device.PARAMS, "apertures": rows, "seconds": time.time() - t0}
    s["headline"] = [f"{r['aperture_um']:g} um: FAILED {r['failed'][:120]}" if "failed" in r else
                     (f"{r['aperture_um']:g} um: {r['voltage_V']:.3f} V, +{r['peak_rise_K']:.1f} K, centre <N> "
                      f"{r['n_mean_centre']:.2f}, in-film share inside/outside/elsewhere "
                      f"{r['current_share']['film_inside_aperture']:.2f}/{r['current_share']['film_outside_aperture']:.2f}"
                      f"/{r['current_share']['elsewhere']:.2f}") for r in rows]
    write_json(out / "summary.json", s)
    return s


def main(argv=None) -> int:
    return case_main(run, __doc__, OUT_DEFAULT, argv)


if __name__ == "__main__":
    sys.exit(main())
