"""Shaped spacer edges (taper, rounded top edge) meshed by gmsh inside a tensor mesh.

The stack is layered: every film is a band of constant thickness, and only the spacer band holds
a shape -- the sidewall between the spacer and the material filling its opening. So the mesh is
the tensor mesh of :func:`fem_cqd.mesh.build_mesh` everywhere (right triangles: M-matrices at any
aspect ratio, the nm-graded cells at every interface kept) except in a *window*, the rectangle of the
spacer band around the sidewall, where gmsh's Frontal-Delaunay mesher fills the fill and spacer
parts with unstructured triangles conforming to the sidewall and to the tensor nodes on the
window's four sides (each boundary segment is one gmsh line meshed with its two end points, so the
nodes match exactly and the mesh is conforming). Inside the window the lateral grid is uniform with
spacing ``MeshOptions.shape_cell_nm`` (it continues up and down through every band), graded out
to the tensor mesh's aperture-edge cell away from it.

Sidewall (x lateral from the aperture centre, y up; spacer band from y0 to y1 = y0 + t): the
straight line from the foot (a_top - t / tan(theta), y0) towards the sharp top corner (a_top, y1),
where a_top is half the opening at the top face; with an edge radius r the corner is replaced by
the arc of radius r tangent to the sidewall and to the top face, centred at
(a_top + r tan(theta/2), y1 - r), meeting the top face at x = a_top + r tan(theta/2). Where the arc
comes within half a cell of the top face, a chord joins it to that point: the fill above a tangent
arc ends in a cusp no triangle resolves and no Delaunay triangulation conforms to (the obtuse
triangles in it would be split without end).

After meshing, the box-method validity of the whole mesh is checked and repaired
(:func:`fem_cqd.delaunay.repair_delaunay`); what was changed is kept in ``ShapedWindow.repair``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import skfem
from scipy.spatial import cKDTree

from .constants import NM, UM
from .errors import InputError
from .stack import Stack



#: wedges of the fill or the spacer sharper than this are cut square where thinner than half a cell
MIN_WEDGE_DEG = 45.0


@dataclass(frozen=True)
class Window:
    """The spacer-band rectangle [x_left, x_right] x [y0, y1] (m) meshed by gmsh, the sidewall
    ``wall`` (2, n) from its foot on y0 to its top end on y1, and the cell size; the window's
    sides, the foot and the top end are grid lines of the tensor mesh."""

    x_left: float
    x_right: float
    wall: np.ndarray
    cell: float

    @property
    def foot(self) -> float:
        return float(self.wall[0, 0])

    @property
    def top_end(self) -> float:
        return float(self.wall[0, -1])

    def lateral_points(self) -> np.ndarray:
        """Uniform points (spacing ~ ``cell``) through the window, through its break points."""
        marks = [self.x_left, self.foot, self.top_end, self.x_right]
        parts = [np.linspace(a, b, max(1, math.ceil((b - a) / self.cell - 1e-9)) + 1)
                 for a, b in zip(marks[:-1], marks[1:]) if b > a]
        return np.unique(np.concatenate(parts))


def window(stack: Stack, cell_nm: float, y0: float, y1: float) -> Window:
    """The window of a shaped spacer edge in the spacer band [y0, y1] (m): the sidewall's span plus a
    margin of half the spacer thickness (at least 4 cells) on each side."""
    h = cell_nm * NM
    wall = sidewall(stack, y0, y1, h)
    margin = max(0.5 * (y1 - y0), 4 * h)
    x_left = max(wall[0, 0] - margin, 0.5 * wall[0, 0])
    x_right = wall[0, -1] + margin
    if x_right >= stack.electrical_extent_um * UM:
        raise InputError("electrical_half_width_um", stack.electrical_extent_um,
                         f"more than {x_right / UM:.4g} um: the shaped spacer edge and its meshing margin must lie inside the "
                         "electrical domain")
    return Window(x_left, x_right, wall, h)


def sidewall(stack: Stack, y0: float, y1: float, cell: float) -> np.ndarray:
    """(2, n) points of the sidewall from its foot on y0 up to the top face y1 (module doc), spaced
    about ``cell`` apart. Wedges sharper than :data:`MIN_WEDGE_DEG` -- the spacer's tip at the foot
    and the fill over the top corner of a taper, the fill over a rounded edge where the arc nears
    the top face -- end in a vertical step of half a cell: a wedge thinner than that is not
    resolved, and small angles between two interfaces have no conforming Delaunay triangulation
    that edge splits reach."""
    sp = stack.spacer
    th = math.radians(sp.taper_angle_deg)
    a = stack.aperture_half_width_um * UM
    step = 0.5 * cell
    foot = np.array([a - (0.0 if sp.taper_angle_deg == 90.0 else (y1 - y0) / math.tan(th)), y0])
    r = sp.edge_radius_nm * NM
    down = np.array([-math.cos(th), -math.sin(th)])          # from the corner along the sidewall
    tangent = np.array([a, y1]) + r * math.tan(th / 2) * down  # where the arc leaves the straight part
    pts = []
    if sp.taper_angle_deg < MIN_WEDGE_DEG:
        foot = foot + step * np.array([1.0 / math.tan(th), 1.0])  # the spacer's tip cut square
        pts.append(np.array([foot[0], y0]))
        if r == 0:
            tangent = tangent + step * down / math.sin(th)      # stop half a cell below the top face
    length = float(np.hypot(*(tangent - foot)))
    if length > 1e-6 * cell:
        n = max(1, math.ceil(length / cell - 1e-9))
        pts += [foot + (tangent - foot) * s for s in np.linspace(0.0, 1.0, n + 1)]
    else:
        pts.append(tangent)
    if r > 0:
        centre = np.array([a + r * math.tan(th / 2), y1 - r])
        start = math.atan2(*(tangent - centre)[::-1])         # the arc turns by theta, up to pi/2
        m = max(2, math.ceil(r * th / cell - 1e-9))
        arc = [centre + r * np.array([math.cos(t), math.sin(t)]) for t in np.linspace(start, math.pi / 2, m + 1)[1:-1]]
        pts += [q for q in arc if y1 - q[1] >= step]
    elif sp.taper_angle_deg == 90.0:
        pts[-1] = np.array([a, y1])
    if pts[-1][1] < y1:
        pts.append(np.array([pts[-1][0], y1]))
    wall = np.array(pts).T
    wall[1, 0], wall[1, -1] = y0, y1
    return wall


def _gmsh_window(win: Window, xw: np.ndarray, yw: np.ndarray, wall: np.ndarray):
    """gmsh triangles of the window's fill and spacer parts. ``xw``: lateral grid points of the window
    (including its ends, foot and top end), ``yw``: vertical grid points of the spacer band, ``wall``:
    the sidewall (2, n). Returns nodes (2, M) and {"fill": (3, k), "spacer": (3, l)} node indices."""
    import gmsh

    # gmsh's geometric tolerance is absolute (1e-8 model units): mesh in window cells, not metres
    origin = np.array([[xw[0]], [yw[0]]])
    xw, yw, wall = (xw - xw[0]) / win.cell, (yw - yw[0]) / win.cell, (wall - origin) / win.cell
    gmsh.initialize(interruptible=False)
    try:
        gmsh.option.setNumber("General.Terminal", 0)
        gmsh.model.add("spacer_window")
        geo = gmsh.model.geo
        tags: dict = {}

        def point(x, y, size):
            key = (float(x), float(y))
            if key not in tags:
                tags[key] = geo.addPoint(x, y, 0.0, size)
            return tags[key]

        def chain(xs, ys):
            """Lines joining consecutive points, each meshed as one segment."""
            seg = np.hypot(np.diff(xs), np.diff(ys))
            size = np.minimum(np.concatenate([[seg[0]], seg]), np.concatenate([seg, [seg[-1]]]))
            p = [point(x, y, s) for x, y, s in zip(xs, ys, size)]
            return [geo.addLine(a, b) for a, b in zip(p[:-1], p[1:])]

        y0, y1 = yw[0], yw[-1]
        i_foot = int(np.argmin(np.abs(xw - wall[0, 0])))
        i_top = int(np.argmin(np.abs(xw - wall[0, -1])))
        xw = xw.copy()
        xw[i_foot], xw[i_top] = wall[0, 0], wall[0, -1]
        bottom_l = chain(xw[:i_foot + 1], np.full(i_foot + 1, y0))
        bottom_r = chain(xw[i_foot:], np.full(xw.size - i_foot, y0))
        top_l = chain(xw[:i_top + 1], np.full(i_top + 1, y1))
        top_r = chain(xw[i_top:], np.full(xw.size - i_top, y1))
        left = chain(np.full(yw.size, xw[0]), yw)
        right = chain(np.full(yw.size, xw[-1]), yw)
        side = chain(wall[0], wall[1])
        fill_loop = geo.addCurveLoop(bottom_l + side + [-c for c in reversed(top_l)] + [-c for c in reversed(left)])
        spacer_loop = geo.addCurveLoop(bottom_r + right + [-c for c in reversed(top_r)] + [-c for c in reversed(side)])
        surfaces = {"fill": geo.addPlaneSurface([fill_loop]), "spacer": geo.addPlaneSurface([spacer_loop])}
        geo.synchronize()
        for dim, tag in gmsh.model.getEntities(1):
            gmsh.model.mesh.setTransfiniteCurve(tag, 2)
        gmsh.option.setNumber("Mesh.Algorithm", 6)                    # Frontal-Delaunay
        gmsh.option.setNumber("Mesh.MeshSizeMax", 1.0)
        gmsh.model.mesh.generate(2)
        node_tags, coords, _ = gmsh.model.mesh.getNodes()
        index = np.full(int(node_tags.max()) + 1, -1)
        index[node_tags.astype(int)] = np.arange(node_tags.size)
        nodes = origin + win.cell * coords.reshape(-1, 3)[:, :2].T
        tris = {}
        for name, s in surfaces.items():
            types, _, conn = gmsh.model.mesh.getElements(2, s)
            if len(types) != 1 or types[0] != 2:
                raise InputError("gmsh spacer window", f"element types {list(types)}", "linear triangles only")
            tris[name] = index[conn[0].astype(int)].reshape(-1, 3).T
        return nodes, tris
    finally:
        gmsh.finalize()


def insert_window(mesh: skfem.MeshTri, region: np.ndarray, win: Window, fill_index: int, spacer_index: int) -> tuple[skfem.MeshTri, np.ndarray]:
    """Replace the tensor triangles of ``mesh`` inside the window [x_left, x_right] x [y0, y1] by
    gmsh's triangles of the shaped edge; returns the new mesh and its element regions (fill or
    spacer index inside the window, unchanged elsewhere). Tensor nodes strictly inside the window are
    dropped; the others keep their order (new nodes appended)."""
    p, t = mesh.p, mesh.t
    y0, y1 = win.wall[1, 0], win.wall[1, -1]
    tol = 1e-6 * win.cell
    xw = np.unique(p[0][(p[0] >= win.x_left - tol) & (p[0] <= win.x_right + tol)])
    yw = np.unique(p[1][(p[1] >= y0 - tol) & (p[1] <= y1 + tol)])
    nodes, tris = _gmsh_window(win, xw, yw, win.wall)
    c = p[:, t].mean(axis=1)
    inside = (c[0] > win.x_left) & (c[0] < win.x_right) & (c[1] > y0) & (c[1] < y1)
    scale = max(float(np.ptp(p[0])), float(np.ptp(p[1])))
    dist, nearest = cKDTree(p.T).query(nodes.T)
    shared = dist <= 1e-9 * win.cell + 1e-15 * scale
    glob = np.where(shared, nearest, -1)
    new = np.flatnonzero(~shared)
    glob[new] = p.shape[1] + np.arange(new.size)
    P = np.hstack([p, nodes[:, new]])
    T = np.hstack([t[:, ~inside], glob[tris["fill"]], glob[tris["spacer"]]])
    R = np.concatenate([region[~inside], np.full(tris["fill"].shape[1], fill_index),
                        np.full(tris["spacer"].shape[1], spacer_index)])
    used = np.unique(T)
    renumber = np.full(P.shape[1], -1)
    renumber[used] = np.arange(used.size)
    return skfem.MeshTri(np.ascontiguousarray(P[:, used]), np.ascontiguousarray(renumber[T])), R
