r"""Recombination rates at element vertices, one function per mechanism, summed.

Written through the carrier statistics (any of :mod:`.statistics`): with L_n = ln n, L_p = ln p
and u = (phi_p - phi_n)/V_T the excess product is

    D = n p (1 - exp(-u))

which vanishes in equilibrium (phi_n = phi_p) whatever the statistics, has the sign of u, and for
Boltzmann carriers equals n p - n_i^2 (there n p = n_i^2 e^u). Mechanisms (each on where its
coefficients are non-zero; switchable per region by name in ``build_device``):

- ``radiative``  R = B D                                            (all radiative)
- ``langevin``   R = f q (mu_n + mu_p)/eps D                        (share ``langevin_radiative_fraction``)
- ``srh``        R = D / (tau_p (n + n_1) + tau_n (p + p_1))        (trap at the intrinsic level: n_1, p_1
                                                                      from the statistics, = n_i for Boltzmann)
- ``auger``      R = (C_n n + C_p p) D                              (non-radiative)

Langevin uses the zero-field, low-density mobilities at the element temperature. Every function
returns R and its derivatives with respect to (L_n, L_p, u); the assembly chains them to the
unknowns. A new mechanism is one function plus one line in :data:`MECHANISMS`.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, eq=False)
class Coefficients:
    """Per-element coefficients over the semiconductor elements (ns,), zero where a mechanism is off."""

    k_rad: np.ndarray        # m^3/s, radiative
    k_lang: np.ndarray       # m^3/s, Langevin (f q (mu_n + mu_p)/eps)
    frac_lang: np.ndarray    # radiative share of Langevin
    srh_on: np.ndarray       # 1 where SRH is on, else 0
    tau_n: np.ndarray        # s (1 where off)
    tau_p: np.ndarray
    n1: np.ndarray           # m^-3, electron density with E_F at the trap level
    p1: np.ndarray
    c_n: np.ndarray          # m^6/s
    c_p: np.ndarray


def excess(Ln, Lp, u):
    """D = n p (1 - e^-u) and dD/d(L_n, L_p, u)."""
    with np.errstate(over="ignore", under="ignore"):
        np_ = np.exp(Ln + Lp)
        D = np_ * -np.expm1(-u)
        return D, (D, D, np_ * np.exp(-u))


def radiative(co, n, p, D, dD):
    return co.k_rad * D, tuple(co.k_rad * d for d in dD)


def langevin(co, n, p, D, dD):
    return co.k_lang * D, tuple(co.k_lang * d for d in dD)


def srh(co, n, p, D, dD):
    S = co.tau_p * (n + co.n1) + co.tau_n * (p + co.p1)
    dS = (co.tau_p * n, co.tau_n * p, 0.0)
    return co.srh_on * D / S, tuple(co.srh_on * (d / S - D * ds / S ** 2) for d, ds in zip(dD, dS))


def auger(co, n, p, D, dD):
    A = co.c_n * n + co.c_p * p
    dA = (co.c_n * n, co.c_p * p, 0.0)
    return A * D, tuple(A * d + da * D for d, da in zip(dD, dA))


#: name -> (rate function, radiative share of it as a function of the coefficients)
MECHANISMS = {
    "radiative": (radiative, lambda co: 1.0),
    "langevin": (langevin, lambda co: co.frac_lang),
    "srh": (srh, lambda co: 0.0),
    "auger": (auger, lambda co: 0.0),
}


def active(co: Coefficients) -> tuple:
    """Names of the mechanisms switched on somewhere (fixed per device: the Jacobian layout
    depends on it, never on the state)."""
    on = {"radiative": co.k_rad, "langevin": co.k_lang, "srh": co.srh_on, "auger": np.abs(co.c_n) + np.abs(co.c_p)}
    return tuple(k for k in MECHANISMS if np.any(on[k]))


def rates(mechanisms, co: Coefficients, Ln, Lp, u):
    """Total R, radiative R_rad and dR/d(L_n, L_p, u) at element vertices (arrays (3, ns))."""
    with np.errstate(over="ignore", under="ignore"):
        n, p = np.exp(Ln), np.exp(Lp)
    D, dD = excess(Ln, Lp, u)
    R = np.zeros_like(D)
    R_rad = np.zeros_like(D)
    dR = [np.zeros_like(D) for _ in range(3)]
    for name in mechanisms:
        fun, share = MECHANISMS[name]
        r, dr = fun(co, n, p, D, dD)
        R += r
        R_rad += share(co) * r
        for k in range(3):
            dR[k] += dr[k]
    return R, R_rad, dR
