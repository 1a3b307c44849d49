"""Parameter sweeps on dask.distributed: resumable studies of a point function over a design.

A *study* (a TOML file, or a :class:`Study`) names a point function (:mod:`fem_cqd.studies`),
settings every point shares, the swept parameters and the design::

    name = "aperture"
    point = "lim2018"              # a built-in point function, or "package.module:function"
    design = "grid"                # "grid" (every combination), "list" ([[points]] tables) or "lhs"
    samples = 8                    # lhs: number of points (scipy.stats.qmc Latin hypercube)
    seed = 0
    outputs = ["voltage_V", "peak_rise_K"]    # optional: the outputs kept in the index (default all)

    [fixed]                        # passed to every point
    geometry = "axisymmetric"
    j_A_per_cm2 = 18.0

    [parameters]                   # grid: a list of values, or a range {min, max, n[, log]}
    aperture_um = [10.0, 20.0, 50.0, 100.0]
    tcta_nm = {min = 10.0, max = 30.0, n = 3}     # lhs: {min, max[, log]} for every parameter

:func:`run_sweep` runs the points that have not finished yet on a dask cluster -- by default a
``LocalCluster`` of single-threaded worker processes, one per core, BLAS and OpenMP threads pinned
to 1 inside them; or an existing cluster by scheduler address. Each point runs in its own folder
``<out>/points/<id>/`` (id: a hash of its parameter values), written to a temporary folder and
renamed when complete (``point.json``: inputs, status, outputs or error, seconds; plus any files
the point function writes), so an interrupted sweep leaves only whole points; a rerun skips them
and runs the rest. A point that raises is recorded as failed with its error, and the sweep goes
on. After every point the index ``<out>/index.csv`` and ``index.parquet`` (one row per point:
id, status, seconds, parameters, outputs) is rewritten from the records; ``<out>/study.json``
holds the study, so a folder of another study is refused -- except that a ``list`` study may grow:
a folder whose study has the same settings and a point list contained in the new one accepts the
new list (its finished points are kept; only the added ones run). At the end, :func:`plot_index` draws
every output against every swept parameter, and maps over each pair of them.
"""
from __future__ import annotations

import hashlib
import itertools
import json
import math
import os
import shutil
import time
import tomllib
import traceback
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import InputError
from .files import atomic_write, write_text
from .results import write_csv
from .studies import point_function

