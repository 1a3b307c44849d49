"""Slab-waveguide modes of the layered stack, confinement factor, modal gain and threshold.

The stack is a 1-D slab: an ordered list of layers (substrate side first) between a semi-infinite
substrate and cover, each with a complex refractive index n = n' + i kappa (kappa > 0 absorbs,
field ~ exp(i(beta z - omega t))). With k0 = 2 pi / lambda and lambda_m = beta^2 the modes solve

    TE (E_y):  E'' + k0^2 n^2 E = beta^2 E,
    TM (H_y):  (H' / n^2)' + k0^2 H = beta^2 H / n^2,

with E, E' (TE) or H, H'/n^2 (TM) continuous at interfaces. Weak form, second-order Lagrange
elements (scikit-fem ``ElementLineP2``) on a mesh whose nodes include every interface:

    TE:  (-S + k0^2 sum_l n_l^2 M_l) u = lambda M u,
    TM:  (-sum_l S_l / n_l^2 + k0^2 M) u = lambda (sum_l M_l / n_l^2) u,

S_l, M_l the stiffness and mass matrices of region l. The semi-infinite claddings are truncated
``decay_lengths`` 1/e lengths of the computed mode away (Dirichlet there; the error is
~exp(-2 decay_lengths)); n_eff = sqrt(lambda)/k0, modal loss alpha = 2 k0 Im n_eff.

The confinement factor is the exact linear response of the modal loss to the QD film's material
gain, Gamma = d(Im n_eff)/d(kappa_QD), from first-order perturbation of the complex-symmetric
pencil (left eigenvector = transposed right one): d lambda = u^T (dA - lambda dB) u / u^T B u.
For real indices and TE it equals (n_QD / n_eff) int_QD |E|^2 / int |E|^2. Modal gain is
Gamma g - alpha; the QD layer's index given here is its background index, the band-edge
absorption or gain of the film enters through g (fem_cqd.gain).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.sparse.linalg as spla
from scipy.optimize import brentq
from skfem import Basis, BilinearForm, ElementLineP2, MeshLine, asm
from skfem.helpers import dot, grad

from .errors import InputError, check_choice, check_finite, check_positive
from .gain import QDParams, threshold_current_density
from .grading import graded_points

POLARIZATIONS = ("TE", "TM")
CLADDING_GROWTH = 1.03      # ratio of neighbouring cladding elements
CLADDING_ELEMENTS = 200     # cladding elements are at least cladding length / this


@BilinearForm
def _stiffness(u, v, w):
    return dot(grad(u), grad(v))


@BilinearForm
def _mass(u, v, w):
    return u * v


@dataclass(frozen=True)
class Layer:
    """One film of the slab: name, thickness (m) and complex refractive index."""

    name: str
    thickness_m: float
    n: complex

    def __post_init__(self):
        check_positive(f"{self.name}.thickness_m", self.thickness_m)
        check_finite(f"{self.name}.n", [complex(self.n).real, complex(self.n).imag])


@dataclass(frozen=True)
class Slab:
    """Layers (substrate side first) between a semi-infinite substrate and cover.

    ``qd_layer`` names the layer whose material gain the modes see (the QD film).
    """

    layers: tuple
    n_substrate: complex
    n_cover: complex
    qd_layer: str

    def __post_init__(self):
        layers = tuple(lay if isinstance(lay, Layer) else Layer(*lay) for lay in self.layers)
        object.__setattr__(self, "layers", layers)
        if not layers:
            raise InputError("layers", self.layers, "at least one (name, thickness_m, n) layer")
        names = [lay.name for lay in layers]
        if len(set(names)) != len(names):
            raise InputError("layers", names, "unique layer names")
        if self.qd_layer not in names:
            raise InputError("qd_layer", self.qd_layer, "the name of one layer: "
                             + ", ".join(repr(n) for n in names))
        for field in ("n_substrate", "n_cover"):
            n = complex(getattr(self, field))
            check_finite(field, [n.real, n.imag])
            if n.real <= 0:
                raise InputError(field, n, "a complex index with Re n > 0")

    @property
    def interfaces_m(self) -> np.ndarray:
        """Positions of the layer boundaries, substrate interface at 0."""
        return np.concatenate([[0.0], np.cumsum([lay.thickness_m for lay in self.layers])])


@dataclass(frozen=True)
class Mode:
    """A guided mode: complex effective index, field on the mesh nodes and its confinement.

    ``field`` is E_y (TE) or H_y (TM) at ``x_m``, scaled to max |field| = 1;
    ``confinement`` = d(Im n_eff)/d(kappa_QD); ``field_fraction`` = int_QD |u|^2 / int |u|^2.
    """

    polarization: str
    wavelength_m: float
    n_eff: complex
    x_m: np.ndarray
    field: np.ndarray
    confinement: float
    field_fraction: float

    @property
    def loss_per_m(self) -> float:
        """Modal power loss of the passive slab, alpha = 2 k0 Im n_eff (negative = gain)."""
        return 4.0 * math.pi / self.wavelength_m * self.n_eff.imag


def _mesh(slab: Slab, h_max: float, cladding_m: tuple[float, float]) -> tuple[MeshLine, list]:
    """Uniform elements <= h_max in the layers, graded ones in the claddings.

    Every interface is a node. Cladding elements grow by ``CLADDING_GROWTH`` away from the stack
    up to 1/``CLADDING_ELEMENTS`` of the cladding length (a tenth of a field decay length at the
    default truncation).
    """
    edges = np.concatenate([[-cladding_m[0]], slab.interfaces_m,
                            [slab.interfaces_m[-1] + cladding_m[1]]])
    layers = [np.linspace(a, b, max(2, math.ceil((b - a) / h_max)) + 1)[:-1]
              for a, b in zip(edges[1:-2], edges[2:-1])]
    below, above = (graded_points(0.0, c, h_max, CLADDING_GROWTH, c / CLADDING_ELEMENTS)[1:] for c in cladding_m)
    below, above = -below[::-1], edges[-2] + above
    return MeshLine(np.concatenate([below] + layers + [edges[-2:-1], above])), edges


def _region_matrices(mesh: MeshLine, edges: np.ndarray) -> tuple[Basis, list, list]:
    """Global basis and the stiffness/mass matrices of each region (substrate, layers, cover)."""
    basis = Basis(mesh, ElementLineP2())
    mid = mesh.p[0, mesh.t].mean(axis=0)
    region = np.searchsorted(edges, mid) - 1
    S, M = [], []
    for r in range(len(edges) - 1):
        sub = Basis(mesh, ElementLineP2(), elements=np.nonzero(region == r)[0])
        S.append(asm(_stiffness, sub))
        M.append(asm(_mass, sub))
    return basis, S, M


def _pencil(pol: str, k0: float, eps: np.ndarray, S: list, M: list):
    """(A, B) of the generalized eigenproblem A u = beta^2 B u for the region permittivities."""
    if pol == "TE":
        return -sum(S) + k0**2 * sum(e * m for e, m in zip(eps, M)), sum(M)
    return (-sum(s / e for s, e in zip(S, eps)) + k0**2 * sum(M),
            sum(m / e for m, e in zip(M, eps)))


def _pencil_derivative(pol: str, k0: float, n: complex, S_qd, M_qd):
    """(dA, dB)/d kappa of the QD region, n -> n + i kappa."""
    if pol == "TE":
        return k0**2 * 2j * n * M_qd, 0 * M_qd
    return 2j / n**3 * S_qd, -2j / n**3 * M_qd


def _eigs(A, B, sigma: complex, k: int):
    """Eigenpairs of A u = lambda B u nearest sigma, by shift-invert on (A - sigma B)^-1 B."""
    lu = spla.splu((A - sigma * B).tocsc().astype(complex))
    op = spla.LinearOperator(A.shape, matvec=lambda x: lu.solve(B @ x), dtype=complex)
    mu, vecs = spla.eigs(op, k=min(k, A.shape[0] - 2), which="LM")
    return sigma + 1.0 / mu, vecs


def _solve(slab, wavelength_m, pol, num_modes, h_max, cladding_m):
    """One solve on a fixed truncated domain; returns guided Modes sorted by Re n_eff."""
    k0 = 2.0 * math.pi / wavelength_m
    mesh, edges = _mesh(slab, h_max, cladding_m)
    basis, S, M = _region_matrices(mesh, edges)
    n_reg = np.array([slab.n_substrate] + [lay.n for lay in slab.layers] + [slab.n_cover],
                     dtype=complex)
    A, B = _pencil(pol, k0, n_reg**2, S, M)
    inner = basis.complement_dofs(basis.get_dofs())
    A, B = A[inner][:, inner], B[inner][:, inner]
    n_dielectric = max(n.real for n in n_reg if (n * n).real > 0)
    lam, vecs = _eigs(A, B, (1.0001 * k0 * n_dielectric) ** 2, num_modes + 6)
    n_eff = np.sqrt(lam.astype(complex)) / k0
    n_clad = max(complex(slab.n_substrate).real, complex(slab.n_cover).real)
    guided = [i for i in np.argsort(-n_eff.real) if n_eff[i].real > n_clad * (1 + 1e-9)]
    qd = 1 + [lay.name for lay in slab.layers].index(slab.qd_layer)
    M_qd, M_all = M[qd][inner][:, inner], sum(M)[inner][:, inner]
    dA, dB = _pencil_derivative(pol, k0, n_reg[qd], S[qd][inner][:, inner], M_qd)
    x = basis.doflocs[0][inner]
    order = np.argsort(x)
    modes = []
    for i in guided[:num_modes]:
        u = vecs[:, i]
        dlam = (u @ (dA @ u) - lam[i] * (u @ (dB @ u))) / (u @ (B @ u))
        gamma = (dlam / (2.0 * k0**2 * n_eff[i])).imag
        frac = np.vdot(u, M_qd @ u) / np.vdot(u, M_all @ u)
        peak = u[np.argmax(np.abs(u))]
        modes.append(Mode(pol, wavelength_m, complex(n_eff[i]), x[order], (u / peak)[order],
                          float(gamma), float(frac.real)))
    return modes


def solve_modes(slab: Slab, wavelength_m: float, polarization: str = "TE", num_modes: int = 1,
                h_max_m: float | None = None, decay_lengths: float = 20.0,
                max_cladding_m: float = 100e-6) -> list[Mode]:
    """Guided TE or TM modes of ``slab`` at ``wavelength_m``, highest Re n_eff first.

    Parameters
    ----------
    h_max_m : float, optional
        Largest element, default lambda / 80 (P2: n_eff error ~2e-9 on a symmetric slab, O(h^4)).
    decay_lengths : float
        Cladding truncation in 1/e field decay lengths of the slowest-decaying mode returned.
    max_cladding_m : float
        Cap on each cladding's length (modes near cut-off decay very slowly).

    Raises
    ------
    InputError
        ``slab`` if fewer than ``num_modes`` guided modes exist.
    """
    check_positive("wavelength_m", wavelength_m)
    check_choice("polarization", polarization, POLARIZATIONS)
    if not (isinstance(num_modes, int) and num_modes >= 1):
        raise InputError("num_modes", num_modes, "an integer >= 1")
    h_max = wavelength_m / 80.0 if h_max_m is None else check_positive("h_max_m", h_max_m)
    check_positive("decay_lengths", decay_lengths)
    k0 = 2.0 * math.pi / wavelength_m
    cladding = (2.0 * wavelength_m, 2.0 * wavelength_m)
    while True:
        modes = _solve(slab, wavelength_m, polarization, num_modes, h_max, cladding)
        if len(modes) < num_modes:   # weakly guided modes may hide in a too-short domain
            if min(cladding) >= max_cladding_m:
                raise InputError("slab", [lay.name for lay in slab.layers],
                                 f"a stack guiding >= {num_modes} {polarization} mode(s) at "
                                 f"{wavelength_m:.4g} m within {max_cladding_m:.3g} m claddings "
                                 f"(found {len(modes)})")
            cladding = tuple(min(4.0 * c, max_cladding_m) for c in cladding)
            continue
        need = tuple(min(max_cladding_m, decay_lengths / min(
            k0 * np.sqrt(m.n_eff**2 - complex(n_c) ** 2).real for m in modes))
            for n_c in (slab.n_substrate, slab.n_cover))
        if all(c >= nd * (1 - 1e-9) for c, nd in zip(cladding, need)):
            return modes
        cladding = tuple(max(c, nd) for c, nd in zip(cladding, need))


def modal_gain_per_m(mode: Mode, g_per_m):
    """Net modal gain Gamma g - alpha (1/m) for QD material gain g (1/m, scalar or array)."""
    return mode.confinement * np.asarray(g_per_m, dtype=float) - mode.loss_per_m


def threshold_gain_per_m(mode: Mode, cavity_loss_per_cm: float) -> float:
    """Material gain at threshold, Gamma g_th = alpha + alpha_cavity (mirror/DFB loss), 1/m."""
    check_positive("cavity_loss_per_cm", cavity_loss_per_cm, allow_zero=True)
    return (mode.loss_per_m + 100.0 * cavity_loss_per_cm) / mode.confinement


def laser_threshold(mode: Mode, cavity_loss_per_cm: float, wavelength_m, T_K: float | None = None,
                    p: QDParams = QDParams()) -> dict:
    """Threshold of a cavity built on ``mode``: material gain g_th (1/cm) and J_th (A/cm^2).

    The mode's Gamma and loss are used at the gain peak (their variation across the gain band is
    neglected). J_th is ``inf`` when g_th exceeds the saturated gain of the film.
    """
    g_th = threshold_gain_per_m(mode, cavity_loss_per_cm)
    j_th = threshold_current_density(g_th, wavelength_m, T_K, p)
    return {"g_th_per_cm": g_th / 100.0, "j_th_A_per_cm2": j_th / 1e4}


def symmetric_slab_n_eff(n_core: float, n_clad: float, thickness_m: float, wavelength_m: float,
                         polarization: str = "TE", order: int = 0) -> float:
    """Closed-form reference: n_eff of mode ``order`` of a symmetric slab (real indices).

    With a = d/2, V = k0 a sqrt(n1^2 - n2^2), u = k0 a sqrt(n1^2 - n_eff^2), w = sqrt(V^2 - u^2):
    w = r u tan(u - m pi/2), r = 1 (TE) or (n2/n1)^2 (TM), u in (m pi/2, (m+1) pi/2).
    """
    check_choice("polarization", polarization, POLARIZATIONS)
    k0a = math.pi * thickness_m / wavelength_m
    V = k0a * math.sqrt(n_core**2 - n_clad**2)
    if V <= order * math.pi / 2:
        raise InputError("order", order, f"< {2 * V / math.pi:.3f} (modes above cut-off)")
    r = 1.0 if polarization == "TE" else (n_clad / n_core) ** 2
    lo, hi = order * math.pi / 2, min((order + 1) * math.pi / 2, V)
    eps = 1e-15 * hi
    u = brentq(lambda u: r * u * math.tan(u - lo) - math.sqrt(max(V * V - u * u, 0.0)),
               lo + eps, hi - eps, xtol=1e-15, rtol=4 * np.finfo(float).eps)
    return math.sqrt(n_core**2 - (u / k0a) ** 2)


def slab_from_stack(stack, library=None, n_cover: complex = 1.0) -> Slab:
    """The slab waveguide of a :class:`~fem_cqd.stack.Stack` above its aperture.

    Layers take their materials' ``refractive_index`` (n + i kappa near 620 nm); inside the
    aperture the spacer's level is filled by ``stack.fill_layer``, so that film is thicker by the
    spacer thickness there. The substrate is the lower cladding, ``n_cover`` (air) the upper one.
    """
    lib = stack.check_materials(library)

    def index(material: str, field: str) -> complex:
        return complex(lib[material].require("refractive_index", f"the slab mode of {field}"))

    layers = []
    for lay in stack.layers:
        t = lay.thickness_nm + (stack.spacer.opening_thickness_nm if lay.name == stack.fill_layer else 0.0)
        layers.append(Layer(lay.name, t * 1e-9, index(lay.material, f"layer {lay.name!r}")))
    return Slab(tuple(layers), index(stack.substrate.material, "the substrate"), complex(n_cover), stack.qd_layer)
