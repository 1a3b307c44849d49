"""The QD film's recombination energy split into light and heat by the gain model's occupancy.

Drift-diffusion counts every pair that recombines radiatively in the film as one photon of energy
E_photon (the material's ``emission_energy_eV``; the CQD's radiative share is 1: a captured pair is
an exciton). What an exciton does next is the gain stage's business: at the local excitation it
decays radiatively, by Auger, or through the activated non-radiative channel. Per film column,
with J_rec(x) and T(x) of :mod:`fem_cqd.qd_profile`, the photon yield per pair
Y(x) = eta [(1 - f) s_0 + f s_c] (:func:`fem_cqd.gain.photon_yield`) sets the light of each film
vertex,

    L_i = Y(x_i) q E_photon V_i R_rad,i      (W; W/m per metre of stripe),

and the rest of the drift-diffusion light, (1 - Y) q E_photon V_i R_rad,i, is deposited as heat at
the same node. Light of other regions is left as drift-diffusion has it. The total is unchanged:
heat + light = sum V_c I_c to round-off, at every iteration of the electrothermal fixed point
(:class:`QDFilmEmission` is an ``Electrothermal`` ``heat_source``).
"""
from __future__ import annotations

import numpy as np

from .constants import q
from .errors import InputError
from .gain import QDParams, photon_yield
from .qd_profile import FilmColumns


class QDFilmEmission:
    """``heat_source(state) -> (heat per electrical node W, light W)`` with the film's light from the
    gain model (module doc), for states of the built ``device`` (its mesh and E_photon per element);
    ``region``: the QD film's region."""

    def __init__(self, device, region: str, params: QDParams = QDParams()):
        if not isinstance(params, QDParams):
            raise InputError("params", type(params).__name__, "a fem_cqd.gain.QDParams")
        self.columns = FilmColumns(device.tmesh, region)
        self.params = params
        self.E_photon_eV = np.asarray(device.E_photon, dtype=float)[self.columns.elements]

    def split(self, state):
        """(film light per node W, drift-diffusion film light per node W, photon yield per column)."""
        c = self.columns
        prof = c.profile(state.R_vertex, state.T)
        Y = photon_yield(np.maximum(prof.j_rec_A_per_m2, 0.0), prof.T_K, self.params)
        dd = q * self.E_photon_eV * c.volume * c.at_vertices("R_rad_vertex", state.R_rad_vertex)   # (3, nf) W
        t = c.tmesh.mesh.t[:, c.elements]
        N = c.tmesh.mesh.p.shape[1]
        light_dd = np.bincount(t.ravel(), dd.ravel(), minlength=N)
        light = np.bincount(t.ravel(), (dd * Y[c.column]).ravel(), minlength=N)
        return light, light_dd, Y

    def __call__(self, state):
        light, light_dd, _ = self.split(state)
        heat = state.heat + light_dd - light
        return heat, float(state.emitted_power - light_dd.sum() + light.sum())
