"""Pulse-train superposition against the closed form of a single-exponential step response."""
import math

import numpy as np
import pytest

from fem_cqd.errors import InputError
from fem_cqd.pulse_train import train_end_rise

TAU = 1e-3
DT_DC = 80.0


T_S = np.geomspace(1e-10, 50 * TAU, 4000)


def _exp_g():
    return T_S, DT_DC * (1 - np.exp(-T_S / TAU))


def _g_at(s):
    return DT_DC * (1 - np.exp(-s / TAU))


@pytest.mark.parametrize("width,duty", [(1e-6, 1e-3), (1e-5, 0.01), (1e-4, 0.1), (1e-3, 0.5), (1e-6, 0.9),
                                        (3e-3, 0.02)])
def test_exponential_train_matches_closed_form(width, duty):
    P = width / duty
    exact = DT_DC * (1 - math.exp(-width / TAU)) / (1 - math.exp(-P / TAU))
    got = train_end_rise(*_exp_g(), width, duty)
    assert got == pytest.approx(exact, rel=2e-3)


def test_limits_dc_and_single_pulse():
    g = _exp_g()
    assert train_end_rise(*g, 1e-6, 1.0) == pytest.approx(DT_DC, rel=1e-3)
    # a period far beyond the thermal time: the single pulse g(w)
    w, D = 1e-4, 1e-6
    assert train_end_rise(*g, w, D) == pytest.approx(_g_at(w), rel=1e-5)   # 4000 log-spaced samples
    # the rise grows with the duty cycle at a fixed width
    rises = [train_end_rise(*g, 1e-5, d) for d in (1e-3, 1e-2, 1e-1, 0.5, 1.0)]
    assert np.all(np.diff(rises) > 0)


def test_bad_input_names_the_field():
    g = _exp_g()
    with pytest.raises(InputError, match="duty"):
        train_end_rise(*g, 1e-6, 0.0)
    with pytest.raises(InputError, match="width_s"):
        train_end_rise(*g, -1.0, 0.5)
    with pytest.raises(InputError, match="times_s"):
        train_end_rise([1.0, 0.5], [1.0, 2.0], 1e-6, 0.5)


def test_many_responses_at_once():
    t, g = _exp_g()
    both = train_end_rise(t, np.stack([g, 2 * g]), 1e-5, 0.1)
    assert both[1] == pytest.approx(2 * both[0], rel=1e-12)
