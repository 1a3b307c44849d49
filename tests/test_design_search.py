"""Laser design search: threshold from a design table against the gain model's own threshold,
feasibility under the damage limit, and a small laser_device table (quick mesh)."""
import math

import numpy as np
import pytest

from fem_cqd import design_search as ds
from fem_cqd.gain import QDParams
from fem_cqd.gain.model import threshold_current_density

QD = QDParams()
TIMES = np.geomspace(1e-9, 1.0, 60)
TAU = 1e-3


def _table(rise_per_A2cm4: float, js=np.geomspace(5.0, 400.0, 12)):
    """A uniform film (two equal columns inside the aperture) recombining the whole terminal
    current, J_rec = J, heated by rise = c J^2 with a single time constant."""
    n_x = 2
    j_rec = np.repeat(js[:, None] * 1e4, n_x, axis=1)
    dc = rise_per_A2cm4 * js ** 2
    steps = dc[:, None, None] * np.ones(n_x)[None, :, None] * (1 - np.exp(-TIMES / TAU))[None, None, :]
    return ds.DeviceTable(js, 3.0 + 0.01 * js, np.array([0.0, 1e-6]), np.array([1e-6, 1e-6]), np.ones(n_x), j_rec,
                          TIMES, steps, 300.0)


def test_threshold_of_a_cold_uniform_film_is_the_gain_models():
    tb = _table(1e-12)                                  # no heating to speak of
    g_th = 300e2
    got = ds.threshold(tb, g_th, 1e-6, 1e-3, QD)
    ref = threshold_current_density(g_th, ds.wavelength_grid_m(np.array([300.0]), QD), 300.0, QD) / 1e4
    assert got["j_th_A_per_cm2"] == pytest.approx(ref, rel=1e-6)
    assert got["peak_rise_K"] < 1e-6 and not got["at_first_row"]


def test_heating_raises_the_threshold_and_the_damage_limit_binds():
    cold = ds.threshold(_table(1e-12), 300e2, 1e-4, 1.0, QD)
    hot = ds.threshold(_table(5e-3), 300e2, 1e-4, 1.0, QD)     # DC: rise 5e-3 J^2 (J = 60 A/cm^2: +18 K)
    assert hot["j_th_A_per_cm2"] > cold["j_th_A_per_cm2"]
    assert hot["peak_rise_K"] == pytest.approx(5e-3 * hot["j_th_A_per_cm2"] ** 2, rel=0.05)
    # the same table under short, rare pulses is back near the cold threshold
    pulsed = ds.threshold(_table(5e-3), 300e2, 1e-6, 1e-3, QD)
    assert pulsed["j_th_A_per_cm2"] == pytest.approx(cold["j_th_A_per_cm2"], rel=0.01)


def test_out_of_reach_gain_is_infinite_and_scored_by_its_deficit():
    tb = _table(1e-12)
    th = ds.threshold(tb, 1e7, 1e-6, 1e-3, QD)
    assert math.isinf(th["j_th_A_per_cm2"]) and th["g_reach_per_cm"] > 0
    # rows hotter than GAIN_T_MAX_K under the train are left out, not passed to the gain model
    scorched = ds.threshold(_table(5.0), 300e2, 1e-4, 1.0, QD)
    assert math.isinf(scorched["j_th_A_per_cm2"]) and math.isfinite(scorched["g_reach_per_cm"])

    class Flat:                                          # a cavity of constant g_th
        def __init__(self, g):
            self.g = g

        def g_th_per_cm_at(self, core_nm):
            return self.g
    far = ds.evaluate_design(tb, Flat(1e5), 100.0, 1e-3, 1e-6, QD, 100.0)
    near = ds.evaluate_design(tb, Flat(1e4), 100.0, 1e-3, 1e-6, QD, 100.0)
    ok = ds.evaluate_design(tb, Flat(300.0), 100.0, 1e-3, 1e-6, QD, 100.0)
    hot = ds.evaluate_design(_table(0.05), Flat(300.0), 100.0, 1.0, 1e-6, QD, 100.0)   # DC: ~180 K at J_th
    assert ok["feasible"] and not hot["feasible"] and not near["feasible"]
    assert ok["score"] < hot["score"] < near["score"] < far["score"]


def test_best_design_maximises_the_duty_cycle_under_the_limit():
    tb = _table(5e-3)

    class Flat:
        def g_th_per_cm_at(self, core_nm):
            return 300.0
    best = ds.best_design(tb, Flat(), QD, 30.0, maxiter=15)
    assert best["feasible"] and best["peak_rise_K"] <= 30.0
    # a larger duty at the best width is out of the limit
    over = ds.evaluate_design(tb, Flat(), 100.0, min(1.0, 2 * best["duty"]), best["width_s"], QD, 30.0)
    assert not over["feasible"] or best["duty"] > 0.99


def test_cavity_gain_names_a_bad_core():
    from fem_cqd.errors import InputError
    from fem_cqd.stack import lim2018
    with pytest.raises(InputError, match="core_layer"):
        ds.cavity_gain(lim2018("planar"), 100.0, 20.0, core_layer="spacer-oxide")
    with pytest.raises(InputError, match="core_nm"):
        ds.cavity_gain(lim2018("planar"), -5.0, 20.0)


def test_laser_device_table_on_a_heat_only_substrate(tmp_path):
    """Quick mesh, diamond heat spreader (a heat-only material: not in the electrical mesh): two
    currents; the step response ends at the steady rise (checked inside the point) and grows
    with the current."""
    from fem_cqd.studies import laser_device
    out = laser_device({"quick": True, "substrate": "diamond", "j_A_per_cm2": [2.0, 5.0], "times": 21}, tmp_path)
    tb = ds.DeviceTable.load(tmp_path)
    assert out["j_max_A_per_cm2"] == 5.0 and tb.step_K.shape[0] == 2
    assert np.all(np.diff(tb.step_K[:, :, -1].max(axis=1)) > 0)
    assert np.all(np.diff(tb.step_K[1].max(axis=0)) >= -1e-9)      # heating up, monotonic in time
