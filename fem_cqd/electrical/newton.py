"""Damped Newton, equilibrium start and adaptive bias / current stepping.

- linear solves: :class:`~fem_cqd.electrical.linear.JacobianSolver` (row-equilibrated PARDISO
  with its analysis reused over a ramp, or SuperLU; ``linear_solver`` picks), node-interleaved
  unknowns;
- damping: every psi update is compressed per entry, d -> c sign(d) ln(1 + |d|/c) with
  c = ``damping`` x V_T (V_T the smallest thermal voltage of the device): updates of a few V_T pass
  almost unchanged, large ones are cut logarithmically (quasi-Fermi potentials: below);
- quasi-Fermi bounds: phi_n and phi_p (and conductor potentials) are clipped, after every update
  and on the starting guess, to [min V_c - m, max V_c + m] over the contact voltages, m = 10 V_T.
  With recombination only (no generation) the steady continuity equations obey a maximum
  principle -- quasi-Fermi potentials lie between the contact potentials -- and the SG / EAFE
  M-matrix keeps it discretely, so a converged solution never touches the bound. Without it the
  quasi-Fermi potential of a carrier that is absent (electrons in poly-TPD, n ~ 1e-26 cm^-3) could
  wander tens of volts in a Newton iterate, overflow exp() and fail the step (lim2018 stack, 2D).
  An entry at its bound whose update points out of it, and whose own row balances, counts as
  converged (the bound is active);
- convergence: the undamped update is below ``atol`` volts everywhere (default 1e-9 V_T); it is
  applied and the iteration stops, leaving an error O(atol^2) (quadratic convergence). One more
  step, as taken before, changed potentials by 1e-15 V and currents by 4e-16 relative on the 5k
  DEVSIM diode and cost 16 % of the iterations;
- absent carriers: where a carrier's density at a node and all around it is below a level (the
  first of ``NEGLIGIBLE``) x its largest density in the device (electrons in poly-TPD: 1e-44 of
  those in ZnO), its
  quasi-Fermi potential is held at the other carrier's and left out of the Newton system. It sets
  nothing but a negligible density, and its rows are ~1e-60 of the others: solving for it gave
  updates of 1e14-1e30 V (clipped), densities that appeared where none can come from, and Newton
  creeping by V_T per iteration long after everything else had converged (lim2018 stack). The set
  is taken at the first iterate and may only shrink: a node whose carrier becomes present is
  released and solved for; and at convergence every held row must balance to ``HELD_RTOL`` x the
  largest edge current, or that carrier is released everywhere and the iteration goes on (held
  electrons in poly-TPD that leak in from TCTA at 330 K had given a wrong, converged, state).
  A step that fails is tried again with the next level of ``NEGLIGIBLE`` before it is halved:
  1e-20 keeps the holes that carry an injection-limited current through TCTA at 1e-16 of their
  largest density (library lim2018 stack; 1e-12 stalled it at 1 V), while 1e-12 also holds the
  electrons that leak a fraction of a nanometre into TCTA from the quantum-dot film, whose rows are
  1e-14 ill-conditioned (Gauss-Fermi operating set; 1e-20 stalled the disc at 4.7 V); last, 0 (none
  held): on an EGDM hole layer with a LUMO of 2.2 eV an electron level released from the held set
  after the first iterate got ~1e9 V updates every iteration and the ramp stalled at 1.12 V, while
  solving for every carrier converges. The new
  Newton behaviour is measured in ``benchmarks/device_pipeline.py``;
- divergence: a solve stops when its largest residual has grown ``DIVERGED``-fold over the first
  iterate's (or over 1e-6 of the largest edge current, if that is larger: a good predictor makes
  the first residual tiny. The first predicted step from equilibrium, whose first residual is
  ~1e-10 A/m with no current to set a scale, fails so after one iteration on the DEVSIM diode and
  is redone from the unpredicted start, 5 instead of 2 factorisations; taking the step's change
  on the contact rows as the reference there broke the EGDM stack of ``test_organic``, which needs
  the fast failures of the first step) -- the continuation then halves the step instead of running
  out its iterations;
- predicted starts: when a predictor's damped first update makes the residual diverge, the full
  (undamped) first update is tried once instead, provided no carrier is held and the full update
  stays inside the quasi-Fermi bounds. On the DEVSIM diode's first step from equilibrium (0 -> 0.1
  V) the predictor leaves the first residual at 1e-11 A/m; Newton's update from there (0.1 V on
  minority-carrier quasi-Fermi levels) brings it to 3e-12, but its damped form moves majority
  quasi-Fermi levels by O(y^2) V_T ~ 2e-5 V (ln(1 + y) for y), residual 4 A/m: "diverging", and
  the unpredicted start then takes 7 iterations (5 factorisations) instead of 5 (2). The two
  conditions keep the fast failures the EGDM stack of ``test_organic`` needs: there the retry
  converged with electrons in the hole layer held (1e-20) or with their quasi-Fermi level at a
  bound (nothing held), states from which the ramp stalled at 0.75 V;
- equilibrium: charge-neutral guess -> Poisson alone (phi_n = phi_p = 0) -> the full system;
- damping: psi log-compressed (above); quasi-Fermi potentials moved so that each carrier's density
  makes the step the linearisation predicts in density space, n -> n (1 + y) with
  y = (d psi - d phi_n)/V_T (Newton in Slotboom-like variables, which are near linear in the
  continuity equations), its decrease capped at ``MAX_EFOLDS`` e-folds per iteration; reduces to the
  plain Newton step as y -> 0. (Applying updates of |d psi| <= c and |y| <= 1/2 unchanged, tried
  for the Euler predictor's sake -- on the 500-node DEVSIM diode the O(d^2) change of a 2 mV step
  moved majority quasi-Fermi potentials by 1e-4 V and failed every predicted step -- made the
  lim2018 main job 1.5x slower, 150 instead of 108 failed Newton solves; from 5k nodes up the
  predictor works with this damping);
- chord steps: once an update is below ``CHORD_BELOW`` (V) the next iterations evaluate the residual
  only and solve with the factors kept from the last Newton step (two triangular solves instead of
  an assembly and a factorisation); a chord update larger than ``CHORD_RATE`` x the last update,
  or a change in the held (absent) set, makes that iteration a full Newton step. Near convergence
  the chord contracts by ~1e-3 per step (DEVSIM diode), so one or two more, cheap, iterations
  replace the last factorisations. A solve that starts within ``TANGENT_REUSE_V`` of where the
  kept factors were taken, on the same device (a standstill: the 0 V point of a ramp that starts
  at equilibrium), starts with a chord step (accepted below ``CHORD_RATE`` x ``CHORD_BELOW``);
- stepping: at most ``MAX_STEP_V`` per step; the absent-carrier level and the starting point
  (predictor or last state) that worked last are tried first at the next step;
- stepping: towards each target the step doubles after a fast success (<= 4 iterations), grows x1.25
  after <= 8, and halves on failure; each step starts from the Euler predictor z + dlambda dz/dlambda,
  the tangent solved from J dz/dlambda = -dF/dlambda at the last converged point (with the factors
  kept from the Newton solve that converged there, when they are of this device within
  ``TANGENT_REUSE_V``; else one more factorisation), and retries once from the unpredicted point; below
  ``min_step`` a ConvergenceError names the last converged bias, the equation with the largest
  residual and carries the last state and all completed points.
"""
from __future__ import annotations


