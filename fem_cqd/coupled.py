r"""Electrothermal operating points: drift-diffusion and heat flow made self-consistent.

At a fixed bias the electrical problem is solved at a given temperature field, its heat source
(edge-wise Joule heat of the discrete fluxes plus non-radiative recombination heat, W per node:
``ElectricalState.heat``) is handed to the thermal mesh through the node map, the steady heat
equation

    -div(k(T) grad T) = Q_electrical

gives a new temperature, and the electrical nodes take it back (they are a subset of the thermal
nodes: no interpolation). Gauss-Seidel with under-relaxation (DESIGN.md, item 11):

    T_e <- T_e + omega (T_thermal[node_map] - T_e)

until max |T_thermal[node_map] - T_e| < ``tol_K``. ``one_way=True`` stops after the first
thermal solve (heating computed at ambient, no feedback). Temperature enters the electrical
problem through the thermal voltage, intrinsic density and thermally activated mobility;
the thermal one through k(T).

Pulses: the electrical response is quasi-static (its time constants are far below the thermal
ones), so :func:`pulse_heating` takes the heat source of one electrical solve (one-way) and runs
the transient heat equation under a rectangular pulse.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from tqdm import tqdm

from .electrical import ElectricalState, build_device, solve_bias
from .errors import ConvergenceError, InputError, check_positive
from .mesh import DeviceMesh
from .thermal import ThermalHistory, ThermalMesh, ThermalState, solve_steady, solve_transient


@dataclass(frozen=True, eq=False)
class OperatingPoint:
    """A self-consistent (or one-way) electrothermal solution at one bias.

    ``T_electrical`` is the temperature the electrical state was solved at; ``history`` the
    largest temperature change of each Gauss-Seidel iteration (K).
    """

    electrical: ElectricalState
    thermal: ThermalState
    T_electrical: np.ndarray
    iterations: int
    history: tuple = field(default=())

    @property
    def max_rise_K(self) -> float:
        return float(self.thermal.T.max() - self.thermal.sink_temperature) if self.thermal.sink_temperature is not None \
            else float(np.ptp(self.thermal.T))


def thermal_node_power(dm: DeviceMesh, state: ElectricalState) -> np.ndarray:
    """The electrical heat (W per node; W/m in planar geometry) placed on the thermal nodes."""
    power = np.zeros(dm.thermal.mesh.p.shape[1])
    power[dm.node_map] = state.heat
    return power


def solve_operating_point(dm: DeviceMesh, contacts, voltages: dict, thermal_bcs: dict, *,
                          T_ambient: float = 300.0, boundary_resistance: dict | None = None,
                          device_options: dict | None = None, start: ElectricalState | None = None,
                          omega: float = 0.7, tol_K: float = 0.01, max_iter: int = 30,
                          one_way: bool = False, T_max_K: float = 1000.0) -> OperatingPoint:
    """Electrothermal steady state at contact ``voltages`` (see the module docstring).

    ``device_options`` go to :func:`fem_cqd.electrical.build_device` (recombination, doping...).
    Raises a :class:`ConvergenceError` carrying the last :class:`OperatingPoint` when the
    Gauss-Seidel iteration does not settle within ``max_iter``, or when the temperature passes
    ``T_max_K`` (thermal runaway: with activated mobility, heating raises the current, which raises
    the heating; past the turning point no steady state exists at that voltage).
    """
    check_positive("T_ambient", T_ambient)
    check_positive("tol_K", tol_K)
    if not 0 < omega <= 1:
        raise InputError("omega", omega, "an under-relaxation factor in (0, 1]")
    opts = dict(device_options or {})
    tmesh = ThermalMesh(dm.thermal, boundary_resistance)
    T_e = np.full(dm.electrical.mesh.p.shape[1], float(T_ambient))
    history, state, point = [], start, None
    for it in range(1, max_iter + 1):
        dev = build_device(dm.electrical, contacts, T=T_e, **opts)
        state = solve_bias(dev, voltages, start=state)
        th = solve_steady(dm.thermal, thermal_bcs, node_power=thermal_node_power(dm, state),
                          boundary_resistance=boundary_resistance, T_guess=None, thermal_mesh=tmesh)
        change = float(np.max(np.abs(th.T[dm.node_map] - T_e)))
        history.append(change)
        point = OperatingPoint(state, th, T_e.copy(), it, tuple(history))
        if th.T.max() > T_max_K:
            raise ConvergenceError(f"thermal runaway at {voltages}: the peak temperature reached "
                                   f"{th.T.max():.4g} K > T_max_K = {T_max_K:g} K in iteration {it}", point)
        if one_way or change < tol_K:
            return point
        T_e = T_e + omega * (th.T[dm.node_map] - T_e)
    raise ConvergenceError(f"electrothermal iteration at {voltages}: temperature still changing by "
                           f"{history[-1]:.3g} K after {max_iter} iterations (tol_K = {tol_K:g})", point)


def electrothermal_ramp(dm: DeviceMesh, contacts, contact: str, values, thermal_bcs: dict, *,
                        progress: bool | None = None, on_point=None, **kwargs) -> list[OperatingPoint]:
    """Operating points along a voltage ramp of ``contact`` (other contacts at 0 V).

    Each point starts from the previous electrical state. ``on_point(point)`` is called after each
    (e.g. to write it). A failure raises a :class:`ConvergenceError` whose ``completed`` holds
    every point already done.
    """
    points: list[OperatingPoint] = []
    state = kwargs.pop("start", None)
    bar = tqdm(list(values), desc=f"electrothermal {contact}", unit="pt", disable=progress is False)
    for v in bar:
        try:
            point = solve_operating_point(dm, contacts, {contact: float(v)}, thermal_bcs, start=state, **kwargs)
        except ConvergenceError as exc:
            bar.close()
            raise ConvergenceError(f"electrothermal ramp stopped at {contact} = {v:g} V "
                                   f"(last converged: {points[-1].electrical.voltages[contact]:g} V)" if points
                                   else f"electrothermal ramp stopped at its first point {contact} = {v:g} V: {exc}",
                                   exc.last_state, points) from exc
        points.append(point)
        state = point.electrical
        bar.set_postfix_str(f"V={v:.3g} I={state.currents[contact]:.3g} dT={point.max_rise_K:.3g} K")
        if on_point is not None:
            on_point(point)
    return points


def pulse_heating(dm: DeviceMesh, state: ElectricalState, times, thermal_bcs: dict, width_s: float, *,
                  T_ambient: float = 300.0, boundary_resistance: dict | None = None, **kwargs) -> ThermalHistory:
    """Transient temperature under a rectangular pulse of length ``width_s`` whose heat source is
    that of ``state`` (one-way: the electrical solve is quasi-static and at ambient)."""
    width = check_positive("width_s", width_s)
    return solve_transient(dm.thermal, times, thermal_bcs, node_power=thermal_node_power(dm, state),
                           amplitude=lambda t: 1.0 if t <= width * (1 + 1e-12) else 0.0,
                           T_init=T_ambient, boundary_resistance=boundary_resistance, **kwargs)
