"""The axisymmetric box method on the axis (DESIGN.md item 5).

A device that varies along y only, solved as a wide axisymmetric disc, must give the planar 1D
solution at every node -- on the axis r = 0 too. Weighting each edge by 2 pi r at its midpoint gave
the vertical edges on the axis zero weight: the uniform axial current stayed exact (so the older
tests passed) but the axis column was wrong (p 1 700 x low on the lim2018 disc).
"""
import numpy as np
import pytest

from fem_cqd.electrical import Contact, build_device, solve_bias
from fem_cqd.electrical.eafe import edge_geometry
from fem_cqd.electrical.examples import material, silicon
from fem_cqd.grading import graded_points
from fem_cqd.custom_mesh import tensor_mesh


def _diode(geometry, x):
    W = 2e-6
    half = graded_points(0, W, 5e-9, 1.15, W / 20)
    y = np.unique(np.r_[W - half[::-1], W + half])
    mats = {"p": silicon("p", acceptors_per_cm3=1e17, tau_s=1e-8), "n": silicon("n", donors_per_cm3=1e17, tau_s=1e-8)}
    tm = tensor_mesh(x, y, lambda xc, yc: np.where(yc < W, "p", "n"), mats, geometry=geometry)
    return tm, build_device(tm, [Contact("bottom"), Contact("top")])


def _organic(geometry, x):
    """Hole-only organic film with Gauss-Fermi statistics between two conductors."""
    org = material("org", relative_permittivity=3.0, lumo_eV=2.4, homo_eV=5.3, Nc_per_cm3=1e21, Nv_per_cm3=1e21,
                   mu_n_cm2_per_Vs=1e-8, mu_p_cm2_per_Vs=1e-4, statistics="gauss_fermi", sigma_n_eV=0.1,
                   sigma_p_eV=0.1, pf_gamma_p_sqrt_cm_per_V=3e-3)
    anode = material("an", "conductor", conductivity_S_per_m=1e5, work_function_eV=5.2)
    cath = material("ca", "conductor", conductivity_S_per_m=1e5, work_function_eV=4.0)
    y = np.r_[np.linspace(0, 10e-9, 3), 10e-9 + graded_points(0, 60e-9, 0.05e-9, 1.2, 3e-9)[1:], 70e-9 + np.linspace(0, 10e-9, 3)[1:]]
    tm = tensor_mesh(x, y, lambda xc, yc: np.where(yc < 10e-9, "an", np.where(yc < 70e-9, "org", "ca")),
                     {"an": anode, "org": org, "ca": cath}, geometry=geometry)
    return tm, build_device(tm, [Contact("bottom"), Contact("top")])


@pytest.mark.parametrize("build, V", [(_diode, 0.55), (_organic, 4.0)])
def test_uniform_device_as_a_disc_equals_planar_1d_at_every_node(build, V):
    x = np.r_[0.0, graded_points(0, 50e-6, 0.3e-6, 1.6, 10e-6)[1:]]          # non-uniform columns
    tm_p, dev_p = build("planar", x)
    tm_a, dev_a = build("axisymmetric", x)
    sp = solve_bias(dev_p, {"bottom": V})
    sa = solve_bias(dev_a, {"bottom": V})
    for field in ("n", "p"):
        a, b = getattr(sa, field), getattr(sp, field)
        live = b > 1e-30 * b.max()
        assert np.max(np.abs(a[live] / b[live] - 1)) < 1e-6, field
    axis = np.isclose(tm_a.mesh.p[0], 0.0)
    assert np.all(sa.p[axis & dev_a.node_semi] > 0)
    # current density: terminal current per area, and the element J_y everywhere
    Jp = sp.currents["bottom"] / x[-1]
    Ja = sa.currents["bottom"] / (np.pi * x[-1] ** 2)
    assert abs(Ja / Jp - 1) < 1e-6
    semi = dev_a.semi
    np.testing.assert_allclose(sa.J[semi, 1], sp.J[semi, 1], rtol=1e-6, atol=1e-9 * np.abs(sp.J[semi, 1]).max())


def test_axis_edges_get_the_exact_ring_face():
    """Right triangles on the axis: the face of a vertical edge on r = 0 sweeps the disc pi (dr/2)^2,
    the face of a vertical edge at r sweeps the ring between r -/+ dr/2, i.e. weight x dy."""
    import skfem
    m = skfem.MeshTri.init_tensor(np.array([0.0, 1.0, 3.0]), np.array([0.0, 2.0]))
    g = edge_geometry(m.p, m.t, axisymmetric=True)
    dy = 2.0
    total = {}
    for k in range(3):
        for e in range(m.t.shape[1]):
            a, b = sorted((g.ea[k, e], g.eb[k, e]))
            total[(a, b)] = total.get((a, b), 0.0) + g.weight[k, e]
    p = m.p
    for (a, b), w in total.items():
        if np.isclose(p[0, a], p[0, b]):                               # vertical edge at r
            r = p[0, a]
            lo, hi = (0.0, 0.5) if r == 0 else ((0.5, 2.0) if r == 1 else (2.0, 3.0))
            assert np.isclose(w * dy, np.pi * (hi ** 2 - lo ** 2)), (r, w * dy)
