"""J-V calibration (fem_cqd.calibrate, `fem-cqd fit`): recovery of known parameters on a coarse
column, the identifiability warning, the parameter-set round trip, bad input before any solve."""
import numpy as np
import pytest

from fem_cqd.calibrate import (ColumnModel, FreeParameter, JVData, check_parameters, confirm_2d, fit,
                               parse_parameter, profile_intervals, read_jv_csv, with_values, write_report)
from fem_cqd.cli import main
from fem_cqd.errors import InputError
from fem_cqd.mesh import MeshOptions
from fem_cqd.paramsets import load_parameter_set, write_parameter_set
from fem_cqd.stack import lim2018

COARSE = MeshOptions(layer_cell_nm=10.0, min_cells_per_layer=3)
V = np.array([4.0, 5.0, 6.0, 7.0, 8.0])


@pytest.fixture(scope="module")
def model():
    return ColumnModel("lim2018_operating", COARSE)


def test_column_model_matches_the_wide_aperture_centre(model):
    """The column is 1D: its J is the same for any width (no lateral current)."""
    d = JVData(V[:2], np.ones(2), 300.0, "w")
    narrow = model.jv({}, d)
    wide = ColumnModel("lim2018_operating", COARSE, width_nm=1000.0).jv({}, d)
    assert np.allclose(narrow, wide, rtol=1e-9) and np.all(narrow > 0)


def test_fit_recovers_a_known_hole_barrier(model, tmp_path):
    truth = {"TCTA.homo_eV": 5.74}
    J = model.jv(truth, JVData(V, np.ones_like(V), 300.0, "truth"))
    data = [JVData(V, J, 300.0, "synthetic")]
    res = fit(data, [FreeParameter("TCTA.homo_eV", 5.6, 5.85)], ColumnModel("lim2018_operating", COARSE),
              starts=1, progress=False)
    assert res.values["TCTA.homo_eV"] == pytest.approx(5.74, abs=2e-3)
    assert res.rms_decades < 1e-3 and not res.warnings
    # the best point in the 2D disc: J over the aperture within a few % of the column (spreading, edge)
    quick2d = MeshOptions(edge_cell_um=2.0, max_cell_fraction=0.2, lateral_ratio=2.0, layer_cell_nm=10.0,
                          min_cells_per_layer=3)
    conf = confirm_2d(res, "axisymmetric", quick2d, progress=False)
    assert np.all((np.array(conf[0]["J_2d_over_column"]) > 0.9) & (np.array(conf[0]["J_2d_over_column"]) < 1.3))
    s = write_report(res, tmp_path, "test data", set_name="fit_test", confirmation=conf)
    assert "confirmation_2d" in s and s["headline"][-1].startswith("2D axisymmetric")
    for name in ("summary.json", "fit.png", "residuals.png", "params.toml"):
        assert (tmp_path / name).stat().st_size > 0
    ps = load_parameter_set(tmp_path / "params.toml")            # the cases accept it
    assert ps.materials["TCTA"]["values"]["homo_eV"] == pytest.approx(res.values["TCTA.homo_eV"])
    assert ps.materials["TCTA"]["sources"]["homo"].startswith("fitted: test data")
    assert lim2018(params=tmp_path / "params.toml").library["TCTA"].band_gap > 0
    assert s["headline"][0].startswith("TCTA.homo_eV = ")


def test_joint_fit_over_a_thickness_series(model):
    """Two devices that differ in TCTA thickness, fitted jointly: each data set is modelled with its own
    stack (the thicker device passes less current), and the shared parameters come back."""
    truth = {"TCTA.homo_eV": 5.74, "TCTA.mu_p_cm2_per_Vs": 1.5e-4}
    data = [JVData(V, model.jv(truth, JVData(V, np.ones_like(V), 300.0, f"truth {t}", {"tcta_nm": t})), 300.0,
                   f"tcta {t} nm", {"tcta_nm": t}) for t in (10.0, 20.0)]
    assert np.all(data[1].J < data[0].J)
    res = fit(data, [FreeParameter("TCTA.homo_eV", 5.6, 5.85),
                     FreeParameter("TCTA.mu_p_cm2_per_Vs", 3e-5, 1e-3, log=True)],
              ColumnModel("lim2018_operating", COARSE), starts=1, progress=False)
    assert res.values["TCTA.homo_eV"] == pytest.approx(5.74, abs=2e-3)
    assert res.values["TCTA.mu_p_cm2_per_Vs"] == pytest.approx(1.5e-4, rel=2e-2)
    assert res.rms_decades < 1e-3


