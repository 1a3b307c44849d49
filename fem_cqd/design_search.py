r"""Laser-design figures of merit of one device: threshold current and peak temperature under a
cavity and a pulse train, from the device's design table.

**Design table** (:class:`DeviceTable`, written by the ``laser_device`` point of
:mod:`fem_cqd.studies`): the device driven at a list of terminal current densities J at ambient
temperature (electrical solve, then its heat -- Joule, recombination less the QD film's light --
on the thermal mesh): the drive voltage, the recombination current density J_rec at the centre of
the QD film, and the film's temperature rise at its centre and its hottest point for that heat
switched on at t = 0 (step responses g(t) per film column, a transient heat solve to steady).

**Cavity**: the stack's slab waveguide (:func:`fem_cqd.optics.slab_from_stack`) with the
``core_layer`` (default ZnO, between the QD film and the metal cathode: its thickness sets how
far the mode sits from the metal) at ``core_nm`` only in the optical problem -- the electrical
solve keeps the stack's own thickness, a thicker ZnO's series resistance is neglected -- and a
cavity loss alpha_c (mirrors or grating, 1/cm): threshold material gain
g_th = (alpha_modal + alpha_c) / Gamma (:func:`fem_cqd.optics.threshold_gain_per_m`).

**Threshold under a pulse train** (width w, duty cycle D): the film's rise at the end of a pulse
in the periodic train, dT(J) = :func:`fem_cqd.pulse_train.train_end_rise` of the step response at
J; the gain model at each film column's J_rec(x, J) and T = T_0 + dT(x, J), its spectrum averaged
over the aperture (the slab mode spans it) and peaked over wavelength; the threshold J_th is the
smallest J where that reaches g_th (J_rec and the rises interpolated as power laws of J
between the table's rows, the gain evaluated there), ``inf`` if no J of the table
reaches it; rows from the first whose film passes ``GAIN_T_MAX_K`` under the train are left out.
The peak temperature at threshold is T_0 + dT_peak(J_th). Approximation (stated, and
checked against the coupled pulse in ``cases/laser_design.py``): the electrical state and its heat
are those at ambient temperature -- the temperature's feedback on the current path is left out,
which holds while the rise is small (short pulses, low duty).

**Search** over the cheap parameters x = (core_nm, log10 D, log10 w) of one device:
:func:`best_design` maximises the duty cycle at threshold under the damage limit dT_peak <= dT_max
(the most light a pulse train gives) with ``scipy.optimize.differential_evolution`` (derivative-free);
an infeasible x scores by how far it is: when the table cannot reach the
threshold gain at any J (g_reach: the largest aperture-mean gain of the table under that train),
20 + (g_th - g_reach) / ``G_SCALE_PER_CM`` (the deficit in gain); no guided mode,
``NO_MODE_SCORE``; reached but too hot, 10 + dT_peak / dT_max; feasible, -log10 D.
"""
from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import InputError
from .pulse_train import train_weights

WAVELENGTH_SPAN_NM = 80.0
WAVELENGTH_POINTS = 81
GAIN_T_MAX_K = 700.0         # rows whose film is hotter under the train are left out: the gain model's T laws are
                             # extrapolated far past their data there, and the film is long destroyed
G_SCALE_PER_CM = 1000.0      # gain deficits are scored in these units (the model's saturated gain is ~1.1e3 /cm)
NO_MODE_SCORE = 1e3          # the score of a design whose slab guides no mode
CORE_RANGE_NM = (50.0, 800.0)
DUTY_RANGE = (1e-5, 1.0)
WIDTH_RANGE_S = (1e-8, 1e-3)


