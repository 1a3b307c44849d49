"""Material properties: the :class:`Material` record and the library that loads them.

The library lives in ``fem_cqd/data/materials.toml``: units in the key names, every value with its
source. Loading converts to SI once (energies stay in eV, i.e. volts per elementary charge).
Users add or override materials from their own TOML file of the same form::

    lib = load_library("my_materials.toml")   # built-ins, then the user's file on top
    lib["ITO"].thermal_conductivity_at(350.0)

Temperature laws (T in K, reference 300 K):

- thermal conductivity  k(T) = k_300 (T/300)^a                      (a = ``k_T_exponent``)
- mobility              mu(T, F) = mu_300 exp[-Ea/k_B (1/T - 1/300)] exp(gamma sqrt(F))
                        (``mobility_model`` "constant" / "poole_frenkel"; "egdm" has its own laws,
                        :mod:`fem_cqd.electrical.mobility`)

Carrier statistics (:mod:`fem_cqd.electrical.statistics`) are chosen per material by name
(``statistics = "boltzmann" | "fermi_dirac" | "gauss_fermi"``). A Gaussian density of states has
widths ``sigma_n_eV`` (LUMO) and ``sigma_p_eV`` (HOMO) and site densities ``Nc``/``Nv`` (N0).
A gap may instead be given as the intrinsic density at 300 K, ``ni_per_cm3`` (silicon practice),
with ``Nc`` and ``Nv``: Eg = k_B T0 ln(Nc Nv / n_i^2) (nondegenerate intrinsic point; not with
Gauss-Fermi statistics, whose intrinsic density also depends on sigma). Organic transport levels may be given as ``lumo_eV`` / ``homo_eV`` (aliases of the electron affinity
and of affinity + gap), and ``energy_reference`` says whether they are the centres of the Gaussian
DOS ("centre") or measured onsets ("onset", as from CV or UPS): an onset lies
``ONSET_SIGMAS`` x sigma closer to the gap than the centre, and the solver uses the centres
(:meth:`Material.band_centres`).
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

KINDS = ("conductor", "semiconductor", "insulator", "thermal")   # "thermal": heat only (a substrate, a heat sink)

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
    "sigma_n_eV": ("sigma_n", 1.0),
    "sigma_p_eV": ("sigma_p", 1.0),
    "lumo_eV": ("electron_affinity", 1.0),
    "homo_eV": ("homo", 1.0),
    "ni_per_cm3": ("ni", 1e6),           # intrinsic density at 300 K: sets the gap (Material.intrinsic_density)
}
# TOML keys whose value is a name, not a number: key -> allowed values (None: checked later)
_NAMES = {"statistics": None, "mobility_model": None, "energy_reference": ("centre", "onset")}
#: an onset (CV / UPS) lies this many sigma closer to the gap than the Gaussian centre
#: (PHYSICS.md, "Energy convention": ~2 sigma)
ONSET_SIGMAS = 2.0
_REQUIRED = {
    "conductor": ("conductivity", "work_function"),
    "semiconductor": ("relative_permittivity", "electron_affinity", "band_gap", "Nc", "Nv", "mu_n", "mu_p"),
    "insulator": ("relative_permittivity",),
    "thermal": ("thermal_conductivity",),
}
_MAY_BE_ZERO_OR_NEGATIVE = {"k_T_exponent", "pf_gamma_n", "pf_gamma_p", "mobility_activation", "sigma_n", "sigma_p",
                            "donors", "acceptors",
                            "radiative_coefficient", "langevin_factor", "langevin_radiative_fraction",
                            "auger_n", "auger_p"}


@dataclass(frozen=True)
class Material:
    """One material, SI units (energies in eV). ``None`` means "not given".

    Either part may be left out: a material with no thermal properties is electrical only (a heat
    solve refuses a region of it, naming the property), and ``kind = "thermal"`` is heat only (no
    electrical properties; drift-diffusion refuses a region of it)."""

    name: str
    kind: str
    thermal_conductivity: float | None = None   # W/(m K) at 300 K
    heat_capacity: float | None = None     # J/(kg K)
    density: float | None = None           # kg/m^3
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
    statistics: str = "boltzmann"          # carrier statistics (fem_cqd.electrical.statistics)
    sigma_n: float | None = None           # eV, Gaussian DOS width of the LUMO / conduction band
    sigma_p: float | None = None           # eV, of the HOMO / valence band
    mobility_model: str | None = None      # None: "poole_frenkel" if a gamma is set, else "constant"
    energy_reference: str = "centre"       # affinity / HOMO given as Gaussian "centre" or "onset"
    sources: dict = field(default_factory=dict, compare=False, repr=False)

    def require(self, prop: str, needed_for: str) -> float:
        """Return property ``prop`` or raise an :class:`InputError` saying what needs it."""
        value = getattr(self, prop)
        if value is None:
            raise InputError(f"materials[{self.name!r}].{prop}", None, f"a value (needed for {needed_for})")
        return value

    @property
    def mobility_model_name(self) -> str:
        """The mobility model by name (see the field ``mobility_model``)."""
        if self.mobility_model is not None:
            return self.mobility_model
        return "poole_frenkel" if (self.pf_gamma_n or self.pf_gamma_p) else "constant"

    def band_centres(self) -> tuple[float, float]:
        """(electron affinity, band gap) in eV at the centres of the densities of states.

        With ``energy_reference = "onset"`` the given LUMO / HOMO are onsets: the centres lie
        ``ONSET_SIGMAS`` sigma further from the gap (affinity smaller, gap larger)."""
        chi, gap = self.electron_affinity, self.band_gap
        if self.energy_reference == "onset":
            chi = chi - ONSET_SIGMAS * self.sigma_n
            gap = gap + ONSET_SIGMAS * (self.sigma_n + self.sigma_p)
        return chi, gap

    def intrinsic_density(self, T_K=T0):
        """n_i = sqrt(Nc Nv) exp(-Eg / 2 k_B T), m^-3 (nondegenerate carriers; Nc, Nv and the gap
        independent of T as in the solver): the n = p of an undoped region in equilibrium."""
        T = np.asarray(T_K, dtype=float)
        return math.sqrt(self.require("Nc", "n_i") * self.require("Nv", "n_i")) * np.exp(
            -self.require("band_gap", "n_i") * q / (2.0 * k_B * T))

    @property
    def volumetric_heat_capacity(self) -> float:
        """rho c in J/(m^3 K) (both must be given: :meth:`require`)."""
        return self.require("density", "transient heat") * self.require("heat_capacity", "transient heat")

    def thermal_conductivity_at(self, T_K):
        """k(T) = k_300 (T/300 K)^a, W/(m K); ``T_K`` scalar or array in K."""
        return self.thermal_conductivity * (np.asarray(T_K, dtype=float) / T0) ** self.k_T_exponent

    def d_thermal_conductivity_dT(self, T_K):
        """dk/dT of :meth:`thermal_conductivity_at`, W/(m K^2); ``T_K`` in K."""
        T = np.asarray(T_K, dtype=float)
        return self.k_T_exponent * self.thermal_conductivity_at(T) / T

    def mobility_temperature_factor(self, T_K):
        """exp[-Ea/k_B (1/T - 1/300 K)]: thermally activated hopping, 1 at 300 K; ``T_K`` in K."""
        T = np.asarray(T_K, dtype=float)
        return np.exp(-self.mobility_activation * q / k_B * (1.0 / T - 1.0 / T0))


class MaterialLibrary(dict):
    """``name -> Material``; an unknown name raises an :class:`InputError` listing the known ones."""

    def __missing__(self, name):
        raise InputError("material", name, "one of " + ", ".join(sorted(self)))


def toml_table(field: str, value, what: str) -> dict:
    """``value`` as a dict if it is a TOML table, else an InputError that points at the usual slip:
    a key written above its ``[table]`` header belongs to the table before it (or the top level)."""
    if not isinstance(value, dict):
        raise InputError(field, value, f"a TOML table ({what}); a 'key = value' line written above a "
                                       "[table] header belongs to the previous table or the top level")
    return dict(value)


def read_toml(path: str | Path, field: str) -> dict:
    """Parse the TOML file ``path``; unreadable, non-UTF-8 or invalid TOML raises an InputError."""
    path = Path(path)
    if not path.is_file():
        raise InputError(field, str(path), "an existing TOML file")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise InputError(field, str(path), f"valid TOML ({exc})") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(field, str(path), f"a readable UTF-8 TOML file ({exc})") from None


def _parse_one(name: str, table: dict, origin: str) -> Material:
    where = f"{origin}[{name!r}]"
    table = toml_table(where, table, f"[{name}] with the material's keys")
    kind = table.pop("kind", None)
    if kind not in KINDS:
        raise InputError(f"{where}.kind", kind, "one of " + ", ".join(KINDS))
    sources = toml_table(f"{where}.sources", table.pop("sources", {}), f"[{name}.sources]: key = source text")
    index = table.pop("refractive_index", None)
    values: dict = {}
    for key in [k for k in table if k in _NAMES]:
        raw = table.pop(key)
        allowed = _NAMES[key]
        if not isinstance(raw, str) or (allowed is not None and raw not in allowed):
            raise InputError(f"{where}.{key}", raw, "one of " + ", ".join(repr(a) for a in allowed)
                             if allowed else "a model name (a string)")
        if key not in sources:
            raise InputError(f"{where}.sources.{key}", None, "a source for every value (paper, datasheet or 'assumed')")
        values[key] = raw
    for key, raw in table.items():
        if key not in _UNITS:
            raise InputError(f"{where}.{key}", raw, "a known property: " + ", ".join(sorted(_UNITS)))
        attr, factor = _UNITS[key]
        if isinstance(raw, bool) or not isinstance(raw, (int, float)) or not math.isfinite(raw):
            raise InputError(f"{where}.{key}", raw, "a finite number")
        if attr not in _MAY_BE_ZERO_OR_NEGATIVE and raw <= 0:
            raise InputError(f"{where}.{key}", raw, "a number > 0")
        if attr in ("donors", "acceptors", "sigma_n", "sigma_p") and raw < 0:
            raise InputError(f"{where}.{key}", raw, "a number >= 0")
        if attr in values:
            raise InputError(f"{where}.{key}", raw, f"not given twice ({attr} is set by another key)")
        stem = key.rsplit("_eV", 1)[0]
        if attr not in sources and stem in ("lumo", "homo") and stem in sources:
            sources[attr] = sources[stem]
        if attr not in sources:
            raise InputError(f"{where}.sources.{attr}", None, "a source for every value (paper, datasheet or 'assumed')")
        values[attr] = float(raw) * factor
    if "ni" in values:                         # intrinsic density at 300 K -> the gap it implies
        ni = values.pop("ni")
        if "band_gap" in values or "homo" in values:
            raise InputError(f"{where}.ni_per_cm3", ni / 1e6, "given without band_gap_eV and homo_eV (it sets the gap)")
        if "Nc" not in values or "Nv" not in values:
            raise InputError(f"{where}.ni_per_cm3", ni / 1e6, "given with Nc_per_cm3 and Nv_per_cm3")
        if ni >= math.sqrt(values["Nc"] * values["Nv"]):
            raise InputError(f"{where}.ni_per_cm3", ni / 1e6,
                             f"< sqrt(Nc Nv) = {math.sqrt(values['Nc'] * values['Nv']) / 1e6:.4g} cm^-3 (a gap > 0)")
        if values.get("statistics") == "gauss_fermi":
            raise InputError(f"{where}.ni_per_cm3", ni / 1e6, "boltzmann or fermi_dirac statistics (a Gaussian DOS's "
                             "intrinsic density depends on sigma too: give lumo_eV / homo_eV)")
        values["band_gap"] = k_B * T0 / q * math.log(values["Nc"] * values["Nv"] / ni ** 2)
        sources["band_gap"] = f"from n_i = {ni / 1e6:.4g} cm^-3 at {T0:g} K ({sources['ni']}), Nc and Nv"
    if "homo" in values:                       # HOMO (ionisation energy) -> gap above the affinity
        homo = values.pop("homo")
        if "band_gap" in values or "electron_affinity" not in values:
            raise InputError(f"{where}.homo_eV", homo, "given with lumo_eV (or electron_affinity_eV) and without band_gap_eV")
        if homo <= values["electron_affinity"]:
            raise InputError(f"{where}.homo_eV", homo, f"> lumo_eV = {values['electron_affinity']:g} eV")
        values["band_gap"] = homo - values["electron_affinity"]
        sources.setdefault("band_gap", f"HOMO {homo:g} eV ({sources['homo']}) minus LUMO")
    if index is not None:
        if not (isinstance(index, list) and len(index) == 2 and all(isinstance(v, (int, float)) for v in index)):
            raise InputError(f"{where}.refractive_index", index, "[n, k] with two numbers")
        if index[0] <= 0 or index[1] < 0:
            raise InputError(f"{where}.refractive_index", index, "n > 0 and k >= 0")
        values["refractive_index"] = complex(index[0], index[1])
    for attr in _REQUIRED[kind]:
        if attr not in values:
            raise InputError(f"{where}.{attr}", None, f"a value (required for a {kind})")
    return Material(name=name, kind=kind, sources=sources, **values)


def validate_electrical(m: Material, where: str) -> None:
    """Raise an :class:`InputError` unless ``m`` has what drift-diffusion needs for its kind.

    Called by :func:`fem_cqd.electrical.build_device` for every region, before any solve: the
    statistics and mobility model must be known by name and have their parameters (a Gaussian
    DOS its widths, EGDM the width of its carrier's DOS and no Arrhenius activation of its own).
    """
    from .electrical.mobility import MOBILITY
    from .electrical.statistics import STATISTICS

    def positive(prop, allowed="a number > 0"):
        v = getattr(m, prop)
        if v is None or not np.isfinite(v) or v <= 0:
            raise InputError(f"{where}.{prop}", v, allowed)

    if m.kind == "thermal":
        raise InputError(f"{where}.kind", m.kind, "an electrical kind (conductor, semiconductor, insulator): a "
                         "heat-only material belongs in the thermal mesh only (substrate, heat sink)")
    if m.kind in ("semiconductor", "insulator"):
        positive("relative_permittivity")
    if m.kind == "conductor":
        positive("conductivity")
        positive("work_function")
    if m.kind != "semiconductor":
        return
    for prop in ("Nc", "Nv", "mu_n", "mu_p", "band_gap"):
        positive(prop)
    if m.electron_affinity is None or not np.isfinite(m.electron_affinity):
        raise InputError(f"{where}.electron_affinity", m.electron_affinity, "a finite number (eV)")
    for prop in ("donors", "acceptors", "radiative_coefficient", "langevin_factor", "auger_n", "auger_p"):
        v = getattr(m, prop)
        if not np.isfinite(v) or v < 0:
            raise InputError(f"{where}.{prop}", v, "a number >= 0")
    if not 0 <= m.langevin_radiative_fraction <= 1:
        raise InputError(f"{where}.langevin_radiative_fraction", m.langevin_radiative_fraction, "a number in [0, 1]")
    if (m.srh_tau_n is None) != (m.srh_tau_p is None):
        raise InputError(f"{where}.srh_tau_n/srh_tau_p", (m.srh_tau_n, m.srh_tau_p), "both lifetimes or neither")
    for prop in ("srh_tau_n", "srh_tau_p"):
        v = getattr(m, prop)
        if v is not None and not (np.isfinite(v) and v > 0):
            raise InputError(f"{where}.{prop}", v, "a lifetime > 0 s")
    if m.energy_reference not in _NAMES["energy_reference"]:
        raise InputError(f"{where}.energy_reference", m.energy_reference,
                         "one of " + ", ".join(repr(a) for a in _NAMES["energy_reference"]))
    if m.statistics not in STATISTICS:
        raise InputError(f"{where}.statistics", m.statistics, "one of " + ", ".join(sorted(STATISTICS)))
    if m.mobility_model_name not in MOBILITY:
        raise InputError(f"{where}.mobility_model", m.mobility_model_name, "one of " + ", ".join(sorted(MOBILITY)))
    for prop in ("sigma_n", "sigma_p"):
        v = getattr(m, prop)
        if v is not None and not (np.isfinite(v) and v >= 0):
            raise InputError(f"{where}.{prop}", v, "a Gaussian DOS width >= 0 eV")
    need_sigma = []
    if m.statistics == "gauss_fermi" or m.energy_reference == "onset":
        need_sigma += ["sigma_n", "sigma_p"]
    if m.mobility_model_name == "egdm":
        need_sigma += ["sigma_n", "sigma_p"]
        if m.mobility_activation:
            raise InputError(f"{where}.mobility_activation", m.mobility_activation,
                             "0 with the EGDM mobility (its temperature law comes from sigma)")
    for prop in need_sigma:
        if getattr(m, prop) is None:
            why = (f"statistics {m.statistics!r}" if m.statistics == "gauss_fermi" else
                   f"mobility_model {m.mobility_model_name!r}" if m.mobility_model_name == "egdm" else
                   "energy_reference 'onset'")
            raise InputError(f"{where}.{prop}", None, f"a Gaussian DOS width in eV (needed by {why})")
    if m.mobility_model_name == "egdm":
        for prop in ("sigma_n", "sigma_p"):
            positive(prop, "a Gaussian DOS width > 0 eV (EGDM)")


def parse_library(data: dict, origin: str = "materials") -> MaterialLibrary:
    """Build a :class:`MaterialLibrary` from a parsed TOML mapping, validating every entry."""
    data = toml_table(origin, data, "material name -> table")
    return MaterialLibrary({name: _parse_one(name, table, origin) for name, table in data.items()})


def load_library(*user_files: str | Path) -> MaterialLibrary:
    """The built-in library, then each user TOML file on top (same names override)."""
    text = resources.files("fem_cqd").joinpath("data/materials.toml").read_text()
    lib = parse_library(tomllib.loads(text), "materials.toml")
    for path in user_files:
        path = Path(path)
        lib.update(parse_library(read_toml(path, "materials file"), path.name))
    return lib


def with_overrides(material: Material, **changes) -> Material:
    """A copy of ``material`` with some SI fields replaced (used by sweeps)."""
    bad = set(changes) - {f.name for f in dataclasses.fields(Material)}
    if bad:
        raise InputError("material override", sorted(bad), "fields of Material")
    return dataclasses.replace(material, **changes)
