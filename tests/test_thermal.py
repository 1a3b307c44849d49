"""Heat solver: assembly against scikit-fem, closed forms (coarse meshes), balances, bad input."""
from __future__ import annotations

import math

import numpy as np
import pytest
import skfem
from skfem.helpers import dot, grad


import thermal_analytic as ta

from fem_cqd import analytic
from fem_cqd import thermal as th
from fem_cqd.thermal.assembly import _boundary_terms
from fem_cqd.errors import InputError, ThermalConvergenceError
from fem_cqd.materials import Material
from fem_cqd.regions import TaggedMesh

GEOS = ("planar", "axisymmetric")


def _ok(rows):
    bad = [r for r in rows if r["ok"] is False]
    assert not bad, "\n".join(f"{r['case']} {r['quantity']}: {r['computed']} vs {r['reference']} "
                              f"(rel {r['rel_error']}, tol {r['tolerance']})" for r in bad)


def _box(geo, nx=6, ny=8, mat=None, jiggle=0.0):
    x = np.linspace(0, 1e-3, nx + 1) ** 1.2 * 1e-3 ** -0.2
    y = np.linspace(0, 2e-3, ny + 1)
    tm = ta.tagged(x, y, geo, {"bottom": lambda p: p[1] < 1e-12, "top": lambda p: p[1] > 2e-3 - 1e-12,
                              "right": lambda p: p[0] > 1e-3 - 1e-12}, jiggle=jiggle)
    if mat is not None:
        tm = TaggedMesh(tm.mesh, geo, tm.element_region, ("solid",), (mat,), tm.boundaries)
    return tm


def _weight(geo):
    return (lambda w: 1.0) if geo == "planar" else (lambda w: 2 * np.pi * w.x[0])


# --- assembly -----------------------------------------------------------------------------------
@pytest.mark.parametrize("geo", GEOS)
def test_operators_equal_scikit_fem(geo):
    tm = _box(geo, jiggle=0.2)
    tmesh = th.ThermalMesh(tm)
    wf = _weight(geo)
    basis = skfem.Basis(tm.mesh, skfem.ElementTriP1(), intorder=4)
    k = ta.K
    K_ref = skfem.asm(skfem.BilinearForm(lambda u, v, w: wf(w) * k * dot(grad(u), grad(v))), basis)
    M_ref = skfem.asm(skfem.BilinearForm(lambda u, v, w: wf(w) * ta.RHO_C * u * v), basis)
    W, d = tmesh.stiffness()[:2]
    assert abs(tmesh.to_csr(W, W, d) - K_ref).max() < 1e-12 * abs(K_ref).max()
    W, d = tmesh.mass("consistent", tmesh.rho_c())
    assert abs(tmesh.to_csr(W, W, d) - M_ref).max() < 1e-12 * abs(M_ref).max()
    W, d = tmesh.mass("lumped", tmesh.rho_c())
    assert np.allclose(d, np.asarray(M_ref.sum(axis=1)).ravel(), rtol=1e-12)
    fb = skfem.FacetBasis(tm.mesh, skfem.ElementTriP1(), facets=tm.boundary("right"), intorder=4)
    R_ref = skfem.asm(skfem.BilinearForm(lambda u, v, w: wf(w) * 7.0 * u * v), fb)
    rW, rd, rl, *_ = _boundary_terms(tmesh, {"right": th.Robin(7.0, 290.0)})
    assert abs(tmesh.to_csr(rW, rW, rd) - R_ref).max() < 1e-12 * abs(R_ref).max()


