r"""Electrothermal operating points: drift-diffusion and heat flow made self-consistent.

At a fixed drive -- a contact voltage, or a terminal current (density) -- the electrical problem
is solved at a temperature field T_e on the electrical nodes, its heat source (edge-wise Joule heat
of the discrete fluxes, recombination heat less the light that leaves, W per node) is placed on the
thermal mesh through the node map, and the steady heat equation

    -div(k(T) grad T) = Q_electrical

gives the temperature G(T_e) the electrical nodes take back (they are a subset of the thermal
nodes: no interpolation). The operating point is the fixed point T_e = G(T_e), found by Picard
iteration accelerated by Anderson mixing (Walker & Ni, SIAM J. Numer. Anal. 49, 1715 (2011); depth
``anderson``, relaxation ``omega``) until max |G(T_e) - T_e| < ``tol_K``. ``one_way=True`` stops
after the first thermal solve (heating at ambient, no feedback). Temperature enters the electrical
problem through the thermal voltage, sigma/kT of a Gaussian DOS, intrinsic density and the
mobility laws; the thermal one through k(T). With ``qd_emission`` the QD film's light is the gain
model's photon yield at the local excitation and temperature, the rest of its recombination
energy heat (:mod:`fem_cqd.qd_emission`); heat + light = sum V_c I_c at every iteration
(``OperatingPoint.energy_balance_rel``).

The device (geometry, contacts, Jacobian layout, the linear solver's analysis) is built once
(:class:`Electrothermal`); each iteration only changes its temperature (``Device.at_temperature``).
When the electrical solve at a new temperature fails from the last state, the temperature is
stepped towards it (continuation in T, steps halved on failure). A current-driven point is
solved as the voltage at which the drive current meets the target (to ``CURRENT_RTOL``): secant
steps on ln I(V) at the current temperature, each a voltage continuation; the temperature iteration
then runs at fixed current, which traces the electrothermal fold of the I-V curve (at fixed voltage
the fold has no steady state). From a start point at another current the first temperature
iterate is the start's rise scaled by the current ratio (the power ratio at the start's voltage:
an Euler predictor for the heat), and an Anderson iterate below the coldest temperature any heat
solve of the iteration gave is replaced by the plain Picard iterate (history cleared). With the
one-step current-driven Newton of each iterate and reach's voltage points given up at their first
failure (constants below), 3.5 -> 18 A/cm^2 on the stripe with a 2 nm lateral grid at the edge
went from 276 s to 74 s, same point (4.7830 V, +73.32 K). The predictor is a first try only:
on the 200 um disc (3.5 -> 18 A/cm^2) its iterates crossed a region where the electrical
Newton at a new temperature fails from the last state and each continuation step in T crawled
(>8 min, unfinished), while the start's temperature gets there in ~100 s; so ``reach`` gives the
predicted path no continuation in T and, when it fails, solves again from the start's
temperature with continuation (:meth:`Electrothermal.reach`).

Thermal runaway -- the peak temperature passing ``T_max_K`` (activated mobility: more heat, more
current, more heat) -- raises a :class:`~fem_cqd.errors.ConvergenceError` carrying the last
iterate; a ramp's error carries every completed point (``completed``).

Pulses (:meth:`Electrothermal.pulse`): the electrical response is quasi-static (its time constants,
ns, are far below the thermal ones), so the transient heat equation runs under a rectangular pulse
whose heat source is that of the electrical state at the present temperature, re-solved whenever
the electrical nodes' temperature has moved by more than ``tol_K`` since the last solve (at fixed
voltage or fixed current); ``tol_K = inf`` is the one-way pulse (the source of the ambient solve).
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
from tqdm.auto import tqdm

from .constants import UM
from .electrical import ElectricalState, build_device, solve_bias, solve_equilibrium
from .electrical.linear import JacobianSolver
from .errors import (ConvergenceError, ElectricalConvergenceError, ElectrothermalConvergenceError, InputError,
                     check_positive)
from .mesh import DeviceMesh
from .thermal import ThermalHistory, ThermalMesh, ThermalState, solve_steady, solve_transient

CURRENT_RTOL = 1e-8     # a current-driven point matches its target to this (relative)
DIRECT_CURRENT_RANGE = 0.1   # a state this close (relative) in current starts a current-driven Newton: the
                             # stripe's fixed-current iterations then took 0.2-0.8 s each instead of a
                             # voltage bracket; from 5x below, its continuation in current took 13 s
BRACKET_OVERSHOOT = 1.5    # a current bracket's step: at most this x the secant estimate of the way left
REACH_MIN_T_STEP = 1.0      # reach's voltage points give up at their first failed electrical solve (no continuation
                            # in temperature; reach falls back to the fixed current): past the electrothermal
                            # fold a voltage point has no steady state, and halving the temperature step to 1e-3
                            # spent 115 s failing there (stripe, 4.93 V), to 1/16 still 50-130 s (2 nm edge mesh)
PREDICTED_RISE_MAX = 10.0   # the first temperature iterate towards a current scales the start's rise by at most this
REACH_OVERSHOOT = 3.0       # reach's voltage point stops once its current passes this x the target: past the fold
                            # it runs away (stripe, gmsh edge window, 4.93 V: 30x the target by iteration 10,
                            # 162 s; without the limit its temperature continuation failed there after 206 s)
REACH_CURRENT_RATIO = 1.5   # reach's fallback climbs to the target in fixed-current points at most this ratio apart,
                            # each from the last one's temperature (stripe: isothermal at the 3.5 A/cm^2 point's
                            # temperature, 18 A/cm^2 needs > 5.2 V; self-heated, 4.8 V -- one jump sent the
                            # voltage bracket to 9 V, where the Newton solves failed for 15 min)


def _bracket_step(step: float, V0: float, V1: float, f0: float, f1: float) -> float:
    """The next voltage step of a current bracket that has not crossed the target yet, after a
    step ``step`` from V0 (f0 = ln I/I_target) to V1 (f1): doubled (at most 1 V), but no longer
    than ``BRACKET_OVERSHOOT`` x the secant estimate of the remaining way, -f1 (V1 - V0)/(f1 - f0),
    nor shorter than 1 mV. (Doubling alone sent the stripe's bracket from 5.2 V to 9 V, where a
    current 100x the target made every Newton solve hard.)"""
    doubled = float(np.clip(2 * step, -1.0, 1.0))
    if not (math.isfinite(f0) and math.isfinite(f1)) or f1 == f0:
        return doubled
    remaining = -f1 * (V1 - V0) / (f1 - f0)
    if remaining * step <= 0:
        return doubled
    return math.copysign(min(abs(doubled), max(BRACKET_OVERSHOOT * abs(remaining), 1e-3)), step)


@dataclass(frozen=True, eq=False)
class OperatingPoint:
    """A self-consistent (or one-way) electrothermal solution.

    ``T_electrical`` is the temperature the electrical state was solved at; ``history`` the
    largest temperature change max |G(T_e) - T_e| of each iteration (K); ``area_m`` the
    aperture area used for current densities (m per m of stripe, or m^2; None if unknown).
    """

    electrical: ElectricalState
    thermal: ThermalState
    T_electrical: np.ndarray
    iterations: int
    history: tuple
    drive: str
    area_m: float | None = None
    seconds: float = 0.0
    light_W: float = field(default=0.0)
    heat_W: float = field(default=0.0)

    @property
    def energy_balance_rel(self) -> float:
        """|sum V_c I_c - heat - light| / |sum V_c I_c|: the heat given to the thermal solve plus the
        light that left, against the terminals' power."""
        p_in = self.electrical.power_in
        return abs(p_in - self.heat_W - self.light_W) / abs(p_in) if p_in else 0.0

    @property
    def voltage_V(self) -> float:
        return float(self.electrical.voltages[self.drive])

    @property
    def current(self) -> float:
        """Terminal current of the driven contact (A; A/m per metre of stripe in planar geometry)."""
        return float(self.electrical.currents[self.drive])

    @property
    def j_A_per_cm2(self) -> float:
        """Terminal current over the aperture area, A/cm^2 (NaN without an aperture)."""
        return self.current / self.area_m / 1e4 if self.area_m else math.nan

    @property
    def max_rise_K(self) -> float:
        ref = self.thermal.sink_temperature
        return float(self.thermal.T.max() - ref) if ref is not None else float(np.ptp(self.thermal.T))


