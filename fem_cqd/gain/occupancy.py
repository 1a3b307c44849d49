"""Excitation rate per dot and the exciton-number distribution P_N (steady state and transient).

A dot holding N excitons (and, if pre-charged, c extra electrons: n_e = N + c, n_h = N) gains an
exciton at rate G and loses one at rate k_N. The probabilities obey the master equation of a
birth-death chain truncated at N = n_max,

    dP_N/dt = G P_{N-1} + k_{N+1} P_{N+1} - (G [N < n_max] + k_N) P_N,

whose steady state is P_N = P_0 prod_{m=1..N} G / k_m (detailed balance). All functions are
vectorised over positions: G, T have shape (npos,), P has shape (npos, n_max + 1).
"""
from __future__ import annotations

import math

import numpy as np

from ..constants import k_B, q
from ..errors import InputError, check_finite
from .params import QDParams


def as_positions(field: str, value, allow_zero: bool) -> np.ndarray:
    """``value`` as a finite 1-D float array, >= 0 (or > 0); raise InputError naming ``field``."""
    arr = np.atleast_1d(np.asarray(value, dtype=float))
    check_finite(field, arr)
    bad = arr < 0 if allow_zero else arr <= 0
    if arr.ndim != 1 or np.any(bad):
        raise InputError(field, value, "a scalar or 1-D array of numbers "
                         + (">= 0" if allow_zero else "> 0"))
    return arr


def excitation_rate(j_rec_A_per_m2, p: QDParams = QDParams()) -> np.ndarray:
    """Excitons created per dot per second, G = eta J_rec / (q n_dots).

    Parameters
    ----------
    j_rec_A_per_m2 : array_like, shape (npos,)
        Recombination current density reaching the QD film, A/m^2 (>= 0).
    p : QDParams
        Uses ``capture_efficiency`` and the areal density ``p.dots_per_m2``.
    """
    j = as_positions("j_rec_A_per_m2", j_rec_A_per_m2, allow_zero=True)
    return p.capture_efficiency * j / (q * p.dots_per_m2)


def single_exciton_rates(T_K, p: QDParams = QDParams()) -> tuple[np.ndarray, np.ndarray]:
    """Radiative and non-radiative single-exciton rates (k_X,r, k_X,nr) at temperature T, in 1/s.

    k_X,r = QY_ref / tau_ref is temperature independent; the non-radiative channel is activated,
    k_X,nr(T) = (1 - QY_ref)/tau_ref * exp(-E_a/k_B (1/T - 1/T_ref)), so that
    QY(T) = k_X,r / (k_X,r + k_X,nr) falls and tau_X(T) = 1/(k_X,r + k_X,nr) shortens with T.
    """
    T = as_positions("T_K", T_K, allow_zero=False)
    tau = p.tau_x_ns * 1e-9
    k_r = np.full_like(T, p.qy_x / tau)
    arrhenius = np.exp(-p.qy_activation_eV * q / k_B * (1.0 / T - 1.0 / p.t_ref_K))
    return k_r, (1.0 - p.qy_x) / tau * arrhenius


def quantum_yield(T_K, p: QDParams = QDParams()) -> np.ndarray:
    """Single-exciton quantum yield QY(T) = k_X,r / (k_X,r + k_X,nr(T))."""
    k_r, k_nr = single_exciton_rates(T_K, p)
    return k_r / (k_r + k_nr)


