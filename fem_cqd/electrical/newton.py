"""Damped Newton, equilibrium start and adaptive bias / current stepping.

- linear solves: :class:`~fem_cqd.electrical.linear.JacobianSolver` (row-equilibrated PARDISO
  with its analysis reused over a ramp, or SuperLU; ``linear_solver`` picks), node-interleaved
  unknowns;
- damping: every potential update is compressed per entry, d -> c sign(d) ln(1 + |d|/c) with
  c = ``damping`` x V_T (V_T the smallest thermal voltage of the device): updates of a few V_T pass
  almost unchanged, large ones are cut logarithmically;
- quasi-Fermi bounds: phi_n and phi_p (and conductor potentials) are clipped, after every update
  and on the starting guess, to [min V_c - m, max V_c + m] over the contact voltages, m = 10 V_T.
  With recombination only (no generation) the steady continuity equations obey a maximum
  principle -- quasi-Fermi potentials lie between the contact potentials -- and the SG / EAFE
  M-matrix keeps it discretely, so a converged solution never touches the bound. Without it the
  quasi-Fermi potential of a carrier that is absent (electrons in poly-TPD, n ~ 1e-26 cm^-3) could
  wander tens of volts in a Newton iterate, overflow exp() and fail the step (lim2018 stack, 2D);
- convergence: the undamped update is below ``atol`` volts everywhere (default 1e-9 V_T); it is
  applied and the iteration stops, leaving an error O(atol^2) (quadratic convergence). One more
  step, as taken before, changed potentials by 1e-15 V and currents by 4e-16 relative on the 5k
  DEVSIM diode and cost 16 % of the iterations;
- equilibrium: charge-neutral guess -> Poisson alone (phi_n = phi_p = 0) -> the full system;
- stepping: towards each target the step grows x1.5 on success and halves on failure; the start
  of each step is predicted by linear extrapolation of the last two converged points; below
  ``min_step`` a ConvergenceError names the last converged bias, the equation with the largest
  residual and carries the last state and all completed points.
"""
from __future__ import annotations

import math

import numpy as np

from ..errors import ConvergenceError, InputError
from .driftdiffusion import Device
from .linear import JacobianSolver, SingularJacobian
from .state import ElectricalState, make_state
from .system import build_constraints, evaluate, rhs

EQUATIONS = ("Poisson", "electron continuity", "hole continuity")


class _Failed(Exception):
    def __init__(self, message):
        super().__init__(message)


def _worst(dev, F):
    N3 = 3 * dev.n_nodes
    k = int(np.argmax(np.abs(F[:N3]))) if N3 else 0
    return f"{EQUATIONS[k % 3]} at node {k // 3} (|F| = {abs(F[k]):.3g})"


def newton(dev: Device, cons, z0, voltages, linear: JacobianSolver, driven=(), targets=(), maxit=40,
           atol=None, damping=3.0, subset=None):
    """Solve F(z) = 0 from ``z0``; returns (z, iterations). Raises _Failed.

    ``linear``: the JacobianSolver of the calling solve or ramp. ``subset``: indices of the unknowns
    to solve for (others frozen), e.g. psi only.
    """
    atol = 1e-9 * dev.VT_ref if atol is None else atol
    c = damping * dev.VT_ref
    z = np.array(z0, dtype=float)
    clip = _fermi_bounds(dev, voltages, driven)
    clip(z)
    for it in range(1, maxit + 1):
        with np.errstate(over="ignore", invalid="ignore"):
            F, J, _ = evaluate(dev, cons, z, voltages, driven, targets)
        if not np.all(np.isfinite(F)) or not np.all(np.isfinite(J.data)):
            raise _Failed("non-finite residual")
        try:
            if subset is not None:
                dz = np.zeros_like(z)
                dz[subset] = linear.solve(J[subset][:, subset].tocsr(), F[subset])
            else:
                dz = linear.solve(J, F)
        except SingularJacobian as exc:
            raise _Failed(f"singular Jacobian ({exc})") from None
        if not np.all(np.isfinite(dz)):
            raise _Failed("non-finite Newton update")
        size = float(np.max(np.abs(dz))) if dz.size else 0.0
        z = z + c * np.sign(dz) * np.log1p(np.abs(dz) / c)
        clip(z)
        if size < atol:
            return z, it
    raise _Failed(f"no convergence in {maxit} Newton iterations; worst residual: {_worst(dev, F)}")


