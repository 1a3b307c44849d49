"""The ``fem-cqd`` command (also ``python -m fem_cqd``).

    fem-cqd run [CASE] [--out DIR] [--overwrite] [--quick]   run a named case (default: the reference device)
    fem-cqd run --script PATH [--out DIR] ...                run a Python file of your own as a case
    fem-cqd cases                                            list the cases
    fem-cqd sweep STUDY.toml [--out DIR] [--scheduler ADDR] [--workers N]   a resumable study on dask
    fem-cqd sweep --status DIR                               counts and errors of a sweep
    fem-cqd mesh [--stack lim2018] [--geometry planar] --out FILE.msh
    fem-cqd view FILE.vtu --field NAME [--png OUT.png] [--y-stretch S] [--log] [--crop X0 X1 Y0 Y1]
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import sys
from pathlib import Path

from .errors import ConvergenceError, InputError

DEFAULT_CASE = "lim2018_device"


def cases_dir() -> Path:
    """The repository's ``cases/`` folder (fem_cqd is installed editable from the repository)."""
    return Path(__file__).resolve().parent.parent / "cases"


def available_cases() -> list[str]:
    return sorted(p.stem for p in cases_dir().glob("*.py") if not p.stem.startswith("_"))


def load_case(name: str):
    """Import the named case ``cases/<name>.py``; it must define ``run(out_dir, overwrite, quick)``.

    Only the names listed by :func:`available_cases` are accepted (no paths): running any other
    Python file needs :func:`load_script`, reached from the command line by the explicit
    ``fem-cqd run --script PATH``.
    """
    cases = available_cases()
    if not isinstance(name, str) or name not in cases:
        raise InputError("case", name, "one of " + ", ".join(cases)
                         + " (to run a Python file of your own, use --script PATH)")
    return _import_file(cases_dir() / f"{name}.py", f"fem_cqd_case_{name}")


def load_script(path: str | Path):
    """Import the Python file ``path`` as a case (runs its code: only for a file chosen on purpose)."""
    path = Path(path)
    if path.suffix != ".py" or not path.is_file():
        raise InputError("--script", str(path), "an existing .py file defining run(out_dir, overwrite, quick)")
    module = _import_file(path, f"fem_cqd_script_{path.stem}")
    if not callable(getattr(module, "run", None)):
        raise InputError("--script", str(path), "a .py file defining run(out_dir, overwrite, quick)")
    return module


def _import_file(path: Path, module_name: str):
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def case_main(run, doc: str, out_default, argv=None) -> int:
    """The ``main()`` of a case script: ``--out``, ``--overwrite``, ``--quick``; runs
    ``run(out, overwrite, quick)`` and prints its summary's headline; bad input exits with 2."""
    ap = argparse.ArgumentParser(description=doc.strip().split("\n")[0])
    ap.add_argument("--out", default=str(out_default), help="output folder")
    ap.add_argument("--overwrite", action="store_true", help="replace an existing output folder")
    ap.add_argument("--quick", action="store_true", help="coarse meshes and fewer points (smoke run)")
    a = ap.parse_args(argv)
    try:
        s = run(a.out, a.overwrite, a.quick)
    except InputError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print("\n".join(s["headline"]))
    return 0


def _run(args) -> int:
    if args.script is not None:
        if args.case is not None:
            raise InputError("case", args.case, "no case name together with --script")
        case, label = load_script(args.script), Path(args.script).stem
    else:
        name = args.case or DEFAULT_CASE
        case, label = load_case(name), name
    out = Path(args.out) if args.out else Path("results") / label
    from .results import check_output_dir
    check_output_dir(out, args.overwrite)            # before any folder is made
    existed = out.exists()
    extra = {}
    if args.params is not None:
        import inspect
        if "params" not in inspect.signature(case.run).parameters:
            raise InputError("--params", args.params, f"a case that takes a parameter set ({label} does not)")
        extra["params"] = args.params
    try:
        summary = case.run(out, overwrite=args.overwrite, quick=args.quick, **extra)
    except InputError:
        # bad input found by the case after it made its folder: leave no empty or partial folder
        if not existed and out.is_dir():
            shutil.rmtree(out, ignore_errors=True)
        raise
    print(f"{label}: results in {out}")
    if isinstance(summary, dict) and "headline" in summary:
        for line in summary["headline"]:
            print("  " + line)
    return 0


