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
    (dict(edge_thickness_nm=-1.0, wedge_um=5.0), "edge_thickness_nm"),  # a wedge thinner than zero
    (dict(edge_thickness_nm=0.0, wedge_um=5.0), "edge_thickness_nm"),
    (dict(edge_thickness_nm=60.0, wedge_um=5.0), "edge_thickness_nm"),  # thicker at the opening than away
    (dict(edge_thickness_nm=20.0), "wedge_um"),                          # no run to grow over
    (dict(edge_thickness_nm=20.0, wedge_um=5.0, taper_angle_deg=45.0), "edge_thickness_nm"),
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


def wedge(edge_nm=20.0, run_um=5.0, geometry="axisymmetric"):
    st = lim2018(geometry, aperture_um=20.0)
    return dataclasses.replace(st, spacer=dataclasses.replace(st.spacer, edge_thickness_nm=edge_nm, wedge_um=run_um))


def test_a_wedge_shears_the_columns_keeps_the_opening_and_the_box_method():
    """A spacer 20 nm at the opening growing to 50 nm over 5 um: inside the opening the mesh is the
    20-nm rectangular spacer's node for node; outside, the films ride on the spacer's top face (the
    QD film's foot follows 20 + 30 (x - a) / 5 um nm); every per-region edge weight is >= 0 after
    diagonal flips alone; the QD film profile finds its sloped bottom face."""
    from fem_cqd.electrical import Contact, build_device
    from fem_cqd.qd_profile import FilmColumns
    st = wedge()
    dm = build_mesh(st, QUICK_MESH)
    rect = build_mesh(lim2018("axisymmetric", aperture_um=20.0, spacer_nm=20.0), dataclasses.replace(
        QUICK_MESH, edge_cell_um=float(np.diff(np.unique(dm.electrical.mesh.p[0]))[0] * 1e6)))
    a = 10e-6
    heights = []
    for d in (dm, rect):
        p = d.electrical.mesh.p
        heights.append(np.unique(np.round(p[1][p[0] <= a * (1 + 1e-12)], 15)))
    assert np.array_equal(*heights)
    assert dm.repair.splits == 0 and dm.repair.flips > 0 and box_violations(dm.electrical) == []
    tm = dm.electrical
    qd = tm.elements_of(st.qd_layer)
    foot = {}
    for e in qd:                                  # the lowest QD node of each column
        for v in tm.mesh.t[:, e]:
            x, y = tm.mesh.p[:, v]
            foot[x] = min(foot.get(x, np.inf), y)
    xs = np.array(sorted(foot))
    ys = np.array([foot[x] for x in xs])
    t = st.spacer.thickness_at_um((xs - a).clip(0) / 1e-6) * 1e-9
    assert np.allclose(ys - t, ys[0] - 20e-9, atol=1e-15)
    cols = FilmColumns(tm, st.qd_layer)
    assert np.allclose(cols.x_m, xs)
    unit_jy = np.tile([0.0, 1.0], (tm.mesh.t.shape[1], 1))         # every column finds its sloped mid-plane
    assert np.allclose(cols.mid_plane_jy(unit_jy), 1.0)
    build_device(tm, [Contact("anode"), Contact("cathode")])          # the box-method check passes
    with pytest.raises(InputError, match="spacer.wedge_um"):
        wedge(run_um=60.0)                        # the wedge must end inside the electrical domain


def test_a_wedge_converges_under_shear_and_tends_to_the_thin_spacer_as_it_lengthens(monkeypatch):
    """The aperture current at 5 V (isothermal, quick mesh): a third of the sheared columns' rise per
    cell (WEDGE_SHEAR 0.9 -> 0.3) moves it by < 3 % (measured 1.5 %); a longer wedge (5 -> 40 um) approaches the 20-nm
    rectangular spacer from below (the current spreading past the edge feels the spacer's thickness
    over microns)."""
    import fem_cqd.mesh as mesh_module
    from fem_cqd.electrical import Contact, build_device, ramp
    opt = dataclasses.replace(QUICK_MESH, edge_cell_um=0.0857)

    def current(st):
        dev = build_device(build_mesh(st, opt).electrical, [Contact("anode"), Contact("cathode")])
        return ramp(dev, "anode", [2.0, 4.0, 5.0], progress=False)[-1].currents["anode"]

    coarse = current(wedge())
    monkeypatch.setattr(mesh_module, "WEDGE_SHEAR", 0.3)
    fine = current(wedge())
    monkeypatch.setattr(mesh_module, "WEDGE_SHEAR", 0.9)
    assert fine == pytest.approx(coarse, rel=0.03)
    long_ = current(wedge(run_um=40.0))
    thin = current(lim2018("axisymmetric", aperture_um=20.0, spacer_nm=20.0))
    thick = current(lim2018("axisymmetric", aperture_um=20.0))
    assert thick < coarse < long_ < thin
