"""Shared fixtures: every scorer test runs on both backends."""

from __future__ import annotations

import pytest

from smart_llm_router import Scorer
from smart_llm_router._backend import native_available

BACKENDS = ["native", "python"]


@pytest.fixture(scope="session")
def scorers() -> dict[str, Scorer]:
    """The default scorer on each available backend (native is required in CI, see .ci/run)."""
    built = {"python": Scorer(backend="python")}
    if native_available():
        built["native"] = Scorer(backend="native")
    return built


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    if request.param == "native" and not native_available():
        pytest.skip("native module not built")
    return request.param


@pytest.fixture
def scorer(scorers: dict[str, Scorer], backend: str) -> Scorer:
    return scorers[backend]
