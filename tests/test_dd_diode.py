"""Silicon pn diode (1D, hand-built tensor mesh): built-in potential, depletion, ideal-diode current,
SRH ideality, current and energy conservation, Jacobian vs finite differences, bad input."""
import numpy as np
import pytest

from fem_cqd.constants import eps0, q, thermal_voltage
from fem_cqd.electrical import Contact, build_device, ramp, solve_bias, solve_equilibrium
from fem_cqd.electrical.examples import material, silicon
from fem_cqd.grading import graded_points
from fem_cqd.custom_mesh import tensor_mesh
from fem_cqd.electrical.system import evaluate
from fem_cqd.errors import InputError

VT = thermal_voltage(300.0)
NI2 = 2.8e25 * 1.04e25 * np.exp(-1.12 / VT)
EPS = 11.7 * eps0


def diode(Na=1e17, Nd=1e17, W=5e-6, tau=None, h_j=2e-9):
    half = graded_points(0, W, h_j, 1.08, W / 40)
    x = np.unique(np.r_[W - half[::-1], W + half])
    mats = {"p": silicon("p", acceptors_per_cm3=Na, tau_s=tau), "n": silicon("n", donors_per_cm3=Nd, tau_s=tau)}
    tm = tensor_mesh(x, [0.0, 1e-7], lambda xc, yc: np.where(xc < W, "p", "n"), mats)
    return tm, build_device(tm, [Contact("left"), Contact("right")])


@pytest.fixture(scope="module")
def ideal():
    tm, dev = diode()
    return tm, dev, solve_equilibrium(dev)


def test_builtin_potential_exact(ideal):
    tm, dev, eq = ideal
    x = tm.mesh.p[0]
    vbi = VT * np.log(1e23 * 1e23 / NI2)
    bulk_p = eq.psi[np.argmin(np.abs(x - 1e-6))]
    bulk_n = eq.psi[np.argmin(np.abs(x - 9e-6))]
    assert abs((bulk_n - bulk_p) - vbi) < 1e-9
    assert abs(eq.currents["left"]) < 1e-20 and np.all(eq.R == 0)


def test_reverse_bias_depletion(ideal):
    tm, dev, eq = ideal
    V = -2.0
    st = solve_bias(dev, {"left": V}, start=eq)
    vbi = VT * np.log(1e46 / NI2)
    Neff = 1e23 * 1e23 / 2e23
    Emax = np.sqrt(2 * q * Neff * (vbi - V - 2 * VT) / EPS)
    Q = EPS * Emax                                    # depletion charge per area, one side
    # discrete: lumped charge of the p side (per area; mesh depth 1e-7 m)
    x = tm.mesh.p[0]
    vol = dev.geom.node_volume()
    rho = q * (st.p - st.n - 1e23)                    # p side: N_A = 1e23
    side = x < 5e-6 - 1e-12
    Qnum = -np.sum(rho[side] * vol[side]) / 1e-7
    g = dev.geom
    field = np.abs(np.einsum("dke,ke->de", g.grad, st.psi[g.t]))[0]
    assert abs(Qnum / Q - 1) < 0.02
    assert abs(field.max() / Emax - 1) < 0.02


def test_ideal_short_base_diode_current(ideal):
    tm, dev, eq = ideal
    states = ramp(dev, "left", [0.3, 0.4, 0.5], start=eq, progress=False)
    vbi = VT * np.log(1e46 / NI2)
    Dn, Dp = 1400e-4 * VT, 450e-4 * VT
    for st in states:
        V = st.voltages["left"]
        xd = np.sqrt(2 * EPS * (vbi - V - 2 * VT) / (q * 1e23) * 0.5)   # each side (symmetric)
        Wq = 5e-6 - xd
        J = q * NI2 * (Dn / (1e23 * Wq) + Dp / (1e23 * Wq)) * np.expm1(V / VT)
        Jnum = st.currents["left"] / 1e-7
        assert abs(Jnum / J - 1) < 0.05, (V, Jnum / J)


def test_srh_ideality_two():
    tm, dev = diode(tau=1e-9)
    eq = solve_equilibrium(dev)
    s1, s2 = ramp(dev, "left", [0.15, 0.25], start=eq, progress=False)
    nid = (0.25 - 0.15) / (VT * np.log(s2.currents["left"] / s1.currents["left"]))
    assert 1.85 < nid <= 2.02


def test_current_and_energy_conservation():
    tm, dev = diode(tau=1e-7)
    st = solve_bias(dev, {"left": 0.6})
    Ia, Ic = st.contact_fluxes["left"], st.contact_fluxes["right"]
    assert abs(Ia + Ic) <= 1e-9 * abs(Ia)
    total = st.heat.sum() + st.emitted_power
    assert abs(total - st.power_in) <= 1e-8 * abs(st.power_in)
    assert st.heat.sum() > 0


