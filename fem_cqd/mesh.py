"""Stack -> DeviceMesh: graded tensor-product triangle meshes with regions and named boundaries.

The thermal mesh covers stack, substrate and heat sink; the electrical mesh is the thin-film stack
out to ``Stack.electrical_extent_um``, made of the same elements, so its nodes are a subset of the
thermal nodes (``DeviceMesh.node_map``: electrical node i is thermal node node_map[i]; no
interpolation). Grid lines lie on every layer interface and on the aperture edge, where the lateral
spacing is finest and grows geometrically away from it. Right triangles (``MeshTri.init_tensor``)
keep the drift-diffusion matrices M-matrices at any aspect ratio (DESIGN.md, item 1).

Boundaries (both meshes where they apply): ``anode`` (bottom face of the first layer, y = 0),
``cathode`` and ``top`` (top face of the stack), ``symmetry`` (x = 0), ``far_edge`` (x = x_max),
``heat_sink`` (bottom face of the thermal mesh).

Meshes round-trip through gmsh ``.msh`` files with meshio: triangles carry a physical group per
region named ``"<region>@<material>"`` (or just the material name, for hand-made gmsh files) and
lines a physical group per boundary; a physical name ``"fem_cqd:geometry=<planar|axisymmetric>"``
(dimension 0, no entities) records the geometry, so a saved axisymmetric mesh loads as one.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import meshio
import numpy as np
import skfem

from .constants import NM, UM
from . import shaped_mesh
from .delaunay import RepairReport, repair_delaunay
from .errors import InputError, check_choice, check_positive
from .materials import MaterialLibrary, load_library
from .regions import GEOMETRIES, TaggedMesh, facet_index
from .files import atomic_write, read_mesh_file
from .grading import graded_points
from .stack import Stack

EDGE_WINDOWS = ("auto", "gmsh", "tensor")      # MeshOptions.edge_window
WEDGE_SHEAR = 0.9          # a wedge column's rise across one lateral cell, at most this x the lowest cell height (<= 1: box method)


@dataclass(frozen=True)
class MeshOptions:
    """Resolution of the generated mesh (lengths in the unit of their name).

    ``edge_cell_um``: lateral cell at the aperture edge; ``lateral_ratio``: growth factor away from
    it; ``max_cell_fraction``: largest lateral cell as a fraction of the aperture half-width inside
    the electrical domain; ``layer_cell_nm`` / ``min_cells_per_layer``: vertical cells per film;
    ``interface_grading``: tanh grading beta of the cells inside every film towards both of its
    faces (0: uniform); ``substrate_first_cell_um`` and ``substrate_ratio``: vertical grading down
    the substrate; ``shape_cell_nm``: cell size of the gmsh-meshed window around a shaped
    (tapered or rounded) spacer edge, and of the uniform lateral grid through it
    (:mod:`fem_cqd.shaped_mesh`); ``edge_window``: how the spacer edge is meshed -- "auto" (a vertical
    sharp step on the plain tensor grid, a shaped edge in a gmsh window), "gmsh" (a gmsh window for
    any edge) or "tensor" (a vertical step on the window's refined lateral grid with right
    triangles: the reference a gmsh window of the same step is checked against).

    Within a film [y0, y1] of thickness t the node at s = (y - y0)/t of a uniform division sits at
    y0 + t (1 + tanh(beta (2s - 1)) / tanh(beta)) / 2: the cells next to an interface shrink by
    beta sech^2(beta) / tanh(beta) (1/34 for beta = 3), enough to resolve the sub-nm accumulation
    layers that carry the injection through an organic heterojunction. Uniform cells (3 per film,
    the earlier default) gave the lim2018 current ~10x too low without warning (measured by the
    former cases/lim2018_jv.py mesh-convergence study).
    """

    edge_cell_um: float = 0.5
    lateral_ratio: float = 1.3
    max_cell_fraction: float = 0.05
    layer_cell_nm: float = 5.0
    min_cells_per_layer: int = 4
    interface_grading: float = 3.0
    substrate_first_cell_um: float = 0.5
    substrate_ratio: float = 1.3
    shape_cell_nm: float = 2.0
    edge_window: str = "auto"

    def __post_init__(self):
        check_choice("mesh.edge_window", self.edge_window, EDGE_WINDOWS)
        for name in ("edge_cell_um", "max_cell_fraction", "layer_cell_nm", "substrate_first_cell_um", "shape_cell_nm"):
            check_positive(f"mesh.{name}", getattr(self, name))
        for name in ("lateral_ratio", "substrate_ratio"):
            if not 1.0 <= getattr(self, name) <= 3.0:
                raise InputError(f"mesh.{name}", getattr(self, name), "a growth ratio in [1, 3]")
        if int(self.min_cells_per_layer) != self.min_cells_per_layer or self.min_cells_per_layer < 1:
            raise InputError("mesh.min_cells_per_layer", self.min_cells_per_layer, "an integer >= 1")
        if not 0.0 <= self.interface_grading <= 6.0:
            raise InputError("mesh.interface_grading", self.interface_grading, "a tanh grading beta in [0, 6] (0: uniform)")

    def scaled(self, factor: float) -> "MeshOptions":
        """Options with every cell size divided by ``factor`` (refinement studies)."""
        return MeshOptions(self.edge_cell_um / factor, self.lateral_ratio ** (1 / factor),
                           self.max_cell_fraction / factor, self.layer_cell_nm / factor,
                           int(np.ceil(self.min_cells_per_layer * factor)), self.interface_grading,
                           self.substrate_first_cell_um / factor, self.substrate_ratio ** (1 / factor),
                           self.shape_cell_nm / factor, self.edge_window)


#: the reference-device cases' mesh: 1 um lateral cells at the aperture edge, growing x1.69
#: (cases/lim2018_device.py says why not the finer library default)
OPERATING_MESH = MeshOptions(edge_cell_um=1.0, max_cell_fraction=0.1, lateral_ratio=1.69)
#: coarse meshes for smoke runs and tests (``--quick``)
QUICK_MESH = MeshOptions(edge_cell_um=2.0, max_cell_fraction=0.2, lateral_ratio=2.0, layer_cell_nm=10.0,
                         min_cells_per_layer=3)


@dataclass(frozen=True, eq=False)
class DeviceMesh:
    """Thermal and electrical meshes of one device, and the maps between them."""

    thermal: TaggedMesh
    electrical: TaggedMesh
    node_map: np.ndarray          # electrical node -> thermal node
    element_map: np.ndarray       # electrical element -> thermal element
    stack: Stack | None = field(default=None)
    repair: RepairReport | None = field(default=None)     # what made a gmsh-meshed window Delaunay

    @property
    def geometry(self) -> str:
        return self.thermal.geometry


# --- 1D grids -------------------------------------------------------------------------------
def _join(*segments: np.ndarray) -> np.ndarray:
    return np.concatenate([segments[0]] + [s[1:] for s in segments[1:]])


def lateral_grid(stack: Stack, opt: MeshOptions, window=None, wedge_cell_um: float | None = None) -> np.ndarray:
    """x grid (m): finest at the aperture edge, lines at the electrical extent and domain end.

    With a shaped spacer's ``window`` (:class:`fem_cqd.shaped_mesh.Window`) the grid is uniform
    through the window and grows from its cell outwards; over a wedge its cells are at most
    ``wedge_cell_um`` (:func:`wedge_cell_um`)."""
    a, e, w = stack.aperture_half_width_um, stack.electrical_extent_um, stack.half_width_um
    h0, r = opt.edge_cell_um, opt.lateral_ratio
    hmax = opt.max_cell_fraction * a
    if wedge_cell_um is not None:
        end = a + stack.spacer.wedge_um
        run = graded_points(a, end, min(h0, wedge_cell_um), r, min(hmax, wedge_cell_um), "start")
        segs = [graded_points(0.0, a, h0, r, hmax, "end"), run,
                graded_points(end, e, run[-1] - run[-2], r, max(hmax, run[-1] - run[-2]), "start")]
    elif window is None:
        segs = [graded_points(0.0, a, h0, r, hmax, "end"), graded_points(a, e, h0, r, hmax, "start")]
    else:
        h, left, right = window.cell / UM, window.x_left / UM, window.x_right / UM
        segs = [graded_points(0.0, left, h, r, hmax, "end"), window.lateral_points() / UM,
                graded_points(right, e, h, r, hmax, "start")]
    if w > e:
        last = segs[-1][-1] - segs[-1][-2]
        segs.append(graded_points(e, w, last, r, max(last, w / 20), "start"))
    return _join(*segs) * UM


def vertical_bands(stack: Stack, lib: MaterialLibrary) -> list[tuple[str, str, float]]:
    """(region, material, thickness in m) from the bottom of the thermal domain up.

    The spacer is its own band above the layer it lies on; its opening is resolved per element.
    """
    sub = stack.substrate
    bands = []
    if sub.heat_sink_material is not None:
        bands.append(("heat_sink", sub.heat_sink_material, sub.heat_sink_thickness_um * UM))
    bands.append(("substrate", sub.material, sub.thickness_um * UM))
    for lay in stack.layers:
        bands.append((lay.name, lay.material, lay.thickness_nm * NM))
        if lay.name == stack.spacer.on:      # a wedge's band is its opening thickness: shear_wedge lifts it
            bands.append(("spacer", stack.spacer.material, stack.spacer.opening_thickness_nm * NM))
    return bands


def vertical_grid(stack: Stack, bands, opt: MeshOptions) -> np.ndarray:
    """y grid (m), y = 0 at the substrate top: uniform cells per film, graded substrate/heat sink."""
    segs, y = [], 0.0
    below = [b for b in bands if b[0] in ("heat_sink", "substrate")]
    ytop = 0.0
    for name, _, t in reversed(below):          # substrate then heat sink, downwards
        first = opt.substrate_first_cell_um * UM if name == "substrate" else (segs[-1][0] - segs[-1][1])
        pts = graded_points(ytop - t, ytop, first, opt.substrate_ratio, t / 8, "end")
        segs.insert(0, pts)
        ytop -= t
    beta = opt.interface_grading
    for name, _, t in bands[len(below):]:
        n = max(opt.min_cells_per_layer, int(np.ceil(t / (opt.layer_cell_nm * NM) - 1e-9)))
        s = np.linspace(0.0, 1.0, n + 1)
        if beta > 0:
            s = 0.5 * (1.0 + np.tanh(beta * (2.0 * s - 1.0)) / np.tanh(beta))
        segs.append(y + t * s)
        y += t
    return _join(*segs)


def wedge_cell_um(stack: Stack, y: np.ndarray, y_foot: float) -> float:
    """The largest lateral cell (um) over a wedge: a column sheared by the wedge's slope s rises
    s dx across a cell, and an angle facing a layer interface stays <= 90 deg (the box method's
    condition there) while s dx <= h, the cell's height; dx = ``WEDGE_SHEAR`` h_min / s, h_min the
    lowest cell above the spacer's foot ``y_foot`` (m)."""
    sp = stack.spacer
    slope = (sp.thickness_nm - sp.opening_thickness_nm) * NM / (sp.wedge_um * UM)
    dy = np.diff(y[y >= y_foot - 1e-15])
    return WEDGE_SHEAR * float(dy.min()) / slope / UM