def test_joint_fit_of_a_diode_and_its_hole_only_companion(model):
    """The hole-only device (Au top contact, no QD film) passes holes only and is far more sensitive to
    the TCTA hole mobility than the diode; fitted jointly with the diode, both values come back."""
    truth = {"TCTA.homo_eV": 5.74, "TCTA.mu_p_cm2_per_Vs": 1.5e-4}
    data = [JVData(V, model.jv(truth, JVData(V, np.ones_like(V), 300.0, f"truth {k}", device=k)), 300.0, k, device=k)
            for k in ("pin", "hole_only")]
    assert np.all(data[1].J > 10 * data[0].J)
    dev = model.device({}, 300.0, kind="hole_only")
    assert "CQD" not in dev.tmesh.region_names and "Au" in dev.tmesh.region_names
    res = fit(data, [FreeParameter("TCTA.homo_eV", 5.6, 5.85),
                     FreeParameter("TCTA.mu_p_cm2_per_Vs", 3e-5, 1e-3, log=True)],
              ColumnModel("lim2018_operating", COARSE), starts=1, progress=False)
    assert res.values["TCTA.homo_eV"] == pytest.approx(5.74, abs=2e-3)
    assert res.values["TCTA.mu_p_cm2_per_Vs"] == pytest.approx(1.5e-4, rel=2e-2)


def test_profile_intervals_bracket_the_fit_and_match_the_standard_errors_where_quadratic(model, tmp_path):
    """Profile likelihood (Delta chi^2 = 1) on noisy data: one free parameter (chi^2 nearly quadratic
    in it) gives value +- SE within 15 %; for a strongly correlated pair (HOMO with mobility,
    correlation ~0.98) each interval holds the best value and is closed -- there chi^2 is far from
    quadratic along the valley and the intervals differ from the linearised SE, which is why they
    are offered; the report carries them."""
    truth = {"TCTA.homo_eV": 5.74, "TCTA.mu_p_cm2_per_Vs": 1.5e-4}
    d = JVData(V, model.jv(truth, JVData(V, np.ones_like(V), 300.0, "truth")) * (1 + 0.05 * np.sin(3 * V)), 300.0, "d")
    free = [FreeParameter("TCTA.homo_eV", 5.6, 5.85), FreeParameter("TCTA.mu_p_cm2_per_Vs", 3e-5, 1e-3, log=True)]
    m = ColumnModel("lim2018_operating", COARSE)
    one = fit([d], free[:1], m, starts=1, progress=False)
    iv = profile_intervals(one, m, progress=False)["TCTA.homo_eV"]
    best, se = one.values["TCTA.homo_eV"], one.std_errors["TCTA.homo_eV"]
    assert (best - iv["lower"]) / se == pytest.approx(1.0, abs=0.15)
    assert (iv["upper"] - best) / se == pytest.approx(1.0, abs=0.15)
    res = fit([d], free, m, starts=1, progress=False)
    prof = profile_intervals(res, m, progress=False)
    for p in free:
        iv = prof[p.name]
        assert iv["lower"] < res.values[p.name] < iv["upper"] and not any(iv["open"])
        assert all(c >= 0 for _, c in iv["points"]) and max(c for _, c in iv["points"]) >= 1.0
    s = write_report(res, tmp_path, "test data", profiles=prof)
    assert s["profile_68"] == prof and s["headline"][2].startswith("TCTA.homo_eV: 68 % profile interval")


