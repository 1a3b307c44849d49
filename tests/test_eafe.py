"""EAFE / Scharfetter-Gummel flux: nodally exact for a constant field (DESIGN.md item 3).

With psi = E.x linear, n = alpha + beta exp(psi/V_T) carries the constant current density
J_n = q mu (V_T grad n - n grad psi) = -q mu alpha grad psi (holes: p = alpha + beta exp(-psi/V_T)).
Every discrete edge current must equal w_ab J.(x_b - x_a), and the discrete divergence at every
interior node must vanish, to round-off -- on a graded tensor mesh, a jiggled unstructured mesh and
in axisymmetric coordinates (field along the axis).
"""
import numpy as np
import pytest
import skfem

from fem_cqd.constants import q
from fem_cqd.electrical.eafe import edge_geometry, electron_current, hole_current, sg_coefficient

VT = 0.025852
MU = 1e-4
NC = 1e25


def _tensor():
    x = np.cumsum(np.r_[0, np.linspace(1, 3, 12)]) * 1e-8
    y = np.cumsum(np.r_[0, np.linspace(2, 1, 15)]) * 1e-8
    return skfem.MeshTri.init_tensor(x, y)


def _jiggled():
    m = skfem.MeshTri.init_sqsymmetric().refined(4).scaled([2e-7, 1e-7])
    rng = np.random.default_rng(3)
    p = m.p.copy()
    inner = (p[0] > 1e-12) & (p[0] < 2e-7 - 1e-12) & (p[1] > 1e-12) & (p[1] < 1e-7 - 1e-12)
    h = 1e-7 / 16
    p[:, inner] += 0.2 * h * rng.uniform(-1, 1, (2, inner.sum()))
    return skfem.MeshTri(p, m.t)


def test_tensor_mesh_is_m_matrix():
    w = edge_geometry(_tensor().p, _tensor().t).weight
    assert w.min() >= -1e-12 * w.max()      # right triangles: hypotenuse weight 0, others > 0


def _check(mesh, axisym, field, carrier):
    g = edge_geometry(mesh.p, mesh.t, axisymmetric=axisym)
    # (exactness holds on any triangulation, also with obtuse angles / negative weights)
    psi = mesh.p[0] * field[0] + mesh.p[1] * field[1]
    psi -= 0.5 * (psi.max() + psi.min())
    # drift and diffusion comparable somewhere; beyond that the data (phi from a log) would carry
    # round-off amplified by exp(|psi|/V_T), which is conditioning of the test, not of the scheme
    alpha = 3e21
    beta = alpha * np.exp(-np.abs(psi).max() / VT)
    if carrier == "n":
        dens = alpha + beta * np.exp(psi / VT)
        phi = psi - VT * np.log(dens / NC)              # n = Nc exp((psi - phi)/VT), chi = 0
        fun = electron_current
    else:
        dens = alpha + beta * np.exp(-psi / VT)
        phi = psi + VT * np.log(dens / NC)              # p = Nv exp((phi - psi)/VT), Eg = chi = 0
        fun = hole_current
    a, b = g.ea, g.eb
    c = sg_coefficient(g.weight, MU, VT)
    current = fun(c, np.log(dens[a]), (psi[b] - psi[a]) / VT, (phi[a] - phi[b]) / VT)[0]
    J = -q * MU * alpha * np.asarray(field)               # exact current density
    expected = g.weight * (J[0] * (mesh.p[0][b] - mesh.p[0][a]) + J[1] * (mesh.p[1][b] - mesh.p[1][a]))
    scale = np.abs(expected).max()
    assert np.abs(current - expected).max() <= 1e-12 * scale, np.abs(current - expected).max() / scale
    div = np.bincount(a.ravel(), current.ravel(), minlength=mesh.p.shape[1]) \
        - np.bincount(b.ravel(), current.ravel(), minlength=mesh.p.shape[1])
    interior = np.setdiff1d(np.arange(mesh.p.shape[1]), mesh.boundary_nodes())
    assert np.abs(div[interior]).max() <= 1e-12 * scale
    # the flux is not trivial: drift dominates diffusion on some edges
    assert np.abs((psi[b] - psi[a]) / VT).max() > 2


@pytest.mark.parametrize("carrier", ["n", "p"])
@pytest.mark.parametrize("field", [(3e6, 0.0), (0.0, -4e6), (2e6, 2.5e6)])
def test_constant_field_tensor(field, carrier):
    _check(_tensor(), False, field, carrier)


