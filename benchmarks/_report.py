"""Shared row format for every benchmark: print a table and write ``benchmarks/results/<name>.json``.

A row is ``{"case", "quantity", "reference", "computed", "rel_error", "tolerance", "ok"}``; timings
are rows with ``"quantity": "seconds"`` and ``"reference": None``.
"""
from __future__ import annotations

import json
import math
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def row(case: str, quantity: str, computed: float, reference: float | None = None,
        tolerance: float | None = None) -> dict:
    """One result row; ``rel_error`` and ``ok`` are derived from reference and tolerance."""
    rel = None
    if reference is not None and computed is not None:
        rel = abs(computed - reference) / abs(reference) if reference != 0 else abs(computed)
    ok = None if (rel is None or tolerance is None) else bool(rel <= tolerance)
    return {"case": case, "quantity": quantity, "reference": reference, "computed": computed,
            "rel_error": rel, "tolerance": tolerance, "ok": ok}


def _fmt(x) -> str:
    if x is None:
        return "-"
    if isinstance(x, bool):
        return "yes" if x else "NO"
    if isinstance(x, float):
        return f"{x:.6g}" if math.isfinite(x) else str(x)
    return str(x)


def report(name: str, rows: list[dict]) -> Path:
    """Print ``rows`` as a table and write them atomically to ``results/<name>.json``."""
    cols = ["case", "quantity", "reference", "computed", "rel_error", "tolerance", "ok"]
    cells = [[_fmt(r[c]) for c in cols] for r in rows]
    widths = [max(len(c), *(len(cl[i]) for cl in cells)) if cells else len(c) for i, c in enumerate(cols)]
    print("  ".join(c.ljust(w) for c, w in zip(cols, widths)))
    for cl in cells:
        print("  ".join(v.ljust(w) for v, w in zip(cl, widths)))
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"{name}.json"
    fd, tmp = tempfile.mkstemp(dir=RESULTS, suffix=".tmp")
    with os.fdopen(fd, "w") as fh:
        json.dump(rows, fh, indent=1)
    os.replace(tmp, out)
    bad = [r for r in rows if r["ok"] is False]
    print(f"wrote {out} ({len(rows)} rows, {len(bad)} outside tolerance)")
    return out


def peak_rss_mb() -> float:
    """This process's peak resident set size (MB; Linux reports ru_maxrss in kB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def spread(values) -> str:
    """'median of k fresh processes (min-max)' for the label of a timing row."""
    v = sorted(float(x) for x in values)
    return f"median of {len(v)} fresh processes ({v[0]:.3g}-{v[-1]:.3g})" if len(v) > 1 else "1 process"


def median(values) -> float:
    """The median of ``values`` (timings of repeated runs)."""
    return float(statistics.median(float(x) for x in values))


def rows_in_fresh_processes(script: str, args: list[str], repeat: int) -> list[dict]:
    """Run ``script --rows-json FILE *args`` in ``repeat`` fresh processes (each writes its rows to
    FILE) and merge them, matched by (case, quantity): a "seconds" row gets the median of the runs and
    the spread in its case ("median of 3 fresh processes (min-max)"); a "peak_rss_MB" row the largest;
    any other row (iterations, voltages: deterministic up to the order of PARDISO's threaded sums) the
    first run's value, and its range in the case when the runs differ by more than 1e-6 relative. A
    failed run raises with the tail of its output."""
    runs = []
    for k in range(repeat):
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "rows.json"
            proc = subprocess.run([sys.executable, script, "--rows-json", str(out), *args],
                                  capture_output=True, text=True)
            if proc.returncode != 0 or not out.is_file():
                raise RuntimeError(f"{script} run {k + 1} of {repeat} failed (exit {proc.returncode}):\n"
                                   f"{(proc.stdout + proc.stderr)[-3000:]}")
            runs.append(json.loads(out.read_text()))
            print(f"{Path(script).name}: fresh process {k + 1} of {repeat} done", flush=True)
    by_key = [{(x["case"], x["quantity"]): x["computed"] for x in run} for run in runs]
    merged = []
    for r in runs[0]:
        key = (r["case"], r["quantity"])
        values = [run[key] for run in by_key if key in run]
        m = dict(r)
        if len(values) == len(runs) and r["quantity"] == "seconds":
            m.update(case=f"{r['case']} [{spread(values)}]", computed=median(values))
        elif len(values) == len(runs) and r["quantity"] == "peak_rss_MB":
            m.update(case=f"{r['case']} [largest of {len(values)}]", computed=max(values))
        elif values and max(values) - min(values) > 1e-6 * max(abs(v) for v in values):
            m.update(case=f"{r['case']} [first of {len(values)}; they range {min(values):.6g}-{max(values):.6g}]")
        merged.append(m)
    return merged
