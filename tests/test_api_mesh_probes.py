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