DESIGNS = ("grid", "list", "lhs")
#: environment of the LocalCluster's worker processes: one BLAS / OpenMP thread each
PINNED_THREADS = {k: "1" for k in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")}
CONNECT_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class Study:
    """A point function, the settings every point shares, the swept parameters and the design."""

    name: str
    point: str
    parameters: dict
    fixed: dict = field(default_factory=dict)
    design: str = "grid"
    samples: int = 0
    seed: int = 0
    outputs: tuple = ()
    points: tuple = ()                # design "list": the points, one dict each

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name:
            raise InputError("study name", self.name, "a non-empty string")
        if self.design not in DESIGNS:
            raise InputError("study design", self.design, "one of " + ", ".join(DESIGNS))
        point_function(self.point)
        if self.design == "list":
            if not self.points or not all(isinstance(p, dict) for p in self.points):
                raise InputError("study points", self.points, "a non-empty list of [[points]] tables for design 'list'")
        elif not self.parameters:
            raise InputError("study parameters", self.parameters, "at least one swept parameter")
        if self.design == "lhs" and (int(self.samples) != self.samples or self.samples < 1):
            raise InputError("study samples", self.samples, "an integer >= 1 for design 'lhs'")
        clash = sorted(set(self.fixed) & set(self.parameters))
        if clash:
            raise InputError("study fixed", clash, "names not also swept in [parameters]")
        for name, spec in self.parameters.items():
            _axis(name, spec, self.design)
        points = self.design_points()                      # every point's values checked now
        known = getattr(point_function(self.point), "parameters", None)
        if known is not None:
            used = set(self.fixed) | {k for p in points for k in p}
            unknown = sorted(used - set(known))
            if unknown:
                raise InputError(f"study parameters of point {self.point!r}", unknown,
                                 "names among " + ", ".join(sorted(known)))

    def design_points(self) -> list[dict]:
        """The swept values of every point, in design order."""
        if self.design == "list":
            return [dict(p) for p in self.points]
        if self.design == "grid":
            axes = {k: _axis(k, v, "grid") for k, v in self.parameters.items()}
            return [dict(zip(axes, combo)) for combo in itertools.product(*axes.values())]
        from scipy.stats import qmc
        names = list(self.parameters)
        u = qmc.LatinHypercube(d=len(names), seed=int(self.seed)).random(int(self.samples))
        out = []
        for row in u:
            point = {}
            for k, s in zip(names, row):
                lo, hi, log = _axis(k, self.parameters[k], "lhs")
                point[k] = float(10 ** (math.log10(lo) + s * (math.log10(hi) - math.log10(lo)))) if log else float(lo + s * (hi - lo))
            out.append(point)
        return out

    def signature(self) -> dict:
        """What makes two studies the same (an output folder holds one)."""
        return {"point": self.point, "fixed": self.fixed, "parameters": self.parameters, "design": self.design,
                "samples": self.samples, "seed": self.seed, "points": list(self.points)}


def _axis(name: str, spec, design: str):
    """Values of a grid axis, or (lo, hi, log) of an lhs range; bad specs raise naming the parameter."""
    field_ = f"parameters.{name}"
    if isinstance(spec, dict):
        unknown = sorted(set(spec) - {"min", "max", "n", "log"})
        if unknown or "min" not in spec or "max" not in spec:
            raise InputError(field_, spec, "a list of values or a range {min, max, n[, log]}")
        lo, hi, log = spec["min"], spec["max"], bool(spec.get("log", False))
        if not all(isinstance(v, (int, float)) and math.isfinite(v) for v in (lo, hi)) or not lo < hi:
            raise InputError(field_, spec, "a range with finite min < max")
        if log and lo <= 0:
            raise InputError(field_, spec, "a log range with min > 0")
        if design == "lhs":
            return float(lo), float(hi), log
        n = spec.get("n")
        if not isinstance(n, int) or n < 2:
            raise InputError(f"{field_}.n", n, "an integer >= 2 (the number of grid values)")
        return list(np.geomspace(lo, hi, n) if log else np.linspace(lo, hi, n))
    if design == "lhs":
        raise InputError(field_, spec, "a range {min, max[, log]} for design 'lhs'")
    if not isinstance(spec, list) or not spec:
        raise InputError(field_, spec, "a non-empty list of values or a range {min, max, n[, log]}")
    return list(spec)


def load_study(path: str | Path) -> Study:
    """A :class:`Study` from a TOML file (module doc); bad files raise naming the field."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise InputError("study file", str(path), "an existing TOML file") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError("study file", str(path), f"valid TOML ({exc})") from None
    known = {"name", "point", "design", "samples", "seed", "outputs", "fixed", "parameters", "points"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise InputError(f"study file {path.name} keys", unknown, "keys among " + ", ".join(sorted(known)))
    for key in ("name", "point"):
        if key not in data:
            raise InputError(f"study file {path.name}", f"no {key!r}", f"a top-level {key} = ...")
    return Study(name=data["name"], point=data["point"], parameters=data.get("parameters", {}),
                 fixed=data.get("fixed", {}), design=data.get("design", "grid"), samples=data.get("samples", 0),
                 seed=data.get("seed", 0), outputs=tuple(data.get("outputs", ())), points=tuple(data.get("points", ())))


def point_id(values: dict) -> str:
    """Stable id of a point: a hash of its swept values."""
    return hashlib.sha1(json.dumps(values, sort_keys=True, default=float).encode()).hexdigest()[:12]


def run_point(point: str, fixed: dict, values: dict, folder: str) -> dict:
    """Run one point in ``folder`` (module doc): the task each worker executes. Never raises for
    a failing point function; returns the record written to ``point.json``."""
    folder = Path(folder)
    tmp = folder.with_name(folder.name + f".tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    t0 = time.perf_counter()
    record = {"id": folder.name, "values": values, "fixed": fixed, "point": point}
    try:
        out = point_function(point)({**fixed, **values}, tmp)
        record.update(status="done", outputs={k: _scalar(v) for k, v in out.items()})
    except Exception as exc:                                      # a failed point is a result
        record.update(status="failed", error=f"{type(exc).__name__}: {exc}",
                      traceback="".join(traceback.format_exception(exc))[-4000:])
    record["seconds"] = time.perf_counter() - t0
    (tmp / "point.json").write_text(json.dumps(record, indent=1, default=float))
    shutil.rmtree(folder, ignore_errors=True)                     # a failed point being rerun
    os.replace(tmp, folder)
    return record


def _scalar(v):
    if isinstance(v, (bool, int, float, str)) or v is None:
        return v
    if isinstance(v, np.generic):
        return v.item()
    raise InputError("point output", repr(v)[:80], "scalars (numbers or strings) only")


@dataclass
class SweepResult:
    """Records of every point (design order), and the counts."""

    out: Path
    records: list

    @property
    def counts(self) -> dict:
        c = {"done": 0, "failed": 0, "pending": 0}
        for r in self.records:
            c[r.get("status", "pending")] += 1
        return c


def _read_records(out: Path) -> dict:
    found = {}
    for f in (out / "points").glob("*/point.json"):
        if ".tmp-" not in f.parent.name:
            rec = json.loads(f.read_text())
            found[rec["id"]] = rec
    return found


def _grows(old: dict, new: dict) -> bool:
    """True when signature ``new`` is the ``list`` study ``old`` with points added."""
    if old.get("design") != "list" or new["design"] != "list":
        return False
    if {k: v for k, v in old.items() if k != "points"} != {k: v for k, v in new.items() if k != "points"}:
        return False
    return all(p in new["points"] for p in old.get("points", []))


def _check_folder(study: Study, out: Path) -> bool:
    """Refuse an output folder that holds another study, or anything else; True when the folder
    holds this study with fewer points (a grown ``list`` study, whose study.json is then rewritten)."""
    sig = out / "study.json"
    if sig.exists():
        old = json.loads(sig.read_text())
        new = json.loads(json.dumps(study.signature(), default=float))
        if old.get("signature") != new:
            if _grows(old.get("signature", {}), new) and old.get("name") == study.name:
                return True
            raise InputError("sweep output folder", str(out), f"a folder of study {study.name!r} (it holds study "
                             f"{old.get('name')!r} with other settings; choose another folder)")
    elif out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise InputError("sweep output folder", str(out), "a new or empty folder, or one this study wrote")
    return False


def _prepare(study: Study, out: Path, grown: bool = False) -> None:
    """Create ``out`` for ``study`` (checked by :func:`_check_folder`) unless it exists; ``grown``:
    rewrite its study.json with the longer point list."""
    sig = out / "study.json"
    if sig.exists() and not grown:
        return
    try:
        (out / "points").mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError("sweep output folder", str(out), f"a folder that can be created ({exc})") from None
    write_text(sig, json.dumps({"name": study.name, "signature": study.signature()}, indent=1, default=float))


def write_index(study: Study, out: Path, records: list) -> None:
    """``index.csv`` and ``index.parquet``: one row per point (module doc), atomically."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    params = list(study.parameters) if study.design != "list" else sorted({k for r in records for k in r["values"]})
    outs = list(study.outputs) or sorted({k for r in records for k in r.get("outputs", {})})
    cols = {"id": [], "status": [], "seconds": [], **{p: [] for p in params}, **{o: [] for o in outs}, "error": []}
    for r in records:
        cols["id"].append(r["id"])
        cols["status"].append(r.get("status", "pending"))
        cols["seconds"].append(r.get("seconds"))
        for p in params:
            cols[p].append(r["values"].get(p))
        for o in outs:
            cols[o].append(r.get("outputs", {}).get(o))
        cols["error"].append(r.get("error", ""))
    table = pa.table({k: pa.array(v) for k, v in cols.items()})
    atomic_write(out / "index.parquet", lambda tmp: pq.write_table(table, tmp))
    write_csv(out / "index.csv", cols, digits=None)


def _client(scheduler: str | None, workers: int | None):
    """(client, cluster or None): a LocalCluster (module doc) or a connection to ``scheduler``."""
    from distributed import Client, LocalCluster

    if scheduler:
        try:
            return Client(scheduler, timeout=f"{CONNECT_TIMEOUT_S}s"), None
        except (OSError, TimeoutError, ValueError) as exc:
            raise InputError("scheduler", scheduler, f"a reachable dask scheduler (tcp://host:port); no connection "
                             f"within {CONNECT_TIMEOUT_S:g} s ({type(exc).__name__}: {exc})") from None
    n = workers or os.cpu_count() or 1
    cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None,
                           env=PINNED_THREADS)
    return Client(cluster), cluster