def shear_wedge(p: np.ndarray, stack: Stack, y_foot: float, y_top: float) -> np.ndarray:
    """Node coordinates (2, N) with the spacer band [y_foot, y_top] (the opening's thickness)
    stretched in each column to the wedge's thickness there, and every node above it lifted by as
    much (the films follow the spacer's top face); nothing changes inside the opening."""
    sp = stack.spacer
    t_ref = sp.opening_thickness_nm * NM
    t = sp.thickness_at_um(np.maximum(p[0] - stack.aperture_half_width_um * UM, 0.0) / UM) * NM
    tol = 1e-6 * t_ref
    y = p[1].copy()
    band = (y > y_foot + tol) & (y < y_top - tol)
    above = y >= y_top - tol
    y[band] = y_foot + (y[band] - y_foot) * t[band] / t_ref
    y[above] += t[above] - t_ref
    return np.vstack([p[0], y])


# --- building ---------------------------------------------------------------------------------
def _facets_on(mesh: skfem.MeshTri, coord: int, value: float, tol: float, within=None) -> np.ndarray:
    mid = mesh.p[:, mesh.facets].mean(axis=1)
    ends = mesh.p[coord][mesh.facets]
    on = np.all(np.abs(ends - value) <= tol, axis=0)
    if within is not None:
        on &= within(mid)
    return np.flatnonzero(on)


