"""Electrothermal coupling against a closed form (a self-heated resistor on a heat-sunk substrate)
and against solve_bvp (a distributed thermistor, at the end of this file).

A doped film (thickness L, resistivity rho(T) = rho_300 / f(T), f the thermally activated
mobility factor) between two ohmic contacts covering its faces sits on a substrate (thickness h,
conductivity k_s) whose far face is held at T0. Heat flows straight down (1D), so the film's
temperature solves the scalar equation

    T = T0 + (h / k_s) * V^2 / (rho(T) L)

(the film's own drop, P'' L / 2k, is 2.5e-5 of the rise here). The Gauss-Seidel operating point
must agree with its root; the one-way solution with the rise at T0.
"""
import numpy as np
import pytest
import skfem
from scipy.optimize import brentq

from fem_cqd.constants import k_B, q
from fem_cqd.coupled import (BRACKET_OVERSHOOT, REACH_CURRENT_RATIO, REACH_MIN_T_STEP, REACH_OVERSHOOT, Electrothermal,
                             _bracket_step, thermal_node_power)
from fem_cqd.electrical import Contact
from fem_cqd.errors import ConvergenceError, ElectricalConvergenceError, ElectrothermalConvergenceError, InputError
from fem_cqd.materials import parse_library
from fem_cqd.mesh import _box_boundaries, _facets_on, device_mesh_from_thermal
from fem_cqd.regions import TaggedMesh
from fem_cqd.thermal import Dirichlet

L, H, W = 100e-9, 50e-6, 20e-6
ND, MU, EA, K_SUB = 1e24, 1e-3, 0.2, 1.0
SRC = {k: "test value" for k in ("relative_permittivity", "electron_affinity", "band_gap", "Nc", "Nv", "mu_n",
                                 "mu_p", "donors", "mobility_activation", "thermal_conductivity", "heat_capacity",
                                 "density")}


def resistor_device():
    lib = parse_library({
        "film": {"kind": "semiconductor", "relative_permittivity": 10.0, "electron_affinity_eV": 4.0,
                 "band_gap_eV": 1.5, "Nc_per_cm3": 1e19, "Nv_per_cm3": 1e19, "mu_n_cm2_per_Vs": MU * 1e4,
                 "mu_p_cm2_per_Vs": 1.0, "donors_per_cm3": ND * 1e-6, "mobility_activation_eV": EA,
                 "thermal_conductivity_W_per_mK": 100.0, "heat_capacity_J_per_kgK": 500.0,
                 "density_kg_per_m3": 3000.0, "sources": SRC},
        "sub": {"kind": "insulator", "relative_permittivity": 4.0, "thermal_conductivity_W_per_mK": K_SUB,
                "heat_capacity_J_per_kgK": 800.0, "density_kg_per_m3": 2500.0, "sources": SRC},
    })
    x = np.linspace(0, W, 5)
    y = np.r_[np.linspace(-H, 0, 21)[:-1], np.linspace(0, L, 6)]
    mesh = skfem.MeshTri.init_tensor(x, y)
    yc = mesh.p[1][mesh.t].mean(axis=0)
    b = _box_boundaries(mesh)
    bnd = {"heat_sink": b["bottom"], "cathode": b["top"], "symmetry": b["symmetry"], "far_edge": b["far_edge"],
           "anode": _facets_on(mesh, 1, 0.0, 1e-18)}
    thermal = TaggedMesh(mesh, "planar", (yc > 0).astype(int), ("sub", "film"), (lib["sub"], lib["film"]), bnd)
    return device_mesh_from_thermal(thermal, ["film"])


def mobility_factor(T):
    return np.exp(-EA * q / k_B * (1 / T - 1 / 300.0))


def film_temperature(V, T0=300.0):
    rho300 = 1 / (q * ND * MU)
    return brentq(lambda T: T - T0 - H / K_SUB * V ** 2 * mobility_factor(T) / (rho300 * L), T0, T0 + 100)   # the lower (stable) root


