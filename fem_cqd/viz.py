"""Pictures: PyVista field maps (off-screen through EGL) and matplotlib curves.

Coordinates are shown in micrometres (the unit of every VTU fem_cqd writes). Thin-film stacks are
~100x thinner than they are wide, so a map can stretch the vertical axis (``y_stretch``); the axis
labels say so.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .errors import InputError, check_positive
from .p1 import areas
from .regions import TaggedMesh
from .files import atomic_write
from .results import read_vtu

def _pyvista():
    """pyvista, off-screen through EGL: the variable must be set before VTK is first imported, so it
    is set here (when a map is drawn), not at import of fem_cqd (a process-wide side effect)."""
    os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")
    import pyvista as pv
    pv.OFF_SCREEN = True
    return pv


def _outline_segments(p: np.ndarray, t: np.ndarray, region: np.ndarray) -> np.ndarray:
    """(n, 2, 2) segments (units of ``p``) of the edges between regions and on the outer boundary."""
    edges = np.sort(np.hstack([t[[0, 1]], t[[1, 2]], t[[0, 2]]]), axis=0)
    reg = np.tile(np.asarray(region), 3)
    uniq, inv, count = np.unique(edges, axis=1, return_inverse=True, return_counts=True)
    inv = inv.ravel()
    rmin = np.full(uniq.shape[1], np.iinfo(np.int64).max)
    rmax = np.full(uniq.shape[1], np.iinfo(np.int64).min)
    np.minimum.at(rmin, inv, reg)
    np.maximum.at(rmax, inv, reg)
    e = uniq[:, (count == 1) | (rmin != rmax)]
    return np.stack([p[:, e[0]].T, p[:, e[1]].T], axis=1)


def interface_segments(tmesh: TaggedMesh) -> np.ndarray:
    """(n, 2, 2) segments (m) of region interfaces and outer boundaries, for outlining layers."""
    return _outline_segments(tmesh.mesh.p, tmesh.mesh.t, tmesh.element_region)


def _check_window(xlim, ylim) -> None:
    for axis, lim in (("x", xlim), ("y", ylim)):
        if lim is not None and not (len(lim) == 2 and np.all(np.isfinite(lim)) and lim[0] < lim[1]):
            raise InputError(f"crop window {axis} (um)", tuple(lim), f"two finite numbers {axis}0 < {axis}1")


def _clip_mask(p_um: np.ndarray, xlim, ylim) -> np.ndarray:
    keep = np.ones(p_um.shape[1], bool)
    if xlim is not None:
        keep &= (p_um[0] >= xlim[0] - 1e-9) & (p_um[0] <= xlim[1] + 1e-9)
    if ylim is not None:
        keep &= (p_um[1] >= ylim[0] - 1e-9) & (p_um[1] <= ylim[1] + 1e-9)
    return keep


def _render(p_um: np.ndarray, t: np.ndarray, values: np.ndarray, region, png, *, title: str, label: str,
            xlim_um, ylim_um, y_stretch: float, cmap: str, outline: bool, window, log: bool) -> Path | None:
    """Draw nodal ``values`` on triangles ``t`` (points ``p_um``, um), cropped, optionally log10 |values|;
    outline the regions (per-element ``region``, None: no outline). To ``png``, or a window if None."""
    _check_window(xlim_um, ylim_um)
    check_positive("y_stretch", y_stretch)
    keep_node = _clip_mask(p_um, xlim_um, ylim_um)
    keep_el = keep_node[t].all(axis=0)
    if not keep_el.any():
        b = np.round([p_um[0].min(), p_um[0].max(), p_um[1].min(), p_um[1].max()], 6)
        raise InputError("crop window (um)", {"x": xlim_um, "y": ylim_um},
                         f"a window holding at least one whole element; the mesh spans x [{b[0]}, {b[1]}], y [{b[2]}, {b[3]}] um")
    used = np.unique(t[:, keep_el])
    vals = np.asarray(values, dtype=float)[used]
    if log:
        mag = np.abs(vals)
        if not np.any(mag > 0):
            raise InputError("log scale", f"{label}: 0 at every node shown",
                             "a field with values != 0 (log10 |value| is drawn), or a linear scale")
        vals = np.where(mag > 0, np.log10(np.where(mag > 0, mag, 1.0)), np.nan)
        label = f"log10 abs({label})"         # VTK's text rendering drops "|"
    pv = _pyvista()
    local = np.full(p_um.shape[1], -1)
    local[used] = np.arange(used.size)
    tl = local[t[:, keep_el]]
    pts = np.column_stack([p_um[0, used], p_um[1, used] * y_stretch, np.zeros(used.size)])
    cells = np.column_stack([np.full(tl.shape[1], 3), tl.T]).ravel()
    grid = pv.UnstructuredGrid(cells, np.full(tl.shape[1], pv.CellType.TRIANGLE), pts)
    grid.point_data[label] = vals
    plotter = pv.Plotter(off_screen=png is not None, window_size=list(window))
    plotter.add_mesh(grid, scalars=label, cmap=cmap, show_edges=False, nan_color="grey",
                     scalar_bar_args={"title": label, "vertical": True, "fmt": "%.4g"})
    if outline and region is not None:
        seg = _outline_segments(p_um, t, region)
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
                        xtitle="x (um)", ytitle=ylabel, location="outer", ticks="outside", font_size=10, fmt="%.4g")
    plotter.add_text(title, font_size=11)
    plotter.view_xy()
    plotter.camera.zoom(0.85)
    if png is None:
        plotter.show()
        return None
    out = atomic_write(Path(png), lambda tmp: plotter.screenshot(tmp))
    plotter.close()
    return out


def field_map(tmesh: TaggedMesh, values: np.ndarray, png: str | Path, *, title: str, label: str,
              xlim_um=None, ylim_um=None, y_stretch: float = 1.0, cmap: str = "inferno",
              outline: bool = True, window=(1400, 700), log: bool = False) -> Path:
    """Render ``values`` on ``tmesh`` to ``png`` with the regions outlined: nodal values, or one per
    element (then averaged to the nodes, area-weighted).

    ``xlim_um``/``ylim_um`` crop to a window (elements with all nodes inside are kept);
    ``y_stretch`` multiplies the vertical axis for display; ``log`` colours by log10 |values|.
    """
    p, t = tmesh.mesh.p, tmesh.mesh.t
    values = np.asarray(values, dtype=float)
    if values.shape == (t.shape[1],) and t.shape[1] != p.shape[1]:
        values = _cell_to_nodes(p, t, values)
    return _render(tmesh.mesh.p * 1e6, tmesh.mesh.t, values, tmesh.element_region, png, title=title, label=label,
                   xlim_um=xlim_um, ylim_um=ylim_um, y_stretch=y_stretch, cmap=cmap, outline=outline,
                   window=window, log=log)


def _cell_to_nodes(p: np.ndarray, t: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Area-weighted average at each node of the per-element values ``v`` of its elements."""
    w = np.broadcast_to(areas(p, t), t.shape)
    total = np.bincount(t.ravel(), (w * v).ravel(), minlength=p.shape[1])
    return total / np.maximum(np.bincount(t.ravel(), w.ravel(), minlength=p.shape[1]), 1e-300)


