"""Carrier statistics: the density of a band as a function of the reduced chemical potential.

A band of N states per volume holds n = N F(eta) carriers, eta the reduced chemical potential:
eta = (E_Fn - E_c)/kT for electrons, eta = (E_v - E_Fp)/kT for holes. Every model is one function
with one signature, ``model(eta, s) -> (ln F, d ln F/d eta)``, s = sigma/kT the Gaussian width in
units of kT (ignored by the models without disorder). Everything is returned as ln F, because the
solver works with ln n directly (densities span e^-700 .. 1) and the edge flux needs ln n_b - ln n_a.

- ``boltzmann``:   F = e^eta, exact.
- ``fermi_dirac``: complete Fermi-Dirac integral of order 1/2, normalised so that F -> e^eta for
  eta -> -inf:

      F_1/2(eta) = (2/sqrt(pi)) int_0^inf sqrt(x) / (1 + e^(x - eta)) dx = -Li_3/2(-e^eta),
      d ln F_1/2 / d eta = F_-1/2 / F_1/2,  F_-1/2(eta) = -Li_1/2(-e^eta).

  eta <= -2: the alternating series F_j = sum_k (-1)^(k+1) e^(k eta) / k^(j+1) (20 terms);
  -2 < eta <= 40: x = y^2 makes both integrals integrals of even functions analytic on the real
  line, F_1/2 = (2/sqrt(pi)) int y^2 L dy and F_-1/2 = (1/sqrt(pi)) int L dy over y in R,
  L = 1/(1 + e^(y^2 - eta)), summed by the trapezoid rule, which converges like e^(-2 pi d/h)
  (d = Im sqrt(eta + i pi), the nearest pole of L): h = 0.16 d in bands of eta;
  eta > 40: the Sommerfeld expansion F_j = eta^(j+1)/Gamma(j+2) [1 + sum_k 2 (1 - 2^(1-2k))
  zeta(2k) (j+1) j ... (j+2-2k) eta^(-2k)] (12 terms; for half-integer j there is no cos(pi j)
  F_j(-eta) term). Relative error ~1e-15 for F and for the ratio (tests: <= 1e-12 vs mpmath).
- ``gauss_fermi``: Gaussian density of states of width sigma, occupied by Fermi-Dirac:

      F(eta, s) = (1/sqrt(2 pi)) int exp(-x^2/2) / (1 + e^(s x - eta)) dx,
      d ln F / d eta = int phi L (1 - L) dx / int phi L dx,   L = 1/(1 + e^(s x - eta)).

  Limits: s = 0 gives the logistic 1/(1 + e^-eta); eta << -s^2 gives Boltzmann with
  ln F -> s^2/2 + eta; F(eta) + F(-eta) = 1, used for every eta > 0 (F = 1 - F(-eta),
  ln F = log1p(-F(-eta)), d ln F = F'(-eta)/F(eta)), so the quadrature only ever sees eta <= 0.
  The integrand is analytic in the strip |Im x| < pi/s (poles of the logistic) and log-concave with
  curvature >= 1 about its mode, which lies in [-s, 0] for eta <= 0; the trapezoid rule with step
  h = 0.45/max(s, 1.5) over [-s - 8.5, 8.5] is then accurate to round-off (measured vs mpmath:
  <= 1e-14 relative in F and in d ln F/d eta for s in [0, 8], eta in [-60, 20]). On that fixed
  lattice e^(eta - s x_k) = e^eta e^(-s x_k), so one s costs no transcendental function per node:
  F e^-eta = sum_k w_k / (1 + e^eta B_k), a matrix-vector product. Entries with many distinct s,
  or s > 20 (where e^(s (s + 8.5)) overflows), use the same rule on a grid centred on each entry's
  mode, in logarithms. Measured on 2 cores: 1e5 entries in 0.02 / 0.04 / 0.08 s at s = 2 / 4 / 8.

Also: :func:`eta_from_log_density` (the inverse, safeguarded Newton on the bracket that the limits
give), :func:`einstein_ratio` (D/(mu V_T) = F/(dF/d eta), the generalised Einstein relation) and
:data:`STATISTICS` / :func:`get`, the registry by name.
"""
from __future__ import annotations

