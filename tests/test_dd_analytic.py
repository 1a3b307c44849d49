"""Drift-diffusion against analytic limits (small sizes of benchmarks/dd_analytic.py)."""

import numpy as np
import pytest

import dd_analytic as bench


@pytest.mark.parametrize("kind", ["conductor", "semiconductor"])
@pytest.mark.parametrize("geometry", ["planar", "axisymmetric"])
def test_ohmic_resistor(kind, geometry):
    R, Rex, st = bench.resistor(kind, geometry, n=10)
    assert abs(R / Rex - 1) < 1e-9
    assert abs(st.heat.sum() - st.power_in) <= 1e-8 * st.power_in     # all Joule heat


def test_disc_contact_on_thick_slab():
    R, Rex, _ = bench.disc_contact(n_r=30, ratio=1.25)
    assert abs(R / Rex - 1) < 0.02


def test_sclc_against_solve_bvp_and_mott_gurney():
    Vs = [1.0, 5.0, 20.0]
    J, states, tm = bench.sclc_fem(Vs)
    for V, j, st in zip(Vs, J, states):
        jb, _ = bench.sclc_bvp(V, guess=bench.fem_profile(tm, st))
        assert abs(j / jb - 1) < 0.01, (V, j / jb)
    ratio = J / bench.mott_gurney(Vs)
    assert np.all(np.diff(ratio) < 0) and np.all(ratio > 1) and ratio[-1] < 1.15   # -> 1 as V/V_T grows


def test_poole_frenkel_departs_monotonically():
    Vs = [1.0, 5.0, 20.0]
    J0, _, _ = bench.sclc_fem(Vs)
    Jpf, states, tm = bench.sclc_fem(Vs, gamma=1e-4)
    r = Jpf / J0
    assert np.all(r > 1) and np.all(np.diff(r) > 0)
    jb, _ = bench.sclc_bvp(5.0, gamma=1e-4, guess=bench.fem_profile(tm, states[1]), tol=1e-5)
    assert abs(Jpf[1] / jb - 1) < 0.01


def test_current_spreading_past_contact_edge():
    xb, Jx, Je, l0, st = bench.spreading()
    sel = (xb > 0) & (xb < 5 * l0)
    assert sel.sum() > 20
    model = Je / (1 + xb[sel] / l0) ** 2
    assert np.max(np.abs(Jx[sel] / model - 1)) < 0.05
    I = st.currents["edge"]
    assert abs(I + st.currents["bottom"]) <= 1e-9 * abs(I)


def test_second_order_nodal_convergence():
    hs, errs, orders = bench.convergence(levels=(1, 2, 3))
    assert 1.8 < orders[-1] < 2.3