def test_a_fit_on_worker_processes_equals_the_serial_fit(model):
    """Every J-V of a Jacobian starts from the states cached before it, whichever process runs it, so
    two workers give the serial fit exactly (same values, errors, evaluations)."""
    truth = {"TCTA.homo_eV": 5.74, "TCTA.mu_p_cm2_per_Vs": 1.5e-4}
    data = [JVData(V, model.jv(truth, JVData(V, np.ones_like(V), T, f"truth {T}")) * (1 + 0.05 * np.sin(3 * V + T)),
                   T, f"{T} K") for T in (300.0, 340.0)]
    free = [FreeParameter("TCTA.homo_eV", 5.6, 5.85), FreeParameter("TCTA.mu_p_cm2_per_Vs", 3e-5, 1e-3, log=True)]
    serial = fit(data, free, ColumnModel("lim2018_operating", COARSE), starts=1, progress=False)
    with ColumnModel("lim2018_operating", COARSE, workers=2) as two:
        parallel = fit(data, free, two, starts=1, progress=False)
        assert two._pool is not None
    assert two._pool is None                                     # the context closed the workers
    assert parallel.values == serial.values and parallel.std_errors == serial.std_errors
    assert parallel.evaluations == serial.evaluations and parallel.starts == serial.starts
    with pytest.raises(InputError, match="workers"):
        ColumnModel("lim2018_operating", COARSE, workers=0)


class _Degenerate:
    """A model whose J depends on the sum of two parameters only (J = exp((x1 + x2 - 11) V))."""

    def __init__(self):
        self.base = load_parameter_set("lim2018_operating")
        self.evaluations = 0

    def jv_many(self, pairs):
        self.evaluations += len(pairs)
        return [np.exp((values["TCTA.homo_eV"] + values["poly-TPD.homo_eV"] - 11.0) * d.V) for values, d in pairs]


def test_a_pair_the_data_cannot_separate_is_reported():
    d = JVData(V, np.exp(0.12 * V) * (1 + 0.01 * np.sin(7 * V)), 300.0, "degenerate")
    res = fit([d], [FreeParameter("TCTA.homo_eV", 5.5, 5.9), FreeParameter("poly-TPD.homo_eV", 5.2, 5.6)],
              _Degenerate(), starts=2, progress=False)
    assert "cannot separate" in res.warnings[0] and "undetermined" in res.warnings[1] and len(res.warnings) == 2
    assert abs(res.correlation[0, 1]) > 0.95


def test_parameter_set_round_trip(tmp_path):
    base = load_parameter_set("lim2018_operating")
    ps = with_values(base, {"TCTA.mu_p_cm2_per_Vs": 2e-4, "stack.spacer_nm": 20.0}, "fitted: test")
    path = write_parameter_set(ps, tmp_path / "set.toml")
    back = load_parameter_set(path)
    assert back.table() == ps.table()
    assert lim2018(params=path).path_through("TCTA") == pytest.approx(30.0)


