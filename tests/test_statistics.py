"""Carrier statistics (Boltzmann, Fermi-Dirac 1/2, Gauss-Fermi) against mpmath, their limits, the
inverse and bad input (small sizes of benchmarks/organic_analytic.py)."""
import warnings

import numpy as np
import pytest

mpmath = pytest.importorskip("mpmath")

import organic_analytic as bench

from fem_cqd.electrical import statistics as st
from fem_cqd.errors import InputError

ETAS = [-60.0, -33.0, -17.0, -8.0, -3.0, -1.0, 0.0, 0.5, 2.0, 6.0, 20.0]
SS = [0.0, 0.5, 1.0, 2.0, 3.0, 4.0, 6.0, 8.0]


def _relerr_ln(lnf, lnf_ref):
    return float(np.max(np.abs(np.expm1(np.asarray(lnf) - lnf_ref))))


def test_gauss_fermi_vs_mpmath():
    e, s = (a.ravel() for a in np.meshgrid(ETAS, SS, indexing="ij"))
    ref = np.array([float(mpmath.log(bench.gf_reference(a, b, deriv=False)[0])) for a, b in zip(e, s)])
    lnf, _ = st.gauss_fermi(e, s)
    assert _relerr_ln(lnf, ref) <= 1e-12                           # required 1e-10; measured ~1e-14
    # one s at a time (scalar s: the lattice path) and the mode-centred path give the same
    for sv in SS:
        m = s == sv
        assert _relerr_ln(st.gauss_fermi(e[m], sv)[0], ref[m]) <= 1e-12
    neg = (e <= 0) & (s > 0)
    assert _relerr_ln(st._gf_centred(e[neg], s[neg])[0], ref[neg]) <= 1e-12


def test_gauss_fermi_derivative_vs_mpmath():
    pts = [(a, b) for a in (-60.0, -17.0, -3.0, 0.0, 2.0, 20.0) for b in (0.5, 2.0, 4.0, 8.0)]
    ref = np.array([float(bench.gf_reference(a, b)[1]) for a, b in pts])
    _, dln = st.gauss_fermi(np.array([a for a, _ in pts]), np.array([b for _, b in pts]))
    assert np.max(np.abs(dln / ref - 1)) <= 1e-10


def test_large_s_vs_mpmath():
    pts = [(-400.0, 12.0), (0.0, 16.0), (-700.0, 25.0), (10.0, 40.0)]    # s > 20: mode-centred grid
    ref = [bench.gf_reference(a, b) for a, b in pts]
    lnf, dln = st.gauss_fermi(np.array([a for a, _ in pts]), np.array([b for _, b in pts]))
    assert _relerr_ln(lnf, np.array([float(mpmath.log(F)) for F, _ in ref])) <= 1e-12
    assert np.max(np.abs(dln / np.array([float(d) for _, d in ref]) - 1)) <= 1e-10


def test_fermi_dirac_vs_polylog():
    eta = np.concatenate([np.linspace(-60, 40, 201), [-2.0, np.nextafter(-2.0, 0), 40.0, np.nextafter(40.0, 50),
                                                      41.0, 80.0, 300.0]])
    ref = [bench.fd_reference(a) for a in eta]
    lnf, dln = st.fermi_dirac(eta, 0.0)
    assert _relerr_ln(lnf, np.array([float(mpmath.log(a)) for a, _ in ref])) <= 1e-12
    assert np.max(np.abs(dln / np.array([float(b / a) for a, b in ref]) - 1)) <= 1e-12


@pytest.mark.parametrize("name,s", [("gauss_fermi", 0.5), ("gauss_fermi", 1.0), ("gauss_fermi", 4.0),
                                    ("gauss_fermi", 8.0), ("gauss_fermi", 0.0), ("fermi_dirac", 0.0),
                                    ("boltzmann", 0.0)])
def test_derivative_vs_central_difference(name, s):
    eta = np.linspace(-60, 30, 181)
    _, dln = st.log_density(name, eta, s)
    assert np.max(np.abs(dln / bench.numerical_dln(name, eta, s) - 1)) <= 1e-8
    np.testing.assert_allclose(st.einstein_ratio(name, eta, s), 1.0 / dln, rtol=0, atol=0)


