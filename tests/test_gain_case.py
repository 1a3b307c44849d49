"""cases/lim2018_gain.py at reduced size: outputs, numbers, reconciliation, no silent overwrite."""
import json

import pytest

from fem_cqd.cli import load_case
from fem_cqd.errors import InputError

case = load_case("lim2018_gain")              # the one way tests load a case (as fem-cqd run does)


def test_lim2018_gain_case(tmp_path):
    out = tmp_path / "lim"
    s = case.run(out, n_j=7, n_lambda=41, n_grid=5, spectra_j_A_per_cm2=(3.0, 18.0))
    for name in ("n_vs_j.png", "spectra.png", "profile.png", "gain_vs_j.csv", "spectra.csv",
                 "profile.csv", "hypotheses.csv", "summary.json"):
        assert (out / name).stat().st_size > 0
    assert json.loads((out / "summary.json").read_text())["account"] == s["account"]
    lin = s["linear_mapping"]
    # PHYSICS.md consistency check: tau_X ~ 33 ns gives 3.2 at 18 A/cm^2, 0.5-0.7 at 3-4 A/cm^2
    assert lin["tau_x_fit_ns"] == pytest.approx(33.0, rel=0.02)
    assert lin["n_mean_at_3_and_4_A_per_cm2"] == pytest.approx([0.533, 0.711], rel=0.01)
    assert lin["j_1S_transparency_A_per_cm2"] == pytest.approx(18 * 1.146 / 3.2, rel=2e-3)
    assert s["this_run"]["n_mean_at_18_A_per_cm2"] < 3.2       # Auger caps the default film
    assert s["hypotheses"]["capture efficiency"]["status"] == "cannot"
    assert s["hypotheses"]["charged dots"]["status"] == "reconciles"
    with pytest.raises(InputError, match="output folder"):   # the common refusal (issue 11), not FileExistsError
        case.run(out, n_j=7, n_lambda=41, n_grid=5)
    assert not list(tmp_path.glob(".lim.*"))                      # no temporary folder left
    case.run(out, overwrite=True, n_j=5, n_lambda=41, n_grid=3, spectra_j_A_per_cm2=(18.0,))
    assert len((out / "gain_vs_j.csv").read_text().splitlines()) == 6
    assert not list(tmp_path.glob(".lim.*"))