@dataclass(frozen=True)
class DeviceTable:
    """A device's design table (module doc): rows are the solved terminal current densities, columns
    the QD film's columns along x (the aperture's ``inside``, the column widths ``weight``)."""

    j_A_per_cm2: np.ndarray             # (n_j,)
    voltage_V: np.ndarray               # (n_j,)
    x_m: np.ndarray                     # (n_x,)
    weight: np.ndarray                  # (n_x,) column width (m; disc: ring area m^2)
    inside: np.ndarray                  # (n_x,) 1 inside the aperture
    j_rec_A_per_m2: np.ndarray          # (n_j, n_x)
    times_s: np.ndarray                 # (n_t,)
    step_K: np.ndarray                  # (n_j, n_x, n_t) film rise for the row's heat switched on at t = 0
    T_ambient_K: float
    stopped: str = ""

    def save(self, folder: Path) -> None:
        from .results import write_csv, write_json
        write_json(Path(folder) / "device.json", {f.name: getattr(self, f.name) for f in dataclasses.fields(self)})
        mid = np.argmin(np.abs(self.x_m))
        write_csv(Path(folder) / "device.csv", {"j_A_per_cm2": self.j_A_per_cm2, "voltage_V": self.voltage_V,
                                                "j_rec_centre_A_per_cm2": self.j_rec_A_per_m2[:, mid] / 1e4,
                                                "dc_peak_rise_K": self.step_K[:, :, -1].max(axis=1)})

    @classmethod
    def load(cls, folder: Path) -> "DeviceTable":
        data = json.loads((Path(folder) / "device.json").read_text())
        return cls(**{k: (v if k in ("T_ambient_K", "stopped") else np.asarray(v, dtype=float)) for k, v in data.items()})

    def train_rises(self, width_s: float, duty: float) -> np.ndarray:
        """(n_j, n_x) film rise at the end of a pulse of the periodic train (K)."""
        return self.step_K @ train_weights(self.times_s, width_s, duty)

    def at(self, j_A_per_cm2: float, width_s: float, duty: float) -> tuple[np.ndarray, np.ndarray]:
        """(J_rec(x), rise(x)) at a current density within the table under the train, interpolated
        as power laws of J between its rows (as :func:`threshold`)."""
        lj = np.log(self.j_A_per_cm2)
        pos = float(np.interp(math.log(j_A_per_cm2), lj, np.arange(lj.size)))
        k = min(int(pos), lj.size - 2)
        rise = self.train_rises(width_s, duty)
        return (_power_law(self.j_rec_A_per_m2[k], self.j_rec_A_per_m2[k + 1], pos - k),
                _power_law(rise[k], rise[k + 1], pos - k))


def wavelength_grid_m(T_K, qd) -> np.ndarray:
    """``WAVELENGTH_POINTS`` wavelengths (m) over the gain model's valid range at the temperatures
    ``T_K``, at most ``WAVELENGTH_SPAN_NM`` from its short end (the 1S-1P band)."""
    from .gain.spectra import valid_wavelength_range_m
    lo, hi = valid_wavelength_range_m(T_K, qd)
    return np.linspace(lo, min(hi, lo + WAVELENGTH_SPAN_NM * 1e-9), WAVELENGTH_POINTS)


def aperture_gain_per_m(j_rec_A_per_m2, T_K, weight, inside, qd) -> float:
    """Peak over wavelength of the aperture-mean material gain spectrum (1/m): the gain model at
    each column's J_rec and T, averaged over the columns inside the aperture by their widths (the
    slab mode spans the aperture, as ``cases/lim2018_device.py``'s modal gain)."""
    from . import gain
    maps = gain.evaluate(np.maximum(j_rec_A_per_m2, 0.0), T_K, wavelength_grid_m(T_K, qd), qd)
    w = weight * inside
    return float(np.max(w @ maps.g_per_m / w.sum()))