CONTACTS = [Contact("anode", "ohmic"), Contact("cathode", "ohmic")]
BCS = {"heat_sink": Dirichlet(300.0)}


def test_self_consistent_temperature_matches_the_closed_form():
    dm = resistor_device()
    V = 0.012
    et = Electrothermal(dm, CONTACTS, BCS, drive="anode")
    point = et.operating_point(voltage_V=V, tol_K=1e-4, max_iter=60)
    T_film = point.thermal.T[dm.node_map].mean()
    expected = film_temperature(V)
    assert expected - 300 > 15                       # a real feedback: mobility up ~1.5x
    assert abs(T_film - expected) < 1e-3 * (expected - 300)
    # the heat handed over is the electrical power (energy conservation across the coupling)
    st = point.electrical
    assert np.isclose(thermal_node_power(dm, st.heat).sum(), st.power_in - st.emitted_power, rtol=1e-8)
    assert np.isclose(point.thermal.power_source, st.power_in, rtol=1e-8)
    assert point.iterations > 2 and point.history[-1] < 1e-4


def test_anderson_acceleration_reaches_the_same_point_in_fewer_iterations():
    dm = resistor_device()
    et = Electrothermal(dm, CONTACTS, BCS)
    plain = et.operating_point(voltage_V=0.014, tol_K=1e-6, anderson=0, omega=1.0, max_iter=200)
    fast = et.operating_point(voltage_V=0.014, tol_K=1e-6, anderson=3, max_iter=200)
    assert fast.iterations < plain.iterations
    assert np.max(np.abs(fast.thermal.T - plain.thermal.T)) < 1e-5


def test_current_driven_point_reproduces_the_voltage_driven_one():
    dm = resistor_device()
    et = Electrothermal(dm, CONTACTS, BCS)
    by_v = et.operating_point(voltage_V=0.012, tol_K=1e-7)
    by_i = et.operating_point(current=by_v.current, tol_K=1e-7)
    assert abs(by_i.voltage_V / 0.012 - 1) < 1e-6
    assert abs(by_i.current / by_v.current - 1) < 1e-9
    # from a start point (temperature carried), too
    again = et.operating_point(current=by_v.current, start=by_i, tol_K=1e-7)
    assert again.iterations <= 2 and abs(again.voltage_V / 0.012 - 1) < 1e-6


def test_thermal_runaway_is_reported_not_converged_to_an_absurd_temperature():
    dm = resistor_device()
    with pytest.raises(ValueError):
        film_temperature(0.02)                       # no steady state: the closed form has no root
    et = Electrothermal(dm, CONTACTS, BCS)
    with pytest.raises(ConvergenceError, match="runaway") as err:
        et.operating_point(voltage_V=0.02, max_iter=200)
    assert isinstance(err.value, ElectrothermalConvergenceError)
    assert err.value.last_state.thermal.T.max() > 1000.0                # an OperatingPoint: where it ran away


def test_one_last_state_type_per_error():
    """An electrothermal failure always carries an OperatingPoint (or None), whatever failed inside;
    the inner electrical error, with its ElectricalState, is the cause (it used to be the last_state)."""
    dm = resistor_device()
    et = Electrothermal(dm, [Contact("anode", voltage_range=(-0.05, 0.05)), Contact("cathode")], BCS)
    start = et.operating_point(voltage_V=0.001)
    with pytest.raises(ElectrothermalConvergenceError, match="not reached within the contact's voltage range") as err:
        et.operating_point(current=1e3 * start.current, start=start)
    assert err.value.last_state is start                                 # no iterate converged: the start
    assert isinstance(err.value.__cause__, ElectricalConvergenceError)
    assert abs(err.value.__cause__.last_state.voltages["anode"]) <= 0.05
    with pytest.raises(ElectrothermalConvergenceError) as err:
        et.ramp([0.001, 1e3], mode="current", progress=False)
    assert len(err.value.completed) == 1 and err.value.last_state is err.value.completed[0]


