"""QD-film profile: J_rec(x) = q int R dy and T(x) from nodal maps (closed forms for simple fields)."""
import numpy as np
import pytest

from fem_cqd.constants import q
from fem_cqd.errors import InputError
from fem_cqd.mesh import MeshOptions, build_mesh
from fem_cqd.qd_profile import qd_film_profile
from fem_cqd.stack import lim2018

OPT = MeshOptions(edge_cell_um=2.0, max_cell_fraction=0.2, lateral_ratio=2.0)


@pytest.mark.parametrize("geometry", ["planar", "axisymmetric"])
def test_uniform_and_linear_recombination_integrate_exactly(geometry):
    stack = lim2018(geometry)
    tm = build_mesh(stack, OPT).electrical
    x, y = tm.mesh.p
    film = tm.elements_of("CQD")
    yf = tm.mesh.p[1][tm.mesh.t[:, film]]
    y0, y1 = yf.min(), yf.max()
    t = y1 - y0
    R0 = 1e27
    prof = qd_film_profile(tm, "CQD", np.full(x.size, R0), 300.0 + 1e3 * x)
    assert np.allclose(prof.j_rec_A_per_m2, q * R0 * t, rtol=1e-12)
    assert np.allclose(prof.T_K, 300.0 + 1e3 * prof.x_m, rtol=1e-12)
    X = prof.x_m[-1]
    area = X if geometry == "planar" else np.pi * X ** 2
    assert prof.recombination_current == pytest.approx(q * R0 * t * area, rel=1e-12)
    # R linear across the film: trapezoid exact, J_rec = q t (R(y0) + R(y1))/2
    lin = qd_film_profile(tm, "CQD", R0 * (1 + (y - y0) / t), np.full(x.size, 300.0))
    assert np.allclose(lin.j_rec_A_per_m2, q * R0 * t * 1.5, rtol=1e-12)


def test_bad_input_names_the_field():
    tm = build_mesh(lim2018(), OPT).electrical
    N = tm.mesh.p.shape[1]
    with pytest.raises(InputError, match="region"):
        qd_film_profile(tm, "PbS", np.zeros(N), np.full(N, 300.0))
    with pytest.raises(InputError, match="R_per_m3s"):
        qd_film_profile(tm, "CQD", np.zeros(N - 1), np.full(N, 300.0))
    with pytest.raises(InputError, match="T_nodes"):
        qd_film_profile(tm, "CQD", np.zeros(N), np.full(N, np.nan))


def test_band_segments_show_each_films_own_edges_and_flat_levels_in_equilibrium():
    from fem_cqd.bands import band_segments
    from fem_cqd.electrical import Contact, build_device, solve_equilibrium
    stack = lim2018(params="lim2018_operating")
    dm = build_mesh(stack, OPT)
    dev = build_device(dm.electrical, [Contact("anode"), Contact("cathode")])
    st = solve_equilibrium(dev)
    segs = {s["name"]: s for s in band_segments(dm.electrical, st, 0.0)}
    lib = stack.check_materials()
    for name in ("poly-TPD", "TCTA", "CQD", "ZnO"):
        s = segs[name]
        m = lib[name]
        assert np.allclose(s["Ec"] - s["Ev"], m.band_gap)
        assert np.allclose(s["Efn"], s["Efn"][0], atol=1e-9) and np.allclose(s["Efn"], s["Efp"], atol=1e-9)
    # the 0.30 eV HOMO step of the operating set, at the shared interface node
    assert segs["poly-TPD"]["Ev"][-1] - segs["TCTA"]["Ev"][0] == pytest.approx(0.30, abs=1e-9)
    # between node columns the line is sampled where it crosses the triangles' edges
    off = {s["name"]: s for s in band_segments(dm.electrical, st, 1.234567e-6)}
    assert off["poly-TPD"]["Ev"][-1] - off["TCTA"]["Ev"][0] == pytest.approx(0.30, abs=1e-9)
    assert np.all(np.diff(off["CQD"]["y_m"]) > 0) and np.allclose(off["CQD"]["Ec"] - off["CQD"]["Ev"], lib["CQD"].band_gap)
    with pytest.raises(InputError, match="x0"):
        band_segments(dm.electrical, st, -1e-6)