def decay_rates(T_K, p: QDParams = QDParams(), extra_electrons: int = 0) -> np.ndarray:
    """Total decay rate k_N (1/s) of the N-exciton state, N = 0 ... n_max, per position.

    With n_e = N + c electrons and n_h = N holes (c = ``extra_electrons``):

        k_N = k_X,r (n_e n_h)^(p/2) + k_X,nr(T) n_h + (k_XX,A / 4) n_e n_h (n_e + n_h - 2) / 2,

    i.e. for neutral dots k_N = N^p k_X,r + N k_X,nr + k_XX,A N^2 (N - 1)/4 (PHYSICS.md
    statistical scaling), and for the negative trion X- (c = 1, N = 1) radiative 2 k_X,r and
    Auger k_XX,A / 4. A user ``rate_table_per_ns`` replaces the model for neutral dots.

    Returns
    -------
    ndarray, shape (npos, n_max + 1); column 0 (no exciton) is 0.
    """
    k_r, k_nr = single_exciton_rates(T_K, p)
    N = np.arange(p.n_max + 1, dtype=float)
    if p.rate_table_per_ns is not None and extra_electrons == 0:
        table = np.concatenate([[0.0], np.asarray(p.rate_table_per_ns[: p.n_max]) * 1e9])
        return np.broadcast_to(table, (k_r.size, N.size)).copy()
    n_e, n_h = N + extra_electrons, N
    auger = p.k_xx_auger / 4.0 * n_e * n_h * (n_e + n_h - 2.0) / 2.0
    return radiative_rates(T_K, p, extra_electrons) + k_nr[:, None] * n_h + auger


def radiative_rates(T_K, p: QDParams = QDParams(), extra_electrons: int = 0) -> np.ndarray:
    """Radiative part of :func:`decay_rates`, k_N,r = k_X,r (n_e n_h)^(p/2), shape (npos, n_max + 1).

    A ``rate_table_per_ns`` gives total rates only: its radiative part is unknown (InputError).
    """
    if p.rate_table_per_ns is not None and extra_electrons == 0:
        raise InputError("rate_table_per_ns", "a table of total rates",
                         "None where the light/heat split is needed (the table has no radiative part)")
    k_r, _ = single_exciton_rates(T_K, p)
    N = np.arange(p.n_max + 1, dtype=float)
    return k_r[:, None] * ((N + extra_electrons) * N) ** (p.radiative_exponent / 2.0)


def _check_tail(P: np.ndarray, G: np.ndarray, p: QDParams) -> None:
    """Raise InputError('n_max') if the truncated state N = n_max holds more than ``tail_tol``."""
    tail = P[..., -1].max(axis=0) if P.ndim == 3 else P[:, -1]
    worst = int(np.argmax(tail))
    if tail[worst] > p.tail_tol:
        n_mean = float((P.reshape(-1, P.shape[-1]) @ np.arange(P.shape[-1])).max())
        raise InputError("n_max", p.n_max,
                         f"large enough that P(N = n_max) <= tail_tol = {p.tail_tol:g}; at "
                         f"G = {G[worst]:.3g} /s it is {tail[worst]:.3g} (<N> up to "
                         f"{n_mean:.3g}): raise n_max or lower the excitation")


def steady_state(G, k: np.ndarray, p: QDParams = QDParams()) -> np.ndarray:
    """Steady-state P_N of the birth-death chain: P_N = P_0 prod_{m=1..N} G / k_m.

    Evaluated in logarithms (no overflow for large G) and normalised so that sum_N P_N = 1.

    Parameters
    ----------
    G : array_like, shape (npos,)
        Excitation rate per dot, 1/s (>= 0; G = 0 gives P_0 = 1).
    k : ndarray, shape (npos, n_max + 1)
        Decay rates from :func:`decay_rates` (column 0 unused).
    p : QDParams
        Supplies ``tail_tol`` for the truncation check.

    Raises
    ------
    InputError
        ``n_max`` if P(N = n_max) > ``tail_tol`` (truncation too small for this excitation).
    """
    G = as_positions("G", G, allow_zero=True)
    with np.errstate(divide="ignore"):
        log_ratio = np.log(G)[:, None] - np.log(k[:, 1:])
    log_w = np.concatenate([np.zeros((G.size, 1)), np.cumsum(log_ratio, axis=1)], axis=1)
    w = np.exp(log_w - log_w.max(axis=1, keepdims=True))
    P = w / w.sum(axis=1, keepdims=True)
    _check_tail(P, G, p)
    return P


