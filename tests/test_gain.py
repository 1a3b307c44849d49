"""Gain stage: closed-form limits of the occupancy model, filling, spectra, inversion, bad input."""
import math

import numpy as np
import pytest
from scipy.integrate import solve_ivp
from scipy.optimize import brentq
from scipy.stats import poisson

from fem_cqd.constants import q
from fem_cqd.errors import InputError
from fem_cqd.gain import (QDParams, decay_rates, evaluate, excitation_rate, gain_spectrum,
                          generator, inversion, mean_excitons, occupancy, quantum_yield,
                          saturated_peak_gain_per_m, single_exciton_rates, steady_state,
                          threshold_current_density, transient, transparency_current_density,
                          valid_wavelength_range_m)
from fem_cqd.gain.model import current_density_for_mean_excitons
from fem_cqd.gain.occupancy import expm_batched

POISSON = QDParams(radiative_exponent=1.0, tau_xx_auger_ns=None, qy_x=1.0, n_max=40,
                   tail_tol=1e-8)
LAM = np.linspace(570e-9, 680e-9, 221)
A_CM2 = 1e4


def delta(N, n_max=12):
    P = np.zeros((1, n_max + 1))
    P[0, N] = 1.0
    return P


def test_areal_density_matches_physics_sheet():
    assert QDParams().dots_per_m2 * 1e-4 == pytest.approx(1.1547e12, rel=1e-4)
    j = 18 * A_CM2
    assert excitation_rate(j, QDParams(monolayers=2, capture_efficiency=0.5))[0] == \
        pytest.approx(j / (q * QDParams().dots_per_m2) / 4)


def test_poisson_transparency_at_1146():
    n_ref = brentq(lambda n: math.exp(-n) * (2 + n) - 1, 0.5, 2.0)
    assert n_ref == pytest.approx(1.146, abs=1e-3)
    j_tr = transparency_current_density("1S", p=POISSON)
    n_tr = occupancy(j_tr, 300.0, POISSON).n_mean[0]
    assert n_tr == pytest.approx(n_ref, rel=1e-6)
    # <N> = G tau_X in the Poisson limit
    assert n_tr == pytest.approx(excitation_rate(j_tr, POISSON)[0] * 30e-9, rel=1e-9)


def test_band_edge_gain_saturates_for_large_n():
    j = current_density_for_mean_excitons(1.0, p=POISSON) * np.array([4.0, 8.0, 12.0])
    occ = occupancy(j, 300.0, POISSON)
    assert occ.n_mean == pytest.approx([4.0, 8.0, 12.0], rel=1e-9)
    x = occ.inversion["1S"]
    assert x[0] > 0.85 and x[2] > 0.9999 and abs(x[2] - x[1]) < 0.01
    # the 1S band's gain saturates at g_max (its full-inversion peak)
    g1s = gain_spectrum([620e-9], {"1S": x, "1P": 0 * x}, np.full(3, 300.0), POISSON)[:, 0]
    assert g1s[2] / 100 == pytest.approx(1000.0, rel=1e-3) and g1s[0] < g1s[1] < g1s[2]


def test_birth_death_equals_closed_form_and_null_vector():
    rng = np.random.default_rng(1)
    k = np.concatenate([np.zeros((5, 1)), rng.uniform(1e7, 1e9, (5, 12))], axis=1)
    G = rng.uniform(1e6, 5e7, 5)
    P = steady_state(G, k, QDParams())
    closed = np.cumprod(np.concatenate([np.ones((5, 1)), G[:, None] / k[:, 1:]], axis=1), axis=1)
    closed /= closed.sum(axis=1, keepdims=True)
    assert np.allclose(P, closed, rtol=1e-12, atol=1e-300)
    A = generator(G, k)
    assert np.abs(np.einsum("pij,pj->pi", A, P)).max() < 1e-12 * np.abs(A).max()


def test_birth_death_reduces_to_poisson():
    tau = 25e-9
    table = tuple(m / (tau * 1e9) for m in range(1, 41))
    p = QDParams(rate_table_per_ns=table, n_max=40, tail_tol=1e-9)
    G = np.array([1e6, 4e7, 2e8])
    P = steady_state(G, decay_rates(300.0, p)[[0, 0, 0]], p)
    ref = poisson.pmf(np.arange(41)[None, :], (G * tau)[:, None])
    assert np.abs(P - ref).max() < 1e-12
    assert mean_excitons(P) == pytest.approx(G * tau, rel=1e-9)