def render_vtu(vtu: str | Path, field: str, png: str | Path | None = None, y_stretch: float = 1.0,
               log: bool = False, crop_um=None) -> Path | None:
    """Render ``field`` of a ``.vtu`` written by :func:`fem_cqd.results.write_vtu` to ``png`` (or a
    window when ``png`` is None), regions outlined.

    Point fields are drawn as they are, cell fields averaged to the nodes (area-weighted), vectors as
    their magnitude. ``log``: colour by log10 |field|. ``crop_um = (x0, x1, y0, y1)``: the window
    shown, in micrometres (the file's unit).
    """
    m, _ = read_vtu(vtu)
    tri = m.cells_dict.get("triangle")
    if tri is None:
        raise InputError("vtu file", str(vtu), "a mesh of triangles")
    p_um, t = m.points[:, :2].T, tri.T
    cell = {k: v["triangle"] for k, v in m.cell_data_dict.items() if "triangle" in v}
    if field in m.point_data:
        values = np.asarray(m.point_data[field], dtype=float)
    elif field in cell:
        values = np.asarray(cell[field], dtype=float)
    else:
        raise InputError("field", field, "one of the point fields " + ", ".join(m.point_data)
                         + "; or the cell fields (averaged to nodes) " + ", ".join(cell))
    name = field
    if values.ndim == 2:
        values, name = np.linalg.norm(values, axis=1), f"{field} magnitude"
    if field not in m.point_data:
        values = _cell_to_nodes(p_um, t, values)
    if crop_um is not None and len(crop_um) != 4:
        raise InputError("crop window (um)", tuple(crop_um), "four numbers x0 x1 y0 y1")
    xlim, ylim = (crop_um[:2], crop_um[2:]) if crop_um is not None else (None, None)
    return _render(p_um, t, values, cell.get("region"), png, title=f"{Path(vtu).name}: {name}", label=name,
                   xlim_um=xlim, ylim_um=ylim, y_stretch=y_stretch, cmap="inferno", outline=True,
                   window=(1400, 700), log=log)


