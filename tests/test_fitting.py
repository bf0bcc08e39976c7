"""fitting: the searches find what brute force finds, APGR is the area `slr eval` draws, and
chosen numbers are round."""

from __future__ import annotations

import random

import pytest

from smart_llm_router import load_config
from smart_llm_router.evaluate import cost_quality_curve
from smart_llm_router.fitting import WEIGHT_RANGE, Fixed, LabelledModel, Params, Probed, apgr, choose, roundest
from smart_llm_router.tables import DIMENSIONS


def _toy(seed: int, n: int = 120) -> LabelledModel:
    """Random requests: counts 0..3 per keyword dimension, tokenCount raw in -1..1, and tables
    that route the score's tier as is, except a few floored at COMPLEX."""
    rng = random.Random(seed)
    columns = [
        [round(rng.uniform(-1, 1), 3) if d == "tokenCount" else float(rng.choice((0, 0, 0, 1, 2, 3))) for _ in range(n)]
        for d in DIMENSIONS
    ]
    signs = [-1.0 if d == "simpleIndicators" else 1.0 for d in DIMENSIONS]
    tables = [tuple(max(t, 2) if rng.random() < 0.1 else t for t in range(4)) * 2 for _ in range(n)]
    labels = [rng.randrange(4) for _ in range(n)]
    return LabelledModel(Probed(columns, signs, tables), range(n), Fixed(40.0, 1, 0.5), labels)


def _start() -> Params:
    return Params.of(load_config(None).smart_router.scoring)


@pytest.mark.parametrize("seed", range(3))
def test_line_searches_find_the_best_value_brute_force_finds(seed: int) -> None:
    model = _toy(seed)
    start = _start()
    model.set(start)
    for coordinate in [("weight", d) for d in range(len(DIMENSIONS))] + [("boundary", j) for j in range(3)]:
        now = model.value
        found = model.best(coordinate)
        if coordinate[0] == "weight":
            grid = [WEIGHT_RANGE[0] + k / 300 for k in range(301)]
        else:
            j = coordinate[1]
            lo = start.boundaries[j - 1] if j else -1.0
            hi = start.boundaries[j + 1] if j < 2 else 1.5
            grid = [lo + (hi - lo) * k / 300 for k in range(1, 300)]
        brute = []
        for x in grid:
            p = start.copy()
            p.put(coordinate, x)
            brute.append(model.set(p))
        model.set(start)
        if found is None:
            assert max(brute) <= now, coordinate
        else:
            value, x = found
            p = start.copy()
            p.put(coordinate, x)
            assert model.set(p) == value >= max(brute), coordinate
            model.set(start)


def test_apgr_is_the_area_slr_eval_draws() -> None:
    rng = random.Random(3)
    for _ in range(200):
        n = rng.randint(1, 30)
        keys = [(rng.randrange(4), rng.choice((0.1, 0.2, rng.random()))) for _ in range(n)]
        cheap = [rng.choice((0, 0.5, 1)) for _ in range(n)]
        strong = [rng.choice((0, 0.7, 1)) for _ in range(n)]
        gains = [s - c for c, s in zip(cheap, strong)]
        expected = cost_quality_curve(keys, cheap, strong, [False] * n).apgr
        assert apgr(keys, gains, sum(strong) / n - sum(cheap) / n) == pytest.approx(expected, abs=1e-12)


def test_choose_takes_the_best_interval_and_a_round_number_in_it() -> None:
    # 5 up to 0.2, 7 from 0.2 to 0.6, 6 beyond.
    events = [(0.2, 2.0), (0.6, -1.0)]
    assert choose(5.0, list(events), 0.0, 1.0, 0.1, 5.0) == (7.0, 0.5)  # in the middle half: 0.3..0.5
    assert choose(5.0, list(events), 0.0, 1.0, 0.5, 7.0) is None  # nothing beats what is
    assert choose(5.0, [], 0.0, 1.0, 0.1, 5.0) is None


@pytest.mark.parametrize(("a", "c", "expected"), [(0.12, 0.38, 0.2), (0.0301, 0.0349, 0.032), (-0.2, 0.9, 0.5)])
def test_roundest(a: float, c: float, expected: float) -> None:
    assert roundest(a, c, -10.0, 10.0) == expected