import math
from typing import NamedTuple

import numpy as np

from ..errors import ConvergenceError, ElectricalConvergenceError, InputError
from .device import Device
from .linear import JacobianSolver, SingularJacobian
from .state import ElectricalState, make_state
from .system import evaluate, rhs

EQUATIONS = ("Poisson", "electron continuity", "hole continuity")
DIVERGED = 1e8         # growth of the largest residual over the first iterate's that ends a Newton solve
HELD_RTOL = 1e-10      # imbalance of a held carrier's row (relative to the largest edge current) that releases it
FIRST_STEP_V = 1.0     # first voltage step of a continuation (V); later steps grow with fast convergence
MAX_STEP_V = 0.5       # largest voltage step of a continuation (V): longer predictor steps made Newton chaotic
                       # (lim2018 operating set: 25-iteration failures and halvings cost 10x the steps saved)
MAX_EFOLDS = 20.0      # largest density decrease per Newton iteration (e-folds)
CHORD_BELOW = 1e-3     # an update below this (V) makes the next ones chord steps (the factors kept)
CHORD_RATE = 0.1       # a chord update larger than this fraction of the last update: a Newton step instead
TANGENT_REUSE_V = 1e-2  # the tangent reuses factors of a Jacobian taken within this distance (V) of its z
NEGLIGIBLE = (1e-20, 1e-12, 0.0)   # carrier densities, relative to the largest, below which a carrier is absent
                                   # (tried in turn; 0: none held)