def _pyplot():
    """matplotlib.pyplot on the file-only Agg backend (set here, when a picture is drawn, not at import)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def _save_figure(fig, png: str | Path, dpi=None) -> Path:
    """Save ``fig`` to ``png`` atomically and close it."""
    out = atomic_write(Path(png), lambda tmp: fig.savefig(tmp, format="png", dpi=dpi or "figure"))
    _pyplot().close(fig)
    return out


def _draw(ax, items: list[dict]) -> None:
    """Draw ``items`` on ``ax`` in order: a curve {"x", "y", optional "style"}, a horizontal line
    {"hline": y} or a shaded band {"vspan": (x0, x1)}; every other key (label, color, lw, ms, ...)
    is passed to matplotlib."""
    for item in items:
        kw = {k: v for k, v in item.items() if k not in ("x", "y", "style", "hline", "vspan")}
        if "hline" in item:
            ax.axhline(item["hline"], **kw)
        elif "vspan" in item:
            ax.axvspan(*item["vspan"], **kw)
        else:
            ax.plot(item["x"], item["y"], item.get("style", "-"), **kw)


def _given(**kw) -> dict:
    """The keyword arguments that are not None (matplotlib refuses e.g. color=None)."""
    return {k: v for k, v in kw.items() if v is not None}


def panel_plot(png: str | Path, panels: list[dict], *, rows: int = 1, figsize=None, sharex: bool = False,
               sharey: bool = False, suptitle: str = "", dpi: float = 120) -> Path:
    """Matplotlib figure of several panels (``rows`` rows, filled row by row) to ``png``.

    Each panel is a dict: ``curves`` (items drawn in order, see below), optional ``xlabel``,
    ``ylabel`` (``ylabel_color``), ``title`` (``title_size``), ``logx``, ``logy``, ``grid`` (default
    True), ``legend`` (False, True or a font size; default False) and ``twin``: a dict with
    ``curves``, ``ylabel`` (``ylabel_color``) for a second y axis on the right.

    A curve item is {"x", "y", optional "style"} (a matplotlib format string), a horizontal line
    {"hline": y} or a shaded band {"vspan": (x0, x1)}; other keys (``label``, ``color``, ``lw``,
    ``ms``, ...) go to matplotlib as they are.
    """
    plt = _pyplot()
    cols = -(-len(panels) // rows)
    figsize = figsize or (5.5 * cols, 4.2 * rows)
    fig, axes = plt.subplots(rows, cols, figsize=figsize, sharex=sharex, sharey=sharey, squeeze=False)
    for ax, panel in zip(axes.ravel(), panels):
        _draw(ax, panel.get("curves", []))
        ax.set_xscale("log" if panel.get("logx") else "linear")
        ax.set_yscale("log" if panel.get("logy") else "linear")
        if panel.get("xlabel"):
            ax.set_xlabel(panel["xlabel"])
        if panel.get("ylabel"):
            ax.set_ylabel(panel["ylabel"], **_given(color=panel.get("ylabel_color")))
        if panel.get("title"):
            ax.set_title(panel["title"], **_given(fontsize=panel.get("title_size")))
        if panel.get("grid", True):
            ax.grid(alpha=0.3)
        if panel.get("legend"):
            ax.legend(**_given(fontsize=None if panel["legend"] is True else panel["legend"]))
        if panel.get("twin"):
            twin = ax.twinx()
            _draw(twin, panel["twin"].get("curves", []))
            twin.set_ylabel(panel["twin"].get("ylabel", ""), **_given(color=panel["twin"].get("ylabel_color")))
    for ax in axes.ravel()[len(panels):]:
        ax.set_visible(False)
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return _save_figure(fig, png, dpi)


ZERO_LINE = {"hline": 0.0, "color": "k", "lw": 1}    # a curve item of :func:`panel_plot`: y = 0 marked


def gain_spectra_plot(png: str | Path, wavelength_nm, panels: dict, *,
                      ylabel: str = "material gain g (cm$^{-1}$), < 0: absorption") -> Path:
    """Material gain spectra, one panel per ``{title: {curve label: (g in 1/cm, matplotlib style)}}``
    side by side on a shared y axis, g = 0 marked."""
    return panel_plot(png, [
        {"curves": [*({"x": wavelength_nm, "y": g, "style": st, "label": k} for k, (g, st) in sp.items()), ZERO_LINE],
         "xlabel": "wavelength (nm)", "title": title, "title_size": 10, "legend": 7, "ylabel": ylabel if i == 0 else ""}
        for i, (title, sp) in enumerate(panels.items())], sharey=True)


def gain_profile_plot(png: str | Path, x_um, j_A_per_cm2, T_K, maps: dict, wavelength_nm: float, *,
                      title: str = "Along the QD film", xlabel: str = "x from contact centre (µm)") -> Path:
    """Three panels along the QD film: J_rec (A/cm^2, left axis) and T (K, right axis); excitons per
    dot; the peak material gain (solid) and the gain at ``wavelength_nm`` (dashed) - for each
    ``{label: fem_cqd.gain.GainMaps}`` in ``maps``, evaluated at the positions ``x_um``."""
    n_mean, gain = [], []
    for i, (label, m) in enumerate(maps.items()):
        n_mean.append({"x": x_um, "y": m.occupancy.n_mean, "style": f"C{i}", "label": label})
        gain += [{"x": x_um, "y": m.peak_g_per_m / 100, "style": f"C{i}", "label": f"peak, {label}"},
                 {"x": x_um, "y": m.at_wavelength(wavelength_nm * 1e-9) / 100, "style": f"C{i}--",
                  "label": f"at {wavelength_nm:g} nm"}]
    return panel_plot(png, [
        {"curves": [{"x": x_um, "y": j_A_per_cm2, "style": "C0"}], "ylabel": "J$_{rec}$ (A/cm$^2$)",
         "ylabel_color": "C0", "grid": False, "title": title, "title_size": 10,
         "twin": {"curves": [{"x": x_um, "y": T_K, "style": "C3"}], "ylabel": "T (K)", "ylabel_color": "C3"}},
        {"curves": n_mean, "ylabel": r"$\langle N\rangle$", "legend": 7},
        {"curves": gain + [ZERO_LINE], "ylabel": "material gain (cm$^{-1}$)", "xlabel": xlabel, "legend": 7}],
        rows=3, figsize=(6.5, 7.5), sharex=True)


def line_plot(png: str | Path, curves: list[dict], *, xlabel: str, ylabel: str, title: str = "",
              logx: bool = False, logy: bool = False) -> Path:
    """Matplotlib plot of ``curves`` = [{"x", "y", "label", optional "style"}] to ``png``."""
    plt = _pyplot()
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
    return _save_figure(fig, png)


def scatter_map(png: str | Path, x, y, values, *, xlabel: str, ylabel: str, label: str, title: str = "") -> Path:
    """Points (x, y) coloured by ``values`` (a colour bar named ``label``) to ``png``: a map over two
    swept parameters."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5.6, 4.4), dpi=120)
    sc = ax.scatter(x, y, c=values, s=60, cmap="viridis", edgecolors="k", linewidths=0.4)
    fig.colorbar(sc, ax=ax, label=label)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.grid(True, alpha=0.3)
    fig.tight_layout()
    return _save_figure(fig, png)


