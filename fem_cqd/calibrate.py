"""Calibration of the device model to measured J-V curves (``fem-cqd fit``), with an identifiability report.

Free parameters are named ``MATERIAL.key`` with the material library's TOML keys (units in the names,
e.g. ``TCTA.homo_eV``, ``TCTA.mu_p_cm2_per_Vs``) or ``stack.key`` with a keyword of the stack
function (``stack.spacer_nm``, ``stack.tcta_nm``), each with bounds and optionally a log scale. The
model is the column through the aperture centre (:func:`fem_cqd.mesh.column_mesh`: a 1D device on
``COLUMN_CELL_NM`` film cells, isothermal at each data set's temperature) of the lim2018 stack with
a base parameter set, the free values and each data set's own stack values applied (a thickness
series: ``JVData.stack``, CSV columns ``tcta_nm`` / ``spacer_nm``); all data sets -- temperatures
and thicknesses -- are fitted jointly. The fit minimises

    sum_i rho( w_i (log10 J_model(V_i; x) - log10 J_measured,i)^2 )

over the bounded parameters with ``scipy.optimize.least_squares`` (trust-region reflective, in
coordinates u in [0, 1]^d that are linear or logarithmic in each parameter; rho the robust loss,
soft_l1 by default) from several starts (the box centre and a Latin hypercube of
``scipy.stats.qmc``); each J-V is Newton-continued from the last parameter point's solution at the
same voltage (warm start), so a Jacobian column costs a few Newton iterations per voltage. The
shifted points of each forward-difference Jacobian (and of the final central one) are evaluated
together, on ``ColumnModel(workers=N)`` processes when N > 1 -- with the same result as in one
process, since each starts from the states cached before the batch. A start stops when an iteration
lowers chi^2 = 2 cost / s^2 by less than ``FTOL_CHI2`` (a few hundredths of a standard error).

Report (Gauss-Newton at the best point): covariance s^2 (J^T J)^-1 with J the Jacobian of the
residuals in the parameters' own units and s^2 = sum r^2 / (m - d); standard errors, the correlation
matrix, and a warning for every pair with |correlation| > ``CORRELATION_LIMIT`` -- a combination the
data cannot separate (e.g. a mobility prefactor and an activation energy from one temperature) --
and for every parameter that ends at a bound. The standard errors are those of the linearised
model: where the cost valley is curved (correlated parameters of an exponential J-V) they can be
smaller than the spread of fits to repeated data; ``benchmarks/calibration.py`` measures that ratio.
The fitted values are written as a parameter set (the base set's values plus the fitted ones, each
with its source "fitted: ..."), which ``lim2018(params=FILE)`` and the cases accept.
"""
from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import ConvergenceError, InputError
from .paramsets import ParameterSet, load_parameter_set

CORRELATION_LIMIT = 0.95
SINGULAR = 1e-6                                  # singular value of the unit-coordinate Jacobian (relative to the
                                                 # largest) below which a direction is undetermined (cond(J^T J) 1e12)
AT_BOUND = 1e-3                                  # unit-coordinate distance from a bound reported as "at the bound"
STACK_KEYS = ("spacer_nm", "tcta_nm")          # stack keywords a fit may vary (1D column: no aperture width)
FAILED_DECADES = 10.0                            # residual of a voltage the model cannot reach (decades)
XTOL = 1e-8                                      # relative step at which a start stops (scipy default)
FTOL_CHI2 = 1e-3                                 # a start stops when an iteration lowers chi^2 = 2 cost / s^2 by less
                                                 # than this: ftol = FTOL_CHI2 / (m - d), as chi^2 ~ m - d at the
                                                 # minimum. What remains is ~sqrt(1e-3) ~ 0.03 standard errors; the
                                                 # scipy default (ftol 1e-8) spent 40 % of a fit on steps of 1e-4 SE
FORWARD_STEP = 5e-3                              # the optimiser's forward-difference step in the unit coordinates
PROFILE_STEPS = 6                                # a profile's steps each way (of the linearised SE) before it
                                                 # reports an open end
PROFILE_MAX_STEP = 0.1                           # its largest step in the unit coordinates
COLUMN_CELL_NM = 0.5                             # vertical cell of the column's films (MeshOptions.layer_cell_nm).
# Measured on the lim2018_operating column, J(3.5..8 V) against 0.125-nm cells: 0.5 nm within 1.1 %, 0.25 nm
# 0.2 %; the 2D default 5 nm 3.8 % and not monotone (2 nm: 8 %, 1 nm: 4.7 %). On 5-nm cells J(V; parameters)
# is also a saw-tooth: the poly-TPD hole mobility is Poole-Frenkel, mu_0 exp(gamma sqrt F), steep at low
# field, and the point where the field reverses in the accumulation layer at PEDOT:PSS crosses a cell every
# ~0.02 eV of poly-TPD HOMO, kinking J by ~0.5 % each time (d ln J / d E_HOMO jumped by 2-5 per eV step of
# 0.003 eV; with gamma = 0 it is smooth); on 0.5-nm cells the jumps are at the level of the curve's own
# curvature (max step-to-step change of d ln J / d E 0.33 vs 0.25 smooth).
DIFF_STEP = 1e-2                                 # finite-difference step in the unit coordinates (the residual
                                                 # saw-tooth above, left at 0.5-nm cells, is noise to a 1e-4 step)