@pytest.mark.parametrize("geo", GEOS)
def test_steady_equals_scikit_fem_and_balances(geo):
    tm = _box(geo, jiggle=0.2)
    wf = _weight(geo)
    bcs = {"bottom": th.Dirichlet(300.0), "right": th.Robin(50.0, 290.0)}
    st = th.solve_steady(tm, bcs, q_element=1e6, surface_flux={"top": 500.0})
    basis = skfem.Basis(tm.mesh, skfem.ElementTriP1(), intorder=4)
    fb = skfem.FacetBasis(tm.mesh, skfem.ElementTriP1(), facets=tm.boundary("right"), intorder=4)
    ft = skfem.FacetBasis(tm.mesh, skfem.ElementTriP1(), facets=tm.boundary("top"), intorder=4)
    A = skfem.asm(skfem.BilinearForm(lambda u, v, w: wf(w) * ta.K * dot(grad(u), grad(v))), basis) \
        + skfem.asm(skfem.BilinearForm(lambda u, v, w: wf(w) * 50.0 * u * v), fb)
    b = skfem.asm(skfem.LinearForm(lambda v, w: wf(w) * 1e6 * v), basis) \
        + skfem.asm(skfem.LinearForm(lambda v, w: wf(w) * 50.0 * 290.0 * v), fb) \
        + skfem.asm(skfem.LinearForm(lambda v, w: wf(w) * 500.0 * v), ft)
    D = tm.boundary_nodes("bottom")
    x = np.zeros(tm.mesh.p.shape[1])
    x[D] = 300.0
    T_ref = skfem.solve(*skfem.condense(A, b, x=x, D=D))
    assert np.max(np.abs(st.T - T_ref)) < 1e-9 * np.ptp(T_ref)
    assert st.imbalance < 1e-12
    assert set(st.power_boundary) == {"bottom", "right"}
    amg = th.solve_steady(tm, bcs, q_element=1e6, surface_flux={"top": 500.0}, solver="amg")
    assert amg.solver == "amg"
    assert np.max(np.abs(amg.T - T_ref)) < 1e-7 * np.ptp(T_ref)
    # nodal sources: q_node lumped equals q_element for a uniform density; node_power is added as is
    sn = th.solve_steady(tm, bcs, q_node=1e6, surface_flux={"top": 500.0})
    assert np.allclose(sn.T, st.T, rtol=0, atol=1e-9 * np.ptp(T_ref))
    P = np.zeros(tm.mesh.p.shape[1])
    P[7] = 0.3
    sp_ = th.solve_steady(tm, bcs, node_power=P)
    assert sp_.power_source == pytest.approx(0.3) and sp_.imbalance < 1e-10


# --- closed forms (coarse versions of benchmarks/thermal_analytic.py) -----------------------------
def test_slab_row_averages_nodally_exact():
    _ok(ta.slab_exact(10))


def test_second_order_convergence_on_jiggled_meshes():
    rows = ta.convergence((8, 16, 32))
    _ok([r for r in rows if "L2" in r["quantity"]])
    orders = [r["computed"] for r in rows if "order" in r["quantity"]]
    assert all(1.6 < p < 2.3 for p in orders), orders


def test_disc_on_half_space():
    _ok(ta.disc(h_edge_factor=1 / 200, growth=1.2))


def test_step_flux_on_half_space_bdf2_three_decades():
    _ok(ta.step_flux(h0_factor=1 / 8, dt_factor=1 / 20, growth=1.2))


@pytest.mark.parametrize("h_over_w", [100.0, 5.0])
def test_uniform_flux_stripe(h_over_w):
    _ok(ta.stripe(h_over_w=h_over_w, h_edge_factor=1 / 60, growth=1.25, exact_only=h_over_w < 10))


def test_stripe_closed_forms_against_exact_integral():
    # the w << h forms are exact up to O((w/h)^2); Joyce-Dixon is 5-11 % low for h/w = 100...5
    for hw, tol in ((1000, 1e-8), (100, 1e-6), (20, 2e-5)):
        c = analytic.stripe_centre_rise_exact(1.0, 1.0, 1.0, hw)
        m = analytic.stripe_mean_rise_exact(1.0, 1.0, 1.0, hw)
        assert c == pytest.approx(analytic.stripe_centre_rise(1.0, 1.0, 1.0, hw), rel=tol)
        assert m == pytest.approx(analytic.stripe_mean_rise(1.0, 1.0, 1.0, hw), rel=tol)
    jd = analytic.stripe_joyce_dixon_rise(1, 1, 1, 100) / analytic.stripe_mean_rise(1, 1, 1, 100) - 1
    assert -0.07 < jd < -0.04


