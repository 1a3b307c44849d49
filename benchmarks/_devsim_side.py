"""The diode of DEVSIM's ``examples/diode`` (``diode_common`` + ``diode_2d.py``) and its mesh.

Device (DEVSIM example, cm there, SI here): a 10 um x 10 um silicon square, abrupt junction at
x = 5 um (acceptors 1e18 cm^-3 for x < 5 um, donors 1e18 cm^-3 for x > 5 um; a node on the junction
has net doping 0, as DEVSIM's ``step`` gives there), ohmic contact "top" on the p side at x = 0 for
8 um <= y <= 10 um, ohmic contact "bot" (ground) on the whole n side x = 10 um. Physics of DEVSIM's
``simple_physics``: Boltzmann, n_i = 1e10 cm^-3, eps_r = 11.1, mu_n = 400, mu_p = 200 cm^2/Vs
(constant), SRH with tau_n = tau_p = 1e-5 s and n1 = p1 = n_i, T = 300 K; ohmic contacts at
charge neutrality. Bias on "top" from 0 to 0.5 V in 0.1 V steps (forward).

Constants: ``simple_physics`` hard-codes q = 1.6e-19 C, k = 1.3806503e-23 J/K and
eps0 = 8.85e-14 F/cm; fem_cqd uses CODATA (scipy.constants). V_T differs by 0.14 %, which alone
moves the current at 0.5 V by ~2.6 %, so DEVSIM is given the CODATA values here (set_parameter
after ``SetSiliconParameters``): both codes then solve the same equations.

The mesh is a scikit-fem ``MeshTri.init_tensor`` (right triangles) graded towards the junction and
the contact edge y = 8 um; DEVSIM gets exactly these triangles through ``create_gmsh_mesh``
(coordinates/elements/physical_names), so node i is the same point in both codes.

DEVSIM is imported only inside :func:`run_devsim` (it is an optional benchmark dependency, and it
keeps global state: run one device per process).
"""
from __future__ import annotations

import os
import time

import numpy as np
from scipy import constants as C

from _report import peak_rss_mb

L = 10e-6           # m, device size (square)
XJ = 5e-6           # m, junction
Y_CONTACT = 8e-6    # m, "top" contact spans Y_CONTACT <= y <= L on x = 0
N_DOP = 1e18 * 1e6  # m^-3
BIASES = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5)

# DEVSIM simple_physics parameters (cm units there)
SI_PARAMS = dict(eps_r=11.1, n_i_per_cm3=1.0e10, mu_n_cm2=400.0, mu_p_cm2=200.0, tau_n=1e-5,
                 tau_p=1e-5, T=300.0)
SOURCE = ("DEVSIM examples/diode/diode_common.py + python_packages/simple_physics.py "
          "(SetSiliconParameters), github.com/devsim/devsim")

#: (nx, ny) per named size: ~500, 5k, 18k, 56k nodes. nx is odd and the x grading symmetric: a node
#: sits on the junction with equal control volumes either side, so DEVSIM's nodal step doping (0 on
#: the junction node) and fem_cqd's per-element doping put the same doping charge on every node.
SIZES = {"500": (25, 20), "5k": (71, 70), "18k": (135, 133), "56k": (237, 236)}

#: DEVSIM's integration models for 2D cylindrical coordinates (devsim documentation, "Cylindrical
#: Coordinate Systems"): set globally, after cylindrical_edge_couple / _node_volume / _surface_area.
CYLINDRICAL_MODELS = {"node_volume_model": "CylindricalNodeVolume", "edge_couple_model": "CylindricalEdgeCouple",
                      "edge_node0_volume_model": "CylindricalEdgeNodeVolume@n0",
                      "edge_node1_volume_model": "CylindricalEdgeNodeVolume@n1",
                      "element_edge_couple_model": "ElementCylindricalEdgeCouple",
                      "element_node0_volume_model": "ElementCylindricalNodeVolume@en0",
                      "element_node1_volume_model": "ElementCylindricalNodeVolume@en1",
                      "surface_area_model": "CylindricalSurfaceArea"}

#: Relative-update tolerance of the Poisson-only start. The example's 1e-12 cannot be met here: by
#: symmetry psi = 0 (intrinsic level) on the junction node at equilibrium, and the relative update
#: there stalls near 1e-6 at round-off. The drift-diffusion solves that follow set the accuracy.
POISSON_RELATIVE_ERROR = 1e-5


