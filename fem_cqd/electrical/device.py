"""Drift-diffusion device set-up: what is fixed for a mesh, and what changes with temperature.

A :class:`Device` is built once per mesh and set of contacts (:func:`build_device`): geometry,
regions and their physics chosen by name (statistics, mobility, recombination), node classes,
contacts, the constraint rows and the Jacobian layout. Everything that depends on temperature --
thermal voltage, sigma/kT, mobility prefactors, recombination coefficients, contact values -- is a
:class:`Parameters` record; ``device.at_temperature(T)`` returns the same device with new
parameters (nothing else is rebuilt, so a linear solver's analysis stays valid).

Energies (eV, vacuum-level reference): ``E_c = -chi - psi``, ``E_v = E_c - E_g`` at the centres of
the densities of states (``Material.band_centres``); per element, so heterojunctions need no
special code. Densities go through the element's statistics (:mod:`.statistics`)::

    n = N_c F_n(eta_n),  eta_n = (psi + chi - phi_n)/V_T
    p = N_v F_p(eta_p),  eta_p = (phi_p - psi - chi - E_g)/V_T

with F = exp for Boltzmann carriers. Temperature is nodal (K); element quantities use the mean of
the element's vertices.

Image-force (Schottky) lowering, optional per conductor region (``image_force_lowering``): where
that conductor meets a semiconductor, the barrier of the carrier it injects (the lower of
HOMO - W_F and W_F - LUMO at that node) is lowered by Delta phi = sqrt(q F / (4 pi eps)), F the
field pushing that carrier into the semiconductor (the element field along the interface normal,
smooth positive part), eps the semiconductor's permittivity (Scott & Malliaras, Chem. Phys. Lett.
299, 115 (1999); oedes and ChargeTransport.jl use the same form). It enters as an effective work
function of the interface node, psi = phi - (W_F +/- Delta phi): the boundary density of the
injected carrier grows by exp(Delta phi / V_T) while every quasi-Fermi level stays continuous, so
equilibrium stays equilibrium (zero current) and the result converges with the mesh (a boundary
condition, not a one-edge dip; an earlier version shifted the densities the edge fluxes saw and
its effect vanished as the first cell shrank).

Single-carrier devices (``carriers="electrons"`` or ``"holes"``, the unipolar model of a resistor or
an electron-only / hole-only device): the other carrier does not exist -- its density, currents and
contact terms are zero, there is no recombination (it needs both), and its quasi-Fermi potential is
left out of the Newton system (2 unknowns per semiconductor node instead of 3; a conductor node
keeps both slots, its potential and the tie). Ohmic contacts keep the two-carrier neutral psi, so
a doped contact region holds its majority density N_D (n_i in undoped material).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from ..constants import T0, eps0, k_B, q, thermal_voltage
from ..delaunay import check_box_method
from ..errors import InputError, check_choice, check_finite
from ..materials import validate_electrical
from ..regions import TaggedMesh
from .contacts import Contact
from .eafe import EdgeGeometry, boundary_face_areas, edge_geometry
from .heterointerface import Split, split_nodes
from .mobility import MOBILITY
from .recombination import MECHANISMS, Coefficients, active

CARRIERS = ("both", "electrons", "holes")      # the carriers a device solves for (module doc)
from .statistics import STATISTICS


@dataclass(frozen=True, eq=False)
class Parameters:
    """Temperature-dependent values of a device. Element arrays over all elements unless noted."""

    T_node: np.ndarray              # K, nodal
    VT: np.ndarray                  # V, per element
    VT_ref: float                   # smallest thermal voltage (damping and tolerance scale)
    s_n: np.ndarray                 # sigma_n / kT per element (0 without a Gaussian DOS)
    s_p: np.ndarray
    mu_n0: np.ndarray               # zero-field, low-density mobility at the element temperature
    mu_p0: np.ndarray
    recomb: Coefficients            # over the semiconductor elements
    schottky_eq: dict               # contact -> (n0, p0) per facet
    ohmic_psi: dict                 # contact -> (rows, psi at phi = 0) of its ohmic semiconductor nodes


@dataclass(frozen=True, eq=False)
class Device:
    """Everything fixed for the solves on one mesh, plus the parameters at one temperature.

    Build it with :func:`build_device` (all validation happens there: InputError before solving);
    change the temperature with :meth:`at_temperature`.
    """

    tmesh: TaggedMesh
    geom: EdgeGeometry
    contacts: tuple
    semi: np.ndarray                # element indices
    poisson: np.ndarray             # semiconductor + insulator elements
    cond: np.ndarray                # conductor elements
    eps: np.ndarray                 # per element, F/m
    chi: np.ndarray                 # eV, DOS centres
    Eg: np.ndarray
    Nc: np.ndarray                  # m^-3 (site densities N0 of a Gaussian DOS)
    Nv: np.ndarray
    net_doping: np.ndarray          # N_D - N_A, m^-3
    sigma_n: np.ndarray             # eV, Gaussian DOS widths (0: none)
    sigma_p: np.ndarray
    gamma_n: np.ndarray             # Poole-Frenkel factors (0 where off)
    gamma_p: np.ndarray
    sigma: np.ndarray               # conductivity of conductor elements, S/m
    E_photon: np.ndarray            # eV per photon
    statistics: tuple               # ((name, positions in semi), ...) groups of semiconductor elements
    mobility_n: tuple               # ((model name, positions in semi), ...)
    mobility_p: tuple
    mechanisms: tuple               # recombination mechanisms switched on somewhere
    recomb_on: tuple                # per region: set of mechanism names on
    image_force: dict | None        # per lowered interface node: nodes, sign, normal, grad, t, eps
    split: Split | None             # heterointerface node copies (thermionic emission), or None
    node_cond: np.ndarray           # bool per solver node (mesh nodes, then heterointerface copies)
    node_semi: np.ndarray
    node_wf: np.ndarray             # work function of conductor nodes (eV)
    node_rep: np.ndarray            # representative semiconductor element per node (-1: none)
    contact_nodes: dict             # name -> node indices
    contact_node_kind: dict         # name -> per node: 0 ohmic-semi, 1 conductor, 2 schottky-semi
    schottky: dict                  # name -> facet data for the thermionic terms
    field_dependent: bool           # some edge current depends on the element field
    density_dependent: bool         # some mobility depends on the carrier density
    field_dependent_mobility: bool
    params: Parameters
    constraints: object = None      # fem_cqd.electrical.system.Constraints (set by build_device)
    carriers: str = "both"          # one of CARRIERS (module doc)

    @property
    def has_electrons(self) -> bool:
        return self.carriers != "holes"

    @property
    def has_holes(self) -> bool:
        return self.carriers != "electrons"

    # --- temperature-dependent values, forwarded -------------------------------------------
    @property
    def n_nodes(self) -> int:
        """Solver nodes: the mesh nodes, then the copies of heterointerface nodes (:attr:`split`)."""
        return self.geom.n_nodes

    @property
    def n_mesh_nodes(self) -> int:
        return self.tmesh.mesh.p.shape[1]

    @property
    def node_origin(self) -> np.ndarray:
        """The mesh node of every solver node."""
        return np.arange(self.n_nodes) if self.split is None else self.split.origin

    @property
    def T_node(self) -> np.ndarray:
        return self.params.T_node

    @property
    def VT(self) -> np.ndarray:
        return self.params.VT

    @property
    def VT_ref(self) -> float:
        return self.params.VT_ref

    def at_temperature(self, T_K) -> "Device":
        """The same device (geometry, contacts, layout) with the parameters at temperature ``T_K``
        (K, scalar or nodal array)."""
        return dataclasses.replace(self, params=parameters(self, T_K))

    def contact(self, name: str) -> Contact:
        for c in self.contacts:
            if c.boundary == name:
                return c
        raise InputError("contact", name, "one of " + ", ".join(c.boundary for c in self.contacts))

    # --- densities --------------------------------------------------------------------------
    def log_densities(self, elems, psi, phin, phip, VT, s_n, s_p, stats_of):
        """Per carrier: ln density L, excess chemical potential gamma = eta - ln F(eta) and
        d ln F / d eta, at (psi, phi) for elements ``elems`` (arrays broadcasting against
        (k, len(elems))), each element in its statistics (``stats_of``: (name, positions) groups).
        Returns (L_n, gamma_n, d_n, L_p, gamma_p, d_p); gamma is exactly 0 for Boltzmann carriers."""
        eta_n = (psi + self.chi[elems] - phin) / VT
        eta_p = (phip - psi - self.chi[elems] - self.Eg[elems]) / VT
        out = []
        for eta, s, N in ((eta_n, s_n, self.Nc[elems]), (eta_p, s_p, self.Nv[elems])):
            lnF, d = np.empty_like(eta), np.empty_like(eta)
            for name, pos in stats_of:
                lnF[..., pos], d[..., pos] = STATISTICS[name](eta[..., pos], s[..., pos])
            out += [lnF + np.log(N), eta - lnF, d]
        return tuple(out)

    def neutral_psi(self, nodes, phi):
        """psi at ``nodes`` giving local charge neutrality with phi_n = phi_p = phi, in the
        statistics of each node's representative semiconductor element."""
        e = self.node_rep[nodes]
        C, VT = self.net_doping[e], self.VT[e]
        Nc, Nv, chi, Eg = self.Nc[e], self.Nv[e], self.chi[e], self.Eg[e]
        # Boltzmann closed form: majority density without cancellation
        ni2 = Nc * Nv * np.exp(-Eg / VT)
        half = 0.5 * np.abs(C)
        big = half + np.sqrt(half ** 2 + ni2)
        n = np.where(C >= 0, big, ni2 / np.maximum(big, 1e-300))
        psi = phi + VT * np.log(n / Nc) - chi
        names = np.full(self.semi.size, "boltzmann", dtype=object)
        for name, pos in self.statistics:
            names[pos] = name
        stats = names[np.searchsorted(self.semi, e)].astype(str)
        other = np.flatnonzero(stats != "boltzmann")
        if other.size:
            psi[other] = _neutral_root(psi[other], phi if np.ndim(phi) == 0 else np.asarray(phi)[other],
                                       C[other], VT[other], Nc[other], Nv[other], chi[other], Eg[other],
                                       self.params.s_n[e[other]], self.params.s_p[e[other]], stats[other])
        return psi



