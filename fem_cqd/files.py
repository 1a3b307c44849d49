"""Files on disk, the lowest IO layer: atomic writes (a reader never sees half a file) and a mesh
read that turns every failure of meshio into an InputError. Meshing (:mod:`.mesh`), results
(:mod:`.results`), pictures (:mod:`.viz`) and parameter sets (:mod:`.paramsets`) all write through it.
"""
from __future__ import annotations

import contextlib
import io
import os
import tempfile
from pathlib import Path

import meshio

from .errors import InputError


def read_mesh_file(path: str | Path, field: str, allowed: str, missing: str) -> "meshio.Mesh":
    """``meshio.read(path)``, with every failure turned into an InputError naming the file.

    meshio ends the process (``sys.exit(1)``) on an unreadable ``.vtu`` and raises assorted numpy,
    XML, unicode and index errors on truncated ``.msh`` files; none of that reaches the caller.
    What meshio prints while failing is captured and quoted in the message.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(field, str(path), missing)
    said = io.StringIO()
    try:
        with contextlib.redirect_stdout(said), contextlib.redirect_stderr(said):
            return meshio.read(path)
    except (SystemExit, Exception) as exc:  # meshio exits, or raises many types, on broken files
        detail = " ".join(s for s in (said.getvalue().strip(), str(exc).strip()) if s and s != "1")
        raise InputError(field, str(path), f"{allowed}; this file is truncated or not readable"
                                           + (f" ({detail})" if detail else "")) from None


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
