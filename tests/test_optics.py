"""Slab-waveguide mode solver: closed forms, confinement limits, loss sign, convergence, input."""
import math

import numpy as np
import pytest

from fem_cqd.errors import InputError
from fem_cqd.gain import QDParams, evaluate
from fem_cqd.optics import (Layer, Slab, laser_threshold, modal_gain_per_m, solve_modes,
                            symmetric_slab_n_eff, threshold_gain_per_m)

LAM = 620e-9
N1, N2 = 1.9, 1.5


def slab(d, n_core=N1, n_sub=N2, n_cov=N2):
    return Slab([("qd", d, n_core)], n_sub, n_cov, "qd")


def device(qd_index=1.9):
    """ITO / QD / TCTA on glass, air cover (PHYSICS.md indices)."""
    return Slab([Layer("ito", 120e-9, 1.85 + 0.01j), Layer("qd", 40e-9, qd_index),
                 Layer("tcta", 60e-9, 1.75)], 1.52, 1.0, "qd")


@pytest.mark.parametrize("pol", ["TE", "TM"])
def test_symmetric_slab_against_transcendental_equation(pol):
    modes = solve_modes(slab(400e-9), LAM, pol, num_modes=2)
    for order, mode in enumerate(modes):
        ref = symmetric_slab_n_eff(N1, N2, 400e-9, LAM, pol, order)
        assert abs(mode.n_eff - ref) < 1e-6
        assert abs(mode.n_eff.imag) < 1e-12


def test_closed_form_te_tm_ordering():
    te, tm = (symmetric_slab_n_eff(N1, N2, 300e-9, LAM, p) for p in ("TE", "TM"))
    assert N2 < tm < te < N1


def test_p2_convergence_rate():
    ref = symmetric_slab_n_eff(N1, N2, 300e-9, LAM, "TE")
    err = [abs(solve_modes(slab(300e-9), LAM, h_max_m=LAM / n)[0].n_eff - ref)
           for n in (10, 20, 40)]
    rates = np.log2(np.array(err[:-1]) / err[1:])
    assert np.all(rates > 3.5)                      # O(h^4) eigenvalue error for P2
    assert abs(solve_modes(slab(300e-9), LAM)[0].n_eff - ref) < 1e-8   # default mesh


def test_confinement_limits():
    gam = [solve_modes(slab(d), LAM)[0].confinement for d in (5e-9, 50e-9, 300e-9, 3e-6)]
    assert gam[0] < 5e-3 and np.all(np.diff(gam) > 0)
    assert gam[-1] == pytest.approx(1.0, abs=2e-3)
    thick = solve_modes(slab(3e-6), LAM)[0]
    assert thick.field_fraction > 0.999


@pytest.mark.parametrize("pol", ["TE", "TM"])
def test_confinement_is_the_derivative_of_modal_loss(pol):
    m0 = solve_modes(device(), LAM, pol)[0]
    dk = 1e-6
    m1 = solve_modes(device(1.9 + 1j * dk), LAM, pol)[0]
    assert (m1.n_eff.imag - m0.n_eff.imag) / dk == pytest.approx(m0.confinement, rel=1e-4)


def test_te_confinement_equals_weighted_power_fraction():
    m = solve_modes(slab(200e-9), LAM)[0]
    assert m.confinement == pytest.approx(N1 / m.n_eff.real * m.field_fraction, rel=1e-9)


def test_loss_sign():
    assert solve_modes(slab(200e-9), LAM)[0].loss_per_m == pytest.approx(0.0, abs=1e-6)
    lossy = solve_modes(slab(200e-9, n_cov=N2 + 1e-3j), LAM)[0]
    assert lossy.loss_per_m > 0
    gain = solve_modes(slab(200e-9, n_core=N1 - 1e-3j), LAM)[0]
    assert gain.loss_per_m < 0
    assert gain.loss_per_m == pytest.approx(-2 * 2 * math.pi / LAM * 1e-3 * gain.confinement,
                                            rel=1e-3)
    metal = Slab([("qd", 200e-9, N1), ("ag", 100e-9, 0.13 + 3.9j)], N2, 1.0, "qd")
    assert solve_modes(metal, LAM)[0].loss_per_m > 0


def test_modal_gain_and_threshold():
    mode = solve_modes(device(), LAM)[0]
    g_th = threshold_gain_per_m(mode, cavity_loss_per_cm=20.0)
    assert modal_gain_per_m(mode, g_th) == pytest.approx(2000.0, rel=1e-9)
    assert g_th == pytest.approx((mode.loss_per_m + 2000.0) / mode.confinement, rel=1e-12)
    mode = solve_modes(slab(200e-9), LAM)[0]
    lam = np.linspace(580e-9, 670e-9, 181)
    p = QDParams()
    th = laser_threshold(mode, 20.0, lam, p=p)
    peak = evaluate(th["j_th_A_per_cm2"] * 1e4, 300.0, lam, p).peak_g_per_m[0]
    assert peak == pytest.approx(th["g_th_per_cm"] * 100, rel=1e-8)
    assert laser_threshold(mode, 1e5, lam, p=p)["j_th_A_per_cm2"] == math.inf


def test_bad_input():
    with pytest.raises(InputError, match="qd_layer") as err:
        Slab([("ito", 100e-9, 1.85), ("tcta", 50e-9, 1.75)], 1.52, 1.0, "qd")
    assert "'ito'" in err.value.allowed
    with pytest.raises(InputError, match="thickness_m"):
        Slab([("qd", 0.0, 1.9)], 1.52, 1.0, "qd")
    with pytest.raises(InputError, match="layers"):
        Slab([("qd", 1e-8, 1.9), ("qd", 1e-8, 1.9)], 1.52, 1.0, "qd")
    with pytest.raises(InputError, match="n_cover"):
        Slab([("qd", 1e-7, 1.9)], 1.52, -1.0, "qd")
    with pytest.raises(InputError, match="polarization"):
        solve_modes(slab(2e-7), LAM, "TEM")
    with pytest.raises(InputError, match="slab"):      # asymmetric slab below TE0 cut-off
        solve_modes(Slab([("qd", 20e-9, 1.6)], 1.52, 1.0, "qd"), LAM, max_cladding_m=10e-6)
    with pytest.raises(InputError, match="order"):
        symmetric_slab_n_eff(N1, N2, 50e-9, LAM, "TE", order=1)


def test_slab_from_the_reference_stack_is_guided_and_lossy_through_the_metal():
    from fem_cqd.optics import slab_from_stack
    from fem_cqd.stack import lim2018
    stack = lim2018()
    slab = slab_from_stack(stack)
    assert [lay.name for lay in slab.layers] == [lay.name for lay in stack.layers]
    tcta = slab.layers[[lay.name for lay in slab.layers].index("TCTA")]
    assert abs(tcta.thickness_m - (10 + 50) * 1e-9) < 1e-15          # the aperture is filled by TCTA
    mode = solve_modes(slab, 620e-9, "TE")[0]
    assert 1.52 < mode.n_eff.real < 1.9                                 # guided above glass
    assert mode.loss_per_m > 0 and 0 < mode.confinement < 1             # Al and ITO absorb
