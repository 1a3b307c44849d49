"""Point functions for sweeps (:mod:`fem_cqd.sweep`): one design point of a study, run anywhere.

A point function takes ``(values, folder)`` -- a dict of parameter values (the study's fixed
settings and the point's swept parameters, each named with its unit) and an empty folder it may
write files into -- and returns a dict of scalar outputs, each named with its unit. It must be
importable by the dask workers: the built-in ones below are named in a study file by their key in
:data:`POINTS`; any other as ``"package.module:function"``. A ``parameters`` attribute (a tuple of
names), when the function has one, lets a study be checked before any point runs.

- ``lim2018``: the reference device at a current density over the aperture, DC and self-heated --
  the chain of ``cases/lim2018_device.py`` (stack, meshes, :meth:`~fem_cqd.coupled.Electrothermal.reach`,
  the QD film profile, the gain model): voltage, peak temperature rise, excitons per dot and 1S
  inversion at the centre, peak material gain, the share of the current recombining in the QD
  film; its profile is written to ``profile.csv``.
- ``laser_device``: the design table of one device of the laser design search
  (:class:`fem_cqd.design_search.DeviceTable`, ``device.json`` / ``device.csv``): the lim2018 chain's
  device (same stack and shape parameters) driven at each of ``j_A_per_cm2`` (a list) at ambient
  temperature (one-way electrothermal points found by :meth:`~fem_cqd.coupled.Electrothermal.reach`
  from the last: voltage continuation, which at ambient is far more robust than a current-driven
  Newton -- that took over 20 min from 2 to 5 A/cm^2 on the 20 um stripe; no runaway limit: a DC rise past
  1000 K is a number of the table, which pulses scale down), the QD film's J_rec(x), and the
  film's rise for that heat switched on at t = 0 (transient heat solve on ``times`` log-spaced
  samples to ``t_max_s``, which must reach the steady rise to ``STEADY_RTOL``); stops at the first
  density that does not solve (recorded in ``stopped``).
- ``heat_spot``: a uniform heat flux ``power_mW`` over a disc of radius ``spot_um`` on a substrate
  disc of ``substrate`` (thickness ``thickness_um``, radius ``radius_um``), bottom face at 300 K:
  the peak and mean rise of the spot (a heat-only point of a second or less: tests and the scaling
  benchmark).
"""
from __future__ import annotations

import dataclasses
import importlib
import math
from pathlib import Path

import numpy as np

from .errors import InputError

LIM2018_KEYS = {"geometry": "planar", "aperture_um": 100.0, "tcta_nm": None, "spacer_nm": None,
                "taper_angle_deg": 90.0, "edge_radius_nm": 0.0, "substrate": "glass", "j_A_per_cm2": 18.0,
                "params": "lim2018_operating", "quick": False}
STEADY_RTOL = 0.01      # laser_device: the step response's last sample is the steady rise to this
LASER_DEVICE_KEYS = {**{k: LIM2018_KEYS[k] for k in ("geometry", "aperture_um", "tcta_nm", "spacer_nm", "taper_angle_deg",
                                                     "edge_radius_nm", "substrate", "params", "quick")},
                     "j_A_per_cm2": [2.0, 5.0, 10.0, 20.0, 30.0, 40.0, 50.0, 70.0, 100.0, 150.0, 200.0],
                     "t_max_s": 100.0, "times": 46}
HEAT_SPOT_KEYS = {"power_mW": 10.0, "spot_um": 25.0, "substrate": "sapphire", "thickness_um": 500.0,
                  "radius_um": 2000.0, "cells_per_spot": 10}


def _values(name: str, values: dict, defaults: dict) -> dict:
    unknown = sorted(set(values) - set(defaults))
    if unknown:
        raise InputError(f"{name} point parameters", unknown, "names among " + ", ".join(sorted(defaults)))
    return {**defaults, **values}


def laser_device_values(values: dict) -> dict:
    """A ``laser_device`` point's values completed with the defaults (unknown names refused)."""
    return _values("laser_device", values, LASER_DEVICE_KEYS)


def reference_stack(v: dict):
    """The lim2018 stack of complete point values ``v`` (geometry, aperture, substrate, TCTA and spacer
    thickness, spacer taper and edge radius, parameter set)."""
    from .stack import lim2018 as stack_of

    stack = stack_of(v["geometry"], aperture_um=float(v["aperture_um"]), substrate=v["substrate"],
                     tcta_nm=v["tcta_nm"], spacer_nm=v["spacer_nm"], params=v["params"])
    return dataclasses.replace(stack, spacer=dataclasses.replace(stack.spacer, taper_angle_deg=float(v["taper_angle_deg"]),
                                                                 edge_radius_nm=float(v["edge_radius_nm"])))