def _mesh(args) -> int:
    from .mesh import MeshOptions, build_mesh, save_mesh
    from .stack import PUBLISHED
    if args.stack not in PUBLISHED:
        raise InputError("--stack", args.stack, "one of " + ", ".join(PUBLISHED))
    dm = build_mesh(PUBLISHED[args.stack](geometry=args.geometry), MeshOptions().scaled(args.refine))
    out = Path(args.out)
    save_mesh(dm.thermal, out)
    save_mesh(dm.electrical, out.with_name(out.stem + "_electrical.msh"))
    print(f"wrote {out} ({dm.thermal.mesh.p.shape[1]} nodes) and {out.stem}_electrical.msh "
          f"({dm.electrical.mesh.p.shape[1]} nodes)")
    return 0


def _view(args) -> int:
    from .viz import render_vtu
    png = render_vtu(args.file, args.field, args.png, args.y_stretch, log=args.log, crop_um=args.crop)
    if png:
        print(f"wrote {png}")
    return 0


def _fit(args) -> int:
    from .calibrate import (ColumnModel, check_parameters, confirm_2d, fit, parse_parameter, profile_intervals,
                            read_jv_csv, write_report)
    from .results import check_output_dir, prepare_output_dir
    data = read_jv_csv(args.data)                         # every check before any solve or folder
    free = [parse_parameter(t) for t in args.param]
    model = ColumnModel(args.base, workers=args.workers)
    check_parameters(free, model.base)
    check_output_dir(Path(args.out), args.overwrite)
    with model:
        result = fit(data, free, model, starts=args.starts, seed=args.seed)
        profiles = profile_intervals(result, model) if args.profile else None
    out = prepare_output_dir(args.out, args.overwrite)
    confirm = confirm_2d(result, args.confirm_2d) if args.confirm_2d != "none" else None
    summary = write_report(result, out, f"fem-cqd fit on {Path(args.data).name}", set_name=f"fit_{Path(args.data).stem}",
                           confirmation=confirm, profiles=profiles)
    print(f"fit: results in {out} (params.toml: fem-cqd run lim2018_device --params {out / 'params.toml'})")
    for line in summary["headline"]:
        print("  " + line)
    return 0


