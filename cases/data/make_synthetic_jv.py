"""Write ``synthetic_jv.csv``: a J-V "measurement" of the lim2018 aperture-centre column for the
``fem-cqd fit`` demonstration and tests, from known parameters with 5 % multiplicative noise.

Truth (the operating set with two values changed): TCTA HOMO centre 5.74 eV (set: 5.70) and TCTA
hole mobility 1.5e-4 cm^2/Vs (set: 3e-4); three devices: TCTA 10 nm at 300 K and 340 K, TCTA 20 nm at
300 K (a temperature and a thickness series, fitted jointly); 3-8 V in 0.5 V steps; noise
J (1 + 0.05 g), g standard normal, seed 2018. Run: ``python3 cases/data/make_synthetic_jv.py``.
"""
from pathlib import Path

import numpy as np

from fem_cqd.calibrate import ColumnModel, JVData
from fem_cqd.results import write_csv

TRUTH = {"TCTA.homo_eV": 5.74, "TCTA.mu_p_cm2_per_Vs": 1.5e-4}
VOLTS = np.round(np.arange(3.0, 8.01, 0.5), 3)
DEVICES = ((300.0, 10.0), (340.0, 10.0), (300.0, 20.0))      # (T_K, tcta_nm)
NOISE, SEED = 0.05, 2018


def main(path=Path(__file__).with_name("synthetic_jv.csv")) -> Path:
    model = ColumnModel("lim2018_operating")
    rng = np.random.default_rng(SEED)
    V, J, T, L = [], [], [], []
    for t, tcta in DEVICES:
        j = model.jv(TRUTH, JVData(VOLTS, np.ones_like(VOLTS), t, f"truth {t:g} K {tcta:g} nm", {"tcta_nm": tcta}))
        V += VOLTS.tolist()
        J += (j * (1 + NOISE * rng.standard_normal(j.size))).tolist()
        T += [t] * j.size
        L += [tcta] * j.size
    return write_csv(path, {"voltage_V": V, "current_density_A_per_cm2": J, "T_K": T, "tcta_nm": L})


if __name__ == "__main__":
    print(main())
