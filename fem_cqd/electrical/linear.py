"""Sparse direct solves of the Newton systems J dz = -F, for a sequence of Jacobians of one pattern.

Rows are equilibrated first (each divided by its largest entry), so that volts, amperes and
coulombs mix safely. Then, by ``backend``:

- ``"pardiso"`` (Intel MKL PARDISO through pypardiso; the default where it is installed): METIS
  ordering, scaling and weighted matching in a symbolic analysis that is done once per sparsity
  pattern and reused by every later factorisation of the same pattern (a Newton solve, a ramp), then
  numerical factorisation with pivot perturbation and iterative refinement. MKL's defaults
  (``iparm``) are kept except the two-level parallel factorisation (``iparm[23] = 10``,
  :data:`PARDISO_IPARM`): on the 56k-node DEVSIM diode's Jacobian (168k unknowns, 2 cores) it takes
  a factorisation from 0.55 to 0.47 s; analysis ~0.6 s. One step of iterative refinement instead
  of two (``iparm[7] = 1``) would save ~0.03 s per solve there (1.2 s of the 56k run), but it
  changed the Newton path of the lim2018 disc's self-heated J-V (402 and 454 factorisations instead
  of 374 in two runs, more failed steps): kept at MKL's default.
- ``"superlu"`` (SciPy): MMD on A^T + A with threshold pivoting (``diag_pivot_thresh`` 0.01,
  symmetric mode), which keeps the fill-reducing order; SuperLU's default partial pivoting
  discards it on these matrices (3x the fill; >100x slower on the 56k-node diode).

Every solution is checked: when the row-scaled residual ||A x - b|| / ||b|| exceeds ``1e-8``, the
solve is repeated with a fresh analysis (PARDISO) and then with SuperLU's partial pivoting, the
most robust of the three; a singular matrix raises :class:`SingularJacobian`.

The factors of the last solve are kept: :meth:`JacobianSolver.solve_again` solves with them for
another right-hand side (a chord Newton step, the tangent of a continuation) at the cost of two
triangular solves. ``tag`` is the caller's note of what they are the factors of (reset by every
:meth:`~JacobianSolver.solve`).
"""
from __future__ import annotations

import functools
import glob
import os
import site
import sys

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import splu

from ..errors import InputError, check_choice

BACKENDS = ("auto", "pardiso", "superlu")
RESIDUAL_TOL = 1e-8
#: PARDISO settings changed from MKL's defaults (0-based ``iparm`` index -> value; module doc)
PARDISO_IPARM = {23: 10}


class SingularJacobian(RuntimeError):
    """The Newton matrix could not be factorised."""


@functools.cache
def pardiso_available() -> bool:
    """True when pypardiso imports and finds MKL's runtime library.

    pypardiso's own search walks the whole of ``sys.prefix`` for every solver it creates (~0.5 s);
    the library is looked up here once, where pip puts it, and handed over through pypardiso's
    ``PYPARDISO_MKL_RT`` variable.
    """
    if not os.environ.get("PYPARDISO_MKL_RT"):
        for base in (sys.prefix, site.USER_BASE):
            found = sorted(glob.glob(os.path.join(base, "lib", "libmkl_rt.so*"))
                           + glob.glob(os.path.join(base, "Library", "bin", "mkl_rt*.dll")), key=len)
            if found:
                os.environ["PYPARDISO_MKL_RT"] = found[0]
                break
    try:
        import pypardiso
        pypardiso.PyPardisoSolver()
    except Exception:             # ImportError, or MKL's library not found / not loadable
        return False
    return True


@functools.cache
def _pardiso_defaults() -> np.ndarray:
    """MKL's default ``iparm`` for a real nonsymmetric matrix, with ``iparm[0] = 1`` (use these values):
    MKL fills them in on an analysis called with ``iparm[0] = 0``, here of a 2 x 2 identity."""
    import pypardiso
    probe = pypardiso.PyPardisoSolver(mtype=11)
    probe.set_phase(11)
    probe._call_pardiso(sp.identity(2, format="csr"), np.zeros(2))
    iparm = probe.iparm.copy()
    probe.free_memory(everything=True)
    iparm[0] = 1
    return iparm


