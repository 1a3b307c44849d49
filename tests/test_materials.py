"""Material library: every value sourced, SI conversion, overrides and bad input."""
import dataclasses
import math

import pytest

from fem_cqd.errors import InputError
from fem_cqd.materials import load_library, parse_library

REFERENCE_DEVICE = ["ITO", "PEDOT:PSS", "poly-TPD", "TCTA", "CQD", "ZnO", "Al", "Ag", "SiO2", "LiF",
                    "resist", "glass", "sapphire", "Cu"]


def test_library_has_every_material_of_the_reference_device_with_sources():
    lib = load_library()
    for name in REFERENCE_DEVICE:
        m = lib[name]
        assert m.thermal_conductivity > 0 and m.volumetric_heat_capacity > 0
        defaults = {f.name: f.default for f in dataclasses.fields(m)}
        given = {k for k, v in vars(m).items()
                 if v is not None and k not in ("name", "kind", "sources") and v != defaults[k]}
        for prop in given:
            assert m.sources.get(prop), f"{name}.{prop} has no source"


def test_units_are_converted_to_si():
    lib = load_library()
    assert math.isclose(lib["ZnO"].mu_n, 1.8e-3 * 1e-4)          # cm^2/Vs -> m^2/Vs
    assert math.isclose(lib["ZnO"].donors, 1e18 * 1e6)           # cm^-3 -> m^-3
    assert math.isclose(lib["glass"].volumetric_heat_capacity, 2.0e6, rel_tol=0.01)   # PHYSICS.md rho c
    assert math.isclose(lib["sapphire"].volumetric_heat_capacity, 3.1e6, rel_tol=0.01)


def test_temperature_law_of_thermal_conductivity():
    s = load_library()["sapphire"]
    assert math.isclose(s.thermal_conductivity_at(300.0), s.thermal_conductivity)
    assert s.thermal_conductivity_at(400.0) < s.thermal_conductivity        # crystal: falls with T
    h = 1e-3
    fd = (s.thermal_conductivity_at(350 + h) - s.thermal_conductivity_at(350 - h)) / (2 * h)
    assert math.isclose(s.d_thermal_conductivity_dT(350.0), fd, rel_tol=1e-6)


def test_user_file_overrides_and_adds(tmp_path):
    f = tmp_path / "mine.toml"
    f.write_text("""
[glass]
kind = "insulator"
relative_permittivity = 6.0
thermal_conductivity_W_per_mK = 0.8
heat_capacity_J_per_kgK = 800.0
density_kg_per_m3 = 2500.0
[glass.sources]
relative_permittivity = "mine"
thermal_conductivity = "my measurement"
heat_capacity = "mine"
density = "mine"
""")
    lib = load_library(f)
    assert lib["glass"].thermal_conductivity == 0.8
    assert lib["ITO"].conductivity > 0


@pytest.mark.parametrize("table, field", [
    ({"kind": "metal"}, "kind"),
    ({"kind": "insulator", "relative_permittivity": -1.0}, "relative_permittivity"),
    ({"kind": "insulator", "relative_permittivity": float("nan")}, "relative_permittivity"),
    ({"kind": "thermal", "density_kg_per_m3": 3.0, "sources": {"density": "x"}}, "thermal_conductivity"),
    ({"kind": "insulator", "bogus_unit": 3.0}, "bogus_unit"),
])
def test_bad_material_entries_name_the_field(table, field):
    with pytest.raises(InputError, match=field):
        parse_library({"X": table})


def test_value_without_source_is_refused():
    with pytest.raises(InputError, match="sources"):
        parse_library({"X": {"kind": "insulator", "relative_permittivity": 3.0}})


def test_unknown_material_lists_known_ones():
    with pytest.raises(InputError, match="ITO"):
        load_library()["unobtainium"]


def test_electrical_or_thermal_part_of_a_material_may_be_left_out():
    """A heat-only material (kind "thermal": a substrate) needs no electrical values, an electrical-only
    one no thermal values; each solver refuses a region lacking its part, naming the property."""
    import numpy as np
    from fem_cqd import Dirichlet, solve_steady, strip_mesh
    from fem_cqd.electrical import Contact, build_device, solve_bias
    from fem_cqd.materials import parse_library
    lib = parse_library({
        "sink": {"kind": "thermal", "thermal_conductivity_W_per_mK": 400.0,
                 "sources": {"thermal_conductivity": "assumed"}},
        "film": {"kind": "semiconductor", "relative_permittivity": 3.0, "electron_affinity_eV": 2.5,
                 "band_gap_eV": 3.0, "Nc_per_cm3": 1e19, "Nv_per_cm3": 1e19, "mu_n_cm2_per_Vs": 1e-4,
                 "mu_p_cm2_per_Vs": 1e-4, "donors_per_cm3": 1e17,
                 "sources": {k: "assumed" for k in ("relative_permittivity", "electron_affinity", "band_gap", "Nc",
                                                    "Nv", "mu_n", "mu_p", "donors")}}})
    assert lib["sink"].relative_permittivity is None and lib["film"].thermal_conductivity is None
    y = np.linspace(0.0, 1e-6, 11)
    st = solve_steady(strip_mesh(y, "sink", {"sink": lib["sink"]}), {"bottom": Dirichlet(300.0)},
                      surface_flux={"top": 1e6})
    assert st.T.max() == pytest.approx(300.0 + 1e6 * 1e-6 / 400.0, rel=1e-9)      # q L / k
    film = strip_mesh(np.linspace(0.0, 1e-7, 21), "film", {"film": lib["film"]})
    assert solve_bias(build_device(film, [Contact("bottom"), Contact("top")]), {"bottom": 0.1}).currents["bottom"] > 0
    with pytest.raises(InputError, match=r"materials\['film'\].thermal_conductivity.*heat conduction in region 'film'"):
        solve_steady(film, {"bottom": Dirichlet(300.0)})
    with pytest.raises(InputError, match=r"kind = 'thermal'.*electrical kind"):
        build_device(strip_mesh(y, "sink", {"sink": lib["sink"]}), [Contact("bottom"), Contact("top")])


