"""Public API of meshes and probes (issue 11, item 2): geometry stored in saved meshes, boundary
facets checked to lie on the boundary (or a region interface), point and time-history probes."""
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from fem_cqd.errors import InputError
from fem_cqd.mesh import MeshOptions, build_mesh, load_mesh, save_mesh
from fem_cqd.stack import lim2018

REFERENCE = Path(__file__).resolve().parent.parent / "meshes" / "lim2018_coarse.msh"
SMALL = MeshOptions(edge_cell_um=2.0, max_cell_fraction=0.2, lateral_ratio=2.0, layer_cell_nm=10.0,
                    min_cells_per_layer=3)


@pytest.fixture(scope="module", params=["planar", "axisymmetric"])
def dm(request):
    return build_mesh(lim2018(request.param), SMALL)


# --- 1. geometry stored in saved meshes --------------------------------------------------------
def test_saved_mesh_loads_with_its_own_geometry(dm, tmp_path):
    path = save_mesh(dm.thermal, tmp_path / "m.msh")
    back = load_mesh(path)                              # used to come back planar whatever was saved
    assert back.geometry == dm.geometry
    assert load_mesh(path, dm.geometry).geometry == dm.geometry
    other = "planar" if dm.geometry == "axisymmetric" else "axisymmetric"
    with pytest.raises(InputError, match=f"geometry.*{other}.*{dm.geometry}"):
        load_mesh(path, other)


def test_load_mesh_refuses_an_unknown_geometry_argument(dm, tmp_path):
    path = save_mesh(dm.thermal, tmp_path / "m.msh")
    with pytest.raises(InputError, match="geometry.*cylindrical"):
        load_mesh(path, "cylindrical")


def test_file_without_a_geometry_record_keeps_the_old_behaviour():
    assert "fem_cqd:geometry" not in REFERENCE.read_text()[:2000]
    assert load_mesh(REFERENCE).geometry == "planar"
    assert load_mesh(REFERENCE, "axisymmetric").geometry == "axisymmetric"


def test_conflicting_geometry_records_are_refused(dm, tmp_path):
    path = save_mesh(dm.thermal, tmp_path / "m.msh")
    text = path.read_text()
    head, tail = text.split("$PhysicalNames\n", 1)
    count, rest = tail.split("\n", 1)
    bad = tmp_path / "bad.msh"
    bad.write_text(head + "$PhysicalNames\n" + str(int(count) + 1) + "\n"
                   + '0 9002 "fem_cqd:geometry=spherical"\n' + rest)
    with pytest.raises(InputError, match="geometry record"):
        load_mesh(bad)


def test_cli_axisymmetric_mesh_loads_as_axisymmetric(tmp_path):
    out = tmp_path / "X.msh"
    subprocess.run([sys.executable, "-m", "fem_cqd", "mesh", "--geometry", "axisymmetric", "--refine", "0.3",
                    "--out", str(out)], check=True, capture_output=True)
    assert load_mesh(out).geometry == "axisymmetric"
    assert load_mesh(tmp_path / "X_electrical.msh").geometry == "axisymmetric"


# --- 2. boundary facets on the boundary or a region interface ------------------------------------
def _two_regions():
    import skfem

    from fem_cqd.materials import Material
    from fem_cqd.regions import TaggedMesh
    m = skfem.MeshTri.init_tensor(np.linspace(0, 4e-6, 5), np.linspace(0, 4e-6, 5))
    region = (m.p[1][m.t].mean(axis=0) > 2e-6).astype(int)
    mats = (Material("a", "insulator", 1.0, 1000.0, 2000.0), Material("b", "insulator", 2.0, 1000.0, 2000.0))

    def make(boundaries):
        return TaggedMesh(m, "planar", region, ("a", "b"), mats, boundaries)
    return m, make


def _facets(m, test):
    fx, fy = m.p[0][m.facets], m.p[1][m.facets]
    return np.flatnonzero(test(fx, fy))


def test_boundary_facets_inside_a_region_are_refused():
    m, make = _two_regions()
    sheet = _facets(m, lambda fx, fy: np.all(np.isclose(fy, 1e-6, rtol=0, atol=1e-15), 0))   # inside region a
    assert sheet.size == 4
    with pytest.raises(InputError, match=r"boundaries\['sheet'\].*4 of 4 facets inside region 'a'.*\(.*\) m to"):
        make({"sheet": sheet})
    bottom = _facets(m, lambda fx, fy: np.all(fy < 1e-15, 0))
    with pytest.raises(InputError, match=r"boundaries\['bottom'\].*1 of 5 facets"):
        make({"bottom": np.r_[bottom, sheet[:1]]})


