"""Issue 11, item 1: every kind of bad input is refused with an InputError naming the field, the
value and what is allowed -- no silent NaN, no process exit, no implausible value accepted, no
internal traceback, no code run by path, and no empty or partial output folder left behind."""
import numpy as np
import pytest
import skfem

from fem_cqd.electrical import Contact, build_device
from fem_cqd.electrical.eafe import edge_geometry
from fem_cqd.electrical.examples import silicon
from fem_cqd.custom_mesh import tensor_mesh
from fem_cqd.errors import InputError
from fem_cqd.regions import TaggedMesh


# --- kind 1: silent NaN -- a zero-area triangle ------------------------------------------------
def _degenerate_mesh():
    """A small silicon strip with one interior node moved onto the opposite edge of a triangle."""
    tm = tensor_mesh(np.linspace(0, 1e-6, 5), np.linspace(0, 1e-7, 3), lambda xc, yc: "n",
                     {"n": silicon("n", donors_per_cm3=1e17)})
    m, p = tm.mesh, tm.mesh.p.copy()
    k = int(np.flatnonzero((p[0] > 0) & (p[0] < 1e-6) & (p[1] > 0) & (p[1] < 1e-7))[0])
    e = int(np.flatnonzero((m.t == k).any(0))[0])
    a, b = [v for v in m.t[:, e] if v != k]
    p[:, k] = 0.5 * (p[:, a] + p[:, b])
    return TaggedMesh(skfem.MeshTri(p, m.t), "planar", tm.element_region, tm.region_names,
                      tm.region_materials, tm.boundaries), e


def test_degenerate_triangle_refused_by_drift_diffusion_and_heat():
    from fem_cqd.thermal import ThermalMesh
    tm, e = _degenerate_mesh()
    with pytest.raises(InputError, match=rf"element {e}\b.*nodes .* at \(x, y\) = .*non-zero area"):
        build_device(tm, [Contact("left"), Contact("right")])
    with pytest.raises(InputError, match=rf"element {e}\b"):
        edge_geometry(tm.mesh.p, tm.mesh.t)
    with pytest.raises(InputError, match=rf"element {e}\b"):
        ThermalMesh(tm)


# --- kind 2: process exit -- truncated or garbage mesh / result files ----------------------------
QUICK_MESH = dict(edge_cell_um=2.0, max_cell_fraction=0.2, lateral_ratio=2.0, layer_cell_nm=10.0,
                  min_cells_per_layer=3)


@pytest.fixture(scope="module")
def quick_dm():
    from fem_cqd.mesh import MeshOptions, build_mesh
    from fem_cqd.stack import lim2018
    return build_mesh(lim2018(), MeshOptions(**QUICK_MESH))


def _truncate(src, dst, fraction):
    data = src.read_bytes()
    dst.write_bytes(data[: int(len(data) * fraction)])
    return dst


def test_truncated_mesh_and_vtu_files_refused_without_exit(tmp_path, quick_dm, capsys):
    from fem_cqd.cli import main
    from fem_cqd.mesh import load_mesh, save_mesh
    from fem_cqd.results import read_vtu, write_vtu
    tm = quick_dm.electrical
    msh = save_mesh(tm, tmp_path / "m.msh")
    vtu = write_vtu(tmp_path / "m.vtu", tm, {"x_m": tm.mesh.p[0]})
    for fraction in (0.0, 0.3, 0.95):
        bad_msh = _truncate(msh, tmp_path / f"cut{fraction}.msh", fraction)
        with pytest.raises(InputError, match=r"mesh file = '.*cut.*\.msh'.*truncated or not readable"):
            load_mesh(bad_msh)
        bad_vtu = _truncate(vtu, tmp_path / f"cut{fraction}.vtu", fraction)
        with pytest.raises(InputError, match=r"vtu file = '.*cut.*\.vtu'.*truncated or not readable"):
            read_vtu(bad_vtu)          # meshio used to sys.exit(1) here
        with pytest.raises(InputError, match=r"mesh file = '.*cut.*\.vtu'"):
            load_mesh(bad_vtu)         # any meshio format goes through the same guard
    capsys.readouterr()
    assert main(["view", str(tmp_path / "cut0.3.vtu"), "--field", "x_m", "--png", str(tmp_path / "x.png")]) == 2
    err = capsys.readouterr().err
    assert "bad input" in err and "cut0.3.vtu" in err
    assert not (tmp_path / "x.png").exists()