import math

import numpy as np
from scipy.special import zeta

from ..errors import ElectricalConvergenceError, InputError, check_choice

_LN_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)
_S_FIELD = "s (sigma/kT)"


# --- input handling ---------------------------------------------------------------------------
def _inputs(eta, s):
    """(eta array, s array, broadcast shape); raises InputError for non-finite eta or bad s."""
    eta = np.asarray(eta, dtype=float)
    s = np.asarray(s, dtype=float)
    if not np.isfinite(eta).all():
        bad = eta[~np.isfinite(eta)].flat[0]
        raise InputError("eta", float(bad), "a finite number (no NaN or infinity)")
    if s.ndim == 0:
        if not 0.0 <= float(s) < math.inf:
            raise InputError(_S_FIELD, float(s), "a finite number >= 0")
    else:
        ok = (s >= 0.0) & (s < math.inf)
        if not ok.all():
            raise InputError(_S_FIELD, float(s[~ok].flat[0]), "a finite number >= 0")
    return eta, s, np.broadcast_shapes(eta.shape, s.shape)


def _flat(a, shape):
    return np.broadcast_to(a, shape).ravel()


# --- Boltzmann --------------------------------------------------------------------------------
def boltzmann(eta, s):
    """Boltzmann statistics, F = e^eta: returns (ln F, d ln F/d eta) = (eta, 1).

    Parameters
    ----------
    eta : array_like
        Reduced chemical potential (finite).
    s : array_like
        sigma/kT, >= 0; ignored (validated and broadcast only).

    Returns
    -------
    (ndarray, ndarray)
        ln F and d ln F / d eta, each of shape ``broadcast(eta, s)``.
    """
    eta, s, shape = _inputs(eta, s)
    return np.array(np.broadcast_to(eta, shape)), np.ones(shape)


# --- Fermi-Dirac 1/2 --------------------------------------------------------------------------
_FD_SERIES_MAX = -2.0       # eta <= this: series in e^eta (e^-2 ^ 20 / 20^0.5 ~ 1e-18)
_FD_ASYM_MIN = 40.0         # eta > this: Sommerfeld expansion (12 terms: ~1e-17 at eta = 40)
_FD_NSERIES = 20
_FD_NASYM = 12
_FD_STEP = 0.16             # trapezoid step h = _FD_STEP * Im sqrt(eta + i pi)
_FD_TAIL = 42.0             # y^2 - eta beyond which L < e^-42 is dropped
_FD_BANDS = np.array([_FD_SERIES_MAX, -1.0, 0.0, 1.0, 2.0, 3.5, 5.0, 7.0, 10.0, 13.0, 16.0, 20.0,
                      25.0, 30.0, 35.0, _FD_ASYM_MIN])
# series coefficients (highest power first) of F_j e^-eta = sum_k (-1)^(k+1) z^(k-1) / k^(j+1)
_k = np.arange(1, _FD_NSERIES + 1, dtype=float)
_FD_SER_HALF = ((-1.0) ** (_k + 1) / _k ** 1.5)[::-1]
_FD_SER_MHALF = ((-1.0) ** (_k + 1) / _k ** 0.5)[::-1]


def _sommerfeld(j):
    """Coefficients (highest power first, constant term 0) of sum_k a_k w^k, w = eta^-2."""
    c = [0.0]
    for k in range(1, _FD_NASYM + 1):
        falling = math.prod(j + 1 - i for i in range(2 * k))
        c.append(2.0 * (1.0 - 2.0 ** (1 - 2 * k)) * float(zeta(2 * k)) * falling)
    return np.array(c[::-1])


_FD_ASYM_HALF = _sommerfeld(0.5)
_FD_ASYM_MHALF = _sommerfeld(-0.5)
_LN_GAMMA_5_2 = math.lgamma(2.5)


