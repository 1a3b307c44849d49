"""Thermionic emission at heterointerfaces (fem_cqd.electrical.heterointerface), DESIGN.md rung 13:
equilibrium exact, the continuous limit, Richardson's law, the axis, the Jacobian, conservation and
energy, an independent solve_bvp reference, bad input."""

import numpy as np
import pytest

from fem_cqd.constants import q
from fem_cqd.electrical import Contact, ThermionicInterface, build_device, solve_bias, solve_equilibrium
from fem_cqd.electrical.driftdiffusion import assemble
from fem_cqd.electrical.examples import material
from fem_cqd.custom_mesh import tensor_mesh
from fem_cqd.electrical.system import evaluate
from fem_cqd.errors import InputError

import _hetero_bvp as hb

REF = hb.EXAMPLE


def device(v_p, statistics="gauss_fermi", geometry="planar", hmax=1e-9):
    """(TaggedMesh, Device, area) of the reference bilayer in fem_cqd; ``v_p`` None: continuous."""
    return hb.fem_bilayer(v_p, sigma=0.08 if statistics == "gauss_fermi" else 0.0, geometry=geometry, hmax=hmax)


@pytest.mark.parametrize("statistics", ["gauss_fermi", "boltzmann"])
def test_equilibrium_has_no_current_and_no_jump(statistics):
    tm, dev, area = device(1e-2, statistics)
    eq = solve_equilibrium(dev)
    a, b = dev.split.a, dev.split.b
    assert np.max(np.abs(eq.x[3 * a + 2] - eq.x[3 * b + 2])) < 1e-12
    assert np.max(np.abs(eq.x[3 * a] - eq.x[3 * b])) == 0.0             # psi single-valued
    _, _, _, _, fl = assemble(dev, eq.x, jacobian=False)
    a = dev.split.a
    VT = dev.VT[dev.split.elem_p]
    one_way = q * 1e-2 * dev.split.area * REF["N0_B"] * np.exp((eq.x[3 * a + 2] - eq.x[3 * a] - REF["E_HB"]) / VT)
    assert np.max(np.abs(fl.Ip_if)) <= 1e-12 * np.max(one_way)       # of the one-way (Boltzmann-bound) flux


def test_fast_interface_tends_to_continuous_levels_as_one_over_v():
    J = {}
    for v in (None, 1e2, 1e3):
        tm, dev, area = device(v)
        J[v] = solve_bias(dev, {"bottom": 2.0}, start=solve_equilibrium(dev)).currents["bottom"] / area
    d2, d3 = (J[None] - J[1e2]) / J[None], (J[None] - J[1e3]) / J[None]
    assert 0 < d3 < d2 < 0.05
    assert d2 / d3 == pytest.approx(10.0, rel=0.05)                  # interface resistance ~ 1/v


def test_slow_boltzmann_interface_is_richardson_limited():
    """Boltzmann both sides, v small: I = q v S [p_X(phi_A) - p_X(phi_B)] with p_X = N_B exp((phi - psi -
    E_H,B)/V_T) evaluated here independently of the solver's statistics, and the back flux negligible."""
    tm, dev, area = device(1e-3, "boltzmann")
    st = solve_bias(dev, {"bottom": 2.0}, start=solve_equilibrium(dev))
    a, b = dev.split.a, dev.split.b
    x = st.x
    VT = dev.VT[dev.split.elem_p]
    pX = lambda phi: REF["N0_B"] * np.exp((phi - x[3 * a] - REF["E_HB"]) / VT)   # noqa: E731
    I_rich = q * 1e-3 * dev.split.area * (pX(x[3 * a + 2]) - pX(x[3 * b + 2]))
    assert st.currents["bottom"] == pytest.approx(I_rich.sum(), rel=1e-6)
    assert np.all(pX(x[3 * b + 2]) < 0.01 * pX(x[3 * a + 2]))         # emission-limited (solve_bvp: 0.0035)


@pytest.mark.parametrize("geometry", ["planar", "axisymmetric"])
def test_jacobian_matches_finite_differences(geometry):
    tm, dev, area = device(1.0, geometry=geometry, hmax=3e-9)
    st = solve_bias(dev, {"bottom": 2.0}, start=solve_equilibrium(dev))
    rng = np.random.default_rng(3)
    volts = {"bottom": 2.0, "top": 0.0}
    z = st.x + 0.02 * rng.standard_normal(st.x.size)
    F, J, _ = evaluate(dev, z, volts)
    for _ in range(2):
        v = rng.standard_normal(z.size)
        h = 1e-6
        fd = (evaluate(dev, z + h * v, volts, jacobian=False)[0] - evaluate(dev, z - h * v, volts, jacobian=False)[0]) / (2 * h)
        scale = np.abs(J).max(axis=1).toarray().ravel() * np.abs(v).max() + 1e-300
        assert np.max(np.abs(J @ v - fd) / scale) < 1e-6                # measured ~5e-9


