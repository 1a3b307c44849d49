"""Physical plausibility limits of user-facing numbers.

A value outside these ranges is almost always a unit slip (V for mV, nm for um, K for degC) or a
typo, and solving with it gives a number that looks like a result (a 1e6 V drive heats the film to
3.8e6 K). They are deliberately generous: each is one or more orders of magnitude beyond anything a
thin-film light emitter reaches, so no real study is refused. Checked with
:func:`fem_cqd.errors.check_range`, which names the limit in its message.
"""
from __future__ import annotations

#: |V| of a contact or drive. Thin-film LEDs run at 2-20 V and a 100 nm organic film breaks down
#: near 10-100 V (1-10 MV/cm); 1 kV across a micrometre stack is a unit slip.
MAX_VOLTAGE_V = 1000.0

#: current density through the device. Pulsed QD / organic LEDs reach 1e3-1e4 A/cm^2 (ns pulses);
#: 1e6 A/cm^2 is beyond electromigration limits of metal lines.
MAX_CURRENT_DENSITY_A_PER_CM2 = 1e6

#: thickness of one thin film, the spacer included. Films are nm to a few um thick; a layer of
#: tens of um is a substrate or heat sink (use Substrate), not a film meshed in nanometre cells.
MAX_FILM_THICKNESS_NM = 50_000.0

#: thickness of the substrate or the heat sink: wafers and glass are 0.1-2 mm, copper blocks a few cm.
MAX_SUBSTRATE_THICKNESS_UM = 50_000.0

#: lateral sizes (device half width, aperture width): a device larger than a 10 cm wafer is a slip.
MAX_LATERAL_UM = 100_000.0

#: temperatures given as inputs (ambient, heat-sink, initial): the material data hold from cryogenic
#: to a few hundred degC; at 1000 K every organic film and the QDs have decomposed.
MAX_TEMPERATURE_K = 1000.0

#: convective heat-transfer coefficient: still air ~10, forced water 1e3-1e4, jet boiling ~1e5.
MAX_HEAT_TRANSFER_W_PER_M2K = 1e6

#: thermal boundary resistance of an interface: measured values are 1e-9-1e-7 m^2K/W; 1e-3 is the
#: resistance of a 25 um air gap, i.e. no longer an interface.
MAX_INTERFACE_RESISTANCE_M2K_PER_W = 1e-3

#: metal (contact) work function: Cs 2.1 eV is the lowest of the elements, MoO3 ~6.9 eV the highest
#: of common contact layers.
WORK_FUNCTION_RANGE_EV = (1.0, 8.0)

#: surface recombination velocity of a Schottky contact: bounded by the thermal velocity (~1e5 m/s);
#: 100x that is allowed for "ideal" contacts.
MAX_SURFACE_VELOCITY_M_PER_S = 1e7
