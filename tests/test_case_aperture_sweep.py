"""The aperture sweep, small: one aperture through the default case's chain, current shares closed."""
import json

import pytest

from fem_cqd.cli import load_case


def test_quick_aperture_sweep_accounts_for_the_current(tmp_path):
    case = load_case("aperture_sweep")
    out = tmp_path / "ap"
    case.run(out, quick=True, apertures_um=(20.0,))
    for name in ("summary.json", "aperture_sweep.csv", "aperture_sweep.png", "d20um/profile_axisymmetric_18A.csv"):
        assert (out / name).stat().st_size > 0, name
    r, = json.loads((out / "summary.json").read_text())["apertures"]
    assert "failed" not in r and r["terminal_j_A_per_cm2"] == pytest.approx(18.0, rel=1e-5)
    sh = r["current_share"]
    assert sum(sh.values()) == pytest.approx(1.0, abs=1e-12)
    assert sh["film_inside_aperture"] + sh["film_outside_aperture"] == pytest.approx(r["recombination_share_in_qd"],
                                                                                     rel=1e-9)
    assert r["energy_balance_rel"] < 1e-8 and r["peak_rise_K"] > 0
