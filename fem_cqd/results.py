"""Writing results: atomic files (temporary name, then rename), VTU fields, JSON and CSV.

Every VTU goes through :func:`write_vtu`: coordinates in micrometres (stated in the file), a region
table, field names that carry their unit.

Nothing is overwritten silently: :func:`prepare_output_dir` refuses an existing, non-empty folder
unless asked to overwrite; :func:`staged_output_dir` also writes the whole folder at once (an
error part-way leaves the old folder, or none, behind).
"""
from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import shutil
import tempfile
from pathlib import Path
from xml.sax.saxutils import quoteattr

import meshio
import numpy as np

from .errors import InputError
from .files import atomic_write, read_mesh_file, write_text
from .regions import TaggedMesh


def check_output_dir(path: str | Path, overwrite: bool = False) -> Path:
    """Raise an InputError unless ``path`` can become an output folder; create nothing.

    Refused: an existing non-empty folder without ``overwrite``, a file (or a file on the way to
    it), and a location whose nearest existing parent is not writable.
    """
    path = Path(path)
    allowed = "a new or empty folder, or overwrite=True (--overwrite)"
    if path.exists() and not path.is_dir():
        raise InputError("output folder", str(path), f"{allowed}; this is an existing file")
    if path.is_dir() and any(path.iterdir()) and not overwrite:
        raise InputError("output folder", str(path), allowed)
    parent = path if path.is_dir() else path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise InputError("output folder", str(path), f"{allowed}; {parent} on its path is a file, not a folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise InputError("output folder", str(path), f"{allowed}; {parent} is not writable")
    return path


def prepare_output_dir(path: str | Path, overwrite: bool = False) -> Path:
    """Create ``path``; refuse an existing non-empty folder unless ``overwrite`` (then empty it).

    Every refusal (see :func:`check_output_dir`), and an operating-system error while creating the
    folder, is an InputError naming the folder.
    """
    path = check_output_dir(path, overwrite)
    try:
        if path.exists() and any(path.iterdir()):
            shutil.rmtree(path)
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError("output folder", str(path), f"a folder that can be created and written ({exc})") from None
    return path


@contextlib.contextmanager
def staged_output_dir(path: str | Path, overwrite: bool = False):
    """Context manager: write an output folder whole or not at all.

    Yields a temporary folder beside ``path`` (named ``.<name>.*``) to write into. When the block
    ends normally the temporary folder replaces ``path`` (an existing folder is removed only then,
    and only with ``overwrite``); on any error it is deleted and ``path`` stays as it was. Refusals
    are those of :func:`check_output_dir`; an operating-system error while creating the temporary
    folder is an InputError naming ``path``.
    """
    path = check_output_dir(path, overwrite)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}."))
    except OSError as exc:
        raise InputError("output folder", str(path), f"a folder that can be created and written ({exc})") from None
    try:
        yield tmp
        os.chmod(tmp, 0o755)                    # mkdtemp makes it private (0700)
        old = None
        if path.exists():
            old = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}.old."))
            os.replace(path, old / "x")
        os.replace(tmp, path)
        if old is not None:
            shutil.rmtree(old)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


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


def write_csv(path: str | Path, columns: dict, digits: int | None = 10) -> Path:
    """Write equal-length columns ``{header: values}`` as CSV, atomically.

    Floats are written with ``digits`` significant digits, or in full (the shortest text that
    reads back to the same float) if ``digits`` is None; None is an empty field.
    """
    lengths = {k: len(v) for k, v in columns.items()}
    if len(set(lengths.values())) > 1:
        raise InputError("csv columns", lengths, "columns of equal length")
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(columns)
    for row in zip(*columns.values()):
        w.writerow([(repr(float(v)) if digits is None else f"{v:.{digits}g}")
                    if isinstance(v, (float, np.floating)) else v for v in row])
    return write_text(path, buf.getvalue())


# Field data of every VTU: the coordinate unit, stated by name, with its value in metres.
LENGTH_UNIT_KEY = "length_unit_um"
LENGTH_UNIT_M = 1e-6


