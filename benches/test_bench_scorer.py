"""Scorer speed, both backends side by side on the same prompts.

    pytest benches --benchmark-only --benchmark-group-by=group --benchmark-columns=median,min,max,rounds

Each call scores the next of 8 different prompts of the size, so the numbers are medians over
varied inputs: `en` prompts mix English prose, questions and code; `mixed` prompts add
Chinese, Japanese, Russian, German, Spanish, Portuguese, Korean and Arabic. `first x400K` is
400 KB of "first ": the input that makes a backtracking `first.*then` regex quadratic.
"""

from __future__ import annotations

import pytest

from conftest import EN_SEEDS, FIRST_400K, SIZES, make_prompts, rotating
from smart_llm_router import Scorer, ScoringConfig
from smart_llm_router._backend import native_available
from smart_llm_router.tables import TIERS

BACKENDS = ["native", "python"] if native_available() else ["python"]
CASES = {
    **{f"en {name}": make_prompts(size, seeds=EN_SEEDS) for name, size in SIZES.items()},
    **{f"mixed {name}": make_prompts(size) for name, size in SIZES.items()},
    "first x400K": FIRST_400K,
}


@pytest.fixture(scope="module", params=BACKENDS)
def scorer(request: pytest.FixtureRequest) -> Scorer:
    return Scorer(backend=request.param)


@pytest.mark.parametrize("case", list(CASES))
def test_score(benchmark, scorer: Scorer, case: str) -> None:
    benchmark.group = f"score {case}"
    benchmark.extra_info["backend"] = scorer.backend
    next_prompt = rotating(CASES[case])
    result = benchmark(lambda: scorer.score(next_prompt()))
    assert result.tier in TIERS


@pytest.mark.parametrize("backend", BACKENDS)
def test_build(benchmark, backend: str) -> None:
    """Building a Scorer from the default configuration (keyword files already parsed)."""
    benchmark.group = "build"
    config = ScoringConfig.load()
    Scorer(config, backend=backend)
    scorer = benchmark(lambda: Scorer(config, backend=backend))
    assert scorer.n_keywords > 1000


@pytest.fixture(scope="module")
def router():
    from smart_llm_router import Router

    return Router()


SHORT = make_prompts(50) + make_prompts(120)


@pytest.mark.parametrize("call", ["score", "route"])
def test_route_overhead(benchmark, router, call: str) -> None:
    """route() against score() on the same short prompts: the difference is the router's cost."""
    benchmark.group = "route vs score, short prompts"
    benchmark.extra_info["backend"] = router.scorer.backend
    next_prompt = rotating(SHORT)
    fn = router.scorer.score if call == "score" else router.route
    result = benchmark(lambda: fn(next_prompt()))
    assert result.tier in TIERS