def _neutral_root(psi0, phi, C, VT, Nc, Nv, chi, Eg, s_n, s_p, stats):
    """Solve p - n + C = 0 for psi, any statistics: safeguarded Newton on the monotone charge."""
    psi = psi0.copy()
    lo = phi - chi - Eg - 60 * VT - 5.0           # far below: holes dominate, charge > 0
    hi = phi - chi + 60 * VT + 5.0                # far above: electrons dominate, charge < 0
    for _ in range(200):
        Ln = np.empty_like(psi); dn = np.empty_like(psi); Lp = np.empty_like(psi); dp = np.empty_like(psi)
        for name in np.unique(stats):
            k = stats == name
            f = STATISTICS[name]
            Ln[k], dn[k] = f((psi[k] + chi[k] - phi_at(phi, k)) / VT[k], s_n[k])
            Lp[k], dp[k] = f((phi_at(phi, k) - psi[k] - chi[k] - Eg[k]) / VT[k], s_p[k])
        n, p = Nc * np.exp(Ln), Nv * np.exp(Lp)
        rho = p - n + C
        scale = p + n + np.abs(C)
        if np.all(np.abs(rho) <= 1e-12 * scale):
            return psi
        lo = np.where(rho > 0, psi, lo)
        hi = np.where(rho < 0, psi, hi)
        step = rho / ((p * dp + n * dn) / VT)
        new = psi + step
        bad = ~((new > lo) & (new < hi))
        psi = np.where(bad, 0.5 * (lo + hi), new)
    raise InputError("doping / statistics", float(np.max(np.abs(C))),
                     "a net doping the statistics can neutralise (below the site density of a Gaussian DOS)")