def reference_device(v: dict):
    """(stack, device mesh, Electrothermal, QDParams) of the lim2018 chain for complete point values ``v``."""
    from .coupled import Electrothermal
    from .electrical import Contact
    from .gain import QDParams
    from .mesh import OPERATING_MESH, QUICK_MESH, build_mesh

    stack = reference_stack(v)
    options = dataclasses.replace(QUICK_MESH, shape_cell_nm=4.0) if bool(v["quick"]) else OPERATING_MESH
    dm = build_mesh(stack, options)
    qd = QDParams()
    return stack, dm, Electrothermal(dm, [Contact("anode"), Contact("cathode")], qd_emission=qd), qd


def lim2018(values: dict, folder: Path) -> dict:
    """The lim2018 device at ``j_A_per_cm2`` (module doc)."""
    from . import gain
    from .qd_profile import qd_film_profile
    from .results import write_profile_csv

    v = _values("lim2018", values, LIM2018_KEYS)
    stack, dm, et, qd = reference_device(v)
    j = float(v["j_A_per_cm2"])
    pt = None
    for target in [t for t in (3.5,) if t < j] + [j]:           # as the default case: a lower current first
        pt, _ = et.reach(j_A_per_cm2=target, start=pt, progress=False)
    prof = qd_film_profile(dm.electrical, stack.qd_layer, pt.electrical.R_vertex, pt.thermal.T[dm.node_map],
                           pt.electrical.J)
    maps = gain.evaluate(np.maximum(prof.j_rec_A_per_m2, 0.0), prof.T_K, np.linspace(600e-9, 660e-9, 61), qd)
    write_profile_csv(Path(folder) / "profile.csv", prof, {"excitons_per_dot": maps.occupancy.n_mean,
                                                            "peak_gain_per_cm": maps.peak_g_per_m / 100})
    return {"voltage_V": pt.voltage_V, "terminal_j_A_per_cm2": pt.j_A_per_cm2, "peak_rise_K": pt.max_rise_K,
            "n_mean_centre": float(maps.occupancy.n_mean[0]),
            "inversion_1S_centre": float(maps.occupancy.inversion["1S"][0]),
            "peak_gain_per_cm": float(maps.peak_g_per_m.max() / 100),
            "share_in_qd": prof.recombination_current / abs(pt.current),
            "electrical_nodes": int(dm.electrical.mesh.p.shape[1])}


def laser_device(values: dict, folder: Path) -> dict:
    """The design table of one device (module doc): current ramp at ambient, heat step responses."""
    from .coupled import thermal_node_power
    from .design_search import DeviceTable
    from .errors import ConvergenceError
    from .qd_profile import FilmColumns
    from .thermal import solve_transient, time_grid

    v = laser_device_values(values)
    js = np.asarray(v["j_A_per_cm2"], dtype=float)
    if js.ndim != 1 or js.size < 2 or not np.all(np.diff(js) > 0) or js[0] <= 0:
        raise InputError("laser_device j_A_per_cm2", v["j_A_per_cm2"], "at least two increasing current densities > 0")
    stack, dm, et, _ = reference_device(v)
    film = FilmColumns(dm.electrical, stack.qd_layer)
    times = np.geomspace(1e-9, float(v["t_max_s"]), int(v["times"]))
    grid = time_grid(times[-1], times[0] / 10, 10, include=times)       # BDF2 steps doubling every 10
    T0 = et.T_ambient_K
    done, j_rec, steps, pt, stopped, prof = [], [], [], None, "", None
    for j in js:
        try:
            pt, _ = et.reach(j_A_per_cm2=float(j), start=pt, one_way=True, T_max_K=math.inf, progress=False)
        except ConvergenceError as exc:
            stopped = f"{j:g} A/cm2: {exc}"[:300]
            break
        prof = film.profile(pt.electrical.R_vertex, pt.thermal.T[dm.node_map])
        heat, _ = et.heat_source(pt.electrical)
        hist = solve_transient(dm.thermal, times, et.bcs, node_power=thermal_node_power(dm, heat), T_init_K=T0,
                               grid=grid, boundary_resistance=et.boundary_resistance, thermal_mesh=et.thermal_mesh,
                               progress=False)
        steps.append(np.array([film.profile(pt.electrical.R_vertex, T[dm.node_map]).T_K for T in hist.T]).T - T0)
        if not np.allclose(steps[-1][:, -1], prof.T_K - T0, rtol=STEADY_RTOL, atol=1e-3):
            raise ConvergenceError(f"laser_device: at t_max_s = {times[-1]:g} s the film's rise is not yet the steady one "
                                   f"({steps[-1][:, -1].max():.4g} K vs {(prof.T_K - T0).max():.4g} K); raise t_max_s")
        done.append((float(j), pt.voltage_V))
        j_rec.append(prof.j_rec_A_per_m2)
    if len(done) < 2:
        raise ConvergenceError(f"laser_device: fewer than two current densities solved ({stopped})")
    inside = np.abs(prof.x_m) <= stack.aperture_half_width_um * 1e-6 * (1 + 1e-9)
    table = DeviceTable(np.array([d[0] for d in done]), np.array([d[1] for d in done]), prof.x_m, prof.column_width_m,
                        inside.astype(float), np.array(j_rec), times, np.array(steps), T0, stopped)
    table.save(Path(folder))
    return {"j_max_A_per_cm2": float(table.j_A_per_cm2[-1]), "voltage_at_j_max_V": float(table.voltage_V[-1]),
            "dc_peak_rise_at_j_max_K": float(table.step_K[-1, :, -1].max()), "stopped": stopped,
            "electrical_nodes": int(dm.electrical.mesh.p.shape[1])}