@dataclass(frozen=True, eq=False)
class PulseResult:
    """An electrothermal pulse (:meth:`Electrothermal.pulse`): ``history`` the temperatures at the
    requested times; ``solve_times_s`` and ``states`` each electrical (re-)solve during the pulse
    (the first at t = 0, ambient) with its state; ``light_W`` the light of each."""

    history: ThermalHistory
    solve_times_s: tuple
    states: tuple
    light_W: tuple
    width_s: float
    drive: str
    area_m: float | None

    @property
    def end_state(self) -> ElectricalState:
        """The electrical state at the end of the pulse (the last re-solve)."""
        return self.states[-1]

    def j_A_per_cm2(self, state: ElectricalState) -> float:
        if not self.area_m:
            raise InputError("area_m", self.area_m, "an aperture area (a mesh built from a Stack)")
        return abs(state.currents[self.drive]) / self.area_m / 1e4


def thermal_node_power(dm: DeviceMesh, node_heat: np.ndarray) -> np.ndarray:
    """Electrical-node heat (W per node; W/m in planar geometry) placed on the thermal nodes."""
    power = np.zeros(dm.thermal.mesh.p.shape[1])
    power[dm.node_map] = node_heat
    return power


def aperture_area_m(dm: DeviceMesh) -> float | None:
    """The aperture's area in the modelled domain: a (planar half stripe, per metre) or pi a^2."""
    if dm.stack is None:
        return None
    a = dm.stack.aperture_half_width_um * UM
    return math.pi * a * a if dm.geometry == "axisymmetric" else a