def phi_at(phi, k):
    return phi if np.ndim(phi) == 0 else phi[k]


# ----------------------------------------------------------------------------------------------
def _temperature(tmesh: TaggedMesh, T):
    N = tmesh.mesh.p.shape[1]
    Tn = np.broadcast_to(np.asarray(T, dtype=float), (N,)).copy() if np.ndim(T) == 0 else np.asarray(T, dtype=float)
    if Tn.shape != (N,):
        raise InputError("T_K", f"shape {Tn.shape}", f"a scalar or ({N},) nodal temperatures")
    check_finite("T_K", Tn)
    if Tn.min() <= 0:
        raise InputError("T_K", float(Tn.min()), "temperatures > 0 K")
    return Tn


def parameters(dev: Device, T) -> Parameters:
    """The temperature-dependent values of ``dev`` at nodal temperature ``T`` (K)."""
    tm = dev.tmesh
    Tn = _temperature(tm, T)
    Te = Tn[tm.mesh.t].mean(axis=0)
    VT = thermal_voltage(Te)
    kT = k_B * Te / q
    s_n, s_p = dev.sigma_n / kT, dev.sigma_p / kT
    mats, reg = tm.region_materials, tm.element_region
    mu_n0 = np.zeros(Te.size)
    mu_p0 = np.zeros(Te.size)
    for r, m in enumerate(mats):
        if m.kind != "semiconductor":
            continue
        sel = reg == r
        model = MOBILITY[m.mobility_model_name]
        if model.sigma_hat_range is not None:
            lo, hi = model.sigma_hat_range
            for carrier, s in (("n", s_n[sel]), ("p", s_p[sel])):
                if s.min() < lo - 1e-12 or s.max() > hi + 1e-12:
                    raise InputError(f"T_K (region {tm.region_names[r]!r}, {m.mobility_model_name} mobility, carrier {carrier})",
                                     f"sigma/kT in [{s.min():.3g}, {s.max():.3g}]",
                                     f"temperatures where sigma/kT lies in [{lo:g}, {hi:g}], the range of the "
                                     "EGDM parametrisation (Pasveer et al. 2005)")
        mu_n0[sel] = model.prefactor(m.mu_n, m.mobility_activation, m.sigma_n or 0.0, Te[sel])
        mu_p0[sel] = model.prefactor(m.mu_p, m.mobility_activation, m.sigma_p or 0.0, Te[sel])
    S = dev.semi
    params = Parameters(T_node=Tn, VT=VT, VT_ref=float(VT.min()), s_n=s_n, s_p=s_p, mu_n0=mu_n0, mu_p0=mu_p0,
                        recomb=None, schottky_eq={}, ohmic_psi={})
    # recombination coefficients over the semiconductor elements
    semi_reg = reg[S]

    def coef(fun, mech, default=0.0):
        vals = np.array([(fun(m) if fun(m) is not None else default) if mech in dev.recomb_on[r] else default
                         for r, m in enumerate(mats)], dtype=float)
        return vals[semi_reg]
    srh_on = coef(lambda m: 1.0 if m.srh_tau_n is not None else 0.0, "srh")
    # trap at the intrinsic level: n1 = n_i, p1 = n_i for Boltzmann carriers
    eta1 = -dev.Eg[S] / (2 * VT[S]) + 0.5 * np.log(dev.Nv[S] / dev.Nc[S])
    n1, p1 = np.empty(S.size), np.empty(S.size)
    for name, pos in dev.statistics:
        f = STATISTICS[name]
        n1[pos] = dev.Nc[S][pos] * np.exp(f(eta1[pos], s_n[S][pos])[0])
        p1[pos] = dev.Nv[S][pos] * np.exp(f(-dev.Eg[S][pos] / VT[S][pos] - eta1[pos], s_p[S][pos])[0])
    co = Coefficients(
        k_rad=coef(lambda m: m.radiative_coefficient, "radiative"),
        k_lang=coef(lambda m: m.langevin_factor, "langevin") * q * (mu_n0[S] + mu_p0[S]) / dev.eps[S],
        frac_lang=coef(lambda m: m.langevin_radiative_fraction, "langevin", 1.0),
        srh_on=srh_on,
        tau_n=np.where(srh_on > 0, coef(lambda m: m.srh_tau_n, "srh", 1.0), 1.0),
        tau_p=np.where(srh_on > 0, coef(lambda m: m.srh_tau_p, "srh", 1.0), 1.0),
        n1=n1, p1=p1,
        c_n=coef(lambda m: m.auger_n, "auger"), c_p=coef(lambda m: m.auger_p, "auger"))
    params = dataclasses.replace(params, recomb=co)
    # contact values in equilibrium with the metal / from charge neutrality
    schottky_eq = {}
    for name, s in dev.schottky.items():
        el, wf = s["elem"], s["work_function"]
        eta_n = (dev.chi[el] - wf) / VT[el]
        eta_p = (wf - dev.chi[el] - dev.Eg[el]) / VT[el]
        n0, p0 = np.empty(el.size), np.empty(el.size)
        for st, k in s["groups"]:
            f = STATISTICS[st]
            n0[k] = dev.Nc[el[k]] * np.exp(f(eta_n[k], s_n[el[k]])[0])
            p0[k] = dev.Nv[el[k]] * np.exp(f(eta_p[k], s_p[el[k]])[0])
        schottky_eq[name] = (n0, p0)
    params = dataclasses.replace(params, schottky_eq=schottky_eq)
    tmp = dataclasses.replace(dev, params=params)
    ohmic = {}
    for c in dev.contacts:
        nodes, kind = dev.contact_nodes[c.boundary], dev.contact_node_kind[c.boundary]
        s0 = nodes[kind == 0]
        ohmic[c.boundary] = (3 * s0, tmp.neutral_psi(s0, 0.0) if s0.size else np.zeros(0))
    return dataclasses.replace(params, ohmic_psi=ohmic)


