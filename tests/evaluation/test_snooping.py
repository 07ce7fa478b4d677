"""Tests of SPA, StepM, MCS and PBO (CSCV)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from sensequant.evaluation.snooping import (
    PBO_TIE_RULE,
    model_confidence_set,
    pbo_cscv,
    spa_test,
    stepm,
)
from sensequant.types import IST

IDX = pd.bdate_range("2012-01-02", periods=1500, tz=IST)


def _trials(seed: int, n: int = 6, winner_edge: float = 0.0) -> tuple[pd.Series, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    bench = pd.Series(rng.normal(0.0, 0.01, len(IDX)), index=IDX, name="NIFTY 50")
    models = pd.DataFrame(
        rng.normal(0.0, 0.01, (len(IDX), n)), index=IDX, columns=[f"m{i}" for i in range(n)]
    )
    bench -= bench.mean()  # in-sample means exactly 0: the null holds in the sample too
    models -= models.mean()
    models["m3"] += winner_edge
    return bench, models


def test_spa_small_pvalue_for_a_planted_winner_and_large_under_the_null() -> None:
    bench, models = _trials(0, winner_edge=0.002)
    res = spa_test(bench, models, reps=300, seed=7)
    assert res.pvalue_consistent < 0.01
    assert res.pvalue_lower <= res.pvalue_consistent <= res.pvalue_upper
    assert (res.reps, res.seed, res.n_models, res.benchmark_name) == (300, 7, 6, "NIFTY 50")
    assert res.block_length >= 1
    again = spa_test(bench, models, reps=300, seed=7)
    assert again == res
    bench0, null = _trials(1)
    assert spa_test(bench0, null, reps=300, seed=7).pvalue_consistent > 0.2
    worse = null - 0.0005  # every configuration = benchmark-like noise minus costs
    assert spa_test(bench0, worse, reps=300, seed=7).pvalue_consistent > 0.5
    fixed = spa_test(bench0, null, reps=100, seed=7, block_length=12)
    assert fixed.block_length == 12 and fixed.to_dict()["benchmark"] == "NIFTY 50"


def test_stepm_and_mcs_find_the_planted_winner() -> None:
    bench, models = _trials(2, winner_edge=0.002)
    assert stepm(bench, models, reps=300, seed=1) == ["m3"]
    bench0, null = _trials(3)
    assert stepm(bench0, null, reps=300, seed=1) == []
    models["m5"] -= 0.003
    mcs = model_confidence_set(models, reps=300, seed=1, size=0.1)
    assert "m3" in mcs and "m5" not in mcs


def test_snooping_input_errors() -> None:
    bench, models = _trials(4)
    with pytest.raises(ValueError, match="share 20 dates"):
        spa_test(bench[:20], models, reps=10, seed=0)
    with pytest.raises(ValueError, match="NaN"):
        spa_test(bench, models.mask(models == models.iloc[3, 2]), reps=10, seed=0)
    with pytest.raises(ValueError, match="one column per configuration"):
        stepm(bench, models.iloc[:, :0], reps=10, seed=0)
    with pytest.raises(ValueError, match=">= 2 models"):
        model_confidence_set(models[["m0"]], reps=10, seed=0)


def test_pbo_hand_checkable_case() -> None:
    # S = 2 blocks of 2 rows; per-period Sharpe of [a, b] is (a+b)/2 / (|a-b|/sqrt 2).
    x = 0.01 * np.array(
        [[1.0, 0.0, -1.0], [3.0, 2.0, 1.0],  # block A: SR 1.414, 0.707, 0
         [-1.0, 1.0, 0.0], [1.0, 3.0, 2.0]]  # block B: SR 0, 1.414, 0.707
    )  # fmt: skip
    res = pbo_cscv(pd.DataFrame(x), n_splits=2)
    # IS = A: best trial 0, OOS (B) rank 1 of 3 -> w = 1/4; IS = B: best trial 1, OOS (A)
    # rank 2 of 3 -> w = 2/4, lambda = 0, which counts as overfit.
    np.testing.assert_allclose(res.lambdas, [math.log(1 / 3), 0.0], atol=1e-12)
    assert res.pbo == 1.0 and res.n_combinations == 2 and res.n_splits == 2
    assert res.tie_rule == PBO_TIE_RULE and res.lambda_median == pytest.approx(math.log(1 / 3) / 2)
    # average ranks: duplicating the OOS winner ties it with itself
    tied = pbo_cscv(pd.DataFrame(np.column_stack([x, x[:, 1]])), n_splits=2)
    # IS = A: trial 0 OOS rank 1 of 4 -> w = 1/5; IS = B: trials 1 and 3 tie IS, first wins;
    # its OOS Sharpe 0.707 ties with trial 3: ranks 2 and 3 -> 2.5 -> w = 2.5 / 5 -> lambda 0
    np.testing.assert_allclose(tied.lambdas, [math.log(1 / 4), 0.0], atol=1e-12)


def test_pbo_near_zero_with_a_truly_best_trial_and_near_half_for_noise() -> None:
    rng = np.random.default_rng(5)
    x = pd.DataFrame(rng.normal(0.0, 0.01, (1500, 20)))
    x[7] += 0.002
    res = pbo_cscv(x)  # S = 16: 12,870 combinations x 20 trials
    assert res.n_combinations == 12870 and res.lambdas.shape == (12870,)
    assert res.pbo < 0.01 and res.lambda_median > 2.0
    noise = [
        pbo_cscv(pd.DataFrame(np.random.default_rng(s).normal(0, 0.01, (400, 10))), n_splits=8).pbo
        for s in range(20)
    ]
    assert 0.4 < float(np.mean(noise)) < 0.65


def test_pbo_matches_purgedcv() -> None:
    purgedcv = pytest.importorskip("purgedcv")
    x = np.random.default_rng(11).normal(0.0002, 0.01, (480, 6))  # N even: no lambda == 0
    mine = pbo_cscv(pd.DataFrame(x), n_splits=8)
    ref = purgedcv.probability_of_backtest_overfitting(x.T, n_splits=8)
    assert mine.pbo == pytest.approx(ref.pbo)
    np.testing.assert_allclose(np.sort(mine.lambdas), np.sort(ref.logits), atol=1e-9)


def test_pbo_input_errors() -> None:
    x = pd.DataFrame(np.random.default_rng(0).normal(size=(40, 3)))
    with pytest.raises(ValueError, match="at least 2 trials"):
        pbo_cscv(x[[0]])
    with pytest.raises(ValueError, match="at least 32 rows"):
        pbo_cscv(x.iloc[:31])
    with pytest.raises(ValueError, match="even"):
        pbo_cscv(x, n_splits=5)
    with pytest.raises(ValueError, match="NaN"):
        pbo_cscv(x.mask(x == x.iloc[5, 1]), n_splits=4)