def test_wide_disc_equals_the_planar_device_including_the_axis():
    tm, planar, area_p = device(1.0, hmax=3e-9)
    tm, disc, area_d = device(1.0, geometry="axisymmetric", hmax=3e-9)
    sp = solve_bias(planar, {"bottom": 2.0}, start=solve_equilibrium(planar))
    sd = solve_bias(disc, {"bottom": 2.0}, start=solve_equilibrium(disc))
    assert sd.currents["bottom"] / area_d == pytest.approx(sp.currents["bottom"] / area_p, rel=1e-9)
    jump_p = sp.x[3 * planar.split.a + 2] - sp.x[3 * planar.split.b + 2]
    jump_d = sd.x[3 * disc.split.a + 2] - sd.x[3 * disc.split.b + 2]
    assert np.allclose(jump_d, jump_p[0], rtol=1e-9)                   # the node on the axis too


def test_current_is_conserved_and_the_jump_heat_is_counted():
    tm, dev, area = device(1e-1)
    st = solve_bias(dev, {"bottom": 2.0}, start=solve_equilibrium(dev))
    I = st.currents["bottom"]
    assert abs(st.contact_fluxes["bottom"] + st.contact_fluxes["top"]) < 1e-6 * I                       # Newton's tolerance on these organics
    assert abs(st.heat.sum() + st.emitted_power - st.power_in) < 1e-6 * st.power_in
    _, _, _, _, fl = assemble(dev, st.x, jacobian=False)
    a, b = dev.split.a, dev.split.b
    jump_heat = np.sum(fl.Ip_if * (st.x[3 * a + 2] - st.x[3 * b + 2]))
    assert fl.Ip_if.sum() == pytest.approx(I, rel=1e-6)
    # the jump's heat (V_T ln(mu_B F_B / v) ~ 36 mV of 2 V here: 1.8 % of V I) is 1000x the balance tolerance
    assert 1e-3 * st.power_in < jump_heat < 0.1 * st.power_in


def test_matches_the_solve_bvp_reference():
    for sigma in (0.08, 0.0):
        for v in (1e1, 1e-1):
            tm, dev, area = hb.fem_bilayer(v, sigma=sigma, hmax=0.5e-9)
            st = solve_equilibrium(dev)
            ref = hb.bilayer_sweep([1.0, 2.0], **dict(REF, sigma_A=sigma, sigma_B=sigma, v=v))
            for V in (1.0, 2.0):
                st = solve_bias(dev, {"bottom": V}, start=st)
                assert st.currents["bottom"] / area == pytest.approx(ref[V]["J"], rel=5e-3), (sigma, v, V)


def test_bad_interfaces_are_refused_before_any_solve():
    with pytest.raises(InputError, match="v_p_m_per_s"):
        ThermionicInterface("A", "B", v_p_m_per_s=-1.0)
    with pytest.raises(InputError, match="at least one carrier"):
        ThermionicInterface("A", "B")
    semi = dict(relative_permittivity=3.0, lumo_eV=2.0, homo_eV=5.2, Nc_per_cm3=1e21, Nv_per_cm3=1e21,
                mu_n_cm2_per_Vs=1e-6, mu_p_cm2_per_Vs=1e-4)
    mats = {"A": material("A", **semi), "B": material("B", **dict(semi, homo_eV=5.5)),
            "C": material("C", **semi), "ins": material("ins", "insulator", relative_permittivity=3.0)}
    y = np.linspace(0, 40e-9, 9)
    tm = tensor_mesh([0, 10e-9], y, lambda xc, yc: np.where(yc < 10e-9, "A", np.where(
        yc < 20e-9, "B", np.where(yc < 30e-9, "ins", "C"))), mats)
    contacts = [Contact("bottom"), Contact("top")]
    for itf, match in ((ThermionicInterface("A", "ins", v_p_m_per_s=1.0), "two semiconductor regions"),
                       (ThermionicInterface("A", "A", v_p_m_per_s=1.0), "two different regions"),
                       (ThermionicInterface("A", "C", v_p_m_per_s=1.0), "share an interface"),
                       (ThermionicInterface("A", "nope", v_p_m_per_s=1.0), "nope")):
        with pytest.raises(InputError, match=match):
            build_device(tm, contacts, thermionic_interfaces=(itf,))
    with pytest.raises(InputError, match="ThermionicInterface instances"):
        build_device(tm, contacts, thermionic_interfaces=(("A", "B"),))