def test_one_way_heating_uses_the_ambient_resistance():
    dm = resistor_device()
    V = 0.02
    point = Electrothermal(dm, CONTACTS, BCS).operating_point(voltage_V=V, one_way=True)
    rise = point.thermal.T[dm.node_map].mean() - 300
    assert point.iterations == 1
    assert np.isclose(rise, H / K_SUB * V ** 2 * q * ND * MU / L, rtol=1e-3)


def test_ramp_keeps_completed_points_and_bad_input_is_refused():
    dm = resistor_device()
    et = Electrothermal(dm, CONTACTS, BCS)
    with pytest.raises(InputError, match="omega"):
        et.operating_point(voltage_V=0.01, omega=1.5)
    with pytest.raises(InputError, match="j_A_per_cm2"):
        et.operating_point(j_A_per_cm2=18.0)         # no stack: no aperture area
    with pytest.raises(InputError, match="mode"):
        et.ramp([0.01], mode="amps")
    with pytest.raises(ConvergenceError) as err:
        et.ramp([0.005, 0.01, 0.03], max_iter=3, tol_K=1e-9, progress=False)
    assert isinstance(err.value.completed, list)
    pts = et.ramp([0.005, 0.01], progress=False)
    assert pts[1].max_rise_K > pts[0].max_rise_K > 0


def test_reach_finds_the_current_through_voltage_points_and_agrees_with_the_fixed_current_point():
    dm = resistor_device()
    et = Electrothermal(dm, CONTACTS, BCS)
    by_v = et.operating_point(voltage_V=0.012, tol_K=1e-7)
    point, ramp = et.reach(current=by_v.current, start=et.operating_point(voltage_V=0.002, tol_K=1e-7),
                           step_V=0.004, rtol=1e-9, progress=False, tol_K=1e-7)
    assert abs(point.current / by_v.current - 1) < 1e-9
    assert abs(point.voltage_V / 0.012 - 1) < 1e-6
    V = [p.voltage_V for p in ramp]
    assert V[:2] == pytest.approx([0.006, 0.010])       # stepped by step_V, then bracketed and refined
    assert all(abs(p.current) > 0 for p in ramp)
    with pytest.raises(InputError, match="step_V"):
        et.reach(current=by_v.current, step_V=-1.0)


def test_reach_past_the_fold_stops_the_runaway_point_and_climbs_in_fixed_current_points():
    """A first voltage point past the fold (0.022 V: no steady state) runs away; reach stops it at
    REACH_OVERSHOOT x the target and solves the target at fixed current from the start point: the
    direct solve's point. The climb it falls back on when that fails reaches the same point in
    fixed-current points at most REACH_CURRENT_RATIO apart."""
    dm = resistor_device()
    et = Electrothermal(dm, CONTACTS, BCS)
    by_v = et.operating_point(voltage_V=0.012, tol_K=1e-7)
    start = et.operating_point(voltage_V=0.002, tol_K=1e-7)
    with pytest.raises(ElectrothermalConvergenceError, match="passed the limit") as err:
        et.operating_point(voltage_V=0.022, start=start, current_limit=REACH_OVERSHOOT * by_v.current, max_iter=200)
    assert abs(err.value.last_state.current) > REACH_OVERSHOOT * by_v.current   # the point where it stopped
    point, ramp = et.reach(current=by_v.current, start=start, step_V=0.02, progress=False, tol_K=1e-7)
    assert abs(point.current / by_v.current - 1) < 1e-8
    assert abs(point.voltage_V / 0.012 - 1) < 1e-6
    climbed = []
    top = et._climb_current(by_v.current, start, False, climbed, {"tol_K": 1e-7})
    assert abs(top.voltage_V / 0.012 - 1) < 1e-6 and climbed[-1] is top
    steps = int(np.ceil(np.log(by_v.current / start.current) / np.log(REACH_CURRENT_RATIO)))
    ratios = np.diff(np.log([start.current] + [abs(p.current) for p in climbed]))
    assert len(climbed) == steps > 1
    assert np.allclose(ratios, ratios[0], rtol=1e-6) and 1 < np.exp(ratios[0]) <= REACH_CURRENT_RATIO