class _Failed(Exception):
    def __init__(self, message):
        super().__init__(message)


def _worst(dev, F):
    N3 = 3 * dev.n_nodes
    k = int(np.argmax(np.abs(F[:N3]))) if N3 else 0
    return f"{EQUATIONS[k % 3]} at node {k // 3} (|F| = {abs(F[k]):.3g})"


def newton(dev: Device, z0, voltages, linear: JacobianSolver, driven=(), targets=(), maxit=25,
           atol=None, damping=3.0, psi_only=False, negligible=None, predicted=False):
    """Solve F(z) = 0 from ``z0``; returns (z, iterations). Raises _Failed.

    ``linear``: the JacobianSolver of the calling solve or ramp. ``psi_only``: solve Poisson's
    equation for psi alone, the quasi-Fermi potentials frozen (only Poisson's rows are assembled).
    Once an update is below ``CHORD_BELOW`` volts the next ones are chord steps (module doc);
    ``linear.tag`` is left naming the last factors. ``predicted``: ``z0`` is a continuation's
    Euler predictor; if the damped first update makes the residual diverge, the full (undamped)
    first update is tried once before the solve fails (module doc).
    """
    atol = 1e-9 * dev.VT_ref if atol is None else atol
    c = damping * dev.VT_ref
    z = np.array(z0, dtype=float)
    clip = _fermi_bounds(dev, voltages, driven)
    clip(z)
    absent = None
    undamped = None                                   # a predicted start's undamped first iterate
    subset = np.arange(0, z.size, 3) if psi_only else None
    solved = _solved(dev, z.size) if subset is None else subset
    factored = _kept_factors(linear, dev, z, subset)   # the factors ``linear`` keeps, if reusable here
    size = CHORD_BELOW if factored is not None else math.inf   # kept factors of this z: a chord step first
    for it in range(1, maxit + 1):
        chord = factored is not None and size <= CHORD_BELOW
        with np.errstate(over="ignore", invalid="ignore"):
            F, J, (_, fl) = evaluate(dev, z, voltages, driven, targets, jacobian=not chord, poisson_only=psi_only)
        if solved is not None:
            F = _only(F, solved)                     # rows not solved for (frozen unknowns) do not count
        if not np.all(np.isfinite(F)) or (J is not None and not np.all(np.isfinite(J.data))):
            raise _Failed("non-finite residual")
        worst = float(np.max(np.abs(F))) if F.size else 0.0
        if it == 1:       # reference: the first residual, or a millionth of the currents if that is larger
            first = max(worst, 1e-6 * _current_scale(fl), 1e-300)
        if worst > DIVERGED * first:
            if it == 2 and predicted and undamped is not None:
                z, undamped = undamped, None         # the full first update instead (module doc)
                continue
            raise _Failed(f"diverging: the largest residual grew {worst / first:.3g}-fold ({_worst(dev, F)})")
        F_full = F
        if subset is None:
            now = _absent(dev, fl, NEGLIGIBLE[0] if negligible is None else negligible)
            absent = now if absent is None else np.intersect1d(absent, now)   # released, never added
            F = _held_rhs(F, absent)
        dz = None
        if chord and (absent is None or absent.size == factored.held.size):
            dz = _solve_again_on(linear, F, solved)
            new_size = _size(dz, clip, z, F, fl) if np.all(np.isfinite(dz)) else math.inf
            if new_size > CHORD_RATE * size:
                dz = None                            # not contracting: a Newton step from here instead
        if dz is None:
            if J is None:
                with np.errstate(over="ignore", invalid="ignore"):
                    J = evaluate(dev, z, voltages, driven, targets, poisson_only=psi_only)[1]
                if not np.all(np.isfinite(J.data)):
                    raise _Failed("non-finite Jacobian")
            if absent is not None:
                J = _held_matrix(J, absent)
            try:
                dz = _solve_on(linear, J, F, solved)
            except SingularJacobian as exc:
                raise _Failed(f"singular Jacobian ({exc})") from None
            factored = linear.tag = Factored(dev, z.copy(), np.zeros(0, np.int64) if absent is None else absent,
                                             subset)
            if not np.all(np.isfinite(dz)):
                raise _Failed("non-finite Newton update")
            new_size = _size(dz, clip, z, F, fl)
        size = new_size
        if it == 1 and predicted and (absent is None or absent.size == 0):
            full = z + _only(dz, solved)
            inside = full.copy()
            clip(inside)
            undamped = full if np.array_equal(inside, full) else None   # only an update within the bounds
        z = z + _only(_damped(dev, dz, c, psi_only), solved)
        clip(z)
        if absent is not None:
            _merge(dev, z, absent)
        if size < atol:
            wrong = _wrongly_held(absent, F_full, fl) if absent is not None else None
            if wrong is None:
                return z, it
            absent = absent[absent % 3 != wrong]          # that carrier is solved for from here on
    raise _Failed(f"no convergence in {maxit} Newton iterations; worst residual: {_worst(dev, F)}")