def generator(G, k: np.ndarray) -> np.ndarray:
    """Master-equation matrices A (npos, M, M), dP/dt = A P, M = n_max + 1 (columns sum to 0)."""
    G = as_positions("G", G, allow_zero=True)
    npos, M = k.shape
    A = np.zeros((npos, M, M))
    up, down = np.arange(M - 1), np.arange(1, M)
    A[:, up + 1, up] = G[:, None]
    A[:, down - 1, down] = k[:, 1:]
    A[:, np.arange(M), np.arange(M)] = -A.sum(axis=1)
    return A


def expm_batched(X: np.ndarray, order: int = 16) -> np.ndarray:
    """exp(X) for a stack of matrices X (..., M, M), vectorised over the stack.

    Scaling and squaring carried on F = exp(Y) - I, Y = X / 2^s with ||Y||_1 <= 1/2 for every
    matrix: F = sum_{i=1..order} Y^i / i! (truncation < 0.5^17/17! ~ 2e-20), then s times
    F <- 2F + F^2. Squaring F rather than I + F avoids the cancellation that costs plain
    squaring (and scipy.linalg.expm) ~50x in accuracy for long times (measured: 1e-11 vs 7e-10
    off the steady state after 1e-4 s).
    """
    norm = np.abs(X).sum(axis=-2).max() if X.size else 0.0
    s = math.ceil(math.log2(norm / 0.5)) if norm > 0.5 else 0
    Y = X / 2.0**s
    F = Y / order
    for i in range(order - 1, 0, -1):      # Horner: F = Y/1 (I + Y/2 (I + ... Y/order))
        F = (Y + Y @ F) / i
    for _ in range(s):
        F = 2.0 * F + F @ F
    return np.eye(X.shape[-1]) + F


def transient(G, k: np.ndarray, times_s, p0: np.ndarray | None = None,
              p: QDParams = QDParams()) -> np.ndarray:
    """P_N(t) under a constant excitation G switched on at t = 0: P(t) = expm(A t) P(0).

    A pulse is two calls: excitation on from empty dots, then G = 0 from the last state. The
    matrix exponential is :func:`expm_batched`, vectorised over positions.

    Parameters
    ----------
    G : array_like, shape (npos,)
        Excitation rate per dot during the interval, 1/s.
    k : ndarray, shape (npos, n_max + 1)
        Decay rates from :func:`decay_rates`.
    times_s : array_like, shape (nt,)
        Times >= 0 after switch-on, s.
    p0 : ndarray, shape (npos, n_max + 1), optional
        Initial distribution (rows summing to 1); default empty dots, P_0 = 1.

    Returns
    -------
    ndarray, shape (nt, npos, n_max + 1); probabilities in [0, 1] summing to 1.
    """
    A = generator(G, k)
    t = as_positions("times_s", times_s, allow_zero=True)
    npos, M = k.shape
    if p0 is None:
        p0 = np.zeros((npos, M))
        p0[:, 0] = 1.0
    p0 = np.asarray(p0, dtype=float)
    if p0.shape != (npos, M) or np.any(p0 < 0) or not np.allclose(p0.sum(axis=1), 1.0, atol=1e-9):
        raise InputError("p0", f"array of shape {p0.shape}",
                         f"shape {(npos, M)}, entries >= 0, rows summing to 1")
    P = np.stack([np.einsum("pij,pj->pi", expm_batched(A * ti), p0) for ti in t])
    P = np.clip(P, 0.0, None)   # expm round-off can leave -1e-17
    P /= P.sum(axis=-1, keepdims=True)
    _check_tail(P, np.asarray(G, dtype=float).ravel(), p)
    return P


def mean_excitons(P: np.ndarray) -> np.ndarray:
    """<N> = sum_N N P_N over the last axis."""
    return P @ np.arange(P.shape[-1], dtype=float)
