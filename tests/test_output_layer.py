"""The output layer: one VTU writer (micrometres, stated in the file; region-name table; field names
with units) for electrical and thermal states, and `fem-cqd view` with --log and --crop."""
import csv

import meshio
import numpy as np
import pytest

from fem_cqd.cli import main
from fem_cqd.electrical import Contact, build_device, solve_bias
from fem_cqd.errors import InputError
from fem_cqd.mesh import MeshOptions, build_mesh
from fem_cqd.qd_profile import FilmColumns
from fem_cqd.results import (LENGTH_UNIT_KEY, read_vtu, write_profile_csv, write_thermal_vtu, write_vtu)
from fem_cqd.stack import lim2018
from fem_cqd.thermal import Dirichlet, solve_steady

OPT = MeshOptions(edge_cell_um=2.0, max_cell_fraction=0.2, lateral_ratio=2.0, layer_cell_nm=10.0,
                  min_cells_per_layer=3)
POINT_FIELDS = ("psi_V", "phi_n_V", "phi_p_V", "n_per_cm3", "p_per_cm3", "Ec_eV", "Ev_eV", "Efn_eV", "Efp_eV",
                "R_per_cm3s", "R_rad_per_cm3s", "heat_density_W_per_cm3", "T_K")


@pytest.fixture(scope="module")
def solved():
    dm = build_mesh(lim2018("axisymmetric", params="lim2018_operating"), OPT)
    dev = build_device(dm.electrical, [Contact("anode"), Contact("cathode")])
    return dm, solve_bias(dev, {"anode": 3.0})


@pytest.fixture(scope="module")
def electrical_vtu(solved, tmp_path_factory):
    return solved[0], solved[1], solved[1].save_vtu(tmp_path_factory.mktemp("out") / "el.vtu")


def _check_mesh_and_regions(m, tmesh):
    assert np.allclose(m.points[:, :2], tmesh.mesh.p.T * 1e6, rtol=1e-14, atol=0)
    assert np.all(m.points[:, 2] == 0)
    assert np.array_equal(m.field_data[LENGTH_UNIT_KEY], [1e-6])         # metres per coordinate unit
    region = m.cell_data_dict["region"]["triangle"]
    assert np.array_equal(region, tmesh.element_region)
    table = {name: m.field_data[name] for name in tmesh.region_names}    # gmsh-style: name -> [tag, dim]
    for name, (tag, dim) in table.items():
        assert dim == 2 and tmesh.region_names[tag] == name              # the tag the region field uses
    assert set(np.unique(region)) <= {int(v[0]) for v in table.values()}
    assert set(m.field_data) == {LENGTH_UNIT_KEY, *tmesh.region_names}


def test_electrical_vtu_is_in_micrometres_with_region_table_and_unit_named_fields(electrical_vtu):
    dm, st, path = electrical_vtu
    m = meshio.read(path)
    _check_mesh_and_regions(m, dm.electrical)
    assert set(m.point_data) == set(POINT_FIELDS)
    pd = m.point_data
    assert np.array_equal(pd["n_per_cm3"], st.n * 1e-6) and np.array_equal(pd["p_per_cm3"], st.p * 1e-6)
    assert np.array_equal(pd["R_per_cm3s"], st.R * 1e-6)
    assert np.array_equal(pd["heat_density_W_per_cm3"], st.heat_density * 1e-6)
    assert np.array_equal(pd["psi_V"], st.psi) and np.array_equal(pd["Efn_eV"], st.Efn)
    assert np.array_equal(pd["T_K"], st.T)
    cd = {k: v["triangle"] for k, v in m.cell_data_dict.items()}
    for name, J in (("J_A_per_cm2", st.J), ("Jn_A_per_cm2", st.Jn), ("Jp_A_per_cm2", st.Jp)):
        assert cd[name].shape == (len(J), 3) and np.all(cd[name][:, 2] == 0)
        assert np.array_equal(cd[name][:, :2], J * 1e-4)
    assert np.allclose(cd["J_mag_A_per_cm2"], np.hypot(st.J[:, 0], st.J[:, 1]) * 1e-4, rtol=1e-15, atol=0)
    assert cd["J_mag_A_per_cm2"].max() > 0
    # read_vtu gives the region table; VTK (ParaView) sees the field data too
    _, regions = read_vtu(path)
    assert regions == {name: i for i, name in enumerate(dm.electrical.region_names)}
    import pyvista as pv
    assert np.array_equal(pv.read(path).field_data[LENGTH_UNIT_KEY], [1e-6])