class Factored(NamedTuple):
    """What the factors a JacobianSolver keeps (its ``tag``) are of: the Jacobian of ``dev`` at
    ``z``, with the unknowns ``held`` fixed, solved on ``subset`` (None: all)."""

    dev: Device
    z: np.ndarray
    held: np.ndarray
    subset: np.ndarray | None


def _kept_factors(linear: JacobianSolver, dev: Device, z, subset) -> Factored | None:
    """``linear.tag`` when its factors are of this device's Jacobian at a z within
    ``TANGENT_REUSE_V`` of this one, for the same unknowns; else None."""
    tag = linear.tag
    if (not isinstance(tag, Factored) or tag.dev is not dev or tag.z.size != z.size
            or (tag.subset is None) != (subset is None)
            or (subset is not None and not np.array_equal(tag.subset, subset))):
        return None
    if float(np.max(np.abs(tag.z - z), initial=0.0)) >= TANGENT_REUSE_V:
        return None
    return tag


def _size(dz, clip, z, F, fl) -> float:
    """The convergence measure of an update: its largest entry, leaving out those at an active
    quasi-Fermi bound (:func:`_pinned_and_balanced`)."""
    if not dz.size:
        return 0.0
    quiet = _pinned_and_balanced(clip.pinned(z, dz), F, fl)
    return float(np.max(np.where(quiet, 0.0, np.abs(dz))))


def _solved(dev: Device, size: int):
    """Indices of z solved for in a single-carrier device (``Device.carriers``): all but the absent
    carrier's quasi-Fermi potentials at non-conductor nodes (a conductor node's phi slot is its
    potential); None for a two-carrier device (everything)."""
    if dev.carriers == "both":
        return None
    off = 2 if dev.carriers == "electrons" else 1
    keep = np.ones(size, bool)
    keep[3 * np.flatnonzero(~dev.node_cond) + off] = False
    return np.flatnonzero(keep)