def test_boundary_and_interface_facets_are_accepted():
    m, make = _two_regions()
    bottom = _facets(m, lambda fx, fy: np.all(fy < 1e-15, 0))
    iface = _facets(m, lambda fx, fy: np.all(np.isclose(fy, 2e-6, rtol=0, atol=1e-15), 0))
    assert not np.isin(iface, m.boundary_facets()).any()
    tm = make({"bottom": bottom, "interface": iface, "empty": np.array([], dtype=int)})
    assert set(tm.boundaries) == {"bottom", "interface", "empty"}


def test_generated_meshes_name_only_boundary_or_interface_facets(dm):
    from fem_cqd.regions import interior_facets
    for tm in (dm.thermal, dm.electrical):
        for name, facets in tm.boundaries.items():
            assert interior_facets(tm.mesh, tm.element_region, facets).size == 0, name
    # the thermal anode is the substrate/first-layer interface: legitimately not on the boundary
    anode = dm.thermal.boundary("anode")
    assert not np.isin(anode, dm.thermal.mesh.boundary_facets()).any()


# --- 3. point probes -----------------------------------------------------------------------------
def _interior_points(tm, n, seed):
    """Random points inside random elements of ``tm`` (so inside the mesh by construction)."""
    rng = np.random.default_rng(seed)
    e = rng.integers(0, tm.mesh.t.shape[1], n)
    w = rng.dirichlet(np.ones(3), n).T
    xy = np.einsum("kn,dkn->dn", w, tm.mesh.p[:, tm.mesh.t[:, e]])
    return xy[0], xy[1]


def test_probe_reproduces_a_linear_field_exactly(dm):
    from fem_cqd.probes import probe
    tm = dm.thermal
    def f(x, y):
        return 300.0 + 2.0e4 * x - 3.0e5 * y
    x, y = _interior_points(tm, 200, seed=1)
    got = probe(tm, f(*tm.mesh.p), x, y)
    assert got.shape == (200,)
    np.testing.assert_allclose(got, f(x, y), rtol=1e-12, atol=0)
    # a scalar point gives a float; a vector field keeps its trailing axis; nodes and the axis are inside
    assert isinstance(probe(tm, f(*tm.mesh.p), x[0], y[0]), float)
    vec = probe(tm, np.stack([f(*tm.mesh.p), 2 * f(*tm.mesh.p)], axis=1), x[:5], y[:5])
    np.testing.assert_allclose(vec, np.stack([f(x[:5], y[:5]), 2 * f(x[:5], y[:5])], axis=1), rtol=1e-12)
    px, py = tm.mesh.p[:, ::37]
    np.testing.assert_allclose(probe(tm, f(*tm.mesh.p), px, py), f(px, py), rtol=1e-12)
    assert probe(tm, f(*tm.mesh.p), 0.0, 0.0) == pytest.approx(f(0.0, 0.0), rel=1e-12)


def test_probe_of_an_element_field_gives_the_containing_element(dm):
    from fem_cqd.probes import probe
    tm = dm.thermal
    ne = tm.mesh.t.shape[1]
    J = np.stack([np.arange(ne, dtype=float), -np.arange(ne, dtype=float)], axis=1)   # (ne, 2) like ElectricalState.J
    rng = np.random.default_rng(2)
    e = rng.integers(0, ne, 50)
    c = tm.mesh.p[:, tm.mesh.t[:, e]].mean(axis=1)                # centroids: unambiguous
    np.testing.assert_array_equal(probe(tm, J, c[0], c[1]), J[e])
    np.testing.assert_array_equal(probe(tm, tm.element_region, c[0], c[1]), tm.element_region[e])