def _sinh_grid(n: int, a: float, b: float, beta: float, centre: str) -> np.ndarray:
    """n points on [a, b], finest at ``centre`` ('a', 'b' or 'mid'), sinh stretching ``beta``."""
    if centre == "mid":
        s = np.linspace(-1.0, 1.0, n)
        x = 0.5 * (a + b) + 0.5 * (b - a) * np.sinh(beta * s) / np.sinh(beta)
    else:
        s = np.linspace(0.0, 1.0, n)
        g = np.sinh(beta * s) / np.sinh(beta)          # fine near s = 0
        x = a + (b - a) * g if centre == "a" else b - (b - a) * g[::-1]
    x[0], x[-1] = a, b
    return x


def grids(nx: int, ny: int) -> tuple[np.ndarray, np.ndarray]:
    """Tensor grid lines (metres): x graded to the junction, y to the contact edge."""
    if nx % 2 == 0:
        raise ValueError(f"nx = {nx}: must be odd (a node on the junction)")
    x = _sinh_grid(nx, 0.0, L, 6.0 if nx < 100 else 7.0, "mid")
    n_low = max(3, int(round(ny * 0.6)))
    y_low = _sinh_grid(n_low, 0.0, Y_CONTACT, 3.0, "b")
    y_high = _sinh_grid(ny - n_low + 1, Y_CONTACT, L, 2.0, "a")
    y = np.concatenate([y_low, y_high[1:]])
    return x, y


def build_mesh(nx: int, ny: int):
    """The shared mesh: (skfem.MeshTri in metres, dict of contact edges (2, m) node pairs)."""
    import skfem

    x, y = grids(nx, ny)
    m = skfem.MeshTri.init_tensor(x, y)
    return m, contact_facets(m)


def contact_facets(m) -> dict:
    """Facet indices of the two contacts on the mesh ``m`` (metres)."""
    tol = 1e-6 * L
    f = m.facets
    px, py = m.p[0][f], m.p[1][f]
    bnd = np.zeros(f.shape[1], bool)
    bnd[m.boundary_facets()] = True
    top = bnd & np.all(np.abs(px) < tol, axis=0) & np.all(py > Y_CONTACT - tol, axis=0)
    bot = bnd & np.all(np.abs(px - L) < tol, axis=0)
    return {"top": np.flatnonzero(top), "bot": np.flatnonzero(bot)}


def net_doping(p: np.ndarray) -> np.ndarray:
    """Nodal net doping Nd - Na (m^-3) exactly as DEVSIM's step() models give it (0 on the junction)."""
    x = p[0]
    tol = 1e-9 * L
    return np.where(x > XJ + tol, N_DOP, np.where(x < XJ - tol, -N_DOP, 0.0))


def _devsim_env():
    """DEVSIM's math libraries, set before ``import devsim``: scipy-openblas32's BLAS/LAPACK, so
    DEVSIM solves with the UMFPACK 5.1 it bundles ("custom" direct solver), as after
    ``pip install devsim scipy-openblas32``. Its other solver, MKL PARDISO (DEVSIM 2.11.2 loads the
    mkl wheel's libmkl_rt.so.3 when pointed at it), stops on this diode: "floating point exception
    of type Divide-by-zero during LU Factorization" at the drift-diffusion equilibrium."""
    import scipy_openblas32

    os.environ["DEVSIM_MATH_LIBS"] = os.path.join(scipy_openblas32.get_lib_dir(), "libscipy_openblas.so")
    os.environ["DEVSIM_BLAS_PREFIX"], os.environ["DEVSIM_BLAS_SUFFIX"] = "scipy_", "_"


