"""Shaped spacer edges (taper, rounded top edge) meshed by gmsh inside the tensor mesh."""
import dataclasses
import math

import numpy as np
import pytest

from fem_cqd.delaunay import box_violations
from fem_cqd.errors import InputError
from fem_cqd.mesh import QUICK_MESH, MeshOptions, build_mesh
from fem_cqd.stack import Spacer, lim2018

COARSE = dataclasses.replace(QUICK_MESH, shape_cell_nm=4.0)


def shaped(taper=90.0, radius=0.0, geometry="planar", **kw):
    st = lim2018(geometry, **kw)
    return dataclasses.replace(st, spacer=dataclasses.replace(st.spacer, taper_angle_deg=taper, edge_radius_nm=radius))


@pytest.mark.parametrize("kw, field", [
    (dict(taper_angle_deg=0.0), "taper_angle_deg"), (dict(taper_angle_deg=90.5), "taper_angle_deg"),
    (dict(taper_angle_deg="steep"), "taper_angle_deg"), (dict(taper_angle_deg=float("nan")), "taper_angle_deg"),
    (dict(edge_radius_nm=-1.0), "edge_radius_nm"), (dict(edge_radius_nm=51.0), "edge_radius_nm"),
    (dict(taper_angle_deg=0.01, width_um=10.0), "taper_angle_deg"),      # the taper closes the opening
])
def test_bad_spacer_shapes_are_refused(kw, field):
    with pytest.raises(InputError, match=f"spacer.{field}"):
        Spacer(**kw)


def test_shape_parameters():
    sp = Spacer(thickness_nm=50.0, taper_angle_deg=30.0, edge_radius_nm=20.0)
    assert sp.shaped and not Spacer().shaped
    assert math.isclose(sp.bottom_inset_um, 0.05 * math.sqrt(3))
    assert math.isclose(sp.rounding_reach_um, 0.02 * math.tan(math.radians(15.0)))


def _area(tm, elements):
    x, y = tm.mesh.p[0][tm.mesh.t[:, elements]], tm.mesh.p[1][tm.mesh.t[:, elements]]
    return float(np.sum(0.5 * np.abs((x[1] - x[0]) * (y[2] - y[0]) - (x[2] - x[0]) * (y[1] - y[0]))))


@pytest.mark.parametrize("taper, radius", [(20.0, 0.0), (60.0, 30.0), (90.0, 50.0)])
def test_window_is_conforming_delaunay_and_keeps_the_shape(taper, radius):
    st = shaped(taper, radius)
    dm = build_mesh(st, COARSE)
    for tm in (dm.thermal, dm.electrical):
        assert box_violations(tm) == []
        # conforming: every boundary facet lies on the outer rectangle (no hanging nodes, no gaps)
        f = tm.mesh.facets[:, tm.mesh.boundary_facets()]
        (x0, y0), (x1, y1) = tm.mesh.p.min(axis=1), tm.mesh.p.max(axis=1)
        px, py = tm.mesh.p[0][f], tm.mesh.p[1][f]
        on = (np.all(px == x0, 0) | np.all(px == x1, 0) | np.all(py == y0, 0) | np.all(py == y1, 0))
        assert on.all()
        assert math.isclose(_area(tm, np.arange(tm.mesh.t.shape[1])), (x1 - x0) * (y1 - y0), rel_tol=1e-12)
    # the spacer's area: the rectangle out to the electrical edge, less the taper's triangle and the
    # rounding's corner r^2 (tan(theta/2) - theta/2); the wedges cut square at half a cell change it
    # by less than a cell^2 each
    tm = dm.electrical
    t, a, e = 50e-9, 50e-6, tm.mesh.p[0].max()
    th = math.radians(taper)
    r = radius * 1e-9
    exact = (e - a) * t + 0.5 * t * t / math.tan(th) - r * r * (math.tan(th / 2) - th / 2)
    cell = COARSE.shape_cell_nm * 1e-9
    assert abs(_area(tm, tm.elements_of("spacer")) - exact) < 3 * cell ** 2
    assert dm.repair is not None


def test_gmsh_window_of_a_vertical_step_matches_the_tensor_mesh_nodes_outside_it():
    st = lim2018()
    tensor = build_mesh(st, dataclasses.replace(COARSE, edge_window="tensor"))
    gm = build_mesh(st, dataclasses.replace(COARSE, edge_window="gmsh"))
    assert box_violations(gm.electrical) == []
    # same spacer area (the step is a grid line in both) and the same nodes on the anode and cathode
    assert math.isclose(_area(gm.electrical, gm.electrical.elements_of("spacer")),
                        _area(tensor.electrical, tensor.electrical.elements_of("spacer")), rel_tol=1e-12)
    for b in ("anode", "cathode"):
        assert np.array_equal(np.sort(gm.electrical.mesh.p[0][gm.electrical.boundary_nodes(b)]),
                              np.sort(tensor.electrical.mesh.p[0][tensor.electrical.boundary_nodes(b)]))


def test_tensor_window_is_refused_for_a_shaped_edge():
    with pytest.raises(InputError, match="mesh.edge_window"):
        build_mesh(shaped(45.0), dataclasses.replace(COARSE, edge_window="tensor"))
    with pytest.raises(InputError, match="mesh.edge_window"):
        MeshOptions(edge_window="quad")


def test_axisymmetric_shaped_mesh():
    dm = build_mesh(shaped(30.0, 20.0, geometry="axisymmetric"), COARSE)
    assert dm.geometry == "axisymmetric" and box_violations(dm.electrical) == []
