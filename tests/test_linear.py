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
