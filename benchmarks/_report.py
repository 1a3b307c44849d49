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