def _relative_residual(A, x, b) -> float:
    """||A x - b|| / ||b||, both divided by max |b| first (no overflow); not np.linalg.norm, whose
    BLAS threads contend with MKL's here."""
    m = float(np.max(np.abs(b))) if b.size else 0.0
    m = m if m > 0 and np.isfinite(m) else 1.0
    r, bb = (A @ x - b) / m, b / m
    nb = np.sqrt((bb * bb).sum())
    return float(np.sqrt((r * r).sum()) / nb) if nb > 0 else float(np.sqrt((r * r).sum()))


def _row_max_abs(A) -> np.ndarray:
    """max_j |A_ij| per row of a CSR matrix (0 for an empty row)."""
    if A.nnz == 0:
        return np.zeros(A.shape[0])
    out = np.maximum.reduceat(np.abs(A.data), np.minimum(A.indptr[:-1], A.nnz - 1))
    out[np.diff(A.indptr) == 0] = 0.0
    return out


def _keys(A) -> np.ndarray:
    """Row-major linear index of each stored entry of a CSR matrix with sorted indices."""
    rows = np.repeat(np.arange(A.shape[0], dtype=np.int64), np.diff(A.indptr))
    return rows * A.shape[1] + A.indices


def _superlu(A, threshold: bool):
    A = A.copy()
    A.eliminate_zeros()               # the stored zeros of the fixed Jacobian layout only add fill here
    opts = dict(permc_spec="MMD_AT_PLUS_A")
    if threshold:
        opts.update(diag_pivot_thresh=0.01, options=dict(SymmetricMode=True))
    try:
        return splu(A.tocsc(), **opts)
    except RuntimeError as exc:            # exactly singular
        raise SingularJacobian(str(exc)) from None


class _Pardiso:
    """PARDISO with the symbolic analysis (phase 11) kept for a fixed sparsity pattern.

    SciPy's sparse products drop entries that happen to be exactly zero, so successive Jacobians
    can differ in pattern; each is scattered onto the kept pattern (with explicit zeros), which
    grows to the union of the patterns seen and is re-analysed only when it grows.
    """

    def __init__(self):
        import pypardiso
        self._solver = pypardiso.PyPardisoSolver(mtype=11)
        self._solver.iparm[:] = _pardiso_defaults()
        for k, v in PARDISO_IPARM.items():
            self._solver.iparm[k] = v
        self._pattern = None            # (indptr, indices, keys) of the analysed pattern

    def _call(self, phase, A, b):
        import pypardiso
        self._solver.set_phase(phase)
        try:
            return self._solver._call_pardiso(A, b)
        except pypardiso.pardiso_wrapper.PyPardisoError as exc:
            raise SingularJacobian(f"PARDISO phase {phase}: {exc}") from None

    def _on_pattern(self, A):
        """A with the kept pattern, or None when A has entries outside it."""
        indptr, indices, keys = self._pattern
        if A.shape[0] + 1 != indptr.size:
            return None
        if np.array_equal(A.indptr, indptr) and np.array_equal(A.indices, indices):
            return A                                  # the usual case: a Jacobian of the device's fixed layout
        ka = _keys(A)
        pos = np.searchsorted(keys, ka)
        if np.any(pos >= keys.size) or np.any(keys[np.minimum(pos, keys.size - 1)] != ka):
            return None
        data = np.zeros(keys.size)
        data[pos] = A.data
        return sp.csr_matrix((data, indices, indptr), shape=A.shape)

    def factor(self, A, reanalyse=False):
        """Factorise A (phase 22, after the analysis of its pattern if needed); returns the solve
        with these factors, ``b -> x`` (phase 33)."""
        B = None if self._pattern is None or reanalyse else self._on_pattern(A)
        if B is None:
            if self._pattern is not None and not reanalyse and self._pattern[0].size == A.shape[0] + 1:
                ones = sp.csr_matrix((np.ones(A.indices.size), A.indices, A.indptr), shape=A.shape)
                union = (ones + sp.csr_matrix((np.ones(self._pattern[2].size), self._pattern[1],
                                               self._pattern[0]), shape=A.shape)).tocsr()
                union.sort_indices()
                self._pattern = (union.indptr, union.indices, _keys(union))
            else:
                self._pattern = (A.indptr.copy(), A.indices.copy(), _keys(A))
            self._solver.free_memory(everything=True)
            B = self._on_pattern(A)
            self._call(11, B, np.zeros(A.shape[0]))
        self._call(22, B, np.zeros(A.shape[0]))
        return lambda b: self._call(33, B, b)

    def release(self):
        if self._pattern is not None:
            self._solver.free_memory(everything=True)
            self._pattern = None


