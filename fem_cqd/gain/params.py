"""Parameters of the QD film: packing, exciton kinetics, band-edge optics.

One frozen dataclass, flat so that a study can override any field by name
(``QDParams(tau_x_ns=40.0, charged_fraction=0.3)`` or ``dataclasses.replace``). User-facing
fields carry their unit in the name; the properties convert them to SI once. Every default names
its source: ``PHYSICS.md`` (the project's parameter sheet), a paper, or "assumed".
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from ..errors import InputError, check_finite, check_positive

N_MAX_MIN = 8   # 1S (2) + 1P (6) electron states: fewer states cannot describe 1P filling


@dataclass(frozen=True)
class QDParams:
    """Everything the gain stage needs to know about the QD film.

    Film and excitation
    -------------------
    diameter_nm : 10.0
        Dot diameter. PHYSICS.md consistency check (one hexagonal monolayer of 10 nm dots,
        n2D = 1.16e12 cm^-2).
    gap_nm : 0.0
        Surface-to-surface gap between neighbouring dots (ligands); assumed 0 (touching).
    monolayers : 1.0
        Number of QD monolayers sharing the recombination current; "1-2 monolayers" [Lim 2018].
    capture_efficiency : 1.0
        Fraction eta of the recombination current that creates excitons in dots; assumed.

    Kinetics (exciton-number rate equations)
    ----------------------------------------
    tau_x_ns : 30.0
        Single-exciton lifetime at ``t_ref_K``; PHYSICS.md range 20-40 ns.
    qy_x : 0.9
        Single-exciton quantum yield at ``t_ref_K``; assumed (graded dots are bright).
    radiative_exponent : 2.0
        k_N,r = (n_e n_h)^(p/2) k_X,r, i.e. N^p k_X,r for neutral dots; p = 2 is the PHYSICS.md
        upper estimate (k_XX,r = 4 k_X,r; measured 2-4, i.e. p in [1, 2]). p = 1: independent
        excitons.
    tau_xx_auger_ns : 3.0 or None
        Biexciton Auger lifetime 1/k_XX,A; PHYSICS.md "a few ns for graded dots". ``None``
        switches Auger off.
    qy_activation_eV : 0.2
        Activation energy of the non-radiative single-exciton channel; PHYSICS.md 0.1-0.4 eV.
    t_ref_K : 300.0
        Temperature at which lifetimes, yield, line position and widths are given.
    rate_table_per_ns : None
        Optional user table of total decay rates k_1 ... k_M (1/ns) of the neutral N-exciton
        states, replacing the scaling model (temperature independent); needs M >= n_max.
    n_max : 12
        Largest exciton number kept (>= 8 so that 1P can fill); checked for truncation.
    tail_tol : 1e-6
        Largest allowed probability of the state N = n_max (truncation check).
    charged_fraction : 0.0
        Hypothesis: fraction of dots permanently charged with ``extra_electrons`` electrons
        (Wu et al., Nat. Nanotechnol. 12, 1140 (2017)). 0 = neutral film.
    extra_electrons : 1
        Extra electrons per charged dot (1 or 2).

    Band-edge optics
    ----------------
    lambda_1s_nm : 620.0
        1S transition wavelength at ``t_ref_K``; PHYSICS.md emission ~620 nm (Stokes shift
        neglected, assumed).
    delta_1p_meV : 150.0
        1S-1P transition spacing; PHYSICS.md 0.1-0.2 eV for large dots.
    de_dt_meV_per_K : -0.32
        Transition shift with temperature; PHYSICS.md -0.3 to -0.35 meV/K.
    fwhm_inh_meV : 100.0
        Inhomogeneous (size) Gaussian FWHM; PHYSICS.md 80-120 meV.
    fwhm_hom_meV : 20.0
        Homogeneous Lorentzian FWHM at ``t_ref_K``; assumed.
    dfwhm_hom_dt_meV_per_K : 0.07
        Growth of the homogeneous width with temperature; PHYSICS.md 0.07 meV/K.
    g_max_1s_per_cm : 1000.0
        Peak 1S material gain of the fully inverted film at ``t_ref_K`` (equal to the unpumped
        1S peak absorption); PHYSICS.md "close-packed film material gain ~1e3 cm^-1".
    """

    diameter_nm: float = 10.0
    gap_nm: float = 0.0
    monolayers: float = 1.0
    capture_efficiency: float = 1.0
    tau_x_ns: float = 30.0
    qy_x: float = 0.9
    radiative_exponent: float = 2.0
    tau_xx_auger_ns: float | None = 3.0
    qy_activation_eV: float = 0.2
    t_ref_K: float = 300.0
    rate_table_per_ns: tuple | None = None
    n_max: int = 12
    tail_tol: float = 1e-6
    charged_fraction: float = 0.0
    extra_electrons: int = 1
    lambda_1s_nm: float = 620.0
    delta_1p_meV: float = 150.0
    de_dt_meV_per_K: float = -0.32
    fwhm_inh_meV: float = 100.0
    fwhm_hom_meV: float = 20.0
    dfwhm_hom_dt_meV_per_K: float = 0.07
    g_max_1s_per_cm: float = 1000.0

    def __post_init__(self):
        for name in ("diameter_nm", "monolayers", "tau_x_ns", "t_ref_K", "tail_tol",
                     "lambda_1s_nm", "delta_1p_meV", "fwhm_inh_meV", "fwhm_hom_meV",
                     "g_max_1s_per_cm"):
            check_positive(name, getattr(self, name))
        for name in ("gap_nm", "qy_activation_eV", "dfwhm_hom_dt_meV_per_K"):
            check_positive(name, getattr(self, name), allow_zero=True)
        check_finite("de_dt_meV_per_K", self.de_dt_meV_per_K)
        if self.tau_xx_auger_ns is not None:
            check_positive("tau_xx_auger_ns", self.tau_xx_auger_ns)
        _check_closed("capture_efficiency", self.capture_efficiency, 0.0, 1.0, open_low=True)
        _check_closed("qy_x", self.qy_x, 0.0, 1.0, open_low=True)
        _check_closed("charged_fraction", self.charged_fraction, 0.0, 1.0)
        _check_closed("radiative_exponent", self.radiative_exponent, 1.0, 2.0)
        if not (isinstance(self.n_max, int) and self.n_max >= N_MAX_MIN):
            raise InputError("n_max", self.n_max, f"an integer >= {N_MAX_MIN} (1S + 1P states)")
        if self.extra_electrons not in (1, 2):
            raise InputError("extra_electrons", self.extra_electrons, "1 or 2")
        if self.tail_tol >= 0.5:
            raise InputError("tail_tol", self.tail_tol, "a probability in (0, 0.5)")
        if self.rate_table_per_ns is not None:
            self._check_table()

    def _check_table(self):
        table = self.rate_table_per_ns
        try:
            ok = len(table) >= self.n_max and all(math.isfinite(k) and k > 0 for k in table)
        except TypeError:
            ok = False
        if not ok:
            raise InputError("rate_table_per_ns", table,
                             f"a sequence of >= n_max = {self.n_max} finite rates > 0 (1/ns), "
                             "k_1 ... k_M of the neutral N-exciton states")
        if self.charged_fraction > 0:
            raise InputError("rate_table_per_ns", table,
                             "None when charged_fraction > 0 (trion rates come from the scaling "
                             "model)")

    # --- SI views -------------------------------------------------------------------------
    @property
    def dots_per_m2(self) -> float:
        """Areal dot density of the whole film, n_dots = N_ML * 2 / (sqrt(3) a^2), in m^-2.

        a = diameter + gap is the centre-to-centre distance of a hexagonal monolayer.
        """
        a = (self.diameter_nm + self.gap_nm) * 1e-9
        return self.monolayers * 2.0 / (math.sqrt(3.0) * a * a)

    @property
    def k_xx_auger(self) -> float:
        """Biexciton Auger rate k_XX,A in 1/s (0 when Auger is off)."""
        return 0.0 if self.tau_xx_auger_ns is None else 1e9 / self.tau_xx_auger_ns


def _check_closed(field, value, lo, hi, open_low=False):
    """Raise unless lo <= value <= hi (lo < value with ``open_low``)."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise InputError(field, value, "a real number") from None
    low_ok = x > lo if open_low else x >= lo
    if not (math.isfinite(x) and low_ok and x <= hi):
        raise InputError(field, value, f"a number in {'(' if open_low else '['}{lo}, {hi}]")
