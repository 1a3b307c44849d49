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

from .constants import GEOMETRIES


def facet_index(mesh: skfem.MeshTri) -> dict:
    """{(a, b): facet index} with a < b, for finding facets by their end nodes."""
    f = np.sort(mesh.facets, axis=0)
    return {(int(a), int(b)): i for i, (a, b) in enumerate(f.T)}


def interior_facets(mesh: skfem.MeshTri, element_region: np.ndarray, facets) -> np.ndarray:
    """The facets among ``facets`` (sorted, unique) that lie inside one region: shared by two
    elements of the same region, so neither on the mesh boundary nor on a region interface."""
    facets = np.unique(np.asarray(facets, dtype=int))
    if facets.size == 0:
        return facets
    t2f = mesh.t2f                                  # (3, ne); cheaper than building mesh.f2t
    local, element = np.nonzero(np.isin(t2f, facets))
    f = t2f[local, element]
    order = np.argsort(f, kind="stable")
    f, region = f[order], np.asarray(element_region)[element[order]]
    uniq, first, count = np.unique(f, return_index=True, return_counts=True)
    shared = count == 2
    same = region[first[shared]] == region[first[shared] + 1]
    return uniq[shared][same]


def check_boundary_facets(mesh: skfem.MeshTri, element_region: np.ndarray, name: str, facets,
                          region_names=()) -> None:
    """Raise an InputError if boundary ``name`` holds facets inside a single region.

    The message gives how many such facets there are and the end points (m) of the first one.
    """
    bad = interior_facets(mesh, np.asarray(element_region), facets)
    if bad.size == 0:
        return
    f = int(bad[0])
    (x0, x1), (y0, y1) = mesh.p[:, mesh.facets[:, f]]
    region = int(np.asarray(element_region)[np.nonzero(mesh.t2f == f)[1][0]])
    where = repr(region_names[region]) if region < len(region_names) else str(region)
    raise InputError(f"boundaries[{name!r}]",
                     f"{bad.size} of {np.unique(facets).size} facets inside region {where}, e.g. facet {f} from "
                     f"({x0:.6g}, {y0:.6g}) m to ({x1:.6g}, {y1:.6g}) m",
                     "facets on the mesh boundary (mesh.boundary_facets()) or on an interface between two regions")


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
        Facet indices of each named boundary (``mesh.facets[:, idx]``). Each facet must lie on the
        mesh boundary (``mesh.boundary_facets()``) or on an interface between two regions (e.g.
        the thermal mesh's ``anode``, the substrate/ITO interface); a facet inside one region is
        refused: it would silently become a sheet source or a Dirichlet line inside the domain.
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
        for name, idx in self.boundaries.items():
            check_boundary_facets(self.mesh, t, name, idx, self.region_names)

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