def band_plot(png: str | Path, tmesh: TaggedMesh, panels: dict, x0: float = 0.0) -> Path:
    """Band diagrams along the vertical line x = ``x0`` (m), one panel per ``{title: ElectricalState}``:
    E_c, E_v (solid) and the quasi-Fermi levels E_Fn, E_Fp (dashed) in each semiconductor, the Fermi
    level in each conductor (:func:`fem_cqd.bands.band_segments`)."""
    from .bands import band_segments
    plt = _pyplot()
    fig, axes = plt.subplots(1, len(panels), figsize=(4.6 * len(panels), 4.4), dpi=120, squeeze=False)
    for ax, (title, state) in zip(axes[0], panels.items()):
        for seg in band_segments(tmesh, state, x0):
            y = seg["y_m"] * 1e9
            if seg["kind"] == "semiconductor":
                ax.plot(y, seg["Ec"], "b-", lw=1.4)
                ax.plot(y, seg["Ev"], "r-", lw=1.4)
                ax.plot(y, seg["Efn"], "b--", lw=1)
                ax.plot(y, seg["Efp"], "r--", lw=1)
                ax.text(y.mean(), np.max(seg["Ec"]) + 0.15, seg["name"], ha="center", fontsize=7, rotation=90)
            elif seg["kind"] == "conductor":
                ax.plot(y, seg["Efn"], "k-", lw=2)
        ax.set_title(title, fontsize=9)
        ax.set_xlabel("y (nm)")
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("energy (eV): Ec, Ev solid; E_Fn, E_Fp dashed")
    fig.tight_layout()
    return _save_figure(fig, png)
