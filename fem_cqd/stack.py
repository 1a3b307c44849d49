"""The device stack: layers, the insulating spacer with its aperture, substrate, heat sink.

A :class:`Stack` lists the thin-film layers from the substrate up, plus a :class:`Spacer` — an
insulating film lying on one of the layers with an opening (the aperture) that leaves a stripe
(planar geometry, ``width_um`` = stripe width) or a disc (axisymmetric, ``width_um`` = diameter)
through which current reaches the QD film. Inside the opening, the spacer's level is filled by the
layer named ``fill`` (the layer the spacer lies on, by default), which reaches up to contact the
layer above. User-facing numbers carry their unit in the name; everything is checked on creation
and raises :class:`~fem_cqd.errors.InputError` naming the field, the value and what is allowed.

Coordinates used by the mesh: ``x`` lateral from the centre of the aperture (the symmetry plane or
axis) to ``half_width_um``; ``y`` vertical, ``y = 0`` at the top of the substrate.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from . import limits
from .errors import InputError, check_choice, check_positive, check_range
from .materials import MaterialLibrary, load_library
from .constants import GEOMETRIES

THERMAL_BCS = ("isothermal", "convective", "adiabatic")


def _check_size(field: str, value, limit_name: str, unit: str, allow_zero: bool = False) -> float:
    """> 0 (or >= 0) and at most the plausibility limit ``fem_cqd.limits.<limit_name>``."""
    check_positive(field, value, allow_zero=allow_zero)
    return check_range(field, value, 0.0, getattr(limits, limit_name), unit, f"fem_cqd.limits.{limit_name}")


@dataclass(frozen=True)
class Layer:
    """One thin film: its name (unique in the stack), material and thickness."""

    name: str
    material: str
    thickness_nm: float

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name:
            raise InputError("layer.name", self.name, "a non-empty string")
        _check_size(f"layers[{self.name!r}].thickness_nm", self.thickness_nm, "MAX_FILM_THICKNESS_NM", "nm")


@dataclass(frozen=True)
class Spacer:
    """Insulating film on top of layer ``on`` with an opening of ``width_um`` at the centre.

    Shape of the opening's edge: ``width_um`` is the opening at the spacer's top face, where it meets
    the layer above (the contact width to the QD film). ``taper_angle_deg`` is the sidewall's angle
    to the substrate plane (90: a vertical step); below 90 the spacer thins towards the opening
    over ``thickness_nm / tan(angle)``, so the opening at its bottom face is narrower by that on each
    side. ``edge_radius_nm`` rounds the spacer's top edge (the corner between sidewall and top face)
    with a circular arc tangent to both (0: sharp). The opening, above the sloped and rounded
    faces too, is filled by the ``fill`` layer. Shaped edges are meshed by gmsh
    (:mod:`fem_cqd.shaped_mesh`); a vertical sharp step stays on the tensor mesh.

    A wedge: ``edge_thickness_nm`` (0 < it <= thickness_nm; None: no wedge) is the spacer's
    thickness at the opening -- a vertical step of that height -- from where it grows linearly to
    ``thickness_nm`` over ``wedge_um``; the opening is filled to the edge thickness, and the layers
    above follow the spacer's top face. Meshed by shearing the tensor mesh's columns (:func:`fem_cqd.mesh.build_mesh`).
    """

    material: str = "LiF"
    thickness_nm: float = 50.0
    width_um: float = 100.0
    on: str = "TCTA"
    fill: str | None = None
    taper_angle_deg: float = 90.0
    edge_radius_nm: float = 0.0
    edge_thickness_nm: float | None = None
    wedge_um: float = 0.0

    def __post_init__(self):
        _check_size("spacer.thickness_nm", self.thickness_nm, "MAX_FILM_THICKNESS_NM", "nm")
        _check_size("spacer.width_um", self.width_um, "MAX_LATERAL_UM", "um")
        allowed = "a sidewall angle to the substrate plane in (0, 90] deg (90: vertical step)"
        if check_range("spacer.taper_angle_deg", self.taper_angle_deg, 0.0, 90.0, "deg", allowed) == 0.0:
            raise InputError("spacer.taper_angle_deg", self.taper_angle_deg, allowed)
        check_range("spacer.edge_radius_nm", self.edge_radius_nm, 0.0, self.thickness_nm, "nm",
                    "at most the spacer thickness_nm")
        if self.edge_thickness_nm is not None:
            if check_range("spacer.edge_thickness_nm", self.edge_thickness_nm, 0.0, self.thickness_nm, "nm",
                           "at most the spacer thickness_nm (its thickness away from the opening)") <= 0.0:
                raise InputError("spacer.edge_thickness_nm", self.edge_thickness_nm,
                                 "a thickness > 0 nm (a spacer that thins to nothing at the opening is a taper: "
                                 "taper_angle_deg)")
        _check_size("spacer.wedge_um", self.wedge_um, "MAX_LATERAL_UM", "um", allow_zero=True)
        if self.wedge and self.wedge_um <= 0:
            raise InputError("spacer.wedge_um", self.wedge_um, "a run > 0 um over which the spacer grows from "
                             f"edge_thickness_nm {self.edge_thickness_nm:g} to thickness_nm {self.thickness_nm:g}")
        if self.wedge and self.shaped:
            raise InputError("spacer.edge_thickness_nm", self.edge_thickness_nm, "None (no wedge) with a tapered or "
                             "rounded edge: the two shapes are not meshed together")
        if self.bottom_inset_um >= self.width_um / 2:
            raise InputError("spacer.taper_angle_deg", self.taper_angle_deg,
                             f"an angle that leaves the opening open at the spacer's bottom: its sidewall spans "
                             f"thickness_nm / tan(angle) = {self.bottom_inset_um:.4g} um, not less than the half-width "
                             f"{self.width_um / 2:g} um; > {math.degrees(math.atan(self.thickness_nm * 2e-3 / self.width_um)):.3g} deg")

    @property
    def wedge(self) -> bool:
        """True when the spacer is thinner at the opening than away from it."""
        return self.edge_thickness_nm is not None and self.edge_thickness_nm < self.thickness_nm

    @property
    def opening_thickness_nm(self) -> float:
        """The spacer's thickness at the opening: the height of its step, and of the fill there."""
        return self.thickness_nm if self.edge_thickness_nm is None else self.edge_thickness_nm

    def thickness_at_um(self, beyond_edge_um):
        """Thickness (nm) at ``beyond_edge_um`` (um, >= 0) outside the opening's edge."""
        if not self.wedge:
            return np.full(np.shape(beyond_edge_um), self.thickness_nm)
        f = np.clip(np.asarray(beyond_edge_um, dtype=float) / self.wedge_um, 0.0, 1.0)
        return self.edge_thickness_nm + (self.thickness_nm - self.edge_thickness_nm) * f

    @property
    def shaped(self) -> bool:
        """True for a tapered or rounded edge (meshed by gmsh), False for a vertical sharp step."""
        return self.taper_angle_deg < 90.0 or self.edge_radius_nm > 0.0

    @property
    def bottom_inset_um(self) -> float:
        """How far (um) the sidewall's foot lies inside the top opening: thickness / tan(angle)."""
        if self.taper_angle_deg == 90.0:
            return 0.0
        return self.thickness_nm * 1e-3 / math.tan(math.radians(self.taper_angle_deg))

    @property
    def rounding_reach_um(self) -> float:
        """How far (um) beyond the top opening the rounded edge meets the top face: r tan(angle/2)."""
        return self.edge_radius_nm * 1e-3 * math.tan(math.radians(self.taper_angle_deg) / 2)


