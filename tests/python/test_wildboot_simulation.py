"""Rejection rates under the null with 98 clusters of which 10 are treated (the municipality
setting): CR1 t tests over-reject, the restricted wild cluster bootstrap (WCR) is close to the
nominal 5% (MacKinnon & Webb 2017). The full run is marked slow; a cheap version runs by default.

DGP: 98 clusters x 12 periods, cluster sizes 1-6 observations per period (unbalanced), two-way
fixed effects, AR(1) errors within cluster (rho 0.5) whose variance is larger in the treated
clusters, treatment on in 10 clusters from period 7; true effect 0.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import virkning as vk

N_CLUSTERS, N_TREATED, T = 98, 10, 12


def draw(seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    treated = set(rng.choice(N_CLUSTERS, N_TREATED, replace=False))
    for g in range(N_CLUSTERS):
        size = rng.integers(1, 7)
        sd = 2.0 if g in treated else 1.0
        e = np.zeros((T, size))
        e[0] = rng.normal(0, sd, size)
        for t in range(1, T):
            e[t] = 0.5 * e[t - 1] + rng.normal(0, sd, size)
        alpha = rng.normal()
        for t in range(T):
            for i in range(size):
                rows.append((g, g * 10 + i, t, float(g in treated and t >= 7), alpha + 0.1 * t + e[t, i]))
    return pd.DataFrame(rows, columns=["g", "unit", "t", "d", "y"])


def rejection_rates(n_sim: int, reps: int) -> dict[str, float]:
    rej = {"CR1": 0, "WCR": 0, "WCU": 0}
    for s in range(n_sim):
        df = draw(1000 + s)
        fit = vk.feols("y ~ d | unit + t", df, vcov={"CR1": "g"})
        rej["CR1"] += fit.pvalue()["d"] < 0.05
        rej["WCR"] += fit.wildboot("d", bootstrap=vk.Bootstrap(reps=reps, seed=s), conf_int=False).p_value < 0.05
        rej["WCU"] += fit.wildboot("d", bootstrap=vk.Bootstrap(reps=reps, seed=s, impose_null=False), conf_int=False).p_value < 0.05
    return {k: v / n_sim for k, v in rej.items()}


@pytest.mark.filterwarnings("ignore")
def test_null_rejection_cheap():
    r = rejection_rates(60, 199)
    # 60 draws: the binomial sd at 5% is 2.8 points; guard against gross failures only.
    assert r["WCR"] <= 0.15
    assert r["CR1"] >= r["WCR"] - 0.05


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore")
def test_null_rejection_rates_98_clusters_10_treated():
    r = rejection_rates(1000, 399)
    print(f"rejection rates at 5% (1000 simulations, 399 draws): {r}")
    assert 0.025 <= r["WCR"] <= 0.075  # nominal within about 3.5 binomial sd (0.69 points)
    assert r["CR1"] > r["WCR"] + 0.02  # CR1 over-rejects with 10 treated clusters