def _box_boundaries(mesh: skfem.MeshTri) -> dict:
    """symmetry / far_edge / bottom / top facets of a rectangular mesh."""
    (x0, y0), (x1, y1) = mesh.p.min(axis=1), mesh.p.max(axis=1)
    tol = 1e-12 * max(x1 - x0, y1 - y0)
    return {"symmetry": _facets_on(mesh, 0, x0, tol), "far_edge": _facets_on(mesh, 0, x1, tol),
            "bottom": _facets_on(mesh, 1, y0, tol), "top": _facets_on(mesh, 1, y1, tol)}


def submesh(parent: TaggedMesh, elements: np.ndarray) -> tuple[TaggedMesh, np.ndarray]:
    """The mesh made of ``elements`` of ``parent`` and its node map (sub node -> parent node).

    Boundaries of the parent that lie on the sub-mesh are kept (facets are matched by nodes).
    """
    elements = np.asarray(elements)
    if elements.size == 0:
        raise InputError("submesh elements", "empty", "at least one element")
    t = parent.mesh.t[:, elements]
    nodes = np.unique(t)
    local = np.full(parent.mesh.p.shape[1], -1)
    local[nodes] = np.arange(nodes.size)
    mesh = skfem.MeshTri(np.ascontiguousarray(parent.mesh.p[:, nodes]), np.ascontiguousarray(local[t]))
    index = facet_index(mesh)
    boundaries = {}
    for name, facets in parent.boundaries.items():
        pairs = local[parent.mesh.facets[:, facets]]
        keep = np.all(pairs >= 0, axis=0)
        found = [index.get(tuple(sorted(pr))) for pr in pairs[:, keep].T]
        found = np.array([f for f in found if f is not None], dtype=int)
        if found.size:
            boundaries[name] = found
    sub = TaggedMesh(mesh, parent.geometry, parent.element_region[elements], parent.region_names,
                     parent.region_materials, boundaries)
    return sub, nodes