def test_reach_falls_back_from_the_predicted_temperature_to_the_start_temperature():
    """Past the fold, reach's fixed-current solve first starts from the predicted temperature with
    no continuation in T; when that fails, from the start's own temperature with continuation --
    the same fixed point (here the predicted attempt is made to fail)."""
    dm = resistor_device()
    et = Electrothermal(dm, CONTACTS, BCS)
    by_v = et.operating_point(voltage_V=0.012, tol_K=1e-7)
    start = et.operating_point(voltage_V=0.002, tol_K=1e-7)
    solve, attempts = et.operating_point, []

    def failing_prediction(**kw):
        if kw.get("current") is not None:
            attempts.append({k: kw.get(k) for k in ("min_T_step", "predict")})
            if kw.get("predict", True):
                raise ElectrothermalConvergenceError("predicted path refused by the test")
        return solve(**kw)

    et.operating_point = failing_prediction
    point, _ = et.reach(current=by_v.current, start=start, step_V=0.02, progress=False, tol_K=1e-7)
    assert attempts == [{"min_T_step": REACH_MIN_T_STEP, "predict": None}, {"min_T_step": None, "predict": False}]
    assert abs(point.current / by_v.current - 1) < 1e-8
    assert abs(point.voltage_V / 0.012 - 1) < 1e-6


def test_bracket_step_doubles_but_stops_short_of_overshooting_the_secant_estimate():
    assert _bracket_step(0.05, 1.0, 1.05, -10.0, -9.0) == pytest.approx(0.1)         # far: doubled
    assert _bracket_step(0.8, 1.0, 1.8, -10.0, -9.0) == pytest.approx(1.0)           # at most 1 V
    assert _bracket_step(0.4, 1.0, 1.4, -3.0, -1.0) == pytest.approx(BRACKET_OVERSHOOT * 0.2)   # secant: 0.2 V left
    assert _bracket_step(-0.4, 1.4, 1.0, 3.0, 1.0) == pytest.approx(-BRACKET_OVERSHOOT * 0.2)   # downwards too
    assert _bracket_step(0.4, 1.0, 1.4, -1.0, -1.0 + 1e-9) == pytest.approx(0.8)    # flat: doubled
    assert _bracket_step(0.4, 1.0, 1.4, -1e6, -1e-4) == pytest.approx(1e-3)          # floor of 1 mV
    assert _bracket_step(0.4, 1.0, 1.4, -np.inf, -1.0) == pytest.approx(0.8)         # no current yet: doubled
    assert _bracket_step(0.4, 1.0, 1.4, -1.0, -2.0) == pytest.approx(0.8)            # moving away: doubled


# --- a distributed thermistor vs solve_bvp --------------------------------------------------------
ELL, K_FILM = 10e-6, 1.0


def thermistor_device():
    """A film strip of length ELL along x, contacts on its ends, which are also its heat sinks."""
    lib = parse_library({"film": {
        "kind": "semiconductor", "relative_permittivity": 10.0, "electron_affinity_eV": 4.0, "band_gap_eV": 1.5,
        "Nc_per_cm3": 1e19, "Nv_per_cm3": 1e19, "mu_n_cm2_per_Vs": MU * 1e4, "mu_p_cm2_per_Vs": 1.0,
        "donors_per_cm3": ND * 1e-6, "mobility_activation_eV": EA, "thermal_conductivity_W_per_mK": K_FILM,
        "heat_capacity_J_per_kgK": 500.0, "density_kg_per_m3": 3000.0, "sources": SRC}})
    mesh = skfem.MeshTri.init_tensor(np.linspace(0, ELL, 81), np.linspace(0, 100e-9, 3))
    b = _box_boundaries(mesh)
    bnd = {"anode": b["symmetry"], "cathode": b["far_edge"], "bottom": b["bottom"], "top": b["top"]}
    thermal = TaggedMesh(mesh, "planar", np.zeros(mesh.t.shape[1], int), ("film",), (lib["film"],), bnd)
    return device_mesh_from_thermal(thermal, ["film"])


