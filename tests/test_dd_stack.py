"""Drift-diffusion on a meshed Stack: contacts on highly conducting films (ITO, Al).

Regression: a contact on a conductor of sigma ~ 1e5 S/m once read a terminal current of exactly
zero, the ohmic potential drop being below the floating-point resolution of the potential.
"""
import numpy as np

from fem_cqd.electrical import Contact, build_device, solve_bias, solve_equilibrium
from fem_cqd.mesh import MeshOptions, build_mesh
from fem_cqd.stack import Layer, Spacer, lim2018


def test_conductor_contacts_conserve_current_and_energy():
    layers = (Layer("ITO", "ITO", 100), Layer("PEDOT:PSS", "PEDOT:PSS", 40), Layer("TCTA", "TCTA", 20),
              Layer("CQD", "CQD", 20), Layer("Al", "Al", 50))
    dm = build_mesh(lim2018(layers=layers, spacer=Spacer(on="TCTA")), MeshOptions().scaled(0.5))
    dev = build_device(dm.electrical, [Contact("anode", "ohmic"), Contact("cathode", "ohmic")])
    st = solve_bias(dev, {"anode": 3.0}, start=solve_equilibrium(dev))
    ia, ic = st.contact_fluxes["anode"], st.contact_fluxes["cathode"]
    assert ia > 0, "forward bias drives current into the anode"
    assert abs(ia + ic) <= 1e-9 * abs(ia)
    assert np.isclose(st.heat.sum() + st.emitted_power, st.power_in, rtol=1e-8)


def test_two_terminal_current_read_at_the_grounded_contact():
    """At low bias the biased contact's flux sum is coarse (its quasi-Fermi differences are resolved
    to ~1e-16 V at ~1 V); the two terminal currents are both read at the contact nearer 0 V."""
    from fem_cqd.electrical.system import evaluate, terminal_currents
    quick = MeshOptions(edge_cell_um=2.0, max_cell_fraction=0.2, lateral_ratio=2.0, layer_cell_nm=10.0,
                        min_cells_per_layer=3)
    dm = build_mesh(lim2018("axisymmetric", params="lim2018_operating"), quick)
    dev = build_device(dm.electrical, [Contact("anode"), Contact("cathode")])
    st = solve_bias(dev, {"anode": 1.0}, start=solve_equilibrium(dev))
    assert st.currents["anode"] == -st.currents["cathode"] != 0.0
    _, _, (_, fl) = evaluate(dev, st.x, st.voltages, jacobian=False)
    each = terminal_currents(dev, fl)                         # each contact's own flux sum
    assert each["cathode"] == st.currents["cathode"]
    assert abs(each["anode"] / st.currents["anode"] - 1) > 1e-6  # the biased side was coarse here (1e-3)
