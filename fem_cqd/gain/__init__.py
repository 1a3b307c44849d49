"""Gain stage: exciton occupancy of the QD film, band-edge gain spectra, gain maps.

Pure functions of plain arrays (J_rec in A/m^2 and T in K per position) and one frozen
parameter dataclass, :class:`QDParams`. See the module docstrings for the equations solved:
:mod:`.occupancy` (birth-death rate equations), :mod:`.spectra` (1S/1P filling and line shapes),
:mod:`.model` (the stage and its inverses: j at a target <N>, transparency or gain; tau_X at a
target <N>).
"""
from .model import (GainMaps, Occupancy, current_density_for_mean_excitons, evaluate, occupancy,
                    photon_yield, saturated_peak_gain_per_m, tau_x_for_mean_excitons,
                    threshold_current_density, transparency_current_density)
from .occupancy import (decay_rates, excitation_rate, generator, mean_excitons, quantum_yield, radiative_rates,
                        single_exciton_rates, steady_state, transient)
from .params import QDParams
from .spectra import (gain_spectrum, inversion, level_fill, transition_energies_eV,
                      valid_wavelength_range_m)

__all__ = ["GainMaps", "Occupancy", "QDParams", "current_density_for_mean_excitons",
           "decay_rates", "evaluate", "excitation_rate", "gain_spectrum", "generator",
           "inversion", "level_fill", "mean_excitons", "occupancy", "photon_yield", "quantum_yield",
           "radiative_rates",
           "saturated_peak_gain_per_m", "single_exciton_rates", "steady_state", "tau_x_for_mean_excitons",
           "threshold_current_density", "transient", "transition_energies_eV",
           "transparency_current_density", "valid_wavelength_range_m"]
