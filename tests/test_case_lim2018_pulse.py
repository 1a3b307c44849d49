"""The pulse case, small: an electrothermal 1 us pulse on glass and sapphire, gain at its end."""
import json

import pytest

from fem_cqd.cli import load_case


def test_quick_pulses_heat_glass_more_than_sapphire_and_feed_the_gain_stage(tmp_path):
    case = load_case("lim2018_pulse")
    out = tmp_path / "pulse"
    case.run(out, quick=True, pulse_j=(8.0,), substrates=("glass", "sapphire"), attempt_j=30.0)
    for name in ("summary.json", "pulse.csv", "pulse.png", "profile_glass_8A.csv", "profile_sapphire_8A.csv"):
        assert (out / name).stat().st_size > 0, name
    s = json.loads((out / "summary.json").read_text())
    assert s["attempt"]["reached"] and s["attempt"]["voltage_V"] > 0
    glass, sapphire = s["pulses"]
    for p in (glass, sapphire):
        assert "failed" not in p
        assert p["j_end_A_per_cm2"] == pytest.approx(8.0, rel=1e-6)
        rise = p["qd_peak_rise_K"]
        assert rise[4] > rise[0] > 0 and rise[-1] < rise[4]            # heats during the pulse, cools after
        assert p["n_mean_centre"] > 0 and -1 <= p["inversion_1S_max"] <= 1
    assert sapphire["qd_peak_rise_end_K"] < glass["qd_peak_rise_end_K"]
