"""Material properties: the :class:`Material` record and the library that loads them.

The library lives in ``fem_cqd/data/materials.toml``: units in the key names, every value with its
source. Loading converts to SI once (energies stay in eV, i.e. volts per elementary charge).
Users add or override materials from their own TOML file of the same form::

    lib = load_library("my_materials.toml")   # built-ins, then the user's file on top
    lib["ITO"].thermal_conductivity_at(350.0)

Temperature laws (T in K, reference 300 K):

- thermal conductivity  k(T) = k_300 (T/300)^a                      (a = ``k_T_exponent``)
- mobility              mu(T, F) = mu_300 exp[-Ea/k_B (1/T - 1/300)] exp(gamma sqrt(F))
"""
from __future__ import annotations

import dataclasses
import math
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np

from .constants import T0, k_B, q
from .errors import InputError

KINDS = ("conductor", "semiconductor", "insulator")

# TOML key -> (Material attribute, factor to SI)
_UNITS = {
    "conductivity_S_per_m": ("conductivity", 1.0),
    "work_function_eV": ("work_function", 1.0),
    "relative_permittivity": ("relative_permittivity", 1.0),
    "electron_affinity_eV": ("electron_affinity", 1.0),
    "band_gap_eV": ("band_gap", 1.0),
    "Nc_per_cm3": ("Nc", 1e6),
    "Nv_per_cm3": ("Nv", 1e6),
    "mu_n_cm2_per_Vs": ("mu_n", 1e-4),
    "mu_p_cm2_per_Vs": ("mu_p", 1e-4),
    "pf_gamma_n_sqrt_cm_per_V": ("pf_gamma_n", 0.1),   # sqrt(cm/V) -> sqrt(m/V)
    "pf_gamma_p_sqrt_cm_per_V": ("pf_gamma_p", 0.1),
    "mobility_activation_eV": ("mobility_activation", 1.0),
    "donors_per_cm3": ("donors", 1e6),
    "acceptors_per_cm3": ("acceptors", 1e6),
    "thermal_conductivity_W_per_mK": ("thermal_conductivity", 1.0),
    "k_T_exponent": ("k_T_exponent", 1.0),
    "heat_capacity_J_per_kgK": ("heat_capacity", 1.0),
    "density_kg_per_m3": ("density", 1.0),
    # recombination (fem_cqd.electrical.recombination); 0 / absent = mechanism off
    "radiative_coefficient_cm3_per_s": ("radiative_coefficient", 1e-6),
    "langevin_factor": ("langevin_factor", 1.0),
    "langevin_radiative_fraction": ("langevin_radiative_fraction", 1.0),
    "srh_tau_n_s": ("srh_tau_n", 1.0),
    "srh_tau_p_s": ("srh_tau_p", 1.0),
    "auger_n_cm6_per_s": ("auger_n", 1e-12),
    "auger_p_cm6_per_s": ("auger_p", 1e-12),
    "emission_energy_eV": ("emission_energy", 1.0),
}
_REQUIRED = {
    "conductor": ("conductivity", "work_function"),
    "semiconductor": ("relative_permittivity", "electron_affinity", "band_gap", "Nc", "Nv", "mu_n", "mu_p"),
    "insulator": ("relative_permittivity",),
}
_THERMAL = ("thermal_conductivity", "heat_capacity", "density")
_MAY_BE_ZERO_OR_NEGATIVE = {"k_T_exponent", "pf_gamma_n", "pf_gamma_p", "mobility_activation",
                            "donors", "acceptors",
                            "radiative_coefficient", "langevin_factor", "langevin_radiative_fraction",
                            "auger_n", "auger_p"}