def thermistor_bvp(V, T0=300.0):
    """-(k T')' = J^2 / sigma(T), phi' = -J / sigma(T), sigma = q N_D mu(T); T(0) = T(ELL) = T0,
    phi(0) = V, phi(ELL) = 0; J (A/m^2) the unknown parameter. Returns (J, x, T)."""
    from scipy.integrate import solve_bvp
    sigma = lambda T: q * ND * MU * mobility_factor(T)   # noqa: E731

    J0 = sigma(T0) * V / ELL
    P0 = J0 ** 2 / sigma(T0) * ELL ** 2 / K_FILM           # K: the temperature scale

    def rhs(xi, y, p):                                    # xi = x / ELL, s = T'(xi) / P0, p = J / J0
        T, s, phi = y
        r = sigma(T0) / sigma(T)
        return np.vstack([P0 * s, -p[0] ** 2 * r, -p[0] * r * V])

    def bc(ya, yb, p):
        return np.array([ya[0] - T0, yb[0] - T0, ya[2] - V, yb[2]])

    xi = np.linspace(0, 1, 101)
    guess = np.vstack([T0 + 0 * xi, 0.5 - xi, V * (1 - xi)])
    sol = solve_bvp(rhs, bc, xi, guess, p=[1.0], tol=1e-9, max_nodes=100000)
    assert sol.success, sol.message
    return sol.p[0] * J0, sol.x * ELL, sol.sol(sol.x)[0]


def test_thermistor_temperature_profile_and_current_match_solve_bvp():
    """Distributed feedback: sigma(T(x)) sets the field, J^2/sigma the heat; 2D electrothermal point
    (drift-diffusion of a doped film, heat equation) vs the 1D boundary-value problem."""
    dm = thermistor_device()
    V = 0.8
    bcs = {"anode": Dirichlet(300.0), "cathode": Dirichlet(300.0)}
    pt = Electrothermal(dm, CONTACTS, bcs).operating_point(voltage_V=V, tol_K=1e-6)
    J, xb, Tb = thermistor_bvp(V)
    assert Tb.max() - 300 > 10 and J > 1.2 * q * ND * MU * V / ELL        # a real, distributed feedback
    x = dm.thermal.mesh.p[0]
    T = pt.thermal.T
    assert np.max(np.abs(T - np.interp(x, xb, Tb))) < 1e-3 * (Tb.max() - 300)   # measured 4.4e-5
    j_fem = pt.current / 100e-9                                            # A/m per metre of depth over the thickness
    assert abs(j_fem / J - 1) < 1e-3                                        # measured 4.5e-5
    assert pt.energy_balance_rel < 1e-8


# --- electrothermal pulses ------------------------------------------------------------------------
def test_one_way_pulse_is_the_transient_of_the_ambient_source():
    from fem_cqd.thermal import solve_transient, time_grid
    dm = resistor_device()
    et = Electrothermal(dm, CONTACTS, BCS)
    times = [1e-4, 1e-3, 3e-3]
    res = et.pulse(voltage_V=0.012, width_s=1e-3, times=times, tol_K=np.inf, progress=False)
    assert len(res.states) == 1
    grid = time_grid(3e-3, 1e-6, 10, include=[*times, 1e-3])
    ref = solve_transient(dm.thermal, times, BCS, node_power=thermal_node_power(dm, res.states[0].heat),
                          amplitude=lambda t: 1.0 if t <= 1e-3 * (1 + 1e-12) else 0.0, breakpoints=[1e-3],
                          T_init_K=300.0, grid=grid)
    assert np.allclose(res.history.T, ref.T, rtol=0, atol=1e-12)
    assert res.history.T[2].max() < res.history.T[1].max()          # cooling after the pulse


