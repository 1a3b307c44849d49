"""AMG-preconditioned CG of the heat solver: a symmetric V-cycle, the hierarchy kept across matrices,
rebuilt when it stops serving, and the nonlinear heat solves counting the hierarchies they build."""
from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
import skfem

from fem_cqd import thermal as th
from fem_cqd.errors import ThermalConvergenceError
from fem_cqd.materials import Material
from fem_cqd.regions import TaggedMesh
from fem_cqd.thermal import amg as amg_mod
from fem_cqd.thermal.amg import AmgCG


def _laplacian(n=70, stretch=1.0):
    """Five-point Laplacian (n^2 unknowns, x spacing ``stretch`` times y's) plus a small mass term."""
    T = sp.diags([-np.ones(n - 1), 2 * np.ones(n), -np.ones(n - 1)], [-1, 0, 1])
    eye = sp.identity(n)
    return (sp.kron(eye, T) / stretch + stretch * sp.kron(T, eye) + 1e-3 * sp.identity(n * n)).tocsr()


def test_v_cycle_is_symmetric_positive_definite_with_several_levels():
    A = _laplacian()
    ml = amg_mod.hierarchy(A)
    assert len(ml.levels) >= 3
    M = amg_mod.v_cycle(ml)
    rng = np.random.default_rng(1)
    u, v = rng.standard_normal((2, A.shape[0]))
    assert u @ (M @ v) == pytest.approx(v @ (M @ u), rel=1e-12)
    assert min(w @ (M @ w) for w in (u, v)) > 0
    # a good preconditioner: CG converges in a handful of steps
    solver = AmgCG()
    solver.solve(A, np.ones(A.shape[0]))
    assert solver.steps[0] <= 15


def test_hierarchy_is_kept_for_a_nearby_matrix_and_rebuilt_when_it_stops_serving():
    A = _laplacian()
    b = np.random.default_rng(2).standard_normal(A.shape[0])
    s = AmgCG()
    x1 = s.solve(A, b)
    x2 = s.solve(1.1 * A, b)                   # same V-cycle up to a scale: same number of steps
    assert s.builds == 1 and s.steps[1] == s.steps[0]
    for A_, x in ((A, x1), (1.1 * A, x2)):
        assert np.linalg.norm(b - A_ @ x) <= 1e-9 * np.linalg.norm(b)
    # a strongly anisotropic matrix: the old hierarchy needs many more steps -> rebuilt for the next one
    B = _laplacian(stretch=30.0)
    x3 = s.solve(B, b)
    assert s.builds == 1 and s.steps[2] > amg_mod.REBUILD_GROWTH * s.steps[0]
    assert np.linalg.norm(b - B @ x3) <= 1e-9 * np.linalg.norm(b)
    s.solve(B, b)
    assert s.builds == 2 and s.steps[3] < s.steps[2]
    # correction form: rtol applies to b - A x0, and the answer is x0 + correction
    x0 = np.full(A.shape[0], 300.0)
    x = s.solve(B, B @ x0 + b, x0)
    assert np.allclose(x - x0, x3, atol=1e-6 * np.abs(x3).max())


def test_kept_hierarchy_that_fails_is_rebuilt_and_the_solve_repeated(monkeypatch):
    A, B = _laplacian(), _laplacian(stretch=30.0)
    b = np.ones(A.shape[0])
    s = AmgCG()
    s.solve(A, b)
    monkeypatch.setattr(amg_mod, "MAX_STEPS", s.steps[0] + 2)    # the stale V-cycle cannot make it on B
    x = s.solve(B, b)
    assert s.builds == 2
    assert np.linalg.norm(b - B @ x) <= 1e-9 * np.linalg.norm(b)
    monkeypatch.setattr(amg_mod, "MAX_STEPS", 1)
    with pytest.raises(ThermalConvergenceError, match="did not reach rtol"):
        AmgCG().solve(B, b)


def _nonlinear_block(n=40):
    """k = 300/T on a square (n x n cells): Picard iterations of a matrix that changes."""
    x = np.linspace(0.0, 2e-6, n + 1)
    m = skfem.MeshTri.init_tensor(x, x)
    mat = Material("c", "insulator", 1.0, 1000.0, 2000.0, k_T_exponent=-1.0)
    bnd = {"bottom": m.facets_satisfying(lambda p: p[1] < 1e-15),
           "top": m.facets_satisfying(lambda p: (p[1] > 2e-6 - 1e-15) & (p[0] < 1e-6))}
    return TaggedMesh(m, "planar", np.zeros(m.t.shape[1], dtype=int), ("c",), (mat,), bnd)


def test_picard_with_a_kept_hierarchy_matches_newton_and_counts_builds():
    tm = _nonlinear_block()
    bcs, q = {"bottom": th.Dirichlet(300.0)}, {"top": 5e7}
    newton = th.solve_steady(tm, bcs, surface_flux=q, solver="direct")
    picard = th.solve_steady(tm, bcs, surface_flux=q, solver="amg")
    assert picard.iterations > newton.iterations
    assert np.max(np.abs(picard.T - newton.T)) < 1e-6 * np.ptp(newton.T)
    # transient: one hierarchy for every Picard iteration of every step (counted in factorizations)
    kw = dict(surface_flux=q, dt=1e-9, progress=False)
    h_amg = th.solve_transient(tm, [5e-9], bcs, solver="amg", **kw)
    h_dir = th.solve_transient(tm, [5e-9], bcs, solver="direct", **kw)
    assert h_amg.factorizations == 1
    assert h_dir.factorizations >= 2 * h_dir.steps          # Newton: one per iteration, >= 2 per step
    assert np.max(np.abs(h_amg.T - h_dir.T)) < 1e-6 * np.ptp(h_dir.T)
