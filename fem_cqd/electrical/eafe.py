"""Edge-averaged finite elements (EAFE; Xu & Zikatanov, Math. Comp. 68, 1429 (1999)) on P1 triangles.

For the flux J = a (grad u + u grad psi) the P1 stiffness off-diagonal of element e, ``-K^e_ab =
cot(theta_k)/2`` (theta_k the angle opposite edge ab), multiplies a Bernoulli-weighted edge
difference. Per element, with that element's band edges and statistics, so heterojunctions need
no special code.

Edge currents (A, or A/m per metre of depth in planar geometry), from node a to node b of an edge,
with ``c = w q mu V_T`` (w the edge weight), in quasi-Fermi form with the excess chemical potential
gamma = eta - ln F(eta) of the statistics (n = N exp(eta - gamma), :mod:`.statistics`)::

    electrons  I_n = c n_a B(-D_n) expm1(s),    s = (phi_n,a - phi_n,b)/V_T,  D_n = (psi_b - psi_a)/V_T + gamma_a - gamma_b
    holes      I_p = c p_a B(D_p) (-expm1(-t)),  t = (phi_p,a - phi_p,b)/V_T,  D_p = (psi_b - psi_a)/V_T - gamma_a + gamma_b

equivalently I_n = c [n_b B(D_n) - n_a B(-D_n)], I_p = c [p_a B(D_p) - p_b B(-D_p)]: the
Scharfetter-Gummel flux with the drift argument corrected by the excess chemical potential (the
scheme of Bessemoulin-Chatard, of Farrell et al., ChargeTransport.jl's ``ExcessChemicalPotential``),
which keeps the generalised Einstein relation. For Boltzmann carriers gamma = 0 and it is the SG
flux exactly. The current is exactly zero in equilibrium (s = t = 0) for any potential profile and
any statistics, and the Joule heat I (phi_a - phi_b) is >= 0 edge by edge. (D is formed from the
potential difference and the small gamma, not as ln(n_b/n_a) - s: the logarithms of the densities
are large, and their difference would lose ~1e-14 of the current to round-off.)

Control volumes: each node's charge and recombination are lumped over its Voronoi box (the part
of each triangle closer to that vertex: the quadrilateral vertex - edge midpoints - circumcentre),
not over area/3. The cotangent edge weights are the box faces (the segments from the edge
midpoints to the circumcentres) divided by the edge lengths, so with box volumes the scheme is
exactly the Scharfetter-Gummel box method of DEVSIM and VoronoiVFM: the divergence theorem holds
on each box. (With area/3, the volume that receives a node's charge is not the one its fluxes
bound; on graded meshes the potentials at a pn junction moved by ~0.1 V and DEVSIM's currents were
missed by up to 17 %.) On right triangles the right-angle vertex gets area/2, the others area/4.

Axisymmetric (x = r): box faces and volumes are the exact surfaces and volumes of revolution. The
face of edge ab in a triangle runs from the edge midpoint m to the circumcentre c; it sweeps the
area 2 pi (r_m + r_c)/2 |mc|, so the weight is cot/2 x 2 pi (r_m + r_c)/2 (a face normal to the
axis becomes the exact ring pi (r_+^2 - r_-^2)). The box volumes are integrals of 2 pi r over the
box pieces (exact: r is linear on each piece). Weighting by 2 pi r_m alone gave the edges on the
axis zero weight: uniform axial current stayed exact, but the hole density on the axis of the
lim2018 disc was 1 700 x too low.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..constants import q
from ..p1 import gradients, doubled_areas
from .bernoulli import bernoulli, bernoulli_derivative

#: local edge k joins local vertices LOCAL_EDGES[k] and is opposite vertex k
LOCAL_EDGES = ((1, 2), (2, 0), (0, 1))


@dataclass(frozen=True, eq=False)
class EdgeGeometry:
    """Per-element P1 geometry, vectorised over elements.

    Attributes
    ----------
    t : (3, ne) int        element nodes
    area : (ne,)           element area (m^2)
    grad : (2, 3, ne)      gradients of the barycentric functions (1/m)
    weight : (3, ne)       EAFE edge weight of local edge k (opposite vertex k): -K^e_ab, times
                           2 pi r_mid in axisymmetric geometry (m^0 planar, m axisymmetric)
    ea, eb : (3, ne) int   global end nodes of local edge k
    vol : (3, ne)          lumped nodal volume of each element vertex (m^2 planar, m^3 axisym)
    n_nodes : int
    axisymmetric : bool
    """

    t: np.ndarray
    area: np.ndarray
    grad: np.ndarray
    weight: np.ndarray
    ea: np.ndarray
    eb: np.ndarray
    vol: np.ndarray
    n_nodes: int
    axisymmetric: bool

    def node_volume(self) -> np.ndarray:
        """Lumped control volume of each node (sum over its elements)."""
        return np.bincount(self.t.ravel(), self.vol.ravel(), minlength=self.n_nodes)


def circumcentres(x: np.ndarray, y: np.ndarray):
    """Circumcentre (cx, cy) of each triangle, relative to vertex 0 (x, y: (3, ne))."""
    X, Y = x - x[0], y - y[0]
    d = 2.0 * (X[1] * Y[2] - X[2] * Y[1])
    s1, s2 = X[1] ** 2 + Y[1] ** 2, X[2] ** 2 + Y[2] ** 2
    return (Y[2] * s1 - Y[1] * s2) / d, (X[1] * s2 - X[2] * s1) / d


def voronoi_volumes(x: np.ndarray, y: np.ndarray, axisymmetric: bool = False) -> np.ndarray:
    """(3, ne) Voronoi-box share of each element vertex: area (planar) or int 2 pi r dA.

    Vertex k's piece is the quadrilateral (P_k, midpoint of edge k,k+1, circumcentre, midpoint of
    edge k,k+2), split into two triangles whose signed areas (negative past an obtuse angle, as in
    the box method) and centroids are summed. Coordinates are taken relative to vertex 0 for
    precision on thin elements far from the origin.
    """
    x0, y0 = x[0], y[0]
    X, Y = x - x0, y - y0
    cx, cy = circumcentres(x, y)
    sign = np.sign(X[1] * Y[2] - X[2] * Y[1])
    vol = np.zeros_like(X)
    for k in range(3):
        j, l = (k + 1) % 3, (k + 2) % 3
        mjx, mjy = 0.5 * (X[k] + X[j]), 0.5 * (Y[k] + Y[j])
        mlx, mly = 0.5 * (X[k] + X[l]), 0.5 * (Y[k] + Y[l])
        for (ax, ay), (bx, by) in (((mjx, mjy), (cx, cy)), ((cx, cy), (mlx, mly))):
            a = 0.5 * sign * ((ax - X[k]) * (by - Y[k]) - (bx - X[k]) * (ay - Y[k]))
            if axisymmetric:
                a = a * 2 * np.pi * (x0 + (X[k] + ax + bx) / 3.0)
            vol[k] += a
    return vol


def edge_geometry(p: np.ndarray, t: np.ndarray, axisymmetric: bool = False) -> EdgeGeometry:
    """EAFE weights and lumped volumes of a triangle mesh (``p`` (2, N) metres, ``t`` (3, ne))."""
    t = np.asarray(t)
    det = doubled_areas(p, t, "mesh")                        # zero-area elements refused (they would give NaN)
    x, y = p[0][t], p[1][t]                                  # (3, ne)
    area = 0.5 * np.abs(det)
    grad = gradients(p, t, det)                              # (2, 3, ne)
    ia = np.array([e[0] for e in LOCAL_EDGES])
    ib = np.array([e[1] for e in LOCAL_EDGES])
    weight = -area * np.einsum("dke,dke->ke", grad[:, ia], grad[:, ib])
    ea, eb = t[ia], t[ib]
    if axisymmetric:
        r_mid = 0.5 * (x[ia] + x[ib])
        r_cc = x[0] + circumcentres(x, y)[0]
        weight = weight * 2 * np.pi * 0.5 * (r_mid + r_cc)
    vol = voronoi_volumes(x, y, axisymmetric)
    return EdgeGeometry(t=t, area=area, grad=grad, weight=weight, ea=ea, eb=eb, vol=vol,
                        n_nodes=p.shape[1], axisymmetric=axisymmetric)


def boundary_face_areas(L, x, axisymmetric: bool) -> np.ndarray:
    """(2, nf) share of each end node of a boundary or interface facet (length ``L``, end radii ``x``
    (2, nf)): the half facet on the node's side of the midpoint -- its box's face. Planar: L/2 (m per
    metre of depth); axisymmetric: the area it sweeps, 2 pi (L/2) (3 r_i + r_j)/4, so the faces of the
    nodes of a facet normal to the axis are the exact rings pi (r_(i+1/2)^2 - r_(i-1/2)^2) the box
    volumes use (the hat-function weight 2 pi L (2 r_i + r_j)/6 gave the node on the axis 4/3 of its
    ring)."""
    if not axisymmetric:
        return np.vstack([L / 2, L / 2])
    return 2 * np.pi * (L / 2) * (3 * x + x[::-1]) / 4.0


def electron_current(c, La, D, s, derivatives=True):
    """Electron edge current a -> b and its partial derivatives (see the module doc; None without
    ``derivatives``).

    Parameters
    ----------
    c : w q mu V_T of the edge (A m^3)
    La : ln n at a (n in m^-3)
    D : drift argument D_n
    s : (phi_n,a - phi_n,b) / V_T

    Returns
    -------
    I, dI/dL_a, dI/dD, dI/ds   (A)
    """
    bm = bernoulli(-D)
    e = np.expm1(s)
    with np.errstate(over="ignore", under="ignore"):
        g = c * np.exp(La)
    current = g * bm * e
    if not derivatives:
        return current, None, None, None
    return current, current, -g * e * bernoulli_derivative(-D), g * bm * (e + 1.0)


def hole_current(c, La, D, t, derivatives=True):
    """Hole edge current a -> b and its partial derivatives; ``La = ln p_a``, ``D = D_p``,
    ``t = (phi_p,a - phi_p,b)/V_T`` (see the module doc). Returns I, dI/dL_a, dI/dD, dI/dt (the
    last three None without ``derivatives``)."""
    b = bernoulli(D)
    f = -np.expm1(-t)
    with np.errstate(over="ignore", under="ignore"):
        g = c * np.exp(La)
    current = g * b * f
    if not derivatives:
        return current, None, None, None
    return current, current, g * f * bernoulli_derivative(D), g * b * (1.0 - f)


def sg_coefficient(weight, mu, VT):
    """c = w q mu V_T of an edge."""
    return weight * q * mu * VT