def heat_spot(values: dict, folder: Path) -> dict:
    """Peak and mean rise of a heated spot on a substrate disc (module doc)."""
    from .custom_mesh import tensor_mesh, with_boundary
    from .materials import load_library
    from .grading import graded_points
    from .thermal import Dirichlet, solve_steady

    v = _values("heat_spot", values, HEAT_SPOT_KEYS)
    lib = load_library()
    if v["substrate"] not in lib:
        raise InputError("heat_spot substrate", v["substrate"], "one of " + ", ".join(sorted(lib)))
    a, t, R = (float(v[k]) * 1e-6 for k in ("spot_um", "thickness_um", "radius_um"))
    h = a / float(v["cells_per_spot"])
    r = np.unique(np.r_[np.linspace(0.0, a, int(v["cells_per_spot"]) + 1), graded_points(a, R, h, 1.2, R / 10, "start")])
    z = graded_points(0.0, t, h, 1.2, t / 10, "end")
    tm = tensor_mesh(r, z, "substrate", {"substrate": lib[v["substrate"]]}, geometry="axisymmetric")
    tm = with_boundary(tm, "spot", lambda p: (p[1] > t * (1 - 1e-12)) & (p[0] <= a * (1 + 1e-12)))
    flux = float(v["power_mW"]) * 1e-3 / (np.pi * a * a)
    st = solve_steady(tm, {"bottom": Dirichlet(T_K=300.0)}, surface_flux={"spot": flux})
    top = np.isclose(tm.mesh.p[1], t) & (tm.mesh.p[0] <= a * (1 + 1e-12))
    return {"peak_rise_K": float(st.T.max() - 300.0), "spot_mean_rise_K": float(st.T[top].mean() - 300.0),
            "nodes": int(tm.mesh.p.shape[1])}


lim2018.parameters = tuple(LIM2018_KEYS)          # the names a study may set (checked before any point runs)
heat_spot.parameters = tuple(HEAT_SPOT_KEYS)
laser_device.parameters = tuple(LASER_DEVICE_KEYS)
POINTS = {"lim2018": lim2018, "heat_spot": heat_spot, "laser_device": laser_device}


def point_function(ref: str):
    """The point function a study names: a key of :data:`POINTS` or ``"package.module:function"``."""
    if not isinstance(ref, str):
        raise InputError("study point", ref, "a built-in point name (" + ", ".join(POINTS) + ") or 'module:function'")
    if ref in POINTS:
        return POINTS[ref]
    module, _, name = ref.partition(":")
    if not name:
        raise InputError("study point", ref, "a built-in point name (" + ", ".join(POINTS) + ") or 'module:function'")
    try:
        fn = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as exc:
        raise InputError("study point", ref, f"an importable 'module:function' ({exc})") from None
    if not callable(fn):
        raise InputError("study point", ref, "a callable point function")
    return fn
