"""Sweeps on dask (fem_cqd.sweep): designs, serial equality, resume after a kill, failed points, bad input."""
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from fem_cqd.errors import InputError
from fem_cqd.studies import heat_spot
from fem_cqd.sweep import Study, load_study, point_id, run_sweep, sweep_status


def _study(**kw):
    base = dict(name="spot", point="heat_spot", parameters={"spot_um": [10.0, 25.0], "power_mW": [1.0, 5.0]},
                fixed={"substrate": "sapphire"})
    return Study(**{**base, **kw})


def test_designs():
    assert len(_study().design_points()) == 4
    g = _study(parameters={"spot_um": {"min": 10.0, "max": 40.0, "n": 4}}).design_points()
    assert [p["spot_um"] for p in g] == pytest.approx([10.0, 20.0, 30.0, 40.0])
    lhs = _study(design="lhs", samples=6, parameters={"spot_um": {"min": 10.0, "max": 1000.0, "log": True},
                                                      "power_mW": {"min": 1.0, "max": 2.0}}).design_points()
    s = np.log10([p["spot_um"] for p in lhs])
    assert len(lhs) == 6 and s.min() >= 1.0 and s.max() <= 3.0
    # Latin hypercube: one point in each sixth of each axis
    assert sorted(np.floor((s - 1.0) / 2.0 * 6).astype(int)) == list(range(6))
    lst = _study(design="list", parameters={}, points=({"spot_um": 5.0}, {"spot_um": 7.0})).design_points()
    assert lst == [{"spot_um": 5.0}, {"spot_um": 7.0}]


@pytest.mark.parametrize("kw, field", [
    (dict(parameters={"spot_radius": [1.0]}), "parameters"),                       # unknown name, listed
    (dict(parameters={"spot_um": []}), "parameters.spot_um"),                      # empty
    (dict(parameters={"spot_um": {"min": 5.0, "max": 1.0, "n": 3}}), "parameters.spot_um"),   # reversed
    (dict(parameters={"spot_um": {"min": 1.0, "max": 5.0, "n": 1}}), "parameters.spot_um.n"),
    (dict(design="lhs", samples=0), "samples"),
    (dict(design="mesh"), "design"),
    (dict(point="no_such_point"), "point"),
    (dict(fixed={"spot_um": 3.0}), "fixed"),
])
def test_bad_studies_are_refused(kw, field):
    with pytest.raises(InputError, match=field):
        _study(**kw)