def test_uniform_recombination_on_a_disc_gives_the_0d_gain_model_at_every_radius_including_the_axis():
    from fem_cqd import gain
    tm = build_mesh(lim2018("axisymmetric"), OPT).electrical
    film = tm.elements_of("CQD")
    yf = tm.mesh.p[1][tm.mesh.t[:, film]]
    t = yf.max() - yf.min()
    j0 = 18e4                                                 # A/m^2 = 18 A/cm^2
    N = tm.mesh.p.shape[1]
    prof = qd_film_profile(tm, "CQD", np.full(N, j0 / (q * t)), np.full(N, 320.0))
    assert prof.x_m[0] == 0.0
    lam = np.linspace(610e-9, 650e-9, 9)
    maps = gain.evaluate(prof.j_rec_A_per_m2, prof.T_K, lam)
    ref = gain.evaluate([j0], 320.0, lam)
    assert np.allclose(maps.occupancy.n_mean, ref.occupancy.n_mean[0], rtol=1e-12)
    assert np.allclose(maps.g_per_m, ref.g_per_m[0], rtol=1e-10, atol=1e-9)


@pytest.mark.parametrize("geometry", ["planar", "axisymmetric"])
def test_mid_plane_current_density(geometry):
    tm = build_mesh(lim2018(geometry), OPT).electrical
    N, ne = tm.mesh.p.shape[1], tm.mesh.t.shape[1]
    J = np.zeros((ne, 2))
    J[:, 1] = 7.5e4
    prof = qd_film_profile(tm, "CQD", np.zeros(N), np.full(N, 300.0), J)
    assert np.allclose(prof.j_y_mid_A_per_m2, 7.5e4, rtol=1e-14)
    # a J_y growing with x: each column's value lies between its neighbouring elements'
    xc = tm.mesh.p[0][tm.mesh.t].mean(axis=0)
    J[:, 1] = 1e4 * (1 + xc / xc.max())
    jy = qd_film_profile(tm, "CQD", np.zeros(N), np.full(N, 300.0), J).j_y_mid_A_per_m2
    assert np.all(np.diff(jy) > 0) and jy.min() >= 1e4 and jy.max() <= 2e4
    with pytest.raises(InputError, match="J_A_per_m2"):
        qd_film_profile(tm, "CQD", np.zeros(N), np.full(N, 300.0), J[:-1])


def test_unstructured_film_conserves_the_recombination_current():
    """A film whose nodes are off any columns (a jiggled criss-cross mesh, made Delaunay): every
    vertex's box goes to the nearest column, so sum J_rec w = q int R dV still holds to round-off,
    and a uniform R gives J_rec = q R t to first order in the lateral spacing."""
    import skfem
    from fem_cqd.delaunay import box_violations, repair_delaunay
    from fem_cqd.materials import load_library
    from fem_cqd.regions import TaggedMesh
    W, t = 40e-9, 20e-9
    m = skfem.MeshTri.init_sqsymmetric().refined(4).scaled([W, t])
    p = m.p.copy()
    inner = (p[0] > 1e-15) & (p[0] < W - 1e-15) & (p[1] > 1e-15) & (p[1] < t - 1e-15)
    p[:, inner] += 0.15 * (t / 16) * np.random.default_rng(1).uniform(-1, 1, (2, inner.sum()))
    film = TaggedMesh(skfem.MeshTri(p, m.t), "planar", np.zeros(m.t.shape[1], int), ("CQD",),
                      (load_library()["CQD"],))
    film, _ = repair_delaunay(film)
    assert box_violations(film) == []
    N = film.mesh.p.shape[1]
    R0 = 1e27
    prof = qd_film_profile(film, "CQD", np.full(N, R0), np.full(N, 300.0))
    assert prof.x_m.size == 33                      # the bottom face nodes
    assert prof.recombination_current == pytest.approx(q * R0 * t * W, rel=1e-12)
    assert np.allclose(prof.j_rec_A_per_m2, q * R0 * t, rtol=0.3)
    assert np.allclose(prof.T_K, 300.0, rtol=1e-12)
