"""Band-edge gain spectra of the QD film from the exciton-number distribution.

Filling model (stated, assumed): a dot with N excitons and c extra electrons holds
n_e = N + c electrons and n_h = N holes. Electrons fill the 1S level (2 states) first, then 1P
(6 states): n_1S = min(n_e, 2), n_1P = min(max(n_e - 2, 0), 6); holes fill hole levels of the same
degeneracies the same way (the usual symmetric model behind the Poisson transparency
<N> = 1.146). A transition of degeneracy d with electron and hole filling f_e = n_e,l/d,
f_h = n_h,l/d absorbs in proportion to (1 - f_e)(1 - f_h) - f_e f_h = 1 - f_e - f_h, so its
*inversion* is x_l = <f_e + f_h - 1> averaged over P_N: -1 unpumped, +1 fully inverted. For the
1S level of a neutral film x_1S = P(N>=2) - P_0, zero at <N> = 1.146 for Poisson statistics.

The material gain (1/m) at photon energy E is

    g(E) = g_1S sum_l (d_l / 2) x_l V(E - E_l(T); sigma_inh, gamma_hom(T)) / V_ref(0),

with V a Voigt profile (Gaussian inhomogeneous sigma, Lorentzian homogeneous width), V_ref its
peak at the reference temperature and g_1S = ``g_max_1s_per_cm`` the peak 1S gain at full
inversion; each state carries the same oscillator strength (assumed). Temperature shifts the
lines by dE/dT and broadens the Lorentzian; the integrated strength is conserved.
"""
from __future__ import annotations

import numpy as np
from scipy.special import voigt_profile

from ..constants import c0, h, q
from ..errors import InputError, check_finite
from .params import QDParams

LEVELS = {"1S": (0, 2), "1P": (2, 6)}   # (electron states below the level, degeneracy)
SUBGAP_EV = 0.5          # validity: photon energies down to E_1S - 0.5 eV (transparent there)
FWHM_TO_SIGMA = 1.0 / (2.0 * np.sqrt(2.0 * np.log(2.0)))


def level_fill(n_carriers: np.ndarray, level: str) -> np.ndarray:
    """Fractional filling n_l / d_l of ``level`` ('1S' or '1P') by n carriers filled in order."""
    below, d = LEVELS[level]
    return np.clip(n_carriers - below, 0, d) / d


def inversion(P: np.ndarray, level: str, extra_electrons: int = 0) -> np.ndarray:
    """Population inversion x_l = sum_N P_N (f_e(N + c) + f_h(N) - 1) of ``level`` per position.

    Parameters
    ----------
    P : ndarray, shape (..., n_max + 1)
        Exciton-number distribution.
    level : '1S' or '1P'
    extra_electrons : int
        c, the extra electrons of a pre-charged dot.
    """
    if level not in LEVELS:
        raise InputError("level", level, "'1S' or '1P'")
    N = np.arange(P.shape[-1], dtype=float)
    return P @ (level_fill(N + extra_electrons, level) + level_fill(N, level) - 1.0)


def transition_energies_eV(T_K, p: QDParams = QDParams()) -> dict[str, np.ndarray]:
    """E_1S(T) = hc/lambda_1S + dE/dT (T - T_ref) and E_1P = E_1S + Delta_1P, in eV."""
    T = np.atleast_1d(np.asarray(T_K, dtype=float))
    e1s = h * c0 / (p.lambda_1s_nm * 1e-9) / q + p.de_dt_meV_per_K * 1e-3 * (T - p.t_ref_K)
    return {"1S": e1s, "1P": e1s + p.delta_1p_meV * 1e-3}


def _lorentz_hwhm_eV(T: np.ndarray, p: QDParams) -> np.ndarray:
    fwhm = p.fwhm_hom_meV + p.dfwhm_hom_dt_meV_per_K * (T - p.t_ref_K)
    return 0.5e-3 * np.maximum(fwhm, 1e-3)


def valid_wavelength_range_m(T_K, p: QDParams = QDParams()) -> tuple[float, float]:
    """Wavelengths (m) where the 1S + 1P model holds at every temperature in ``T_K``.

    Short side: up to one inhomogeneous FWHM above the 1P line (higher transitions, not in the
    model, absorb beyond). Long side: down to E_1S - 0.5 eV (sub-gap, g -> 0).
    """
    E = transition_energies_eV(T_K, p)
    e_hi = float(E["1P"].min()) + p.fwhm_inh_meV * 1e-3
    e_lo = float(E["1S"].max()) - SUBGAP_EV
    return h * c0 / (q * e_hi), h * c0 / (q * e_lo)


def check_wavelengths(wavelength_m, T_K, p: QDParams = QDParams()) -> np.ndarray:
    """Return ``wavelength_m`` as a 1-D array, or raise InputError if outside the valid range."""
    lo, hi = valid_wavelength_range_m(T_K, p)
    allowed = f"a 1-D grid within [{lo:.4g}, {hi:.4g}] m (1S-1P band edge at these temperatures)"
    try:
        lam = np.atleast_1d(np.asarray(wavelength_m, dtype=float))
    except (TypeError, ValueError):
        raise InputError("wavelength_m", wavelength_m, "numbers: " + allowed) from None
    if lam.ndim != 1 or lam.size == 0:
        raise InputError("wavelength_m", f"array of shape {lam.shape}", "at least one wavelength in " + allowed)
    check_finite("wavelength_m", lam)
    if lam.min() < lo or lam.max() > hi:
        raise InputError("wavelength_m", f"[{lam.min():.4g}, {lam.max():.4g}] m",
                         f"a 1-D grid within [{lo:.4g}, {hi:.4g}] m (1S-1P band edge at these "
                         "temperatures)")
    return lam


def gain_spectrum(wavelength_m, inversions: dict[str, np.ndarray], T_K,
                  p: QDParams = QDParams()) -> np.ndarray:
    """Material gain g(lambda) in 1/m per position (negative = absorption).

    Parameters
    ----------
    wavelength_m : array_like, shape (nl,)
        Vacuum wavelengths, m, inside :func:`valid_wavelength_range_m`.
    inversions : dict
        {'1S': x_1S, '1P': x_1P}, each shape (npos,), from :func:`inversion`.
    T_K : array_like, shape (npos,)
        Film temperature per position, K.

    Returns
    -------
    ndarray, shape (npos, nl)
    """
    T = np.atleast_1d(np.asarray(T_K, dtype=float))
    lam = check_wavelengths(wavelength_m, T, p)
    E = h * c0 / (q * lam)
    sigma = p.fwhm_inh_meV * 1e-3 * FWHM_TO_SIGMA
    gamma = _lorentz_hwhm_eV(T, p)[:, None]
    v_ref = voigt_profile(0.0, sigma, _lorentz_hwhm_eV(np.array([p.t_ref_K]), p)[0])
    g = np.zeros((T.size, lam.size))
    for level, E_l in transition_energies_eV(T, p).items():
        shape = voigt_profile(E[None, :] - E_l[:, None], sigma, gamma)
        g += (LEVELS[level][1] / 2.0) * inversions[level][:, None] * shape
    return p.g_max_1s_per_cm * 100.0 / v_ref * g