LINEAR = "superlu"                               # a column has ~500 unknowns: PARDISO's set-up would dominate


# --- parameters ------------------------------------------------------------------------------
@dataclass(frozen=True)
class FreeParameter:
    """A fitted quantity: ``name`` (``MATERIAL.key`` or ``stack.key``), bounds in its unit, log scale."""

    name: str
    lower: float
    upper: float
    log: bool = False
    initial: float | None = None

    def __post_init__(self):
        for k in ("lower", "upper"):
            v = getattr(self, k)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                raise InputError(f"{self.name}.{k}", v, "a finite number")
        if not self.lower < self.upper:
            raise InputError(f"{self.name} bounds", (self.lower, self.upper), "lower < upper")
        if self.log and self.lower <= 0:
            raise InputError(f"{self.name}.lower", self.lower, "> 0 on a log scale")
        if self.initial is not None and not self.lower <= self.initial <= self.upper:
            raise InputError(f"{self.name}.initial", self.initial, f"a value within [{self.lower:g}, {self.upper:g}]")

    def value(self, u):
        """The parameter at the unit coordinate u in [0, 1]."""
        if self.log:
            return self.lower * (self.upper / self.lower) ** u
        return self.lower + (self.upper - self.lower) * u

    def unit_of(self, x: float) -> float:
        if self.log:
            return math.log(x / self.lower) / math.log(self.upper / self.lower)
        return (x - self.lower) / (self.upper - self.lower)

    def dvalue_du(self, u):
        return self.value(u) * math.log(self.upper / self.lower) if self.log else self.upper - self.lower


_PARAM = re.compile(r"^\s*([^=\s]+)\s*=\s*([^:]+):([^:]+?)(:log)?\s*$")


def parse_parameter(text: str) -> FreeParameter:
    """``NAME=LOWER:UPPER`` or ``NAME=LOWER:UPPER:log`` (the ``--param`` syntax of ``fem-cqd fit``)."""
    m = _PARAM.match(text)
    if not m:
        raise InputError("--param", text, "NAME=LOWER:UPPER or NAME=LOWER:UPPER:log, e.g. TCTA.homo_eV=5.5:5.9")
    try:
        lo, hi = float(m.group(2)), float(m.group(3))
    except ValueError:
        raise InputError("--param", text, "numeric bounds, e.g. TCTA.mu_p_cm2_per_Vs=1e-5:1e-3:log") from None
    return FreeParameter(m.group(1), lo, hi, bool(m.group(4)))


def valid_names(base: ParameterSet) -> list[str]:
    """Every name a free parameter may have with this base set: the numeric library keys of the
    stack's semiconductor materials, and ``stack.`` + :data:`STACK_KEYS`."""
    from .materials import _UNITS
    from .stack import lim2018
    stack = lim2018(params=base)
    mats = sorted({lay.material for lay in stack.layers if stack.library[lay.material].kind == "semiconductor"})
    keys = sorted(set(_UNITS) | {"homo_eV", "lumo_eV"})
    return [f"{m}.{k}" for m in mats for k in keys] + [f"stack.{k}" for k in STACK_KEYS]


def check_parameters(free, base: ParameterSet) -> tuple:
    free = tuple(free)
    if not free:
        raise InputError("free parameters", "none", "at least one --param NAME=LOWER:UPPER")
    names = valid_names(base)
    seen = set()
    for p in free:
        if not isinstance(p, FreeParameter):
            raise InputError("free parameters", p, "FreeParameter instances")
        if p.name not in names:
            raise InputError("free parameter name", p.name, "one of " + ", ".join(names))
        if p.name in seen:
            raise InputError("free parameter name", p.name, "each parameter once")
        seen.add(p.name)
    return free


def _stack_names(stack_values: dict) -> dict:
    """A data set's stack values (``{"tcta_nm": 20.0}``) as free-parameter names (``stack.tcta_nm``)."""
    return {f"stack.{k}": v for k, v in stack_values.items()}


