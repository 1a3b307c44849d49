"""Small building blocks for tests, benchmarks and peer comparisons: textbook materials (e.g. silicon)
and geometric point grids, so the solver can run a plain pn diode without the stack code (meshes from
coordinates: :mod:`fem_cqd.custom_mesh`)."""
from __future__ import annotations


from ..materials import Material, parse_library

_SI = {"relative_permittivity": 11.7, "electron_affinity_eV": 4.05, "band_gap_eV": 1.12,
       "Nc_per_cm3": 2.8e19, "Nv_per_cm3": 1.04e19, "mu_n_cm2_per_Vs": 1400.0, "mu_p_cm2_per_Vs": 450.0,
       "thermal_conductivity_W_per_mK": 148.0, "heat_capacity_J_per_kgK": 705.0, "density_kg_per_m3": 2329.0}


def material(name: str, kind: str = "semiconductor", **values) -> Material:
    """A Material from TOML-style keys (units in the names), every source "example"."""
    table = {"kind": kind, "thermal_conductivity_W_per_mK": 1.0, "heat_capacity_J_per_kgK": 1000.0,
             "density_kg_per_m3": 1000.0}
    table.update(values)
    from ..materials import _NAMES, _UNITS
    table["sources"] = {(_UNITS[k][0] if k in _UNITS else k): "example (fem_cqd.electrical.examples)"
                        for k in table if k in _UNITS or k in _NAMES}
    table["sources"].setdefault("homo", "example (fem_cqd.electrical.examples)")
    return parse_library({name: table})[name]


def silicon(name: str = "Si", acceptors_per_cm3: float = 0.0, donors_per_cm3: float = 0.0,
            tau_s: float | None = None, **overrides) -> Material:
    """Silicon at 300 K (textbook values: Sze), optional doping and SRH lifetime (both carriers)."""
    v = dict(_SI)
    if acceptors_per_cm3:
        v["acceptors_per_cm3"] = acceptors_per_cm3
    if donors_per_cm3:
        v["donors_per_cm3"] = donors_per_cm3
    if tau_s is not None:
        v["srh_tau_n_s"] = tau_s
        v["srh_tau_p_s"] = tau_s
    v.update(overrides)
    return material(name, "semiconductor", **v)