def run_sweep(study: Study, out: str | Path, scheduler: str | None = None, workers: int | None = None,
              progress: bool = True) -> SweepResult:
    """Run the unfinished points of ``study`` into ``out`` (module doc); returns every record.

    ``scheduler``: a dask scheduler address (``tcp://host:port``); default a LocalCluster of
    ``workers`` single-threaded processes (default: one per core). The workers must import
    fem_cqd (and the point function's module)."""
    from distributed import as_completed
    from tqdm.auto import tqdm

    if workers is not None and (int(workers) != workers or workers < 1):
        raise InputError("workers", workers, "an integer >= 1")
    out = Path(out)
    grown = _check_folder(study, out)
    values = study.design_points()
    ids = [point_id(v) for v in values]
    found = _read_records(out) if (out / "points").is_dir() else {}
    records = {i: found.get(i, {"id": i, "values": v, "status": "pending"}) for i, v in zip(ids, values)}
    todo = [(i, v) for i, v in zip(ids, values) if records[i]["status"] == "pending"]
    client, cluster = _client(scheduler, workers) if todo else (None, None)     # a bad address: nothing written
    _prepare(study, out, grown)
    for stale in (out / "points").glob("*.tmp-*"):            # points cut off by an interruption
        shutil.rmtree(stale, ignore_errors=True)
    write_index(study, out, list(records.values()))
    if not todo:
        plot_index(study, out, list(records.values()))
        return SweepResult(out, list(records.values()))
    bar = tqdm(total=len(todo), desc=f"sweep {study.name}", unit="point", disable=not progress)
    failed = 0
    try:
        futures = [client.submit(run_point, study.point, study.fixed, v, str(out / "points" / i), key=f"point-{i}",
                                 pure=False) for i, v in todo]
        for fut in as_completed(futures):
            rec = fut.result()
            records[rec["id"]] = rec
            failed += rec["status"] == "failed"
            write_index(study, out, list(records.values()))
            bar.update()
            bar.set_postfix_str(f"failed {failed}, running {min(len(todo) - bar.n, len(client.nthreads()))}")
    finally:
        bar.close()
        client.close()
        if cluster is not None:
            cluster.close()
    plot_index(study, out, list(records.values()))
    return SweepResult(out, list(records.values()))