def with_values(base: ParameterSet, values: dict, source: str) -> ParameterSet:
    """``base`` with ``values`` (name -> value) set, each with ``source``."""
    stack = dict(base.stack_parameters)
    mats = {k: {"values": dict(v["values"]), "sources": dict(v["sources"])} for k, v in base.materials.items()}
    from .paramsets import _source_key
    for name, value in values.items():
        owner, key = name.split(".", 1)
        if owner == "stack":
            stack[key] = {"value": float(value), "source": source}
        else:
            entry = mats.setdefault(owner, {"values": {}, "sources": {}})
            entry["values"][key] = float(value)
            entry["sources"][_source_key(key)] = source
    return dataclasses.replace(base, stack_parameters=stack, materials=mats)


# --- data --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class JVData:
    """One measured J-V: voltages (V), current densities (A/cm^2, > 0) at temperature T (K) of a
    device whose stack differs from the base set's by ``stack`` (e.g. ``{"tcta_nm": 20.0}``: a
    thickness series fitted jointly; keys from :data:`STACK_KEYS`), of kind ``device``
    (:data:`fem_cqd.stack.DEVICES`: the ``"pin"`` diode or its ``"hole_only"`` companion)."""

    V: np.ndarray
    J: np.ndarray
    T_K: float = 300.0
    label: str = ""
    stack: dict = field(default_factory=dict)
    device: str = "pin"

    def __post_init__(self):
        from .errors import check_choice
        from .stack import DEVICES
        check_choice(f"data set {self.label!r} device", self.device, DEVICES)
        for k, v in self.stack.items():
            if k not in STACK_KEYS:
                raise InputError(f"data set {self.label!r} stack key", k, "one of " + ", ".join(STACK_KEYS))
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v <= 0:
                raise InputError(f"data set {self.label!r} {k}", v, "a finite number > 0 (nm)")


def read_jv_csv(path) -> list[JVData]:
    """Data sets from a CSV with columns ``voltage_V, current_density_A_per_cm2[, T_K]``, optionally
    stack columns named as :data:`STACK_KEYS` (``tcta_nm``, ``spacer_nm``: devices of a thickness
    series) and ``device`` (``pin`` or ``hole_only``), one set per temperature, stack and device,
    validated before any solve."""
    import csv
    path = Path(path)
    if not path.is_file():
        raise InputError("data file", str(path), "an existing CSV file")
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    need = ("voltage_V", "current_density_A_per_cm2")
    if not rows:
        raise InputError(f"{path.name}", "no data rows", "a header and at least one row")
    missing = [c for c in need if c not in rows[0]]
    if missing:
        raise InputError(f"{path.name} columns", sorted(rows[0]), "columns " + ", ".join(need) + "[, T_K]")
    extra = tuple(c for c in ("T_K",) + STACK_KEYS if c in rows[0])
    cols = need + extra
    table = {c: [] for c in cols}
    kinds = [(r.get("device") or "").strip() or "pin" for r in rows] if "device" in rows[0] else ["pin"] * len(rows)
    from .stack import DEVICES
    for i, k in enumerate(kinds, start=2):
        if k not in DEVICES:
            raise InputError(f"{path.name} line {i} device", k, "one of " + ", ".join(DEVICES))
    for i, r in enumerate(rows, start=2):
        for c in cols:
            try:
                v = float(r[c])
            except (TypeError, ValueError):
                raise InputError(f"{path.name} line {i} {c}", r[c], "a number") from None
            if not math.isfinite(v):
                raise InputError(f"{path.name} line {i} {c}", r[c], "a finite number")
            table[c].append(v)
    J = np.array(table["current_density_A_per_cm2"])
    bad = np.flatnonzero(J <= 0)
    if bad.size:
        raise InputError(f"{path.name} current_density_A_per_cm2", f"{J[bad[0]]:g} at lines {(bad + 2).tolist()[:10]}",
                         "current densities > 0 (the fit compares log10 J)")
    T = np.array(table.get("T_K", [300.0] * J.size))
    if np.any(T <= 0):
        raise InputError(f"{path.name} T_K", float(T.min()), "temperatures > 0 K")
    keys = [c for c in extra if c != "T_K"]
    for c in keys:
        bad = np.flatnonzero(np.array(table[c]) <= 0)
        if bad.size:
            raise InputError(f"{path.name} {c}", f"{table[c][bad[0]]:g} at lines {(bad + 2).tolist()[:10]}",
                             "thicknesses > 0 nm")
    V = np.array(table["voltage_V"])
    kind_index = np.array([DEVICES.index(k) for k in kinds], float)
    group = np.array([kind_index, T] + [table[c] for c in keys]).T
    out = []
    for g in np.unique(group, axis=0):
        k = np.flatnonzero(np.all(group == g, axis=1))
        k = k[np.argsort(V[k])]
        stack = {c: float(v) for c, v in zip(keys, g[2:])}
        device = DEVICES[int(g[0])]
        label = " ".join([path.stem] + ([device] if device != "pin" else []) + [f"{g[1]:g} K"]
                         + [f"{c} {v:g}" for c, v in stack.items()])
        out.append(JVData(V[k], J[k], float(g[1]), label, stack, device))
    return out