@pytest.mark.parametrize("carrier", ["n", "p"])
@pytest.mark.parametrize("field", [(8e6, 0.0), (-5e6, 6e6)])
def test_constant_field_jiggled_unstructured(field, carrier):
    _check(_jiggled(), False, field, carrier)


@pytest.mark.parametrize("carrier", ["n", "p"])
def test_constant_field_axisymmetric(carrier):
    # axial field; radial edges carry no current, axial edges keep r constant
    _check(_tensor(), True, (0.0, 5e6), carrier)


def test_edge_derivatives_match_finite_differences():
    """Partial derivatives of the flux with respect to L_a, D and the quasi-Fermi drop, against
    central differences."""
    rng = np.random.default_rng(0)
    for fun in (electron_current, hole_current):
        args = [np.log(NC) + rng.uniform(-8, 8, 50), rng.uniform(-20, 20, 50), rng.uniform(-3, 3, 50)]
        out = fun(2.0, *args)
        for k in range(3):
            hstep = 1e-6
            up = list(args); up[k] = args[k] + hstep
            dn = list(args); dn[k] = args[k] - hstep
            fd = (fun(2.0, *up)[0] - fun(2.0, *dn)[0]) / (2 * hstep)
            np.testing.assert_allclose(out[1 + k], fd, rtol=1e-6, atol=1e-9 * np.abs(fd).max())


def test_flux_is_scharfetter_gummel_and_vanishes_in_equilibrium():
    """c [n_b B(D) - n_a B(-D)] with n_b = n_a exp(D + s) (any statistics: D carries gamma_a -
    gamma_b); exactly zero at s = 0 for any D."""
    from fem_cqd.electrical.bernoulli import bernoulli
    rng = np.random.default_rng(2)
    La, D, s = np.log(NC) + rng.uniform(-5, 5, 40), rng.uniform(-30, 30, 40), rng.uniform(-2, 2, 40)
    n_a = np.exp(La)
    n_b = n_a * np.exp(D + s)
    np.testing.assert_allclose(electron_current(1.0, La, D, s)[0], n_b * bernoulli(D) - n_a * bernoulli(-D),
                               rtol=1e-9, atol=1e-12 * NC)
    p_b = n_a * np.exp(-D - s)
    np.testing.assert_allclose(hole_current(1.0, La, D, s)[0], n_a * bernoulli(D) - p_b * bernoulli(-D),
                               rtol=1e-9, atol=1e-12 * NC)
    assert np.all(electron_current(1.0, La, D, 0.0 * s)[0] == 0) and np.all(hole_current(1.0, La, D, 0.0 * s)[0] == 0)


def test_voronoi_box_volumes_tile_the_domain_and_split_right_triangles_half_quarter_quarter():
    import skfem
    from fem_cqd.electrical.eafe import edge_geometry
    m = skfem.MeshTri.init_tensor(np.linspace(0, 1, 5) ** 2, np.linspace(0, 2, 4))
    g = edge_geometry(m.p, m.t)
    assert np.isclose(g.vol.sum(), 2.0, rtol=1e-14)
    assert np.allclose(np.sort(g.vol / g.area, axis=0), [[0.25], [0.25], [0.5]])
    ga = edge_geometry(m.p, m.t, axisymmetric=True)
    assert np.isclose(ga.vol.sum(), np.pi * 1.0 ** 2 * 2.0, rtol=1e-14)       # int 2 pi r over the box
    rng = np.random.default_rng(1)
    fine = skfem.MeshTri().refined(3)
    p = fine.p.copy()
    inner = (p[0] > 0) & (p[0] < 1) & (p[1] > 0) & (p[1] < 1)
    p[:, inner] += 0.02 * rng.standard_normal((2, inner.sum()))
    assert np.isclose(edge_geometry(p, fine.t, axisymmetric=True).vol.sum(), np.pi, rtol=1e-13)


@pytest.mark.parametrize("axisym, field", [(False, (-5e6, 6e6)), (True, (0.0, 5e6))])
@pytest.mark.parametrize("carrier", ["n", "p"])
def test_constant_field_on_unstructured_gmsh_triangles(axisym, field, carrier):
    from fem_cqd.custom_mesh import gmsh_rectangle
    from fem_cqd.electrical.examples import silicon
    tm = gmsh_rectangle((0, 2e-7), (0, 1e-7), "Si", {"Si": silicon("n", donors_per_cm3=1e16)}, 4e-9, 1.5e-8,
                        fine_at=[(1e-7, 0.0)], geometry="axisymmetric" if axisym else "planar")
    assert tm.mesh.p.shape[1] > 100
    _check(tm.mesh, axisym, field, carrier)
