"""The QD film's lateral profile of a solved device: what the gain stage takes from the maps.

Along the film (x: the stripe's half-width coordinate, or the radius of a disc) the profile is
sampled at the x of the film's nodes on its bottom face. Column k stands for the strip between the
midpoints to its neighbours, of area w_k (m per m of stripe, or the exact ring pi (r+^2 - r-^2)
of a disc), and collects the box volumes V_ik of the film's vertices nearest to it in x (on the
tensor meshes the vertices of a column of equal x; on an unstructured film, each vertex goes to
the nearest column -- conservative, first order in the lateral spacing), in the film's elements
(the same Voronoi boxes the drift-diffusion solve integrates over,
:func:`~fem_cqd.electrical.eafe.voronoi_volumes`)::

    J_rec(x_k) = q sum_i V_ik R_i / w_k           (A/m^2: q times the integral of R over the thickness)
    T(x_k)     = sum_i V_ik T_i / sum_i V_ik      (K: film-mean temperature of the column)
    J_y(x_k)   = area-weighted mean of the element current density J_y over the film elements that
                 touch column k and cross the film's mid-plane (A/m^2, y up; when J is given)

R is the total recombination rate (m^-3 s^-1) at each film element's vertices (the state's
``R_vertex``, with the film's own material at interface nodes) or a nodal field. Every electron-
hole pair that recombines in the film is an exciton made in a dot (the gain stage's J_rec), and
sum_k J_rec w_k is the film's recombination current q int R dV of the solve, to round-off. On a
column of nodes the lumped sum is the trapezoid rule in y: exact for R linear between nodes.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .constants import q
from .electrical.eafe import voronoi_volumes
from .errors import InputError
from .p1 import areas


@dataclass(frozen=True)
class QDProfile:
    """J_rec(x) and T(x) along the QD film, with the column widths (see module doc)."""

    x_m: np.ndarray
    j_rec_A_per_m2: np.ndarray
    T_K: np.ndarray
    column_width_m: np.ndarray
    geometry: str
    j_y_mid_A_per_m2: np.ndarray | None = None

    @property
    def recombination_current(self) -> float:
        """sum J_rec w: A (A/m per metre of stripe in planar geometry)."""
        return float(np.sum(self.j_rec_A_per_m2 * self.column_width_m))

    def current_shares(self, aperture_half_width_m: float, terminal_current: float) -> dict:
        """Shares of |``terminal_current``| recombining in the film inside the aperture (the columns at
        x <= ``aperture_half_width_m``), in the film outside it, and elsewhere in the device."""
        rec = self.j_rec_A_per_m2 * self.column_width_m
        inside = self.x_m <= aperture_half_width_m * (1 + 1e-9)
        current = abs(terminal_current)
        return {"film_inside_aperture": float(rec[inside].sum() / current),
                "film_outside_aperture": float(rec[~inside].sum() / current),
                "elsewhere": float(1.0 - rec.sum() / current)}


def _face_nodes(p: np.ndarray, tf: np.ndarray, side: str) -> np.ndarray:
    """Nodes of the film's ``side`` ("bottom" or "top") face: the ends of its boundary edges (edges
    of one film element) that are not vertical and have that element above them (bottom) or below
    them (top) -- flat or following a wedge."""
    edges = np.concatenate([tf[[1, 2]], tf[[2, 0]], tf[[0, 1]]], axis=1)          # edge k opposite vertex k
    opposite = np.concatenate([tf[0], tf[1], tf[2]])
    key = np.sort(edges, axis=0)
    _, inverse, counts = np.unique(key, axis=1, return_inverse=True, return_counts=True)
    lone = counts[inverse.ravel()] == 1
    a, b = np.where(p[0][edges[0]] <= p[0][edges[1]], edges, edges[::-1])          # a left of b
    dx, dy = p[0][b] - p[0][a], p[1][b] - p[1][a]
    left = dx * (p[1][opposite] - p[1][a]) - dy * (p[0][opposite] - p[0][a])       # > 0: the element above a -> b
    face = lone & (dx > 1e-9 * np.abs(dy)) & ((left > 0) if side == "bottom" else (left < 0))
    return np.unique(np.concatenate([a[face], b[face]]))


def _face_height(p: np.ndarray, nodes: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Height of a face (its ``nodes``) at ``x``, linear between its nodes."""
    order = np.argsort(p[0][nodes])
    return np.interp(x, p[0][nodes][order], p[1][nodes][order])


