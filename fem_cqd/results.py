"""Writing results: atomic files (temporary name, then rename), VTU fields, JSON and CSV.

Nothing is overwritten silently: :func:`prepare_output_dir` refuses an existing, non-empty folder
unless asked to overwrite.
"""
from __future__ import annotations

import csv
import io
import json
import os
import shutil
import tempfile
from pathlib import Path

import meshio
import numpy as np

from .errors import InputError
from .regions import TaggedMesh


def prepare_output_dir(path: str | Path, overwrite: bool = False) -> Path:
    """Create ``path``; refuse an existing non-empty folder unless ``overwrite`` (then empty it)."""
    path = Path(path)
    if path.exists() and any(path.iterdir()):
        if not overwrite:
            raise InputError("output folder", str(path), "a new or empty folder, or overwrite=True (--overwrite)")
        shutil.rmtree(path)
    path.mkdir(parents=True, exist_ok=True)
    return path


def atomic_write(path: Path, write) -> Path:
    """Call ``write(tmp)`` on a temporary file beside ``path`` (same suffix), then rename it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp" + path.suffix)
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return path


def write_text(path: str | Path, text: str) -> Path:
    """Write ``text`` atomically."""
    return atomic_write(Path(path), lambda tmp: Path(tmp).write_text(text))


def _plain(obj):
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _plain(obj.tolist())
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, float) and not np.isfinite(obj):
        return None
    return obj


def write_json(path: str | Path, data) -> Path:
    """Write ``data`` (dicts, lists, numpy values) as indented JSON, atomically."""
    return write_text(path, json.dumps(_plain(data), indent=2) + "\n")


def write_csv(path: str | Path, columns: dict) -> Path:
    """Write equal-length columns ``{header: values}`` as CSV, atomically."""
    lengths = {k: len(v) for k, v in columns.items()}
    if len(set(lengths.values())) > 1:
        raise InputError("csv columns", lengths, "columns of equal length")
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(columns)
    for row in zip(*columns.values()):
        w.writerow([f"{v:.10g}" if isinstance(v, (float, np.floating)) else v for v in row])
    return write_text(path, buf.getvalue())


def write_vtu(path: str | Path, tmesh: TaggedMesh, point_data: dict | None = None,
              cell_data: dict | None = None) -> Path:
    """Write fields on ``tmesh`` to a ``.vtu`` (meshio), with the region of each cell as ``region``.

    Coordinates are written in micrometres (so ParaView/PyVista show readable numbers); point data
    are nodal arrays, cell data per-element arrays (vectors as (n, 2) arrays, padded to 3D).
    """
    p = tmesh.mesh.p
    pts = np.vstack([p * 1e6, np.zeros(p.shape[1])]).T
    cd = {"region": [tmesh.element_region.astype(np.int32)]}
    for name, v in (cell_data or {}).items():
        v = np.asarray(v, dtype=float)
        cd[name] = [np.column_stack([v, np.zeros(len(v))]) if v.ndim == 2 and v.shape[1] == 2 else v]
    pd = {}
    for name, v in (point_data or {}).items():
        v = np.asarray(v, dtype=float)
        if v.shape[0] != p.shape[1]:
            raise InputError(f"point_data[{name!r}]", f"length {v.shape[0]}", f"one value per node ({p.shape[1]})")
        pd[name] = v
    m = meshio.Mesh(pts, [("triangle", tmesh.mesh.t.T)], point_data=pd, cell_data=cd,
                    field_data={name: np.array([i, 2]) for i, name in enumerate(tmesh.region_names)})
    return atomic_write(Path(path), lambda tmp: meshio.write(tmp, m, file_format="vtu"))