def _fd_trapezoid(e, eta_hi):
    """(F_1/2, F_-1/2) for -2 < e <= eta_hi by the trapezoid rule in y (x = y^2)."""
    h = _FD_STEP * np.sqrt(complex(eta_hi, math.pi)).imag
    y = h * np.arange(int(math.ceil(math.sqrt(_FD_TAIL + max(eta_hi, 0.0)) / h)) + 1)
    c = np.full(y.size, 2.0 * h / math.sqrt(math.pi))
    c[0] *= 0.5                                          # even integrand: h [f(0) + 2 sum f(kh)]
    wts = np.stack([2.0 * c * y * y, c], axis=1)         # columns: F_1/2, F_-1/2
    ey2 = np.exp(y * y)
    out = np.empty((e.size, 2))
    rows = max(16, 2 ** 17 // y.size)
    for i in range(0, e.size, rows):
        t = np.multiply.outer(np.exp(-e[i:i + rows]), ey2)   # e^(y^2 - eta)
        t += 1.0
        np.reciprocal(t, out=t)
        out[i:i + rows] = t @ wts
    return out[:, 0], out[:, 1]


def fermi_dirac(eta, s):
    """Fermi-Dirac statistics of a parabolic band, F = F_1/2(eta) = -Li_3/2(-e^eta).

    F_1/2(eta) = (2/sqrt(pi)) int_0^inf sqrt(x)/(1 + e^(x - eta)) dx, d ln F/d eta = F_-1/2/F_1/2.

    Parameters
    ----------
    eta : array_like
        Reduced chemical potential (finite, any value).
    s : array_like
        sigma/kT, >= 0; ignored (validated and broadcast only).

    Returns
    -------
    (ndarray, ndarray)
        ln F_1/2 and F_-1/2/F_1/2, each of shape ``broadcast(eta, s)``; relative error ~1e-15.
    """
    eta, s, shape = _inputs(eta, s)
    e = _flat(eta, shape)
    lnf = np.empty(e.size)
    dln = np.empty(e.size)
    ser = e <= _FD_SERIES_MAX
    if ser.any():
        es = e[ser]
        z = np.exp(es)
        p3 = np.polyval(_FD_SER_HALF, z)
        lnf[ser] = es + np.log(p3)
        dln[ser] = np.polyval(_FD_SER_MHALF, z) / p3
    asy = e > _FD_ASYM_MIN
    if asy.any():
        ea = e[asy]
        w = (1.0 / ea) ** 2
        a3 = np.polyval(_FD_ASYM_HALF, w)
        lnf[asy] = 1.5 * np.log(ea) - _LN_GAMMA_5_2 + np.log1p(a3)
        dln[asy] = (1.5 / ea) * (1.0 + np.polyval(_FD_ASYM_MHALF, w)) / (1.0 + a3)
    mid = np.flatnonzero(~(ser | asy))
    if mid.size:
        band = np.searchsorted(_FD_BANDS, e[mid])            # e in (BANDS[b-1], BANDS[b]]
        for b in np.unique(band):
            idx = mid[band == b]
            f3, f1 = _fd_trapezoid(e[idx], float(_FD_BANDS[b]))
            lnf[idx] = np.log(f3)
            dln[idx] = f1 / f3
    return lnf.reshape(shape), dln.reshape(shape)


# --- Gauss-Fermi ------------------------------------------------------------------------------
_GF_HALF_WIDTH = 8.5        # about the mode, curvature >= 1: tail < e^(-8.5^2/2) ~ 2e-16
_GF_STEP = 0.45             # h = _GF_STEP / max(s, _GF_STEP_S_MIN)
_GF_STEP_S_MIN = 1.5        # below, the Gaussian's own growth off the real axis limits h
_GF_LATTICE_S_MAX = 20.0    # e^(s (s + 8.5)) must stay finite
_GF_BLOCK = 2 ** 17         # nodes per block (cache-sized)


def _gf_step(s):
    return _GF_STEP / np.maximum(s, _GF_STEP_S_MIN)


def _logistic_nonpositive(e):
    """s = 0: F = 1/(1 + e^-eta) for eta <= 0, (ln F, d ln F/d eta = 1 - F)."""
    ee = np.exp(e)
    return e - np.log1p(ee), 1.0 / (1.0 + ee)


def _gf_lattice(e, s):
    """(ln F, d ln F) for eta = e <= 0 and one 0 < s <= 20, trapezoid on a fixed lattice.

    With t_k = e^(eta - s x_k), L_k = t_k/(1 + t_k): F e^-eta = sum_k w_k/(1 + t_k) and
    F'(eta) e^-eta = sum_k w_k/(1 + t_k)^2, w_k = h phi(x_k) e^(-s x_k).
    """
    h = float(_gf_step(s))
    k0 = math.floor((-s - _GF_HALF_WIDTH) / h)
    k1 = math.ceil(_GF_HALF_WIDTH / h)
    x = h * np.arange(k0, k1 + 1)
    b = np.exp(-s * x)
    w = h * np.exp(-0.5 * x * x - s * x - _LN_SQRT_2PI)
    a = np.exp(e)
    s0 = np.empty(e.size)
    s1 = np.empty(e.size)
    rows = max(16, _GF_BLOCK // x.size)
    for i in range(0, e.size, rows):
        d = np.multiply.outer(a[i:i + rows], b)
        d += 1.0
        np.reciprocal(d, out=d)
        s0[i:i + rows] = d @ w
        d *= d
        s1[i:i + rows] = d @ w
    return e + np.log(s0), s1 / s0


def _sigmoid(u):
    """1/(1 + e^-u) without overflow."""
    ez = np.exp(-np.abs(u))
    return np.where(u >= 0, 1.0 / (1.0 + ez), ez / (1.0 + ez))


def _softplus(u):
    """ln(1 + e^u) without overflow."""
    return np.maximum(u, 0.0) + np.log1p(np.exp(-np.abs(u)))


def _rtsafe(fun, lo, hi, x, xtol, max_iter=200):
    """Vectorised Newton safeguarded by bisection (Numerical Recipes' rtsafe) for residuals
    increasing in x with a root in [lo, hi] (arrays, updated in place): a step that leaves the
    bracket or is more than half the one before is replaced by bisection. ``fun(x, idx)`` returns
    (r, dr/dx) for the entries ``idx``; stops where |step| <= xtol(x, idx) or r = 0. Returns
    (x, indices not converged)."""
    x = np.clip(x, lo, hi)
    dx_old = np.abs(hi - lo)
    act = np.arange(x.size)
    for _ in range(max_iter):
        xa = x[act]
        r, dr = fun(xa, act)
        lo[act] = np.where(r < 0, xa, lo[act])
        hi[act] = np.where(r > 0, xa, hi[act])
        la, ha = lo[act], hi[act]
        with np.errstate(divide="ignore", invalid="ignore"):
            step = r / dr
        xn = xa - step
        bis = ~((xn >= la) & (xn <= ha)) | (np.abs(step) > 0.5 * dx_old[act])
        xn = np.where(r == 0, xa, np.where(bis, 0.5 * (la + ha), xn))
        dx_old[act] = np.abs(xn - xa)
        x[act] = xn
        act = act[(dx_old[act] > xtol(xn, act)) & (r != 0)]
        if not act.size:
            break
    return x, act


def _gf_mode(e, s):
    """Mode of exp(-x^2/2)/(1 + e^(s x - eta)) for eta <= 0: the root in [-s, 0] of
    x + s sigmoid(s x - eta), which increases with x (slope 1 + s^2 sigmoid (1 - sigmoid))."""
    def fun(x, i):
        sg = _sigmoid(s[i] * x - e[i])
        return x + s[i] * sg, 1.0 + s[i] * s[i] * sg * (1.0 - sg)

    x0 = -s * _sigmoid(-e - 0.5 * s * s)
    x, _ = _rtsafe(fun, -s.copy(), np.zeros_like(s), x0, lambda x, i: 1e-9 * (1.0 + s[i]))
    return x          # only centres the grid: 1e-9 is ample, and a bracket midpoint would do


def _gf_centred(e, s):
    """(ln F, d ln F) for eta = e <= 0 and per-entry s > 0 (any size): trapezoid rule centred at
    each entry's mode, in logarithms (no overflow for any s)."""
    xm = _gf_mode(e, s)
    h = _gf_step(s)
    lnf = np.empty(e.size)
    dln = np.empty(e.size)
    order = np.argsort(h)                               # smallest step (most nodes) first
    i = 0
    while i < e.size:
        half = int(math.ceil(_GF_HALF_WIDTH / h[order[i]]))
        j = np.arange(-half, half + 1, dtype=float)
        sl = order[i:i + max(1, _GF_BLOCK // j.size)]
        i += sl.size
        x = xm[sl, None] + h[sl, None] * j
        u = s[sl, None] * x - e[sl, None]
        sp = _softplus(u)
        g = -0.5 * x * x - sp
        gm = g[:, half].copy()
        wt = np.exp(g - gm[:, None])
        s0 = wt.sum(axis=1)
        s1 = (wt * np.exp(u - sp)).sum(axis=1)            # L (1 - L) = L sigmoid(u)
        lnf[sl] = gm + np.log(h[sl] * s0) - _LN_SQRT_2PI
        dln[sl] = s1 / s0
    return lnf, dln


def _gf_one_s(e, sv):
    if sv == 0.0:
        return _logistic_nonpositive(e)
    if sv <= _GF_LATTICE_S_MAX:
        return _gf_lattice(e, sv)
    return _gf_centred(e, np.full(e.size, sv))


def _gf_nonpositive(e, s, shape):
    """(ln F, d ln F) for eta = e <= 0 (flat), s scalar or broadcastable to ``shape``."""
    if s.ndim == 0:
        return _gf_one_s(e, float(s))
    sf = _flat(s, shape)
    if sf.size and sf.min() == sf.max():                 # one s per call (one material): no sort
        return _gf_one_s(e, float(sf[0]))
    vals, inv = np.unique(sf, return_inverse=True)
    lnf = np.empty(e.size)
    dln = np.empty(e.size)
    if vals.size <= 64 or 32 * vals.size <= e.size:       # few distinct s: one lattice each
        order = np.argsort(inv, kind="stable")
        ends = np.cumsum(np.bincount(inv, minlength=vals.size))
        for v, a, b in zip(vals, np.concatenate([[0], ends[:-1]]), ends):
            idx = order[a:b]
            lnf[idx], dln[idx] = _gf_one_s(e[idx], float(v))
        return lnf, dln
    zero = sf == 0.0
    lnf[zero], dln[zero] = _logistic_nonpositive(e[zero])
    lnf[~zero], dln[~zero] = _gf_centred(e[~zero], sf[~zero])
    return lnf, dln


def gauss_fermi(eta, s):
    """Gauss-Fermi statistics: Gaussian density of states of width sigma = s kT, Fermi occupied.

    F(eta, s) = (1/sqrt(2 pi)) int exp(-x^2/2)/(1 + e^(s x - eta)) dx (x = energy/sigma from the
    DOS centre), d ln F/d eta = int phi L (1 - L) dx / int phi L dx, L = 1/(1 + e^(s x - eta)).

    Parameters
    ----------
    eta : array_like
        Reduced chemical potential measured from the DOS centre (finite, any value).
    s : array_like
        sigma/kT, finite and >= 0 (s = 0: F = 1/(1 + e^-eta)).

    Returns
    -------
    (ndarray, ndarray)
        ln F (< 0 always, -> s^2/2 + eta for eta << -s^2) and d ln F/d eta (in (0, 1]), each of
        shape ``broadcast(eta, s)``; relative error ~1e-14.
    """
    eta, s, shape = _inputs(eta, s)
    e = _flat(eta, shape)
    lnf, dln = _gf_nonpositive(-np.abs(e), s, shape)
    pos = np.flatnonzero(e > 0)
    if pos.size:                                         # F(eta) = 1 - F(-eta), F'(eta) = F'(-eta)
        fm = np.exp(lnf[pos])
        dln[pos] *= fm / (1.0 - fm)
        lnf[pos] = np.log1p(-fm)
    return lnf.reshape(shape), dln.reshape(shape)


# --- registry and derived quantities ----------------------------------------------------------
STATISTICS = {"boltzmann": boltzmann, "fermi_dirac": fermi_dirac, "gauss_fermi": gauss_fermi}


def get(name):
    """The statistics function registered as ``name``; InputError naming the allowed ones."""
    check_choice("statistics", name, STATISTICS)
    return STATISTICS[name]


def log_density(name, eta, s):
    """(ln F, d ln F/d eta) of the statistics ``name`` (see :data:`STATISTICS`)."""
    return get(name)(eta, s)


def einstein_ratio(name, eta, s):
    """Generalised Einstein relation D/(mu V_T) = F/(dF/d eta) = 1/(d ln F/d eta).

    1 for Boltzmann, > 1 when degenerate; inf where d ln F/d eta underflows (Gauss-Fermi with
    eta >> s^2: the band is full).
    """
    _, dln = get(name)(eta, s)
    with np.errstate(divide="ignore"):
        return 1.0 / dln


def eta_from_log_density(name, lnF_target, s):
    """Inverse of the statistics ``name``: eta such that ln F(eta, s) = ``lnF_target``.

    Boltzmann: eta = ln F. Fermi-Dirac: any ln F <= 1000 (beyond, eta overflows); the root lies
    in [ln F, max(ln F + 0.44, (3 sqrt(pi)/4 F)^(2/3), 1.2)] (F_1/2 <= e^eta; F_1/2 >= 0.646 e^eta
    for eta <= 0 and >= (4/(3 sqrt(pi))) eta^(3/2)). Gauss-Fermi: ln F < 0 (a band holds at most N
    carriers); the root lies in [ln F - s^2/2, s^2/2 - ln(1 - F)] (F <= e^(s^2/2 + eta) and
    1 - F(eta) = F(-eta)). The upper ends are checked and widened if ever short. ln F is
    increasing and concave in eta for both; solved by Newton safeguarded with bisection to
    |d eta| <= 1e-14 max(1, |eta|).

    Parameters
    ----------
    name : str
        One of :data:`STATISTICS`.
    lnF_target : array_like
        ln F (finite).
    s : array_like
        sigma/kT, finite and >= 0.

    Returns
    -------
    ndarray
        eta, of shape ``broadcast(lnF_target, s)``.
    """
    model = get(name)
    try:
        t, s, shape = _inputs(lnF_target, s)
    except InputError as err:
        if err.field == "eta":
            raise InputError("lnF_target", err.value, err.allowed) from None
        raise
    t = _flat(t, shape).copy()
    if name == "boltzmann":
        return t.reshape(shape)
    s_f = s if s.ndim == 0 else _flat(s, shape).copy()
    if name == "gauss_fermi":
        if not (t < 0).all():
            raise InputError("lnF_target", float(t[~(t < 0)][0]),
                             "< 0 for gauss_fermi (F = n/N0 < 1: a Gaussian band holds at most N0)")
        s2 = 0.5 * np.broadcast_to(s_f, t.shape) ** 2
        lo = t - s2
        hi = s2 - np.log(-np.expm1(t))
        x0 = np.where(t <= -math.log(2.0), lo, hi)       # F <= 1/2 iff eta <= 0
    else:                                                # fermi_dirac
        if not (t <= 1000.0).all():
            raise InputError("lnF_target", float(t[~(t <= 1000.0)][0]),
                             "<= 1000 for fermi_dirac (beyond, eta exceeds the double range)")
        lo = t.copy()
        degen = np.exp((2.0 / 3.0) * (t + math.log(0.75 * math.sqrt(math.pi))))
        hi = np.maximum(np.maximum(t + 0.44, degen), 1.2)
        x0 = np.where(t < 0, lo, degen)
    # the bounds are proven; check them anyway (cheap) and widen if ever needed
    for _ in range(60):
        f_hi = model(hi, s_f)[0]
        bad = f_hi < t
        if not bad.any():
            break
        hi = np.where(bad, hi + np.maximum(1.0, np.abs(hi)), hi)
    s_f = np.asarray(s_f)

    def fun(x, i):
        f, df = model(x, s_f if s_f.ndim == 0 else s_f[i])
        return f - t[i], df

    eta, bad = _rtsafe(fun, lo, hi, x0, lambda x, i: 1e-14 * np.maximum(1.0, np.abs(x)))
    if bad.size:
        raise ElectricalConvergenceError(f"eta_from_log_density({name!r}): {bad.size} entries did not converge "
                               f"(first: ln F = {t[bad[0]]!r})")
    return eta.reshape(shape)