@pytest.mark.parametrize("substrate", ["glass", "sapphire", "silicon", "diamond"])
def test_substrates_spread_a_weak_spot_as_the_half_space_closed_form(substrate):
    """Uniform flux P over a disc of radius a on a thick substrate: centre rise P / (pi a k) on a
    half-space (Carslaw & Jaeger); the 500 um substrate with an isothermal bottom takes ~2 % off.
    At 10 uW the rise is far too small for k(T) to matter."""
    import math
    from fem_cqd.materials import load_library
    from fem_cqd.studies import heat_spot
    k = load_library()[substrate].thermal_conductivity
    rise = heat_spot({"substrate": substrate, "power_mW": 0.01, "cells_per_spot": 40}, ".")["peak_rise_K"]
    half_space = 1e-5 / (math.pi * 25e-6 * k)
    assert rise == pytest.approx(half_space, rel=0.03)
    assert rise < half_space                      # the held bottom face only cools


def test_lim2018_meshes_on_silicon_and_diamond():
    from fem_cqd.mesh import MeshOptions, build_mesh
    from fem_cqd.stack import lim2018
    for sub in ("silicon", "diamond"):
        dm = build_mesh(lim2018(substrate=sub), MeshOptions(edge_cell_um=2.0, max_cell_fraction=0.2, lateral_ratio=2.0))
        assert dm.thermal.region_materials[dm.thermal.region_index("substrate")].name == sub


def _silicon_like(**extra):
    table = {"kind": "semiconductor", "relative_permittivity": 11.7, "electron_affinity_eV": 4.05,
             "Nc_per_cm3": 2.8e19, "Nv_per_cm3": 1.04e19, "ni_per_cm3": 9.65e9, "mu_n_cm2_per_Vs": 1400.0,
             "mu_p_cm2_per_Vs": 450.0, "sources": {k: "Sze & Ng, Physics of Semiconductor Devices (2007), App. G"
                                                    for k in ("relative_permittivity", "electron_affinity", "Nc",
                                                              "Nv", "ni", "mu_n", "mu_p", "statistics")}}
    table.update(extra)
    return {"Si": table}


def test_an_intrinsic_density_sets_the_gap_and_an_undoped_region_carries_it():
    """ni_per_cm3 (with Nc, Nv) sets Eg = k T0 ln(Nc Nv / n_i^2); in equilibrium an undoped strip
    between ohmic contacts holds n = p = n_i(T) at 300 K and at 350 K."""
    import numpy as np
    from fem_cqd import strip_mesh
    from fem_cqd.constants import T0, k_B, q
    from fem_cqd.electrical import Contact, build_device, solve_equilibrium
    from fem_cqd.materials import parse_library
    si = parse_library(_silicon_like())["Si"]
    assert si.band_gap == pytest.approx(k_B * T0 / q * np.log(2.8e19 * 1.04e19 / 9.65e9 ** 2), rel=1e-12)
    assert si.intrinsic_density(300.0) == pytest.approx(9.65e15, rel=1e-12)
    assert "from n_i = 9.65e+09 cm^-3" in si.sources["band_gap"]
    strip = strip_mesh(np.linspace(0.0, 2e-6, 41), "Si", {"Si": si})
    for T in (300.0, 350.0):
        st = solve_equilibrium(build_device(strip, [Contact("bottom"), Contact("top")], T_K=T))
        assert np.allclose(st.n, si.intrinsic_density(T), rtol=1e-6) and np.allclose(st.p, st.n, rtol=1e-6)
    assert si.intrinsic_density(350.0) / si.intrinsic_density(300.0) == pytest.approx(
        np.exp(si.band_gap * q / (2 * k_B) * (1 / 300.0 - 1 / 350.0)), rel=1e-12)


@pytest.mark.parametrize("extra, match", [
    ({"band_gap_eV": 1.12}, "without band_gap_eV"),
    ({"Nc_per_cm3": None}, "with Nc_per_cm3 and Nv_per_cm3"),
    ({"ni_per_cm3": 2e19}, r"< sqrt\(Nc Nv\)"),
    ({"statistics": "gauss_fermi", "sigma_n_eV": 0.1, "sigma_p_eV": 0.1}, "boltzmann or fermi_dirac"),
])
def test_a_bad_intrinsic_density_is_refused(extra, match):
    from fem_cqd.materials import parse_library
    table = _silicon_like(**{k: v for k, v in extra.items() if v is not None})
    for k, v in extra.items():
        if v is None:
            del table["Si"][k]
    table["Si"]["sources"].update({"band_gap": "x", "sigma_n": "x", "sigma_p": "x"})
    with pytest.raises(InputError, match=r"ni_per_cm3.*" + match):
        parse_library(table)