def run_devsim(m, contacts: dict, biases=BIASES, relative_error: float = 1e-6, extended: bool = False,
               node_doping=None, cylindrical: bool = False) -> dict:
    """Solve the DEVSIM example physics on mesh ``m``; return currents, potentials, timings.

    ``node_doping``: N_D - N_A per node (m^-3) replacing the example's step at the junction (e.g. the
    box-volume average of an element doping, which on an unstructured mesh is not the step's 0 at
    the junction nodes). ``cylindrical``: axisymmetric about x = 0 (DEVSIM's cylindrical edge
    couples, node volumes and surface areas, x the radius); currents are then whole-ring, in A.

    Returns a dict: ``bias`` (V), ``current_top`` / ``current_bot`` (A per metre of depth, DEVSIM
    sign: current into the device at that contact... as DEVSIM reports it, converted from A/cm),
    ``potential`` (n_bias, N) in V on fem_cqd node order (intrinsic-level reference, ground at "bot"), ``electrons``/``holes`` (n_bias, N) m^-3,
    ``iterations`` per solve (equilibrium Poisson, equilibrium DD, then one per bias),
    ``seconds`` (mesh import + set-up + equilibrium + ramp), ``seconds_setup``.
    """
    _devsim_env()
    import devsim
    direct_solver = str(devsim.get_parameter(name="direct_solver"))
    if direct_solver != "custom":                  # "custom": the bundled UMFPACK callback
        raise RuntimeError(f"DEVSIM chose direct_solver = {direct_solver!r}, expected its UMFPACK ('custom')")
    from devsim.python_packages.model_create import CreateSolution
    from devsim.python_packages.simple_physics import (
        CreateSiliconDriftDiffusion, CreateSiliconDriftDiffusionAtContact, CreateSiliconPotentialOnly,
        CreateSiliconPotentialOnlyContact, GetContactBiasName, SetSiliconParameters)

    if extended:
        if not devsim.get_parameter(name="info")["extended_precision"]:
            raise RuntimeError("this DEVSIM build has no extended precision")
        for name in ("extended_solver", "extended_model", "extended_equation"):
            devsim.set_parameter(name=name, value=True)
    device = region = "diode"
    t0 = time.perf_counter()
    # --- mesh: the very same triangles, cm ---------------------------------------------------------
    pcm = m.p * 100.0
    coords = np.zeros((m.p.shape[1], 3))
    coords[:, :2] = pcm.T
    names = ["Bulk", "top", "bot"]
    tri = np.column_stack([np.full(m.t.shape[1], 2.0), np.zeros(m.t.shape[1]), m.t.T]).ravel()
    parts = [tri]
    for k, c in enumerate(("top", "bot"), start=1):
        e = m.facets[:, contacts[c]]
        parts.append(np.column_stack([np.ones(e.shape[1]), np.full(e.shape[1], float(k)), e.T]).ravel())
    elements = np.concatenate(parts)
    devsim.create_gmsh_mesh(mesh="dio", coordinates=coords.ravel().tolist(),
                            elements=elements.astype(int).tolist(), physical_names=names)
    devsim.add_gmsh_region(mesh="dio", gmsh_name="Bulk", region=region, material="Silicon")
    devsim.add_gmsh_contact(mesh="dio", gmsh_name="top", region=region, material="metal", name="top")
    devsim.add_gmsh_contact(mesh="dio", gmsh_name="bot", region=region, material="metal", name="bot")
    devsim.finalize_mesh(mesh="dio")
    devsim.create_device(mesh="dio", device=device)
    if cylindrical:
        devsim.set_parameter(name="raxis_variable", value="x")
        devsim.set_parameter(name="raxis_zero", value=0.0)
        devsim.cylindrical_edge_couple(device=device, region=region)
        devsim.cylindrical_node_volume(device=device, region=region)
        devsim.cylindrical_surface_area(device=device, region=region)
        for name, value in CYLINDRICAL_MODELS.items():
            devsim.set_parameter(name=name, value=value)

    # --- diode_common.SetParameters, with CODATA constants (module docstring) --------------------
    SetSiliconParameters(device, region, 300)
    T = SI_PARAMS["T"]
    devsim.set_parameter(device=device, region=region, name="Permittivity", value=SI_PARAMS["eps_r"] * C.epsilon_0 / 100.0)
    devsim.set_parameter(device=device, region=region, name="ElectronCharge", value=C.elementary_charge)
    devsim.set_parameter(device=device, region=region, name="kT", value=C.Boltzmann * T)
    devsim.set_parameter(device=device, region=region, name="V_t", value=C.Boltzmann * T / C.elementary_charge)

    # --- diode_common.SetNetDoping (x in cm) -------------------------------------------------------
    # (1e-12 cm guard: the junction node, at 5e-4 cm up to round-off, gets neither: net doping 0)
    if node_doping is None:
        devsim.node_model(device=device, region=region, name="Acceptors", equation="1.0e18*step(0.5e-3-x-1e-12)")
        devsim.node_model(device=device, region=region, name="Donors", equation="1.0e18*step(x-0.5e-3-1e-12)")
        devsim.node_model(device=device, region=region, name="NetDoping", equation="Donors-Acceptors")
    else:
        devsim.node_solution(device=device, region=region, name="NetDopingGiven")
        devsim.set_node_values(device=device, region=region, name="NetDopingGiven",
                               values=[float(v) * 1e-6 for v in node_doping])
        devsim.node_model(device=device, region=region, name="NetDoping", equation="NetDopingGiven")

    # --- diode_common.InitialSolution + DriftDiffusionInitialSolution ------------------------------
    CreateSolution(device, region, "Potential")
    CreateSiliconPotentialOnly(device, region)
    for c in ("top", "bot"):
        devsim.set_parameter(device=device, name=GetContactBiasName(c), value=0.0)
        CreateSiliconPotentialOnlyContact(device, region, c)
    t_setup = time.perf_counter() - t0
    iters = []
    info = devsim.solve(type="dc", absolute_error=1.0, relative_error=POISSON_RELATIVE_ERROR, maximum_iterations=30, info=True)
    if not info["converged"]:
        raise RuntimeError("DEVSIM: equilibrium (Poisson only) did not converge")
    iters.append(len(info["iterations"]))
    CreateSolution(device, region, "Electrons")
    CreateSolution(device, region, "Holes")
    devsim.set_node_values(device=device, region=region, name="Electrons", init_from="IntrinsicElectrons")
    devsim.set_node_values(device=device, region=region, name="Holes", init_from="IntrinsicHoles")
    CreateSiliconDriftDiffusion(device, region)
    for c in ("top", "bot"):
        CreateSiliconDriftDiffusionAtContact(device, region, c)
    info = devsim.solve(type="dc", absolute_error=1e10, relative_error=relative_error, maximum_iterations=30, info=True)
    if not info["converged"]:
        raise RuntimeError("DEVSIM: equilibrium drift-diffusion did not converge")
    iters.append(len(info["iterations"]))

    # --- ramp, as diode_2d.py ------------------------------------------------------------------
    out = {"bias": [], "current_top": [], "current_bot": [], "potential": [], "electrons": [], "holes": []}
    for v in biases:
        devsim.set_parameter(device=device, name=GetContactBiasName("top"), value=v)
        info = devsim.solve(type="dc", absolute_error=1e10, relative_error=relative_error, maximum_iterations=30, info=True)
        if not info["converged"]:
            raise RuntimeError(f"DEVSIM did not converge at {v} V")
        iters.append(len(info["iterations"]))
        cur = {}
        for c in ("top", "bot"):
            cur[c] = sum(devsim.get_contact_current(device=device, contact=c, equation=eq)
                         for eq in ("ElectronContinuityEquation", "HoleContinuityEquation"))
        out["bias"].append(v)
        unit = 1.0 if cylindrical else 100.0                 # A (whole ring) or A/cm -> A/m
        out["current_top"].append(cur["top"] * unit)
        out["current_bot"].append(cur["bot"] * unit)
        out["potential"].append(np.array(devsim.get_node_model_values(device=device, region=region, name="Potential")))
        out["electrons"].append(np.array(devsim.get_node_model_values(device=device, region=region, name="Electrons")) * 1e6)
        out["holes"].append(np.array(devsim.get_node_model_values(device=device, region=region, name="Holes")) * 1e6)
    seconds = time.perf_counter() - t0
    nd = np.array(devsim.get_node_model_values(device=device, region=region, name="NetDoping")) * 1e6
    if not np.allclose(nd, net_doping(m.p) if node_doping is None else node_doping, rtol=1e-12, atol=0):
        raise RuntimeError("DEVSIM NetDoping differs from the nodal doping of net_doping()")
    # node order check: DEVSIM keeps the coordinate order given
    xd = np.array(devsim.get_node_model_values(device=device, region=region, name="x")) / 100.0
    yd = np.array(devsim.get_node_model_values(device=device, region=region, name="y")) / 100.0
    if not (np.allclose(xd, m.p[0], atol=1e-12 * L, rtol=0) and np.allclose(yd, m.p[1], atol=1e-12 * L, rtol=0)):
        raise RuntimeError("DEVSIM node order differs from the skfem mesh")
    res = {k: np.array(v) for k, v in out.items()}
    res.update(iterations=np.array(iters), seconds=seconds, seconds_setup=t_setup, n_nodes=m.p.shape[1],
               solver="UMFPACK 5.1 (DEVSIM direct_solver = custom)", rss_MB=peak_rss_mb())
    return res


def main(argv=None):
    """``python _devsim_side.py SIZE OUT.npz [--extended]``: one DEVSIM run in its own process
    (DEVSIM keeps global state and prints every Newton step; the caller sends stdout to a log)."""
    import argparse

    ap = argparse.ArgumentParser()
    ap.add_argument("size", choices=sorted(SIZES))
    ap.add_argument("out")
    ap.add_argument("--extended", action="store_true", help="float128 assembly and solve (accuracy reference)")
    a = ap.parse_args(argv)
    m, contacts = build_mesh(*SIZES[a.size])
    if a.extended:
        r = run_devsim(m, contacts, relative_error=1e-10, extended=True)
    else:
        r = run_devsim(m, contacts, relative_error=1e-6)
    np.savez(a.out, **r)


if __name__ == "__main__":
    main()