def test_three_state_transparency():
    tau_x, tau_xx = 30.0, 2.0
    table = (1 / tau_x, 1 / tau_xx) + (1e12,) * 10   # no triexcitons
    p = QDParams(rate_table_per_ns=table, monolayers=2, capture_efficiency=0.8)
    j_tr = transparency_current_density("1S", p=p)
    G = excitation_rate(j_tr, p)[0]
    assert G == pytest.approx(1e9 / math.sqrt(tau_x * tau_xx), rel=1e-9)
    j_closed = q * p.dots_per_m2 / (p.capture_efficiency * math.sqrt(tau_x * tau_xx) * 1e-9)
    assert j_tr == pytest.approx(j_closed, rel=1e-9)


def test_statistical_rate_scaling():
    p = QDParams(qy_x=1.0, charged_fraction=0.0)
    k = decay_rates(300.0, p)[0] * 1e-9
    k_x, k_xx_a = 1 / 30.0, 1 / 3.0
    N = np.arange(13)
    assert k == pytest.approx(N**2 * k_x + k_xx_a * N**2 * (N - 1) / 4, rel=1e-12)
    trion = decay_rates(300.0, p, extra_electrons=1)[0, 1] * 1e-9   # X-: 2 k_X,r + k_XX,A / 4
    assert trion == pytest.approx(2 * k_x + k_xx_a / 4, rel=1e-12)


def test_lifetime_and_yield_vs_temperature():
    p = QDParams()
    T = np.array([250.0, 300.0, 400.0])
    k_r, k_nr = single_exciton_rates(T, p)
    assert 1 / (k_r[1] + k_nr[1]) == pytest.approx(30e-9) and np.ptp(k_r) == 0
    qy = quantum_yield(T, p)
    assert qy[1] == pytest.approx(0.9) and qy[0] > qy[1] > qy[2]


def test_transient_relaxes_to_steady_state():
    p = QDParams()
    G = excitation_rate(np.array([0.0, 2.0, 20.0, 60.0]) * A_CM2, p)
    k = decay_rates(np.full(4, 320.0), p)
    t = np.linspace(0.0, 600e-9, 13)
    P = transient(G, k, t, p=p)
    assert P.shape == (13, 4, 13)
    assert P.min() >= 0 and P.max() <= 1 and np.allclose(P.sum(axis=-1), 1, atol=1e-12)
    assert np.abs(P[-1] - steady_state(G, k, p)).max() < 1e-8
    n = mean_excitons(P)
    assert np.all(np.diff(n[:, 2]) >= -1e-12)      # <N> rises monotonically from empty dots
    # independent check: stiff ODE integration of the master equation at one position
    A = generator(G, k)[3]
    ode = solve_ivp(lambda _, y: A @ y, (0, t[2]), P[0, 3], method="Radau", rtol=1e-10, atol=1e-13)
    assert np.abs(ode.y[:, -1] - P[2, 3]).max() < 1e-7
    # pulse off: decays back to empty dots
    off = transient(np.zeros(4), k, [2e-6], p0=P[-1], p=p)[0]
    assert off[:, 0] == pytest.approx(1.0, abs=1e-9)


def test_batched_expm_matches_scipy():
    from scipy.linalg import expm
    X = np.random.default_rng(3).normal(size=(4, 9, 9)) * np.array([0.1, 1, 10, 40])[:, None, None]
    ref = np.stack([expm(x) for x in X])
    assert np.abs(expm_batched(X) - ref).max() < 1e-11 * np.abs(ref).max()


def test_filling_model_inversions():
    assert inversion(delta(0), "1S")[0] == -1 and inversion(delta(0), "1P")[0] == -1
    assert inversion(delta(1), "1S")[0] == 0
    assert inversion(delta(2), "1S")[0] == 1 and inversion(delta(2), "1P")[0] == -1
    assert inversion(delta(5), "1P")[0] == 0 and inversion(delta(8), "1P")[0] == 1
    # negatively charged dot: X- already gives 1S gain; empty charged dot is half bleached
    assert inversion(delta(0), "1S", extra_electrons=1)[0] == -0.5
    assert inversion(delta(1), "1S", extra_electrons=1)[0] == 0.5


def test_charged_dots_lower_transparency():
    base = transparency_current_density("1S", p=POISSON)
    charged = transparency_current_density("1S", p=QDParams(
        radiative_exponent=1.0, tau_xx_auger_ns=None, qy_x=1.0, n_max=40, tail_tol=1e-8,
        charged_fraction=1.0))
    assert charged < 0.75 * base      # Wu 2017: ~1 extra electron halves the gain threshold