class FilmColumns:
    """The film's elements, their vertices' box volumes and columns, computed once per mesh.

    Attributes: ``elements`` (nf,), ``volume`` (3, nf) box volume of each vertex in the film,
    ``column`` (3, nf) column index of each vertex, ``x_m`` (ncol,), ``width_m`` (ncol,).
    """

    def __init__(self, tmesh, region: str):
        if region not in tmesh.region_names:
            raise InputError("region", region, "one of " + ", ".join(tmesh.region_names))
        self.tmesh, self.region = tmesh, region
        p, t = tmesh.mesh.p, tmesh.mesh.t
        self.elements = tmesh.elements_of(region)
        tf = t[:, self.elements]
        self.volume = voronoi_volumes(p[0][tf], p[1][tf], tmesh.geometry == "axisymmetric")
        xv = p[0][tf]
        self.bottom = _face_nodes(p, tf, "bottom")
        xc = np.unique(p[0][self.bottom])
        if xc.size < 2:
            raise InputError("tmesh", f"region {region!r} with {xc.size} node on its bottom face",
                             "a film whose bottom face has at least two nodes")
        mids = 0.5 * (xc[1:] + xc[:-1])
        self.column = np.searchsorted(mids, xv)          # nearest column in x
        self.x_m = xc
        edges = np.concatenate([[xc[0]], 0.5 * (xc[1:] + xc[:-1]), [xc[-1]]])
        self.width_m = np.diff(edges) if tmesh.geometry == "planar" else np.pi * np.diff(edges ** 2)

    def at_vertices(self, name: str, values) -> np.ndarray:
        """``values`` (nodal (N,) or per element vertex (3, ne)) at the film's vertices, (3, nf)."""
        v = np.asarray(values, dtype=float)
        N, ne = self.tmesh.mesh.p.shape[1], self.tmesh.mesh.t.shape[1]
        if v.shape == (N,):
            v = v[self.tmesh.mesh.t[:, self.elements]]
        elif v.shape == (3, ne):
            v = v[:, self.elements]
        else:
            raise InputError(name, f"array of shape {v.shape}", f"nodal values ({N},) or element-vertex values (3, {ne})")
        if not np.all(np.isfinite(v)):
            raise InputError(name, "non-finite values", "finite values")
        return v

    def column_sum(self, per_vertex: np.ndarray) -> np.ndarray:
        """sum over each column's film vertices of ``per_vertex`` (3, nf)."""
        return np.bincount(self.column.ravel(), per_vertex.ravel(), minlength=self.x_m.size)

    def profile(self, R_per_m3s, T_K, J_A_per_m2=None) -> QDProfile:
        """The :class:`QDProfile` of the module doc from R (m^-3 s^-1) and T (K), nodal or per vertex,
        and optionally the element current density J (ne, 2) for J_y at the mid-plane."""
        R = self.at_vertices("R_per_m3s", R_per_m3s)
        T = self.at_vertices("T_nodes", T_K)
        j = q * self.column_sum(self.volume * R) / self.width_m
        Tc = self.column_sum(self.volume * T) / self.column_sum(self.volume)
        jy = None if J_A_per_m2 is None else self.mid_plane_jy(J_A_per_m2)
        return QDProfile(self.x_m.copy(), j, Tc, self.width_m.copy(), self.tmesh.geometry, jy)

    def mid_plane_jy(self, J_A_per_m2) -> np.ndarray:
        """J_y (A/m^2) per column at the film's mid-plane (module doc) from element values (ne, 2)."""
        ne = self.tmesh.mesh.t.shape[1]
        J = np.asarray(J_A_per_m2, dtype=float)
        if J.shape != (ne, 2) or not np.all(np.isfinite(J[self.elements])):
            raise InputError("J_A_per_m2", f"array of shape {J.shape}", f"finite element values of shape ({ne}, 2)")
        p, tf = self.tmesh.mesh.p, self.tmesh.mesh.t[:, self.elements]
        y = p[1][tf]
        xc = p[0][tf].mean(axis=0)                  # the mid-plane under each element (it follows a wedge)
        mid = 0.5 * (_face_height(p, self.bottom, xc) + _face_height(p, _face_nodes(p, tf, "top"), xc))
        cross = (y.min(axis=0) <= mid) & (y.max(axis=0) >= mid)
        w = np.where(cross, areas(p, tf), 0.0)
        # each crossing element counts once for every column it touches
        touch = np.zeros((self.x_m.size, tf.shape[1]))
        touch[self.column, np.arange(tf.shape[1])[None, :].repeat(3, axis=0)] = 1.0
        num, den = touch @ (w * J[self.elements, 1]), touch @ w
        return num / np.where(den > 0, den, 1.0)


def qd_film_profile(tmesh, region: str, R_per_m3s, T_nodes, J_A_per_m2=None) -> QDProfile:
    """The profile of module doc on the electrical mesh ``tmesh`` (any TaggedMesh holding the film
    as a region). ``R_per_m3s``: an ``ElectricalState.R_vertex`` (exact) or nodal R;
    ``J_A_per_m2``: an ``ElectricalState.J`` for J_y at the mid-plane."""
    return FilmColumns(tmesh, region).profile(R_per_m3s, T_nodes, J_A_per_m2)
