"""Mesh: tags, boundaries, electrical/thermal node map, grading and gmsh round trip."""
import numpy as np
import pytest

from fem_cqd.errors import InputError
from fem_cqd.grading import graded_points
from fem_cqd.mesh import MeshOptions, build_mesh, load_mesh, save_mesh
from fem_cqd.stack import lim2018

UM, NM = 1e-6, 1e-9


@pytest.fixture(scope="module")
def dm():
    return build_mesh(lim2018())


def test_graded_points_are_fine_at_the_requested_end_and_exact_at_the_ends():
    p = graded_points(0.0, 10.0, 0.1, 1.2, 2.0, "end")
    h = np.diff(p)
    assert p[0] == 0 and p[-1] == 10 and np.all(h > 0)
    assert h[-1] < h[0] and h.max() <= 2.0 * 1.0001
    assert np.all(h[1:] / h[:-1] <= 1.2 * 1.0001)


def test_every_element_belongs_to_one_layer_and_interfaces_are_mesh_lines(dm):
    s = dm.stack
    tm = dm.thermal
    y = np.unique(tm.mesh.p[1])
    for yi in [0.0, s.thickness_nm * NM, -s.substrate.thickness_um * UM]:
        assert np.min(np.abs(y - yi)) < 1e-15
    # each region's elements lie within its band
    yc = tm.mesh.p[1][tm.mesh.t].mean(axis=0)
    for name in ("ITO", "CQD", "ZnO"):
        e = tm.elements_of(name)
        ymin, ymax = tm.mesh.p[1][tm.mesh.t[:, e]].min(), tm.mesh.p[1][tm.mesh.t[:, e]].max()
        assert np.isclose(ymax - ymin, s.layer(name).thickness_nm * NM, rtol=1e-9)
    assert tm.elements_of("substrate").size and np.all(yc[tm.elements_of("substrate")] < 0)


def test_spacer_opening_is_filled_and_aperture_edge_is_a_grid_line(dm):
    tm = dm.thermal
    a = dm.stack.aperture_half_width_um * UM
    xc = tm.mesh.p[0][tm.mesh.t].mean(axis=0)
    assert np.all(xc[tm.elements_of("spacer")] > a)
    ys = tm.mesh.p[1][tm.mesh.t[:, tm.elements_of("spacer")]]
    band = (tm.mesh.p[1][tm.mesh.t].mean(axis=0) > ys.min()) & (tm.mesh.p[1][tm.mesh.t].mean(axis=0) < ys.max())
    inside = band & (xc < a)
    assert inside.any() and np.all(np.array(tm.region_names)[tm.element_region[inside]] == "TCTA")
    assert np.min(np.abs(tm.mesh.p[0] - a)) < 1e-15
    dx = np.diff(np.unique(tm.mesh.p[0]))
    assert np.isclose(dx.min(), MeshOptions().edge_cell_um * UM, rtol=0.5)


def test_electrical_nodes_are_a_subset_of_thermal_nodes(dm):
    e, t = dm.electrical, dm.thermal
    np.testing.assert_array_equal(e.mesh.p, t.mesh.p[:, dm.node_map])
    np.testing.assert_array_equal(e.element_region, t.element_region[dm.element_map])
    assert e.mesh.p[1].min() == 0.0 and np.isclose(e.mesh.p[0].max(), dm.stack.electrical_extent_um * UM)
    assert "substrate" not in set(np.array(e.region_names)[np.unique(e.element_region)])


def test_named_boundaries_lie_where_they_say(dm):
    for tm in (dm.thermal, dm.electrical):
        p, f = tm.mesh.p, tm.mesh.facets
        assert np.allclose(p[1][f[:, tm.boundary("anode")]], 0.0)
        assert np.allclose(p[1][f[:, tm.boundary("cathode")]], dm.stack.thickness_nm * NM)
        assert np.allclose(p[0][f[:, tm.boundary("symmetry")]], 0.0)
        assert np.allclose(p[0][f[:, tm.boundary("far_edge")]], p[0].max())
    hs = dm.thermal.boundary("heat_sink")
    assert np.allclose(dm.thermal.mesh.p[1][dm.thermal.mesh.facets[:, hs]], -dm.stack.substrate.thickness_um * UM)
    with pytest.raises(InputError, match="heat_sink"):
        dm.electrical.boundary("heat_sink")


def test_axisymmetric_mesh_and_refinement():
    coarse = build_mesh(lim2018(geometry="axisymmetric"))
    fine = build_mesh(lim2018(geometry="axisymmetric"), MeshOptions().scaled(2.0))
    assert coarse.geometry == "axisymmetric"
    assert fine.thermal.mesh.p.shape[1] > 3 * coarse.thermal.mesh.p.shape[1]


def test_gmsh_round_trip_keeps_regions_and_boundaries(dm, tmp_path):
    path = save_mesh(dm.thermal, tmp_path / "device.msh")
    back = load_mesh(path)
    a, b = dm.thermal, back
    ca, cb = a.mesh.p[:, a.mesh.t].mean(axis=1), b.mesh.p[:, b.mesh.t].mean(axis=1)
    oa, ob = np.lexsort(ca), np.lexsort(cb)
    np.testing.assert_allclose(ca[:, oa], cb[:, ob])
    names_a = np.array(a.region_names)[a.element_region[oa]]
    names_b = np.array(b.region_names)[b.element_region[ob]]
    assert np.all(names_a == names_b)
    assert {k: len(v) for k, v in a.boundaries.items()} == {k: len(v) for k, v in b.boundaries.items()}
    assert b.region_materials[b.region_index("CQD")].name == "CQD"


def test_mesh_file_without_tags_is_refused(tmp_path):
    import meshio
    f = tmp_path / "bare.msh"
    meshio.write(f, meshio.Mesh(np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0.0]]), [("triangle", np.array([[0, 1, 2]]))]),
                 file_format="gmsh22", binary=False)
    with pytest.raises(InputError, match="physical groups"):
        load_mesh(f)
    with pytest.raises(InputError, match="existing"):
        load_mesh(tmp_path / "nope.msh")


def test_bad_mesh_options():
    with pytest.raises(InputError, match="lateral_ratio"):
        MeshOptions(lateral_ratio=0.5)
    with pytest.raises(InputError, match="edge_cell_um"):
        MeshOptions(edge_cell_um=-1)


@pytest.mark.parametrize("geometry", ["planar", "axisymmetric"])
def test_checked_in_reference_meshes_match_the_generator(geometry):
    from pathlib import Path
    path = Path(__file__).resolve().parent.parent / "meshes" / "lim2018_coarse.msh"
    stored = load_mesh(path, geometry)
    made = build_mesh(lim2018(geometry=geometry), MeshOptions().scaled(0.5)).thermal
    assert stored.mesh.p.shape == made.mesh.p.shape
    np.testing.assert_allclose(np.sort(stored.mesh.p[0]), np.sort(made.mesh.p[0]), rtol=1e-12, atol=1e-18)
    np.testing.assert_allclose(np.sort(stored.mesh.p[1]), np.sort(made.mesh.p[1]), rtol=1e-12, atol=1e-18)
    assert sorted(stored.region_names) == sorted(made.region_names)