# --- model ---------------------------------------------------------------------------------------
class ColumnModel:
    """J(V) of the aperture-centre column (module doc) for a base parameter set and free values.

    ``jv(values, data)`` returns J (A/cm^2) at ``data.V`` (NaN where the continuation fails), each
    voltage warm-started from the previous call's solution for the same data set and voltage.
    ``jv_many`` evaluates several (values, data) pairs at once, on ``workers`` processes when > 1;
    every pair starts from the states cached before the call, so the result does not depend on
    how many processes share the work (``tests/test_calibrate.py`` checks serial == parallel)."""

    def __init__(self, base="lim2018_operating", options=None, width_nm: float = 10.0, workers: int = 1):
        """``options``: the column's MeshOptions (default: ``COLUMN_CELL_NM`` cells in every film);
        ``workers``: processes for :meth:`jv_many` (1: in this process)."""
        from .mesh import MeshOptions
        if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
            raise InputError("workers", workers, "an integer >= 1")
        self.base = base if isinstance(base, ParameterSet) else load_parameter_set(base)
        self.options = options or MeshOptions(layer_cell_nm=COLUMN_CELL_NM)
        self.width_nm = width_nm
        self.workers = workers
        self._pool = None
        self._warm = {}
        self.evaluations = 0

    def device(self, values: dict, T_K: float, stack_values: dict | None = None, kind: str = "pin"):
        """The column device of kind ``kind`` (pin or hole_only) at the free ``values`` and a data
        set's ``stack_values`` (MeshOptions ``self.options``), isothermal at ``T_K``."""
        return _column_device(self.base, self.options, self.width_nm, values, T_K, stack_values, kind)

    def jv(self, values: dict, data: JVData) -> np.ndarray:
        return self.jv_many([(values, data)])[0]

    def jv_many(self, pairs) -> list:
        """J(V) (A/cm^2) of each ``(values, data)`` pair; afterwards the cache holds, per data set
        and voltage, the state of the last pair that reached it."""
        pairs = list(pairs)
        jobs = [(self.base, self.options, self.width_nm, values, d, [self._warm.get(_warm_key(d, V)) for V in d.V])
                for values, d in pairs]
        self.evaluations += len(jobs)
        if self.workers > 1 and len(jobs) > 1:
            results = list(self._executor().map(_column_jv, *zip(*jobs)))
        else:
            results = [_column_jv(*job) for job in jobs]
        for (_, d), (_, states) in zip(pairs, results):
            for V, st in zip(d.V, states):
                if st is not None:
                    self._warm[_warm_key(d, V)] = st
        return [J for J, _ in results]

    def _executor(self):
        if self._pool is None:
            import multiprocessing
            import weakref
            from concurrent.futures import ProcessPoolExecutor
            # spawn: a fresh interpreter per worker (a forked copy of a process holding solver threads can hang)
            self._pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"))
            weakref.finalize(self, self._pool.shutdown)
        return self._pool

    def close(self):
        """Stop the worker processes (a later parallel call starts new ones)."""
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _warm_key(d: JVData, V) -> tuple:
    return (d.label, d.device, tuple(sorted(d.stack.items())), d.T_K, float(V))


def _column_device(base, options, width_nm, values, T_K, stack_values=None, kind="pin"):
    from .electrical import Contact, build_device
    from .mesh import column_mesh
    from .stack import lim2018
    stack = lim2018("planar", params=with_values(base, {**values, **_stack_names(stack_values or {})}, "fit trial"),
                    device=kind)
    tm = column_mesh(stack, options, width_nm=width_nm)
    return build_device(tm, [Contact("anode"), Contact("cathode")], T_K=T_K)


def _column_jv(base, options, width_nm, values, data: JVData, warm) -> tuple:
    """(J (A/cm^2) at ``data.V``, the state at each voltage or None): each voltage Newton-solved from
    its ``warm`` state (a previous parameter point's), else continued from the previous voltage (or
    equilibrium); NaN from the first voltage neither reaches. A pure function of its arguments (it
    runs in worker processes)."""
    from .electrical import solve_bias, solve_equilibrium
    dev = _column_device(base, options, width_nm, values, data.T_K, data.stack, data.device)
    area = width_nm * 1e-9 * 1e4            # I in A per metre of depth / (width x 1e4 cm^2/m^2) = A/cm^2
    J = np.full(data.V.size, np.nan)
    states = [None] * data.V.size
    prev = None
    for k, V in enumerate(data.V):
        st = None
        for start in (warm[k], prev if prev is not None else "equilibrium"):
            if start is None:
                continue
            try:
                if isinstance(start, str):
                    start = solve_equilibrium(dev, linear_solver=LINEAR)
                st = solve_bias(dev, {"anode": float(V)}, start=start, linear_solver=LINEAR)
                break
            except ConvergenceError:
                continue
        if st is None:
            break
        states[k] = prev = st
        J[k] = st.currents["anode"] / area
    return J, states