@dataclass(frozen=True)
class Material:
    """One material, SI units (energies in eV). ``None`` means "not given"."""

    name: str
    kind: str
    thermal_conductivity: float            # W/(m K) at 300 K
    heat_capacity: float                   # J/(kg K)
    density: float                         # kg/m^3
    k_T_exponent: float = 0.0
    relative_permittivity: float | None = None
    conductivity: float | None = None      # S/m
    work_function: float | None = None     # eV
    electron_affinity: float | None = None # eV
    band_gap: float | None = None          # eV
    Nc: float | None = None                # m^-3
    Nv: float | None = None                # m^-3
    mu_n: float | None = None              # m^2/(V s) at 300 K, zero field
    mu_p: float | None = None
    pf_gamma_n: float = 0.0                # sqrt(m/V)
    pf_gamma_p: float = 0.0
    mobility_activation: float = 0.0       # eV
    donors: float = 0.0                    # m^-3
    acceptors: float = 0.0                 # m^-3
    refractive_index: complex | None = None
    # recombination (fem_cqd.electrical.recombination); 0 / None = mechanism off
    radiative_coefficient: float = 0.0     # B, m^3/s:  R = B (np - ni^2), all radiative
    langevin_factor: float = 0.0           # f:  R = f q (mu_n + mu_p)/eps (np - ni^2)
    langevin_radiative_fraction: float = 1.0  # share of Langevin recombination that emits light
    srh_tau_n: float | None = None         # s; SRH on when both lifetimes are given (midgap trap)
    srh_tau_p: float | None = None
    auger_n: float = 0.0                   # m^6/s:  R = (C_n n + C_p p)(np - ni^2)
    auger_p: float = 0.0
    emission_energy: float | None = None   # eV per emitted photon; None -> band_gap
    sources: dict = field(default_factory=dict, compare=False, repr=False)

    def require(self, prop: str, needed_for: str) -> float:
        """Return property ``prop`` or raise an :class:`InputError` saying what needs it."""
        value = getattr(self, prop)
        if value is None:
            raise InputError(f"materials[{self.name!r}].{prop}", None, f"a value (needed for {needed_for})")
        return value

    @property
    def volumetric_heat_capacity(self) -> float:
        """rho c in J/(m^3 K)."""
        return self.density * self.heat_capacity

    def thermal_conductivity_at(self, T):
        """k(T) = k_300 (T/300 K)^a, W/(m K); ``T`` scalar or array in K."""
        return self.thermal_conductivity * (np.asarray(T, dtype=float) / T0) ** self.k_T_exponent

    def d_thermal_conductivity_dT(self, T):
        """dk/dT of :meth:`thermal_conductivity_at`, W/(m K^2)."""
        T = np.asarray(T, dtype=float)
        return self.k_T_exponent * self.thermal_conductivity_at(T) / T

    def mobility_temperature_factor(self, T):
        """exp[-Ea/k_B (1/T - 1/300 K)]: thermally activated hopping, 1 at 300 K."""
        T = np.asarray(T, dtype=float)
        return np.exp(-self.mobility_activation * q / k_B * (1.0 / T - 1.0 / T0))


class MaterialLibrary(dict):
    """``name -> Material``; an unknown name raises an :class:`InputError` listing the known ones."""

    def __missing__(self, name):
        raise InputError("material", name, "one of " + ", ".join(sorted(self)))


def _parse_one(name: str, table: dict, origin: str) -> Material:
    where = f"{origin}[{name!r}]"
    table = dict(table)
    kind = table.pop("kind", None)
    if kind not in KINDS:
        raise InputError(f"{where}.kind", kind, "one of " + ", ".join(KINDS))
    sources = dict(table.pop("sources", {}))
    index = table.pop("refractive_index", None)
    values: dict = {}
    for key, raw in table.items():
        if key not in _UNITS:
            raise InputError(f"{where}.{key}", raw, "a known property: " + ", ".join(sorted(_UNITS)))
        attr, factor = _UNITS[key]
        if isinstance(raw, bool) or not isinstance(raw, (int, float)) or not math.isfinite(raw):
            raise InputError(f"{where}.{key}", raw, "a finite number")
        if attr not in _MAY_BE_ZERO_OR_NEGATIVE and raw <= 0:
            raise InputError(f"{where}.{key}", raw, "a number > 0")
        if attr in ("donors", "acceptors") and raw < 0:
            raise InputError(f"{where}.{key}", raw, "a number >= 0")
        if attr not in sources:
            raise InputError(f"{where}.sources.{attr}", None, "a source for every value (paper, datasheet or 'assumed')")
        values[attr] = float(raw) * factor
    if index is not None:
        if not (isinstance(index, list) and len(index) == 2 and all(isinstance(v, (int, float)) for v in index)):
            raise InputError(f"{where}.refractive_index", index, "[n, k] with two numbers")
        if index[0] <= 0 or index[1] < 0:
            raise InputError(f"{where}.refractive_index", index, "n > 0 and k >= 0")
        values["refractive_index"] = complex(index[0], index[1])
    for attr in _THERMAL + _REQUIRED[kind]:
        if attr not in values:
            raise InputError(f"{where}.{attr}", None, f"a value (required for a {kind})")
    return Material(name=name, kind=kind, sources=sources, **values)


def parse_library(data: dict, origin: str = "materials") -> MaterialLibrary:
    """Build a :class:`MaterialLibrary` from a parsed TOML mapping, validating every entry."""
    return MaterialLibrary({name: _parse_one(name, table, origin) for name, table in data.items()})


def load_library(*user_files: str | Path) -> MaterialLibrary:
    """The built-in library, then each user TOML file on top (same names override)."""
    text = resources.files("fem_cqd").joinpath("data/materials.toml").read_text()
    lib = parse_library(tomllib.loads(text), "materials.toml")
    for path in user_files:
        path = Path(path)
        if not path.is_file():
            raise InputError("materials file", str(path), "an existing TOML file")
        try:
            data = tomllib.loads(path.read_text())
        except tomllib.TOMLDecodeError as exc:
            raise InputError("materials file", str(path), f"valid TOML ({exc})") from None
        lib.update(parse_library(data, path.name))
    return lib


def with_overrides(material: Material, **changes) -> Material:
    """A copy of ``material`` with some SI fields replaced (used by sweeps)."""
    bad = set(changes) - {f.name for f in dataclasses.fields(Material)}
    if bad:
        raise InputError("material override", sorted(bad), "fields of Material")
    return dataclasses.replace(material, **changes)
