"""Sparse direct solves of the Newton systems (fem_cqd.electrical.linear): both backends agree on a
drift-diffusion Jacobian and on whole ramps, PARDISO's kept analysis survives pattern changes, and
bad or singular matrices raise clear errors instead of crashing."""
import numpy as np
import pytest
import scipy.sparse as sp

from fem_cqd.electrical import Contact, build_device, ramp, solve_equilibrium
from fem_cqd.electrical.examples import silicon
from fem_cqd.grading import graded_points
from fem_cqd.custom_mesh import tensor_mesh
from fem_cqd.electrical.linear import JacobianSolver, SingularJacobian, pardiso_available
from fem_cqd.electrical.system import evaluate
from fem_cqd.errors import InputError

needs_pardiso = pytest.mark.skipif(not pardiso_available(), reason="pypardiso / MKL not installed")


def diode_2d():
    """A 2D silicon pn diode (contact on part of the left edge), 3 x ~600 unknowns."""
    W = 2e-6
    half = graded_points(0, W, 5e-9, 1.25, W / 10)
    x = np.unique(np.r_[W - half[::-1], W + half])
    y = np.linspace(0, 1e-6, 12)
    mats = {"p": silicon("p", acceptors_per_cm3=1e17, tau_s=1e-7),
            "n": silicon("n", donors_per_cm3=1e17, tau_s=1e-7)}
    tm = tensor_mesh(x, y, lambda xc, yc: np.where(xc < W, "p", "n"), mats)
    return build_device(tm, [Contact("left"), Contact("right")])


@pytest.fixture(scope="module")
def dev():
    return diode_2d()


def _jacobian(dev, state, volts):
    F, J, _ = evaluate(dev, state.x, volts)
    return F, J


def test_unknown_backend_named():
    with pytest.raises(InputError, match="linear_solver"):
        JacobianSolver("umfpack")


def test_superlu_solves_a_dd_jacobian(dev):
    eq = solve_equilibrium(dev, linear_solver="superlu")
    F, J = _jacobian(dev, eq, {"left": 0.3, "right": 0.0})
    dz = JacobianSolver("superlu").solve(J, F)
    s = abs(J).max(axis=1).toarray().ravel()
    assert np.linalg.norm((J @ dz + F) / s) < 1e-10 * np.linalg.norm(F / s)


@needs_pardiso
def test_backends_agree_on_a_dd_jacobian(dev):
    eq = solve_equilibrium(dev)
    F, J = _jacobian(dev, eq, {"left": 0.3, "right": 0.0})
    a = JacobianSolver("pardiso").solve(J, F)
    b = JacobianSolver("superlu").solve(J, F)
    assert np.max(np.abs(a - b)) < 1e-9 * np.max(np.abs(b))


@needs_pardiso
def test_backends_give_the_same_ramp(dev):
    runs = {}
    for backend in ("pardiso", "superlu"):
        runs[backend] = ramp(dev, "left", [0.2, 0.4], start=solve_equilibrium(dev, linear_solver=backend),
                             progress=False, linear_solver=backend)
    for a, b in zip(runs["pardiso"], runs["superlu"]):
        assert abs(a.currents["left"] / b.currents["left"] - 1) < 1e-9
        assert np.max(np.abs(a.psi - b.psi)) < 1e-9


@needs_pardiso
def test_pardiso_runs_with_mkl_defaults_but_the_chosen_settings():
    """iparm[0] = 1 makes MKL read every iparm: all of them are its defaults except PARDISO_IPARM
    (with iparm[0] = 0 it would silently ignore the chosen ones)."""
    from fem_cqd.electrical.linear import PARDISO_IPARM, _pardiso_defaults
    iparm = JacobianSolver("pardiso")._pardiso._solver.iparm
    assert iparm[0] == 1
    changed = {k: int(v) for k, v in enumerate(iparm) if v != _pardiso_defaults()[k]}
    assert changed == PARDISO_IPARM
    assert _pardiso_defaults()[1] != 0              # MKL filled its defaults in (METIS ordering)


