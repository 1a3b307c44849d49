"""Pictures: PyVista field maps (off-screen through EGL) and matplotlib curves.

Coordinates are shown in micrometres. Thin-film stacks are ~100x thinner than they are wide, so a
map can stretch the vertical axis (``y_stretch``); the axis labels say so.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .regions import TaggedMesh
from .results import atomic_write

os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")


def _pyvista():
    import pyvista as pv  # imported late: the EGL variable above must be set first
    pv.OFF_SCREEN = True
    return pv


def interface_segments(tmesh: TaggedMesh) -> np.ndarray:
    """(n, 2, 2) segments (m) of region interfaces and outer boundaries, for outlining layers."""
    f2t = tmesh.mesh.f2t
    inner = f2t[1] >= 0
    r0 = tmesh.element_region[f2t[0]]
    r1 = np.where(inner, tmesh.element_region[np.maximum(f2t[1], 0)], -1)
    facets = tmesh.mesh.facets[:, r0 != r1]
    return np.stack([tmesh.mesh.p[:, facets[0]].T, tmesh.mesh.p[:, facets[1]].T], axis=1)


def _clip_mask(p_um: np.ndarray, xlim, ylim) -> np.ndarray:
    keep = np.ones(p_um.shape[1], bool)
    if xlim is not None:
        keep &= (p_um[0] >= xlim[0] - 1e-9) & (p_um[0] <= xlim[1] + 1e-9)
    if ylim is not None:
        keep &= (p_um[1] >= ylim[0] - 1e-9) & (p_um[1] <= ylim[1] + 1e-9)
    return keep


def field_map(tmesh: TaggedMesh, values: np.ndarray, png: str | Path, *, title: str, label: str,
              xlim_um=None, ylim_um=None, y_stretch: float = 1.0, cmap: str = "inferno",
              outline: bool = True, window=(1400, 700)) -> Path:
    """Render nodal ``values`` on ``tmesh`` to ``png`` with the regions outlined.

    ``xlim_um``/``ylim_um`` crop to a window (elements with all nodes inside are kept);
    ``y_stretch`` multiplies the vertical axis for display.
    """
    pv = _pyvista()
    p_um = tmesh.mesh.p * 1e6
    keep_node = _clip_mask(p_um, xlim_um, ylim_um)
    keep_el = keep_node[tmesh.mesh.t].all(axis=0)
    used = np.unique(tmesh.mesh.t[:, keep_el])
    local = np.full(p_um.shape[1], -1)
    local[used] = np.arange(used.size)
    t = local[tmesh.mesh.t[:, keep_el]]
    pts = np.column_stack([p_um[0, used], p_um[1, used] * y_stretch, np.zeros(used.size)])
    cells = np.column_stack([np.full(t.shape[1], 3), t.T]).ravel()
    grid = pv.UnstructuredGrid(cells, np.full(t.shape[1], pv.CellType.TRIANGLE), pts)
    grid.point_data[label] = np.asarray(values, dtype=float)[used]
    plotter = pv.Plotter(off_screen=True, window_size=list(window))
    plotter.add_mesh(grid, scalars=label, cmap=cmap, show_edges=False,
                     scalar_bar_args={"title": label, "vertical": True, "fmt": "%.4g"})
    if outline:
        seg = interface_segments(tmesh) * 1e6
        inside = np.all([_clip_mask(seg[:, k, :].T, xlim_um, ylim_um) for k in (0, 1)], axis=0)
        seg = seg[inside]
        if len(seg):
            lp = np.zeros((2 * len(seg), 3))
            lp[0::2, :2], lp[1::2, :2] = seg[:, 0], seg[:, 1]
            lp[:, 1] *= y_stretch
            lines = np.column_stack([np.full(len(seg), 2), np.arange(0, 2 * len(seg), 2), np.arange(1, 2 * len(seg), 2)]).ravel()
            plotter.add_mesh(pv.PolyData(lp, lines=lines), color="white", line_width=1.5)
    ylabel = "y (um)" if y_stretch == 1 else f"y (um; height drawn x{y_stretch:g})"
    b = grid.bounds
    plotter.show_bounds(bounds=b, axes_ranges=[b[0], b[1], b[2] / y_stretch, b[3] / y_stretch, 0, 0],
                        xtitle="x (um)", ytitle=ylabel, location="outer", ticks="outside", font_size=10)
    plotter.add_text(title, font_size=11)
    plotter.view_xy()
    plotter.camera.zoom(0.85)
    out = atomic_write(Path(png), lambda tmp: plotter.screenshot(tmp))
    plotter.close()
    return out


def render_vtu(vtu: str | Path, field: str, png: str | Path | None = None, y_stretch: float = 1.0) -> Path | None:
    """Render ``field`` of a ``.vtu`` file to ``png``, or to a window when ``png`` is None."""
    pv = _pyvista()
    from .errors import InputError
    vtu = Path(vtu)
    if not vtu.is_file():
        raise InputError("vtu file", str(vtu), "an existing .vtu file")
    grid = pv.read(vtu)
    names = list(grid.point_data) + list(grid.cell_data)
    if field not in names:
        raise InputError("field", field, "one of " + ", ".join(names))
    grid.points[:, 1] *= y_stretch
    off = png is not None
    plotter = pv.Plotter(off_screen=off, window_size=[1400, 700])
    plotter.add_mesh(grid, scalars=field, cmap="inferno", scalar_bar_args={"title": field, "vertical": True})
    plotter.show_bounds(xtitle="x (um)", ytitle="y (um)" if y_stretch == 1 else f"y (um, x{y_stretch:g})", location="outer")
    plotter.view_xy()
    if not off:
        plotter.show()
        return None
    out = atomic_write(Path(png), lambda tmp: plotter.screenshot(tmp))
    plotter.close()
    return out


def line_plot(png: str | Path, curves: list[dict], *, xlabel: str, ylabel: str, title: str = "",
              logx: bool = False, logy: bool = False) -> Path:
    """Matplotlib plot of ``curves`` = [{"x", "y", "label", optional "style"}] to ``png``."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6.4, 4.2), dpi=130)
    for c in curves:
        ax.plot(c["x"], c["y"], c.get("style", "-"), label=c.get("label"))
    ax.set_xscale("log" if logx else "linear")
    ax.set_yscale("log" if logy else "linear")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    if any(c.get("label") for c in curves):
        ax.legend()
    ax.grid(True, alpha=0.3)
    fig.tight_layout()
    out = atomic_write(Path(png), lambda tmp: fig.savefig(tmp, format="png"))
    plt.close(fig)
    return out