class JacobianSolver:
    """``solve(J, F)`` returns the Newton update ``-J^{-1} F``; keep one instance for a whole
    Newton solve or ramp so that PARDISO's analysis is reused. ``backend`` is one of
    :data:`BACKENDS`; ``"auto"`` takes PARDISO when available, else SuperLU."""

    def __init__(self, backend: str = "auto"):
        check_choice("linear_solver", backend, BACKENDS)
        if backend == "auto":
            backend = "pardiso" if pardiso_available() else "superlu"
        elif backend == "pardiso" and not pardiso_available():
            raise InputError("linear_solver", backend, "'superlu' or 'auto' (pypardiso / MKL is not installed)")
        self.backend = backend
        self._pardiso = _Pardiso() if backend == "pardiso" else None
        self._factors = None            # (solve with the last factors, their row scale)
        self.tag = None

    def solve(self, J, F) -> np.ndarray:
        """-J^{-1} F; J's factors are kept for :meth:`solve_again`."""
        self._factors, self.tag = None, None
        scale = _row_max_abs(J)
        if not np.all(scale > 0):
            raise SingularJacobian(f"{int(np.sum(scale == 0))} empty rows (all entries zero), first at row {int(np.argmin(scale))}")
        A = sp.csr_matrix(J, copy=True)             # scaled in place: a product would drop zeros
        A.data /= np.repeat(scale, np.diff(A.indptr))
        A.sort_indices()
        b = np.ascontiguousarray(F / scale, dtype=float)
        attempts = ([lambda: self._pardiso.factor(A), lambda: self._pardiso.factor(A, reanalyse=True)]
                    if self._pardiso is not None else [lambda: _superlu(A, threshold=True).solve])
        attempts.append(lambda: _superlu(A, threshold=False).solve)
        for k, attempt in enumerate(attempts):
            last = k == len(attempts) - 1
            try:
                solve = attempt()
                x = solve(b)
            except SingularJacobian:
                if last:
                    raise
                continue
            if last or (np.all(np.isfinite(x)) and _relative_residual(A, x, b) <= RESIDUAL_TOL):
                self._factors = (solve, scale)
                return -x

    def solve_again(self, F) -> np.ndarray:
        """-J^{-1} F with the factors of the last :meth:`solve`'s J (a chord step)."""
        if self._factors is None:
            raise SingularJacobian("no factors kept (the last factorisation failed or was released)")
        solve, scale = self._factors
        return -solve(np.ascontiguousarray(F / scale, dtype=float))

    def release(self):
        """Free PARDISO's factor memory (also done when the object is garbage collected)."""
        self._factors, self.tag = None, None
        if self._pardiso is not None:
            self._pardiso.release()

    def __del__(self):
        try:
            self.release()
        except Exception:
            pass
