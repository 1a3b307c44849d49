"""The spacer-shape case, small: one tapered and rounded edge through the default case's chain."""
import json

import pytest

from fem_cqd.cli import load_case
from fem_cqd.errors import InputError


def test_quick_spacer_shape_writes_its_outputs_and_closes_the_current(tmp_path):
    case = load_case("spacer_shape")
    out = tmp_path / "ss"
    case.run(out, quick=True, shapes=((90.0, 0.0), (30.0, 5.0)), j_A_per_cm2=1.0)
    for name in ("summary.json", "spacer_shape.csv", "spacer_shape.png", "J_map_taper30_r5.png",
                 "taper30_r5/profile_planar_1A.csv"):
        assert (out / name).stat().st_size > 0, name
    summary = json.loads((out / "summary.json").read_text())
    vertical, r = summary["shapes"]
    # the rectangular spacer in the gmsh window against the tensor mesh, within the quick mesh's error
    diff = summary["tensor_reference"]["gmsh_window_minus_tensor"]
    assert abs(diff["voltage_V"]) < 0.01 * vertical["voltage_V"] and diff["n_mean_max_rel_in_aperture"] < 0.1
    assert "failed" not in r and r["terminal_j_A_per_cm2"] == pytest.approx(1.0, rel=1e-5)
    assert r["share_film_inside_aperture"] + r["share_film_outside_aperture"] == pytest.approx(
        r["recombination_share_in_qd"], rel=1e-9)
    assert r["j_rec_edge_over_centre"] >= 1.0 and r["energy_balance_rel"] < 1e-8
    assert "edge flips" in r["delaunay_repair"]


def test_bad_shape_is_refused_before_any_output(tmp_path):
    case = load_case("spacer_shape")
    with pytest.raises(InputError, match="taper_angle_deg"):
        case.run(tmp_path / "bad", quick=True, shapes=((95.0, 0.0),))
    assert not (tmp_path / "bad").exists()