def test_bad_input_is_refused_before_any_solve(tmp_path):
    base = load_parameter_set("lim2018_operating")
    with pytest.raises(InputError, match="lower < upper"):
        parse_parameter("TCTA.homo_eV=5.9:5.5")
    with pytest.raises(InputError, match="NAME=LOWER:UPPER"):
        parse_parameter("TCTA.homo_eV")
    with pytest.raises(InputError, match="> 0 on a log scale"):
        parse_parameter("TCTA.mu_p_cm2_per_Vs=0:1e-3:log")
    with pytest.raises(InputError, match="within"):
        FreeParameter("TCTA.homo_eV", 5.5, 5.9, initial=6.0)
    with pytest.raises(InputError, match="TCTA.homo_eV"):               # the valid names are listed
        check_parameters([FreeParameter("TCTA.homo", 5.5, 5.9)], base)
    with pytest.raises(InputError, match="each parameter once"):
        check_parameters([FreeParameter("TCTA.homo_eV", 5.5, 5.9)] * 2, base)
    csv = tmp_path / "d.csv"
    for text, match in (("", "header and at least one row"), ("voltage_V,J\n1,2\n", "columns"),
                        ("voltage_V,current_density_A_per_cm2\n1,abc\n", "line 2"),
                        ("voltage_V,current_density_A_per_cm2\n1,1\n2,0\n3,-1\n", r"lines \[3, 4\]")):
        csv.write_text(text)
        with pytest.raises(InputError, match=match):
            read_jv_csv(csv)
    csv.write_text("voltage_V,current_density_A_per_cm2,T_K\n1,1,300\n2,2,300\n1,3,320\n")
    sets = read_jv_csv(csv)
    assert [d.T_K for d in sets] == [300.0, 320.0] and sets[0].J.tolist() == [1.0, 2.0]
    csv.write_text("voltage_V,current_density_A_per_cm2,tcta_nm\n1,1,10\n2,2,10\n1,3,20\n")   # a thickness series
    sets = read_jv_csv(csv)
    assert [d.stack for d in sets] == [{"tcta_nm": 10.0}, {"tcta_nm": 20.0}] and sets[1].J.tolist() == [3.0]
    csv.write_text("voltage_V,current_density_A_per_cm2,device\n1,1,pin\n2,2,hole_only\n3,4,\n")   # device kinds
    sets = read_jv_csv(csv)
    assert [(d.device, d.J.tolist()) for d in sets] == [("pin", [1.0, 4.0]), ("hole_only", [2.0])]
    csv.write_text("voltage_V,current_density_A_per_cm2,device\n1,1,pin\n2,2,electron\n")
    with pytest.raises(InputError, match="line 3 device"):
        read_jv_csv(csv)
    csv.write_text("voltage_V,current_density_A_per_cm2,tcta_nm\n1,1,10\n2,2,0\n")
    with pytest.raises(InputError, match=r"tcta_nm.*lines \[3\]"):
        read_jv_csv(csv)
    with pytest.raises(InputError, match="stack key"):
        JVData(V, np.ones_like(V), 300.0, "x", {"ito_nm": 100.0})
    with pytest.raises(InputError, match="the data do not fix"):        # fitted and fixed at once
        fit([JVData(V, np.ones_like(V), 300.0, "x", {"tcta_nm": 20.0})], [FreeParameter("stack.tcta_nm", 5, 30)],
            progress=False)
    csv.write_text("voltage_V,current_density_A_per_cm2,T_K\n1,1,300\n2,2,300\n1,3,320\n")
    out = tmp_path / "fit_out"
    assert main(["fit", str(csv), "--param", "TCTA.nope=1:2", "--out", str(out)]) == 2
    assert main(["fit", str(csv), "--param", "TCTA.homo_eV=5.9:5.5", "--out", str(out)]) == 2
    assert not out.exists()
    assert main(["run", "aperture_sweep", "--params", "lim2018_operating", "--out", str(out)]) == 2


def test_linearised_errors_are_the_gauss_newton_covariance():
    from fem_cqd.calibrate import _errors
    rng = np.random.default_rng(2)
    Ju = rng.standard_normal((12, 3))
    dx = np.array([0.25, 2e-4, 0.2])
    se, corr, undetermined = _errors(Ju, 0.3, dx)
    assert undetermined == []
    Jx = Ju / dx
    cov = 0.3 * np.linalg.inv(Jx.T @ Jx)
    assert np.allclose(se, np.sqrt(np.diag(cov)), rtol=1e-10)
    assert np.allclose(corr, cov / np.outer(se, se), rtol=1e-10, atol=1e-14)
    Ju[:, 2] = 2.0 * Ju[:, 0]                                  # a direction the residuals cannot see
    se, corr, undetermined = _errors(Ju, 0.3, dx)
    assert undetermined == [[0, 2]]
    assert np.isinf(se[0]) and np.isinf(se[2]) and np.isfinite(se[1]) and corr[0, 2] == pytest.approx(-1.0)
