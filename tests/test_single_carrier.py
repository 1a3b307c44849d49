"""Single-carrier devices (``build_device(carriers="electrons" | "holes")``): the unipolar model
solves 2 unknowns per node and gives the two-carrier answer where the other carrier is negligible
(Ohm's law of a doped resistor, a hole-only strip behind a metal, the Mott-Gurney law)."""
import numpy as np
import pytest

from fem_cqd import strip_mesh
from fem_cqd.constants import q
from fem_cqd.electrical import Contact, build_device, ramp, solve_bias
from fem_cqd.electrical import linear as linear_module
from fem_cqd.electrical.examples import material
from fem_cqd.errors import InputError
from fem_cqd.materials import parse_library

SOURCES = ("relative_permittivity", "electron_affinity", "Nc", "Nv", "ni", "mu_n", "mu_p", "donors", "acceptors",
           "radiative_coefficient", "conductivity", "work_function")


def _library(doping):
    """Silicon-like values (Sze & Ng, App. G), doped ``{"donors_per_cm3": ...}``, and aluminium."""
    si = {"kind": "semiconductor", "relative_permittivity": 11.7, "electron_affinity_eV": 4.05, "Nc_per_cm3": 2.8e19,
          "Nv_per_cm3": 1.04e19, "ni_per_cm3": 9.65e9, "mu_n_cm2_per_Vs": 1400.0, "mu_p_cm2_per_Vs": 450.0,
          "radiative_coefficient_cm3_per_s": 1e-14, **doping}
    al = {"kind": "conductor", "conductivity_S_per_m": 3.5e7, "work_function_eV": 5.1}
    return parse_library({name: {**t, "sources": {k: "Sze & Ng (2007)" for k in SOURCES if
                                                  any(key.startswith(k) for key in t)}}
                          for name, t in (("Si", si), ("Al", al))})


@pytest.fixture
def system_sizes(monkeypatch):
    """The sizes of the linear systems Newton solves."""
    sizes = []
    solve = linear_module.JacobianSolver.solve

    def spy(self, A, b):
        sizes.append(A.shape[0])
        return solve(self, A, b)
    monkeypatch.setattr(linear_module.JacobianSolver, "solve", spy)
    return sizes


def test_an_electron_only_resistor_obeys_ohms_law_on_two_unknowns_per_node(system_sizes):
    lib = _library({"donors_per_cm3": 1e17})
    L, V = 1e-6, 0.1
    strip = strip_mesh(np.linspace(0.0, L, 101), "Si", {"Si": lib["Si"]}, width_m=1e-9)
    ohm = V * q * 1e23 * 0.14 / L * 1e-9                       # sigma V / L x width, A per metre of depth
    states = {}
    for carriers in ("both", "electrons"):
        system_sizes.clear()
        dev = build_device(strip, [Contact("bottom"), Contact("top")], carriers=carriers)
        states[carriers] = st = solve_bias(dev, {"bottom": V})
        assert st.currents["bottom"] == pytest.approx(ohm, rel=1e-9)
        assert np.sum(st.heat) == pytest.approx(V * st.currents["bottom"], rel=1e-9)     # all Joule heat
        assert max(system_sizes) == (3 if carriers == "both" else 2) * dev.n_nodes
    uni = states["electrons"]
    assert np.all(uni.p == 0) and np.all(uni.Jp == 0) and np.all(uni.R == 0)
    assert np.allclose(uni.n, states["both"].n, rtol=1e-12)


def test_a_hole_only_strip_behind_a_metal_equals_the_two_carrier_strip():
    """p-doped silicon under an aluminium film (a conductor region: its potential stays solved)."""
    lib = _library({"acceptors_per_cm3": 1e17})
    strip = strip_mesh(np.linspace(0.0, 1.2e-6, 121), lambda y: np.where(y > 1e-6, "Al", "Si"),
                       {"Si": lib["Si"], "Al": lib["Al"]})
    I = {}
    for carriers in ("both", "holes"):
        st = solve_bias(build_device(strip, [Contact("bottom"), Contact("top")], carriers=carriers), {"bottom": 0.05})
        I[carriers] = st.currents["bottom"]
        if carriers == "holes":
            assert np.all(st.n == 0) and np.all(st.Jn == 0)
    assert I["holes"] == pytest.approx(I["both"], rel=1e-9) and I["holes"] > 0


def test_an_electron_only_film_follows_mott_gurney():
    """Space-charge-limited electrons through 100 nm between barrier-free contacts: J -> 9/8 eps mu V^2/L^3."""
    film = material("film", relative_permittivity=3.0, electron_affinity_eV=2.5, band_gap_eV=3.0, Nc_per_cm3=1e19,
                    Nv_per_cm3=1e19, mu_n_cm2_per_Vs=1e-4, mu_p_cm2_per_Vs=1e-4)
    L = 100e-9
    from fem_cqd import graded_points
    y = np.unique(np.r_[graded_points(0.0, L / 2, 5e-12, 1.05, 1e-9, "start"),
                        graded_points(L / 2, L, 5e-12, 1.05, 1e-9, "end")])
    dev = build_device(strip_mesh(y, "film", {"film": film}, width_m=1e-9),
                       [Contact(side, "schottky", work_function=2.5) for side in ("bottom", "top")], carriers="electrons")
    st = ramp(dev, "bottom", [5.0, 20.0], progress=False)[-1]
    J_mg = 9 / 8 * 3.0 * 8.8541878128e-12 * 1e-8 * 20.0 ** 2 / L ** 3
    assert st.currents["bottom"] / 1e-9 / J_mg == pytest.approx(1.067, abs=0.01)   # the README's two-carrier value
    assert np.all(st.p == 0)


def test_bad_carrier_choices_are_refused():
    lib = _library({"donors_per_cm3": 1e17})
    strip = strip_mesh(np.linspace(0.0, 1e-6, 11), "Si", {"Si": lib["Si"]})
    with pytest.raises(InputError, match="carriers.*'electrons'"):
        build_device(strip, [Contact("bottom"), Contact("top")], carriers="ions")
    with pytest.raises(InputError, match="recombination.*needs both carriers"):
        build_device(strip, [Contact("bottom"), Contact("top")], carriers="electrons",
                     recombination={"Si": ["radiative"]})