# --- fit -----------------------------------------------------------------------------------------
@dataclass
class FitResult:
    """The best of the starts (module doc): values and linearised errors (parameter units), the
    correlation matrix, warnings, cost, rms misfit in decades, every start, the data and the model J."""

    parameters: tuple
    values: dict
    std_errors: dict
    correlation: np.ndarray
    warnings: list
    cost: float
    rms_decades: float
    starts: list
    data: list
    model_J: list
    evaluations: int
    base: ParameterSet = field(repr=False, default=None)
    unit_point: np.ndarray = field(repr=False, default=None)   # the best point in the unit coordinates
    residuals: np.ndarray = field(repr=False, default=None)    # there (decades)
    loss: str = "soft_l1"

    def parameter_set(self, name: str, source: str) -> ParameterSet:
        """The base set with every fitted value, its source "fitted: SOURCE, value +- SE"."""
        ps = self.base
        for p in self.parameters:
            v, e = self.values[p.name], self.std_errors[p.name]
            ps = with_values(ps, {p.name: v}, f"fitted: {source}, {v:.6g} +- {e:.2g}")
        return dataclasses.replace(ps, name=name, description=f"{self.base.description}; fitted ({source})")


def residuals(model: ColumnModel, free, data, u) -> np.ndarray:
    """w (log10 J_model - log10 J_measured) over every data set at the unit point ``u``
    (``FAILED_DECADES`` where the model fails)."""
    return residuals_at(model, free, data, [u])[0]


def residuals_at(model: ColumnModel, free, data, points) -> list:
    """The residual vectors at several unit points, every J-V of them in one ``jv_many`` call (in
    parallel on the model's workers)."""
    pairs = [({p.name: p.value(ui) for p, ui in zip(free, u)}, d) for u in points for d in data]
    Js = iter(model.jv_many(pairs))
    out = []
    for _ in points:
        r = []
        for d in data:
            with np.errstate(divide="ignore", invalid="ignore"):
                res = np.log10(next(Js)) - np.log10(d.J)
            r.append(np.where(np.isfinite(res), res, FAILED_DECADES))
        out.append(np.concatenate(r))
    return out


class _Objective:
    """The residuals and their forward-difference Jacobian for ``least_squares`` over the unit
    coordinates v of the parameters not in ``fixed`` (index -> unit value; a profile holds one): the
    shifted points of a Jacobian are evaluated together (in parallel on the model's workers); the
    residuals at the point itself come from the ``fun`` call least_squares makes there first."""

    def __init__(self, model, free, data, fixed=None):
        self.model, self.free, self.data = model, free, data
        self.fixed = dict(fixed or {})
        self.open = [k for k in range(len(free)) if k not in self.fixed]
        self._last = (None, None)

    def full(self, v) -> np.ndarray:
        u = np.empty(len(self.free))
        u[self.open] = v
        for k, x in self.fixed.items():
            u[k] = x
        return u

    def fun(self, v):
        r = residuals(self.model, self.free, self.data, self.full(v))
        self._last = (v.tobytes(), r)
        return r

    def jac(self, v):
        r0 = self._last[1] if self._last[0] == v.tobytes() else self.fun(v)
        h = np.where(v + FORWARD_STEP <= 1.0, FORWARD_STEP, -FORWARD_STEP)    # backwards at the upper bound
        points = [self.full(v + h[k] * np.eye(v.size)[k]) for k in range(v.size)]
        return np.array([(r - r0) / h[k] for k, r in enumerate(residuals_at(self.model, self.free, self.data,
                                                                             points))]).T

    def solve(self, v0, loss, max_nfev):
        """least_squares from ``v0`` (the options of every fit: trf in the unit box, a start stops at
        ``FTOL_CHI2``)."""
        from scipy.optimize import least_squares
        m = sum(d.V.size for d in self.data)
        return least_squares(self.fun, np.array(v0, float), jac=self.jac, bounds=(0.0, 1.0), method="trf",
                             loss=loss, f_scale=0.1, x_scale=1.0, max_nfev=max_nfev, xtol=XTOL,
                             ftol=FTOL_CHI2 / (m - len(self.open)), gtol=1e-8)


