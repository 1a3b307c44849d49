"""Stack description: the published stack and the errors for bad geometry."""
import pytest

from fem_cqd.errors import InputError
from fem_cqd.stack import Layer, Spacer, Substrate, ThermalBoundary, lim2018


def test_lim2018_stack_is_the_current_focusing_p_i_n_device():
    s = lim2018()
    assert [lay.material for lay in s.layers] == ["ITO", "PEDOT:PSS", "poly-TPD", "TCTA", "CQD", "ZnO", "Al"]
    assert 70 <= s.spacer.width_um <= 100
    assert s.qd_layer == "CQD" and s.fill_layer == "TCTA"
    s.check_materials()
    h = lim2018(device="hole_only")            # its hole-only companion: Au instead of QD film / ZnO / Al
    assert [lay.material for lay in h.layers] == ["ITO", "PEDOT:PSS", "poly-TPD", "TCTA", "Au"]
    assert h.qd_layer is None and h.spacer == s.spacer
    h.check_materials()


@pytest.mark.parametrize("make, field", [
    (lambda: Layer("ITO", "ITO", 0.0), "thickness_nm"),
    (lambda: Layer("ITO", "ITO", -5.0), "thickness_nm"),
    (lambda: Layer("ITO", "ITO", float("nan")), "thickness_nm"),
    (lambda: Spacer(width_um=float("inf")), "spacer.width_um"),
    (lambda: Substrate(thickness_um=0), "substrate.thickness_um"),
    (lambda: ThermalBoundary(bottom="cold"), "thermal.bottom"),
    (lambda: ThermalBoundary(bottom="adiabatic", top="adiabatic"), "thermal"),
    (lambda: lim2018(aperture_um=5000.0), "spacer.width_um"),
    (lambda: lim2018(geometry="3d"), "geometry"),
    (lambda: lim2018(spacer=Spacer(on="nope")), "spacer.on"),
    (lambda: lim2018(qd_layer="PbS"), "qd_layer"),
    (lambda: lim2018(device="electron_only"), "device"),
    (lambda: lim2018(electrical_half_width_um=10.0), "electrical_half_width_um"),
])
def test_bad_stack_input_names_the_field(make, field):
    with pytest.raises(InputError, match=field):
        make()


def test_unknown_or_wrong_kind_material_is_refused_before_meshing():
    s = lim2018(layers=(Layer("ITO", "ITO", 100), Layer("TCTA", "TCTA", 10), Layer("CQD", "kryptonite", 20)))
    with pytest.raises(InputError, match="kryptonite"):
        s.check_materials()
    with pytest.raises(InputError, match="insulator"):
        lim2018(spacer_material="ITO").check_materials()
