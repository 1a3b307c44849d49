"""Organic transport physics against independent references (DESIGN.md rung 13, issue 8 "Verification";
small versions of the device rows of benchmarks/organic_analytic.py).

- a hole-only Gauss-Fermi device vs scipy's solve_bvp of the same continuum equations, with its own
  Gauss-Fermi integrals (benchmarks/_organic_bvp.py), constant and Poole-Frenkel mobility;
- zero current in equilibrium (devices with Gauss-Fermi and Fermi-Dirac heterointerfaces, and the
  flux on random potentials with random excess chemical potentials);
- the Boltzmann reduction of the excess-chemical-potential flux, in a device;
- the equilibrium density ratio at a Gauss-Fermi heterointerface vs direct integration;
- EGDM mobility vs the Pasveer et al. formula written out here;
- image-force lowering vs Delta phi = sqrt(q F / (4 pi eps));
- the analytic Jacobian vs finite differences, and conservation, on a device with all of it;
- bad input; the "onset" energy reference.
"""
import dataclasses
import math

import numpy as np
import pytest

from fem_cqd.constants import k_B, q
from fem_cqd.electrical import Contact, build_device, ramp, solve_bias, solve_equilibrium
from fem_cqd.electrical import mobility as mob
from fem_cqd.electrical.driftdiffusion import IA, IB, assemble
from fem_cqd.electrical.eafe import electron_current, hole_current
from fem_cqd.electrical.examples import material
from fem_cqd.custom_mesh import tensor_mesh
from fem_cqd.electrical.system import evaluate, terminal_currents
from fem_cqd.errors import InputError

import _organic_bvp as ob

VT300 = k_B * 300.0 / q
BIASES = (1.0, 2.0, 4.0)
PROBES = np.array([2, 10, 30, 50, 70, 90, 98]) * 1e-9          # y positions of the profile checks


def _column(tm, state, field):
    """(y, values) of a nodal field on the x = 0 column inside the organic layer, sorted by y."""
    p = tm.mesh.p
    sel = np.flatnonzero((p[0] == 0.0) & (p[1] > 0) & (p[1] < 100e-9))
    sel = sel[np.argsort(p[1, sel])]
    return p[1, sel], getattr(state, field)[sel]


# --- 1. hole-only Gauss-Fermi device vs solve_bvp -------------------------------------------------
@pytest.fixture(scope="module")
def hole_only():
    ref = ob.HoleOnlyDevice()                                   # W_a 5.2, W_c 4.8, HOMO 5.3, sigma 0.1 eV
    bvp = ref.sweep(BIASES, step=1.0, tol=1e-6)
    fem = {}
    for hmax in (1e-9, 0.5e-9):
        tm, dev, width = ob.fem_hole_only(ref, hmax=hmax)
        fem[hmax] = (tm, width, ramp(dev, "bottom", BIASES, progress=False))
    return ref, bvp, fem


def test_hole_only_bvp_reference_is_self_consistent(hole_only):
    """The BVP's equilibrium integrates z' = -g u' from the anode; arriving at the cathode's own
    boundary density checks the g table (its own quad Gauss-Fermi integrals)."""
    ref, bvp, _ = hole_only
    assert abs(ref.equilibrium(tol=1e-6)["z_end_error"]) < 1e-6
    assert all(bvp[V]["J"] > 0 for V in BIASES)


def test_hole_only_current_vs_solve_bvp_and_mesh_convergence(hole_only):
    ref, bvp, fem = hole_only
    err = {h: np.array([states[k].currents["bottom"] / w / bvp[V]["J"] - 1 for k, V in enumerate(BIASES)])
           for h, (tm, w, states) in fem.items()}
    fine, coarse = np.abs(err[0.5e-9]), np.abs(err[1e-9])
    assert np.all(fine <= 1e-2), fine                           # measured 2.6e-4 .. 8.4e-4
    assert np.all(fine <= coarse / 2), (fine, coarse)           # halving h_max: error / ~3


def test_hole_only_profiles_vs_solve_bvp(hole_only):
    ref, bvp, fem = hole_only
    tm, w, states = fem[0.5e-9]
    for k, V in enumerate(BIASES):
        y, p = _column(tm, states[k], "p")
        _, psi = _column(tm, states[k], "psi")
        _, phip = _column(tm, states[k], "phi_p")
        idx = [int(np.argmin(np.abs(y - yy))) for yy in PROBES]
        psi_b, p_b, phip_b = ref.profiles(bvp[V], y[idx])
        assert np.max(np.abs(p[idx] / p_b - 1)) < 1e-2, (V, p[idx] / p_b - 1)          # measured <= 1.6e-3
        assert np.max(np.abs(psi[idx] - psi_b)) < 1e-3, (V, psi[idx] - psi_b)          # V; measured <= 2.3e-4
        assert np.max(np.abs(phip[idx] - phip_b)) < 1e-3, (V, phip[idx] - phip_b)


