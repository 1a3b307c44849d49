"""Named parameter sets: material and stack values that differ from the library, each with its source.

A parameter set is a TOML file (built-ins in ``fem_cqd/data/paramsets/``; any path works too)::

    name = "lim2018_operating"
    description = "..."
    stack = "lim2018"                       # the published stack it applies to

    [stack_parameters.spacer_nm]            # keyword of the stack function, with unit in the name
    value = 10.0
    source = "assumed: ..."

    [materials.TCTA]                        # the library's TOML keys (units in the names)
    statistics = "gauss_fermi"
    sigma_p_eV = 0.12
    [materials.TCTA.sources]
    statistics = "..."                      # every value names its source or "assumed: reason"

Material entries override single fields of the library material of that name (``homo_eV`` and
``lumo_eV`` are accepted: the HOMO moves the gap above the affinity). Nothing is changed silently:
:meth:`ParameterSet.table` lists every value the set sets, with its unit and source, for summaries.
"""
from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from .errors import InputError
from .materials import (_MAY_BE_ZERO_OR_NEGATIVE, _NAMES, _UNITS, MaterialLibrary, load_library, read_toml, toml_table,
                        validate_electrical)


@dataclass(frozen=True)
class ParameterSet:
    """A named set of material overrides and stack keyword values, each with its source."""

    name: str
    description: str
    stack: str
    stack_parameters: dict          # keyword -> {"value", "source"}
    materials: dict                 # material -> {"values": {toml key: value}, "sources": {key: text}}

    def library(self, base: MaterialLibrary | None = None) -> MaterialLibrary:
        """The material library with this set's overrides applied (``base``: default library)."""
        lib = MaterialLibrary(base if base is not None else load_library())
        for mat, entry in self.materials.items():
            if mat not in lib:
                raise InputError(f"parameter set {self.name!r} materials", mat, "one of " + ", ".join(sorted(lib)))
            where = f"{self.name}.materials[{mat!r}]"
            lib[mat] = _override(lib[mat], entry["values"], entry["sources"], where)
            validate_electrical(lib[mat], where)      # model names and their parameters, now
        return lib

    def stack_kwargs(self) -> dict:
        return {k: v["value"] for k, v in self.stack_parameters.items()}

    def table(self) -> list[dict]:
        """Every value the set sets: name, value, unit, source (for summaries and reports)."""
        rows = [{"name": f"stack.{k}", "value": v["value"], "unit": _unit(k), "source": v["source"]}
                for k, v in self.stack_parameters.items()]
        for mat, entry in self.materials.items():
            for key, value in entry["values"].items():
                rows.append({"name": f"{mat}.{key}", "value": value, "unit": _unit(key),
                             "source": entry["sources"][_source_key(key)]})
        return rows


_UNIT_SUFFIXES = {"_cm2_per_Vs": "cm^2/(V s)", "_sqrt_cm_per_V": "(cm/V)^0.5", "_per_cm3": "cm^-3", "_eV": "eV",
                  "_nm": "nm", "_um": "um", "_s": "s", "_K": "K"}


def _unit(key: str) -> str:
    for suffix, unit in _UNIT_SUFFIXES.items():
        if key.endswith(suffix):
            return unit
    return ""


def _source_key(key: str) -> str:
    if key in _NAMES:
        return key
    stem = key.rsplit("_eV", 1)[0]
    return stem if stem in ("homo", "lumo") else _UNITS[key][0]