def sweep_status(out: str | Path) -> dict:
    """Counts (done / failed / pending) and the failed points' errors of the sweep in ``out``."""
    out = Path(out)
    sig = out / "study.json"
    if not sig.exists():
        raise InputError("sweep folder", str(out), "a folder written by fem-cqd sweep (with study.json)")
    meta = json.loads(sig.read_text())
    s = meta["signature"]
    study = Study(name=meta["name"], point=s["point"], parameters=s["parameters"], fixed=s["fixed"], design=s["design"],
                  samples=s["samples"], seed=s["seed"], points=tuple(s["points"]))
    found = _read_records(out)
    recs = [found.get(point_id(v), {"status": "pending"}) for v in study.design_points()]
    counts = {k: sum(r["status"] == k for r in recs) for k in ("done", "failed", "pending")}
    return {"study": meta["name"], **counts, "errors": {r["id"]: r["error"] for r in recs if r["status"] == "failed"}}


def plot_index(study: Study, out: str | Path, records: list) -> list[Path]:
    """Figures of merit from the finished points: each numeric output against each swept parameter
    (``vs_<parameter>.png``, one panel per output) and, for every pair of swept parameters, a map
    of each output (``map_<a>_<b>_<output>.png``). Returns the files written."""
    from . import viz

    out = Path(out)
    done = [r for r in records if r.get("status") == "done"]
    if not done:
        return []
    names = list(study.parameters) if study.design != "list" else sorted({k for r in done for k in r["values"]})
    names = [n for n in names if all(isinstance(r["values"].get(n), (int, float)) for r in done)]
    outs = [o for o in (list(study.outputs) or sorted(done[0]["outputs"]))
            if all(isinstance(r["outputs"].get(o), (int, float)) and not isinstance(r["outputs"].get(o), bool)
                   for r in done)]
    files = []
    for p in names:
        x = np.array([r["values"][p] for r in done], dtype=float)
        order = np.argsort(x, kind="stable")
        panels = [{"curves": [{"x": x[order], "y": np.array([r["outputs"][o] for r in done], float)[order],
                               "style": "o"}], "xlabel": p, "ylabel": o} for o in outs]
        files.append(viz.panel_plot(out / f"vs_{p}.png", panels, rows=max(1, -(-len(panels) // 3)),
                                    suptitle=f"{study.name}: {len(done)} points"))
    for a, b in itertools.combinations(names, 2):
        xa = np.array([r["values"][a] for r in done], float)
        xb = np.array([r["values"][b] for r in done], float)
        for o in outs:
            files.append(viz.scatter_map(out / f"map_{a}_{b}_{o}.png", xa, xb,
                                         np.array([r["outputs"][o] for r in done], float),
                                         xlabel=a, ylabel=b, label=o, title=f"{study.name}: {o}"))
    return files