def build_mesh(stack: Stack, options: MeshOptions | None = None, library: MaterialLibrary | None = None) -> DeviceMesh:
    """Mesh ``stack``: thermal mesh of the whole device, electrical mesh of its thin films."""
    opt = options or MeshOptions()
    lib = stack.check_materials(library)          # default: the stack's own library (its parameter set)
    bands = vertical_bands(stack, lib)
    y = vertical_grid(stack, bands, opt)
    mode = opt.edge_window if opt.edge_window != "auto" else ("gmsh" if stack.spacer.shaped else None)
    if mode == "tensor" and stack.spacer.shaped:
        raise InputError("mesh.edge_window", mode, "'auto' or 'gmsh' for a tapered or rounded spacer edge (right "
                         "triangles cannot follow it)")
    win = None
    if mode is not None:
        i = [b[0] for b in bands].index("spacer")
        y1 = sum(b[2] for b in bands[:i + 1]) + y[0]
        y0 = y[np.argmin(np.abs(y - (y1 - bands[i][2])))]
        win = shaped_mesh.window(stack, opt.shape_cell_nm, y0, y[np.argmin(np.abs(y - y1))])
    names = [b[0] for b in bands]
    materials = [lib[b[1]] for b in bands]
    fill = names.index(stack.fill_layer)
    tops = np.cumsum([b[2] for b in bands]) + y[0]
    spacer = names.index("spacer")
    wedge = wedge_cell_um(stack, y, tops[spacer - 1]) if stack.spacer.wedge else None
    x = lateral_grid(stack, opt, win, wedge)
    mesh = skfem.MeshTri.init_tensor(x, y)

    centroid = mesh.p[:, mesh.t].mean(axis=1)
    region = np.searchsorted(tops, centroid[1])
    a = stack.aperture_half_width_um * UM
    region[(region == spacer) & (centroid[0] < a)] = fill
    if mode == "gmsh":
        mesh, region = shaped_mesh.insert_window(mesh, region, win, fill, spacer)

    bx = _box_boundaries(mesh)
    tol = 1e-12 * (x[-1] - x[0])
    boundaries = {
        "symmetry": bx["symmetry"], "far_edge": bx["far_edge"], "heat_sink": bx["bottom"],
        "top": bx["top"], "cathode": bx["top"],
        "anode": _facets_on(mesh, 1, 0.0, tol),
    }
    if wedge is not None:                          # same triangles and facets, columns sheared
        mesh = skfem.MeshTri(shear_wedge(mesh.p, stack, tops[spacer - 1], tops[spacer]), mesh.t)
    thermal = TaggedMesh(mesh, stack.geometry, region, tuple(names), tuple(materials), boundaries)
    repair = None
    if mode == "gmsh" or wedge is not None:        # a sheared cell may want the other diagonal: flips
        thermal, repair = repair_delaunay(thermal)
    xe = stack.electrical_extent_um * UM
    centroid = thermal.mesh.p[:, thermal.mesh.t].mean(axis=1)
    stack_elements = np.flatnonzero((centroid[1] > 0) & (centroid[0] < xe))
    electrical, node_map = submesh(thermal, stack_elements)
    # far_edge of the electrical domain is interior to the thermal one: find it on the sub-mesh
    eb = dict(electrical.boundaries)
    eb["far_edge"] = _box_boundaries(electrical.mesh)["far_edge"]
    eb.pop("heat_sink", None)
    electrical = TaggedMesh(electrical.mesh, electrical.geometry, electrical.element_region,
                            electrical.region_names, electrical.region_materials, eb)
    return DeviceMesh(thermal, electrical, node_map, stack_elements, stack, repair)