def test_hole_only_poole_frenkel_vs_solve_bvp(hole_only):
    """gamma = 3e-3 sqrt(cm/V). The BVP regularises the field as sqrt(F^2 + F_0^2) with F_0 = 1000 V/m
    (fem_cqd: 1 V/m) so that solve_bvp can pass the virtual anode, where F changes sign and mu has a
    sqrt(|F|) cusp; F_0 = 100 vs 1000 V/m moves J by <= 5e-7 (benchmark)."""
    ref = ob.HoleOnlyDevice(gamma=3e-4, F0=1000.0)
    bvp = ref.sweep((1.0, 4.0), step=0.5, tol=1e-6)
    tm, dev, w = ob.fem_hole_only(ref, hmax=0.5e-9)
    states = ramp(dev, "bottom", (1.0, 4.0), progress=False)
    for st, V in zip(states, (1.0, 4.0)):
        assert abs(st.currents["bottom"] / w / bvp[V]["J"] - 1) <= 1e-2     # measured 5e-4, 1.9e-3
    # the field dependence matters here: the PF current is 2.2x / 4.9x the constant-mobility one
    assert bvp[4.0]["J"] > 4 * hole_only[1][4.0]["J"]


# --- 2. zero current in equilibrium -----------------------------------------------------------------
@pytest.fixture(scope="module")
def hetero():
    tm, dev = ob.hetero_device()
    return tm, dev, solve_equilibrium(dev)


def _one_way(dev, fl):
    """|c p_a B(D_p)| and |c n_a B(-D_n)| per edge: the one-way fluxes the currents are the difference of."""
    from fem_cqd.electrical.bernoulli import bernoulli
    S = dev.semi
    c = dev.geom.weight[:, S] * q * dev.VT[S]
    return np.abs(c * fl.mu_p * fl.p[IA] * bernoulli(fl.Dp)), np.abs(c * fl.mu_n * fl.n[IA] * bernoulli(-fl.Dn))


def test_equilibrium_currents_vanish_with_gauss_fermi_and_fermi_dirac_heterointerfaces(hetero):
    tm, dev, eq = hetero
    live = dev.node_semi
    # round-off: the quasi-Fermi potentials within a few ulps of psi (~5 V), so every current within
    # ~1e-14 of the one-way fluxes it is the difference of (measured: 1.5e-29 V, 5e-28)
    assert np.max(np.abs(eq.phi_n[live])) < 1e-14 and np.max(np.abs(eq.phi_p[live])) < 1e-14
    _, _, _, _, fl = assemble(dev, eq.x, jacobian=False)
    op, on = _one_way(dev, fl)
    assert np.max(np.abs(fl.Ip) / np.maximum(op, 1e-300)) < 1e-12
    assert np.max(np.abs(fl.In) / np.maximum(on, 1e-300)) < 1e-12
    scale = max(op.max(), on.max())
    assert all(abs(I) < 1e-12 * scale for I in eq.currents.values())
    # quasi-Fermi potentials exactly 0: every edge and terminal current is exactly 0, for the solved
    # potential and for a random one (heterointerfaces, degenerate oxide and all)
    rng = np.random.default_rng(3)
    for psi in (eq.psi, eq.psi + rng.uniform(-1.0, 1.0, eq.psi.size)):
        x = np.zeros_like(eq.x)
        x[0::3] = psi
        _, _, _, _, fl0 = assemble(dev, x, jacobian=False)
        assert np.all(fl0.In == 0) and np.all(fl0.Ip == 0) and np.all(fl0.Ic == 0)
        assert all(I == 0 for I in terminal_currents(dev, fl0).values())


def test_flux_vanishes_exactly_for_any_potential_and_excess_chemical_potential():
    """I(s = 0) = I(t = 0) = 0 bit for bit, whatever the drift argument D = dpsi/V_T +- (gamma_a - gamma_b)
    (random potentials and random excess chemical potentials, Gauss-Fermi-sized: gamma up to s^2/2 = 32)."""
    rng = np.random.default_rng(7)
    n = 10_000
    dpsi = rng.uniform(-2.0, 2.0, n) / VT300
    ga, gb = rng.uniform(-32, 0, n), rng.uniform(-32, 0, n)
    La = np.log(1e27) + rng.uniform(-60, 0, n)
    c = rng.uniform(1e-30, 1e-20, n)
    zero = np.zeros(n)
    for flux, kappa in ((electron_current, 1.0), (hole_current, -1.0)):
        out = flux(c, La, dpsi + kappa * (ga - gb), zero)
        assert np.all(out[0] == 0.0)
        assert np.all(np.isfinite(out[3])) and np.all(out[3] > 0)    # the conductance is not zero