def _field_data_xml(entries: dict) -> str:
    """A VTK ``<FieldData>`` block of numeric arrays, ascii (meshio's VTU writer drops field data)."""
    rows = []
    for name, v in entries.items():
        v = np.atleast_1d(v)
        if v.dtype.kind in "iu":
            typ, text = "Int32", " ".join(str(int(x)) for x in v)
        else:
            typ, text = "Float64", " ".join(repr(float(x)) for x in v)
        rows.append(f'<DataArray type="{typ}" Name={quoteattr(name)} NumberOfTuples="{v.size}" '
                    f'format="ascii">{text}</DataArray>')
    return "<FieldData>\n" + "\n".join(rows) + "\n</FieldData>\n"


def write_vtu(path: str | Path, tmesh: TaggedMesh, point_data: dict | None = None,
              cell_data: dict | None = None) -> Path:
    """Write fields on ``tmesh`` to a ``.vtu`` (meshio), atomically: the one VTU writer of fem_cqd.

    - Coordinates in micrometres (z = 0), stated in the file as the field-data array
      ``length_unit_um = [1e-6]`` (metres per coordinate unit).
    - Regions: the integer cell field ``region`` (index into ``tmesh.region_names``) and, as in
      meshio/gmsh files, one field-data array per region ``name = [tag, 2]`` (tag, dimension).
    - ``point_data``: one value per node; ``cell_data``: one value (or 2D vector, padded with z = 0)
      per element. Values are written as given: name them with their unit (``T_K``, ``n_per_cm3``).
    """
    p = tmesh.mesh.p
    n_el = tmesh.mesh.t.shape[1]
    if LENGTH_UNIT_KEY in tmesh.region_names:
        raise InputError("region name", LENGTH_UNIT_KEY, f"a name other than {LENGTH_UNIT_KEY!r} (kept for the length unit)")
    if "region" in (cell_data or {}):
        raise InputError("cell_data name", "region", "another name (the region tags are written as 'region')")
    pts = np.vstack([p / LENGTH_UNIT_M, np.zeros(p.shape[1])]).T
    cd = {"region": [tmesh.element_region.astype(np.int32)]}
    for name, v in (cell_data or {}).items():
        v = np.asarray(v, dtype=float)
        if v.shape[0] != n_el:
            raise InputError(f"cell_data[{name!r}]", f"length {v.shape[0]}", f"one value per element ({n_el})")
        cd[name] = [np.column_stack([v, np.zeros(len(v))]) if v.ndim == 2 and v.shape[1] == 2 else v]
    pd = {}
    for name, v in (point_data or {}).items():
        v = np.asarray(v, dtype=float)
        if v.shape[0] != p.shape[1]:
            raise InputError(f"point_data[{name!r}]", f"length {v.shape[0]}", f"one value per node ({p.shape[1]})")
        pd[name] = v
    m = meshio.Mesh(pts, [("triangle", tmesh.mesh.t.T)], point_data=pd, cell_data=cd)
    fd = {LENGTH_UNIT_KEY: np.array([LENGTH_UNIT_M])}
    fd.update({name: np.array([i, 2]) for i, name in enumerate(tmesh.region_names)})

    def write(tmp):
        meshio.write(tmp, m, file_format="vtu")
        text = Path(tmp).read_text()
        head = "<UnstructuredGrid>\n"
        if head not in text:
            raise RuntimeError(f"meshio wrote no {head.strip()} element to add the field data to")
        Path(tmp).write_text(text.replace(head, head + _field_data_xml(fd), 1))

    return atomic_write(Path(path), write)


def read_vtu(path: str | Path):
    """Read a ``.vtu`` written by :func:`write_vtu` (meshio); refuse one without the length unit.

    Returns ``(mesh, region_table)``: the meshio mesh (coordinates in micrometres) and
    ``{region name: tag of the region cell field}``.
    """
    m = read_mesh_file(path, "vtu file", "a .vtu file written by fem_cqd", "an existing .vtu file")
    if LENGTH_UNIT_KEY not in m.field_data:
        raise InputError("vtu file", str(path), f"a .vtu written by fem_cqd (field data {LENGTH_UNIT_KEY!r}, "
                                                "coordinates in micrometres)")
    regions = {k: int(v[0]) for k, v in m.field_data.items() if k != LENGTH_UNIT_KEY}
    return m, regions