def test_long_electrothermal_pulse_ends_at_the_steady_operating_point():
    """A pulse 20x the substrate's thermal time re-solved as T rises: its end is the self-consistent
    steady state (the one-way pulse stays at the ambient source's rise, ~1.5x lower)."""
    dm = resistor_device()
    et = Electrothermal(dm, CONTACTS, BCS)
    V, width = 0.012, 0.1                                            # tau = H^2 rho c / k = 5 ms
    steady = et.operating_point(voltage_V=V, tol_K=1e-5)
    res = et.pulse(voltage_V=V, width_s=width, times=[width], tol_K=0.05, progress=False)
    one_way = et.pulse(voltage_V=V, width_s=width, times=[width], tol_K=np.inf, progress=False)
    rise = steady.thermal.T.max() - 300
    assert abs(res.history.T[-1].max() - 300 - rise) < 0.005 * rise       # measured 1.9e-3 (tol_K 0.05; 1.7e-4 at 0.005)
    assert one_way.history.T[-1].max() - 300 < 0.8 * rise
    assert len(res.states) > 5 and res.end_state.currents["anode"] > 1.3 * res.states[0].currents["anode"]
    # current-driven: the voltage falls as the film heats
    I = res.states[0].currents["anode"]
    by_i = et.pulse(current=I, width_s=1e-2, times=[1e-2], tol_K=0.5, progress=False)
    assert by_i.end_state.voltages["anode"] < 0.95 * by_i.states[0].voltages["anode"]
    assert abs(by_i.end_state.currents["anode"] / I - 1) < 1e-7
    with pytest.raises(InputError, match="tol_K"):
        et.pulse(voltage_V=V, width_s=1e-3, times=[1e-3], tol_K=0.0)


def test_zero_heat_source_leaves_ambient_and_the_electrical_only_solution():
    """Isothermal limit: no heat, T = T_ambient_K everywhere, the state that of the electrical solve."""
    from fem_cqd.electrical import solve_bias
    dm = resistor_device()
    et = Electrothermal(dm, CONTACTS, BCS, heat_source=lambda s: (np.zeros_like(s.heat), 0.0))
    pt = et.operating_point(voltage_V=0.012)
    # exactly: the heat solve works on T - T_ref (before, conductances ~1e5 W/K times 300 K left 2e-8 K and a
    # -8e-9 W phantom sink)
    assert np.all(pt.thermal.T == 300.0) and pt.iterations == 1
    assert pt.thermal.power_boundary["heat_sink"] == 0.0
    ref = solve_bias(et.device, {"anode": 0.012})
    assert pt.current == pytest.approx(ref.currents["anode"], rel=1e-12)
    assert np.allclose(pt.electrical.psi, ref.psi, rtol=0, atol=1e-12)


def test_fixed_current_point_from_a_start_at_another_current_is_the_same_fixed_point():
    # the first temperature iterate is the start's rise scaled by the current ratio (a predictor):
    # it changes the path, not the fixed point
    dm = resistor_device()
    et = Electrothermal(dm, CONTACTS, BCS)
    low = et.operating_point(voltage_V=0.008, tol_K=1e-7)
    target = 1.5 * low.current
    guess = et._predicted_temperature(low, target)
    rise = low.T_electrical - et.T_ambient_K
    assert np.allclose(guess - et.T_ambient_K, 1.5 * rise)
    fresh = et.operating_point(current=target, tol_K=1e-7)
    carried = et.operating_point(current=target, start=low, tol_K=1e-7)
    assert abs(carried.voltage_V / fresh.voltage_V - 1) < 1e-6
    assert np.max(np.abs(carried.thermal.T - fresh.thermal.T)) < 1e-5
