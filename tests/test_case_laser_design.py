"""The laser design search, small: one quick-mesh device with two currents through the whole case
(device sweep on a 1-worker LocalCluster, the search on the same kind of client, the coupled checks);
the device sweep is found complete by a rerun."""
from fem_cqd.cli import load_case


def test_quick_design_search_writes_its_outputs_and_resumes(tmp_path, monkeypatch):
    case = load_case("laser_design")
    monkeypatch.setattr(case, "QUICK_DEVICES", [{"aperture_um": 100.0, "substrate": "glass"}])
    monkeypatch.setattr(case, "QUICK_J_LIST", [2.0, 5.0])
    monkeypatch.setattr(case, "CAVITY_LOSSES_PER_CM", (20.0, 50.0))
    out = tmp_path / "ld"
    s = case.run(out, quick=True, workers=1)
    for name in ("summary.json", "designs.csv", "cavity.png", "cavity.csv", "devices.png", "train_map.png",
                 "best/J_map.png", "best/T_map.png", "best/film.png", "best/film.csv"):
        assert (out / name).stat().st_size > 0, name
    assert s["sweep_counts"] == {"done": 1, "failed": 0, "pending": 0}
    # one design per cavity loss, ranked; this stack's slab cannot reach threshold at either loss:
    # g_th (~9e3 /cm) far above the reachable gain, and the smaller loss the smaller deficit
    by_loss = {d["cavity_loss_per_cm"]: d for d in s["designs"]}
    assert sorted(by_loss) == [20.0, 50.0] and [d["score"] for d in s["designs"]] == sorted(d["score"] for d in s["designs"])
    for d in by_loss.values():
        assert not d["feasible"] and d["g_th_per_cm"] > 5e3 and d["score"] > 20
    assert by_loss[20.0]["g_th_per_cm"] < by_loss[50.0]["g_th_per_cm"]
    assert s["designs"][0]["cavity_loss_per_cm"] == 20.0 and "20 /cm:" in s["headline"][1]
    chk = s["best_pulse_check"]
    assert abs(chk["coupled_film_peak_rise_K"] / chk["table_film_peak_rise_K"] - 1) < 0.05
    assert abs(chk["coupled_aperture_mean_peak_gain_per_cm"] - chk["table_aperture_mean_peak_gain_per_cm"]) < 5.0
    assert "failed" not in chk["dc_check"]
    # the device sweep lives beside the output (``--overwrite`` keeps it): a rerun finds it complete
    from fem_cqd.sweep import run_sweep
    devices = case.devices_folder(out, True)
    before = (devices / "index.csv").read_text()
    again = run_sweep(case.device_study(True), devices, workers=1, progress=False)
    assert again.counts == {"done": 1, "failed": 0, "pending": 0} and (devices / "index.csv").read_text() == before