def test_uniform_flux_disc_profile_closed_form():
    r = np.array([0.0, 0.999999, 1.000001, 3.0])
    T = analytic.uniform_flux_disc_surface_rise(r, 1.0, 1.0, 1.0)
    assert T[0] == pytest.approx(1.0)
    assert T[1] == pytest.approx(T[2], rel=1e-4) and T[1] == pytest.approx(2 / np.pi, rel=1e-4)
    assert T[3] == pytest.approx(1 / (2 * 3.0), rel=0.03)     # far field ~ P / (2 pi k r)


# --- boundary resistance, nonlinear conductivity ----------------------------------------------------
def _two_layers(geo):
    x = np.linspace(0, 1e-6, 3) + (1e-6 if geo == "axisymmetric" else 0.0)
    y = np.linspace(0, 2e-6, 9)
    m = skfem.MeshTri.init_tensor(x, y)
    reg = (m.p[1][m.t].mean(axis=0) > 1e-6).astype(int)
    a = Material("a", "insulator", 1.0, 1000.0, 2000.0)
    b = Material("b", "insulator", 0.2, 1000.0, 2000.0)
    bnd = {"bottom": m.facets_satisfying(lambda p: p[1] < 1e-15),
           "top": m.facets_satisfying(lambda p: p[1] > 2e-6 - 1e-15),
           "side": m.facets_satisfying(lambda p: p[0] > x[-1] - 1e-15)}
    return TaggedMesh(m, geo, reg, ("a", "b"), (a, b), bnd)


@pytest.mark.parametrize("geo", GEOS)
@pytest.mark.parametrize("solver", ["direct", "amg"])
def test_boundary_resistance_gives_exact_jump(geo, solver):
    tm = _two_layers(geo)
    q, R = 1e6, 1e-8
    bcs = {"bottom": th.Dirichlet(300.0), "side": th.Robin(0.0, 300.0)}
    st = th.solve_steady(tm, bcs, surface_flux={"top": q}, boundary_resistance={("a", "b"): R}, solver=solver)
    assert st.T_dofs.size > st.T.size
    top = 300 + q * (1e-6 / 1.0 + R + 1e-6 / 0.2)
    assert st.T_dofs.max() == pytest.approx(top, abs=1e-8)
    iface = np.flatnonzero(np.abs(tm.mesh.p[1] - 1e-6) < 1e-15)
    copies = st.thermal_mesh.dof_node
    dup = np.flatnonzero(np.isin(copies, iface) & (np.arange(copies.size) >= st.T.size))
    assert np.allclose(st.T_dofs[dup] - st.T[copies[dup]], q * R, rtol=1e-8)
    assert st.imbalance < 1e-9
    # mean over region b uses b's side of the interface
    assert th.mean_temperature(st, region="b") > st.T[iface].mean() + 0.99 * q * R


def test_boundary_resistance_bad_pairs():
    tm = _two_layers("planar")
    with pytest.raises(InputError, match="region"):
        th.solve_steady(tm, {"bottom": th.Dirichlet(300.0)}, boundary_resistance={("a", "nope"): 1e-8})
    with pytest.raises(InputError, match="boundary_resistance"):
        th.solve_steady(tm, {"bottom": th.Dirichlet(300.0)}, boundary_resistance={("a", "b"): -1.0})


def _nonlinear_column(n, exponent=-1.0):
    x = np.array([0.0, 1e-7])
    y = np.linspace(0, 2e-6, n + 1)
    m = skfem.MeshTri.init_tensor(x, y)
    mat = Material("c", "insulator", 1.0, 1000.0, 2000.0, k_T_exponent=exponent)
    bnd = {"bottom": m.facets_satisfying(lambda p: p[1] < 1e-15), "top": m.facets_satisfying(lambda p: p[1] > 2e-6 - 1e-15)}
    return TaggedMesh(m, "planar", np.zeros(m.t.shape[1], dtype=int), ("c",), (mat,), bnd)