def test_thermal_vtu_round_trip(solved, tmp_path):
    dm = solved[0]
    tm = dm.thermal
    q_el = np.where(tm.element_region == tm.region_index("CQD"), 1e12, 0.0)     # W/m^3
    st = solve_steady(tm, {"heat_sink": Dirichlet(300.0)}, q_element=q_el)
    m = meshio.read(write_thermal_vtu(tmp_path / "th.vtu", st, T_ambient_K=300.0, q_element_W_per_m3=q_el))
    _check_mesh_and_regions(m, tm)
    assert np.array_equal(m.point_data["T_K"], st.T)
    assert np.array_equal(m.point_data["dT_K"], st.T - 300.0) and m.point_data["dT_K"].max() > 0
    cd = {k: v["triangle"] for k, v in m.cell_data_dict.items()}
    assert np.array_equal(cd["heat_flux_W_per_cm2"][:, :2], st.heat_flux.T * 1e-4)
    assert np.array_equal(cd["heat_density_W_per_cm3"], q_el * 1e-6)
    # without an ambient, no rise
    assert "dT_K" not in meshio.read(write_thermal_vtu(tmp_path / "th2.vtu", st)).point_data


def test_write_vtu_keeps_the_case_signature_and_checks_lengths(solved, tmp_path):
    tm = solved[0].electrical
    n, ne = tm.mesh.p.shape[1], tm.mesh.t.shape[1]
    m = meshio.read(write_vtu(tmp_path / "a.vtu", tm, point_data={"T_K": np.full(n, 300.0)},
                              cell_data={"flux_W_per_m2": np.ones((ne, 2))}))
    assert m.cell_data_dict["flux_W_per_m2"]["triangle"].shape == (ne, 3)
    _check_mesh_and_regions(m, tm)
    with pytest.raises(InputError, match="one value per node"):
        write_vtu(tmp_path / "b.vtu", tm, point_data={"T_K": np.zeros(n - 1)})
    with pytest.raises(InputError, match="one value per element"):
        write_vtu(tmp_path / "b.vtu", tm, cell_data={"Q_W_per_m3": np.zeros(ne + 1)})


def test_profile_csv(solved, tmp_path):
    dm, st = solved
    prof = FilmColumns(dm.electrical, "CQD").profile(st.R_vertex, st.T)
    path = write_profile_csv(tmp_path / "profile.csv", prof, {"excitons_per_dot": np.zeros(len(prof.x_m))})
    rows = list(csv.DictReader(open(path)))
    assert list(rows[0])[:4] == ["x_um", "column_area_um2", "j_rec_A_per_cm2", "T_K"]       # a disc: ring areas
    assert np.allclose([float(r["column_area_um2"]) for r in rows], prof.column_width_m * 1e12, rtol=1e-9)
    assert "excitons_per_dot" in rows[0] and len(rows) == len(prof.x_m)
    assert np.allclose([float(r["j_rec_A_per_cm2"]) for r in rows], prof.j_rec_A_per_m2 * 1e-4, rtol=1e-9)
    assert np.allclose([float(r["x_um"]) for r in rows], prof.x_m * 1e6, rtol=1e-9, atol=1e-12)


def _window(tmesh):
    """A crop window (um): the left half, the top 60 % of the films."""
    p = tmesh.mesh.p * 1e6
    y0, y1 = p[1].min(), p[1].max()
    return [str(v) for v in (0.0, p[0].max() / 2, y0 + 0.4 * (y1 - y0), y1)]


def _is_png(path):
    return path.is_file() and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_view_log_crop_point_and_cell_fields(electrical_vtu, tmp_path, capsys):
    dm, _, path = electrical_vtu
    crop = _window(dm.electrical)
    for field in ("n_per_cm3", "J_A_per_cm2"):          # a point field, a cell vector (|J| averaged to nodes)
        png = tmp_path / f"{field}.png"
        assert main(["view", str(path), "--field", field, "--log", "--crop", *crop, "--png", str(png),
                     "--y-stretch", "20"]) == 0
        assert _is_png(png)
    assert "wrote" in capsys.readouterr().out


def test_view_refuses_bad_input_with_a_message(electrical_vtu, solved, tmp_path, capsys):
    dm, _, path = electrical_vtu
    png = str(tmp_path / "x.png")

    def err(*args):
        assert main(["view", *args, "--png", png]) == 2
        return capsys.readouterr().err

    msg = err(str(path), "--field", "psi")
    assert "bad input" in msg and "psi_V" in msg and "J_A_per_cm2" in msg and "Traceback" not in msg
    assert "x0 < x1" in err(str(path), "--field", "psi_V", "--crop", "5", "5", "0", "1")
    assert "whole element" in err(str(path), "--field", "psi_V", "--crop", "-9", "-8", "0", "1")
    zero = write_vtu(tmp_path / "zero.vtu", dm.electrical, point_data={"zero_V": np.zeros(dm.electrical.mesh.p.shape[1])})
    assert "values != 0" in err(str(zero), "--field", "zero_V", "--log")
    plain = tmp_path / "plain.vtu"                        # a .vtu that does not state its length unit
    meshio.write(plain, meshio.Mesh(np.zeros((3, 3)), [("triangle", np.array([[0, 1, 2]]))]))
    assert LENGTH_UNIT_KEY in err(str(plain), "--field", "T_K")
    assert "existing .vtu" in err(str(tmp_path / "missing.vtu"), "--field", "T_K")
    assert not (tmp_path / "x.png").exists()