@needs_pardiso
def test_pardiso_pattern_changes():
    """Entries that vanish or appear between calls: the kept pattern grows, answers stay exact."""
    rng = np.random.default_rng(3)
    n = 200
    base = sp.random(n, n, density=0.03, random_state=rng, format="csr") + sp.identity(n) * 4.0
    solver = JacobianSolver("pardiso")
    for k in range(4):
        A = base.copy().tocsr()
        A.data *= 1 + 0.1 * rng.standard_normal(A.nnz)
        if k == 1:                          # drop some entries (SciPy does this for exact zeros)
            off = np.flatnonzero(A.indices != np.repeat(np.arange(n), np.diff(A.indptr)))
            A.data[off[::3]] = 0.0
            A.eliminate_zeros()
        if k == 2:                          # new entries outside the first pattern
            A = (A + sp.random(n, n, density=0.01, random_state=rng, format="csr")).tocsr()
        F = rng.standard_normal(n)
        dz = solver.solve(A, F)
        assert np.linalg.norm(A @ dz + F) < 1e-10 * np.linalg.norm(F)


@pytest.mark.parametrize("backend", ["superlu"] + (["pardiso"] if pardiso_available() else []))
def test_singular_and_empty_rows_raise(backend):
    empty_row = sp.csr_matrix((np.ones(2), ([0, 2], [0, 2])), shape=(3, 3))
    with pytest.raises(SingularJacobian, match="empty rows"):
        JacobianSolver(backend).solve(empty_row, np.ones(3))
    singular = sp.csr_matrix(np.array([[1.0, 2.0, 0.0], [2.0, 4.0, 0.0], [0.0, 0.0, 1.0]]))
    with pytest.raises(SingularJacobian):
        JacobianSolver(backend).solve(singular, np.array([1.0, 0.0, 1.0]))


@pytest.mark.parametrize("backend", ["superlu"] + (["pardiso"] if pardiso_available() else []))
def test_solve_again_reuses_the_factors(dev, backend):
    """``solve_again`` solves with the last matrix's factors: the same answer as ``solve`` for that
    matrix and another right-hand side; after a failed factorisation there are none to reuse."""
    eq = solve_equilibrium(dev, linear_solver=backend)
    F, J = _jacobian(dev, eq, {"left": 0.3, "right": 0.0})
    lin = JacobianSolver(backend)
    lin.solve(J, F)
    G = np.cos(np.arange(F.size)) * np.abs(F).max()
    again = lin.solve_again(G)
    fresh = JacobianSolver(backend).solve(J, G)
    assert np.max(np.abs(again - fresh)) <= 1e-9 * np.max(np.abs(fresh))
    with pytest.raises(SingularJacobian):
        lin.solve(sp.csr_matrix((np.ones(2), ([0, 2], [0, 2])), shape=(3, 3)), np.ones(3))
    with pytest.raises(SingularJacobian, match="no factors"):
        lin.solve_again(G)


def test_row_max_abs_with_empty_rows():
    from fem_cqd.electrical.linear import _row_max_abs
    A = sp.csr_matrix(np.array([[0.0, -3.0, 1.0], [0, 0, 0], [2.0, 0, 0], [0, 0, 0]]))
    assert _row_max_abs(A).tolist() == [3.0, 0.0, 2.0, 0.0]
    assert _row_max_abs(sp.csr_matrix((2, 2))).tolist() == [0.0, 0.0]


def test_chord_steps_reach_the_newton_solution(dev, monkeypatch):
    """Chord steps (the kept factors near convergence) and the reused tangent change the path, not
    the answer: a ramp agrees with plain Newton (every step factorised) to 1e-10, and takes fewer
    factorisations."""
    import fem_cqd.electrical.newton as nw

    def run():
        count = [0]
        lin = JacobianSolver("auto")
        solve = lin.solve

        def counted(J, F):
            count[0] += 1
            return solve(J, F)
        lin.solve = counted
        states = ramp(dev, "left", [0.2, 0.4, 0.6], start=solve_equilibrium(dev, linear_solver=lin),
                      progress=False, linear_solver=lin)
        return states, count[0]

    chord, n_chord = run()
    monkeypatch.setattr(nw, "CHORD_BELOW", -1.0)
    monkeypatch.setattr(nw, "TANGENT_REUSE_V", 0.0)
    plain, n_plain = run()
    for a, b in zip(chord, plain):
        assert abs(a.currents["left"] / b.currents["left"] - 1) < 1e-10
        assert np.max(np.abs(a.phi_n - b.phi_n)) < 1e-10
    assert n_chord < n_plain, (n_chord, n_plain)
