r"""Temperature at the end of a pulse in a periodic pulse train, from the heat equation's step response.

A source q(x) a(t) switched on and off periodically -- on for the pulse width w, period P = w / D
(D the duty cycle) -- heats a point, once the train has run long enough to be periodic, to (at the
end of a pulse)

    dT_end = sum_{m >= 0} [ g(m P + w) - g(m P) ],

the superposition of the step response g(t) (the rise for the source switched on at t = 0:
g(0) = 0, g(inf) = dT_dc): pulse m switched on m P + w before the instant and off m P before it.
Limits: D = 1 gives dT_dc (the sum telescopes); a single pulse is the m = 0 term g(w); for
g = dT_dc (1 - exp(-t / tau)), dT_end = dT_dc (1 - exp(-w / tau)) / (1 - exp(-P / tau)).

The sum is exact for a linear heat problem (conductivities independent of T). g is given at
sample times t_k (increasing, g(t_k) from a transient solve) and taken as dT_dc after the last
sample (which must be steady); between samples it is interpolated linearly in ln t, before the
first linearly from g(0) = 0. The terms with m P beyond ``EXPLICIT_TERMS`` periods are summed as
the integral they approach when g barely changes over a period, D (dT_dc - g(m0 P)).
"""
from __future__ import annotations

import numpy as np

from .errors import InputError

EXPLICIT_TERMS = 20000    # periods summed term by term; the rest as D (g(inf) - g(m0 P))


def _check_times(times_s) -> np.ndarray:
    t = np.asarray(times_s, dtype=float)
    if t.ndim != 1 or t.size < 2 or not (np.all(np.isfinite(t)) and t[0] > 0 and np.all(np.diff(t) > 0)):
        raise InputError("times_s", np.ravel(t)[:4].tolist(), "at least two increasing sample times > 0 s")
    return t


def _basis(t: np.ndarray, s: np.ndarray) -> np.ndarray:
    """Rows B with g(s) = B @ g(t_k) for the interpolation of the module doc."""
    B = np.zeros((s.size, t.size))
    rows = np.arange(s.size)
    early = s < t[0]
    B[rows[early], 0] = np.maximum(s[early], 0.0) / t[0]
    late = s >= t[-1]
    B[rows[late], -1] = 1.0
    mid = rows[~early & ~late]
    ls, lt = np.log(s[mid]), np.log(t)
    i = np.clip(np.searchsorted(lt, ls, side="right") - 1, 0, t.size - 2)
    f = (ls - lt[i]) / (lt[i + 1] - lt[i])
    B[mid, i] = 1.0 - f
    B[mid, i + 1] = f
    return B


def train_weights(times_s, width_s: float, duty: float) -> np.ndarray:
    """W with dT_end = W @ g(t_k) for any step response sampled at ``times_s`` (module doc):
    the sum is linear in g, so one W serves every point and current of a device."""
    t = _check_times(times_s)
    w, D = float(width_s), float(duty)
    if not (np.isfinite(w) and w > 0):
        raise InputError("width_s", width_s, "a pulse width > 0 s")
    if not (np.isfinite(D) and 0 < D <= 1):
        raise InputError("duty", duty, "a duty cycle in (0, 1]")
    last = np.zeros(t.size)
    last[-1] = 1.0
    if D == 1.0:
        return last
    P = w / D
    m = np.arange(EXPLICIT_TERMS) * P
    W = _basis(t, m + w).sum(axis=0) - _basis(t, m).sum(axis=0)
    return W + D * (last - _basis(t, np.array([EXPLICIT_TERMS * P]))[0])


def train_end_rise(times_s, rise_K, width_s: float, duty: float) -> np.ndarray:
    """dT at the end of a pulse of the periodic train (module doc) from step responses ``rise_K``
    sampled at ``times_s`` (last axis: time); ``width_s`` > 0, ``duty`` in (0, 1]."""
    g = np.asarray(rise_K, dtype=float)
    if g.shape[-1:] != np.shape(times_s) or not np.all(np.isfinite(g)):
        raise InputError("rise_K", g.shape, "finite rises (K), one per sample time on the last axis")
    return g @ train_weights(times_s, width_s, duty)