def write_electrical_vtu(path: str | Path, state) -> Path:
    """Write an :class:`~fem_cqd.electrical.state.ElectricalState` on its mesh with :func:`write_vtu`.

    Nodal: ``psi_V, phi_n_V, phi_p_V`` (V); ``n_per_cm3, p_per_cm3`` (cm^-3); ``Ec_eV, Ev_eV, Efn_eV,
    Efp_eV`` (eV, vacuum-level reference); ``R_per_cm3s, R_rad_per_cm3s`` (cm^-3 s^-1);
    ``heat_density_W_per_cm3`` (W/cm^3); ``T_K``. Per element: ``J_A_per_cm2, Jn_A_per_cm2,
    Jp_A_per_cm2`` (A/cm^2, 3 components, z = 0) and ``J_mag_A_per_cm2`` = |J|.
    """
    s = state
    point_data = {"psi_V": s.psi, "phi_n_V": s.phi_n, "phi_p_V": s.phi_p,
                  "n_per_cm3": s.n * 1e-6, "p_per_cm3": s.p * 1e-6,
                  "Ec_eV": s.Ec, "Ev_eV": s.Ev, "Efn_eV": s.Efn, "Efp_eV": s.Efp,
                  "R_per_cm3s": s.R * 1e-6, "R_rad_per_cm3s": s.R_rad * 1e-6,
                  "heat_density_W_per_cm3": s.heat_density * 1e-6, "T_K": s.T}
    cell_data = {"J_A_per_cm2": s.J * 1e-4, "Jn_A_per_cm2": s.Jn * 1e-4, "Jp_A_per_cm2": s.Jp * 1e-4,
                 "J_mag_A_per_cm2": np.hypot(s.J[:, 0], s.J[:, 1]) * 1e-4}
    return write_vtu(path, s.tmesh, point_data, cell_data)


def write_thermal_vtu(path: str | Path, state, T_ambient_K: float | None = None,
                      q_element_W_per_m3=None) -> Path:
    """Write a :class:`~fem_cqd.thermal.ThermalState` on its thermal mesh with :func:`write_vtu`.

    Nodal ``T_K`` and, given ``T_ambient_K``, the rise ``dT_K = T - T_ambient_K``; per element
    the heat flux ``heat_flux_W_per_cm2`` (-k grad T, 3 components, z = 0) and, given the element
    heat source of the solve ``q_element_W_per_m3`` (W/m^3; the state does not keep it),
    ``heat_density_W_per_cm3``.
    """
    point_data = {"T_K": state.T}
    if T_ambient_K is not None:
        point_data["dT_K"] = state.T - float(T_ambient_K)
    cell_data = {"heat_flux_W_per_cm2": state.heat_flux.T * 1e-4}
    if q_element_W_per_m3 is not None:
        q_el = np.broadcast_to(np.asarray(q_element_W_per_m3, dtype=float), (state.heat_flux.shape[1],))
        cell_data["heat_density_W_per_cm3"] = q_el * 1e-6
    return write_vtu(path, state.thermal_mesh.tm, point_data, cell_data)


def write_profile_csv(path: str | Path, profile, extra: dict | None = None) -> Path:
    """Write a :class:`~fem_cqd.qd_profile.QDProfile` as CSV: ``x_um``, the column's share of the
    film (``column_width_um`` of a stripe, ``column_area_um2`` of a disc's ring), ``j_rec_A_per_cm2,
    T_K`` (and ``j_y_mid_A_per_cm2`` when the profile has it), then ``extra`` columns
    ``{header with unit: values per position}`` (e.g. gain results)."""
    share = ({"column_area_um2": profile.column_width_m * 1e12} if profile.geometry == "axisymmetric" else
             {"column_width_um": profile.column_width_m * 1e6})
    cols = {"x_um": profile.x_m * 1e6, **share, "j_rec_A_per_cm2": profile.j_rec_A_per_m2 * 1e-4, "T_K": profile.T_K}
    if profile.j_y_mid_A_per_m2 is not None:
        cols["j_y_mid_A_per_cm2"] = profile.j_y_mid_A_per_m2 * 1e-4
    cols.update(extra or {})
    return write_csv(path, cols)
