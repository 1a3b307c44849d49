"""Box-method validity of a triangulation: Delaunay edge weights, their check and repair.

The drift-diffusion and heat operators couple the two nodes of an edge with the weight
``w = sum_T cot(theta_T) / 2`` over the triangles T that hold the edge (theta_T the angle opposite
the edge in T; :mod:`fem_cqd.electrical.eafe`). With every w >= 0 the matrices are M-matrices and the
discrete maximum principle holds: the box (Voronoi) method of DEVSIM. A negative w means the
Voronoi box faces cross -- the mesh is not Delaunay there -- and the Scharfetter-Gummel currents
along that edge run the wrong way: wrong currents, silently.

Because each element's contribution is evaluated with *its own* material (mobility, permittivity,
band edges), the condition is checked per region:

    W(e, R) = sum over the triangles T of region R that hold edge e of cot(theta_T) / 2  >= 0

for every edge e and every region R touching it. Inside a region that is the usual Delaunay
condition (alpha + beta <= pi); on a region interface and on the mesh boundary, where one triangle
of the region holds the edge, it asks that triangle's opposite angle to be <= 90 deg (the
"conforming" Delaunay condition: the circumcentre stays on the region's side).

:func:`box_violations` lists the edges that fail; :func:`repair_delaunay` fixes them -- Lawson edge
flips inside a region, and, on interfaces and boundaries (which must not move), a split of the
offending edge at its midpoint (the encroached-segment step of Ruppert's refinement) followed by
flips -- and reports what it changed; what it cannot fix is refused naming the elements and where
they are. Right triangles of tensor meshes have w = 0 on the hypotenuse: valid.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import skfem

from .errors import InputError
from .p1 import doubled_areas
from .regions import TaggedMesh, facet_index

#: a per-region edge weight counts as negative below -RELATIVE_TOLERANCE x the largest |cot/2| of its
#: triangles (round-off on the hypotenuse of a right triangle is ~1e-16 of that)
RELATIVE_TOLERANCE = 1e-9
_LOCAL = ((1, 2), (2, 0), (0, 1))      # local edge k joins these vertices, opposite vertex k


def half_cotangents(p: np.ndarray, t: np.ndarray) -> np.ndarray:
    """(3, ne) cot(theta_k)/2 of the angle at vertex k of each triangle (the weight of the edge opposite)."""
    x, y = p[0][t], p[1][t]
    out = np.empty(t.shape)
    for k, (a, b) in enumerate(_LOCAL):
        ux, uy, vx, vy = x[a] - x[k], y[a] - y[k], x[b] - x[k], y[b] - y[k]
        out[k] = 0.5 * (ux * vx + uy * vy) / np.abs(ux * vy - uy * vx)
    return out


@dataclass(frozen=True)
class Violation:
    """An edge whose per-region weight is negative (see module doc)."""

    nodes: tuple                  # (a, b), a < b
    region: str
    elements: tuple               # the region's triangles holding the edge
    weight: float                 # W(e, R): sum of cot/2 (dimensionless)
    midpoint_m: tuple             # (x, y) of the edge midpoint

    def describe(self) -> str:
        x, y = self.midpoint_m
        return (f"edge {self.nodes} in region {self.region!r} (elements {list(self.elements)}) at "
                f"(x, y) = ({x:.6g}, {y:.6g}) m: weight {self.weight:.3g}")


def _edge_groups(p, t, region):
    """Per (edge, region) group: key arrays and the summed weight, the scale and the elements."""
    w = half_cotangents(p, t)
    ne = t.shape[1]
    a = np.concatenate([t[i] for i, _ in _LOCAL])
    b = np.concatenate([t[j] for _, j in _LOCAL])
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    # edge k of element e is opposite vertex k: its weight is w[k, e]
    weight = np.concatenate([w[k] for k in range(3)])
    elem = np.tile(np.arange(ne), 3)
    scale = np.tile(np.abs(w).max(axis=0), 3)
    reg = np.asarray(region)[elem]
    keys = np.stack([lo, hi, reg])
    uniq, inverse = np.unique(keys, axis=1, return_inverse=True)
    inverse = inverse.ravel()
    total = np.bincount(inverse, weight, uniq.shape[1])
    sc = np.zeros(uniq.shape[1])
    np.maximum.at(sc, inverse, scale)
    return uniq, inverse, total, sc, elem


def box_violations(tmesh: TaggedMesh) -> list[Violation]:
    """Every (edge, region) whose weight W(e, R) is negative (module doc), most negative first."""
    p, t = tmesh.mesh.p, tmesh.mesh.t
    doubled_areas(p, t, "mesh")                 # a zero-area triangle has no angles to check
    uniq, inverse, total, sc, elem = _edge_groups(p, t, tmesh.element_region)
    bad = np.flatnonzero(total < -RELATIVE_TOLERANCE * sc)
    out = []
    for g in bad[np.argsort(total[bad] / sc[bad])]:
        lo, hi, r = (int(v) for v in uniq[:, g])
        els = tuple(int(e) for e in elem[inverse == g])
        mid = 0.5 * (p[:, lo] + p[:, hi])
        out.append(Violation((lo, hi), tmesh.region_names[r], els, float(total[g]), (float(mid[0]), float(mid[1]))))
    return out


def check_box_method(tmesh: TaggedMesh, field: str = "mesh") -> None:
    """Raise an InputError naming the non-Delaunay edges of ``tmesh`` (module doc), if any."""
    bad = box_violations(tmesh)
    if bad:
        more = f"; {len(bad)} such edges in all" if len(bad) > 1 else ""
        raise InputError(f"{field} (box method)", bad[0].describe() + more,
                         "a Delaunay mesh: every edge's cot weight >= 0 within each region (opposite angles "
                         "<= 90 deg on region interfaces and boundaries); fem_cqd.delaunay.repair_delaunay() "
                         "flips and splits edges to make one")


@dataclass(frozen=True)
class RepairReport:
    """What :func:`repair_delaunay` changed."""

    flips: int
    splits: int
    rounds: int
    nodes_added: int

    def __str__(self) -> str:
        return (f"{self.flips} edge flips, {self.splits} edge splits ({self.nodes_added} nodes added) "
                f"in {self.rounds} rounds")


def repair_delaunay(tmesh: TaggedMesh, max_rounds: int = 60) -> tuple[TaggedMesh, RepairReport]:
    """A box-method-valid copy of ``tmesh`` and what was changed (module doc).

    Each round flips, inside a region, every offending edge shared by two triangles of that region
    (each triangle takes part in one flip per round), and splits at its midpoint every offending
    edge that lies on a region interface or the boundary (the new node inherits the named
    boundaries of the edge; both neighbouring triangles are split, keeping their regions). Nodes
    keep their indices; new nodes are appended. Raises an InputError naming the edges left after
    ``max_rounds`` rounds.
    """
    p = tmesh.mesh.p.copy()
    t = tmesh.mesh.t.copy()
    region = np.asarray(tmesh.element_region).copy()
    named = {name: {tuple(sorted(map(int, tmesh.mesh.facets[:, f]))) for f in facets}
             for name, facets in tmesh.boundaries.items()}
    flips = splits = 0
    n0 = p.shape[1]
    for rounds in range(max_rounds + 1):
        current = _tagged(tmesh, p, t, region, named)
        bad = box_violations(current)
        if not bad:
            return current, RepairReport(flips, splits, rounds, p.shape[1] - n0)
        if rounds == max_rounds:
            check_box_method(current, "mesh after repair")
        edge_elements = _edge_elements(t)
        busy = np.zeros(t.shape[1], bool)
        new_p, new_t, new_r = [], [], []
        for v in bad:
            holders = edge_elements.get(v.nodes, ())
            if any(busy[e] for e in holders):
                continue
            if len(holders) == 2 and region[holders[0]] == region[holders[1]]:
                _flip(t, v.nodes, holders)
                flips += 1
            else:
                m = p.shape[1] + len(new_p)
                new_p.append(0.5 * (p[:, v.nodes[0]] + p[:, v.nodes[1]]))
                for e in holders:
                    new_t.append(_split(t, e, v.nodes, m))
                    new_r.append(region[e])
                for pairs in named.values():
                    if v.nodes in pairs:
                        pairs.discard(v.nodes)
                        pairs.update({tuple(sorted((v.nodes[0], m))), tuple(sorted((v.nodes[1], m)))})
                splits += 1
            busy[list(holders)] = True
        if new_p:
            p = np.hstack([p, np.array(new_p).T])
            t = np.hstack([t, np.array(new_t).T])
            region = np.concatenate([region, new_r])
    raise AssertionError("unreachable")


def _edge_elements(t) -> dict:
    out: dict = {}
    for e in range(t.shape[1]):
        for i, j in _LOCAL:
            out.setdefault(tuple(sorted((int(t[i, e]), int(t[j, e])))), []).append(e)
    return out


def _flip(t, edge, holders) -> None:
    """Replace the triangles (a, b, c) and (b, a, d) of edge ab by (a, d, c) and (b, c, d) (the operators
    use |det|: orientation is free)."""
    e1, e2 = holders
    a, b = edge
    c = int(next(v for v in t[:, e1] if v not in edge))
    d = int(next(v for v in t[:, e2] if v not in edge))
    t[:, e1] = (a, d, c)
    t[:, e2] = (b, c, d)


def _split(t, e, edge, m) -> list:
    """Split triangle e at node m on its edge ``edge``: e becomes (a, m, c), returns (m, b, c)."""
    a, b = edge
    c = int(next(v for v in t[:, e] if v not in edge))
    t[:, e] = (a, m, c)
    return [m, b, c]


def _tagged(tmesh, p, t, region, named) -> TaggedMesh:
    mesh = skfem.MeshTri(np.ascontiguousarray(p), np.ascontiguousarray(t))
    index = facet_index(mesh)
    boundaries = {name: np.array(sorted(index[pr] for pr in pairs if pr in index), dtype=int)
                  for name, pairs in named.items()}
    return TaggedMesh(mesh, tmesh.geometry, region, tmesh.region_names, tmesh.region_materials, boundaries)
