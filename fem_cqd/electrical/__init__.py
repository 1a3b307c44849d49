"""Drift-diffusion solver: Poisson + electron/hole continuity on a TaggedMesh (DESIGN.md items 2-10).

Unknowns psi, phi_n, phi_p (V) on nodes; Boltzmann carriers per element with that element's band
edges (E_c = -chi - psi, eV from the vacuum level); EAFE / Scharfetter-Gummel currents; regions
"semiconductor" (drift-diffusion), "insulator" (Poisson only), "conductor" (Ohm's law, psi = phi - W_F).

Usage::

    from fem_cqd.electrical import Contact, build_device, solve_equilibrium, solve_bias, ramp

    dev = build_device(tmesh,                                  # fem_cqd.regions.TaggedMesh, metres
                       [Contact("anode", "ohmic"),
                        Contact("cathode", "schottky", work_function=4.2, v_n_m_per_s=1e5, v_p_m_per_s=1e5)],
                       T_K=300.0,                                # K, scalar or nodal array
                       recombination=None,                     # or {"CQD": ("langevin",), ...}
                       field_dependent_mobility=True,          # Poole-Frenkel gamma of the materials
                       net_doping=None,                        # optional per-element N_D - N_A (m^-3)
                       thermionic_interfaces=())               # e.g. (ThermionicInterface("A", "B", v_p_m_per_s=1.0),)
    eq = solve_equilibrium(dev)                                # no guess needed
    st = solve_bias(dev, {"anode": 0.5}, start=eq)             # contacts not named stay at 0 V
    st = solve_bias(dev, currents={"anode": 1e-3}, start=st)   # current-driven (A; A/m planar)
    states = ramp(dev, "anode", np.linspace(0, 1, 11), start=eq)          # adaptive steps, tqdm
    states = ramp(dev, "anode", [1e-4, 1e-3], mode="current", start=eq)   # traces S-shapes
    st.currents["anode"], st.psi, st.n, st.J, st.heat, st.save_vtu("out.vtu")

Currents flow from the contact into the device: A in axisymmetric geometry, A per metre of depth
in planar geometry. A plain silicon diode: give regions "p" and "n" a semiconductor Material built
with ``fem_cqd.materials.parse_library`` (Nc, Nv, band gap, affinity, mobilities, doping, SRH
lifetimes ``srh_tau_n_s`` / ``srh_tau_p_s``), or pass ``net_doping`` per element.

Failures raise ``fem_cqd.errors.ElectricalConvergenceError`` (a ``ConvergenceError``) with
``.last_state`` (the last converged ElectricalState) and ``.completed`` (ramp points already done);
bad input raises ``InputError``
before any solve.
"""
from .bernoulli import bernoulli, bernoulli_derivative
from .contacts import Contact
from .device import Device, build_device
from .heterointerface import ThermionicInterface
from .newton import ramp, solve_bias, solve_equilibrium
from .state import ElectricalState

__all__ = ["Contact", "Device", "ElectricalState", "bernoulli", "bernoulli_derivative", "build_device",
           "ramp", "solve_bias", "solve_equilibrium", "ThermionicInterface"]
