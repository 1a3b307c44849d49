"""Recombination rates per element vertex, and their derivatives (Boltzmann carriers).

With n = N_c exp((psi + chi - phi_n)/V_T), p = N_v exp((phi_p - psi - chi - E_g)/V_T) the excess
product is evaluated without cancellation as ``np - ni^2 = ni^2 expm1((phi_p - phi_n)/V_T)``.

Mechanisms (each on when its coefficients are non-zero, switchable per region):

- radiative   R = B (np - ni^2)                                   (all radiative)
- Langevin    R = f q (mu_n + mu_p)/eps (np - ni^2)               (share ``langevin_radiative_fraction``)
- SRH         R = (np - ni^2) / (tau_p (n + ni) + tau_n (p + ni))  (midgap trap, non-radiative)
- Auger       R = (C_n n + C_p p)(np - ni^2)                      (non-radiative)

Langevin uses the zero-field mobilities at the element temperature.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MECHANISMS = ("radiative", "langevin", "srh", "auger")


@dataclass(frozen=True, eq=False)
class RecombinationCoefficients:
    """Per-element coefficients (ne,), zero where a mechanism is off."""

    k_rad: np.ndarray        # m^3/s, radiative
    k_lang: np.ndarray       # m^3/s, Langevin (f q (mu_n + mu_p)/eps)
    frac_lang: np.ndarray    # radiative share of Langevin
    inv_srh: np.ndarray      # 1 where SRH is on, else 0
    tau_n: np.ndarray        # s (1 where off, masked by inv_srh)
    tau_p: np.ndarray
    c_n: np.ndarray          # m^6/s
    c_p: np.ndarray

    @property
    def any(self) -> bool:
        return bool(np.any(self.k_rad) or np.any(self.k_lang) or np.any(self.inv_srh)
                    or np.any(self.c_n) or np.any(self.c_p))


def rates(n, p, ni2, em1, ni, VT, co: RecombinationCoefficients):
    """R, R_radiative and dR/d(psi, phi_n, phi_p) at element vertices (arrays (3, ne)).

    ``em1 = expm1((phi_p - phi_n)/V_T)``; ``VT`` (ne,) or scalar.
    """
    D = ni2 * em1                                   # np - ni^2
    np_ = ni2 * (em1 + 1.0)
    dD = (0.0, -np_ / VT, np_ / VT)                 # d/d(psi, phi_n, phi_p)
    dn = (n / VT, -n / VT, 0.0)
    dp = (-p / VT, 0.0, p / VT)
    k_bi = co.k_rad + co.k_lang
    R = k_bi * D
    R_rad = (co.k_rad + co.frac_lang * co.k_lang) * D
    dR = [k_bi * d for d in dD]
    if np.any(co.inv_srh):
        S = co.tau_p * (n + ni) + co.tau_n * (p + ni)
        R = R + co.inv_srh * D / S
        for k in range(3):
            dS = co.tau_p * dn[k] + co.tau_n * dp[k]
            dR[k] = dR[k] + co.inv_srh * (dD[k] / S - D * dS / S ** 2)
    if np.any(co.c_n) or np.any(co.c_p):
        A = co.c_n * n + co.c_p * p
        R = R + A * D
        for k in range(3):
            dR[k] = dR[k] + A * dD[k] + (co.c_n * dn[k] + co.c_p * dp[k]) * D
    return R, R_rad, dR
