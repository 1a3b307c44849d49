"""Issue 11, item 1: every kind of bad input is refused with an InputError naming the field, the
value and what is allowed -- no silent NaN, no process exit, no implausible value accepted, no
internal traceback, no code run by path, and no empty or partial output folder left behind."""
import numpy as np
import pytest
import skfem

from fem_cqd.electrical import Contact, build_device
from fem_cqd.electrical.eafe import edge_geometry
from fem_cqd.electrical.examples import silicon, tensor_mesh
from fem_cqd.errors import InputError
from fem_cqd.regions import TaggedMesh


# --- kind 1: silent NaN -- a zero-area triangle ------------------------------------------------
def _degenerate_mesh():
    """A small silicon strip with one interior node moved onto the opposite edge of a triangle."""
    tm = tensor_mesh(np.linspace(0, 1e-6, 5), np.linspace(0, 1e-7, 3), lambda xc, yc: "n",
                     {"n": silicon("n", donors_per_cm3=1e17)})
    m, p = tm.mesh, tm.mesh.p.copy()
    k = int(np.flatnonzero((p[0] > 0) & (p[0] < 1e-6) & (p[1] > 0) & (p[1] < 1e-7))[0])
    e = int(np.flatnonzero((m.t == k).any(0))[0])
    a, b = [v for v in m.t[:, e] if v != k]
    p[:, k] = 0.5 * (p[:, a] + p[:, b])
    return TaggedMesh(skfem.MeshTri(p, m.t), "planar", tm.element_region, tm.region_names,
                      tm.region_materials, tm.boundaries), e


def test_degenerate_triangle_refused_by_drift_diffusion_and_heat():
    from fem_cqd.thermal import ThermalMesh
    tm, e = _degenerate_mesh()
    with pytest.raises(InputError, match=rf"element {e}\b.*nodes .* at \(x, y\) = .*non-zero area"):
        build_device(tm, [Contact("left"), Contact("right")])
    with pytest.raises(InputError, match=rf"element {e}\b"):
        edge_geometry(tm.mesh.p, tm.mesh.t)
    with pytest.raises(InputError, match=rf"element {e}\b"):
        ThermalMesh(tm)