def _only(v, idx):
    """``v`` with the entries outside ``idx`` zeroed (``idx`` None: unchanged)."""
    if idx is None:
        return v
    out = np.zeros_like(v)
    out[idx] = v[idx]
    return out


def _solve_on(linear: JacobianSolver, J, F, idx):
    """J dz = F on the unknowns ``idx`` (rows and columns; None: all), dz = 0 elsewhere."""
    if idx is None:
        return linear.solve(J, F)
    dz = np.zeros(F.size)
    dz[idx] = linear.solve(J[idx][:, idx].tocsr(), F[idx])
    return dz


def _solve_again_on(linear: JacobianSolver, F, idx):
    """As :func:`_solve_on`, with the factors ``linear`` kept from the last one (a chord step)."""
    if idx is None:
        return linear.solve_again(F)
    dz = np.zeros(F.size)
    dz[idx] = linear.solve_again(F[idx])
    return dz


def _damped(dev: Device, dz, c, psi_only=False):
    """The applied update (module doc): psi log-compressed, d -> c sign(d) ln(1 + |d|/c); at
    semiconductor nodes each quasi-Fermi potential moved so that its carrier's density makes the
    step Newton's linearisation predicts in density space, n -> n (1 + y),
    y = d ln n (= (d psi - d phi_n)/V_T, (d phi_p - d psi)/V_T), the decrease capped at
    ``MAX_EFOLDS`` e-folds per iteration; every other unknown takes its full update."""
    step = c * np.sign(dz) * np.log1p(np.abs(dz) / c)
    if psi_only:
        return step
    N = dev.n_nodes
    VT = dev.VT_ref
    step[1:3 * N:3] = dz[1:3 * N:3]
    step[2:3 * N:3] = dz[2:3 * N:3]
    step[3 * N:] = dz[3 * N:]
    live = np.flatnonzero(dev.node_semi & ~dev.node_cond)
    dpsi, dpsi_applied = dz[3 * live], step[3 * live]
    floor = -1.0 + np.exp(-MAX_EFOLDS)
    ln_n = np.log1p(np.maximum((dpsi - dz[3 * live + 1]) / VT, floor))
    ln_p = np.log1p(np.maximum((dz[3 * live + 2] - dpsi) / VT, floor))
    step[3 * live + 1] = dpsi_applied - VT * ln_n
    step[3 * live + 2] = dpsi_applied + VT * ln_p
    return step


def _absent(dev: Device, fl, negligible: float) -> np.ndarray:
    """Indices of the quasi-Fermi unknowns of carriers absent around a node (module doc): at every
    vertex of the node's elements the carrier's density is below ``negligible`` x its largest
    density in the device."""
    S = dev.semi
    if S.size == 0:
        return np.zeros(0, dtype=np.int64)
    t = dev.geom.t[:, S]
    out = []
    for off, dens in ((1, fl.n), (2, fl.p)):
        counts = dens.max(axis=0) >= negligible * dens.max()      # element with a vertex where it counts
        seen = np.zeros(dev.n_nodes)
        np.add.at(seen, t.ravel(), np.repeat(counts[None, :], 3, axis=0).ravel().astype(float))
        absent = dev.node_semi & ~dev.node_cond & (seen == 0)
        if dev.split is not None:                 # a heterointerface pair is held together or not at all
            both = absent[dev.split.a] & absent[dev.split.b]
            absent[dev.split.a] = absent[dev.split.b] = both
        out.append(3 * np.flatnonzero(absent) + off)
    return np.sort(np.concatenate(out))


def _current_scale(fl) -> float:
    """The largest edge current of an evaluation (A; A/m planar)."""
    return max(float(np.max(np.abs(a), initial=0.0)) for a in (fl.In, fl.Ip, fl.Ic))


def _pinned_and_balanced(pinned, F, fl):
    """Entries at a clip bound with the update pointing out of it whose own row balances to
    ``HELD_RTOL`` x the largest edge current: converged with the bound active. (An unbalanced
    row at the bound is a Newton iterate gone astray, not a solution.)"""
    return pinned & (np.abs(F) <= HELD_RTOL * _current_scale(fl))


