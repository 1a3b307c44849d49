"""Point probes: the value of a field at points of a tagged mesh, and the time history at a point.

Coordinates are SI metres in the mesh's frame (``x`` lateral, the radius in axisymmetric
geometry; ``y`` vertical). A nodal field (one value per mesh node, e.g. ``ThermalState.T`` in K,
``ElectricalState.psi`` in V) is interpolated linearly (P1) inside the triangle that holds the
point; an element field (one row per element, e.g. ``ElectricalState.J`` in A/m^2, shape (ne, 2))
gives the value of that triangle. Values keep the unit of the field they are taken from.

Example::

    T_axis = probe(tagged_mesh, steady_state.T, 0.0, 50e-9)     # K at r = 0, y = 50 nm
    T_t = history(transient, 0.0, 50e-9)                       # K, shape (n_t,), at transient.times
"""
from __future__ import annotations

import numpy as np
import skfem

from .errors import InputError

#: a point counts as inside a triangle when all its barycentric coordinates are >= -this (points
#: on an edge or a node, up to round-off, belong to one of the triangles that share it)
INSIDE_TOL = 1e-9
#: largest (points x elements) block evaluated at once when locating points (memory bound)
_BLOCK = 1_000_000
KINDS = ("auto", "node", "element")


def _mesh_of(tagged_mesh) -> skfem.MeshTri:
    mesh = getattr(tagged_mesh, "mesh", tagged_mesh)
    if not isinstance(mesh, skfem.MeshTri):
        raise InputError("tagged_mesh", type(tagged_mesh).__name__, "a fem_cqd TaggedMesh (or a skfem.MeshTri)")
    return mesh


def _points(x_m, y_m) -> tuple[np.ndarray, np.ndarray, tuple]:
    try:
        x, y = np.broadcast_arrays(np.asarray(x_m, dtype=float), np.asarray(y_m, dtype=float))
    except (TypeError, ValueError):
        raise InputError("probe point (x_m, y_m)", (x_m, y_m), "real numbers or arrays of one shape (m)") from None
    bad = ~(np.isfinite(x) & np.isfinite(y))
    if bad.any():
        i = int(np.flatnonzero(bad.ravel())[0])
        raise InputError(f"probe point {i}", (float(x.ravel()[i]), float(y.ravel()[i])), "finite coordinates (m)")
    return x.ravel(), y.ravel(), x.shape


