"""Box-method validity (fem_cqd.delaunay): detection and repair of non-Delaunay triangulations."""
import numpy as np
import pytest
import skfem

from fem_cqd.custom_mesh import tensor_mesh
from fem_cqd.delaunay import box_violations, check_box_method, half_cotangents, repair_delaunay
from fem_cqd.errors import InputError
from fem_cqd.materials import load_library
from fem_cqd.mesh import build_mesh
from fem_cqd.regions import TaggedMesh
from fem_cqd.stack import lim2018

LIB = load_library()


def _tagged(p, t, region, names=("a", "b"), boundaries=None):
    mesh = skfem.MeshTri(np.asarray(p, float), np.asarray(t))
    mats = tuple(LIB[m] for m in ("glass", "ITO")[:len(names)])
    return TaggedMesh(mesh, "planar", np.asarray(region), names, mats, boundaries or {})


def test_half_cotangents_of_known_angles():
    # right angle at vertex 0, 45 deg at the others
    w = half_cotangents(np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]), np.array([[0], [1], [2]]))
    assert np.allclose(w[:, 0], [0.0, 0.5, 0.5], atol=1e-15)


@pytest.mark.parametrize("geometry", ["planar", "axisymmetric"])
def test_stack_tensor_meshes_are_valid(geometry):
    assert box_violations(build_mesh(lim2018(geometry=geometry)).thermal) == []


def test_wrong_diagonal_inside_a_region_is_flipped():
    # rhombus split along its long diagonal: both opposite angles 2 atan(3) > 90 deg
    p = [[-1.0, 1.0, 0.0, 0.0], [0.0, 0.0, -0.3, 0.3]]
    tm = _tagged(p, [[0, 1], [1, 0], [3, 2]], [0, 0], names=("a",))
    bad = box_violations(tm)
    assert len(bad) == 1 and bad[0].nodes == (0, 1) and bad[0].weight < 0
    with pytest.raises(InputError, match=r"box method.*edge \(0, 1\).*repair_delaunay"):
        check_box_method(tm)
    fixed, report = repair_delaunay(tm)
    assert (report.flips, report.splits, report.nodes_added) == (1, 0, 0)
    assert box_violations(fixed) == []
    assert np.isclose(fixed.mesh.p.shape[1], 4)
    # the flip keeps the covered area
    x, y = fixed.mesh.p[0][fixed.mesh.t], fixed.mesh.p[1][fixed.mesh.t]
    area = 0.5 * np.abs((x[1] - x[0]) * (y[2] - y[0]) - (x[2] - x[0]) * (y[1] - y[0]))
    assert np.isclose(area.sum(), 0.6)


def test_obtuse_angle_over_an_interface_is_split_not_flipped():
    # region b's thin triangle over the interface y = 0 has a 157 deg angle opposite it; flipping
    # would move the interface, so the edge is split at its midpoint (and named boundaries follow)
    p = [[0.0, 1.0, 0.5, 0.5], [0.0, 0.0, 0.1, -1.0]]
    tm = _tagged(p, [[0, 1], [1, 0], [2, 3]], [1, 0])
    b = {"iface": np.array([next(i for i, f in enumerate(tm.mesh.facets.T) if set(f) == {0, 1})])}
    tm = TaggedMesh(tm.mesh, "planar", tm.element_region, tm.region_names, tm.region_materials, b)
    bad = box_violations(tm)
    assert [v.region for v in bad] == ["b"]
    fixed, report = repair_delaunay(tm)
    assert report.splits >= 1 and report.flips == 0 and box_violations(fixed) == []
    assert np.allclose(fixed.mesh.p[:, 4], [0.5, 0.0])
    assert len(fixed.boundaries["iface"]) == 2          # the interface boundary now has two facets
    assert np.all(fixed.mesh.p[1][fixed.mesh.facets[:, fixed.boundaries["iface"]]] == 0.0)


def test_jiggled_mesh_is_repaired_by_flips():
    x = np.linspace(0, 1e-6, 11)
    tm = tensor_mesh(x, x, lambda xc, yc: np.where(xc < 0.5e-6, "a", "b"), {"a": LIB["glass"], "b": LIB["ITO"]})
    p = tm.mesh.p.copy()
    inner = (p[0] > 0) & (p[0] < 1e-6) & (p[1] > 0) & (p[1] < 1e-6) & (np.abs(p[0] - 0.5e-6) > 1e-12)
    p[:, inner] += np.random.default_rng(0).uniform(-3.5e-8, 3.5e-8, (2, inner.sum()))
    j = TaggedMesh(skfem.MeshTri(p, tm.mesh.t), "planar", tm.element_region, tm.region_names,
                   tm.region_materials, tm.boundaries)
    assert len(box_violations(j)) > 10
    fixed, report = repair_delaunay(j)
    assert box_violations(fixed) == [] and report.flips > 10
    assert {k: len(v) for k, v in fixed.boundaries.items()} == {k: len(v) for k, v in j.boundaries.items()}


def test_drift_diffusion_refuses_a_non_delaunay_mesh_naming_the_edge():
    from fem_cqd.electrical import Contact, build_device
    p = [[-1.0, 1.0, 0.0, 0.0], [0.0, 0.0, -0.3, 0.3]]
    tm = _tagged(np.asarray(p) * 1e-7, [[0, 1], [1, 0], [3, 2]], [0, 0], names=("a",))
    tm = TaggedMesh(tm.mesh, "planar", tm.element_region, tm.region_names, (LIB["ITO"],),
                    {"left": np.array([next(i for i, f in enumerate(tm.mesh.facets.T) if set(f) == {0, 2})]),
                     "right": np.array([next(i for i, f in enumerate(tm.mesh.facets.T) if set(f) == {1, 3})])})
    with pytest.raises(InputError, match=r"tmesh \(box method\).*edge \(0, 1\).*\(x, y\) = \(0, 0\) m"):
        build_device(tm, [Contact("left"), Contact("right")])