# --- kind 3: implausible values accepted ------------------------------------------------------
def test_implausible_values_refused(quick_dm):
    import dataclasses

    from fem_cqd.sources import aperture_heat_source
    from fem_cqd.stack import Layer, Spacer, Substrate, ThermalBoundary, lim2018
    from fem_cqd.thermal import Dirichlet, Robin, solve_steady
    with pytest.raises(InputError, match=r"voltage_V = 1000000.0 .*\[0, 1000\] V.*MAX_VOLTAGE_V"):
        aperture_heat_source(quick_dm, 18.0, 1e6)            # used to give T = 3.8e6 K
    with pytest.raises(InputError, match=r"j_A_per_cm2 = 100000000.0 .*A/cm\^2"):
        aperture_heat_source(quick_dm, 1e8, 8.0)
    with pytest.raises(InputError, match=r"spacer.thickness_nm = 2000000.0 .*nm"):
        lim2018(spacer_nm=2e6)                               # a 2 mm spacer
    with pytest.raises(InputError, match=r"layers\['x'\].thickness_nm"):
        Layer("x", "TCTA", 1e6)
    with pytest.raises(InputError, match=r"spacer.width_um"):
        Spacer(width_um=1e7)
    with pytest.raises(InputError, match=r"substrate.thickness_um"):
        Substrate(thickness_um=7e5)                          # 0.7 m: mm typed as um
    with pytest.raises(InputError, match=r"thermal.T_ambient_K"):
        ThermalBoundary(T_ambient_K=3e5)
    with pytest.raises(InputError, match=r"thermal.h_W_per_m2K"):
        ThermalBoundary(h_W_per_m2K=1e9)
    with pytest.raises(InputError, match=r"half_width_um"):
        dataclasses.replace(lim2018(), half_width_um=1e7)
    with pytest.raises(InputError, match=r"voltage_range.*1000 V"):
        Contact("left", voltage_range=(-1e5, 1e5))
    with pytest.raises(InputError, match=r"work_function = 42.0"):
        Contact("left", "schottky", work_function=42.0)
    with pytest.raises(InputError, match=r"v_n_m_per_s = 1000000000000.0"):
        Contact("left", "schottky", work_function=4.2, v_n_m_per_s=1e12)
    tm = quick_dm.thermal
    with pytest.raises(InputError, match=r"bcs\['heat_sink'\].T_K = 300000.0"):
        solve_steady(tm, {"heat_sink": Dirichlet(3e5)})
    with pytest.raises(InputError, match=r"bcs\[.top.\].h_W_per_m2K = 1000000000.0"):
        solve_steady(tm, {"heat_sink": Dirichlet(300.0), "top": Robin(1e9, 300.0)})


# --- kind 4: unclear errors -------------------------------------------------------------------
def test_toml_key_above_its_table_header_is_named(tmp_path):
    from fem_cqd.materials import load_library
    from fem_cqd.paramsets import load_parameter_set
    f = tmp_path / "mine.toml"
    f.write_text('band_gap_eV = 2.0\n[TCTA]\nkind = "semiconductor"\n')   # used to: TypeError 'float' object is not iterable
    with pytest.raises(InputError, match=r"\['band_gap_eV'\] = 2.0 .*TOML table.*above a \[table\] header"):
        load_library(f)
    f.write_text('name = "x"\ndescription = "d"\nstack = "lim2018"\nmaterials.TCTA = 3.0\n')
    with pytest.raises(InputError, match=r"materials\['TCTA'\] = 3.0 .*TOML table"):
        load_parameter_set(f)
    f.write_bytes(b"\xff\xfe\x00 not text")
    with pytest.raises(InputError, match=r"materials file = .*UTF-8"):
        load_library(f)