def column_mesh(stack: Stack, options: MeshOptions | None = None, library: MaterialLibrary | None = None,
                width_nm: float = 10.0) -> TaggedMesh:
    """The electrical mesh of the column through the aperture centre, as a planar strip one element
    ``width_nm`` wide (a 1D device: no lateral current), on the same vertical grid as
    :func:`build_mesh`; the spacer band is the fill layer there. Boundaries "anode" (y = 0, the
    substrate top), "cathode" (the top), "symmetry" and "far_edge" (the sides). Current per unit
    area is the contact current divided by ``width_nm``: the J at the aperture centre of a wide
    aperture, without current spreading -- the fast model a J-V fit iterates on."""
    opt = options or MeshOptions()
    lib = stack.check_materials(library)
    bands = [b for b in vertical_bands(stack, lib) if b[0] not in ("heat_sink", "substrate")]
    y = vertical_grid(stack, bands, opt)
    check_positive("width_nm", width_nm)
    mesh = skfem.MeshTri.init_tensor(np.array([0.0, width_nm * NM]), y)
    names = [b[0] for b in bands]
    materials = [lib[b[1]] for b in bands]
    tops = np.cumsum([b[2] for b in bands])
    region = np.searchsorted(tops, mesh.p[1][mesh.t].mean(axis=0))
    region[region == names.index("spacer")] = names.index(stack.fill_layer)
    bx = _box_boundaries(mesh)
    boundaries = {"symmetry": bx["symmetry"], "far_edge": bx["far_edge"], "anode": bx["bottom"], "cathode": bx["top"]}
    return TaggedMesh(mesh, "planar", region, tuple(names), tuple(materials), boundaries)