@dataclass(frozen=True)
class Substrate:
    """Substrate below the stack and an optional heat sink below that."""

    material: str = "glass"
    thickness_um: float = 700.0
    heat_sink_material: str | None = None
    heat_sink_thickness_um: float = 0.0

    def __post_init__(self):
        _check_size("substrate.thickness_um", self.thickness_um, "MAX_SUBSTRATE_THICKNESS_UM", "um")
        if self.heat_sink_material is not None:
            _check_size("substrate.heat_sink_thickness_um", self.heat_sink_thickness_um, "MAX_SUBSTRATE_THICKNESS_UM", "um")


@dataclass(frozen=True)
class ThermalBoundary:
    """Thermal boundary conditions of the device (the lateral symmetry side is always adiabatic).

    ``bottom``: the far face of substrate/heat sink; ``top``: the top surface (cathode);
    ``far_edge``: the lateral end of the domain. Each is "isothermal" (held at ``T_ambient_K``),
    "convective" (h = ``h_W_per_m2K`` to ``T_ambient_K``) or "adiabatic".
    ``interface_resistance_m2K_per_W`` applies to every interface between two stack layers.
    """

    bottom: str = "isothermal"
    top: str = "convective"
    far_edge: str = "adiabatic"
    T_ambient_K: float = 300.0
    h_W_per_m2K: float = 10.0
    interface_resistance_m2K_per_W: float = 0.0

    def __post_init__(self):
        for side in ("bottom", "top", "far_edge"):
            check_choice(f"thermal.{side}", getattr(self, side), THERMAL_BCS)
        _check_size("thermal.T_ambient_K", self.T_ambient_K, "MAX_TEMPERATURE_K", "K")
        check_range("thermal.h_W_per_m2K", self.h_W_per_m2K, 0.0, limits.MAX_HEAT_TRANSFER_W_PER_M2K, "W/(m^2 K)",
                    "fem_cqd.limits.MAX_HEAT_TRANSFER_W_PER_M2K")
        check_range("thermal.interface_resistance_m2K_per_W", self.interface_resistance_m2K_per_W, 0.0,
                    limits.MAX_INTERFACE_RESISTANCE_M2K_PER_W, "m^2 K/W", "fem_cqd.limits.MAX_INTERFACE_RESISTANCE_M2K_PER_W")
        if "isothermal" not in (self.bottom, self.top, self.far_edge) and not (
                "convective" in (self.bottom, self.top, self.far_edge) and self.h_W_per_m2K > 0):
            raise InputError("thermal", (self.bottom, self.top, self.far_edge),
                             "at least one isothermal or convective (h > 0) boundary, or the steady temperature is undefined")


