"""Tagged meshes for problems that are not a :class:`~fem_cqd.stack.Stack`: a user's own geometry.

Every solver takes a :class:`~fem_cqd.regions.TaggedMesh` (a scikit-fem triangle mesh, a region per
element, each region's material, named boundary facets); :func:`fem_cqd.mesh.build_mesh` makes one
from a stack, these make one from coordinates:

- :func:`tensor_mesh`: the tensor grid x by y (right triangles), planar (per metre of depth) or
  axisymmetric (x = r), regions from a function of the element centroids;
- :func:`strip_mesh`: a 1D device along y, one element wide (no lateral current: the contact current
  divided by the width is the current density);
- :func:`gmsh_rectangle`: an unstructured (gmsh Frontal-Delaunay) triangulation of a rectangle,
  finest at chosen points, made box-method valid (:mod:`fem_cqd.delaunay`);
- :func:`with_boundary`: one more named boundary, the boundary facets whose midpoints satisfy a
  predicate (scikit-fem's ``facets_satisfying`` convention).

Graded coordinates: :func:`fem_cqd.grading.graded_points` (finest at a chosen end). Any other
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
    return _tag(skfem.MeshTri.init_tensor(x, y), region_of, materials, geometry, (x[0], x[-1]), (y[0], y[-1]))


def _tag(m: skfem.MeshTri, region_of, materials: dict, geometry: str, xs, ys) -> TaggedMesh:
    """Regions from ``region_of`` at the centroids; boundaries left/right/bottom/top of the box xs x ys."""
    x, y = xs, ys
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


def gmsh_rectangle(x, y, region_of, materials: dict, h_min_m: float, h_max_m: float, fine_at=(),
                   growth: float = 0.3, split_x=(), geometry: str = "planar") -> TaggedMesh:
    """Unstructured TaggedMesh of the rectangle ``x`` = (x0, x1) by ``y`` = (y0, y1) (metres), by gmsh.

    Triangles are ``h_min_m`` across at the points ``fine_at`` ((x, y) pairs, m; each one on the
    boundary also becomes a node, e.g. the end of a contact) and grow with the distance d from the
    nearest of them as h_min + ``growth`` d up to ``h_max_m``. Vertical lines at ``split_x`` are kept
    as mesh lines (region interfaces). ``region_of`` and ``materials`` as in :func:`tensor_mesh`;
    boundaries "left", "right", "bottom", "top". The mesh is made Delaunay in the box-method sense by
    :func:`fem_cqd.delaunay.repair_delaunay` (drift-diffusion refuses it otherwise).
    """
    import gmsh

    from .delaunay import repair_delaunay

    (x0, x1), (y0, y1) = _coordinates("x", x), _coordinates("y", y)
    check_positive("h_min_m", h_min_m)
    check_positive("h_max_m", h_max_m)
    if h_max_m < h_min_m:
        raise InputError("h_max_m", h_max_m, f"at least h_min_m = {h_min_m:g} m")
    cuts = sorted(float(c) for c in split_x)
    if any(not x0 < c < x1 for c in cuts):
        raise InputError("split_x", list(split_x), f"x values strictly inside ({x0:g}, {x1:g}) m")
    marks = [(float(a), float(b)) for a, b in fine_at]
    if any(not (x0 <= a <= x1 and y0 <= b <= y1) for a, b in marks):
        raise InputError("fine_at", marks, f"points inside the rectangle [{x0:g}, {x1:g}] x [{y0:g}, {y1:g}] m")
    s = h_max_m                                     # gmsh works in units of h_max (absolute tolerances)
    gmsh.initialize(interruptible=False)
    try:
        gmsh.option.setNumber("General.Terminal", 0)
        occ = gmsh.model.occ
        edges = [x0] + cuts + [x1]
        strips = [(2, occ.addRectangle((a - x0) / s, 0.0, 0.0, (b - a) / s, (y1 - y0) / s)) for a, b in zip(edges[:-1], edges[1:])]
        pts = [(0, occ.addPoint((a - x0) / s, (b - y0) / s, 0.0)) for a, b in marks]
        occ.fragment(strips, pts)
        occ.synchronize()
        field = gmsh.model.mesh.field
        if marks:
            dist = field.add("Distance")
            field.setNumbers(dist, "PointsList", [tag for _, tag in gmsh.model.getEntities(0)
                                                  if _near_mark(gmsh.model.getValue(0, tag, []), marks, x0, y0, s)])
            size = field.add("MathEval")
            field.setString(size, "F", f"Min({h_max_m / s!r}, {h_min_m / s!r} + {growth!r} * F{dist})")
            field.setAsBackgroundMesh(size)
            for name in ("MeshSizeFromPoints", "MeshSizeFromCurvature", "MeshSizeExtendFromBoundary"):
                gmsh.option.setNumber(f"Mesh.{name}", 0)
        gmsh.option.setNumber("Mesh.MeshSizeMax", 1.0)
        gmsh.option.setNumber("Mesh.Algorithm", 6)
        gmsh.model.mesh.generate(2)
        tags, coords, _ = gmsh.model.mesh.getNodes()
        index = np.full(int(tags.max()) + 1, -1)
        index[tags.astype(int)] = np.arange(tags.size)
        types, _, conn = gmsh.model.mesh.getElements(2)
        tri = index[conn[list(types).index(2)].astype(int)].reshape(-1, 3).T
        p = np.array([x0, y0])[:, None] + s * coords.reshape(-1, 3)[:, :2].T
    finally:
        gmsh.finalize()
    used = np.unique(tri)
    renumber = np.full(p.shape[1], -1)
    renumber[used] = np.arange(used.size)
    m = skfem.MeshTri(np.ascontiguousarray(p[:, used]), np.ascontiguousarray(renumber[tri]))
    tm = _tag(m, region_of, materials, geometry, (x0, x1), (y0, y1))
    return repair_delaunay(tm)[0]


def _near_mark(xyz, marks, x0, y0, s) -> bool:
    return any(abs(xyz[0] - (a - x0) / s) < 1e-9 and abs(xyz[1] - (b - y0) / s) < 1e-9 for a, b in marks)


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