def _wrongly_held(absent, F, fl):
    """1 (electrons) or 2 (holes) if a held quasi-Fermi potential's own continuity row is out of
    balance by more than ``HELD_RTOL`` x the largest edge current of the device -- the carrier
    is present there after all (it flows in from a neighbour) -- else None."""
    if absent.size == 0:
        return None
    bad = absent[np.abs(F[absent]) > HELD_RTOL * _current_scale(fl)]
    return int(bad[0] % 3) if bad.size else None


def _merge(dev: Device, z, absent):
    """An absent carrier's quasi-Fermi potential takes the other carrier's (where that one is
    present): it then sets a density n p = n_i^2 below the other's, negligible as before. At a
    heterointerface pair a carrier without thermionic emission keeps one level: the copy takes the
    original's (the other carrier's may jump there)."""
    other = np.where(absent % 3 == 1, absent + 1, absent - 1)
    keep = ~np.isin(other, absent)
    z[absent[keep]] = z[other[keep]]
    if dev.split is not None:
        s_ = dev.split
        for off, tied in ((1, s_.v_n == 0), (2, s_.v_p == 0)):
            z[3 * s_.b[tied] + off] = z[3 * s_.a[tied] + off]


def _held_rhs(F, held):
    """F with the rows of the unknowns ``held`` fixed zeroed (:func:`_held_matrix`)."""
    if held.size == 0:
        return F
    F = F.copy()
    F[held] = 0.0
    return F


def _held_matrix(J, held):
    """J with the unknowns ``held`` kept fixed: identity rows, their columns dropped from the other
    rows (data only: the sparsity pattern stays); with :func:`_held_rhs` they do not move."""
    if held.size == 0:
        return J
    J = J.copy()
    rows = np.repeat(np.arange(J.shape[0]), np.diff(J.indptr))
    mask = np.zeros(J.shape[0], bool)
    mask[held] = True
    hit = mask[rows] | mask[J.indices]
    J.data[hit] = np.where(rows[hit] == J.indices[hit], 1.0, 0.0)
    return J


def _fermi_bounds(dev: Device, voltages, driven=()):
    """In-place clip of phi_n, phi_p at semiconductor / conductor nodes to the contact-voltage range
    widened by 10 V_T (driven contacts: their current voltage, z[3N + k]); see the module doc.
    ``clip.pinned(z, dz)`` marks the entries at a bound whose update points out of it."""
    N = dev.n_nodes
    live = np.flatnonzero(dev.node_semi | dev.node_cond)
    idx = np.concatenate([3 * live + 1, 3 * live + 2])
    fixed = [float(v) for k, v in voltages.items() if k not in driven]
    margin = 10.0 * dev.VT_ref

    def bounds(z):
        vs = fixed + [float(z[3 * N + k]) for k in range(len(driven))]
        return (min(vs) - margin, max(vs) + margin) if vs else (-np.inf, np.inf)

    def clip(z):
        lo, hi = bounds(z)
        z[idx] = np.clip(z[idx], lo, hi)

    def pinned(z, dz):
        lo, hi = bounds(z)
        out = np.zeros(z.size, bool)
        out[idx] = ((z[idx] >= hi) & (dz[idx] > 0)) | ((z[idx] <= lo) & (dz[idx] < 0))
        return out
    clip.pinned = pinned
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
    if dev.split is not None:                     # heterointerface copies start on their originals
        psi[dev.split.b] = psi[dev.split.a]
    x = np.zeros(3 * N)
    x[0::3] = psi
    return x


def _all_volts(dev, voltages):
    out = {c.boundary: 0.0 for c in dev.contacts}
    for k, v in (voltages or {}).items():
        c = dev.contact(k)
        out[k] = c.check_voltage(v)
    return out


