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


def test_superposition_matches_a_direct_pulse_train_transient():
    """A heated spot on a glass slab (linear heat): the end-of-pulse rise of 40 pulses solved
    directly (rectangular_pulses, the train's periodic state reached) equals the superposition of
    the same solver's step response -- the premise of fem_cqd.design_search's pulse trains."""
    from fem_cqd.custom_mesh import tensor_mesh, with_boundary
    from fem_cqd.materials import load_library
    from fem_cqd.thermal import Dirichlet, rectangular_pulses, solve_transient, time_grid

    lib = load_library()
    L = 100e-6
    x = np.linspace(0.0, 2 * L, 21)
    y = np.linspace(0.0, L, 11)
    tm = with_boundary(tensor_mesh(x, y, "glass", {"glass": lib["glass"]}), "spot",
                       lambda p: (p[1] > L * (1 - 1e-12)) & (p[0] <= 0.5 * L))
    bcs = {"bottom": Dirichlet(T_K=300.0)}
    flux = {"spot": 2e6}
    probe = int(np.argmin(np.hypot(tm.mesh.p[0], tm.mesh.p[1] - L)))
    width, duty = 2e-3, 0.25
    period = width / duty
    n = 40
    amp, edges = rectangular_pulses(width, period, n)
    end = (n - 1) * period + width
    grid = np.union1d(np.arange(1, int(round(end / 1e-4)) + 1) * 1e-4, edges[edges <= end])
    direct = solve_transient(tm, [end], bcs, surface_flux=flux, amplitude=amp, grid=grid, progress=False)
    t = np.geomspace(1e-4, 2.0, 200)
    step = solve_transient(tm, t, bcs, surface_flux=flux, grid=time_grid(2.0, 1e-4, 40, include=t), progress=False)
    g = step.T[:, probe] - 300.0
    dc = g[-1]
    # measured 70.06 K direct vs 69.67 K superposed (0.55 %: time steps, 200 log samples of g)
    assert direct.T[-1, probe] - 300.0 == pytest.approx(float(train_end_rise(t, g, width, duty)), rel=0.01)
    assert 0.3 * dc < direct.T[-1, probe] - 300.0 < dc            # between the mean rise and DC
