"""Sweep scaling on a LocalCluster: the same 8-point study on 1 and 2 workers, side by side.

Study: ``heat_spot`` (fem_cqd/studies.py) over 8 spot radii, each point a steady heat solve of
``CELLS`` cells per spot radius (~2.5 s, 165k nodes); run on a LocalCluster of 1 worker, then of 2
(fresh clusters and output folders; the sweep reaches each by its scheduler address, the
``--scheduler`` path). Rows: cluster start-up and sweep wall time of each, the speed-up after
start-up (goal >= 1.7 on 2 cores) and with it, the scheduler overhead per point (wall time x
workers / points - the points' own mean time), the largest resident memory of a worker, and the
projected wall time of a 1000-point design search of the
lim2018 chain on N workers from the per-point time of ``cases/lim2018_device.py`` (its summary's
18 A/cm^2 timings, when present).

Each cluster size runs ``--repeat`` (3) times, each on a fresh cluster (fresh worker processes):
times are the medians (their range in the row), memory the largest.

Run: ``python benchmarks/sweep_scaling.py [--repeat 3]`` (~3 min on a quiet 2-core machine). Writes
``benchmarks/results/sweep_scaling.json``.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from _report import median, report, row, spread  # noqa: E402

from fem_cqd.sweep import Study, run_sweep  # noqa: E402

CELLS = 3000
POINTS = 8
ROOT = Path(__file__).resolve().parent.parent


def study(tag: str) -> Study:
    return Study(name=f"scaling_{tag}", point="heat_spot", fixed={"cells_per_spot": CELLS},
                 parameters={"spot_um": [10.0 + 5.0 * k for k in range(POINTS)]})


def worker_memory(client) -> float:
    """Largest resident set size (MB) among the cluster's workers."""
    import psutil

    rss = client.run(lambda: psutil.Process().memory_info().rss)
    return max(rss.values()) / 2 ** 20


def timed(workers: int, out: Path) -> dict:
    """The study on a fresh LocalCluster of ``workers`` workers, reached by its scheduler address
    (the ``--scheduler`` path): cluster start-up, sweep wall time, the points' mean own time and the
    largest worker memory."""
    from distributed import Client, LocalCluster

    from fem_cqd.sweep import PINNED_THREADS

    t0 = time.perf_counter()
    with LocalCluster(n_workers=workers, threads_per_worker=1, dashboard_address=None, env=PINNED_THREADS) as cl:
        start = time.perf_counter() - t0
        t1 = time.perf_counter()
        res = run_sweep(study(f"{workers}w"), out, scheduler=cl.scheduler_address, progress=False)
        wall = time.perf_counter() - t1
        with Client(cl) as c:
            mem = worker_memory(c)
    assert res.counts["done"] == POINTS, res.counts
    return {"start": start, "wall": wall, "own": sum(r["seconds"] for r in res.records) / POINTS, "mem": mem}


def repeated(workers: int, repeat: int, tmp: Path) -> dict:
    """``repeat`` runs of :func:`timed`: the median of each time (``spread``: the wall times' range),
    the largest memory."""
    reps = [timed(workers, tmp / f"w{workers}_{k}") for k in range(repeat)]
    out = {key: median(r[key] for r in reps) for key in ("start", "wall", "own")}
    out["overhead"] = median(r["wall"] * workers / POINTS - r["own"] for r in reps)
    out["mem"] = max(r["mem"] for r in reps)
    out["spread"] = spread(r["wall"] for r in reps)
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=3, help="fresh clusters per size; medians reported (default 3)")
    a = ap.parse_args(argv)
    if a.repeat < 1:
        ap.error(f"--repeat {a.repeat}: at least 1")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        t = {n: repeated(n, a.repeat, Path(tmp)) for n in (1, 2)}
    for n, r in t.items():
        rows.append(row(f"LocalCluster start-up, {n} worker(s)", "seconds", r["start"], None))
        rows.append(row(f"{POINTS}-point heat_spot study on {n} worker(s) (after start-up) [{r['spread']}]", "seconds",
                        r["wall"], None))
        rows.append(row(f"{n} worker(s): a point's own time (mean)", "seconds", r["own"], None))
        rows.append(row(f"{n} worker(s): scheduler overhead per point (wall x workers / points - own time)", "seconds",
                        r["overhead"], None))
        rows.append(row(f"{n} worker(s): resident memory of a worker (largest)", "MB", r["mem"], None))
    speedup = t[1]["wall"] / t[2]["wall"]
    rows.append(row("speed-up 2 workers vs 1 after start-up (goal >= 1.7: ok)", "speedup", speedup, 1.7, None))
    rows[-1]["ok"] = speedup >= 1.7
    total = (t[1]["wall"] + t[1]["start"]) / (t[2]["wall"] + t[2]["start"])
    rows.append(row("speed-up 2 workers vs 1 with the cluster start-up", "speedup", total, None))
    summary = ROOT / "results" / "lim2018_device" / "summary.json"
    if summary.is_file():
        s = json.loads(summary.read_text())
        per = max(sum(op["seconds"] for op in g["operating_points"].values()) for g in s["geometries"].values())
        for n in (2, 16, 64):
            rows.append(row(f"projected 1000-point lim2018 design search on {n} workers ({per:.0f} s per point, "
                            "the default case's slower geometry)", "hours", 1000 * per / n / 3600, None))
    report("sweep_scaling", rows)


if __name__ == "__main__":
    main()