def linear_solver_of(linear_solver) -> JacobianSolver:
    """A :class:`JacobianSolver` from a backend name, or the given instance (reusing it keeps
    PARDISO's analysis over several solves, e.g. the iterations of an electrothermal loop)."""
    return linear_solver if isinstance(linear_solver, JacobianSolver) else JacobianSolver(linear_solver)


def solve_equilibrium(dev: Device, maxit=60, linear_solver="auto") -> ElectricalState:
    """Thermal equilibrium (all contacts at 0 V) with no user guess.

    ``linear_solver``: "auto" | "pardiso" | "superlu" (:mod:`fem_cqd.electrical.linear`), or a
    JacobianSolver to reuse.
    """
    linear = linear_solver_of(linear_solver)
    cons = dev.constraints
    volts = _all_volts(dev, {})
    z = _initial_guess(dev)
    # contact rows hold their Dirichlet values exactly from the start
    h = rhs(dev, volts)
    G = cons.G.tocsr()
    rows = np.flatnonzero(np.diff(G.indptr) == 1)
    diag_rows = rows[G.indices[G.indptr[rows]] == rows]
    z[diag_rows] = h[diag_rows]
    try:
        z, it1 = newton(dev, z, volts, linear, maxit=maxit, psi_only=True)
        z, it2 = newton(dev, z, volts, linear, maxit=maxit)
    except _Failed as exc:
        raise ElectricalConvergenceError(f"equilibrium did not converge: {exc}") from None
    return make_state(dev, z, volts, iterations=it1 + it2)


def _z_of(dev, state: ElectricalState, driven):
    return np.concatenate([state.x, [state.voltages[d] for d in driven]])


def _tangent(dev, linear, z, volts, driven, targets, dvolts, dtargets, negligible):
    """dz/dlambda at a converged z: J t = -dF/dlambda, where lambda moves the contact voltages by
    ``dvolts`` and the driven currents by ``dtargets`` (only the constraint right-hand sides and
    the current rows depend on them). The Euler predictor of the continuation. When ``linear``
    keeps the factors of this device's Jacobian at a z within ``TANGENT_REUSE_V`` of this one
    (those of the Newton solve that converged here), they are used: no new factorisation."""
    b = np.zeros(z.size)
    for name, (rows, _) in dev.constraints.h_volt.items():
        if name not in driven:
            b[rows] = dvolts.get(name, 0.0)
    N3 = 3 * dev.n_nodes
    b[N3:] = dtargets
    solved = _solved(dev, z.size)
    kept = _kept_factors(linear, dev, z, None)
    if kept is not None:
        return _solve_again_on(linear, _held_rhs(-b, kept.held), solved)
    with np.errstate(over="ignore", invalid="ignore"):
        _, J, (_, fl) = evaluate(dev, z, volts, driven, targets)
    held = _absent(dev, fl, negligible)
    return _solve_on(linear, _held_matrix(J, held), _held_rhs(-b, held), solved)