def test_study_file_errors(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\npoint = "heat_spot"\n[parameters]\nspot_um = [1\n')
    with pytest.raises(InputError, match="valid TOML"):
        load_study(bad)
    bad.write_text('name = "x"\npoint = "heat_spot"\nworkers = 3\n[parameters]\nspot_um = [1.0]\n')
    with pytest.raises(InputError, match="keys"):
        load_study(bad)


def test_sweep_equals_serial_runs_records_failures_and_refuses_another_study(tmp_path):
    study = _study(design="list", parameters={},
                   points=({"spot_um": 10.0, "power_mW": 1.0}, {"spot_um": 25.0, "power_mW": 5.0},
                           {"spot_um": 25.0, "substrate": "unobtainium"}),
                   fixed={"thickness_um": 300.0})
    res = run_sweep(study, tmp_path / "s", workers=2, progress=False)
    assert res.counts == {"done": 2, "failed": 1, "pending": 0}
    for rec in res.records:
        if rec["status"] == "done":
            serial = heat_spot({"thickness_um": 300.0, **rec["values"]}, tmp_path)
            for k, v in serial.items():
                assert rec["outputs"][k] == pytest.approx(v, rel=1e-12, abs=0)
        else:
            assert "unobtainium" in rec["error"] and "substrate" in rec["error"]
    index = (tmp_path / "s" / "index.csv").read_text().splitlines()
    assert len(index) == 4 and index[0].startswith("id,status,seconds")
    import pyarrow.parquet as pq
    assert pq.read_table(tmp_path / "s" / "index.parquet").num_rows == 3
    assert sweep_status(tmp_path / "s")["failed"] == 1
    assert (tmp_path / "s" / "vs_spot_um.png").stat().st_size > 0
    with pytest.raises(InputError, match="sweep output folder"):
        run_sweep(_study(), tmp_path / "s", workers=1, progress=False)


def test_a_list_study_grows_keeping_its_finished_points(tmp_path):
    first = ({"spot_um": 10.0}, {"spot_um": 25.0})
    kw = dict(design="list", parameters={}, fixed={"thickness_um": 300.0, "cells_per_spot": 120})
    res = run_sweep(_study(points=first, **kw), tmp_path / "s", workers=1, progress=False)
    kept = {r["id"]: (tmp_path / "s" / "points" / r["id"] / "point.json").read_text() for r in res.records}
    grown = run_sweep(_study(points=first + ({"spot_um": 40.0},), **kw), tmp_path / "s", workers=1, progress=False)
    assert grown.counts == {"done": 3, "failed": 0, "pending": 0}
    for i, text in kept.items():                       # not rerun: the same record, byte for byte
        assert (tmp_path / "s" / "points" / i / "point.json").read_text() == text
    assert len((tmp_path / "s" / "index.csv").read_text().splitlines()) == 4
    assert len(json.loads((tmp_path / "s" / "study.json").read_text())["signature"]["points"]) == 3
    # other settings, or a list that drops a point, is another study
    for points, fixed in ((first, {"thickness_um": 500.0, "cells_per_spot": 120}), (first[:1], kw["fixed"])):
        with pytest.raises(InputError, match="sweep output folder"):
            run_sweep(_study(**{**kw, "points": points, "fixed": fixed}), tmp_path / "s", workers=1, progress=False)


def test_killed_sweep_resumes_with_every_point_once(tmp_path):
    study = tmp_path / "study.toml"
    study.write_text('name = "resume"\npoint = "heat_spot"\n[fixed]\ncells_per_spot = 120\n'
                     '[parameters]\nspot_um = [10.0, 12.0, 14.0, 16.0, 18.0, 20.0]\n')
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "fem_cqd", "sweep", str(study), "--out", str(out), "--workers", "1"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 120
    while time.time() < deadline and len(list((out / "points").glob("*/point.json"))) < 2:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)                      # the sweep and its dask processes
    proc.wait()
    first = len(list((out / "points").glob("*/point.json")))
    assert 2 <= first < 6
    res = run_sweep(load_study(study), out, workers=1, progress=False)
    assert res.counts == {"done": 6, "failed": 0, "pending": 0}
    ids = [line.split(",")[0] for line in (out / "index.csv").read_text().splitlines()[1:]]
    assert sorted(ids) == sorted({point_id({"spot_um": v}) for v in (10.0, 12.0, 14.0, 16.0, 18.0, 20.0)})
    assert not [p for p in (out / "points").iterdir() if ".tmp-" in p.name]          # cut-off points cleared
    assert json.loads((out / "study.json").read_text())["name"] == "resume"


def test_unreachable_scheduler_is_named_and_nothing_is_written(tmp_path):
    with pytest.raises(InputError, match="tcp://127.0.0.1:9"):
        run_sweep(_study(), tmp_path / "x", scheduler="tcp://127.0.0.1:9", progress=False)
    assert not (tmp_path / "x").exists()


def test_the_quick_aperture_study_runs_the_lim2018_chain(tmp_path):
    from pathlib import Path
    study = load_study(Path(__file__).resolve().parent.parent / "cases" / "studies" / "aperture_quick.toml")
    res = run_sweep(study, tmp_path / "ap", workers=2, progress=False)
    assert res.counts == {"done": 2, "failed": 0, "pending": 0}, [r.get("error") for r in res.records]
    for rec in res.records:
        out = rec["outputs"]
        assert out["terminal_j_A_per_cm2"] == pytest.approx(1.0, rel=1e-5)
        assert 0.0 < out["share_in_qd"] <= 1.0 and out["peak_rise_K"] > 0
        assert (tmp_path / "ap" / "points" / rec["id"] / "profile.csv").stat().st_size > 0