def test_bad_input():
    tm, dev = diode()
    with pytest.raises(InputError):
        build_device(tm, [Contact("nowhere")])
    with pytest.raises(InputError):
        build_device(tm, [])
    with pytest.raises(InputError):
        Contact("left", "schottky")                      # no work function
    with pytest.raises(InputError):
        build_device(tm, [Contact("left"), Contact("left")])
    with pytest.raises(InputError):
        solve_bias(dev, {"left": 1e3})                   # outside voltage_range
    dev2 = build_device(tm, [Contact("left", voltage_range=(-1, 1)), Contact("right")])
    with pytest.raises(InputError):
        ramp(dev2, "left", [0.5, 1.5], progress=False)
    with pytest.raises(InputError):
        material("bad", mu_n_cm2_per_Vs=-1.0)
    with pytest.raises(InputError):
        material("bad", band_gap_eV=0.0)
    with pytest.raises(InputError):
        material("bad", Nc_per_cm3=-1e19)
    import dataclasses
    bad = dataclasses.replace(silicon("n"), mu_n=-1e-4)
    tmb = tensor_mesh([0, 1e-6], [0, 1e-7], lambda x, y: "n", {"n": bad})
    with pytest.raises(InputError):
        build_device(tmb, [Contact("left"), Contact("right")])
    # a contact on an insulator
    ins = material("ox", "insulator", relative_permittivity=3.9)
    tmi = tensor_mesh([0, 1e-6, 2e-6], [0, 1e-7], lambda x, y: np.where(x < 1e-6, "ox", "n"),
                      {"ox": ins, "n": silicon("n", donors_per_cm3=1e17)})
    with pytest.raises(InputError):
        build_device(tmi, [Contact("left"), Contact("right")])


def _feature_device():
    """2D: conductor / semiconductor A (PF, all recombination) / spacer / semiconductor B, Schottky top."""
    A = material("A", relative_permittivity=4.0, electron_affinity_eV=3.0, band_gap_eV=1.2,
                 Nc_per_cm3=1e19, Nv_per_cm3=2e19, mu_n_cm2_per_Vs=1e-3, mu_p_cm2_per_Vs=2e-3,
                 pf_gamma_n_sqrt_cm_per_V=3e-3, pf_gamma_p_sqrt_cm_per_V=2e-3, langevin_factor=0.5,
                 radiative_coefficient_cm3_per_s=1e-11, srh_tau_n_s=1e-8, srh_tau_p_s=2e-8,
                 auger_n_cm6_per_s=1e-29, auger_p_cm6_per_s=2e-29, donors_per_cm3=1e16)
    B = material("B", relative_permittivity=6.0, electron_affinity_eV=3.3, band_gap_eV=1.0,
                 Nc_per_cm3=3e19, Nv_per_cm3=1e19, mu_n_cm2_per_Vs=1e-2, mu_p_cm2_per_Vs=1e-3,
                 acceptors_per_cm3=1e17, srh_tau_n_s=1e-9, srh_tau_p_s=1e-9)
    M = material("M", "conductor", conductivity_S_per_m=1e4, work_function_eV=4.0)
    S = material("S", "insulator", relative_permittivity=3.0)
    y = np.linspace(0, 40e-9, 9)
    x = np.linspace(0, 60e-9, 7)

    def reg(xc, yc):
        out = np.where(yc < 10e-9, "M", np.where(yc < 25e-9, "A", "B"))
        return np.where((yc > 20e-9) & (yc < 25e-9) & (xc > 30e-9), "S", out)
    tm = tensor_mesh(x, y, reg, {"M": M, "A": A, "S": S, "B": B}, geometry="axisymmetric")
    return tm, build_device(tm, [Contact("bottom"), Contact("top", "schottky", work_function=4.1, v_n_m_per_s=1e3, v_p_m_per_s=1e4)])


def test_jacobian_matches_finite_differences():
    tm, dev = _feature_device()
    eq = solve_equilibrium(dev)
    rng = np.random.default_rng(0)
    z = eq.x + 0.05 * rng.standard_normal(eq.x.size)
    for driven in ((), ("bottom",)):
        zz = np.r_[z, 0.3] if driven else z
        volts = {"bottom": 0.3, "top": 0.0}
        targets = (1e-9,) if driven else ()
        F, J, _ = evaluate(dev, zz, volts, driven, targets)
        for _k in range(3):
            v = rng.standard_normal(zz.size)
            h = 1e-6
            Fp = evaluate(dev, zz + h * v, volts, driven, targets, jacobian=False)[0]
            Fm = evaluate(dev, zz - h * v, volts, driven, targets, jacobian=False)[0]
            fd = (Fp - Fm) / (2 * h)
            Jv = J @ v
            scale = np.abs(J).max(axis=1).toarray().ravel() * np.abs(v).max() + 1e-300
            assert np.max(np.abs(Jv - fd) / scale) < 1e-6


