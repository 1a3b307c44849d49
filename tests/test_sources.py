"""The prescribed aperture source puts exactly j V A into the active films above the aperture."""
import numpy as np
import pytest

from fem_cqd.errors import InputError
from fem_cqd.mesh import build_mesh
from fem_cqd.sources import aperture_heat_source, aperture_power, element_volumes
from fem_cqd.stack import lim2018


@pytest.mark.parametrize("geometry", ["planar", "axisymmetric"])
def test_total_power_is_j_v_times_aperture_area(geometry):
    dm = build_mesh(lim2018(geometry=geometry))
    q = aperture_heat_source(dm, 18.0, 8.0)
    total = (q * element_volumes(dm.thermal)).sum()
    a = 50e-6
    expected = 18e4 * 8.0 * (np.pi * a ** 2 if geometry == "axisymmetric" else a)
    assert np.isclose(total, expected, rtol=1e-12)
    assert np.isclose(aperture_power(dm, 18.0, 8.0), expected)
    heated = np.array(dm.thermal.region_names)[np.unique(dm.thermal.element_region[q > 0])]
    assert set(heated) == {"poly-TPD", "TCTA", "CQD", "ZnO"}


def test_axisymmetric_element_volumes_sum_to_the_cylinder():
    dm = build_mesh(lim2018(geometry="axisymmetric"))
    p = dm.thermal.mesh.p
    R, H = p[0].max(), p[1].max() - p[1].min()
    assert np.isclose(element_volumes(dm.thermal).sum(), np.pi * R ** 2 * H, rtol=1e-12)


def test_bad_drive_is_refused():
    dm = build_mesh(lim2018())
    with pytest.raises(InputError, match="j_A_per_cm2"):
        aperture_heat_source(dm, -1.0, 8.0)
    with pytest.raises(InputError, match="light_fraction"):
        aperture_heat_source(dm, 1.0, 8.0, light_fraction=1.5)