def _power_law(a0, a1, s):
    """a0^(1-s) a1^s where both are > 0 (exact for a power law of J between rows s = 0 and 1, the
    position in ln J), else linear."""
    a0, a1 = np.asarray(a0, dtype=float), np.asarray(a1, dtype=float)
    pos = (a0 > 0) & (a1 > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        geo = np.exp((1 - s) * np.log(np.where(pos, a0, 1.0)) + s * np.log(np.where(pos, a1, 1.0)))
    return np.where(pos, geo, a0 + s * (a1 - a0))


def threshold(table: DeviceTable, g_th_per_m: float, width_s: float, duty: float, qd) -> dict:
    """J_th (A/cm^2, terminal), the film's peak rise and the voltage at threshold, and the largest
    aperture-mean gain the table reaches under the train (module doc). ``at_first_row``: the
    table's lowest current already reaches g_th (J_th is then that current, an upper bound)."""
    rise = table.train_rises(width_s, duty)
    T0 = table.T_ambient_K

    def gain_at(k, s_=0.0):
        k1 = min(k + 1, rise.shape[0] - 1)
        return aperture_gain_per_m(_power_law(table.j_rec_A_per_m2[k], table.j_rec_A_per_m2[k1], s_),
                                   T0 + _power_law(rise[k], rise[k1], s_), table.weight, table.inside, qd)
    too_hot = rise.max(axis=1) > GAIN_T_MAX_K - T0
    n = int(np.argmax(too_hot)) if np.any(too_hot) else rise.shape[0]
    rise = rise[:n]
    g = np.array([gain_at(k) for k in range(n)])
    out = {"g_reach_per_cm": float(g.max() / 100) if n else -math.inf, "j_th_A_per_cm2": math.inf,
           "peak_rise_K": math.inf, "voltage_V": math.nan, "at_first_row": False}
    above = np.flatnonzero(g >= g_th_per_m)
    if above.size == 0:
        return out
    k, s = int(above[0]), 0.0
    if k > 0:
        k, lo, hi = k - 1, 0.0, 1.0
        for _ in range(30):                            # bisection on the position between the rows
            mid = 0.5 * (lo + hi)
            lo, hi = (mid, hi) if gain_at(k, mid) < g_th_per_m else (lo, mid)
        s = hi
    k1 = min(k + 1, rise.shape[0] - 1)
    lj = np.log(table.j_A_per_cm2)
    peak = rise.max(axis=1)
    out.update(j_th_A_per_cm2=float(math.exp(lj[k] + s * (lj[k1] - lj[k]))), peak_rise_K=float(_power_law(peak[k], peak[k1], s)),
               voltage_V=float(table.voltage_V[k] + s * (table.voltage_V[k1] - table.voltage_V[k])),
               at_first_row=bool(above[0] == 0))
    return out


def cavity_gain(stack, core_nm: float, cavity_loss_per_cm: float, core_layer: str = "ZnO") -> dict:
    """Slab TE0 mode of ``stack`` with ``core_layer`` at ``core_nm`` (optical only; module doc):
    confinement, modal loss (1/cm) and threshold material gain (1/cm); with no guided TE mode (a
    substrate of higher index than the films, e.g. diamond, takes the light) ``guided`` is False and
    g_th infinite."""
    from . import optics
    from .gain import QDParams
    slab = optics.slab_from_stack(stack)
    if core_layer not in [lay.name for lay in slab.layers]:
        raise InputError("core_layer", core_layer, "a layer of the stack: " + ", ".join(lay.name for lay in slab.layers))
    if not (math.isfinite(core_nm) and core_nm > 0):
        raise InputError("core_nm", core_nm, "a core thickness > 0 nm")
    layers = tuple(dataclasses.replace(lay, thickness_m=core_nm * 1e-9) if lay.name == core_layer else lay
                   for lay in slab.layers)
    try:
        mode = optics.solve_modes(dataclasses.replace(slab, layers=layers), QDParams().lambda_1s_nm * 1e-9, "TE")[0]
    except InputError as exc:
        if "guiding" not in str(exc):
            raise
        return {"confinement": 0.0, "modal_loss_per_cm": math.inf, "g_th_per_cm": math.inf, "guided": False}
    return {"confinement": float(mode.confinement), "modal_loss_per_cm": float(mode.loss_per_m / 100),
            "g_th_per_cm": float(optics.threshold_gain_per_m(mode, cavity_loss_per_cm) / 100), "guided": True}


class CavityCurve:
    """g_th(core_nm) of one stack and cavity loss, tabulated on ``n`` core thicknesses over
    ``CORE_RANGE_NM`` (the optimiser's look-ups interpolate it; each mode solve takes ~0.1 s)."""

    def __init__(self, stack, cavity_loss_per_cm: float, core_layer: str = "ZnO", n: int = 61):
        self.core_nm = np.linspace(*CORE_RANGE_NM, n)
        rows = [cavity_gain(stack, float(c), cavity_loss_per_cm, core_layer) for c in self.core_nm]
        self.g_th_per_cm = np.array([r["g_th_per_cm"] for r in rows])
        self.confinement = np.array([r["confinement"] for r in rows])
        self.modal_loss_per_cm = np.array([r["modal_loss_per_cm"] for r in rows])

    def g_th_per_cm_at(self, core_nm: float) -> float:
        """g_th at ``core_nm``, interpolated in ln g_th; infinite next to a thickness without a guided mode."""
        i = int(np.clip(np.searchsorted(self.core_nm, core_nm) - 1, 0, self.core_nm.size - 2))
        if not np.all(np.isfinite(self.g_th_per_cm[i:i + 2])):
            return math.inf
        return float(np.exp(np.interp(core_nm, self.core_nm, np.log(self.g_th_per_cm))))


def evaluate_design(table: DeviceTable, cavity: CavityCurve, core_nm: float, duty: float, width_s: float, qd,
                    dT_max_K: float) -> dict:
    """Threshold, rise and feasibility of one cheap design of a device, with its search score (module doc)."""
    g_th = cavity.g_th_per_cm_at(core_nm)
    if math.isinf(g_th):
        return {"core_nm": core_nm, "duty": duty, "width_s": width_s, "g_th_per_cm": g_th, "g_reach_per_cm": math.nan,
                "j_th_A_per_cm2": math.inf, "peak_rise_K": math.inf, "voltage_V": math.nan, "at_first_row": False,
                "feasible": False, "score": NO_MODE_SCORE}
    th = threshold(table, 100.0 * g_th, width_s, duty, qd)
    feasible = math.isfinite(th["j_th_A_per_cm2"]) and th["peak_rise_K"] <= dT_max_K
    if feasible:
        score = -math.log10(duty)                      # 0 for DC: the largest duty wins
    elif math.isfinite(th["j_th_A_per_cm2"]):
        score = 10.0 + th["peak_rise_K"] / dT_max_K
    else:
        score = 20.0 + (g_th - th["g_reach_per_cm"]) / G_SCALE_PER_CM
    return {"core_nm": core_nm, "duty": duty, "width_s": width_s, "g_th_per_cm": g_th, **th, "feasible": feasible,
            "score": score}


def best_design(table: DeviceTable, cavity: CavityCurve, qd, dT_max_K: float, seed: int = 0, maxiter: int = 30) -> dict:
    """The cheap design (core_nm, duty, width) of a device with the lowest score (module doc)."""
    from scipy.optimize import differential_evolution

    def score(x):
        return evaluate_design(table, cavity, x[0], 10 ** x[1], 10 ** x[2], qd, dT_max_K)["score"]
    bounds = [CORE_RANGE_NM, tuple(np.log10(DUTY_RANGE)), tuple(np.log10(WIDTH_RANGE_S))]
    res = differential_evolution(score, bounds, seed=seed, maxiter=maxiter, popsize=10, tol=1e-6, polish=False)
    return {**evaluate_design(table, cavity, res.x[0], 10 ** res.x[1], 10 ** res.x[2], qd, dT_max_K),
            "evaluations": int(res.nfev)}
