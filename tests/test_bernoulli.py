"""Bernoulli function B(x) = x/(e^x - 1) and B'(x) against mpmath at 50 digits on [-700, 700]."""
import numpy as np
import pytest

mpmath = pytest.importorskip("mpmath")

from fem_cqd.electrical.bernoulli import bernoulli, bernoulli_derivative, bernoulli_pair

mpmath.mp.dps = 50


def _points():
    rng = np.random.default_rng(1)
    x = np.concatenate([
        np.linspace(-700, 700, 1401), rng.uniform(-700, 700, 500), rng.uniform(-2, 2, 500),
        np.logspace(-300, 2, 200), -np.logspace(-300, 2, 200), [0.0, 1e-2, -1e-2, 0.5, -0.5,
        np.nextafter(1e-2, 0), np.nextafter(0.5, 1), 709.0, -709.0]])
    return x


def _ref_b(x):
    x = mpmath.mpf(float(x))
    return mpmath.mpf(1) if x == 0 else x / mpmath.expm1(x)


def _ref_db(x):
    x = mpmath.mpf(float(x))
    if abs(x) < mpmath.mpf("1e-20"):
        return mpmath.mpf(-0.5) + x / 6       # the closed form below cancels at 50 digits
    e = mpmath.expm1(x)
    return (e - x * mpmath.exp(x)) / e ** 2


def _relerr(f, ref):
    x = _points()
    got = f(x)
    want = np.array([float(ref(v)) for v in x])
    nz = want != 0
    err = np.abs(got[nz] - want[nz]) / np.abs(want[nz])
    # where the reference underflows double, the computed value must be tiny too
    assert np.all(np.abs(got[~nz]) < 1e-300)
    return err.max()


def test_bernoulli_accuracy():
    assert _relerr(bernoulli, _ref_b) <= 1e-13


def test_bernoulli_derivative_accuracy():
    assert _relerr(bernoulli_derivative, _ref_db) <= 1e-13


def test_no_overflow_no_nan():
    x = np.array([-1e4, -800.0, -710.0, 0.0, -0.0, 710.0, 800.0, 1e4, 1e-320, -1e-320])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        b, bm, db, dbm = bernoulli_pair(x)
    for v in (b, bm, db, dbm):
        assert np.all(np.isfinite(v))
    assert bernoulli(0.0) == 1.0 and bernoulli_derivative(0.0) == -0.5
    np.testing.assert_allclose(bm - b, x, rtol=1e-12, atol=1e-300)   # B(-x) = B(x) + x


def test_pair_identities():
    x = np.linspace(-50, 50, 1001)
    b, bm, db, dbm = bernoulli_pair(x)
    np.testing.assert_allclose(bm, b + x, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(dbm, -1.0 - db, rtol=1e-12, atol=1e-12)