def build_device(tmesh: TaggedMesh, contacts, T_K=T0, recombination=None, field_dependent_mobility=True,
                 net_doping=None, image_force_lowering=(), thermionic_interfaces=(), carriers="both") -> Device:
    """Validate the inputs, set up the geometry and physics, and the parameters at ``T_K``.

    Parameters
    ----------
    tmesh : TaggedMesh (metres; planar or axisymmetric), Delaunay in the box-method sense
        (:mod:`fem_cqd.delaunay`; a mesh that is not is refused, naming the edges --
        ``fem_cqd.delaunay.repair_delaunay`` fixes one).
    contacts : sequence of :class:`Contact`; every boundary name must exist, contacts must not
        overlap and must touch a semiconductor or conductor; at least one contact is required.
    T_K : float or (n_nodes,) nodal temperature field, K.
    recombination : None (every mechanism whose coefficients the material sets), or a dict
        region name -> iterable of mechanisms ("radiative", "langevin", "srh", "auger"); regions
        not listed keep their material's mechanisms.
    field_dependent_mobility : use the field dependence of each mobility model (Poole-Frenkel
        gamma, EGDM g_2); False: zero-field mobilities.
    net_doping : optional (n_elements,) N_D - N_A in m^-3 replacing the materials' doping.
    image_force_lowering : names of conductor regions at whose interfaces with semiconductors
        the injection barriers are lowered by the image force (module doc).
    thermionic_interfaces : :class:`~.heterointerface.ThermionicInterface` records: heterointerfaces
        whose quasi-Fermi levels may jump, tied by thermionic emission (default: continuous).
    carriers : "both" (default), or "electrons" / "holes" for a single-carrier device (module doc;
        no recombination, so ``recombination`` may not name mechanisms).
    """
    if not isinstance(tmesh, TaggedMesh):
        raise InputError("tmesh", type(tmesh).__name__, "a fem_cqd TaggedMesh")
    check_box_method(tmesh, "tmesh")              # non-Delaunay edges would carry currents the wrong way
    mesh = tmesh.mesh
    N, ne = mesh.p.shape[1], mesh.t.shape[1]
    contacts = tuple(contacts)
    if not contacts:
        raise InputError("contacts", contacts, "at least one Contact")
    names = [getattr(c, "boundary", None) for c in contacts]
    for c in contacts:
        if not isinstance(c, Contact):
            raise InputError("contacts", c, "Contact instances")
        if c.boundary not in tmesh.boundaries:
            raise InputError("contact boundary", c.boundary, "one of the mesh boundaries: " + ", ".join(sorted(tmesh.boundaries)))
    if len(set(names)) != len(names):
        raise InputError("contacts", names, "each boundary used by one contact only")
    T_node = _temperature(tmesh, T_K)
    kinds = tmesh.element_kind()
    semi = np.flatnonzero(kinds == "semiconductor")
    cond = np.flatnonzero(kinds == "conductor")
    poisson = np.flatnonzero(kinds != "conductor")
    mats, reg = tmesh.region_materials, tmesh.element_region
    present = np.zeros(len(mats), bool)
    present[np.unique(reg)] = True          # the electrical mesh keeps the thermal mesh's region list; a heat-only
    for name, m, here in zip(tmesh.region_names, mats, present):      # substrate (silicon, diamond) has no element
        if here:
            validate_electrical(m, f"materials[{m.name!r}] (region {name!r})")
    if semi.size == 0 and cond.size == 0:
        raise InputError("tmesh regions", tmesh.region_names, "at least one semiconductor or conductor region")

    def per_region(fun, default=0.0):
        vals = np.array([fun(m) if fun(m) is not None else default for m in mats], dtype=float)
        return vals[reg]

    semi_fun = lambda f: (lambda m: f(m) if m.kind == "semiconductor" else None)   # noqa: E731
    eps = eps0 * per_region(lambda m: m.relative_permittivity, 1.0)
    chi = per_region(semi_fun(lambda m: m.band_centres()[0]))
    Eg = per_region(semi_fun(lambda m: m.band_centres()[1]), 1.0)
    Nc = per_region(semi_fun(lambda m: m.Nc), 1.0)
    Nv = per_region(semi_fun(lambda m: m.Nv), 1.0)
    if net_doping is None:
        C = per_region(lambda m: m.donors) - per_region(lambda m: m.acceptors)
    else:
        C = np.asarray(net_doping, dtype=float)
        if C.shape != (ne,):
            raise InputError("net_doping", f"shape {C.shape}", f"({ne},) per-element N_D - N_A")
        check_finite("net_doping", C)
    C = np.where(kinds == "semiconductor", C, 0.0)
    sigma_n = per_region(semi_fun(lambda m: m.sigma_n))
    sigma_p = per_region(semi_fun(lambda m: m.sigma_p))
    fd = bool(field_dependent_mobility)
    gamma_n = per_region(semi_fun(lambda m: m.pf_gamma_n if m.mobility_model_name == "poole_frenkel" else 0.0)) * fd
    gamma_p = per_region(semi_fun(lambda m: m.pf_gamma_p if m.mobility_model_name == "poole_frenkel" else 0.0)) * fd
    sigma = per_region(lambda m: m.conductivity if m.kind == "conductor" else 0.0)
    wf = per_region(lambda m: m.work_function if m.kind == "conductor" else 0.0)
    E_ph = per_region(semi_fun(lambda m: m.emission_energy if m.emission_energy is not None else m.band_gap))

    # physics per region, grouped over the semiconductor elements
    def groups(name_of):
        names_s = np.array([name_of(mats[r]) for r in reg[semi]]) if semi.size else np.zeros(0, str)
        return tuple((nm, np.flatnonzero(names_s == nm)) for nm in sorted(set(names_s.tolist())))
    statistics = groups(lambda m: m.statistics)
    mob = groups(lambda m: m.mobility_model_name if (fd or m.mobility_model_name == "egdm") else "constant")
    field_models = [nm for nm, _ in mob if MOBILITY[nm].field_dependent] if fd else []
    density_dependent = any(MOBILITY[nm].density_dependent for nm, _ in mob)

    # recombination switches
    check_choice("carriers", carriers, CARRIERS)
    on = [set(MECHANISMS) if carriers == "both" else set() for _ in mats]
    if recombination is not None:
        if carriers != "both" and any(tuple(m) for m in dict(recombination).values()):
            raise InputError("recombination", dict(recombination), f"no mechanisms with carriers={carriers!r} "
                             "(recombination needs both carriers)")
        for rname, mechs in dict(recombination).items():
            ri = tmesh.region_index(rname)
            mechs = tuple(mechs)
            for mk in mechs:
                if mk not in MECHANISMS:
                    raise InputError(f"recombination[{rname!r}]", mk, "one of " + ", ".join(MECHANISMS))
            on[ri] = set(mechs)

    axisymmetric = tmesh.geometry == "axisymmetric"
    stat_of_elem = {int(semi[pos_i]): nm for nm, pos in statistics for pos_i in pos}
    split = split_nodes(tmesh, thermionic_interfaces, kinds, chi, Eg, stat_of_elem, axisymmetric)
    t_dd = mesh.t if split is None else split.t
    geom = edge_geometry(mesh.p if split is None else mesh.p[:, split.origin], t_dd, axisymmetric=axisymmetric)
    Nd = geom.n_nodes
    node_cond = np.zeros(Nd, bool)
    node_cond[t_dd[:, cond].ravel()] = True
    node_semi = np.zeros(Nd, bool)
    node_semi[t_dd[:, semi].ravel()] = True
    node_wf = np.zeros(Nd)
    node_wf[t_dd[:, cond].ravel()] = np.repeat(wf[cond][None, :], 3, axis=0).ravel()
    node_rep = -np.ones(Nd, dtype=np.int64)
    if semi.size:
        nodes = t_dd[:, semi].ravel()
        elems = np.tile(semi, 3)
        vols = geom.vol[:, semi].ravel()
        order = np.lexsort((vols, nodes))
        last = np.r_[nodes[order][1:] != nodes[order][:-1], True]
        node_rep[nodes[order][last]] = elems[order][last]

    image_force = _image_force(tmesh, tuple(image_force_lowering), geom, node_rep, node_wf, chi, Eg, eps)

    contact_nodes, contact_kind, schottky = {}, {}, {}
    seen = np.zeros(N, bool)
    f2t = mesh.f2t
    for c in contacts:
        nodes = tmesh.boundary_nodes(c.boundary)
        if nodes.size == 0:
            raise InputError(f"contacts[{c.boundary!r}]", c.boundary, "a boundary with at least one facet")
        if np.any(seen[nodes]):
            raise InputError(f"contacts[{c.boundary!r}]", c.boundary, "contacts that do not share nodes")
        seen[nodes] = True
        if split is not None and np.any(np.isin(nodes, split.a)):
            raise InputError(f"contacts[{c.boundary!r}]", c.boundary,
                             "a contact away from the thermionic heterointerfaces (it touches their nodes)")
        bad = ~(node_cond[nodes] | node_semi[nodes])
        if np.any(bad):
            raise InputError(f"contacts[{c.boundary!r}]", c.boundary,
                             "a boundary on a semiconductor or conductor region (it touches only insulator "
                             f"at {int(bad.sum())} nodes)")
        kind = np.where(node_cond[nodes], 1, 2 if c.kind == "schottky" else 0)
        contact_nodes[c.boundary] = nodes
        contact_kind[c.boundary] = kind
        if c.kind == "schottky":
            facets = tmesh.boundary(c.boundary)
            el = f2t[0, facets]
            fn = mesh.facets[:, facets]                               # (2, nf)
            keep = (kinds[el] == "semiconductor") & ~node_cond[fn].any(axis=0)
            el, fn = el[keep], fn[:, keep]
            x, y = mesh.p[0][fn], mesh.p[1][fn]
            L = np.hypot(x[1] - x[0], y[1] - y[0])
            A = boundary_face_areas(L, x, geom.axisymmetric)
            st = np.array([stat_of_elem[int(e)] for e in el])
            schottky[c.boundary] = dict(nodes=fn, elem=el, area=A, work_function=c.work_function, v_n=c.v_n_m_per_s,
                                        v_p=c.v_p_m_per_s, groups=tuple((k, np.flatnonzero(st == k)) for k in sorted(set(st))))
    placeholder = Parameters(T_node=T_node, VT=np.ones(ne), VT_ref=1.0, s_n=np.zeros(ne), s_p=np.zeros(ne),
                             mu_n0=np.zeros(ne), mu_p0=np.zeros(ne), recomb=None, schottky_eq={}, ohmic_psi={})
    dev = Device(tmesh=tmesh, geom=geom, contacts=contacts, semi=semi, poisson=poisson, cond=cond, eps=eps,
                 chi=chi, Eg=Eg, Nc=Nc, Nv=Nv, net_doping=C, sigma_n=sigma_n, sigma_p=sigma_p, gamma_n=gamma_n,
                 gamma_p=gamma_p, sigma=sigma, E_photon=E_ph, statistics=statistics, mobility_n=mob, mobility_p=mob,
                 mechanisms=(), recomb_on=tuple(on), image_force=image_force, split=split, node_cond=node_cond,
                 node_semi=node_semi, node_wf=node_wf, node_rep=node_rep, contact_nodes=contact_nodes,
                 contact_node_kind=contact_kind, schottky=schottky,
                 field_dependent=bool(field_models),
                 density_dependent=density_dependent, field_dependent_mobility=fd, params=placeholder,
                 carriers=carriers)
    dev = dev.at_temperature(T_node)
    dev = dataclasses.replace(dev, mechanisms=active(dev.params.recomb))
    from .system import build_constraints, jacobian_layout
    cons = build_constraints(dev)
    dev = dataclasses.replace(dev, constraints=cons)
    return dataclasses.replace(dev, constraints=dataclasses.replace(
        cons, layout=jacobian_layout(dev), poisson_layout=jacobian_layout(dev, poisson_only=True)))