def locate(tagged_mesh, x_m, y_m) -> tuple[np.ndarray, np.ndarray]:
    """The triangle holding each point and the point's barycentric coordinates in it.

    Parameters
    ----------
    tagged_mesh : TaggedMesh or skfem.MeshTri
    x_m, y_m : float or array (broadcast together)
        Point coordinates [m].

    Returns
    -------
    element : (n_points,) int
        Index of the containing element (the most interior one for points on shared edges).
    barycentric : (3, n_points) float
        Weights of the element's three nodes (``mesh.t[:, element]``); they sum to 1.

    Raises :class:`InputError` naming the first point outside the mesh.
    """
    mesh = _mesh_of(tagged_mesh)
    x, y, _ = _points(x_m, y_m)
    p, t = mesh.p, mesh.t
    x0, y0 = p[0][t[0]], p[1][t[0]]
    a, b = p[0][t[1]] - x0, p[0][t[2]] - x0          # columns of the element map (ne,)
    c, d = p[1][t[1]] - y0, p[1][t[2]] - y0
    det = a * d - b * c
    element = np.empty(x.size, dtype=int)
    lam = np.empty((3, x.size))
    block = max(1, _BLOCK // t.shape[1])
    for s in range(0, x.size, block):
        dx, dy = x[s:s + block, None] - x0, y[s:s + block, None] - y0     # (n, ne)
        l1 = (d * dx - b * dy) / det
        l2 = (a * dy - c * dx) / det
        worst = np.minimum(np.minimum(l1, l2), 1.0 - l1 - l2)
        worst[~np.isfinite(worst)] = -np.inf                               # a zero-area element holds nothing
        best = np.argmax(worst, axis=1)
        rows = np.arange(best.size)
        out = worst[rows, best] < -INSIDE_TOL
        if out.any():
            i = s + int(np.flatnonzero(out)[0])
            (xmin, ymin), (xmax, ymax) = p.min(axis=1), p.max(axis=1)
            raise InputError(f"probe point {i}", (float(x[i]), float(y[i])),
                             f"a point inside the mesh (m; its bounding box is x in [{xmin:.6g}, {xmax:.6g}], "
                             f"y in [{ymin:.6g}, {ymax:.6g}])")
        element[s:s + block] = best
        lam[1, s:s + block], lam[2, s:s + block] = l1[rows, best], l2[rows, best]
    lam[0] = 1.0 - lam[1] - lam[2]
    return element, lam


def _kind(values: np.ndarray, mesh: skfem.MeshTri, kind: str) -> str:
    if kind not in KINDS:
        raise InputError("kind", kind, "one of " + ", ".join(KINDS))
    nn, ne = mesh.p.shape[1], mesh.t.shape[1]
    rows = values.shape[0] if values.ndim else None
    if kind == "auto":
        if rows == nn and rows == ne:
            raise InputError("kind", "auto", f"'node' or 'element': values has {rows} rows, the mesh has "
                             f"{nn} nodes and {ne} elements")
        kind = "node" if rows == nn else "element" if rows == ne else "none"
    expected = nn if kind == "node" else ne
    if rows != expected:
        raise InputError("values", f"shape {values.shape}", f"one row per node ({nn}) or per element ({ne})"
                         if kind == "none" else f"{expected} rows: one per {kind}")
    return kind


def probe(tagged_mesh, values, x_m, y_m, kind: str = "auto") -> np.ndarray | float:
    """The value of a field at points (x_m, y_m) [m] of ``tagged_mesh``.

    ``values``: a nodal field, shape (n_nodes,) or (n_nodes, ...), interpolated linearly (P1) in
    the containing triangle, so a field linear in x and y is reproduced exactly; or an element
    field, shape (n_elements,) or (n_elements, ...), which gives the containing element's row.
    ``kind`` ("auto", "node" or "element") says which when the row count cannot (a mesh with as
    many nodes as elements). The result has the unit of ``values`` and the shape of the
    broadcast points followed by ``values.shape[1:]`` (a float for one scalar point and a scalar
    field). A point outside the mesh raises an :class:`InputError` naming it.
    """
    mesh = _mesh_of(tagged_mesh)
    values = np.asarray(values)
    kind = _kind(values, mesh, kind)
    element, lam = locate(mesh, x_m, y_m)
    shape = np.broadcast_shapes(np.shape(x_m), np.shape(y_m))
    if kind == "element":
        out = values[element]
    else:
        nodes = mesh.t[:, element]                                      # (3, n)
        w = lam.reshape(lam.shape + (1,) * (values.ndim - 1))
        out = np.sum(w * values[nodes], axis=0)
    out = out.reshape(shape + values.shape[1:])
    return float(out) if out.ndim == 0 else out


def history(thermal_history, x_m, y_m) -> np.ndarray:
    """Temperature [K] against time at points (x_m, y_m) [m] from a transient run.

    ``thermal_history``: a :class:`fem_cqd.thermal.ThermalHistory` (``.T`` of shape
    (n_t, n_nodes), ``.times`` [s], mesh ``.thermal_mesh.tm``). Returns shape (n_t,) for one point,
    (n_t,) + the broadcast points' shape otherwise; the times are ``thermal_history.times``.
    """
    try:
        T = np.asarray(thermal_history.T, dtype=float)
        tm = thermal_history.thermal_mesh.tm
    except AttributeError:
        raise InputError("thermal_history", type(thermal_history).__name__,
                         "a fem_cqd.thermal.ThermalHistory (from solve_transient)") from None
    mesh = _mesh_of(tm)
    if T.ndim != 2 or T.shape[1] != mesh.p.shape[1]:
        raise InputError("thermal_history.T", f"shape {T.shape}", f"(n_t, {mesh.p.shape[1]}): one column per node")
    values = probe(mesh, T.T, x_m, y_m, kind="node")                     # points... x n_t
    return np.moveaxis(np.asarray(values), -1, 0)