def test_gain_scale_shift_and_broadening():
    p = QDParams()
    one, zero = np.ones(1), np.zeros(1)
    g = gain_spectrum(LAM, {"1S": one, "1P": zero}, [300.0], p)[0]
    assert g.max() / 100 == pytest.approx(1000.0, rel=2e-3)
    assert LAM[np.argmax(g)] == pytest.approx(620e-9, abs=0.6e-9)
    hot = gain_spectrum(LAM, {"1S": one, "1P": zero}, [350.0], p)[0]
    shift = LAM[np.argmax(hot)] - LAM[np.argmax(g)]
    assert shift == pytest.approx(50 * 0.32e-3 / 2.0 * 620e-9, rel=0.1)   # ~5 nm red shift
    assert hot.max() < g.max()      # broader homogeneous line, same area
    E = 1239.84198 / (LAM * 1e9)
    area = [-np.trapezoid(s, E) for s in (g, hot)]
    assert area[1] == pytest.approx(area[0], rel=2e-2)   # Lorentzian wings leave the grid
    assert saturated_peak_gain_per_m(LAM, p=p) > g.max()


def test_evaluate_is_vectorised_and_consistent():
    p = QDParams(charged_fraction=0.3)
    j = np.linspace(0.0, 40.0, 500) * A_CM2
    T = np.linspace(290.0, 360.0, 500)
    maps = evaluate(j, T, LAM, p)
    assert maps.g_per_m.shape == (500, LAM.size)
    one = evaluate(j[[123]], T[[123]], LAM, p)
    assert np.allclose(one.g_per_m[0], maps.g_per_m[123], rtol=1e-12)
    assert maps.peak_g_per_m[123] == pytest.approx(maps.g_per_m[123].max())
    assert maps.at_wavelength(LAM[40])[123] == pytest.approx(maps.g_per_m[123, 40])
    assert maps.occupancy.P_charged.shape == (500, 13)


def test_threshold_current_density():
    p = QDParams()
    j_th = threshold_current_density(300e2, LAM, p=p)
    assert evaluate(j_th, 300.0, LAM, p).peak_g_per_m[0] == pytest.approx(300e2, rel=1e-8)
    assert threshold_current_density(1e7, LAM, p=p) == math.inf


@pytest.mark.parametrize("field,kwargs", [
    ("tau_x_ns", dict(tau_x_ns=0.0)), ("tau_x_ns", dict(tau_x_ns=-3.0)),
    ("tau_xx_auger_ns", dict(tau_xx_auger_ns=0.0)), ("diameter_nm", dict(diameter_nm=0.0)),
    ("monolayers", dict(monolayers=-1.0)), ("n_max", dict(n_max=5)),
    ("capture_efficiency", dict(capture_efficiency=1.2)), ("qy_x", dict(qy_x=0.0)),
    ("charged_fraction", dict(charged_fraction=1.5)),
    ("rate_table_per_ns", dict(rate_table_per_ns=(1.0, 2.0))),
    ("rate_table_per_ns", dict(rate_table_per_ns=(1.0,) * 12, charged_fraction=0.5)),
])
def test_bad_parameters(field, kwargs):
    with pytest.raises(InputError, match=field) as err:
        QDParams(**kwargs)
    assert err.value.field == field


def test_bad_arrays():
    with pytest.raises(InputError, match="j_rec_A_per_m2"):
        occupancy([-1.0], 300.0)
    with pytest.raises(InputError, match="T_K"):
        occupancy([1.0], 0.0)
    with pytest.raises(InputError, match="n_max") as err:   # <N> ~ 9 needs more than 12
        occupancy(200 * A_CM2, 300.0, QDParams(radiative_exponent=1.0, tau_xx_auger_ns=None))
    assert "raise n_max" in str(err.value)
    lo, hi = valid_wavelength_range_m(300.0)
    with pytest.raises(InputError, match="wavelength_m") as err:
        evaluate(1e4, 300.0, np.linspace(400e-9, 650e-9, 5))
    assert f"{lo:.4g}" in str(err.value)
    with pytest.raises(InputError, match="wavelength_m"):
        evaluate(1e4, 300.0, [hi * 1.01])
    p = QDParams()
    k = decay_rates([300.0], p)
    with pytest.raises(InputError, match="p0"):       # probabilities that do not close
        transient([1e7], k, [1e-9], p0=np.full((1, 13), 0.1), p=p)