def _image_force(tmesh, regions, geom, node_rep, node_wf, chi, Eg, eps):
    """The image-force-lowered interface nodes of the conductor regions ``regions`` (module doc):
    node indices, sign (+1: holes injected, W_eff = W_F + Delta phi; -1: electrons), unit normal into
    the semiconductor, and the representative semiconductor element's barycentric gradients,
    vertices and permittivity; None when none is asked for."""
    if not regions:
        return None
    mesh = tmesh.mesh
    idx = []
    for r in regions:
        i = tmesh.region_index(r)
        if tmesh.region_materials[i].kind != "conductor":
            raise InputError("image_force_lowering", r, "names of conductor regions (metal / ITO / PEDOT:PSS): "
                             + ", ".join(n for n, m in zip(tmesh.region_names, tmesh.region_materials)
                                         if m.kind == "conductor"))
        idx.append(i)
    f2t = mesh.f2t
    inner = np.flatnonzero(f2t[1] >= 0)
    e0, e1 = f2t[0, inner], f2t[1, inner]
    r0, r1 = tmesh.element_region[e0], tmesh.element_region[e1]
    kinds = tmesh.element_kind()
    is_c0 = np.isin(r0, idx) & (kinds[e1] == "semiconductor")
    is_c1 = np.isin(r1, idx) & (kinds[e0] == "semiconductor")
    fac = np.r_[inner[is_c0], inner[is_c1]]
    semi_el = np.r_[e1[is_c0], e0[is_c1]]
    if fac.size == 0:
        raise InputError("image_force_lowering", regions, "conductor regions that touch a semiconductor")
    p = mesh.p
    a, b = mesh.facets[:, fac]
    t = p[:, b] - p[:, a]
    nrm = np.array([-t[1], t[0]]) / np.hypot(t[0], t[1])
    centre = p[:, mesh.t[:, semi_el]].mean(axis=1)
    nrm[:, np.einsum("dk,dk->k", nrm, centre - p[:, a]) < 0] *= -1
    N = p.shape[1]
    acc = np.zeros((2, N))
    for d in range(2):
        acc[d] = np.bincount(a, nrm[d], minlength=N) + np.bincount(b, nrm[d], minlength=N)
    nodes = np.unique(np.r_[a, b])
    normal = acc[:, nodes] / np.hypot(acc[0, nodes], acc[1, nodes])
    el = node_rep[nodes]
    barrier_p = chi[el] + Eg[el] - node_wf[nodes]
    barrier_n = node_wf[nodes] - chi[el]
    return {"nodes": nodes, "sign": np.where(barrier_p <= barrier_n, 1.0, -1.0), "normal": normal,
            "grad": geom.grad[:, :, el], "t": geom.t[:, el], "eps": eps[el]}
