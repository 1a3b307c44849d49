"""The default case, small: isothermal and electrothermal J-V, an operating point, profile and gain."""
import json

import pytest

from fem_cqd.cli import load_case
from fem_cqd.errors import InputError

def load():
    return load_case("lim2018_device")


def test_quick_chain_writes_maps_and_a_consistent_summary(tmp_path):
    case = load()
    out = tmp_path / "dev"
    case.run(out, quick=True, geometries=("axisymmetric",), targets=(1.0,), iso_volts=(2.0, 4.0),
                 tcta_sweep_nm=(10.0, 30.0))
    for name in ("summary.json", "jv.csv", "jv.png", "profile.png", "axisymmetric_1A.vtu",
                 "axisymmetric_1A_thermal.vtu", "axisymmetric_J_map.png", "axisymmetric_T_map.png",
                 "profile_axisymmetric_1A.csv", "axisymmetric_bands.png", "tcta_path.png"):
        assert (out / name).stat().st_size > 0, name
    saved = json.loads((out / "summary.json").read_text())
    r = saved["geometries"]["axisymmetric"]
    assert "failures" not in r
    op = r["operating_points"]["1"]
    assert op["j_A_per_cm2"] == pytest.approx(1.0, rel=1e-5)
    assert op["energy"]["relative_imbalance"] < 1e-8             # power in = heat + light
    assert op["energy_balance_rel"] < 1e-8 and 0 <= op["j_rec_vs_terminal_rel"] < 1
    assert op["n_mean_max"] >= op["n_mean_centre"] > 0 and op["qd_mean_T_K"] > 300.0
    assert 0 < op["recombination_share_in_qd"] <= 1 + 1e-9
    assert op["peak_rise_K"] > 0 and op["qd_centre_T_K"] > 300.0
    # self-heating only adds current: the electrothermal curve lies on or above the isothermal one
    iso = {row["V"]: row["J_A_per_cm2"] for row in r["jv_operating_isothermal"]}
    et = {round(row["V"], 6): row["J_A_per_cm2"] for row in r["jv_operating_electrothermal"]}
    assert et[2.0] >= iso[2.0] * (1 - 1e-9)
    # the library stack (Boltzmann, 60 nm TCTA) carries far less at the same voltage
    lib = {row["V"]: row["J_A_per_cm2"] for row in r["jv_library_isothermal"]}
    gf = {row["V"]: row["J_A_per_cm2"] for row in r["jv_gauss_fermi_isothermal"]}
    assert lib[4.0] < gf[4.0], "Gauss-Fermi statistics raise the injection over the HOMO step"
    assert lib[4.0] < iso[4.0]
    # gain stage fed by the solved maps: <N> follows J_rec at the centre
    c = op["qd_centre"]
    assert c["excitons_per_dot"] > 0 and -1 <= c["inversion_1S"] <= 1
    assert saved["parameters"] and all(p["source"] for p in saved["parameters"])
    # a longer TCTA path carries less current at the same voltage
    sw = {row["tcta_path_nm"]: {r["V"]: r["J_A_per_cm2"] for r in row["jv"]} for row in saved["tcta_path_sweep"]}
    assert sw[40.0][4.0] < sw[20.0][4.0]
    assert saved["operating_point"]["axisymmetric"]["electrothermal"] is True
    with pytest.raises(InputError, match="output folder"):
        case.run(out, quick=True, geometries=("axisymmetric",), targets=(1.0,), iso_volts=(2.0,), tcta_sweep_nm=())
