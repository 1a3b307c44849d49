"""Carrier mobility per element: constant, thermally activated, Poole-Frenkel field dependent.

    mu(T, F) = mu_300 * exp[-E_a/k_B (1/T - 1/300 K)] * exp(gamma sqrt(F))

``F = sqrt(|grad psi|^2 + F_0^2)`` is the element field (P1: constant per element), regularised by
F_0 = 1 V/m so the derivative stays finite at zero field. The temperature factor is
``Material.mobility_temperature_factor`` at the element temperature.
"""
from __future__ import annotations

import numpy as np

F0 = 1.0   # V/m, regularisation of sqrt(F) at zero field


def element_field(grad, psi_e):
    """grad psi per element (2, ne) from nodal psi at element vertices ``psi_e`` (3, ne)."""
    return np.einsum("dke,ke->de", grad, psi_e)


def poole_frenkel(mu_base, gamma, grad, psi_e):
    """Mobility mu_base exp(gamma sqrt(F)) per element and d mu / d psi_k at its 3 vertices.

    Parameters
    ----------
    mu_base : (ne,) zero-field mobility at the element temperature (m^2/Vs)
    gamma : (ne,) Poole-Frenkel factor, sqrt(m/V)
    grad : (2, 3, ne) barycentric gradients; psi_e : (3, ne) vertex potentials
    """
    g = element_field(grad, psi_e)
    F = np.sqrt(g[0] ** 2 + g[1] ** 2 + F0 ** 2)
    mu = mu_base * np.exp(gamma * np.sqrt(F))
    dF = np.einsum("de,dke->ke", g, grad) / F                  # dF/dpsi_k
    dmu = (mu * gamma * 0.5 / np.sqrt(F)) * dF
    return mu, dmu, F