def _fermi_bounds(dev: Device, voltages, driven=()):
    """In-place clip of phi_n, phi_p at semiconductor / conductor nodes to the contact-voltage range
    widened by 10 V_T (driven contacts: their current voltage, z[3N + k]); see the module doc."""
    N = dev.n_nodes
    live = np.flatnonzero(dev.node_semi | dev.node_cond)
    idx = np.concatenate([3 * live + 1, 3 * live + 2])
    fixed = [float(v) for k, v in voltages.items() if k not in driven]
    margin = 10.0 * dev.VT_ref

    def clip(z):
        vs = fixed + [float(z[3 * N + k]) for k in range(len(driven))]
        if not vs:
            return
        z[idx] = np.clip(z[idx], min(vs) - margin, max(vs) + margin)
    return clip


def _initial_guess(dev: Device):
    N = dev.n_nodes
    psi = np.zeros(N)
    semi = dev.node_semi & ~dev.node_cond
    if np.any(semi):
        psi[semi] = dev.neutral_psi(np.flatnonzero(semi), 0.0)
    psi[dev.node_cond] = -dev.node_wf[dev.node_cond]
    known = semi | dev.node_cond
    psi[~known] = psi[known].mean() if np.any(known) else 0.0
    x = np.zeros(3 * N)
    x[0::3] = psi
    return x


def _all_volts(dev, voltages):
    out = {c.boundary: 0.0 for c in dev.contacts}
    for k, v in (voltages or {}).items():
        c = dev.contact(k)
        out[k] = c.check_voltage(v)
    return out


def solve_equilibrium(dev: Device, maxit=60, linear_solver="auto") -> ElectricalState:
    """Thermal equilibrium (all contacts at 0 V) with no user guess.

    ``linear_solver``: "auto" | "pardiso" | "superlu" (:mod:`fem_cqd.electrical.linear`).
    """
    linear = JacobianSolver(linear_solver)
    cons = _constraints(dev)
    volts = _all_volts(dev, {})
    z = _initial_guess(dev)
    # contact rows hold their Dirichlet values exactly from the start
    h = rhs(cons, volts)
    G = cons.G.tocsr()
    rows = np.flatnonzero(np.diff(G.indptr) == 1)
    diag_rows = rows[G.indices[G.indptr[rows]] == rows]
    z[diag_rows] = h[diag_rows]
    try:
        z, it1 = newton(dev, cons, z, volts, linear, maxit=maxit, subset=np.arange(0, z.size, 3))
        z, it2 = newton(dev, cons, z, volts, linear, maxit=maxit)
    except _Failed as exc:
        raise ConvergenceError(f"equilibrium did not converge: {exc}") from None
    return make_state(dev, cons, z, volts, iterations=it1 + it2)


_CONS_CACHE = {}


def _constraints(dev):
    key = id(dev)
    hit = _CONS_CACHE.get(key)
    if hit is None or hit[0] is not dev:
        if len(_CONS_CACHE) > 8:
            _CONS_CACHE.clear()
        hit = (dev, build_constraints(dev))
        _CONS_CACHE[key] = hit
    return hit[1]


def _z_of(dev, state: ElectricalState, driven):
    return np.concatenate([state.x, [state.voltages[d] for d in driven]])


def _step_to(dev, cons, linear, start: ElectricalState, history, goal_volts, driven, goal_currents,
             min_step, max_steps, label):
    """Continuation from ``start`` to the goal; returns (state, history). Raises ConvergenceError."""
    v0 = {k: start.voltages[k] for k in start.voltages}
    i0 = {k: start.currents[k] for k in driven}

    def params(lam):
        volts = {k: v0[k] + lam * (goal_volts.get(k, v0[k]) - v0[k]) for k in v0}
        targets = tuple(i0[k] + lam * (goal_currents[k] - i0[k]) for k in driven)
        return volts, targets

    lam, step = 0.0, 1.0
    z = _z_of(dev, start, driven)
    state = start
    hist = list(history)   # list of (scalar parameter, z) for prediction
    n_steps = 0
    while lam < 1.0:
        step = min(step, 1.0 - lam)
        new = lam + step
        volts, targets = params(new)
        pvalue = _param_value(volts, targets, driven, label)
        z_guess = z.copy()
        if len(hist) >= 2 and hist[-1][0] != hist[-2][0]:
            (pa, za), (pb, zb) = hist[-2], hist[-1]
            if za.shape == zb.shape == z.shape:
                z_guess = zb + (zb - za) * (pvalue - pb) / (pb - pa)
        try:
            try:
                znew, it = newton(dev, cons, z_guess, volts, linear, driven, targets)
            except _Failed:
                if z_guess is z:
                    raise
                znew, it = newton(dev, cons, z, volts, linear, driven, targets)
        except _Failed as exc:
            step *= 0.5
            if step < min_step:
                raise ConvergenceError(
                    f"{label}: stopped at {_describe(state)}; a step of {step * 2:.3g} of the way "
                    f"towards {goal_volts or goal_currents} failed: {exc}", last_state=state) from None
            continue
        n_steps += 1
        if n_steps > max_steps:
            raise ConvergenceError(f"{label}: more than {max_steps} steps", last_state=state)
        z, lam = znew, new
        hist.append((pvalue, z.copy()))
        hist = hist[-2:]
        for k, name in enumerate(driven):
            volts[name] = float(z[3 * dev.n_nodes + k])
        state = make_state(dev, cons, z, volts, iterations=it)
        step *= 1.5 if it < 8 else 1.0
    return state, hist