def default_heat(state: ElectricalState):
    """(heat per electrical node, light power): the electrical state's own split."""
    return state.heat, state.emitted_power


class Electrothermal:
    """The coupled problem on one :class:`DeviceMesh`, set up once (module doc).

    Parameters
    ----------
    dm : DeviceMesh
    contacts : sequence of ``fem_cqd.electrical.Contact``
    thermal_bcs : dict boundary -> Dirichlet | Robin | Adiabatic; default: the stack's
        (``fem_cqd.thermal_bcs.boundary_conditions``)
    drive : the contact whose voltage or current is set (the others are held at 0 V)
    T_ambient_K : K; default the stack's ambient temperature (300 K without a stack)
    boundary_resistance : thermal interface resistances (``fem_cqd.thermal.solve_steady``);
        default the stack's
    device_options : keywords for ``build_device`` (recombination, image_force_lowering, ...)
    heat_source : ``f(ElectricalState) -> (node heat W, light W)``; default the state's own
    qd_emission : a ``fem_cqd.gain.QDParams``: the QD film's light from the gain model's photon
        yield, the rest of its recombination energy heat (:class:`fem_cqd.qd_emission.QDFilmEmission`;
        needs a stack, not together with ``heat_source``)
    linear_solver : "auto" | "pardiso" | "superlu" (kept for every solve: one analysis)
    """

    def __init__(self, dm: DeviceMesh, contacts, thermal_bcs=None, *, drive: str = "anode",
                 T_ambient_K: float | None = None, boundary_resistance=None, device_options=None,
                 heat_source=None, qd_emission=None, linear_solver="auto"):
        from .thermal_bcs import boundary_conditions, interface_resistances
        if not isinstance(dm, DeviceMesh):
            raise InputError("dm", type(dm).__name__, "a fem_cqd DeviceMesh")
        self.dm = dm
        stack = dm.stack
        if thermal_bcs is None:
            if stack is None:
                raise InputError("thermal_bcs", None, "boundary conditions (the mesh has no stack to take them from)")
            thermal_bcs = boundary_conditions(dm)
        if boundary_resistance is None and stack is not None:
            boundary_resistance = interface_resistances(dm)
        self.bcs = thermal_bcs
        self.boundary_resistance = boundary_resistance
        self.T_ambient_K = check_positive("T_ambient_K", T_ambient_K if T_ambient_K is not None else
                                        (stack.thermal.T_ambient_K if stack is not None else 300.0))
        self.thermal_mesh = ThermalMesh(dm.thermal, boundary_resistance)
        self.device = build_device(dm.electrical, contacts, T_K=self.T_ambient_K, **dict(device_options or {}))
        self.drive = self.device.contact(drive).boundary
        self.area_m = aperture_area_m(dm)
        self.heat_source = heat_source or default_heat
        if qd_emission is not None:
            from .qd_emission import QDFilmEmission
            if heat_source is not None or stack is None:
                raise InputError("qd_emission", qd_emission, "None when a heat_source is given or the mesh has no "
                                 "stack (its qd_layer names the film)")
            self.heat_source = QDFilmEmission(self.device, stack.qd_layer, qd_emission)
        self.linear = JacobianSolver(linear_solver)

    # --- drives ------------------------------------------------------------------------------
    def target_current(self, current=None, j_A_per_cm2=None) -> float:
        """The terminal current (A; A/m planar) of a current or current-density target."""
        if (current is None) == (j_A_per_cm2 is None):
            raise InputError("current / j_A_per_cm2", (current, j_A_per_cm2), "exactly one of the two")
        if j_A_per_cm2 is not None:
            j = float(j_A_per_cm2)
            if not (math.isfinite(j) and 0 < abs(j) <= 1e6):
                raise InputError("j_A_per_cm2", j_A_per_cm2, "a current density in A/cm^2 with 0 < |j| <= 1e6 "
                                 "(A/cm^2, not A/m^2)")
            if self.area_m is None:
                raise InputError("j_A_per_cm2", j_A_per_cm2, "a mesh built from a Stack (its aperture gives the "
                                 "area); without one, give the current")
            return j * 1e4 * self.area_m
        if not math.isfinite(float(current)) or float(current) == 0:
            raise InputError("current", current, "a finite, non-zero current (A; A/m in planar geometry)")
        return float(current)

    def _electrical(self, dev, voltage, current, state):
        if voltage is not None:
            return solve_bias(dev, {self.drive: voltage}, start=state, linear_solver=self.linear)
        return self._at_current(dev, current, state)

    def _at_current(self, dev, current, state):
        """The state whose drive current is ``current`` to ``CURRENT_RTOL``. From a ``state`` whose
        current is within ``DIRECT_CURRENT_RANGE`` of it (the next temperature iterate at the same
        target), first the current-driven Newton (the drive's voltage an unknown), given up after a
        few halvings; failing that, or farther away: a bracket in voltage (steps from ``state``'s
        voltage, or from equilibrium: :func:`_bracket_step`), then regula falsi (Illinois) on
        ln |I(V)| -- on I itself while an end carries no current; every evaluation a voltage
        continuation from the nearer end."""
        d, sgn = self.drive, (1.0 if current > 0 else -1.0)
        if state is not None and abs(state.currents[d] / current - 1) < DIRECT_CURRENT_RANGE:
            try:                                          # the drive's voltage as an unknown, from the nearby state:
                st = solve_bias(dev, currents={d: current}, start=state, linear_solver=self.linear,
                                min_step=1.0, max_steps=1)   # one step -- what changed is the temperature, which
                                                             # halving the current step does not shorten (5 halvings
                                                             # x 6 Newton solves failed per iterate, 2 nm edge mesh)
                if abs(st.currents[d] / current - 1) < CURRENT_RTOL:
                    return st
            except ConvergenceError:
                pass
        if state is None:
            state = solve_equilibrium(dev, linear_solver=self.linear)
        st = solve_bias(dev, {d: state.voltages[d]}, start=state, linear_solver=self.linear)
        lo_range, hi_range = dev.contact(d).voltage_range

        def f(state_):
            I = sgn * state_.currents[d]
            return math.log(I / abs(current)) if I > 0 else -math.inf

        ends = [st]
        step = 0.05 * (1.0 if f(st) < 0 else -1.0) * sgn
        while True:                                      # bracket
            if abs(f(ends[-1])) < CURRENT_RTOL:
                return ends[-1]
            V = ends[-1].voltages[d] + step
            if not lo_range <= V <= hi_range:
                raise ElectricalConvergenceError(f"current {current:.4g} not reached within the contact's voltage range "
                                       f"{(lo_range, hi_range)} V", last_state=ends[-1])
            ends.append(solve_bias(dev, {d: V}, start=ends[-1], linear_solver=self.linear))
            if (f(ends[-1]) >= 0) != (f(ends[-2]) >= 0):
                break
            step = _bracket_step(step, *(e.voltages[d] for e in ends[-2:]), *(f(e) for e in ends[-2:]))
        a, b = ends[-2], ends[-1]
        fa, fb = f(a), f(b)
        side, c = 0, b
        for _ in range(60):
            Va, Vb = a.voltages[d], b.voltages[d]
            if math.isinf(fa) or math.isinf(fb):         # an end without current: interpolate I itself
                Ia, Ib = sgn * a.currents[d], sgn * b.currents[d]
                V = Va + (abs(current) - Ia) * (Vb - Va) / (Ib - Ia)
            else:
                V = Va - fa * (Vb - Va) / (fb - fa)
            near = a if abs(V - Va) < abs(V - Vb) else b
            c = solve_bias(dev, {d: V}, start=near, linear_solver=self.linear)
            fc = f(c)
            if abs(fc) < CURRENT_RTOL or abs(Vb - Va) < 1e-12 * max(1.0, abs(V)):
                return c
            if (fc >= 0) == (fa >= 0):
                a, fa = c, fc
                if side == -1 and not math.isinf(fb):
                    fb *= 0.5
                side = -1
            else:
                b, fb = c, fc
                if side == 1 and not math.isinf(fa):
                    fa *= 0.5
                side = 1
        raise ElectricalConvergenceError(f"current {current:.6g} not matched to {CURRENT_RTOL:g} in 60 voltage steps "
                               f"(last {c.currents[d]:.6g} at {c.voltages[d]:.6g} V)", last_state=c)

    def _electrical_at(self, T_e, voltage, current, state, min_T_step=1e-3):
        """Electrical state at temperature T_e; continuation in temperature from ``state``'s
        when the direct solve fails, its step halved down to ``min_T_step`` of the change."""
        dev = self.device.at_temperature(T_e)
        try:
            return self._electrical(dev, voltage, current, state)
        except ConvergenceError:
            if state is None:
                raise
        T0 = state.T
        lam, step, last = 0.0, 0.5, state
        while lam < 1.0:
            step = min(step, 1.0 - lam)
            try:
                last = self._electrical(self.device.at_temperature(T0 + (lam + step) * (T_e - T0)), voltage, current,
                                        last)
            except ConvergenceError as exc:
                step *= 0.5
                if step < min_T_step:
                    raise ElectricalConvergenceError(f"electrical solve at the new temperature failed (continuation in T "
                                           f"stopped at {lam:.3g} of the way): {exc}", last_state=last) from None
                continue
            lam += step
            step *= 2.0
        return last

    # --- operating points -----------------------------------------------------------------------
    def operating_point(self, *, voltage_V=None, current=None, j_A_per_cm2=None, start: OperatingPoint | None = None,
                        tol_K: float = 1e-3, max_iter: int = 60, omega: float = 1.0, anderson: int = 3,
                        one_way: bool = False, T_max_K: float = 1000.0, progress: bool = False,
                        min_T_step: float = 1e-3, current_limit: float | None = None,
                        predict: bool = True) -> OperatingPoint:
        """Electrothermal steady state at a voltage of the drive contact (V), or at a terminal
        ``current`` (A; A/m planar) or ``j_A_per_cm2`` over the aperture. Starts from ``start``
        (its electrical state and temperature) when given; see the module doc. ``min_T_step``: the
        smallest step of the continuation in temperature, as a fraction of the change.
        ``current_limit`` (A; A/m planar): the iteration stops with an ElectrothermalConvergenceError
        once the drive current passes it (at a fixed voltage past the fold the current runs away;
        a search that only needs to know it is past its target stops there). ``predict``: the first
        temperature iterate from ``start`` towards a current target is the predicted one
        (:meth:`_predicted_temperature`); False: the start's own temperature."""
        t0 = time.time()
        check_positive("tol_K", tol_K)
        if not 0 < omega <= 1:
            raise InputError("omega", omega, "a relaxation factor in (0, 1]")
        if int(anderson) != anderson or anderson < 0:
            raise InputError("anderson", anderson, "an integer >= 0 (0: plain relaxed Picard)")
        if voltage_V is not None:
            if current is not None or j_A_per_cm2 is not None:
                raise InputError("voltage_V", voltage_V, "a voltage or a current target, not both")
            voltage_V = self.device.contact(self.drive).check_voltage(voltage_V)
            target = None
        else:
            target = self.target_current(current, j_A_per_cm2)
        what = f"{self.drive} = {voltage_V:g} V" if voltage_V is not None else \
            (f"j = {j_A_per_cm2:g} A/cm2" if j_A_per_cm2 is not None else f"I({self.drive}) = {target:.4g}")
        N = self.device.n_mesh_nodes
        T_e = (np.full(N, self.T_ambient_K) if start is None else
               self._predicted_temperature(start, target) if predict else start.T_electrical.copy())
        state = None if start is None else start.electrical
        th_prev = None if start is None else start.thermal
        X, Fh = [], []                                    # Anderson history (iterates, residuals)
        T_floor = math.inf                                # the lowest temperature any heat solve gave (K)
        history, point = [], None
        bar = tqdm(total=max_iter, desc=f"electrothermal {what}", unit="it", disable=not progress, leave=False)
        try:
            for it in range(1, max_iter + 1):
                try:
                    state = self._electrical_at(T_e, voltage_V, target, state, min_T_step)
                    heat, light = self.heat_source(state)
                    th = solve_steady(self.dm.thermal, self.bcs, node_power=thermal_node_power(self.dm, heat),
                                      boundary_resistance=self.boundary_resistance,
                                      T_guess=None if th_prev is None else th_prev.T, thermal_mesh=self.thermal_mesh,
                                      tol_K=0.1 * tol_K)
                except ConvergenceError as exc:            # the electrical or the heat solve: its state is the cause's
                    raise ElectrothermalConvergenceError(f"electrothermal iteration {it} at {what}: {exc}",
                                                         last_state=point or start) from exc
                th_prev = th
                G = th.T[self.dm.node_map]
                f = G - T_e
                change = float(np.max(np.abs(f)))
                history.append(change)
                point = OperatingPoint(state, th, T_e.copy(), it, tuple(history), self.drive, self.area_m,
                                       time.time() - t0, light, float(np.sum(heat)))
                bar.update()
                bar.set_postfix_str(f"dT={change:.3g} K J={point.j_A_per_cm2:.4g} A/cm2 V={point.voltage_V:.4g}")
                if current_limit is not None and abs(point.current) > current_limit:
                    raise ElectrothermalConvergenceError(f"at {what} the current {abs(point.current):.4g} passed the limit "
                                                         f"{current_limit:.4g} in iteration {it}", last_state=point)
                if th.T.max() > T_max_K:
                    raise ElectrothermalConvergenceError(f"thermal runaway at {what}: the peak temperature reached {th.T.max():.4g} K "
                                           f"> T_max_K = {T_max_K:g} K in iteration {it}", last_state=point)
                if one_way or change < tol_K:
                    return point
                T_e = _anderson_step(X, Fh, T_e, f, omega, int(anderson))
                T_floor = min(T_floor, float(th.T.min()))
                if T_e.min() < T_floor:           # Anderson extrapolated below the coldest point of every heat solve:
                    T_e = G.copy()                # a plain Picard step instead, and a fresh history
                    X.clear(), Fh.clear()
        finally:
            bar.close()
        raise ElectrothermalConvergenceError(f"electrothermal iteration at {what}: temperature still changing by {history[-1]:.3g} K "
                               f"after {max_iter} iterations (tol_K = {tol_K:g})", last_state=point)

    def _predicted_temperature(self, start: OperatingPoint, target: float | None) -> np.ndarray:
        """The first temperature iterate from ``start`` towards a current ``target``: the start's rise
        over ambient scaled by |target / I_start| -- the power ratio at the start's voltage, exact
        for a heat problem with constant conductivity and a fixed voltage (the electrothermal Euler
        predictor), the ratio at most ``PREDICTED_RISE_MAX``. Its own temperature for a voltage target,
        or a start without current.
        Past the fold, 3.5 -> 18 A/cm^2 on the stripe, the start's temperature as the first iterate
        sent the isothermal point to 8.0 V (311 K) and its heat to 432 K: three temperature
        iterates with voltage brackets of 0.3-4 V, 180 s of a 300 s solve (fine edge mesh)."""
        T = start.T_electrical.copy()
        if target is None or start.current == 0:
            return T
        ratio = min(abs(target / start.current), PREDICTED_RISE_MAX)
        return self.T_ambient_K + (T - self.T_ambient_K) * ratio

    def reach(self, *, j_A_per_cm2=None, current=None, start: OperatingPoint | None = None, step_V: float = 0.5,
              rtol: float = 1e-6, max_points: int = 80, progress: bool = True, **kwargs):
        """Electrothermal operating point at a current target, found through voltage-driven points.

        Voltage-driven electrothermal points (each cheap: a Picard/Anderson loop at a fixed
        voltage) are stepped by ``step_V`` from ``start`` (default 1 V from equilibrium) until
        the drive current passes the target, then the voltage is found by Illinois regula falsi on
        ln I(V) to ``rtol``, every point started from the nearer end. Below the electrothermal
        fold this is the same steady state as ``operating_point(j_A_per_cm2=...)`` (which
        re-solves the current target in every temperature iteration and also works beyond the
        fold) at a fraction of the cost. When a voltage-driven point fails (beyond the fold its
        current runs away: it stops at ``REACH_OVERSHOOT`` x the target; or a hard Newton path:
        its continuation in temperature stops at ``REACH_MIN_T_STEP``), the target is solved by
        ``operating_point`` at fixed current from the last point below it -- first from the
        predicted temperature without continuation in T, then from that point's own temperature
        with it (module doc); if that fails too, it is climbed to in fixed-current points from
        there, geometrically spaced at most ``REACH_CURRENT_RATIO`` apart, each from the last one's
        temperature. Returns
        ``(target_point, ramp_points)``: the point and every converged point on the way (an
        electrothermal J-V curve). If that fails too, the ConvergenceError's ``completed`` holds
        the points so far.
        """
        signed = self.target_current(current, j_A_per_cm2)
        target = abs(signed)
        points: list[OperatingPoint] = []
        try:
            return self._reach(target, start, step_V, rtol, max_points, progress, points, kwargs)
        except ConvergenceError as exc:
            below = [p for p in points if abs(p.current) < target] or ([start] if start is not None else [None])
            near = max(below, key=lambda p: abs(p.current) if p is not None else -1.0)
            attempts = ({"min_T_step": REACH_MIN_T_STEP, **kwargs},   # predicted temperature, no continuation in T
                        {**kwargs, "predict": False})                 # the start's temperature, continuation in T
            if near is None:                                          # from ambient: nothing to predict
                attempts = (kwargs,)
            for attempt in attempts:
                try:
                    return self.operating_point(current=signed, start=near, progress=progress, **attempt), points
                except ConvergenceError:
                    pass
            try:
                return self._climb_current(signed, near, progress, points, kwargs), points
            except ConvergenceError as exc2:
                raise ElectrothermalConvergenceError(f"{exc}; then at fixed current: {exc2}", last_state=exc2.last_state,
                                       completed=points) from None

    def _climb_current(self, signed, near, progress, points, kwargs):
        """Fixed-current operating points from ``near`` (None: one step from ambient) to ``signed``,
        geometrically spaced at most ``REACH_CURRENT_RATIO`` apart, each appended to ``points``."""
        ratio = abs(signed) / abs(near.current) if near is not None and near.current != 0 else 1.0
        steps = max(1, math.ceil(math.log(ratio) / math.log(REACH_CURRENT_RATIO) - 1e-9)) if ratio > 1 else 1
        for k in range(1, steps + 1):
            current = signed if k == steps else signed * ratio ** (k / steps - 1)
            near = self.operating_point(current=current, start=near, progress=progress, **kwargs)
            points.append(near)
        return near

    def _reach(self, target, start, step_V, rtol, max_points, progress, points, kwargs):
        """The voltage-driven search of :meth:`reach`; appends every converged point to ``points``."""
        check_positive("step_V", step_V)
        check_positive("rtol", rtol)
        bar = tqdm(total=max_points, desc=f"electrothermal to I = {target:.4g}", unit="pt", disable=not progress,
                   leave=False)

        def solve(V, near):
            try:
                pt = self.operating_point(voltage_V=V, start=near, **{"min_T_step": REACH_MIN_T_STEP,
                                                                      "current_limit": REACH_OVERSHOOT * target, **kwargs})
            except ConvergenceError as exc:
                bar.close()
                raise ElectrothermalConvergenceError(f"reaching {target:.4g}: the electrothermal point at {V:.6g} V failed: {exc}",
                                       last_state=exc.last_state, completed=points) from None
            points.append(pt)
            bar.update()
            bar.set_postfix_str(f"V={pt.voltage_V:.4g} J={pt.j_A_per_cm2:.4g} A/cm2 dT={pt.max_rise_K:.3g} K")
            if len(points) > max_points:
                bar.close()
                raise ElectrothermalConvergenceError(f"reaching {target:.4g}: more than {max_points} points", last_state=pt,
                                       completed=points)
            return pt

        def f(pt):
            I = abs(pt.current)
            return math.log(I / target) if I > 0 else -math.inf

        a = start if start is not None else solve(1.0, None)
        fa = f(a)
        while fa < 0:
            b = solve(a.voltage_V + step_V, a)
            fb = f(b)
            if fb >= 0:
                break
            a, fa = b, fb
        else:                                   # already at or above the target: step down
            b, fb = a, fa
            while fb > 0:
                a = solve(b.voltage_V - step_V, b)
                fa = f(a)
                if fa <= 0:
                    break
                b, fb = a, fa
        for pt in (a, b):
            if abs(f(pt)) <= rtol:
                bar.close()
                return pt, points
        wa, wb, side = fa, fb, 0                # regula falsi weights (Illinois: halved when an end stays)
        while True:
            Va, Vb = a.voltage_V, b.voltage_V
            if math.isfinite(wa):
                V = Va - wa * (Vb - Va) / (wb - wa)
            else:                               # no current at the lower end: interpolate I itself
                V = Va + (target - abs(a.current)) * (Vb - Va) / (abs(b.current) - abs(a.current))
            c = solve(V, a if abs(V - Va) < abs(V - Vb) else b)
            fc = f(c)
            if abs(fc) <= rtol or abs(Vb - Va) < 1e-12 * max(1.0, abs(V)):
                bar.close()
                return c, points
            if fc < 0:
                a, wa = c, fc
                if side == -1:
                    wb *= 0.5
                side = -1
            else:
                b, wb = c, fc
                if side == 1 and math.isfinite(wa):
                    wa *= 0.5
                side = 1

    def pulse(self, *, width_s: float, times, voltage_V=None, current=None, j_A_per_cm2=None, tol_K: float = 1.0,
              dt_first_s: float | None = None, steps_per_level: int = 10, progress: bool = True) -> PulseResult:
        """A rectangular pulse of ``width_s`` at a drive voltage (V) or current (``current`` A or A/m,
        ``j_A_per_cm2`` over the aperture) from ambient; temperatures at ``times`` (s, > 0; may go past
        the pulse: cooling). Steps from ``dt_first_s`` (default width / 1000) doubling every
        ``steps_per_level`` (:func:`fem_cqd.thermal.time_grid`, pulse edge and ``times`` included),
        BDF2; the electrical state is re-solved at the present temperature whenever it moved by more
        than ``tol_K`` (K) since the last solve (module doc)."""
        from .thermal import time_grid
        width = check_positive("width_s", width_s)
        if not tol_K > 0:
            raise InputError("tol_K", tol_K, "a temperature change > 0 K (inf: one-way)")
        if voltage_V is not None:
            if current is not None or j_A_per_cm2 is not None:
                raise InputError("voltage_V", voltage_V, "a voltage or a current target, not both")
            voltage_V, target = self.device.contact(self.drive).check_voltage(voltage_V), None
        else:
            target = self.target_current(current, j_A_per_cm2)
        times = np.atleast_1d(np.asarray(times, dtype=float))
        if times.size == 0 or not np.all(np.isfinite(times)) or np.any(times <= 0):
            raise InputError("times", times.tolist()[:8], "output times > 0 s")
        T_last = np.full(self.device.n_mesh_nodes, self.T_ambient_K)
        state = self._electrical_at(T_last, voltage_V, target, None)
        heat, light = self.heat_source(state)
        solves, states, lights = [0.0], [state], [light]
        grid = time_grid(float(times.max()), dt_first_s or width / 1000, steps_per_level, include=[*times, width])
        bar = tqdm(total=grid.size, desc="electrothermal pulse", unit="step", disable=not progress, leave=False)

        def on_step(t, T_nodes):
            nonlocal state, T_last
            bar.update()
            T_e = T_nodes[self.dm.node_map]
            if t >= width * (1 - 1e-12) or np.max(np.abs(T_e - T_last)) <= tol_K:
                return None
            try:
                state = self._electrical_at(T_e, voltage_V, target, state)
            except ConvergenceError as exc:
                raise ElectricalConvergenceError(f"electrothermal pulse: electrical re-solve at t = {t:.4g} s failed: {exc}",
                                       last_state=state, completed=states) from None
            T_last = T_e
            heat_, light_ = self.heat_source(state)
            solves.append(t)
            states.append(state)
            lights.append(light_)
            bar.set_postfix_str(f"t={t:.3g} s dT={T_e.max() - self.T_ambient_K:.3g} K V={state.voltages[self.drive]:.4g}")
            return thermal_node_power(self.dm, heat_)

        try:
            hist = solve_transient(self.dm.thermal, times, self.bcs, node_power=thermal_node_power(self.dm, heat),
                                   amplitude=lambda t: 1.0 if t <= width * (1 + 1e-12) else 0.0, breakpoints=[width],
                                   T_init_K=self.T_ambient_K, grid=grid, boundary_resistance=self.boundary_resistance,
                                   thermal_mesh=self.thermal_mesh, on_step=on_step, progress=False)
        finally:
            bar.close()
        return PulseResult(hist, tuple(solves), tuple(states), tuple(lights), width, self.drive, self.area_m)

    def ramp(self, values, mode: str = "voltage", start: OperatingPoint | None = None, progress: bool = True,
             on_point=None, **kwargs) -> list[OperatingPoint]:
        """Operating points along ``values``: volts (``mode="voltage"``), A/cm^2 over the aperture
        (``"j_A_per_cm2"``) or terminal currents (``"current"``). Each point starts from the
        previous one, temperature included. ``on_point(point)`` is called after each. A failure
        raises a ConvergenceError whose ``completed`` holds every finished point."""
        modes = ("voltage", "j_A_per_cm2", "current")
        if mode not in modes:
            raise InputError("mode", mode, "one of " + ", ".join(modes))
        points: list[OperatingPoint] = []
        point = start
        bar = tqdm(list(values), desc=f"electrothermal ramp ({mode})", unit="pt", disable=not progress)
        for v in bar:
            key = {"voltage": "voltage_V", "j_A_per_cm2": "j_A_per_cm2", "current": "current"}[mode]
            try:
                point = self.operating_point(start=point, **{key: float(v)}, **kwargs)
            except ConvergenceError as exc:
                bar.close()
                last = f" (last converged: {points[-1].voltage_V:.4g} V, {points[-1].j_A_per_cm2:.4g} A/cm2)" if points else ""
                raise ElectrothermalConvergenceError(f"electrothermal ramp stopped at {mode} = {v:g}{last}: {exc}",
                                       last_state=exc.last_state, completed=points) from None
            points.append(point)
            bar.set_postfix_str(f"V={point.voltage_V:.4g} J={point.j_A_per_cm2:.4g} A/cm2 dT={point.max_rise_K:.3g} K")
            if on_point is not None:
                on_point(point)
        return points


def _anderson_step(X, Fh, x, f, omega, depth):
    """Next iterate of Anderson-accelerated relaxed Picard for x = G(x), f = G(x) - x (type II,
    least squares over the last ``depth`` differences); plain x + omega f without history."""
    X.append(x.copy())
    Fh.append(f.copy())
    if depth == 0 or len(X) < 2:
        return x + omega * f
    del X[:-(depth + 1)], Fh[:-(depth + 1)]
    dX = np.array([X[i + 1] - X[i] for i in range(len(X) - 1)]).T
    dF = np.array([Fh[i + 1] - Fh[i] for i in range(len(Fh) - 1)]).T
    gamma, *_ = np.linalg.lstsq(dF, f, rcond=None)
    return x + omega * f - (dX + omega * dF) @ gamma