def test_temperature_dependent_conductivity_newton_and_picard():
    # k = 300/T: Kirchhoff transform gives 300 ln(T_top/300) = q L exactly
    q, L = 5e7, 2e-6
    exact = 300 * math.exp(q * L / 300)
    errs = []
    for n in (8, 16, 32):
        tm = _nonlinear_column(n)
        st = th.solve_steady(tm, {"bottom": th.Dirichlet(300.0)}, surface_flux={"top": q})
        assert st.iterations <= 8 and st.imbalance < 1e-8
        errs.append(abs(st.T.max() - exact))
    assert errs[-1] / (exact - 300) < 1e-3
    assert np.log2(errs[0] / errs[1]) > 1.8 and np.log2(errs[1] / errs[2]) > 1.8
    pic = th.solve_steady(tm, {"bottom": th.Dirichlet(300.0)}, surface_flux={"top": q}, solver="amg")
    assert pic.T.max() == pytest.approx(st.T.max(), abs=1e-5)
    with pytest.raises(ThermalConvergenceError) as err:
        th.solve_steady(tm, {"bottom": th.Dirichlet(300.0)}, surface_flux={"top": q}, max_iter=1)
    assert isinstance(err.value.last_state, th.ThermalState)


# --- transient ------------------------------------------------------------------------------------
def _column(n=20, depth=1e-3):
    y = np.linspace(-depth, 0.0, n + 1)
    return ta.tagged(np.array([0.0, 1e-5]), y, "planar", {"top": lambda p: p[1] > -1e-15,
                                                          "bottom": lambda p: p[1] < -depth * (1 - 1e-12)})


@pytest.mark.parametrize("mass", ["lumped", "consistent"])
def test_time_order_euler_and_bdf2(mass):
    tm = _column()
    t_end = 0.05
    bcs = {"bottom": th.Dirichlet(300.0)}
    kw = dict(surface_flux={"top": 1e5}, amplitude=lambda t: math.sin(40 * t) ** 2, mass=mass, progress=False)
    ref = th.solve_transient(tm, [t_end], bcs, dt=t_end / 2048, method="bdf2", **kw).T[0]
    for method, lo, hi in (("euler", 0.85, 1.2), ("bdf2", 1.8, 2.3)):
        e = [np.max(np.abs(th.solve_transient(tm, [t_end], bcs, dt=t_end / n, method=method, **kw).T[0] - ref))
             for n in (32, 64)]
        assert lo < np.log2(e[0] / e[1]) < hi, (method, e)


def test_pulse_train_energy_and_steady_limit():
    tm = _column(10)
    amp, edges = th.rectangular_pulses(1e-3, 4e-3, n_pulses=3)
    grid = np.union1d(np.arange(1, 121) * 1e-4, edges)
    # adiabatic body, uniform source: T rises by Q * (on time) / (rho c), exactly, for both schemes
    for method in th.METHODS:
        h = th.solve_transient(tm, [2e-3, 12e-3], {}, q_element=1e9, amplitude=amp, grid=grid,
                               method=method, progress=False)
        assert np.allclose(h.T[0], 300 + 1e9 * 1e-3 / ta.RHO_C, rtol=1e-10)
        assert np.allclose(h.T[1], 300 + 1e9 * 3e-3 / ta.RHO_C, rtol=1e-10)
    # long run with a sink approaches the steady state
    bcs = {"bottom": th.Dirichlet(300.0)}
    st = th.solve_steady(tm, bcs, surface_flux={"top": 1e4})
    tau = (1e-3) ** 2 * ta.RHO_C / ta.K
    h = th.solve_transient(tm, [20 * tau], bcs, surface_flux={"top": 1e4}, grid=th.time_grid(20 * tau, tau / 100),
                           progress=False)
    assert np.allclose(h.T[0], st.T, atol=1e-6 * np.ptp(st.T))
    assert h.factorizations < h.steps // 3      # two per doubling level, not one per step


def test_time_grid():
    g = th.time_grid(1.0, 1e-3, steps_per_level=5, growth=2.0, include=[0.5, 0.123])
    assert g[0] == pytest.approx(1e-3) and g[-1] == pytest.approx(1.0)
    assert np.all(np.diff(g) > 0) and 0.5 in g and 0.123 in g