# --- 3. Boltzmann reduction ------------------------------------------------------------------------
def _bernoulli_own(x):
    x = np.asarray(x, dtype=float)
    small = np.abs(x) < 1e-8
    xs = np.where(small, 1.0, x)
    return np.where(small, 1.0 - x / 2, xs / np.expm1(xs))


def test_boltzmann_device_flux_is_classic_scharfetter_gummel():
    """Boltzmann statistics: gamma = 0 bit for bit, so the drift argument is dpsi/V_T exactly and each
    edge current is c [p_a B(D) - p_b B(-D)] with densities N exp(eta) (own Bernoulli, own densities)."""
    ref = ob.HoleOnlyDevice(W_a=5.0)
    tm, dev, w = ob.fem_hole_only(ref, hmax=2e-9, statistics="boltzmann")
    eq = solve_equilibrium(dev)
    rng = np.random.default_rng(11)
    x = eq.x.copy()
    x[0::3] += rng.uniform(-0.2, 0.2, eq.x.size // 3)
    x[1::3] += rng.uniform(-0.1, 0.1, eq.x.size // 3)
    x[2::3] += rng.uniform(-0.1, 0.1, eq.x.size // 3)
    _, _, _, _, fl = assemble(dev, x, jacobian=False)
    S, g = dev.semi, dev.geom
    a, b = g.ea[:, S], g.eb[:, S]
    psi, phin, phip = x[0::3], x[1::3], x[2::3]
    VT = dev.VT[S]
    assert np.array_equal(fl.Dp, (psi[b] - psi[a]) / VT) and np.array_equal(fl.Dn, (psi[b] - psi[a]) / VT)
    E_H, chi = 5.3, 2.0
    p = lambda k: ref.N0 * np.exp((phip[k] - psi[k] - E_H) / VT)          # noqa: E731
    n = lambda k: ref.N0 * np.exp((psi[k] + chi - phin[k]) / VT)          # noqa: E731
    D = (psi[b] - psi[a]) / VT
    c = g.weight[:, S] * q * VT
    Ip = c * fl.mu_p * (p(a) * _bernoulli_own(D) - p(b) * _bernoulli_own(-D))
    In = c * fl.mu_n * (n(b) * _bernoulli_own(D) - n(a) * _bernoulli_own(-D))
    scale_p = c * fl.mu_p * (p(a) * _bernoulli_own(D) + p(b) * _bernoulli_own(-D))
    scale_n = c * fl.mu_n * (n(b) * _bernoulli_own(D) + n(a) * _bernoulli_own(-D))
    assert np.all(np.abs(fl.Ip - Ip) <= 1e-12 * np.abs(scale_p))     # zero-weight edges (hypotenuses): both 0
    assert np.all(np.abs(fl.In - In) <= 1e-12 * np.abs(scale_n))


def test_nondegenerate_gauss_fermi_device_equals_boltzmann_with_effective_density():
    """eta << -s^2: ln G = s^2/2 + eta (next term e^(eta + 3 s^2/2) relative, here < 1e-12): a
    Gauss-Fermi device with injection barriers of 0.9 eV is the Boltzmann device with
    N_eff = N0 exp(s^2/2), and its excess chemical potential (-s^2/2, constant) drops out of the flux."""
    ref = ob.HoleOnlyDevice(W_a=4.4, W_c=4.4, sigma=0.05)
    s = ref.sigma / VT300
    out = {}
    for stats in ("gauss_fermi", "boltzmann"):
        r = ref if stats == "gauss_fermi" else ob.HoleOnlyDevice(W_a=4.4, W_c=4.4, sigma=0.05,
                                                                  N0=ref.N0 * math.exp(s * s / 2))
        tm, dev, w = ob.fem_hole_only(r, hmax=2e-9, statistics=stats)
        if stats == "boltzmann":       # electrons: the same effective density (sigma_n = sigma_p)
            assert np.allclose(dev.Nc[dev.semi], ref.N0 * math.exp(s * s / 2), rtol=1e-14, atol=0)
        out[stats] = solve_bias(dev, {"bottom": 1.5})
    a, b = out["gauss_fermi"], out["boltzmann"]
    assert abs(a.currents["bottom"] / b.currents["bottom"] - 1) < 1e-9
    live = b.p > 0
    assert np.max(np.abs(a.p[live] / b.p[live] - 1)) < 1e-9
    assert np.max(np.abs(a.psi - b.psi)) < 1e-9


# --- 4. heterointerface density ratio ---------------------------------------------------------------
def test_heterointerface_equilibrium_densities_vs_direct_integration(hetero):
    """At every node shared by A and B (Gauss-Fermi, sigma_p 0.08 / 0.12 eV, HOMO 5.3 / 5.6 eV) and by
    B and C (Fermi-Dirac): each side's density from the solved equilibrium vs quad of its DOS at the
    node's psi and phi_p (E_v = -E_H - psi, E_F = -phi_p)."""
    tm, dev, eq = hetero
    _, _, _, _, fl = assemble(dev, eq.x, jacobian=False)
    S = dev.semi
    t = dev.geom.t[:, S]
    region = np.array(tm.region_names)[tm.element_region[S]]
    kT = VT300
    levels = {"A": (5.3, 0.08), "B": (5.6, 0.12)}
    ratios = []
    for node in np.unique(t[:, region == "A"]):
        k_b = np.argwhere((t == node) & (region == "B")[None, :])
        if not k_b.size:
            continue
        k_a = np.argwhere((t == node) & (region == "A")[None, :])[0]
        pa, pb = fl.p[k_a[0], k_a[1]], fl.p[k_b[0][0], k_b[0][1]]
        psi, phip = eq.psi[node], eq.phi_p[node]
        ra = math.exp(ob.hole_density_energy(-phip, -levels["A"][0] - psi, levels["A"][1], kT, 1e27))
        rb = math.exp(ob.hole_density_energy(-phip, -levels["B"][0] - psi, levels["B"][1], kT, 1e27))
        assert abs(pa / ra - 1) <= 1e-9 and abs(pb / rb - 1) <= 1e-9
        ratios.append((pb / pa, rb / ra))
    assert len(ratios) >= 8                                    # interfaces along x and along y
    got, want = np.array(ratios).T
    assert np.max(np.abs(got / want - 1)) <= 1e-9
    assert np.ptp(np.log(want)) > 0.5            # varies node to node (0.74 in ln): in the Boltzmann limit it would not
    eta = lambda node, E_H: (eq.phi_p[node] - eq.psi[node] - E_H) / kT      # noqa: E731
    nodes = [nd for nd in np.unique(t[:, region == "A"]) if np.any((t == nd) & (region == "B")[None, :])]
    assert all(eta(nd, 5.3) > -(0.08 / kT) ** 2 and eta(nd, 5.6) > -(0.12 / kT) ** 2 for nd in nodes)  # degenerate
    # B/C: the degenerate oxide's electrons, F_1/2 by own quad
    for node in np.unique(t[:, region == "C"]):
        k_b = np.argwhere((t == node) & (region == "B")[None, :])
        if not k_b.size:
            continue
        k_c = np.argwhere((t == node) & (region == "C")[None, :])[0]
        eta = (eq.psi[node] + 3.9 - eq.phi_n[node]) / kT
        assert abs(fl.n[k_c[0], k_c[1]] / (2e24 * math.exp(ob.fermi_dirac_half_quad(eta))) - 1) <= 1e-9


# --- 5. EGDM ---------------------------------------------------------------------------------------
C1, C2 = 1.8e-9, 0.42


def _pasveer(mu_star, sigma, T, ca3, F, a):
    """Pasveer et al., PRL 94, 206601 (2005), Eqs. as published."""
    s = sigma / (k_B * T / q)
    mu0 = mu_star * C1 * np.exp(-C2 * s ** 2)
    delta = 2 * (np.log(s ** 2 - s) - np.log(np.log(4))) / s ** 2
    g1 = np.exp((s ** 2 - s) / 2 * (2 * ca3) ** delta)
    g2 = np.exp(0.44 * (s ** 1.5 - 2.2) * (np.sqrt(1 + 0.8 * (F * a / sigma) ** 2) - 1))
    return mu0 * g1 * g2


def _fem_egdm(mu_star, sigma, T, ca3, F, a):
    """fem_cqd's EGDM: mu_300 (low density, zero field, 300 K) -> mu_0(T) -> edge mobility."""
    s300 = sigma / VT300
    mu_300 = mu_star * C1 * math.exp(-C2 * s300 ** 2)
    T, ca3, F = np.broadcast_arrays(np.asarray(T, float), np.asarray(ca3, float), np.asarray(F, float))
    mu0 = mob.egdm_prefactor(mu_300, 0.0, sigma, T)
    inp = mob.Inputs(mu0=mu0, gamma=0 * mu0, F=F, L_edge=np.broadcast_to(np.log(ca3 / a ** 3), (3,) + ca3.shape),
                     s_hat=sigma / (k_B * T / q), a=np.full(T.shape, a), sigma=np.full(T.shape, sigma))
    return mob.egdm(inp)


def test_egdm_vs_published_formula():
    sigma, a, mu_star = 0.1, 1e-9, 3e-2
    T = sigma * q / k_B / np.array([3.0, 3.7, 4.5, 5.2, 6.0])          # sigma/kT = 3 .. 6 (387 .. 193 K)
    ca3 = np.array([1e-9, 1e-6, 1e-4, 1e-3, 1e-2, 0.05, 0.1])
    Fhat = np.array([0.0, 0.1, 0.5, 1.0, 1.5, 2.0])
    TT, CC, FF = np.meshgrid(T, ca3, Fhat * sigma / a, indexing="ij")
    mu, dmu_dF, dmu_dlnc = _fem_egdm(mu_star, sigma, TT, CC, FF, a)
    want = _pasveer(mu_star, sigma, TT, CC, FF, a)
    assert np.max(np.abs(mu / want - 1)) < 1e-12
    # and the derivatives the Jacobian uses, vs central differences of the formula
    h = 1e-6
    dF = (_pasveer(mu_star, sigma, TT, CC, FF * (1 + h), a) - _pasveer(mu_star, sigma, TT, CC, FF * (1 - h), a)) \
        / (2 * h * np.maximum(FF, 1e-300))
    dc = (_pasveer(mu_star, sigma, TT, CC * math.exp(h), FF, a) - _pasveer(mu_star, sigma, TT, CC * math.exp(-h), FF, a)) / (2 * h)
    inner_F = (FF > 0) & (FF < 2 * sigma / a)
    inner_c = CC < 0.1
    assert np.allclose(dmu_dF[0][inner_F], dF[inner_F], rtol=1e-7, atol=0)
    assert np.allclose(dmu_dlnc[0][inner_c], dc[inner_c], rtol=1e-7, atol=1e-12 * want.max())


def test_egdm_held_beyond_its_range_and_temperature_law():
    sigma, a, mu_star = 0.1, 1e-9, 3e-2
    T = sigma * q / k_B / 4.0
    at_edge, _, _ = _fem_egdm(mu_star, sigma, T, 0.1, 2 * sigma / a, a)
    for ca3, Fh in ((0.3, 2.0), (0.1, 3.5), (0.9, 10.0)):
        mu, dF, dc = _fem_egdm(mu_star, sigma, T, ca3, Fh * sigma / a, a)
        assert np.allclose(mu, at_edge, rtol=1e-14, atol=0)
        assert np.allclose(mu, _pasveer(mu_star, sigma, T, 0.1, 2 * sigma / a, a), rtol=1e-12, atol=0)
        if ca3 > 0.1:
            assert np.all(dc == 0)
        if Fh > 2:
            assert np.all(dF == 0)
    # device: mu_0(T)/mu_0(300 K) = exp(-c2 (s(T)^2 - s(300)^2)), the same for holes and electrons
    ref = ob.HoleOnlyDevice(sigma=0.1)
    tm, dev, w = _egdm_hole_only(ref)
    org = dev.semi[tm.element_region[dev.semi] == tm.region_index("org")]
    assert np.allclose(dev.params.mu_p0[org], ref.mu0, rtol=1e-14, atol=0)
    for T in (200.0, 250.0, 350.0, 380.0):
        d = dev.at_temperature(T)
        law = math.exp(-C2 * ((0.1 * q / (k_B * T)) ** 2 - (0.1 / VT300) ** 2))
        assert np.allclose(d.params.mu_p0[org] / dev.params.mu_p0[org], law, rtol=1e-12, atol=0)
        assert np.allclose(d.params.mu_n0[org] / dev.params.mu_n0[org], law, rtol=1e-12, atol=0)


def _egdm_hole_only(ref):
    """The hole-only device with the EGDM mobility in its organic layer."""
    tm, _, w = ob.fem_hole_only(ref, hmax=2e-9)
    mats = tuple(dataclasses.replace(m, mobility_model="egdm") if m.name == "org" else m for m in tm.region_materials)
    tm = dataclasses.replace(tm, region_materials=mats)
    return tm, build_device(tm, [Contact("bottom"), Contact("top")], T_K=ref.T), w


def test_device_edge_mobilities_are_egdm_of_edge_density_and_element_field():
    """assemble()'s edge mobilities in an EGDM layer: the formula at c = sqrt(p_a p_b) (geometric mean
    of the edge's end densities) and the element field |grad psi| (own gradients), held at
    c a^3 = 0.1 and F^ = 2 (the anode's accumulation layer reaches both)."""
    ref = ob.HoleOnlyDevice()
    tm, dev, w = _egdm_hole_only(ref)
    st = solve_bias(dev, {"bottom": 3.0})
    _, _, _, _, fl = assemble(dev, st.x, jacobian=False)
    S = dev.semi
    a = ref.N0 ** (-1 / 3)
    G = ob.element_gradients(tm.mesh.p, tm.mesh.t[:, S], st.psi)
    F = np.sqrt(G[0] ** 2 + G[1] ** 2 + 1.0)                     # fem_cqd's F_0 = 1 V/m
    mu_star = ref.mu0 / (C1 * math.exp(-C2 * (ref.sigma / VT300) ** 2))
    for dens, mu in ((fl.p, fl.mu_p), (fl.n, fl.mu_n)):
        c = np.sqrt(dens[IA] * dens[IB])
        mu_e = mu_star if mu is fl.mu_p else 1e-14 / (C1 * math.exp(-C2 * (ref.sigma / VT300) ** 2))
        want = _pasveer(mu_e, ref.sigma, 300.0, np.minimum(c * a ** 3, 0.1),
                        np.minimum(F, 2 * ref.sigma / a)[None, :], a)
        assert np.max(np.abs(mu / want - 1)) < 1e-12
    held_c = np.sqrt(fl.p[IA] * fl.p[IB]) * a ** 3 > 0.1
    held_F = F > 2 * ref.sigma / a
    assert held_c.any() and (~held_c).any() and held_F.any() and (~held_F).any()


# --- 6. image-force lowering -----------------------------------------------------------------------
def _ifl_shift_check(ref, V):
    """Solve the hole-only device with image-force lowering at the anode at bias V; return (max relative
    error of the anode's effective-work-function shift phi - W_a - psi against sqrt(q F/(4 pi eps)) where
    the field pushes holes in, max |shift| where it holds them back, the state)."""
    tm, dev, w = ob.fem_hole_only(ref, hmax=2e-9, image_force=True)
    st = solve_bias(dev, {"bottom": V})
    imf = dev.image_force
    assert np.all(imf["sign"] == 1.0)                      # the anode injects holes (0.7 eV vs 2+ eV)
    nodes = imf["nodes"]
    assert nodes.size >= 2 and np.all(tm.mesh.p[1][nodes] == 0.0)
    got = st.phi_n[nodes] - ref.W_a - st.psi[nodes]        # phi_n holds the conductor potential there
    S = dev.semi
    t = tm.mesh.t[:, S]
    E = -ob.element_gradients(tm.mesh.p, t, st.psi)              # (2, ns)
    first = np.flatnonzero(np.isin(t, nodes).any(axis=0))
    F = E[1][first].mean()                                   # normal (0, 1) into the layer; 1D: one value
    want = np.sqrt(q * max(F, 0.0) / (4 * np.pi * ref.eps))
    if F > 1e3:
        return float(np.max(np.abs(got / want - 1))), 0.0, st
    return 0.0, float(np.max(np.abs(got))), st


def test_image_force_shift_is_sqrt_qF_over_4_pi_eps():
    ref = ob.HoleOnlyDevice(W_a=4.6)
    for V in (4.0, -2.0):                    # holes pushed in at forward bias, held back at reverse
        rel, off, _ = _ifl_shift_check(ref, V)
        assert rel <= 1e-6 and off <= 1e-6, (V, rel, off)


def _ifl_ratio(ref, biases, h0):
    J = []
    for ifl in (False, True):
        tm, dev, w = ob.fem_hole_only(ref, h0=h0, hmax=1e-9, image_force=ifl)
        J.append(np.array([s.currents["bottom"] for s in ramp(dev, "bottom", biases, progress=False)]))
    return J[1] / J[0]


def test_image_force_raises_the_current_more_at_higher_field():
    ratio = _ifl_ratio(ob.HoleOnlyDevice(W_a=4.6), (2.0, 4.0, 8.0), 0.01e-9)
    assert np.all(ratio > 1) and np.all(np.diff(ratio) > 0), ratio


def test_image_force_effect_is_mesh_independent_and_lowers_the_barrier():
    """Injection-limited anode (0.7 eV barrier), 4 V: the current with the barrier lowered by Delta phi
    at the anode field is that of a Dirichlet density raised by ~exp(Delta phi / V_T) (solve_bvp with
    the lowered-barrier boundary condition: x225 for Delta phi = 0.142 V); it must not depend on the
    size of the first element."""
    ref = ob.HoleOnlyDevice(W_a=4.6)
    fine = _ifl_ratio(ref, (4.0,), 0.01e-9)[0]
    coarse = _ifl_ratio(ref, (4.0,), 0.1e-9)[0]
    assert abs(fine / coarse - 1) < 0.05, (fine, coarse)
    assert fine > 50, fine


# --- 7. Jacobian and conservation on a device with every feature ---------------------------------------
@pytest.fixture(scope="module")
def feature():
    tm, dev = ob.feature_device()
    return tm, dev, solve_equilibrium(dev)


def test_feature_device_has_every_feature(feature):
    tm, dev, eq = feature
    assert dev.geom.axisymmetric and dev.image_force is not None
    assert {nm for nm, _ in dev.statistics} == {"gauss_fermi", "fermi_dirac"}
    assert {nm for nm, _ in dev.mobility_p} == {"egdm", "poole_frenkel", "constant"}
    assert "langevin" in dev.mechanisms and dev.density_dependent and dev.field_dependent


def test_feature_device_jacobian_matches_finite_differences(feature):
    tm, dev, eq = feature
    rng = np.random.default_rng(5)
    # around equilibrium with the contacts at 0 V, and with the anode row at 2.5 V (benchmark: also
    # around the converged 3 V state)
    for base, volts in ((eq.x, {"bottom": 0.0, "top": 0.0}), (eq.x, {"bottom": 2.5, "top": 0.0})):
        z = base + 0.05 * rng.standard_normal(base.size)
        for driven in ((), ("bottom",)):
            zz = np.r_[z, volts["bottom"]] if driven else z
            targets = (1e-12,) if driven else ()
            F, J, _ = evaluate(dev, zz, volts, driven, targets)
            for _k in range(2):
                v = rng.standard_normal(zz.size)
                h = 1e-6
                fd = (evaluate(dev, zz + h * v, volts, driven, targets, jacobian=False)[0]
                      - evaluate(dev, zz - h * v, volts, driven, targets, jacobian=False)[0]) / (2 * h)
                scale = np.abs(J).max(axis=1).toarray().ravel() * np.abs(v).max() + 1e-300
                assert np.max(np.abs(J @ v - fd) / scale) < 1e-6     # measured ~5e-9


def test_feature_device_conserves_current_and_energy(feature):
    tm, dev, eq = feature
    st = solve_bias(dev, {"bottom": 3.0}, start=eq)
    I = st.currents["bottom"]
    g = dev.geom
    cond = dev.cond
    G_node = np.bincount(g.ea[:, cond].ravel(), (g.weight[:, cond] * dev.sigma[cond]).ravel(), minlength=dev.n_nodes)
    floor = 10 * np.finfo(float).eps * 3.0 * G_node.max()          # potential resolution x conductance
    assert I > 0 and abs(st.contact_fluxes["bottom"] + st.contact_fluxes["top"]) <= 1e-9 * abs(I) + floor
    assert abs(st.heat.sum() + st.emitted_power - st.power_in) <= 1e-8 * abs(st.power_in)
    assert st.emitted_power > 0 and np.all(st.R_rad <= st.R * (1 + 1e-12) + 1e-30)


def test_newton_converges_on_an_egdm_hole_layer_stack():
    """Was a strict xfail (issue 8): the ramp stalled at 1.12 V with both absent-carrier levels; the last
    level, 0 (no carrier held), converges."""
    htl = material("htl", relative_permittivity=3.0, lumo_eV=2.2, homo_eV=5.2, Nc_per_cm3=1e21, Nv_per_cm3=1e21,
                   mu_n_cm2_per_Vs=1e-6, mu_p_cm2_per_Vs=1e-3, sigma_n_eV=0.09, sigma_p_eV=0.1,
                   mobility_model="egdm")
    etl = material("etl", relative_permittivity=8.0, electron_affinity_eV=3.2, band_gap_eV=3.0, Nc_per_cm3=1e19,
                   Nv_per_cm3=1e19, mu_n_cm2_per_Vs=1.0, mu_p_cm2_per_Vs=1e-2, donors_per_cm3=1e19)
    an = material("an", "conductor", conductivity_S_per_m=1e4, work_function_eV=5.0)
    ca = material("ca", "conductor", conductivity_S_per_m=1e4, work_function_eV=3.3)
    y = np.array([0, 5, 10, 13, 17, 21, 26, 30, 34, 38, 43, 48, 52, 56, 60]) * 1e-9
    tm = tensor_mesh([0, 60e-9], y, lambda xc, yc: np.where(yc < 10e-9, "an", np.where(
        yc < 30e-9, "htl", np.where(yc < 56e-9, "etl", "ca"))), {"an": an, "htl": htl, "etl": etl, "ca": ca})
    dev = build_device(tm, [Contact("bottom"), Contact("top")])
    st = solve_bias(dev, {"bottom": 2.0}, min_step=0.01)
    assert st.currents["bottom"] > 0


# --- 8. bad input ----------------------------------------------------------------------------------
def _org(**over):
    kw = dict(relative_permittivity=3.0, lumo_eV=2.0, homo_eV=5.3, Nc_per_cm3=1e21, Nv_per_cm3=1e21,
              mu_n_cm2_per_Vs=1e-6, mu_p_cm2_per_Vs=1e-4, statistics="gauss_fermi", sigma_n_eV=0.1, sigma_p_eV=0.1)
    kw.update(over)
    return material("org", **{k: v for k, v in kw.items() if v is not None})


def _build(org, T=300.0, ifl=()):
    an = material("an", "conductor", conductivity_S_per_m=1e5, work_function_eV=5.2)
    tm = tensor_mesh([0, 1e-8], [-5e-9, 0, 1e-8, 2e-8], lambda xc, yc: np.where(yc < 0, "an", "org"),
                     {"an": an, "org": org})
    return build_device(tm, [Contact("bottom"), Contact("top")], T_K=T, image_force_lowering=ifl)


def _raises(fun, field, value):
    with pytest.raises(InputError) as err:
        fun()
    e = err.value
    assert field in e.field and str(field) in str(e), str(e)
    if value is not None:
        assert repr(value) in str(e) or str(value) in str(e), str(e)
    return e


def test_bad_organic_input_names_field_and_value():
    good = _org()
    _build(good)                                                   # the reference builds
    _raises(lambda: _org(sigma_p_eV=-0.1), "sigma_p_eV", -0.1)     # TOML
    _raises(lambda: _build(dataclasses.replace(good, sigma_p=-0.1)), "sigma_p", -0.1)
    _raises(lambda: _build(dataclasses.replace(good, sigma_n=-0.02)), "sigma_n", -0.02)
    _raises(lambda: _org(Nv_per_cm3=0.0), "Nv_per_cm3", 0.0)
    _raises(lambda: _build(dataclasses.replace(good, Nv=0.0)), "Nv", 0.0)
    _raises(lambda: _build(dataclasses.replace(good, Nc=-1e27)), "Nc", -1e27)
    e = _raises(lambda: _build(_org(statistics="gaussian")), "statistics", "gaussian")
    assert "gauss_fermi" in e.allowed
    e = _raises(lambda: _build(_org(mobility_model="hopping")), "mobility_model", "hopping")
    assert "egdm" in e.allowed
    e = _raises(lambda: _build(_org(sigma_n_eV=None, sigma_p_eV=None)), "sigma_n", None)
    assert "gauss_fermi" in e.allowed and "None" in str(e)
    _raises(lambda: _build(_org(sigma_p_eV=None)), "sigma_p", None)
    egdm = _org(mobility_model="egdm")
    _build(egdm)                                                   # sigma/kT = 3.87 at 300 K
    for T in (150.0, 450.0):                                       # sigma/kT 7.7, 2.6
        e = _raises(lambda: _build(egdm, T=T), "T", None)
        assert "egdm" in e.field and "sigma/kT" in str(e.value) and "[3, 6]" in e.allowed
    e = _raises(lambda: _build(egdm).at_temperature(420.0), "T", None)
    assert "sigma/kT" in str(e.value)
    _raises(lambda: _build(_org(mobility_model="egdm", mobility_activation_eV=0.1)), "mobility_activation", 0.1)
    _raises(lambda: _build(_org(mobility_model="egdm", sigma_n_eV=0.0)), "sigma_n", 0.0)
    e = _raises(lambda: _org(energy_reference="middle"), "energy_reference", "middle")
    assert "onset" in e.allowed and "centre" in e.allowed
    e = _raises(lambda: _build(good, ifl=("org",)), "image_force_lowering", "org")
    assert "an" in e.allowed
    with pytest.raises(InputError):
        _build(good, ifl=("nowhere",))


def test_energy_reference_is_validated_for_materials_made_in_code():
    from fem_cqd.materials import with_overrides
    with pytest.raises(InputError, match="energy_reference"):
        _build(with_overrides(_org(), energy_reference="middle"))


# --- 9. energy reference -----------------------------------------------------------------------------
def test_onset_energy_reference_moves_the_dos_centres_by_two_sigma():
    centre = _org(sigma_n_eV=0.08, sigma_p_eV=0.1)
    onset = _org(sigma_n_eV=0.08, sigma_p_eV=0.1, energy_reference="onset")
    chi, gap = centre.band_centres()
    assert (chi, chi + gap) == pytest.approx((2.0, 5.3), abs=1e-15)
    chi, gap = onset.band_centres()
    assert (chi, chi + gap) == pytest.approx((2.0 - 0.16, 5.3 + 0.2), abs=1e-14)
    s = 0.1 / VT300
    p = {}
    for name, m in (("centre", centre), ("onset", onset)):
        dev = _build(m)
        eq = solve_equilibrium(dev)
        node = np.flatnonzero(dev.tmesh.mesh.p[1] == 0.0)       # the anode interface
        E_H = 5.3 + (0.2 if name == "onset" else 0.0)
        want = 1e27 * math.exp(ob.gauss_fermi_quad((5.2 - E_H) / VT300, s)[0])
        assert np.allclose(eq.p[node], want, rtol=1e-9, atol=0)
        p[name] = eq.p[node][0]
    # 0.2 eV deeper: x0.019 here (Boltzmann would say e^-7.7 = 4.4e-4; the contact sits 1-3 sigma into the DOS)
    assert p["onset"] / p["centre"] == pytest.approx(
        math.exp(ob.gauss_fermi_quad(-0.3 / VT300, s)[0] - ob.gauss_fermi_quad(-0.1 / VT300, s)[0]), rel=1e-9)
    assert 0.01 < p["onset"] / p["centre"] < 0.03
