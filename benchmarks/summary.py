"""Markdown summary of every ``benchmarks/results/*.json``: one table per benchmark.

    python benchmarks/summary.py > /tmp/summary.md     # paste into README.md

Rows with a tolerance show pass/fail; "seconds" and other information rows show the value only.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def fmt(x) -> str:
    if x is None:
        return ""
    if isinstance(x, bool):
        return "yes" if x else "**NO**"
    if isinstance(x, float):
        return f"{x:.4g}"
    return str(x)


def table(rows: list[dict]) -> str:
    lines = ["| case | quantity | reference | computed | rel. error | tolerance | ok |", "|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append("| " + " | ".join(fmt(r.get(k)) for k in
                                         ("case", "quantity", "reference", "computed", "rel_error", "tolerance", "ok")) + " |")
    return "\n".join(lines)


def main(names=None) -> int:
    files = sorted(RESULTS.glob("*.json"))
    if names:
        files = [f for f in files if f.stem in names]
    for f in files:
        rows = json.loads(f.read_text())
        checked = [r for r in rows if r.get("ok") is not None]
        bad = sum(1 for r in checked if r["ok"] is False)
        print(f"### {f.stem}: {len(checked) - bad}/{len(checked)} checks within tolerance\n")
        print(table(rows))
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