@dataclass(frozen=True)
class Stack:
    """A thin-film device: ``layers`` from the substrate up, a spacer, substrate and geometry.

    The anode is the bottom face of the first layer, the cathode the top face of the last.
    ``qd_layer`` names the emitting layer (the gain model's input).
    """

    layers: tuple
    spacer: Spacer
    substrate: Substrate = field(default_factory=Substrate)
    geometry: str = "planar"
    half_width_um: float = 2000.0
    electrical_half_width_um: float | None = None
    qd_layer: str | None = "CQD"
    thermal: ThermalBoundary = field(default_factory=ThermalBoundary)
    description: str = ""
    library: MaterialLibrary | None = field(default=None, compare=False, repr=False)
    parameters: tuple = field(default=(), compare=False, repr=False)   # (name, value, unit, source) rows

    def __post_init__(self):
        object.__setattr__(self, "layers", tuple(self.layers))
        check_choice("geometry", self.geometry, GEOMETRIES)
        if not self.layers:
            raise InputError("layers", self.layers, "at least one layer")
        for lay in self.layers:
            if not isinstance(lay, Layer):
                raise InputError("layers", lay, "Layer instances")
        names = [lay.name for lay in self.layers]
        dup = {n for n in names if names.count(n) > 1}
        if dup:
            raise InputError("layers.name", sorted(dup), "unique layer names")
        reserved = {"spacer", "substrate", "heat_sink"} & set(names)
        if reserved:
            raise InputError("layers.name", sorted(reserved), "names other than spacer, substrate, heat_sink")
        _check_size("half_width_um", self.half_width_um, "MAX_LATERAL_UM", "um")
        if self.spacer.on not in names[:-1]:
            raise InputError("spacer.on", self.spacer.on, "the name of a layer that has another layer above it: " + ", ".join(names[:-1]))
        if self.fill_layer not in names:
            raise InputError("spacer.fill", self.spacer.fill, "the name of a layer: " + ", ".join(names))
        if self.qd_layer is not None and self.qd_layer not in names:
            raise InputError("qd_layer", self.qd_layer, "the name of a layer (or None: no emitter, e.g. a hole-only "
                             "device): " + ", ".join(names))
        if self.spacer.width_um / 2 >= self.half_width_um:
            raise InputError("spacer.width_um", self.spacer.width_um,
                             f"less than the device width 2*half_width_um = {2 * self.half_width_um:g} um")
        ehw = self.electrical_extent_um
        check_positive("electrical_half_width_um", ehw)
        if not (self.spacer.width_um / 2 + self.spacer.rounding_reach_um < ehw <= self.half_width_um):
            raise InputError("electrical_half_width_um", ehw,
                             f"between the aperture half-width {self.spacer.width_um / 2:g} um and half_width_um {self.half_width_um:g} um")
        if self.spacer.wedge and self.spacer.width_um / 2 + self.spacer.wedge_um >= ehw:
            raise InputError("spacer.wedge_um", self.spacer.wedge_um,
                             f"a wedge that ends inside the electrical domain: less than {ehw - self.spacer.width_um / 2:g} um "
                             f"(electrical extent {ehw:g} um - aperture half-width {self.spacer.width_um / 2:g} um)")

    @property
    def fill_layer(self) -> str:
        """Layer that fills the spacer opening."""
        return self.spacer.fill or self.spacer.on

    @property
    def aperture_half_width_um(self) -> float:
        return self.spacer.width_um / 2

    @property
    def electrical_extent_um(self) -> float:
        """Lateral extent of the electrical domain: by default the aperture plus 50 um of spacer."""
        if self.electrical_half_width_um is not None:
            return self.electrical_half_width_um
        return min(self.half_width_um, self.aperture_half_width_um + 50.0)

    @property
    def thickness_nm(self) -> float:
        return sum(lay.thickness_nm for lay in self.layers) + self.spacer.thickness_nm

    def path_through(self, layer: str) -> float:
        """Thickness (nm) of ``layer`` a carrier crosses at the aperture centre: the layer, plus the
        spacer's thickness when that layer fills the opening."""
        return self.layer(layer).thickness_nm + (self.spacer.opening_thickness_nm if self.fill_layer == layer else 0.0)

    def layer(self, name: str) -> Layer:
        for lay in self.layers:
            if lay.name == name:
                return lay
        raise InputError("layer", name, "one of " + ", ".join(lay.name for lay in self.layers))

    def check_materials(self, library: MaterialLibrary | None = None) -> MaterialLibrary:
        """Check every material exists in ``library`` (default: built-ins); return the library."""
        lib = library if library is not None else (self.library if self.library is not None else load_library())
        for lay in self.layers:
            if lay.material not in lib:
                raise InputError(f"layers[{lay.name!r}].material", lay.material, "one of " + ", ".join(sorted(lib)))
        for fld, name in (("spacer.material", self.spacer.material), ("substrate.material", self.substrate.material),
                          ("substrate.heat_sink_material", self.substrate.heat_sink_material)):
            if name is not None and name not in lib:
                raise InputError(fld, name, "one of " + ", ".join(sorted(lib)))
        if lib[self.spacer.material].kind != "insulator":
            raise InputError("spacer.material", self.spacer.material, "an insulator: " +
                             ", ".join(sorted(n for n, m in lib.items() if m.kind == "insulator")))
        return lib


