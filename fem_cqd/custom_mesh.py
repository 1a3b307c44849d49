"""Tagged meshes for problems that are not a :class:`~fem_cqd.stack.Stack`: a user's own geometry.

Every solver takes a :class:`~fem_cqd.regions.TaggedMesh` (a scikit-fem triangle mesh, a region per
element, each region's material, named boundary facets); :func:`fem_cqd.mesh.build_mesh` makes one
from a stack, these make one from coordinates:

- :func:`tensor_mesh`: the tensor grid x by y (right triangles), planar (per metre of depth) or
  axisymmetric (x = r), regions from a function of the element centroids;
- :func:`strip_mesh`: a 1D device along y, one element wide (no lateral current: the contact current
  divided by the width is the current density);
- :func:`with_boundary`: one more named boundary, the boundary facets whose midpoints satisfy a
  predicate (scikit-fem's ``facets_satisfying`` convention).

Graded coordinates: :func:`fem_cqd.mesh.graded_points` (finest at a chosen end). Any other
scikit-fem ``MeshTri`` (e.g. read by meshio, or gmsh through :func:`fem_cqd.mesh.load_mesh`) is
tagged with the TaggedMesh constructor directly.
"""
from __future__ import annotations

import numpy as np
import skfem

from .errors import InputError, check_positive
from .regions import TaggedMesh

SIDES = ("left", "right", "bottom", "top")


def _coordinates(name: str, v) -> np.ndarray:
    a = np.asarray(v, dtype=float)
    if a.ndim != 1 or a.size < 2 or not np.all(np.isfinite(a)) or np.any(np.diff(a) <= 0):
        raise InputError(name, v, "at least two finite, strictly increasing coordinates (m)")
    return a


def tensor_mesh(x, y, region_of, materials: dict, geometry: str = "planar") -> TaggedMesh:
    """TaggedMesh on the tensor grid ``x`` by ``y`` (metres, increasing; right triangles).

    ``region_of(xc, yc)`` maps element centroids to region names (array of str), or is one name for
    the whole mesh; ``materials`` maps every region name to its Material. Boundaries: "left",
    "right", "bottom", "top" (whole sides); add more with :func:`with_boundary`. Axisymmetric: x is
    the radius (x >= 0; the axis is the "left" side when x starts at 0).
    """
    x, y = _coordinates("x", x), _coordinates("y", y)
    m = skfem.MeshTri.init_tensor(x, y)
    xc, yc = m.p[0][m.t].mean(0), m.p[1][m.t].mean(0)
    names = np.asarray(region_of if isinstance(region_of, str) else region_of(xc, yc))
    if names.shape == ():
        names = np.full(m.t.shape[1], names)
    order = tuple(materials)
    unknown = sorted(set(names.tolist()) - set(order))
    if unknown:
        raise InputError("region_of", unknown, "region names that materials maps: " + ", ".join(order))
    idx = np.array([order.index(n) for n in names])
    fx, fy = m.p[0][m.facets], m.p[1][m.facets]
    tol = 1e-9 * max(x[-1] - x[0], y[-1] - y[0])
    b = {"left": np.flatnonzero(np.all(np.abs(fx - x[0]) < tol, 0)),
         "right": np.flatnonzero(np.all(np.abs(fx - x[-1]) < tol, 0)),
         "bottom": np.flatnonzero(np.all(np.abs(fy - y[0]) < tol, 0)),
         "top": np.flatnonzero(np.all(np.abs(fy - y[-1]) < tol, 0))}
    return TaggedMesh(m, geometry, idx, order, tuple(materials[k] for k in order), b)


def strip_mesh(y, region_of, materials: dict, width_m: float = 1e-9) -> TaggedMesh:
    """A 1D device along ``y`` (metres): a planar strip one element ``width_m`` wide. Boundaries
    "bottom" and "top" (the two ends: contacts), "left" and "right" (the sides: leave them insulating).
    ``region_of(yc)`` maps element-centroid heights to region names, or is one name. Current density
    (A/m^2) = contact current (A per metre of depth) / ``width_m``."""
    check_positive("width_m", width_m)
    one = region_of if isinstance(region_of, str) else (lambda xc, yc: region_of(yc))
    return tensor_mesh([0.0, width_m], y, one, materials)


def with_boundary(tm: TaggedMesh, name: str, where) -> TaggedMesh:
    """``tm`` with one more boundary ``name``: the boundary facets whose midpoints ``p`` (2, n_facets)
    satisfy ``where(p)`` (a boolean array), as scikit-fem's ``facets_satisfying``. A name already
    used, or a predicate no boundary facet satisfies, is refused."""
    if name in tm.boundaries:
        raise InputError("boundary name", name, "a name not yet used: not " + ", ".join(sorted(tm.boundaries)))
    m = tm.mesh
    bf = m.boundary_facets()
    mid = m.p[:, m.facets[:, bf]].mean(axis=1)
    sel = bf[np.asarray(where(mid), bool)]
    if sel.size == 0:
        raise InputError(f"boundary {name!r}", "no facet", "a predicate that some boundary facet's midpoint satisfies")
    b = dict(tm.boundaries)
    b[name] = sel
    return TaggedMesh(m, tm.geometry, tm.element_region, tm.region_names, tm.region_materials, b)