def _sweep(args) -> int:
    from .sweep import load_study, run_sweep, sweep_status
    if args.status:
        s = sweep_status(args.status)
        print(f"{s['study']}: {s['done']} done, {s['failed']} failed, {s['pending']} pending")
        for pid, err in s["errors"].items():
            print(f"  {pid}: {err[:200]}")
        return 0
    if not args.study:
        raise InputError("sweep", "no study file", "fem-cqd sweep STUDY.toml (or --status DIR)")
    study = load_study(args.study)
    out = Path(args.out or f"results/sweep_{study.name}")
    res = run_sweep(study, out, scheduler=args.scheduler, workers=args.workers)
    c = res.counts
    print(f"{study.name}: {c['done']} done, {c['failed']} failed, {c['pending']} pending -> {out / 'index.csv'}")
    return 0 if c["failed"] == 0 else 1


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="fem-cqd", description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run", help="run a case (default: the reference-device case)")
    r.add_argument("case", nargs="?", default=None, help=f"a case name from `fem-cqd cases` (default {DEFAULT_CASE})")
    r.add_argument("--script", metavar="PATH", help="run the Python file PATH as a case (executes its code)")
    r.add_argument("--out", help="output folder (default results/<case>)")
    r.add_argument("--overwrite", action="store_true", help="replace an existing output folder")
    r.add_argument("--quick", action="store_true", help="coarse meshes and fewer points (smoke run)")
    r.add_argument("--params", metavar="SET", help="parameter set: a built-in name or a TOML file (e.g. from fem-cqd fit)")
    r.set_defaults(func=_run)
    f = sub.add_parser("fit", help="fit model parameters to a measured J-V (CSV: voltage_V, "
                                   "current_density_A_per_cm2[, T_K])")
    f.add_argument("data", help="CSV: voltage_V, current_density_A_per_cm2[, T_K][, tcta_nm][, spacer_nm]; one J-V per "
                   "temperature and stack, all fitted jointly")
    f.add_argument("--param", action="append", default=[], metavar="NAME=LO:HI[:log]",
                   help="a free parameter, e.g. TCTA.homo_eV=5.5:5.9 or TCTA.mu_p_cm2_per_Vs=1e-5:1e-3:log")
    f.add_argument("--base", default="lim2018_operating", help="parameter set the fit starts from (name or TOML)")
    f.add_argument("--stack", default="lim2018", choices=["lim2018"])
    f.add_argument("--starts", type=int, default=4, help="starting points (box centre + Latin hypercube)")
    f.add_argument("--seed", type=int, default=0)
    f.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                   help="processes evaluating the J-V curves of a Jacobian (default: one per core)")
    f.add_argument("--profile", action="store_true",
                   help="also profile-likelihood 68 %% intervals (a refit of the others per step; honest along curved "
                        "valleys, where the linearised standard errors are not)")
    f.add_argument("--out", default="results/fit", help="output folder")
    f.add_argument("--overwrite", action="store_true", help="replace an existing output folder")
    f.add_argument("--confirm-2d", choices=["axisymmetric", "planar", "none"], default="axisymmetric",
                   help="re-run the best point in this 2D geometry (J over the aperture vs the 1D column)")
    f.set_defaults(func=_fit)
    w = sub.add_parser("sweep", help="run a study (a point function over a design) on dask; resumable")
    w.add_argument("study", nargs="?", help="the study TOML (fem_cqd/sweep.py documents it)")
    w.add_argument("--out", help="output folder (default results/sweep_<name>); a rerun resumes it")
    w.add_argument("--scheduler", metavar="ADDR", help="an existing dask scheduler, tcp://host:port "
                   "(default: a LocalCluster on this machine)")
    w.add_argument("--workers", type=int, help="LocalCluster worker processes (default: one per core)")
    w.add_argument("--status", metavar="DIR", help="print the counts and errors of the sweep in DIR")
    w.set_defaults(func=_sweep)
    c = sub.add_parser("cases", help="list the cases")
    c.set_defaults(func=lambda a: print("\n".join(available_cases())) or 0)
    m = sub.add_parser("mesh", help="write a published stack's meshes as gmsh .msh")
    m.add_argument("--stack", default="lim2018")
    m.add_argument("--geometry", default="planar", choices=["planar", "axisymmetric"])
    m.add_argument("--refine", type=float, default=1.0, help="divide every cell size by this factor")
    m.add_argument("--out", required=True)
    m.set_defaults(func=_mesh)
    v = sub.add_parser("view", help="render a field of a fem_cqd .vtu file (coordinates in um) to PNG (or a window)")
    v.add_argument("file")
    v.add_argument("--field", required=True)
    v.add_argument("--png", help="output PNG; without it, open a window (needs a display)")
    v.add_argument("--y-stretch", type=float, default=1.0, help="stretch the vertical axis for display")
    v.add_argument("--log", action="store_true", help="colour by log10 |field|")
    v.add_argument("--crop", type=float, nargs=4, metavar=("X0", "X1", "Y0", "Y1"),
                   help="show only the window x0 < x < x1, y0 < y < y1 (micrometres)")
    v.set_defaults(func=_view)
    return p


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except InputError as exc:
        print(f"fem-cqd: bad input: {exc}", file=sys.stderr)
        return 2
    except ConvergenceError as exc:
        print(f"fem-cqd: solve failed: {exc}", file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
