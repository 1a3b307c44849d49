"""Light and heat of the QD film: the gain model's photon yield, its limits, and energy conservation
when it is fed back into the electrothermal solve."""
import dataclasses

import numpy as np
import pytest

from fem_cqd import gain
from fem_cqd.constants import q
from fem_cqd.coupled import Electrothermal
from fem_cqd.electrical import Contact, build_device, solve_bias
from fem_cqd.errors import InputError
from fem_cqd.gain import QDParams
from fem_cqd.mesh import MeshOptions, build_mesh
from fem_cqd.qd_emission import QDFilmEmission
from fem_cqd.qd_profile import FilmColumns
from fem_cqd.stack import lim2018

OPT = MeshOptions(edge_cell_um=2.0, max_cell_fraction=0.2, lateral_ratio=2.0, layer_cell_nm=10.0,
                  min_cells_per_layer=3)
J = np.array([0.0, 1e2, 1e4, 18e4, 1e6])        # A/m^2


def test_photon_yield_tends_to_the_single_exciton_yield_and_falls_with_auger():
    for T in (250.0, 300.0, 380.0):
        Y = gain.photon_yield(J, T)
        assert Y[0] == pytest.approx(gain.quantum_yield(T)[0], rel=1e-14)
        assert np.all(np.diff(Y) < 0), "Auger takes a growing share as <N> grows"
    # independent excitons (p = 1, no Auger): every N-exciton state emits with the single-exciton yield
    p = QDParams(radiative_exponent=1.0, tau_xx_auger_ns=None)
    assert np.allclose(gain.photon_yield(J, 330.0, p), gain.quantum_yield(330.0, p)[0], rtol=1e-13)
    # capture efficiency scales it
    assert np.allclose(gain.photon_yield(J, 300.0, dataclasses.replace(p, capture_efficiency=0.5)),
                       0.5 * gain.quantum_yield(300.0, p)[0], rtol=1e-13)


def test_photon_yield_is_the_steady_state_photon_flux_per_excitation():
    """sum_N P_N k_N,r / G from the normalised steady state (flux balance: sum P_N k_N = G up to the
    truncated tail), for neutral and partly charged films."""
    for p in (QDParams(), QDParams(charged_fraction=0.4, radiative_exponent=1.5)):
        occ = gain.occupancy(J[1:], 300.0, p)
        G = occ.G_per_s
        flux = np.sum(occ.P * gain.radiative_rates(300.0, p), axis=1)
        if occ.P_charged is not None:
            c = p.extra_electrons
            flux = (1 - p.charged_fraction) * flux + p.charged_fraction * np.sum(
                occ.P_charged * gain.radiative_rates(300.0, p, c), axis=1)
        assert np.allclose(gain.photon_yield(J[1:], 300.0, p), flux / G, rtol=2 * p.tail_tol)
    with pytest.raises(InputError, match="rate_table_per_ns"):
        gain.photon_yield(J, 300.0, QDParams(rate_table_per_ns=tuple([0.1] * 12)))


@pytest.fixture(scope="module")
def solved():
    stack = lim2018("axisymmetric", params="lim2018_operating")
    dm = build_mesh(stack, OPT)
    dev = build_device(dm.electrical, [Contact("anode"), Contact("cathode")])
    st = solve_bias(dev, {"anode": 3.0})
    return dm, dev, st


def test_film_columns_integrate_recombination_with_the_solvers_own_boxes(solved):
    dm, dev, st = solved
    cols = FilmColumns(dm.electrical, "CQD")
    prof = cols.profile(st.R_vertex, st.T)
    el = cols.elements
    exact = q * float(np.sum(dev.geom.vol[:, el] * st.R_vertex[:, el]))
    assert exact > 0
    assert prof.recombination_current == pytest.approx(exact, rel=1e-12)


def test_split_conserves_energy_and_reduces_to_the_drift_diffusion_light_at_unit_yield(solved):
    dm, dev, st = solved
    ideal = QDParams(qy_x=1.0, radiative_exponent=1.0, tau_xx_auger_ns=None)   # Y = 1 at every <N>
    heat, light = QDFilmEmission(dev, "CQD", ideal)(st)
    assert light == pytest.approx(st.emitted_power, rel=1e-12)
    assert np.allclose(heat, st.heat, rtol=0, atol=1e-12 * np.abs(st.heat).max())
    hook = QDFilmEmission(dev, "CQD")
    heat, light = hook(st)
    assert abs(st.power_in - heat.sum() - light) < 1e-12 * st.power_in
    film_light, light_dd, Y = hook.split(st)
    assert light == pytest.approx(st.emitted_power - light_dd.sum() + film_light.sum(), rel=1e-14)
    assert 0 < light < st.emitted_power and np.all((Y > 0) & (Y <= 0.9 + 1e-12))
    with pytest.raises(InputError, match="params"):
        QDFilmEmission(dev, "CQD", params={"qy_x": 0.5})


def test_electrothermal_point_with_the_film_split_balances_energy_and_runs_hotter(solved):
    dm = solved[0]
    contacts = [Contact("anode"), Contact("cathode")]
    plain = Electrothermal(dm, contacts).operating_point(voltage_V=3.0)
    split = Electrothermal(dm, contacts, qd_emission=QDParams(qy_x=0.5)).operating_point(voltage_V=3.0)
    for pt in (plain, split):
        assert pt.energy_balance_rel < 1e-8
    assert split.light_W < plain.light_W and split.heat_W > plain.heat_W
    assert split.max_rise_K > plain.max_rise_K
    with pytest.raises(InputError, match="qd_emission"):
        Electrothermal(dm, contacts, heat_source=lambda s: (s.heat, s.emitted_power), qd_emission=QDParams())