def fit(data, free, model: ColumnModel | None = None, starts: int = 4, seed: int = 0, loss: str = "soft_l1",
        progress: bool = True, max_nfev: int = 60) -> FitResult:
    """Fit ``free`` (FreeParameter) to ``data`` (JVData list) from ``starts`` starting points (module doc)."""
    from scipy.stats import qmc
    from tqdm.auto import tqdm
    model = model or ColumnModel()
    free = check_parameters(free, model.base)
    data = list(data)
    if not data or any(d.V.size == 0 for d in data):
        raise InputError("data", "empty", "at least one data set with points")
    m = sum(d.V.size for d in data)
    d_ = len(free)
    if m <= d_:
        raise InputError("data points", m, f"more points than free parameters ({d_})")
    for d in data:
        for k in d.stack:
            if f"stack.{k}" in {p.name for p in free}:
                raise InputError("free parameter name", f"stack.{k}",
                                 f"a value the data do not fix (data set {d.label!r} gives {k} = {d.stack[k]:g})")
    if int(starts) != starts or starts < 1:
        raise InputError("starts", starts, "an integer >= 1")
    u0 = [[p.unit_of(p.initial) if p.initial is not None else 0.5 for p in free]]
    if starts > 1:
        u0 += qmc.LatinHypercube(d=d_, seed=seed).random(starts - 1).tolist()
    runs = []
    objective = _Objective(model, free, data)
    bar = tqdm(total=len(u0), desc="fit starts", unit="start", disable=not progress)
    for u in u0:
        sol = objective.solve(u, loss, max_nfev)
        runs.append((sol, u))
        bar.set_postfix_str(f"cost {sol.cost:.3g}")
        bar.update()
    bar.close()
    sol, _ = min(runs, key=lambda s: s[0].cost)
    u = sol.x
    r = sol.fun                                   # the residuals at the best point (unscaled by the loss)
    Ju = _jacobian(model, free, data, u)
    se, corr, undetermined = _errors(Ju, float(r @ r) / (m - d_), np.array([p.dvalue_du(ui) for p, ui in zip(free, u)]))
    warnings = [f"{free[i].name} and {free[j].name}: correlation {corr[i, j]:+.3f} -- the data cannot separate them"
                for i in range(d_) for j in range(i + 1, d_) if abs(corr[i, j]) > CORRELATION_LIMIT]
    warnings += ["undetermined: the residuals do not change along a combination of " + ", ".join(free[i].name for i in g)
                 for g in undetermined]
    warnings += [f"{p.name} ended at its {'lower' if ui < 0.5 else 'upper'} bound ({p.value(ui):.4g}): the data do "
                 "not constrain it inside the bounds, and its standard error means nothing"
                 for p, ui in zip(free, u) if min(ui, 1.0 - ui) < AT_BOUND]
    values = {p.name: float(p.value(ui)) for p, ui in zip(free, u)}
    split = np.cumsum([d.V.size for d in data])[:-1]
    model_J = [np.where(rk == FAILED_DECADES, np.nan, d.J * 10.0 ** rk) for d, rk in zip(data, np.split(r, split))]
    return FitResult(parameters=free, values=values, std_errors={p.name: float(e) for p, e in zip(free, se)},
                     correlation=corr, warnings=warnings, cost=float(sol.cost), rms_decades=math.sqrt(float(r @ r) / m),
                     starts=[{"start_u": list(map(float, s0)), "end_u": list(map(float, s.x)), "cost": float(s.cost),
                              "nfev": int(s.nfev), "status": int(s.status)} for s, s0 in runs],
                     data=data, model_J=model_J, evaluations=model.evaluations, base=model.base,
                     unit_point=np.array(u, float), residuals=np.array(r, float), loss=loss)


