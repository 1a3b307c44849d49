"""The gain stage: J_rec(x), T(x) -> <N>(x), P_N(x), g(x, lambda); and its inverse j(target).

Per position: G = eta J_rec / (q n_dots) (:func:`excitation_rate`), the steady-state
birth-death distribution P_N for neutral dots and, under the charged-dot hypothesis, for the
fraction ``charged_fraction`` of dots carrying extra electrons; level inversions and the gain
spectrum are the population-weighted averages of the two.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq

from ..errors import InputError, check_positive
from .occupancy import as_positions, decay_rates, excitation_rate, mean_excitons, radiative_rates, steady_state
from .params import QDParams
from .spectra import LEVELS, check_wavelengths, gain_spectrum, inversion

A_PER_CM2 = 1e4   # A/m^2 per A/cm^2


@dataclass(frozen=True)
class Occupancy:
    """Exciton statistics per position (arrays of shape (npos,) unless noted).

    P, P_charged : (npos, n_max + 1) distributions of neutral and pre-charged dots
    (``P_charged`` is None for a neutral film); ``n_mean`` is the film average <N>;
    ``inversion`` maps '1S'/'1P' to the film-average inversion x_l in [-1, 1].
    """

    G_per_s: np.ndarray
    P: np.ndarray
    P_charged: np.ndarray | None
    n_mean: np.ndarray
    inversion: dict


@dataclass(frozen=True)
class GainMaps:
    """Output of :func:`evaluate`: occupancy and gain along the QD film (SI units)."""

    j_rec_A_per_m2: np.ndarray
    T_K: np.ndarray
    occupancy: Occupancy
    wavelength_m: np.ndarray
    g_per_m: np.ndarray            # (npos, nl) material gain, negative = absorption
    peak_g_per_m: np.ndarray       # (npos,)
    peak_wavelength_m: np.ndarray  # (npos,)

    def at_wavelength(self, wavelength_m: float) -> np.ndarray:
        """Material gain (1/m) at one wavelength, per position, linearly interpolated."""
        order = np.argsort(self.wavelength_m)
        lam, g = self.wavelength_m[order], self.g_per_m[:, order]
        if not lam[0] <= wavelength_m <= lam[-1]:
            raise InputError("wavelength_m", wavelength_m,
                             f"within the computed grid [{lam[0]:.4g}, {lam[-1]:.4g}] m")
        i = int(np.clip(np.searchsorted(lam, wavelength_m) - 1, 0, lam.size - 2))
        w = (wavelength_m - lam[i]) / (lam[i + 1] - lam[i]) if lam.size > 1 else 0.0
        return g[:, i] if lam.size == 1 else (1 - w) * g[:, i] + w * g[:, i + 1]


def occupancy(j_rec_A_per_m2, T_K, p: QDParams = QDParams()) -> Occupancy:
    """Steady-state exciton statistics for recombination current J_rec and temperature T.

    Film averages weight neutral and charged dots by (1 - f, f), f = ``charged_fraction``.
    """
    G = excitation_rate(j_rec_A_per_m2, p)
    T = np.broadcast_to(as_positions("T_K", T_K, allow_zero=False), G.shape)
    f = p.charged_fraction
    P = steady_state(G, decay_rates(T, p), p)
    inv = {lvl: inversion(P, lvl) for lvl in LEVELS}
    n_mean = mean_excitons(P)
    P_c = None
    if f > 0:
        c = p.extra_electrons
        P_c = steady_state(G, decay_rates(T, p, extra_electrons=c), p)
        inv = {lvl: (1 - f) * inv[lvl] + f * inversion(P_c, lvl, c) for lvl in LEVELS}
        n_mean = (1 - f) * n_mean + f * mean_excitons(P_c)
    return Occupancy(G, P, P_c, n_mean, inv)


def _radiative_share(G: np.ndarray, k: np.ndarray, k_rad: np.ndarray) -> np.ndarray:
    """sum_N P_N k_N,r / sum_N P_N k_N over N >= 1 of the steady chain, from the weights relative
    to P_1, w_N = prod_{m=2..N} G / k_m (so G -> 0 gives k_1,r / k_1, the single-exciton yield)."""
    with np.errstate(divide="ignore"):
        log_ratio = np.log(G)[:, None] - np.log(k[:, 2:])
    log_w = np.concatenate([np.zeros((G.size, 1)), np.cumsum(log_ratio, axis=1)], axis=1)
    w = np.exp(log_w - log_w.max(axis=1, keepdims=True))
    return np.sum(w * k_rad[:, 1:], axis=1) / np.sum(w * k[:, 1:], axis=1)


def photon_yield(j_rec_A_per_m2, T_K, p: QDParams = QDParams()) -> np.ndarray:
    """Photons emitted per electron-hole pair recombining in the film, per position.

        Y = eta * [(1 - f) s_0 + f s_c],   s = sum_N P_N k_N,r / sum_N P_N k_N,

    eta the capture efficiency, f the charged fraction: in steady state each population decays
    at the rate G it is excited, a share s of the decays radiative (Auger and the activated
    non-radiative channel take the rest; N -> 0 gives the single-exciton QY(T)). The pairs not
    captured (1 - eta) and the non-radiative decays are heat.
    """
    G = excitation_rate(j_rec_A_per_m2, p)
    T = np.broadcast_to(as_positions("T_K", T_K, allow_zero=False), G.shape)
    share = _radiative_share(G, decay_rates(T, p), radiative_rates(T, p))
    f = p.charged_fraction
    if f > 0:
        c = p.extra_electrons
        share = (1 - f) * share + f * _radiative_share(G, decay_rates(T, p, c), radiative_rates(T, p, c))
    return p.capture_efficiency * share


def evaluate(j_rec_A_per_m2, T_K, wavelength_m, p: QDParams = QDParams()) -> GainMaps:
    """Gain stage for arrays of positions: occupancy, g(x, lambda), its peak and peak wavelength.

    Parameters
    ----------
    j_rec_A_per_m2 : array_like, shape (npos,)
        Recombination current density into the QD film, A/m^2.
    T_K : float or array_like, shape (npos,)
        Film temperature, K.
    wavelength_m : array_like, shape (nl,)
        Wavelength grid, m (inside the band-edge model's validity).
    """
    occ = occupancy(j_rec_A_per_m2, T_K, p)
    T = np.broadcast_to(np.asarray(T_K, dtype=float), occ.G_per_s.shape).copy()
    lam = check_wavelengths(wavelength_m, T, p)
    g = gain_spectrum(lam, occ.inversion, T, p)
    k = np.argmax(g, axis=1)
    j = np.atleast_1d(np.asarray(j_rec_A_per_m2, dtype=float))
    return GainMaps(j, T, occ, lam, g, g[np.arange(g.shape[0]), k], lam[k])


def _solve_current_density(fn, target: float, name: str) -> float:
    """Smallest J (A/m^2) with fn(J) = target for an increasing fn: doubling scan, then Brent.

    Scans 1e-4 ... 1e6 A/cm^2 upwards and stops at the first crossing, so a truncation error
    (raise ``n_max``) only comes from currents beyond the answer.
    """
    j_lo = 1e-4 * A_PER_CM2
    f_lo = fn(np.array([j_lo]))[0]
    if f_lo >= target:
        raise InputError(name, target, f"> its value {f_lo:.4g} at 1e-4 A/cm^2")
    while j_lo < 1e6 * A_PER_CM2:
        j_hi = 2.0 * j_lo
        if fn(np.array([j_hi]))[0] >= target:
            return math.exp(brentq(lambda s: fn(np.array([math.exp(s)]))[0] - target,
                                   math.log(j_lo), math.log(j_hi), xtol=1e-12))
        j_lo = j_hi
    raise InputError(name, target, "reached below 1e6 A/cm^2")


def current_density_for_mean_excitons(n_target: float, T_K: float | None = None,
                                      p: QDParams = QDParams()) -> float:
    """Uniform J_rec (A/m^2) at which the film average <N> equals ``n_target``."""
    check_positive("n_target", n_target)
    T = p.t_ref_K if T_K is None else T_K
    return _solve_current_density(lambda j: occupancy(j, T, p).n_mean, n_target, "n_target")


def tau_x_for_mean_excitons(n_target: float, j_rec_A_per_m2: float, T_K: float | None = None,
                            p: QDParams = QDParams(), tau_max_ns: float = 1e4) -> float | None:
    """Single-exciton lifetime ``tau_x_ns`` (ns) at which the film average <N> at the uniform
    J_rec (A/m^2) equals ``n_target``, all other fields of ``p`` kept; None if the doubling scan
    passes ``tau_max_ns`` below the target (multiexciton decay can cap <N> at any tau_X).

    <N> grows monotonically with tau_X: doubling bracket upwards from 1 ns, then 60 bisections in
    log tau_X (the answer is never below 1 ns).
    """
    check_positive("n_target", n_target)
    T = p.t_ref_K if T_K is None else T_K

    def excess(tau):
        return occupancy(j_rec_A_per_m2, T, dataclasses.replace(p, tau_x_ns=tau)).n_mean[0] - n_target

    lo = 1.0
    while excess(2 * lo) < 0:
        lo *= 2
        if lo > tau_max_ns:
            return None
    a, b = math.log(lo), math.log(2 * lo)
    for _ in range(60):
        m = 0.5 * (a + b)
        a, b = (m, b) if excess(math.exp(m)) < 0 else (a, m)
    return math.exp(0.5 * (a + b))


def transparency_current_density(level: str = "1S", T_K: float | None = None,
                                 p: QDParams = QDParams()) -> float:
    """Uniform J_rec (A/m^2) at which ``level`` reaches transparency, x_l = 0."""
    if level not in LEVELS:
        raise InputError("level", level, "'1S' or '1P'")
    T = p.t_ref_K if T_K is None else T_K
    return _solve_current_density(lambda j: occupancy(j, T, p).inversion[level], 0.0, "level")


def saturated_peak_gain_per_m(wavelength_m, T_K: float | None = None,
                              p: QDParams = QDParams()) -> float:
    """Largest material gain (1/m) the model can give: 1S and 1P fully inverted (x_l = 1)."""
    T = np.array([p.t_ref_K if T_K is None else T_K], dtype=float)
    full = {lvl: np.ones(1) for lvl in LEVELS}
    return float(gain_spectrum(wavelength_m, full, T, p).max())


def threshold_current_density(g_th_per_m: float, wavelength_m, T_K: float | None = None,
                              p: QDParams = QDParams()) -> float:
    """Uniform J_rec (A/m^2) at which the peak material gain reaches ``g_th_per_m``.

    Returns ``math.inf`` if g_th exceeds the saturated gain (all 1S and 1P states inverted),
    i.e. no current can reach threshold.
    """
    check_positive("g_th_per_m", g_th_per_m)
    T = p.t_ref_K if T_K is None else T_K
    if g_th_per_m > saturated_peak_gain_per_m(wavelength_m, T, p):
        return math.inf
    return _solve_current_density(lambda j: evaluate(j, T, wavelength_m, p).peak_g_per_m,
                                  g_th_per_m, "g_th_per_m")
