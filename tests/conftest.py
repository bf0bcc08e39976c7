"""Shared fixtures: every scorer test runs on both backends; a real Redis for the e2e tests."""

from __future__ import annotations

import shutil
import subprocess

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


class RedisServer:
    """A real redis-server (Debian's package) on a free loopback port, for one test module."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        from smart_llm_router.proxy import redis_port

        self.process, self.port = process, redis_port(process)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


@pytest.fixture(scope="module")
def redis_server():
    from smart_llm_router.proxy import running_redis

    if shutil.which("redis-server") is None:
        pytest.fail("redis-server is not installed (Debian: apt-get install redis-server); .ci/run installs it")
    with running_redis() as process:
        yield RedisServer(process)