def profile_intervals(result: FitResult, model: ColumnModel, progress: bool = True, max_nfev: int = 30) -> dict:
    """Profile-likelihood intervals of every fitted parameter: the parameter is held at steps of its
    linearised standard error away from the best value (in the fit's unit coordinate), the others
    refitted (warm-started from the previous step, shifted along the linearised covariance), and
    Delta chi^2 = (sum r^2 - sum r*^2) / s^2 recorded until it passes 1. The 68 % interval ends
    where sqrt(Delta chi^2) = 1, interpolated linearly between steps (exact for a linear model, where
    the interval is value +- SE); along a curved valley it is the honest one, and may be lopsided.
    An end that reaches a bound with Delta chi^2 < 1 is open: the bound is reported.

    Returns name -> {"lower", "upper" (parameter units), "open": [lower open, upper open],
    "points": [[value, Delta chi^2], ...]}. ``model`` must be the fit's (same base and mesh)."""
    from tqdm.auto import tqdm
    free, data, u_best = result.parameters, result.data, result.unit_point
    m, d_ = sum(d.V.size for d in data), len(free)
    r2_best = float(result.residuals @ result.residuals)
    s2 = r2_best / (m - d_)
    dx_du = np.array([p.dvalue_du(ui) for p, ui in zip(free, u_best)])
    se_u = np.array([result.std_errors[p.name] for p in free]) / np.abs(dx_du)
    with np.errstate(invalid="ignore"):
        cov_u = result.correlation * np.outer(se_u, se_u)
    out = {}
    bar = tqdm(total=2 * d_, desc="profiles", unit="side", disable=not progress)
    for i, p in enumerate(free):
        h = min(se_u[i], PROFILE_MAX_STEP) if np.isfinite(se_u[i]) and se_u[i] > 0 else PROFILE_MAX_STEP
        objective = _Objective(model, free, data, fixed={i: u_best[i]})
        ends, open_, points = [], [], []
        with np.errstate(invalid="ignore", divide="ignore"):
            slope = np.nan_to_num(cov_u[objective.open, i] / cov_u[i, i], posinf=0.0, neginf=0.0)
        for sign in (-1.0, 1.0):
            prev_u, prev_root, v = u_best[i], 0.0, u_best[objective.open]
            end, is_open = None, False
            for k in range(1, PROFILE_STEPS + 1):
                ui = float(np.clip(u_best[i] + sign * k * h, 0.0, 1.0))
                objective.fixed[i] = ui
                v0 = np.clip(v + slope * (ui - prev_u), 0.0, 1.0)     # along the linearised valley
                if objective.open:
                    sol = objective.solve(v0, result.loss, max_nfev)
                    v, r = sol.x, sol.fun
                else:
                    r = objective.fun(v0)
                root = math.sqrt(max(float(r @ r) - r2_best, 0.0) / s2)
                points.append([float(p.value(ui)), root ** 2])
                if root >= 1.0:                  # sqrt(Delta chi^2) crosses 1 between the last two steps
                    end = prev_u + (ui - prev_u) * (1.0 - prev_root) / (root - prev_root)
                    break
                prev_u, prev_root = ui, root
                if ui in (0.0, 1.0):
                    break
            if end is None:
                end, is_open = prev_u, True
            ends.append(float(p.value(end)))
            open_.append(is_open)
            bar.update()
        out[p.name] = {"lower": min(ends), "upper": max(ends), "open": open_, "points": sorted(points)}
    bar.close()
    return out