def test_3d_mesh_and_empty_wavelength_grid_named(tmp_path):
    import meshio

    from fem_cqd.gain.spectra import check_wavelengths
    from fem_cqd.mesh import load_mesh
    pts = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]], float) * 1e-6
    m = meshio.Mesh(pts, [("triangle", np.array([[0, 1, 2]])), ("tetra", np.array([[0, 1, 2, 3]]))],
                    cell_data={"gmsh:physical": [np.array([1]), np.array([2])],
                               "gmsh:geometrical": [np.array([1]), np.array([2])]},
                    field_data={"anode": np.array([1, 2]), "bulk@TCTA": np.array([2, 3])})
    meshio.write(tmp_path / "tet.msh", m, file_format="gmsh22", binary=False)
    with pytest.raises(InputError, match=r"mesh file = .*tet.msh.*2D mesh of triangles.*1 tetra cells"):
        load_mesh(tmp_path / "tet.msh")       # used to complain about the surface group as a region
    for bad in ([], np.empty((2, 0)), "abc"):
        with pytest.raises(InputError, match=r"wavelength_m = "):
            check_wavelengths(bad, 300.0)     # [] used to fail inside numpy (min of an empty array)


def test_output_folder_refusals_leave_nothing_behind(tmp_path, capsys):
    from fem_cqd.cli import load_case, main
    from fem_cqd.results import prepare_output_dir
    blocker = tmp_path / "afile"
    blocker.write_text("x")
    with pytest.raises(InputError, match=r"output folder = .*afile/out.*is a file"):
        prepare_output_dir(blocker / "out")   # used to: pathlib NotADirectoryError / FileExistsError
    with pytest.raises(InputError, match=r"output folder = .*afile'.*existing file"):
        prepare_output_dir(blocker)
    # lim2018_gain: an existing output folder is the same InputError as every case (was FileExistsError)
    gain = load_case("lim2018_gain")
    full = tmp_path / "full"
    full.mkdir()
    (full / "keep.txt").write_text("x")
    with pytest.raises(InputError, match=r"output folder = .*full.*overwrite"):
        gain.run(full)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile", "full"]    # no temporary folder left
    assert gain.main(["--out", str(full)]) == 2
    # a bad drive value: refused before the folder is made (it used to stay behind, empty)
    thermal = load_case("lim2018_thermal")
    out = tmp_path / "thermal"
    with pytest.raises(InputError, match=r"voltage_V = 1000000.0"):
        thermal.run(out, voltage_V=1e6)
    assert not out.exists()
    # and through the CLI: exit code 2 and a message naming the folder, not a traceback
    capsys.readouterr()
    assert main(["run", "lim2018_thermal", "--out", str(blocker / "x")]) == 2
    assert "output folder" in capsys.readouterr().err


def test_cli_runs_only_named_cases_unless_script_given(tmp_path, capsys):
    from fem_cqd.cli import load_case, main
    marker = tmp_path / "ran.txt"
    script = tmp_path / "evil.py"
    script.write_text(f"open({str(marker)!r}, 'w').write('ran')\n"
                      "def run(out_dir, overwrite=False, quick=False):\n    return {}\n")
    for name in (str(script), str(tmp_path / "evil"), "../" * 8 + str(tmp_path / "evil")):
        with pytest.raises(InputError, match=r"case = .*one of .*lim2018_device.*--script"):
            load_case(name)
        assert main(["run", name, "--out", str(tmp_path / "o")]) == 2
    assert not marker.exists() and not (tmp_path / "o").exists()
    assert "--script PATH" in capsys.readouterr().err
    assert load_case("lim2018_device").run                     # named cases still load
    assert main(["run", "--script", str(script), "--out", str(tmp_path / "o")]) == 0    # on purpose
    assert marker.exists()
    assert main(["run", "--script", str(tmp_path / "none.py")]) == 2