def _step_to(dev, linear, start: ElectricalState, goal_volts, driven, goal_currents, min_step, max_steps,
             label):
    """Continuation from ``start`` to the goal (module doc); returns the state. Raises
    ConvergenceError carrying the last converged state."""
    v0 = {k: start.voltages[k] for k in start.voltages}
    i0 = {k: start.currents[k] for k in driven}
    dvolts = {k: goal_volts.get(k, v0[k]) - v0[k] for k in v0}
    dtargets = np.array([goal_currents[k] - i0[k] for k in driven])

    def params(lam):
        volts = {k: v0[k] + lam * dvolts[k] for k in v0}
        return volts, tuple(i0[k] + lam * d for k, d in zip(driven, dtargets))

    span = max([abs(v) for v in dvolts.values()] + [0.0])
    lam, step, it = 0.0, (min(1.0, FIRST_STEP_V / span) if span > 0 and not driven else 1.0), 0
    max_step = min(1.0, MAX_STEP_V / span) if span > 0 and not driven else 1.0
    z = _z_of(dev, start, driven)
    n_steps = 0
    tangent = None
    levels = list(NEGLIGIBLE)      # absent-carrier levels, and predictor (True) or last state (False), in
    moving = bool(any(dvolts.values()) or np.any(dtargets))
    guesses = [True, False] if moving else [False]   # the order they are tried (no predictor for a standstill:
                                                     # a new temperature at the same drive)
    while lam < 1.0:
        step = min(step, 1.0 - lam, max_step)
        volts, targets = params(lam + step)
        try:
            if tangent is None and moving:
                tangent = _tangent(dev, linear, z, params(lam)[0], driven, params(lam)[1], dvolts, dtargets, levels[0])
            znew = None
            for neg in levels:
                for use in guesses:
                    try:
                        znew, it = newton(dev, z + step * tangent if use else z, volts, linear, driven, targets,
                                          negligible=neg, predicted=use)
                        break
                    except _Failed as exc_:
                        last_exc = exc_
                if znew is not None:      # what worked is tried first at the next step
                    levels = [neg] + [v for v in levels if v != neg]
                    guesses = [use, not use] if moving else [False]
                    break
            if znew is None:
                raise last_exc
        except (_Failed, SingularJacobian) as exc:
            step *= 0.5
            if step < min_step or not moving:                                      # nothing to step
                state = start if lam == 0 else make_state(dev, z, _volts_of(dev, z, params(lam)[0], driven))
                raise ElectricalConvergenceError(
                    f"{label}: stopped at {_describe(state)}; a step of {step * 2:.3g} of the way "
                    f"towards {goal_volts or goal_currents} failed: {exc}", last_state=state) from None
            continue
        n_steps += 1
        if n_steps > max_steps:
            state = make_state(dev, z, _volts_of(dev, z, params(lam)[0], driven))
            raise ElectricalConvergenceError(f"{label}: more than {max_steps} steps", last_state=state)
        z, lam, tangent = znew, lam + step, None
        step *= 2.0 if it <= 4 else (1.25 if it <= 8 else 1.0)
    if lam == 0.0:
        return start
    return make_state(dev, z, _volts_of(dev, z, params(1.0)[0], driven), iterations=it)


def _volts_of(dev, z, volts, driven):
    """Contact voltages with the driven contacts' voltages read from z."""
    volts = dict(volts)
    for k, name in enumerate(driven):
        volts[name] = float(z[3 * dev.n_nodes + k])
    return volts


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
    linear = linear_solver_of(linear_solver)
    if start is None:
        start = solve_equilibrium(dev, linear_solver=linear)
    driven = tuple(currents)
    goal = {k: start.voltages[k] for k in start.voltages}
    goal.update({k: float(v) for k, v in voltages.items()})
    for k in driven:
        goal.pop(k)
    return _step_to(dev, linear, start, goal, driven, {k: float(v) for k, v in currents.items()},
                    min_step, max_steps, "solve_bias")


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
    linear = linear_solver_of(linear_solver)
    if start is None:
        start = solve_equilibrium(dev, linear_solver=linear)
    driven = (contact,) if mode == "current" else ()
    completed, state = [], start
    bar = tqdm(values, disable=not progress, desc=f"ramp {contact}", unit="pt")
    for v in bar:
        goal = {k: state.voltages[k] for k in state.voltages}
        if mode == "voltage":
            goal[contact] = v
        else:
            goal.pop(contact)
        try:
            state = _step_to(dev, linear, state, goal, driven, {contact: v} if driven else {},
                             min_step, max_steps_per_point, f"ramp of {contact!r}")
        except ConvergenceError as exc:
            raise ElectricalConvergenceError(str(exc), last_state=exc.last_state or state, completed=completed) from None
        if mode == "current":
            c.check_voltage(state.voltages[contact])
        completed.append(state)
        if on_point is not None:
            on_point(state)
        bar.set_postfix_str(f"V={state.voltages[contact]:.4g} I={state.currents[contact]:.4g}")
    return completed
