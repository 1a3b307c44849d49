"""Public API of meshes and probes (issue 11, item 2): geometry stored in saved meshes, boundary
facets checked to lie on the boundary (or a region interface), point and time-history probes."""
import subprocess
import sys
from pathlib import Path

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
