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
- ``heat_spot``: a uniform heat flux ``power_mW`` over a disc of radius ``spot_um`` on a substrate
  disc of ``substrate`` (thickness ``thickness_um``, radius ``radius_um``), bottom face at 300 K:
  the peak and mean rise of the spot (a heat-only point of a second or less: tests and the scaling
  benchmark).
"""
from __future__ import annotations

import dataclasses
import importlib
from pathlib import Path

import numpy as np

from .errors import InputError

LIM2018_KEYS = {"geometry": "planar", "aperture_um": 100.0, "tcta_nm": None, "spacer_nm": None,
                "taper_angle_deg": 90.0, "edge_radius_nm": 0.0, "substrate": "glass", "j_A_per_cm2": 18.0,
                "params": "lim2018_operating", "quick": False}
HEAT_SPOT_KEYS = {"power_mW": 10.0, "spot_um": 25.0, "substrate": "sapphire", "thickness_um": 500.0,
                  "radius_um": 2000.0, "cells_per_spot": 10}


def _values(name: str, values: dict, defaults: dict) -> dict:
    unknown = sorted(set(values) - set(defaults))
    if unknown:
        raise InputError(f"{name} point parameters", unknown, "names among " + ", ".join(sorted(defaults)))
    return {**defaults, **values}


def lim2018(values: dict, folder: Path) -> dict:
    """The lim2018 device at ``j_A_per_cm2`` (module doc)."""
    from . import gain
    from .coupled import Electrothermal
    from .electrical import Contact
    from .gain import QDParams
    from .mesh import OPERATING_MESH, QUICK_MESH, build_mesh
    from .qd_profile import qd_film_profile
    from .results import write_profile_csv
    from .stack import lim2018 as stack_of

    v = _values("lim2018", values, LIM2018_KEYS)
    stack = stack_of(v["geometry"], aperture_um=float(v["aperture_um"]), substrate=v["substrate"],
                     tcta_nm=v["tcta_nm"], spacer_nm=v["spacer_nm"], params=v["params"])
    stack = dataclasses.replace(stack, spacer=dataclasses.replace(stack.spacer, taper_angle_deg=float(v["taper_angle_deg"]),
                                                                  edge_radius_nm=float(v["edge_radius_nm"])))
    quick = bool(v["quick"])
    options = dataclasses.replace(QUICK_MESH, shape_cell_nm=4.0) if quick else OPERATING_MESH
    dm = build_mesh(stack, options)
    qd = QDParams()
    et = Electrothermal(dm, [Contact("anode"), Contact("cathode")], qd_emission=qd)
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
POINTS = {"lim2018": lim2018, "heat_spot": heat_spot}


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