def _errors(Ju: np.ndarray, s2: float, dx_du: np.ndarray):
    """Standard errors (in the parameters' units), correlation matrix of the linearised model and the
    undetermined groups, cov_u = s^2 (J^T J)^-1 from the SVD of the unit-coordinate Jacobian ``Ju``. A
    singular value below ``SINGULAR`` x the largest is a direction the residuals do not see: the
    parameters along it (a group of indices) get an infinite error and correlation +-1 (pinv would
    report small errors for them, or a negative variance)."""
    _, S, Vt = np.linalg.svd(Ju, full_matrices=False)
    ok = S > SINGULAR * S.max() if S.size and S.max() > 0 else np.zeros(S.size, bool)
    cov = s2 * (Vt[ok].T / S[ok] ** 2) @ Vt[ok] * np.outer(dx_du, dx_du)
    se = np.sqrt(np.maximum(np.diag(cov), 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        corr = np.where(np.outer(se, se) > 0, cov / np.outer(se, se), 0.0)
    np.fill_diagonal(corr, 1.0)
    groups = []
    for v in Vt[~ok]:
        involved = np.flatnonzero(np.abs(v) > 0.1)
        groups.append(involved.tolist())
        se[involved] = np.inf
        for i in involved:
            for j in involved:
                if i != j:
                    corr[i, j] = np.sign(v[i] * v[j])     # the equally good solutions lie along v
    return se, corr, groups


def _jacobian(model, free, data, u, h=DIFF_STEP) -> np.ndarray:
    """Central-difference Jacobian of the residuals in the unit coordinates (one-sided at a bound);
    the 2d shifted points evaluated together."""
    ups = [np.minimum(1.0, u + h * e) for e in np.eye(len(free))]
    dns = [np.maximum(0.0, u - h * e) for e in np.eye(len(free))]
    rs = residuals_at(model, free, data, ups + dns)
    d = len(free)
    return np.array([(rs[k] - rs[d + k]) / (ups[k][k] - dns[k][k]) for k in range(d)]).T


# --- report --------------------------------------------------------------------------------------
def write_report(result: FitResult, out_dir, source: str, set_name: str = "fitted", confirmation=None,
                 profiles=None) -> dict:
    """``summary.json`` (values, standard errors, correlations, warnings, starts; with ``profiles``
    from :func:`profile_intervals` the 68 % profile-likelihood intervals), ``fit.png`` (measured and
    fitted J-V; with ``confirmation`` from :func:`confirm_2d` also the 2D device's), ``residuals.png``
    and ``params.toml`` (a parameter set) in ``out_dir`` (an existing folder). Returns the summary."""
    from . import viz
    from .paramsets import write_parameter_set
    from .results import write_json
    out = Path(out_dir)
    curves, res = [], []
    for d, Jm in zip(result.data, result.model_J):
        curves += [{"x": d.V.tolist(), "y": d.J.tolist(), "label": f"measured {d.label}", "style": "o"},
                   {"x": d.V.tolist(), "y": Jm.tolist(), "label": f"fitted {d.label}", "style": "-"}]
        with np.errstate(divide="ignore", invalid="ignore"):
            res.append({"x": d.V.tolist(), "y": (np.log10(Jm) - np.log10(d.J)).tolist(), "label": d.label,
                        "style": "o-"})
    for c in confirmation or []:
        curves.append({"x": c["V"], "y": c["J_2d"], "label": f"2D {c['geometry']} at the fit, {c['label']}",
                       "style": "--"})
    viz.line_plot(out / "fit.png", curves, xlabel="anode voltage (V)", ylabel="J (A/cm2)", logy=True,
                  title="fem-cqd fit: aperture-centre column")
    viz.line_plot(out / "residuals.png", res, xlabel="anode voltage (V)", ylabel="log10 J_model - log10 J_measured",
                  title=f"residuals, rms {result.rms_decades:.3g} decades")
    write_parameter_set(result.parameter_set(set_name, source), out / "params.toml")
    names = [p.name for p in result.parameters]
    summary = {
        "values": result.values, "std_errors": result.std_errors,
        "bounds": {p.name: [p.lower, p.upper, "log" if p.log else "linear"] for p in result.parameters},
        "correlation": {"names": names, "matrix": result.correlation.tolist()},
        "warnings": result.warnings, "rms_decades": result.rms_decades, "cost": result.cost,
        "starts": result.starts, "model_evaluations": result.evaluations, "base_parameter_set": result.base.name,
        "data": [{"label": d.label, "T_K": d.T_K, "stack": d.stack, "device": d.device, "V": d.V.tolist(),
                  "J_measured": d.J.tolist(),
                  "J_model": Jm.tolist()} for d, Jm in zip(result.data, result.model_J)],
        "headline": [f"{n} = {result.values[n]:.6g} +- {result.std_errors[n]:.2g}" for n in names]
        + [f"rms misfit {result.rms_decades:.3g} decades"] + [f"warning: {w}" for w in result.warnings],
    }
    if profiles:
        summary["profile_68"] = profiles
        summary["headline"][len(names):len(names)] = [
            f"{n}: 68 % profile interval [{v['lower']:.6g}, {v['upper']:.6g}]"
            + (" (open: " + " and ".join(side for side, o in zip(("lower", "upper"), v["open"]) if o) + " end not "
               "reached)" if any(v["open"]) else "") for n, v in profiles.items()]
    if confirmation:
        summary["confirmation_2d"] = confirmation
        ratios = np.concatenate([np.asarray(c["J_2d_over_column"], float) for c in confirmation])
        summary["headline"].append(f"2D {confirmation[0]['geometry']} J over the aperture / 1D column: "
                                   f"{np.nanmin(ratios):.3g} .. {np.nanmax(ratios):.3g}")
        summary["headline"] += [f"2D {c['geometry']} at {c['T_K']:g} K stopped: {c['stopped']}"
                                for c in confirmation if c["stopped"]]
    write_json(out / "summary.json", summary)
    return summary


def confirm_2d(result: FitResult, geometry: str = "axisymmetric", options=None, progress: bool = True) -> list[dict]:
    """The fitted parameters in the 2D device (isothermal, the data sets' temperatures): J over the
    aperture (terminal current / aperture area, as a measurement reads it) at the data voltages, and
    its ratio to the 1D column the fit used -- current spreading and the aperture edge's crowding,
    which the column leaves out. One dict per data set (each with its own stack values)."""
    from .electrical import Contact, build_device, ramp
    from .mesh import build_mesh
    from .stack import lim2018
    out = []
    for d, J1 in zip(result.data, result.model_J):
        stack = lim2018(geometry, params=with_values(result.base, {**result.values, **_stack_names(d.stack)}, "fit"),
                        device=d.device)
        a = stack.aperture_half_width_um * 1e-6
        area = math.pi * a * a if geometry == "axisymmetric" else a
        dev = build_device(build_mesh(stack, options).electrical, [Contact("anode"), Contact("cathode")], T_K=d.T_K)
        stopped = None
        try:
            states = ramp(dev, "anode", d.V, progress=progress)
        except ConvergenceError as exc:
            states, stopped = exc.completed, str(exc)[:400]
        J2 = np.full(d.V.size, np.nan)
        J2[:len(states)] = [s.currents["anode"] / area / 1e4 for s in states]
        out.append({"label": d.label, "T_K": d.T_K, "geometry": geometry, "V": d.V.tolist(), "J_2d": J2.tolist(),
                    "J_2d_over_column": (J2 / J1).tolist(), "stopped": stopped})
    return out
