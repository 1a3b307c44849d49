"""Tagged meshes: a scikit-fem triangle mesh with a region per element and named boundaries.

A :class:`TaggedMesh` is what every solver takes. Coordinates are SI metres: ``x`` lateral (the
radius ``r`` in axisymmetric geometry, symmetry axis/plane at ``x = 0``), ``y`` vertical, up.
``DeviceMesh`` (``fem_cqd.mesh``) pairs the thermal mesh (stack + substrate + heat sink) with the
electrical one (the thin-film stack), whose nodes are a subset of the thermal nodes.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import skfem

from .errors import InputError
from .materials import Material

GEOMETRIES = ("planar", "axisymmetric")


@dataclass(frozen=True, eq=False)
class TaggedMesh:
    """A triangle mesh with regions and named boundaries.

    Attributes
    ----------
    mesh : skfem.MeshTri
        Coordinates in metres.
    geometry : {"planar", "axisymmetric"}
        Planar: quantities are per metre of depth (z). Axisymmetric: x is the radius and every
        integral carries 2 pi r.
    element_region : (n_elements,) int
        Index into ``region_names`` for each element.
    region_names : tuple of str
        Region (layer) names, e.g. ``("glass", "ITO", ..., "spacer")``.
    region_materials : tuple of Material
        The material of each region, same order.
    boundaries : dict str -> (n_facets,) int
        Facet indices of each named boundary (``mesh.facets[:, idx]``).
    """

    mesh: skfem.MeshTri
    geometry: str
    element_region: np.ndarray
    region_names: tuple
    region_materials: tuple
    boundaries: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.geometry not in GEOMETRIES:
            raise InputError("geometry", self.geometry, "one of " + ", ".join(GEOMETRIES))
        t = np.asarray(self.element_region)
        if t.shape != (self.mesh.t.shape[1],):
            raise InputError("element_region", f"shape {t.shape}", f"shape ({self.mesh.t.shape[1]},): one region per element")
        if len(self.region_names) != len(self.region_materials):
            raise InputError("region_materials", len(self.region_materials), f"{len(self.region_names)} materials, one per region")
        if t.size and (t.min() < 0 or t.max() >= len(self.region_names)):
            raise InputError("element_region", f"[{t.min()}, {t.max()}]", f"indices in [0, {len(self.region_names) - 1}]")
        for m in self.region_materials:
            if not isinstance(m, Material):
                raise InputError("region_materials", m, "Material instances")
        if self.geometry == "axisymmetric" and self.mesh.p[0].min() < -1e-15:
            raise InputError("mesh x (radius)", float(self.mesh.p[0].min()), "r >= 0 in axisymmetric geometry")
        nf = self.mesh.facets.shape[1]
        for name, idx in self.boundaries.items():
            idx = np.asarray(idx)
            if idx.size and (idx.min() < 0 or idx.max() >= nf):
                raise InputError(f"boundaries[{name!r}]", f"facet index range [{idx.min()}, {idx.max()}]", f"facet indices in [0, {nf - 1}]")

    # --- look-ups -------------------------------------------------------------------------
    def boundary(self, name: str) -> np.ndarray:
        """Facet indices of boundary ``name``; unknown names raise, listing the known ones."""
        if name not in self.boundaries:
            raise InputError("boundary", name, "one of " + ", ".join(sorted(self.boundaries)))
        return np.asarray(self.boundaries[name])

    def boundary_nodes(self, name: str) -> np.ndarray:
        """Sorted unique node indices on boundary ``name``."""
        return np.unique(self.mesh.facets[:, self.boundary(name)])

    def region_index(self, name: str) -> int:
        if name not in self.region_names:
            raise InputError("region", name, "one of " + ", ".join(self.region_names))
        return self.region_names.index(name)

    def elements_of(self, name: str) -> np.ndarray:
        """Element indices of region ``name``."""
        return np.flatnonzero(self.element_region == self.region_index(name))

    def element_property(self, prop: str, needed_for: str = "this solve") -> np.ndarray:
        """Per-element array of a material property (SI), raising if a region lacks it."""
        values = np.array([m.require(prop, needed_for) if getattr(m, prop) is None else getattr(m, prop)
                           for m in self.region_materials], dtype=float)
        return values[self.element_region]

    def element_kind(self) -> np.ndarray:
        """Per-element material kind ('conductor' | 'semiconductor' | 'insulator')."""
        return np.array([m.kind for m in self.region_materials])[self.element_region]