def _override(material, values: dict, sources: dict, where: str):
    """``material`` with the TOML-keyed ``values`` replaced (validated as the library's own)."""
    changes, new_sources = {}, dict(material.sources)
    homo = None
    for key, raw in values.items():
        skey = _source_key(key) if (key in _UNITS or key in _NAMES) else None
        if skey is None:
            raise InputError(f"{where}.{key}", raw, "a library key: " + ", ".join(sorted(list(_UNITS) + list(_NAMES))))
        if skey not in sources:
            raise InputError(f"{where}.sources.{skey}", None, "a source for every value (paper, datasheet or 'assumed: reason')")
        if key in _NAMES:
            allowed = _NAMES[key]
            if not isinstance(raw, str) or (allowed is not None and raw not in allowed):
                raise InputError(f"{where}.{key}", raw, "a name (string)" if allowed is None else
                                 "one of " + ", ".join(repr(a) for a in allowed))
            changes[key] = raw
            new_sources[key] = sources[skey]
            continue
        attr, factor = _UNITS[key]
        if isinstance(raw, bool) or not isinstance(raw, (int, float)) or not (raw == raw) or abs(raw) == float("inf"):
            raise InputError(f"{where}.{key}", raw, "a finite number")
        if attr not in _MAY_BE_ZERO_OR_NEGATIVE and raw <= 0:
            raise InputError(f"{where}.{key}", raw, "a number > 0")
        if attr == "homo":
            homo = float(raw)
            new_sources["band_gap"] = f"HOMO {homo:g} eV ({sources[skey]}) minus LUMO"
            continue
        changes[attr] = float(raw) * factor
        new_sources[attr] = sources[skey]
    if homo is not None:
        chi = changes.get("electron_affinity", material.electron_affinity)
        if homo <= chi:
            raise InputError(f"{where}.homo_eV", homo, f"> the LUMO {chi:g} eV")
        changes["band_gap"] = homo - chi
    return dataclasses.replace(material, sources=new_sources, **changes)


def _parse(data: dict, origin: str) -> ParameterSet:
    for key in ("name", "description", "stack"):
        if not isinstance(data.get(key), str):
            raise InputError(f"{origin}.{key}", data.get(key), "a string")
    stack_parameters = {}
    for k, v in toml_table(f"{origin}.stack_parameters", data.get("stack_parameters", {}),
                           "[stack_parameters]").items():
        if not (isinstance(v, dict) and "value" in v and isinstance(v.get("source"), str) and v["source"]):
            raise InputError(f"{origin}.stack_parameters.{k}", v, "a table with 'value' and 'source'")
        stack_parameters[k] = {"value": v["value"], "source": v["source"]}
    materials = {}
    for mat, table in toml_table(f"{origin}.materials", data.get("materials", {}), "[materials.NAME] tables").items():
        table = toml_table(f"{origin}.materials[{mat!r}]", table, f"[materials.{mat}] with the keys to override")
        sources = toml_table(f"{origin}.materials[{mat!r}].sources", table.pop("sources", {}),
                             f"[materials.{mat}.sources]: key = source text")
        materials[mat] = {"values": table, "sources": sources}
    known = {"name", "description", "stack", "stack_parameters", "materials"}
    extra = set(data) - known
    if extra:
        raise InputError(f"{origin} keys", sorted(extra), "only " + ", ".join(sorted(known)))
    return ParameterSet(data["name"], data["description"], data["stack"], stack_parameters, materials)


def write_parameter_set(ps: ParameterSet, path) -> Path:
    """Write ``ps`` as a parameter-set TOML that :func:`load_parameter_set` reads back (atomically)."""
    import tomli_w

    from .files import atomic_write
    data = {"name": ps.name, "description": ps.description, "stack": ps.stack,
            "stack_parameters": {k: dict(v) for k, v in ps.stack_parameters.items()},
            "materials": {m: {**e["values"], "sources": dict(e["sources"])} for m, e in ps.materials.items()}}
    path = Path(path)
    atomic_write(path, lambda tmp: Path(tmp).write_text(tomli_w.dumps(data)))
    return path


def available() -> list[str]:
    """Names of the built-in parameter sets."""
    folder = resources.files("fem_cqd").joinpath("data/paramsets")
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".toml"))


def load_parameter_set(name_or_path: str | Path) -> ParameterSet:
    """A built-in parameter set by name (:func:`available`) or a TOML file by path."""
    path = Path(name_or_path)
    if path.suffix == ".toml":
        data, origin = read_toml(path, "parameter set file"), path.name
    else:
        if str(name_or_path) not in available():
            raise InputError("parameter set", name_or_path, "one of " + ", ".join(available()) + ", or a .toml path")
        text = resources.files("fem_cqd").joinpath(f"data/paramsets/{name_or_path}.toml").read_text()
        origin = f"{name_or_path}.toml"
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise InputError("parameter set file", origin, f"valid TOML ({exc})") from None
    ps = _parse(data, origin)
    ps.library()                      # every override validated now, not at first use
    return ps