# --- IO -----------------------------------------------------------------------------------------
#: the physical name (dimension 0, no entities) by which a saved mesh records its geometry:
#: ``"fem_cqd:geometry=planar"`` or ``"fem_cqd:geometry=axisymmetric"``
GEOMETRY_RECORD = "fem_cqd:geometry="
_GEOMETRY_TAG = 9001


def save_mesh(tmesh: TaggedMesh, path: str | Path) -> Path:
    """Write a tagged mesh to gmsh ``.msh`` (2.2, physical groups) through meshio, atomically.

    Coordinates are written in metres. Besides one physical group per region and per boundary,
    the file records the geometry as a physical name of dimension 0 with no entities,
    ``"fem_cqd:geometry=<planar|axisymmetric>"`` (tag 9001), which :func:`load_mesh` reads back and
    gmsh shows but ignores.
    """
    path = Path(path)
    if path.suffix != ".msh":
        raise InputError("mesh file", str(path), "a path ending in .msh")
    pts = np.vstack([tmesh.mesh.p, np.zeros(tmesh.mesh.p.shape[1])]).T
    cells, phys, field_data = [], [], {}
    for i, (name, mat) in enumerate(zip(tmesh.region_names, tmesh.region_materials)):
        sel = tmesh.element_region == i
        if sel.any():
            cells.append(("triangle", tmesh.mesh.t[:, sel].T))
            phys.append(np.full(sel.sum(), i + 1))
        field_data[f"{name}@{mat.name}"] = np.array([i + 1, 2])
    for j, (name, facets) in enumerate(sorted(tmesh.boundaries.items())):
        cells.append(("line", tmesh.mesh.facets[:, facets].T))
        phys.append(np.full(len(facets), 1001 + j))
        field_data[name] = np.array([1001 + j, 1])
    field_data[GEOMETRY_RECORD + tmesh.geometry] = np.array([_GEOMETRY_TAG, 0])
    m = meshio.Mesh(pts, cells, cell_data={"gmsh:physical": phys, "gmsh:geometrical": phys},
                    field_data=field_data)
    return atomic_write(path, lambda tmp: meshio.write(tmp, m, file_format="gmsh22", binary=False))


def stored_geometry(field_data: dict, path) -> str | None:
    """The geometry a mesh file records (see :func:`save_mesh`), or None if it records none."""
    found = {k[len(GEOMETRY_RECORD):] for k in field_data if k.startswith(GEOMETRY_RECORD)}
    if not found:
        return None
    if len(found) > 1 or not found <= set(GEOMETRIES):
        raise InputError(f"mesh file {path} geometry record", ", ".join(sorted(found)),
                         "exactly one of " + ", ".join(GEOMETRIES))
    return found.pop()


#: volume cell types of meshio: a file holding any is a 3D mesh, which fem_cqd does not solve
_SOLID_CELLS = ("tetra", "tetra10", "hexahedron", "hexahedron20", "hexahedron27", "wedge", "wedge15", "pyramid", "pyramid13")


