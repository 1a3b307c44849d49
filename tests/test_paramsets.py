"""Named parameter sets: every override sourced, applied to the stack's library, bad input named."""
import pytest

from fem_cqd.errors import InputError
from fem_cqd.materials import load_library
from fem_cqd.paramsets import available, load_parameter_set
from fem_cqd.stack import lim2018


def test_operating_set_overrides_only_what_it_names_and_sources_each_value():
    ps = load_parameter_set("lim2018_operating")
    assert "lim2018_operating" in available()
    base, lib = load_library(), ps.library()
    tcta, tpd = lib["TCTA"], lib["poly-TPD"]
    assert tcta.statistics == "gauss_fermi" and tcta.sigma_p == pytest.approx(0.12)
    # HOMO given as an energy: gap re-derived above the unchanged LUMO
    assert tcta.electron_affinity + tcta.band_gap == pytest.approx(5.70)
    assert tpd.electron_affinity + tpd.band_gap == pytest.approx(5.40)
    assert lib["ITO"] == base["ITO"] and lib["Al"] == base["Al"]
    rows = ps.table()
    assert {r["name"] for r in rows} >= {"stack.spacer_nm", "TCTA.sigma_p_eV", "CQD.Nc_per_cm3"}
    assert all(r["source"] for r in rows)
    assert next(r for r in rows if r["name"] == "TCTA.mu_p_cm2_per_Vs")["unit"] == "cm^2/(V s)"


def test_stack_takes_its_library_and_path_from_the_set():
    s = lim2018(params="lim2018_operating")
    assert s.spacer.thickness_nm == 10.0 and s.path_through("TCTA") == pytest.approx(20.0)
    assert s.check_materials()["TCTA"].statistics == "gauss_fermi"
    assert lim2018().path_through("TCTA") == pytest.approx(60.0)
    assert lim2018(params="lim2018_operating", spacer_nm=30.0).path_through("TCTA") == pytest.approx(40.0)
    assert s.parameters and lim2018().parameters == ()


@pytest.mark.parametrize("text, field", [
    ('name="x"\ndescription="d"\nstack="lim2018"\n[materials.TCTA]\nsigma_p_eV=0.1\n', "sources.sigma_p"),
    ('name="x"\ndescription="d"\nstack="lim2018"\n[materials.TCTA]\nsigma_p_eV=-0.1\n[materials.TCTA.sources]\nsigma_p="a"\n', r"TCTA.*\.sigma_p"),
    ('name="x"\ndescription="d"\nstack="lim2018"\n[materials.TCTA]\nstatistics="quantum"\n[materials.TCTA.sources]\nstatistics="a"\n', "statistics"),
    ('name="x"\ndescription="d"\nstack="lim2018"\n[materials.Unobtainium]\n', "Unobtainium"),
    ('name="x"\ndescription="d"\nstack="lim2018"\n[stack_parameters.spacer_nm]\nvalue=10\n', "spacer_nm"),
    ('name="x"\ndescription="d"\nstack="lim2018"\ncolour="red"\n', "keys"),
    ('name="x"\nstack="lim2018"\n', "description"),
])
def test_bad_parameter_set_names_the_field(tmp_path, text, field):
    f = tmp_path / "set.toml"
    f.write_text(text)
    with pytest.raises(InputError, match=field):
        load_parameter_set(f)


def test_unknown_set_or_wrong_stack_is_refused(tmp_path):
    with pytest.raises(InputError, match="lim2018_operating"):
        load_parameter_set("no_such_set")
    f = tmp_path / "other.toml"
    f.write_text('name="x"\ndescription="d"\nstack="other"\n')
    with pytest.raises(InputError, match="params"):
        lim2018(params=f)
