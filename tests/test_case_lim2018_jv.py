"""The reference-device J-V case at small size: runs, conserves current, writes its files, refuses
to overwrite, keeps converged points on a failed ramp; and the J-reconstruction regression."""
import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

from fem_cqd.errors import ConvergenceError, InputError

CASE = Path(__file__).resolve().parent.parent / "cases" / "lim2018_jv.py"


def load():
    spec = importlib.util.spec_from_file_location("lim2018_jv", CASE)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_column_diagnosis_matches_closed_forms():
    """1D slice at the aperture centre: the TCTA is injection-limited across the HOMO step."""
    case = load()
    col, sts, fail = case.solve_column(case.library(), vertical_cells=8, beta=3.0, biases=(4.0, 8.0))
    assert fail is None
    j4, j8 = case.column_J(col, sts[0]), case.column_J(col, sts[1])
    assert 0 < j4 < j8, "monotone J-V"
    # floor set by conditioning: the poly-TPD accumulation layer conducts ~1e10 x more than the
    # TCTA, so round-off in phi_p there (~1e-15 V) is ~1e-6-1e-5 of the terminal current
    assert abs(sts[1].currents["anode"] + sts[1].currents["cathode"]) <= 1e-4 * sts[1].currents["anode"]
    e = case.estimates(col, sts[1], case.library())
    assert np.isclose(e["ratio"], e["ratio_expected_Nv_exp(-dE/kT)"], rtol=1e-6)   # thermionic step
    assert 0.5 < e["J_drift_q_mu_p_F_A_per_cm2"] / j8 < 2.0                        # drift-limited TCTA
    assert 0.3 < e["J_sheet_closed_form_A_per_cm2"] / j8 < 3.0                     # accumulation closed form
    drops = case.layer_drops(col, sts[1])
    assert abs(drops["TCTA"]["dEfp_eV"]) > 0.6 * 8.0, "most of the bias drops across TCTA"


def test_quick_case_writes_outputs_and_refuses_overwrite(tmp_path):
    case = load()
    out = tmp_path / "jv"
    s = case.run(out, quick=True, biases=[4.0, 8.0], vertical_cells=3, with_diagnosis=False, lateral_scale=0.25)
    for name in ("jv.csv", "jv.png", "j_qd_vs_bias.png", "summary.json", "planar_8V.vtu", "axisymmetric_8V.vtu",
                 "planar_J_map.png", "planar_R_map.png", "planar_bands.png", "planar_lateral_J.png"):
        assert (out / name).stat().st_size > 0, name
    saved = json.loads((out / "summary.json").read_text())
    assert saved["failures"] == []
    for g in ("planar", "axisymmetric"):
        rows = saved["jv"][g]["rows"]
        J = [r["J_terminal_A_per_cm2"] for r in rows]
        assert 0 < J[0] < J[1], "monotone J-V"
        assert all(r["conservation"] < 1e-4 for r in rows), "anode and cathode currents agree"
        assert all(0 < r["photons_per_electron"] <= 1 + 1e-4 for r in rows)   # all QD recombination radiative
        # the element J carries the terminal current across the QD film (regression below)
        assert 0 < rows[-1]["share_through_aperture"] <= 1.05
    assert s["findings"] and s["headline"]
    # Regression (fem_cqd.electrical.state._reconstruct): no spurious J_y into the insulating spacer.
    # An unweighted fit over all 3 edges of the flat right triangles (hypotenuse of zero EAFE weight
    # included) gave ~150 A/cm2 "into" the LiF for a terminal 1e-5 A/cm2.
    import meshio
    m = meshio.read(out / "planar_8V.vtu")
    c = m.points[m.cells[0].data].mean(axis=1)
    Jy = m.cell_data["J"][0][:, 1]
    under = (c[:, 0] > 52e-6) & (c[:, 1] > 190e-9) & (c[:, 1] < 200e-9)
    assert np.abs(Jy[under]).max() < 10 * saved["jv"]["planar"]["rows"][-1]["J_terminal_A_per_cm2"] * 1e4
    with pytest.raises(InputError, match="overwrite"):
        case.run(out, quick=True, biases=[4.0], with_diagnosis=False)


def test_failed_ramp_keeps_converged_points(tmp_path, monkeypatch):
    """A ramp that fails after converged points: they are kept, written, and the failure stated."""
    case = load()

    def failing(dev, contact, values, start=None, **kw):
        done = [start]                        # the equilibrium point, converged
        raise ConvergenceError("forced failure after the first point", last_state=start, completed=done)
    monkeypatch.setattr(case, "ramp", failing)
    s = case.run(tmp_path / "f", quick=True, biases=[4.0, 8.0], vertical_cells=3, with_diagnosis=False,
                 lateral_scale=0.25)
    assert len(s["failures"]) == 2 and "forced failure" in s["failures"][0]
    assert all(len(s["jv"][g]["rows"]) == 1 for g in ("planar", "axisymmetric"))
    assert (tmp_path / "f" / "jv.csv").is_file() and (tmp_path / "f" / "summary.json").is_file()
    assert any("failure" in f.lower() for f in s["findings"])


def test_quasi_fermi_levels_stay_between_contact_voltages():
    """Regression (fem_cqd.electrical.newton._fermi_bounds): Newton iterates clip phi_n, phi_p to
    the contact-voltage range (+10 V_T); without it phi_n of the absent electrons in poly-TPD
    wandered to +-30 V, overflowed exp() and failed steps on the 2D stack. Converged solutions
    obey the maximum principle, so the clip is inactive there."""
    from fem_cqd.electrical import build_device, solve_bias
    from fem_cqd.electrical.newton import _fermi_bounds
    from fem_cqd.mesh import MeshOptions, build_mesh
    from fem_cqd.stack import lim2018
    case = load()
    tm = build_mesh(lim2018("planar"), MeshOptions().scaled(0.5)).electrical
    dev = build_device(tm, case.contacts())
    s = solve_bias(dev, {"anode": 3.0})
    live = dev.node_semi | dev.node_cond
    for phi in (s.phi_n[live], s.phi_p[live]):
        assert phi.min() >= -1e-6 and phi.max() <= 3.0 + 1e-6
    z = s.x.copy()
    z[1::3][live] = 40.0
    _fermi_bounds(dev, {"anode": 3.0, "cathode": 0.0})(z)
    assert np.allclose(z[1::3][live], 3.0 + 10 * dev.VT_ref)