def test_limits():
    eta = np.linspace(-700, 700, 1401)
    logistic = -np.logaddexp(0.0, -eta)
    lnf, dln = st.gauss_fermi(eta, 0.0)
    assert _relerr_ln(lnf, logistic) <= 4e-16                         # s = 0: exactly the logistic
    # (for eta > 0 via F(-eta) = exp(ln F(-eta)): relative error ~1e-16 |ln F(-eta)|)
    np.testing.assert_allclose(dln, 1.0 / (1.0 + np.exp(eta)), rtol=1e-13, atol=0)
    for s in (1e-300, 1e-8, 1e-4, 1e-2):                              # s -> 0+: continuous, O(s^2)
        assert _relerr_ln(st.gauss_fermi(eta, s)[0], logistic) <= max(4e-15, s * s)
    s = np.arange(0.5, 8.01, 0.5)                                     # eta << -s^2: Boltzmann, shifted
    eta_b = -2 * s ** 2 - 40
    assert _relerr_ln(st.gauss_fermi(eta_b, s)[0], s ** 2 / 2 + eta_b) <= 1e-13
    np.testing.assert_allclose(st.gauss_fermi(eta_b, s)[1], 1.0, rtol=1e-13)
    eta = np.linspace(-40, 40, 161)                                   # F(eta) + F(-eta) = 1
    for s in (0.0, 0.7, 3.0, 8.0, 25.0):
        total = np.exp(st.gauss_fermi(eta, s)[0]) + np.exp(st.gauss_fermi(-eta, s)[0])
        assert np.max(np.abs(total - 1)) <= 1e-15
    # Fermi-Dirac: Boltzmann for eta -> -inf, (4/(3 sqrt(pi))) eta^(3/2) for eta -> +inf
    lnf, dln = st.fermi_dirac(np.array([-745.0, -100.0]), 0.0)
    np.testing.assert_allclose(lnf, [-745.0, -100.0], rtol=1e-16)
    np.testing.assert_allclose(dln, 1.0, rtol=1e-16)
    lnf, dln = st.fermi_dirac(1e8, 0.0)
    np.testing.assert_allclose(lnf, 1.5 * np.log(1e8) + np.log(4 / (3 * np.sqrt(np.pi))), rtol=1e-15)
    np.testing.assert_allclose(dln, 1.5e-8, rtol=1e-15)
    # Boltzmann
    lnf, dln = st.boltzmann([-3.0, 0.0, 5.0], 1.0)
    assert lnf.tolist() == [-3.0, 0.0, 5.0] and dln.tolist() == [1.0, 1.0, 1.0]


def test_einstein_ratio():
    eta = np.linspace(-50, 30, 81)
    assert np.all(st.einstein_ratio("boltzmann", eta, 0.0) == 1.0)
    for name, s in (("fermi_dirac", 0.0), ("gauss_fermi", 3.0)):
        r = st.einstein_ratio(name, eta, s)
        assert np.all(r >= 1.0 - 1e-15) and np.all(np.diff(r) >= -1e-14)   # degeneracy raises D/(mu V_T)
        assert abs(r[0] - 1.0) < 1e-12
    np.testing.assert_allclose(st.einstein_ratio("gauss_fermi", eta, 0.0), 1.0 + np.exp(eta), rtol=1e-14)
    assert np.isinf(st.einstein_ratio("gauss_fermi", 800.0, 2.0))  # band full: d ln F/d eta underflows


@pytest.mark.parametrize("name,s", [("boltzmann", 0.0), ("fermi_dirac", 0.0), ("gauss_fermi", 0.0),
                                    ("gauss_fermi", 0.5), ("gauss_fermi", 4.0), ("gauss_fermi", 8.0),
                                    ("gauss_fermi", 25.0)])
def test_inverse_round_trip(name, s):
    eta = np.concatenate([np.linspace(-700, 60, 761), np.linspace(-3, 3, 61)])
    if name == "fermi_dirac":
        eta = np.concatenate([eta, [100.0, 1e3, 1e5]])
    lnf, _ = st.log_density(name, eta, s)
    if name == "gauss_fermi":
        keep = lnf < 0                                                # F rounds to 1 beyond eta ~ 37 + s^2/2
        eta, lnf = eta[keep], lnf[keep]
    back = st.eta_from_log_density(name, lnf, s)
    assert back.shape == eta.shape
    assert np.max(np.abs(back - eta) / np.maximum(1.0, np.abs(eta))) <= 1e-12
    # per-entry s and 2-D shapes
    if name == "gauss_fermi":
        sv = np.array([[0.0], [2.0], [5.0]])
        ln2, _ = st.gauss_fermi(np.linspace(-30, 10, 9), sv)
        np.testing.assert_allclose(st.eta_from_log_density(name, ln2, sv),
                                   np.broadcast_to(np.linspace(-30, 10, 9), (3, 9)), rtol=0, atol=1e-12)