def test_jacobian_layout_is_state_independent_and_exact():
    """The device's CSR layout (system.JacobianLayout, built once in build_device) reproduces
    P (A_int + A_bnd) + G summed the plain way, at two unrelated states and two temperatures: the
    entries' rows and columns do not depend on x or T."""
    from fem_cqd.electrical.driftdiffusion import assemble
    tm, dev = _feature_device()
    eq = solve_equilibrium(dev)
    rng = np.random.default_rng(1)
    layout = dev.constraints.layout
    cons = dev.constraints
    for z, d in ((eq.x, dev), (eq.x + 0.2 * rng.standard_normal(eq.x.size), dev.at_temperature(350.0))):
        assert d.constraints.layout is layout
        _, _, Ti, Tb, _ = assemble(d, z)
        ri, ci, _ = Ti.arrays()
        rb, cb, _ = Tb.arrays()
        assert np.array_equal(layout.rows, np.r_[ri, rb]) and np.array_equal(layout.cols, np.r_[ci, cb])
        n = 3 * d.n_nodes
        ref = (cons.P @ (Ti.matrix(n) + Tb.matrix(n)) + cons.G).toarray()
        got = evaluate(d, z, {"bottom": 0.0, "top": 0.0})[1].toarray()
        assert np.max(np.abs(got - ref)) <= 1e-13 * np.max(np.abs(ref))


@pytest.mark.parametrize("which", ["conductor, Schottky and insulator", "organic: every feature"])
def test_poisson_only_evaluation_is_the_full_one_on_psi(which):
    """The equilibrium's Poisson stage assembles Poisson's rows alone (own layout): at an arbitrary
    state its psi rows of F and psi-psi block of J equal the full evaluation's, to round-off (both
    devices; the organic one has heterointerface copies, image-force rows, Gauss-Fermi statistics)."""
    import _organic_bvp as ob
    tm, dev = _feature_device() if which.startswith("conductor") else ob.feature_device()
    eq = solve_equilibrium(dev)
    z = eq.x + 0.05 * np.random.default_rng(2).standard_normal(eq.x.size)
    volts = {c.boundary: 0.3 * k for k, c in enumerate(dev.contacts)}
    F, J, _ = evaluate(dev, z, volts)
    Fp, Jp, _ = evaluate(dev, z, volts, poisson_only=True)
    psi = np.arange(0, z.size, 3)
    assert np.max(np.abs(Fp[psi] - F[psi])) <= 1e-13 * np.max(np.abs(F[psi]))
    full, only = J[psi][:, psi].toarray(), Jp[psi][:, psi].toarray()
    assert np.max(np.abs(only - full)) <= 1e-13 * np.max(np.abs(full))
    assert Jp.nnz < J.nnz / 2                        # the continuity rows' entries are not there


def test_feature_device_conservation_and_current_drive():
    tm, dev = _feature_device()
    st = solve_bias(dev, {"bottom": 1.5})
    I = st.currents["bottom"]
    # Floor: the conductor's potential is resolved to ~eps |phi|; times the conductance of one
    # node's edges (sigma = 1e4 S/m) that is ~1e-18 A of spurious current per conductor node
    # (measured: the largest residual of the converged state is a conductor node's, 8e-19 A).
    g = dev.geom
    cond = dev.cond
    G_node = np.bincount(g.ea[:, cond].ravel(), (g.weight[:, cond] * dev.sigma[cond]).ravel(), minlength=dev.n_nodes)
    floor = 10 * np.finfo(float).eps * 1.5 * G_node.max()
    assert I > 0 and abs(st.contact_fluxes["bottom"] + st.contact_fluxes["top"]) <= 1e-9 * abs(I) + floor
    assert abs(st.heat.sum() + st.emitted_power - st.power_in) <= 1e-8 * abs(st.power_in)
    assert np.all(np.abs(st.R_rad) <= np.abs(st.R) * (1 + 1e-12) + 1e-30)   # a share of R
    # current-driven: prescribing the current found above gives back the voltage
    st2 = solve_bias(dev, currents={"bottom": I}, start=solve_bias(dev, {"bottom": 1.2}))
    assert abs(st2.voltages["bottom"] - 1.5) < 1e-6
    assert np.all(np.isfinite(st2.psi))


def test_save_vtu(tmp_path, ideal):
    import meshio
    tm, dev, eq = ideal
    path = eq.save_vtu(tmp_path / "eq.vtu")
    m = meshio.read(path)
    assert "psi_V" in m.point_data and "region" in m.cell_data and m.points.shape[0] == tm.mesh.p.shape[1]
