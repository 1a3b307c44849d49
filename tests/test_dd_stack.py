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
    ia, ic = st.currents["anode"], st.currents["cathode"]
    assert ia > 0, "forward bias drives current into the anode"
    assert abs(ia + ic) <= 1e-9 * abs(ia)
    assert np.isclose(st.heat.sum() + st.emitted_power, st.power_in, rtol=1e-8)
