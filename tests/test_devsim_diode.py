"""DEVSIM's 2D diode on the shared 500-node mesh (benchmarks/devsim_diode.py, DESIGN.md rung 12).

fem_cqd alone: the ramp converges and conserves current. With DEVSIM installed: the same discrete
problem node by node -- both use Scharfetter-Gummel edge fluxes and Voronoi-box control volumes, so
the potentials agree to round-off and the currents far inside 0.5 %.
"""
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"

dd = pytest.importorskip("devsim_diode")


@pytest.fixture(scope="module")
def mesh():
    return dd.build_mesh(*dd.SIZES["500"])


@pytest.fixture(scope="module")
def fem(mesh):
    return dd.run_fem(*mesh)


@pytest.fixture(scope="module")
def devsim_ref(tmp_path_factory):
    if not dd.devsim_available():
        pytest.skip("DEVSIM not installed (pip install devsim scipy-openblas32)")
    out = tmp_path_factory.mktemp("devsim") / "d500.npz"
    res = subprocess.run([sys.executable, str(BENCH / "_devsim_side.py"), "500", str(out)],
                         capture_output=True, text=True, env=dict(os.environ))
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-2000:]
    with np.load(out) as z:
        return {k: z[k] for k in z.files}


def test_mesh_shared_and_tagged(mesh):
    m, contacts = mesh
    assert m.p.shape[1] == 500
    # a node on the junction, mirror-symmetric x grading
    x = np.unique(m.p[0])
    assert np.any(np.isclose(x, dd.XJ, rtol=0, atol=1e-15))
    assert np.allclose(x + x[::-1], 2 * dd.XJ, rtol=0, atol=1e-15)
    top = np.unique(m.facets[:, contacts["top"]])
    assert np.allclose(m.p[0, top], 0.0) and m.p[1, top].min() == pytest.approx(8e-6)


def test_fem_ramp_conserves_current(fem):
    I_top = fem["current_top"]
    assert np.allclose(fem["bias"], dd.BIASES)
    assert np.all(np.diff(I_top) > 0) and I_top[-1] > 1e-6            # forward diode, A/m
    assert abs(fem["flux_top"][-1] + fem["flux_bot"][-1]) < 1e-6 * I_top[-1]   # each contact's own flux sum
    assert abs(I_top[0]) < 1e-20                                       # equilibrium


def test_fem_cqd_matches_devsim(fem, devsim_ref, mesh):
    m, contacts = mesh
    off = dd.potential_offset(fem, devsim_ref, m, contacts)
    assert np.abs(fem["potential"] - off - devsim_ref["potential"]).max() < 1e-9      # V
    k = slice(3, None)     # >= 0.3 V: above DEVSIM's double-precision current floor
    rel = np.abs(fem["current_top"][k] / devsim_ref["current_top"][k] - 1)
    assert rel.max() < 1e-4


def test_disc_resistor_single_and_two_carrier_agree_and_match_devsim(tmp_path):
    """benchmarks/devsim_disc.py on a coarse mesh: fem_cqd's single-carrier and two-carrier models
    give the same majority-carrier current; with DEVSIM installed, its cylindrical solve too."""
    disc = pytest.importorskip("devsim_disc")
    m, contacts = disc.build_mesh(21)
    both = disc.run_fem(m, contacts, "both")
    electrons = disc.run_fem(m, contacts, "electrons")
    assert abs(electrons["current_top"][-1] / both["current_top"][-1] - 1) < 1e-9
    if dd.devsim_available():
        out = tmp_path / "disc.npz"
        script = str(BENCH / "devsim_disc.py")
        res = subprocess.run([sys.executable, script, "--worker", "7k", str(out), "devsim"], capture_output=True,
                             text=True)
        assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-2000:]
        m7, c7 = disc.build_mesh(disc.SIZES["7k"])
        fem7 = disc.run_fem(m7, c7, "electrons")
        with np.load(out) as z:
            assert abs(fem7["current_top"][-1] / z["current_top"][-1] - 1) < 1e-6


def test_first_predicted_step_from_equilibrium_takes_the_full_newton_update(monkeypatch):
    """0 -> 0.1 V from equilibrium (5k mesh): the predictor's damped first update "diverges"
    (residual 1e-11 -> 4 A/m); the undamped one is tried instead (newton module doc) and the
    predicted attempt converges -- no unpredicted attempt -- on the state Newton reaches from the
    unpredicted start."""
    from fem_cqd.electrical import Contact, build_device, ramp, solve_equilibrium
    from fem_cqd.electrical import newton as nw
    from fem_cqd.electrical.linear import JacobianSolver
    m, contacts = dd.build_mesh(*dd.SIZES["5k"])
    dev = build_device(dd.tagged_mesh(m, contacts), [Contact("top"), Contact("bot")],
                       net_doping=dd.element_doping(m), field_dependent_mobility=False)
    eq = solve_equilibrium(dev)
    attempts, inner = [], nw.newton

    def spy(*args, **kw):
        try:
            out = inner(*args, **kw)
        except nw._Failed:
            attempts.append((kw.get("predicted"), "failed"))
            raise
        attempts.append((kw.get("predicted"), "converged"))
        return out
    monkeypatch.setattr(nw, "newton", spy)
    st = ramp(dev, "top", [0.1], start=eq, progress=False)[0]
    assert attempts == [(True, "converged")]
    monkeypatch.setattr(nw, "newton", inner)
    z_ref, _ = nw.newton(dev, eq.x, {"top": 0.1, "bot": 0.0}, JacobianSolver())
    assert np.max(np.abs(st.x - z_ref)) < 1e-9
