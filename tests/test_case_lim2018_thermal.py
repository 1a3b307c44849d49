"""The reference-device thermal case at small size: runs, writes its files, gives sane numbers."""
import json

import pytest

from fem_cqd.cli import load_case
from fem_cqd.errors import InputError

def load():
    return load_case("lim2018_thermal")


def test_quick_case_writes_maps_plots_and_summary(tmp_path):
    case = load()
    out = tmp_path / "th"
    s = case.run(out, quick=True)
    for name in ("planar_dc.vtu", "axisymmetric_dc.vtu", "planar_dc_map.png", "planar_dc_aperture.png",
                 "pulse_T_vs_t.png", "pulse.csv", "summary.json"):
        assert (out / name).stat().st_size > 0, name
    saved = json.loads((out / "summary.json").read_text())
    for g in ("planar", "axisymmetric"):
        d = saved["dc"][g]
        # a stripe heats more than a disc of the same width; both below the film-free analytic bound
        assert 0 < d["qd_aperture_mean_rise_K"] <= d["qd_centre_rise_K"] <= d["peak_rise_K"]
        assert d["qd_centre_rise_K"] < d["analytic"]["centre_rise_K"]
        # round-off floor: the axisymmetric disc (nm films to a 2 mm radius) closes its balance to
        # 0.9e-6 / 1.0e-6 / 1.6e-6 depending only on where Newton stops (measured); planar ~1e-8
        assert d["heat_balance_imbalance"] < 1e-5
    assert saved["dc"]["planar"]["qd_centre_rise_K"] > 2 * saved["dc"]["axisymmetric"]["qd_centre_rise_K"]
    glass = [p for p in s["pulse"] if p["substrate"] == "glass"][0]
    assert glass["half_space_estimate_K"] * 0.9 < glass["rise_at_end_of_pulse_K"] < glass["half_space_plus_films_K"]
    with pytest.raises(InputError, match="overwrite"):
        case.run(out, quick=True)
