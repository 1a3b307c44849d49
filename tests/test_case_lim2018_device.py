"""The default case, small: electrothermal operating point with the QD film's light from the gain
model, profile, gain and modal gain, maps; and the transport-comparison case."""
import json

import pytest

from fem_cqd.cli import load_case
from fem_cqd.errors import InputError
from fem_cqd.paramsets import load_parameter_set, write_parameter_set


def test_quick_chain_writes_maps_and_a_consistent_summary(tmp_path):
    case = load_case("lim2018_device")
    out = tmp_path / "dev"
    # the parameter set as a TOML file, as `fem-cqd fit` writes one (`fem-cqd run ... --params FILE`)
    params = write_parameter_set(load_parameter_set("lim2018_operating"), tmp_path / "set.toml")
    case.run(out, quick=True, geometries=("axisymmetric",), targets=(1.0,), params=params)
    for name in ("summary.json", "jv.csv", "jv.png", "profile.png", "axisymmetric_1A.vtu",
                 "axisymmetric_1A_thermal.vtu", "axisymmetric_J_map.png", "axisymmetric_T_map.png",
                 "profile_axisymmetric_1A.csv", "axisymmetric_bands.png"):
        assert (out / name).stat().st_size > 0, name
    saved = json.loads((out / "summary.json").read_text())
    assert saved["parameter_set"] == str(params)
    r = saved["geometries"]["axisymmetric"]
    assert "failures" not in r
    op = r["operating_points"]["1"]
    assert op["j_A_per_cm2"] == pytest.approx(1.0, rel=1e-5)
    assert op["energy_balance_rel"] < 1e-8                       # heat given to the solve + light = V I
    e = op["energy"]
    assert e["heat"] + e["light"] == pytest.approx(e["power_in"], rel=1e-8)
    assert 0 < op["photon_yield_centre"] <= 0.9 and 0 < e["light_share"] < 1
    assert 0 <= op["j_rec_vs_terminal_rel"] < 1 and 0 < op["recombination_share_in_qd"] <= 1 + 1e-9
    shares = op["recombination_share_by_region"]               # the profile integrates the solver's own boxes
    assert shares["CQD"] == pytest.approx(op["recombination_share_in_qd"], rel=1e-12)
    assert sum(shares.values()) <= 1 + 1e-9
    assert op["n_mean_max"] >= op["n_mean_centre"] > 0 and op["qd_mean_T_K"] > 300.0
    assert op["peak_rise_K"] > 0 and op["qd_centre_T_K"] > 300.0
    # modal gain = Gamma <g> - alpha of the slab mode recorded with the geometry
    m = r["slab_mode"]
    assert 0 < m["confinement"] < 1 and m["loss_per_cm"] > 0
    assert op["modal_gain_per_cm"] == pytest.approx(
        m["confinement"] * op["aperture_mean_peak_gain_per_cm"] - m["loss_per_cm"], rel=1e-9, abs=1e-9)
    c = op["qd_centre"]
    assert c["excitons_per_dot"] > 0 and -1 <= c["inversion_1S"] <= 1
    assert saved["parameters"] and all(p["source"] for p in saved["parameters"])
    assert saved["operating_point"]["axisymmetric"]["electrothermal"] is True
    assert [row["V"] for row in r["jv_electrothermal"]] == sorted(row["V"] for row in r["jv_electrothermal"])
    with pytest.raises(InputError, match="output folder"):
        case.run(out, quick=True, geometries=("axisymmetric",), targets=(1.0,))


def test_transport_case_orders_the_parameter_sets_and_the_tcta_path(tmp_path):
    case = load_case("lim2018_transport")
    out = tmp_path / "tr"
    s = case.run(out, quick=True, geometries=("axisymmetric",), volts=(2.0, 4.0), tcta_sweep_nm=(10.0, 30.0),
                 interface_v=(1e2, 1e-2))
    for name in ("summary.json", "jv.csv", "jv.png", "tcta_path.png", "interface.png"):
        assert (out / name).stat().st_size > 0, name
    J = {k: {row["V"]: row["J_A_per_cm2"] for row in rows} for k, rows in s["jv_isothermal"].items()}
    # Gauss-Fermi raises injection over the HOMO step; the operating set (0.30 eV step, 20 nm TCTA) more
    assert J["axisymmetric_library"][4.0] < J["axisymmetric_gauss_fermi"][4.0] < J["axisymmetric_operating"][4.0]
    sw = {row["tcta_path_nm"]: {r["V"]: r["J_A_per_cm2"] for r in row["jv"]} for row in s["tcta_path_sweep"]}
    assert sw[40.0][4.0] < sw[20.0][4.0]
    assert s["parameters"] and all(p["source"] for p in s["parameters"])
    # thermionic emission at poly-TPD/TCTA only lowers the current, the more the slower the interface
    ratio = {row["v_p_m_per_s"]: row["J_over_continuous"] for row in s["interface_kinetics"]}
    assert 0 < ratio[1e-2][-1] < ratio[1e2][-1] < 1