# --- post-processing ----------------------------------------------------------------------------------
def test_thermal_resistance_of_a_slab():
    tm = _box("planar", mat=Material("m", "insulator", 2.0, 1000.0, 2000.0))
    q = 1e4
    st = th.solve_steady(tm, {"bottom": th.Dirichlet(300.0)}, surface_flux={"top": q})
    R = th.thermal_resistance(st, boundary="top")
    assert R == pytest.approx(2e-3 / (2.0 * 1e-3), rel=1e-10)      # L / (k * width), per metre depth
    assert st.power_source == pytest.approx(q * 1e-3)
    assert th.mean_temperature(st, region="solid") == pytest.approx(300 + q * 1e-3 / 2.0, rel=1e-10)


# --- bad input ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs, field", [
    (dict(bcs={"nope": th.Dirichlet(300.0)}), "boundary"),
    (dict(bcs={"bottom": th.Dirichlet(300.0)}, surface_flux={"nope": 1.0}), "boundary"),
    (dict(bcs={"bottom": th.Robin(-1.0, 300.0)}), "h"),
    (dict(bcs={"bottom": th.Dirichlet(float("nan"))}), ".T"),
    (dict(bcs={"bottom": th.Dirichlet(300.0)}, q_element=np.full(3, 1.0)), "q_element"),
    (dict(bcs={"bottom": th.Dirichlet(300.0)}, q_node=float("nan")), "q_node"),
    (dict(bcs={"bottom": th.Dirichlet(300.0)}, surface_flux={"top": [1.0, 2.0]}), "surface_flux"),
    (dict(bcs={"bottom": th.Dirichlet(300.0)}, solver="magic"), "solver"),
    (dict(bcs={"bottom": "cold"}), "bcs"),
    (dict(bcs={"top": th.Adiabatic()}, q_element=1.0), "bcs"),
])
def test_bad_input_raises_before_solving(kwargs, field):
    tm = _box("planar", 3, 3)
    with pytest.raises(InputError) as err:
        th.solve_steady(tm, **kwargs)
    assert field in str(err.value)


def test_bad_material_and_times():
    tm = _box("planar", 3, 3, mat=Material("neg", "insulator", -1.0, 1000.0, 2000.0))
    with pytest.raises(InputError, match="thermal_conductivity"):
        th.solve_steady(tm, {"bottom": th.Dirichlet(300.0)})
    tm = _box("planar", 3, 3)
    with pytest.raises(InputError, match="times"):
        th.solve_transient(tm, [2.0, 1.0], {"bottom": th.Dirichlet(300.0)}, dt=0.1)
    with pytest.raises(InputError, match="method"):
        th.solve_transient(tm, [1.0], {"bottom": th.Dirichlet(300.0)}, dt=0.1, method="rk4")
    with pytest.raises(InputError, match="dt"):
        th.solve_transient(tm, [1.0], {"bottom": th.Dirichlet(300.0)})
    with pytest.raises(InputError, match="width"):
        th.rectangular_pulses(2.0, 1.0)


def test_no_source_keeps_the_ambient_exactly_steady_and_transient():
    """Both solves work on T - T_ref: thin, conductive films (conductances ~1e5 W/K) times 300 K used to
    leave ~1e-8 K and a phantom sink from the operators' floating-point row sums."""
    from fem_cqd.mesh import MeshOptions, build_mesh
    from fem_cqd.stack import lim2018
    from fem_cqd.thermal import Dirichlet, Robin, solve_steady, solve_transient
    dm = build_mesh(lim2018("axisymmetric"), MeshOptions(edge_cell_um=2.0, max_cell_fraction=0.2, lateral_ratio=2.0))
    bcs = {"heat_sink": Dirichlet(300.0), "top": Robin(10.0, 300.0)}
    st = solve_steady(dm.thermal, bcs)
    assert np.all(st.T == 300.0) and all(abs(v) < 1e-15 for v in st.power_boundary.values())   # W
    hist = solve_transient(dm.thermal, [1e-6, 1e-3], bcs, T_init_K=300.0, dt=1e-4)
    assert np.all(hist.T == 300.0)