def test_shapes_and_paths_agree():
    eta = np.linspace(-50, 20, 71)
    sv = np.linspace(0.0, 8.0, 5)
    lnf, dln = st.gauss_fermi(eta[:, None], sv[None, :])
    assert lnf.shape == dln.shape == (71, 5)
    for j, s in enumerate(sv):
        a, b = st.gauss_fermi(eta, s)
        np.testing.assert_array_equal(lnf[:, j], a)
        np.testing.assert_array_equal(dln[:, j], b)
    # many distinct s (200 values x 20 eta): the mode-centred path; agrees with the lattice
    s_vals = np.random.default_rng(3).uniform(0.2, 8.0, 200)
    e = np.linspace(-60, 20, 20)
    lc, dc = st.gauss_fermi(e[None, :], s_vals[:, None])
    for j, s in enumerate(s_vals):
        ll, dl = st.gauss_fermi(e, s)
        assert _relerr_ln(lc[j], ll) <= 1e-13 and np.max(np.abs(dc[j] / dl - 1)) <= 1e-13
    for fun in (st.boltzmann, st.fermi_dirac, st.gauss_fermi):
        a, b = fun(0.3, 2.0)
        assert isinstance(a, np.ndarray) and a.shape == () and b.shape == ()
        a, b = fun([[0.3, 1.0]], [[2.0], [3.0], [4.0]])
        assert a.shape == b.shape == (3, 2)


def test_extreme_inputs_finite_without_warnings():
    eta = np.array([-1e300, -1e6, -800.0, -745.5, -40.0, -2.0, 0.0, 2.0, 40.0, 700.0, 1e6, 1e300])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for name in st.STATISTICS:
            for s in (0.0, 1e-300, 0.3, 4.0, 20.0, 20.5, 60.0):
                lnf, dln = st.log_density(name, eta, s)
                assert np.all(np.isfinite(lnf)) and np.all((dln >= 0) & (dln <= 1))
                if name == "gauss_fermi":
                    assert np.all(lnf <= 0)


def test_heterointerface_ratio_vs_direct_integration():
    for ef in (0.5, 0.0):
        got, ref = bench.heterointerface_ratio(ef)
        assert abs(got / ref - 1) <= 1e-9


def test_bad_input():
    with pytest.raises(InputError, match="statistics.*'fermi_dirac'.*'gauss_fermi'") as err:
        st.get("gaussian")
    assert err.value.field == "statistics" and err.value.value == "gaussian"
    with pytest.raises(InputError, match="gauss"):
        st.log_density("gauss", 0.0, 1.0)
    for name in st.STATISTICS:
        for bad_s in (-0.1, np.nan, np.inf, [1.0, -1.0]):
            with pytest.raises(InputError, match=r"s \(sigma/kT\)") as err:
                st.log_density(name, 0.0, bad_s)
            assert err.value.field == "s (sigma/kT)"
        for bad_eta in (np.nan, [0.0, np.inf], -np.inf):
            with pytest.raises(InputError, match="eta") as err:
                st.log_density(name, bad_eta, 1.0)
            assert err.value.field == "eta"
        with pytest.raises(InputError, match="eta"):
            st.einstein_ratio(name, np.nan, 1.0)
        with pytest.raises(InputError, match="lnF_target"):
            st.eta_from_log_density(name, [np.nan], 1.0)
        with pytest.raises(InputError, match=r"s \(sigma/kT\)"):
            st.eta_from_log_density(name, -1.0, -2.0)
    for lnf in (0.0, 0.5, [-1.0, 0.0]):                               # Gauss-Fermi: F < 1
        with pytest.raises(InputError, match="lnF_target") as err:
            st.eta_from_log_density("gauss_fermi", lnf, 2.0)
        assert err.value.field == "lnF_target"