def _param_value(volts, targets, driven, label):
    if driven:
        return float(targets[0])
    return float(sum(volts.values()))


def _describe(state):
    v = ", ".join(f"{k} = {val:.6g} V" for k, val in state.voltages.items())
    i = ", ".join(f"I({k}) = {val:.4g}" for k, val in state.currents.items())
    return f"{v} ({i})"


def solve_bias(dev: Device, voltages=None, currents=None, start: ElectricalState | None = None,
               min_step=1e-4, max_steps=500, linear_solver="auto") -> ElectricalState:
    """Steady state at the given contact voltages (V) and/or currents (A; A/m planar).

    Contacts not named stay at 0 V, or at their voltage in ``start``. A contact in ``currents`` is
    current-driven: its voltage is solved for. Starts from ``start`` (default: equilibrium) and
    steps adaptively towards the target. ``linear_solver``: "auto" | "pardiso" | "superlu".
    """
    voltages = dict(voltages or {})
    currents = dict(currents or {})
    for k, v in voltages.items():
        dev.contact(k).check_voltage(v)
    for k, i in currents.items():
        dev.contact(k)
        if k in voltages:
            raise InputError(f"currents[{k!r}]", i, "a contact that is not also voltage-driven")
        if not math.isfinite(float(i)):
            raise InputError(f"currents[{k!r}]", i, "a finite current")
    if len(currents) + len(voltages) and len(currents) >= len(dev.contacts):
        raise InputError("currents", currents, "at least one voltage-driven contact (the reference)")
    linear = JacobianSolver(linear_solver)
    if start is None:
        start = solve_equilibrium(dev, linear_solver=linear_solver)
    cons = _constraints(dev)
    driven = tuple(currents)
    goal = {k: start.voltages[k] for k in start.voltages}
    goal.update({k: float(v) for k, v in voltages.items()})
    for k in driven:
        goal.pop(k)
    state, _ = _step_to(dev, cons, linear, start, [], goal, driven, {k: float(v) for k, v in currents.items()},
                        min_step, max_steps, "solve_bias")
    return state


def ramp(dev: Device, contact: str, values, mode="voltage", start: ElectricalState | None = None,
         progress=True, min_step=1e-4, max_steps_per_point=500, on_point=None, linear_solver="auto") -> list:
    """Sweep one contact through ``values`` (volts, or amperes with ``mode="current"``).

    Returns the list of converged states, one per value. ``on_point(state)`` is called after each
    point (e.g. to save it). ``linear_solver``: "auto" | "pardiso" | "superlu". On failure a
    ConvergenceError carries ``last_state`` and
    ``completed`` (all points finished so far).
    """
    from tqdm.auto import tqdm
    c = dev.contact(contact)
    if mode not in ("voltage", "current"):
        raise InputError("mode", mode, "'voltage' or 'current'")
    values = [float(v) for v in values]
    if mode == "voltage":
        for v in values:
            c.check_voltage(v)
    elif not all(math.isfinite(v) for v in values):
        raise InputError("values", values, "finite currents")
    linear = JacobianSolver(linear_solver)
    if start is None:
        start = solve_equilibrium(dev, linear_solver=linear_solver)
    cons = _constraints(dev)
    driven = (contact,) if mode == "current" else ()
    completed, hist, state = [], [], start
    bar = tqdm(values, disable=not progress, desc=f"ramp {contact}", unit="pt")
    for v in bar:
        goal = {k: state.voltages[k] for k in state.voltages}
        if mode == "voltage":
            goal[contact] = v
        else:
            goal.pop(contact)
        try:
            state, hist = _step_to(dev, cons, linear, state, hist, goal, driven, {contact: v} if driven else {},
                                   min_step, max_steps_per_point, f"ramp of {contact!r}")
        except ConvergenceError as exc:
            raise ConvergenceError(str(exc), last_state=exc.last_state or state, completed=completed) from None
        if mode == "current":
            c.check_voltage(state.voltages[contact])
        completed.append(state)
        if on_point is not None:
            on_point(state)
        bar.set_postfix_str(f"V={state.voltages[contact]:.4g} I={state.currents[contact]:.4g}")
    return completed