def load_mesh(path: str | Path, geometry: str | None = None, library: MaterialLibrary | None = None,
              required_boundaries=("anode", "cathode")) -> TaggedMesh:
    """Read a gmsh ``.msh`` whose physical groups name regions (``name@material`` or a material
    name) and boundaries; raise an :class:`InputError` for missing tags or unknown materials.

    Coordinates are taken as metres. ``geometry`` ("planar" or "axisymmetric", x the radius):
    a file written by :func:`save_mesh` records it, and then ``geometry`` may be omitted or must
    agree with the record (an InputError otherwise). A file without the record (hand-made gmsh
    files, ``meshes/lim2018_coarse.msh``, files saved before the record existed) takes
    ``geometry`` as given, and is planar when it is omitted.
    """
    path = Path(path)
    m = read_mesh_file(path, "mesh file", "a gmsh .msh file (or another mesh meshio can read)",
                       "an existing .msh file")
    solid = {b.type: len(b.data) for b in m.cells if b.type in _SOLID_CELLS}
    if solid:
        raise InputError("mesh file", str(path), "a 2D mesh of triangles (planar or axisymmetric cross-section); this "
                         "file is 3D (" + ", ".join(f"{n} {k} cells" for k, n in solid.items()) + ")")
    if m.points.shape[1] > 2 and np.ptp(m.points[:, 2]) > 0:
        raise InputError("mesh file", str(path), "a 2D mesh in the plane z = const; the nodes' z spans "
                         f"[{m.points[:, 2].min():g}, {m.points[:, 2].max():g}]")
    lib = library if library is not None else load_library()
    if "gmsh:physical" not in m.cell_data or not m.field_data:
        raise InputError("mesh file", str(path), "physical groups naming regions and boundaries")
    geometry = _resolve_geometry(geometry, stored_geometry(m.field_data, path), path)
    tag_names = {(int(v[1]), int(v[0])): k for k, v in m.field_data.items()}
    tris, regions, lines = [], [], {}
    for block, tags in zip(m.cells, m.cell_data["gmsh:physical"]):
        if block.type == "triangle":
            tris.append(block.data)
            regions.append(tags)
        elif block.type == "line":
            for tag in np.unique(tags):
                name = tag_names.get((1, int(tag)))
                if name is None:
                    raise InputError("mesh file line tag", int(tag), "a named physical group")
                lines.setdefault(name, []).append(block.data[tags == tag])
    if not tris:
        raise InputError("mesh file", str(path), "triangles (a 2D mesh)")
    t = np.vstack(tris).T
    tags = np.concatenate(regions)
    used = np.unique(t)
    local = np.full(m.points.shape[0], -1)
    local[used] = np.arange(used.size)
    mesh = skfem.MeshTri(np.ascontiguousarray(m.points[used, :2].T), np.ascontiguousarray(local[t]))
    region_names, region_materials = [], []
    element_region = np.empty(tags.size, dtype=int)
    for i, tag in enumerate(np.unique(tags)):
        label = tag_names.get((2, int(tag)))
        if label is None:
            raise InputError("mesh file triangle tag", int(tag), "a named physical group (region@material or material)")
        name, _, mat = label.partition("@")
        mat = mat or name
        if mat not in lib:
            raise InputError(f"mesh region {name!r} material", mat, "one of " + ", ".join(sorted(lib)))
        region_names.append(name)
        region_materials.append(lib[mat])
        element_region[tags == tag] = i
    index = facet_index(mesh)
    boundaries = {}
    for name, blocks in lines.items():
        seg = local[np.vstack(blocks)]
        boundaries[name] = np.array([index[tuple(sorted(s))] for s in seg if tuple(sorted(s)) in index], dtype=int)
    for name in required_boundaries:
        if name not in boundaries:
            raise InputError(f"mesh file boundary {name!r}", "missing", "physical groups: " + ", ".join(required_boundaries))
    return TaggedMesh(mesh, geometry, element_region, tuple(region_names), tuple(region_materials), boundaries)


def _resolve_geometry(asked: str | None, stored: str | None, path) -> str:
    """The geometry to load a file as: the file's record, checked against ``asked`` if given."""
    if asked is not None and asked not in GEOMETRIES:
        raise InputError("geometry", asked, "one of " + ", ".join(GEOMETRIES) + " (or None: the file's record)")
    if stored is None:
        return asked or "planar"
    if asked is not None and asked != stored:
        raise InputError("geometry", asked, f"{stored!r}, the geometry {path} records (or omit geometry=)")
    return stored


def device_mesh_from_thermal(thermal: TaggedMesh, electrical_regions) -> DeviceMesh:
    """A DeviceMesh from a loaded thermal mesh: the electrical mesh is ``electrical_regions``."""
    idx = [thermal.region_index(r) for r in electrical_regions]
    elements = np.flatnonzero(np.isin(thermal.element_region, idx))
    electrical, node_map = submesh(thermal, elements)
    return DeviceMesh(thermal, electrical, node_map, elements, None)
