"""Closed-form references for tests and benchmarks: a flat module of pure functions.

All inputs and outputs are SI (m, W, K, s). Temperatures are rises above the heat sink / the
initial temperature unless said otherwise. Sources: PHYSICS.md ("Closed forms"), Carslaw & Jaeger,
*Conduction of Heat in Solids* (2nd ed., 1959) §2.9, §8.2, §10.5.
"""
from __future__ import annotations

import math

import numpy as np
from scipy import integrate, special

# ---------------------------------------------------------------------------------------------
# Heat
# ---------------------------------------------------------------------------------------------


def slab_uniform_generation(y, thickness, q_volumetric, k):
    """Temperature rise in a slab 0 <= y <= L with uniform generation, T(0) = 0, adiabatic at y = L.

    Solves -k T'' = Q: T(y) = (Q / k) (L y - y^2 / 2); the top rise is Q L^2 / (2 k).
    """
    y = np.asarray(y, dtype=float)
    return q_volumetric / k * (thickness * y - 0.5 * y * y)


def isothermal_disc_resistance(k, a):
    """Spreading resistance of an isothermal disc of radius ``a`` on a half-space, R = 1/(4 k a) [K/W]."""
    return 1.0 / (4.0 * k * a)


def uniform_flux_disc_centre_rise(q, k, a):
    """Centre rise of a disc of radius ``a`` under uniform flux ``q`` on a half-space: q a / k."""
    return q * a / k


def uniform_flux_disc_mean_rise(q, k, a):
    """Disc-mean rise of the uniform-flux disc on a half-space: (8 / 3 pi) q a / k."""
    return 8.0 / (3.0 * math.pi) * q * a / k


def uniform_flux_disc_surface_rise(r, q, k, a):
    """Surface rise at radius ``r`` under a uniform-flux disc on a half-space.

    T(r) = (2 q a / pi k) E(r/a) for r <= a and (2 q r / pi k)[E(a/r) - (1 - a^2/r^2) K(a/r)] for
    r > a (E, K complete elliptic integrals of modulus a/r; scipy takes the parameter m = modulus^2).
    """
    r = np.asarray(r, dtype=float)
    out = np.empty_like(r)
    inside = r <= a
    out[inside] = 2 * q * a / (math.pi * k) * special.ellipe((r[inside] / a) ** 2)
    ro = r[~inside]
    m = (a / ro) ** 2
    out[~inside] = 2 * q * ro / (math.pi * k) * (special.ellipe(m) - (1 - m) * special.ellipk(m))
    return out


def step_flux_surface_rise(t, q, k, rho_c):
    """Surface rise of a half-space under a flux ``q`` switched on at t = 0: 2 q sqrt(t/pi) / sqrt(k rho c)."""
    t = np.asarray(t, dtype=float)
    return 2.0 * q * np.sqrt(t / math.pi) / math.sqrt(k * rho_c)


def step_flux_rise(t, depth, q, k, rho_c):
    """Rise at ``depth`` below the surface of a half-space under a step flux ``q`` (Carslaw & Jaeger 2.9).

    T = (2 q / k) [sqrt(alpha t / pi) exp(-z^2 / 4 alpha t) - (z / 2) erfc(z / 2 sqrt(alpha t))].
    """
    t = np.asarray(t, dtype=float)
    alpha = k / rho_c
    s = np.sqrt(alpha * t)
    return 2 * q / k * (s / math.sqrt(math.pi) * np.exp(-depth ** 2 / (4 * s * s)) - 0.5 * depth * special.erfc(depth / (2 * s)))


def stripe_centre_rise(q, k, w, h):
    """Centre rise of a uniform-flux stripe (width w) on a substrate of thickness h, far face at T0.

    Planar, per unit length, w << h (exact up to terms ~ exp(-pi h / w)):
    (q w / pi k) [ln(8 h / (pi w)) + 1].
    """
    return q * w / (math.pi * k) * (math.log(8 * h / (math.pi * w)) + 1.0)


def stripe_mean_rise(q, k, w, h):
    """Stripe-mean rise of the uniform-flux stripe, w << h: (q w / pi k) [ln(4 h / (pi w)) + 3/2]."""
    return q * w / (math.pi * k) * (math.log(4 * h / (math.pi * w)) + 1.5)


def stripe_joyce_dixon_rise(q, k, w, h):
    """The often-quoted estimate ln(4 h / w) / (pi k L) times the power q w L: (q w / pi k) ln(4 h / w).

    Not exact: it drops the constant terms of :func:`stripe_mean_rise` (4-8 % low for h/w = 100...5).
    """
    return q * w / (math.pi * k) * math.log(4 * h / w)


def _fourier_tail(f, a, x0, weight):
    """int_x0^inf f(xi) weight(a xi) d xi with QAWF (weight 'sin' or 'cos')."""
    val, _ = integrate.quad(f, x0, np.inf, weight=weight, wvar=a, limlst=200)
    return val


def stripe_centre_rise_exact(q, k, w, h):
    """Centre rise of the uniform-flux stripe for any w/h (infinitely wide substrate, far face at T0).

    (2 q / pi k) int_0^inf sin(xi w / 2) tanh(xi h) / xi^2 d xi, split into a smooth finite part
    and a Fourier tail (QAWF).
    """
    a = 0.5 * w
    x0 = 40.0 / h + 40.0 / w
    head, _ = integrate.quad(lambda x: math.sin(a * x) * math.tanh(x * h) / (x * x) if x > 0 else a * h,
                             0.0, x0, limit=2000, epsabs=0, epsrel=1e-12)
    tail = _fourier_tail(lambda x: math.tanh(x * h) / (x * x), a, x0, "sin")
    return 2 * q / (math.pi * k) * (head + tail)


def stripe_mean_rise_exact(q, k, w, h):
    """Stripe-mean rise of the uniform-flux stripe for any w/h.

    (4 q / pi k w) int_0^inf sin^2(xi w / 2) tanh(xi h) / xi^3 d xi.
    """
    a = 0.5 * w
    x0 = 40.0 / h + 40.0 / w

    def f(x):
        return math.sin(a * x) ** 2 * math.tanh(x * h) / x ** 3 if x > 0 else a * a * h

    head, _ = integrate.quad(f, 0.0, x0, limit=2000, epsabs=0, epsrel=1e-12)
    # sin^2 = (1 - cos(w xi)) / 2 on the tail
    g = lambda x: math.tanh(x * h) / x ** 3  # noqa: E731
    plain = 0.5 / (x0 * x0)            # tanh(x h) = 1 to double precision for x > x0 (x0 h >= 40)
    tail = 0.5 * plain - 0.5 * _fourier_tail(g, w, x0, "cos")
    return 4 * q / (math.pi * k * w) * (head + tail)


def isothermal_stripe_resistance(k, w, h, length=1.0):
    """Isothermal stripe on a heat-sunk substrate, w << h: R = ln(16 h / (pi w)) / (pi k L) [K/W]."""
    return math.log(16 * h / (math.pi * w)) / (math.pi * k * length)
