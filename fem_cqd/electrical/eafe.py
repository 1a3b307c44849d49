"""Edge-averaged finite elements (EAFE; Xu & Zikatanov, Math. Comp. 68, 1429 (1999)) on P1 triangles.

For the flux J = a (grad u + u grad psi) the P1 stiffness off-diagonal of element e, ``-K^e_ab =
cot(theta_k)/2`` (theta_k the angle opposite edge ab), multiplies a Bernoulli-weighted edge
difference. With Boltzmann carriers this is the Scharfetter-Gummel flux; per element, with that
element's band edges, so heterojunctions need no special code.

Edge currents (A, or A/m per metre of depth in planar geometry), from node a to node b of an edge,
with ``c = w q mu V_T`` (w the edge weight), Delta = (psi_b - psi_a)/V_T::

    electrons  I_n = c [n_b B(Delta) - n_a B(-Delta)] = c n_a B(-Delta) expm1((phi_n,a - phi_n,b)/V_T)
    holes      I_p = c [p_a B(Delta) - p_b B(-Delta)] = -c p_a B(Delta) expm1(-(phi_p,a - phi_p,b)/V_T)

(the second forms use n_b/n_a = exp(Delta + (phi_n,a - phi_n,b)/V_T): exact zero current in
equilibrium, and the Joule heat I (phi_a - phi_b) is >= 0 edge by edge).

Axisymmetric (x = r): each edge weight is multiplied by 2 pi r at the edge midpoint and the lumped
nodal volumes are the integrals of 2 pi r phi_i (DESIGN.md item 5).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..constants import q
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


def edge_geometry(p: np.ndarray, t: np.ndarray, axisymmetric: bool = False) -> EdgeGeometry:
    """EAFE weights and lumped volumes of a triangle mesh (``p`` (2, N) metres, ``t`` (3, ne))."""
    t = np.asarray(t)
    x, y = p[0][t], p[1][t]                                  # (3, ne)
    # barycentric gradients: grad lambda_k = (y_{k+1} - y_{k+2}, x_{k+2} - x_{k+1}) / (2A)
    i1, i2 = [1, 2, 0], [2, 0, 1]
    dx = x[i2] - x[i1]
    dy = y[i1] - y[i2]
    det = (x[1] - x[0]) * (y[2] - y[0]) - (x[2] - x[0]) * (y[1] - y[0])
    area = 0.5 * np.abs(det)
    grad = np.stack([dy, dx]) / det                          # (2, 3, ne)
    ia = np.array([e[0] for e in LOCAL_EDGES])
    ib = np.array([e[1] for e in LOCAL_EDGES])
    weight = -area * np.einsum("dke,dke->ke", grad[:, ia], grad[:, ib])
    ea, eb = t[ia], t[ib]
    if axisymmetric:
        r = p[0][t]
        weight = weight * 2 * np.pi * 0.5 * (r[ia] + r[ib])
        # int_e 2 pi r lambda_i = 2 pi A (2 r_i + r_j + r_k) / 12
        vol = 2 * np.pi * area * (r + r.sum(axis=0)) / 12.0
    else:
        vol = np.broadcast_to(area / 3.0, t.shape).copy()
    return EdgeGeometry(t=t, area=area, grad=grad, weight=weight, ea=ea, eb=eb, vol=vol,
                        n_nodes=p.shape[1], axisymmetric=axisymmetric)


def electron_current(c, n_a, delta, s, VT):
    """Electron edge current a -> b and its derivatives.

    Parameters
    ----------
    c : w q mu V_T (A per unit density... i.e. A m^3)
    n_a : electron density at a (this element's band edge), m^-3
    delta : (psi_b - psi_a) / V_T
    s : (phi_n,a - phi_n,b) / V_T
    VT : thermal voltage (V)

    Returns
    -------
    I, dI/dpsi_a, dI/dpsi_b, dI/dphi_a, dI/dphi_b   (derivatives in A/V)
    """
    bm = bernoulli(-delta)
    dbm = bernoulli_derivative(-delta)
    e = np.expm1(s)
    g = c * n_a / VT
    current = c * n_a * bm * e
    return current, g * e * (bm + dbm), -g * e * dbm, g * bm, -g * bm * (e + 1.0)


def hole_current(c, p_a, delta, t, VT):
    """Hole edge current a -> b and derivatives; ``t = (phi_p,a - phi_p,b)/V_T`` (see module doc)."""
    b = bernoulli(delta)
    db = bernoulli_derivative(delta)
    f = -np.expm1(-t)
    g = c * p_a / VT
    current = c * p_a * b * f
    return current, -g * f * (b + db), g * f * db, g * b, -g * b * (1.0 - f)


def sg_coefficient(weight, mu, VT):
    """c = w q mu V_T of an edge."""
    return weight * q * mu * VT
