r"""Carrier mobility per element edge, one model per region and carrier, chosen by name.

Every model is a :class:`MobilityModel` in :data:`MOBILITY`: a temperature law for the zero-field,
low-density mobility ``mu_0(T)`` and a function giving the edge mobility and its derivatives from
the element field and the carrier density on the edge. A new model is one function plus one
registry line.

- ``"constant"``:       mu = mu_0(T),  mu_0(T) = mu_300 exp[-E_a/k_B (1/T - 1/300 K)]
- ``"poole_frenkel"``:  mu = mu_0(T) exp(gamma sqrt(F))                       (same mu_0(T))
- ``"egdm"``: the extended Gaussian disorder model of Pasveer et al., Phys. Rev. Lett. 94, 206601
  (2005), for hopping in a Gaussian DOS of width sigma on a cubic lattice of spacing a = N0^(-1/3)
  (sigma^ = sigma / k_B T)::

      mu(T, c, F) = mu_0(T) g_1(c, T) g_2(F, T)
      mu_0(T)     = mu_0* c_1 exp(-c_2 sigma^2),     c_1 = 1.8e-9, c_2 = 0.42
      g_1         = exp[(sigma^2 - sigma^)/2 (2 c a^3)^delta],
                    delta = 2 [ln(sigma^2 - sigma^) - ln(ln 4)] / sigma^2
      g_2         = exp{0.44 (sigma^(3/2) - 2.2) [sqrt(1 + 0.8 (F e a / sigma)^2) - 1]}

  The material's ``mu_300`` is mu at 300 K, low density and zero field, so
  mu_0(T) = mu_300 exp[-c_2 (sigma^(T)^2 - sigma^(300 K)^2)]. The parametrisation holds for
  3 <= sigma^ <= 6, c a^3 <= 0.1 and F e a / sigma <= 2 (the ranges the implementations state:
  oedes, ``mzszym/oedes`` ``functions/egdm.py``, "recommended 3<=nsigma<=6", c < 0.1, F^ < 2; the
  PRL's own sentence was not available). A temperature outside the sigma^ range is refused before
  any solve; beyond c a^3 = 0.1 and F^ = 2, g_1 and g_2 are held at their values there (as oedes
  does), so the mobility stays bounded where the fit has no data.

F is the element field magnitude sqrt(|grad psi|^2 + F_0^2), regularised by F_0 = 1 V/m so that
the derivatives stay finite at zero field. The density on an edge is the geometric mean of its end
densities, c_ab = exp((L_a + L_b)/2) with L = ln c, so d mu / d L_a = d mu / d L_b = (d mu / d ln c)/2.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..constants import T0, k_B, q

F0 = 1.0                      # V/m, regularisation of the field magnitude at zero field
EGDM_C1, EGDM_C2 = 1.8e-9, 0.42
EGDM_SIGMA_HAT = (3.0, 6.0)   # sigma/kT range of the parametrisation (see module doc)
EGDM_MAX_CA3, EGDM_MAX_FHAT = 0.1, 2.0


@dataclass(frozen=True, eq=False)
class Inputs:
    """What a model may use, per element of one region (arrays (ne,) unless noted).

    mu0 : zero-field, low-density mobility at the element temperature (m^2/Vs)
    gamma : Poole-Frenkel factor (sqrt(m/V))
    F : field magnitude (V/m), regularised
    L_edge : (3, ne) ln of the carrier density on each edge (m^-3); None for density-blind models
    s_hat : sigma / k_B T; a : lattice spacing N0^(-1/3) (m); sigma : DOS width (eV)
    """

    mu0: np.ndarray
    gamma: np.ndarray
    F: np.ndarray
    L_edge: np.ndarray | None
    s_hat: np.ndarray
    a: np.ndarray
    sigma: np.ndarray


def _per_edge(x):
    return np.broadcast_to(x, (3,) + np.shape(x))


def constant(inp: Inputs):
    """mu = mu_0: returns (mu (3, ne), d mu/dF, d mu/d ln c) with None for absent derivatives."""
    return _per_edge(inp.mu0), None, None


def poole_frenkel(inp: Inputs):
    """mu = mu_0 exp(gamma sqrt(F))."""
    mu = inp.mu0 * np.exp(inp.gamma * np.sqrt(inp.F))
    return _per_edge(mu), _per_edge(mu * inp.gamma * 0.5 / np.sqrt(inp.F)), None


def egdm_delta(s_hat):
    """delta(sigma^) of the EGDM density law."""
    return 2.0 * (np.log(s_hat ** 2 - s_hat) - np.log(np.log(4.0))) / s_hat ** 2


def egdm(inp: Inputs):
    """EGDM mobility (module doc): mu_0 g_1(c) g_2(F) per edge, and its F and ln c derivatives."""
    s = inp.s_hat
    delta = egdm_delta(s)
    ln_c = inp.L_edge + 3.0 * np.log(inp.a)                        # ln(c a^3), (3, ne)
    held = ln_c > np.log(EGDM_MAX_CA3)
    x = np.exp(delta * (np.minimum(ln_c, np.log(EGDM_MAX_CA3)) + np.log(2.0)))   # (2 c a^3)^delta
    ln_g1 = 0.5 * (s ** 2 - s) * x
    dln_g1 = np.where(held, 0.0, ln_g1 * delta)                    # d ln g1 / d ln c
    if inp.F is None:                                              # zero-field mobility asked for
        mu = inp.mu0 * np.exp(ln_g1)
        return mu, None, mu * dln_g1
    u = inp.F * inp.a / inp.sigma                                  # F e a / sigma (sigma in eV)
    uc = np.minimum(u, EGDM_MAX_FHAT)
    root = np.sqrt(1.0 + 0.8 * uc ** 2)
    k2 = 0.44 * (s ** 1.5 - 2.2)
    ln_g2 = k2 * (root - 1.0)
    dln_g2 = np.where(u > EGDM_MAX_FHAT, 0.0, k2 * 0.8 * uc / root * (inp.a / inp.sigma))   # d ln g2 / dF
    mu = inp.mu0 * np.exp(ln_g1 + ln_g2)
    return mu, mu * dln_g2, mu * dln_g1


def arrhenius_prefactor(mu_300, activation_eV, sigma, T):
    """mu_300 exp[-E_a/k_B (1/T - 1/300 K)] (``sigma`` unused)."""
    return mu_300 * np.exp(-activation_eV * q / k_B * (1.0 / T - 1.0 / T0))


def egdm_prefactor(mu_300, activation_eV, sigma, T):
    """mu_300 exp[-c_2 ((sigma/kT)^2 - (sigma/kT_300)^2)] (``activation_eV`` unused: must be 0)."""
    s, s0 = sigma * q / (k_B * T), sigma * q / (k_B * T0)
    return mu_300 * np.exp(-EGDM_C2 * (s ** 2 - s0 ** 2))


@dataclass(frozen=True)
class MobilityModel:
    """A mobility model: temperature law, edge evaluation, and what the mobility depends on."""

    prefactor: Callable          # (mu_300, E_a, sigma, T) -> mu_0(T)
    evaluate: Callable           # (Inputs) -> (mu, d mu/dF or None, d mu/d ln c or None)
    field_dependent: bool
    density_dependent: bool
    sigma_hat_range: tuple | None = None


MOBILITY = {
    "constant": MobilityModel(arrhenius_prefactor, constant, False, False),
    "poole_frenkel": MobilityModel(arrhenius_prefactor, poole_frenkel, True, False),
    "egdm": MobilityModel(egdm_prefactor, egdm, True, True, EGDM_SIGMA_HAT),
}


def element_field(grad, psi_e):
    """grad psi per element (2, ne) from nodal psi at element vertices ``psi_e`` (3, ne)."""
    return np.einsum("dke,ke->de", grad, psi_e)


def field_magnitude(grad, psi_e):
    """F = sqrt(|grad psi|^2 + F_0^2) per element and dF/dpsi_k at its 3 vertices (3, ne)."""
    g = element_field(grad, psi_e)
    F = np.sqrt(g[0] ** 2 + g[1] ** 2 + F0 ** 2)
    return F, np.einsum("de,dke->ke", g, grad) / F