def lim2018(geometry: str = "planar", aperture_um: float = 100.0, substrate: str = "glass",
            spacer_material: str = "LiF", spacer_nm: float | None = None, fill: str | None = None,
            tcta_nm: float | None = None, params=None, device: str = "pin", **overrides) -> Stack:
    """The current-focusing p-i-n stack of Lim, Park & Klimov, Nat. Mater. 17, 42 (2018).

    From the paper: ITO / PEDOT:PSS / poly-TPD / TCTA hole side, a 1-2 monolayer QD film, ZnO
    electron side, metal cathode; an insulating spacer leaves a 70-100 um contact to the QD film.
    Assumed here (not given in the abstract; swept in cases/): thicknesses ITO 120 nm (15 Ohm/sq
    at 2e-4 Ohm cm is ~130 nm), PEDOT:PSS 40 nm, poly-TPD 30 nm, TCTA ``tcta_nm`` (10 nm), QD film
    20 nm (two monolayers of ~10 nm dots), ZnO 50 nm, Al 100 nm; spacer ``spacer_material``
    ``spacer_nm`` thick (50 nm) lying on TCTA, its opening filled by ``fill`` (TCTA: holes reach
    the QDs only through the aperture, crossing tcta_nm + spacer_nm of TCTA there); glass
    substrate 0.7 mm whose far face is held at ambient; top surface in still air
    (h = 10 W/m^2K); device 4 mm wide.

    ``device``: ``"pin"`` (the light-emitting diode above) or ``"hole_only"``, its hole-only
    companion for calibration -- the same hole side, spacer and aperture, with the QD film, ZnO and Al
    replaced by a 100 nm Au top contact (W_F 5.1 eV: holes leave through it, and electrons, 2.7 eV
    above TCTA's LUMO, cannot enter); it has no emitter (``qd_layer`` None).

    ``params``: a parameter set (name, path or :class:`~fem_cqd.paramsets.ParameterSet`, e.g.
    ``"lim2018_operating"``) whose stack values fill the arguments left at None and whose material
    overrides become the stack's ``library``; its table of values and sources is kept in
    ``Stack.parameters``.
    """
    from .paramsets import ParameterSet, load_parameter_set
    ps = params if isinstance(params, ParameterSet) or params is None else load_parameter_set(params)
    given = ps.stack_kwargs() if ps is not None else {}
    if ps is not None and ps.stack != "lim2018":
        raise InputError("params", ps.name, f"a parameter set for the lim2018 stack (this one is for {ps.stack!r})")
    unknown = set(given) - {"spacer_nm", "fill", "tcta_nm", "aperture_um", "substrate", "spacer_material"}
    if unknown:
        raise InputError(f"parameter set {ps.name!r} stack_parameters", sorted(unknown),
                         "spacer_nm, fill, tcta_nm, aperture_um, substrate, spacer_material")
    spacer_nm = spacer_nm if spacer_nm is not None else given.get("spacer_nm", 50.0)
    fill = fill if fill is not None else given.get("fill", "TCTA")
    tcta_nm = tcta_nm if tcta_nm is not None else given.get("tcta_nm", 10.0)
    check_choice("device", device, DEVICES)
    hole_side = (
        Layer("ITO", "ITO", 120.0),
        Layer("PEDOT:PSS", "PEDOT:PSS", 40.0),
        Layer("poly-TPD", "poly-TPD", 30.0),
        Layer("TCTA", "TCTA", tcta_nm),
    )
    if device == "pin":
        layers = hole_side + (Layer("CQD", "CQD", 20.0), Layer("ZnO", "ZnO", 50.0), Layer("Al", "Al", 100.0))
    else:
        layers = hole_side + (Layer("Au", "Au", 100.0),)
    kwargs = dict(
        layers=layers,
        spacer=Spacer(material=spacer_material, thickness_nm=spacer_nm, width_um=aperture_um, on="TCTA", fill=fill),
        substrate=Substrate(material=substrate, thickness_um=700.0),
        geometry=geometry,
        half_width_um=2000.0,
        qd_layer="CQD" if device == "pin" else None,
        description="Lim, Park & Klimov, Nat. Mater. 17, 42 (2018) current-focusing stack"
                    + ("" if device == "pin" else " (hole-only companion: Au top contact)") + "; thicknesses assumed"
                    + (f"; parameter set {ps.name!r}" if ps is not None else ""),
    )
    if ps is not None:
        kwargs["library"] = ps.library()
        kwargs["parameters"] = tuple(ps.table())
    kwargs.update(overrides)
    return Stack(**kwargs)


PUBLISHED = {"lim2018": lim2018}
DEVICES = ("pin", "hole_only")          # lim2018's device kinds