def test_probe_refuses_points_outside_the_mesh_and_bad_values(dm):
    from fem_cqd.probes import probe
    tm = dm.thermal
    T = np.full(tm.mesh.p.shape[1], 300.0)
    xmax, ymax = tm.mesh.p.max(axis=1)
    with pytest.raises(InputError, match=r"probe point 1 = \(.*\) is not allowed: a point inside the mesh"):
        probe(tm, T, [0.0, xmax * 1.01], [0.0, 0.0])
    with pytest.raises(InputError, match="probe point 0"):
        probe(tm, T, 0.0, ymax + 1e-9)
    with pytest.raises(InputError, match="probe point 0"):
        probe(tm, T, -1e-6, 0.0)                            # negative radius / left of the symmetry plane
    with pytest.raises(InputError, match="finite"):
        probe(tm, T, np.nan, 0.0)
    with pytest.raises(InputError, match="values"):
        probe(tm, T[:-1], 0.0, 0.0)
    with pytest.raises(InputError, match="kind"):
        probe(tm, T, 0.0, 0.0, kind="edge")


def test_history_equals_the_nodal_series_at_a_node(dm):
    from fem_cqd import thermal as th
    from fem_cqd.probes import history
    tm = dm.thermal
    cqd = tm.elements_of("CQD")
    hist = th.solve_transient(tm, [1e-8, 2e-8, 4e-8], {"heat_sink": th.Dirichlet(300.0)},
                              q_element=np.where(np.isin(np.arange(tm.mesh.t.shape[1]), cqd), 1e15, 0.0), dt=1e-8)
    node = int(tm.mesh.t[0, cqd[0]])
    x, y = tm.mesh.p[:, node]
    series = history(hist, x, y)
    assert series.shape == (3,)
    np.testing.assert_allclose(series, hist.T[:, node], rtol=1e-13)
    assert series[-1] > series[0] > 300.0
    xs, ys = _interior_points(tm, 4, seed=3)
    assert history(hist, xs, ys).shape == (3, 4)
    with pytest.raises(InputError, match="thermal_history"):
        history(np.zeros((3, 3)), x, y)


# --- 4. custom geometries (fem_cqd.custom_mesh) ------------------------------------------------------
def test_custom_meshes_build_and_refuse_bad_input():
    from fem_cqd import graded_points, strip_mesh, tensor_mesh, with_boundary
    from fem_cqd.electrical import Contact, build_device, solve_bias
    from fem_cqd.electrical.examples import silicon
    si = silicon(donors_per_cm3=1e16)
    y = graded_points(0.0, 1e-6, 1e-9, 1.3, 5e-8, "both")
    assert y[0] == 0.0 and y[-1] == 1e-6 and np.all(np.diff(y) > 0) and np.diff(y)[0] == pytest.approx(1e-9, rel=0.1)
    strip = strip_mesh(y, "n", {"n": si}, width_m=1e-8)
    assert set(strip.boundaries) == {"left", "right", "bottom", "top"} and strip.geometry == "planar"
    # a doped resistor between two ohmic contacts: the current is exactly V / (rho L) per area
    st = solve_bias(build_device(strip, [Contact("bottom"), Contact("top")]), {"bottom": 0.01})
    sigma = 1.602176634e-19 * 1e22 * 0.14                   # q N_D mu_n (SI), N_D = 1e16 cm^-3, 1400 cm2/Vs
    assert st.currents["bottom"] / 1e-8 == pytest.approx(sigma * 0.01 / 1e-6, rel=2e-3)
    disc = tensor_mesh([0.0, 1e-6, 3e-6], [0.0, 1e-6], lambda x, yc: np.where(x < 1e-6, "a", "b"),
                       {"a": si, "b": si}, geometry="axisymmetric")
    disc = with_boundary(disc, "spot", lambda p: (p[1] > 1e-6 - 1e-15) & (p[0] < 1e-6))
    assert disc.boundaries["spot"].size == 1 and disc.region_names == ("a", "b")
    for make, field in ((lambda: tensor_mesh([0.0, 0.0], [0.0, 1.0], "a", {"a": si}), "x"),
                        (lambda: tensor_mesh([0.0, 1.0], [1.0], "a", {"a": si}), "y"),
                        (lambda: tensor_mesh([0.0, 1.0], [0.0, 1.0], "c", {"a": si}), "region_of"),
                        (lambda: strip_mesh([0.0, 1.0], "a", {"a": si}, width_m=0.0), "width_m"),
                        (lambda: with_boundary(disc, "top", lambda p: p[1] > 0), "boundary name"),
                        (lambda: with_boundary(disc, "nowhere", lambda p: p[0] > 1.0), "nowhere")):
        with pytest.raises(InputError, match=field):
            make()
