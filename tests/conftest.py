"""Shared fixtures: every scorer test runs on both backends; a real Redis for the e2e tests."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

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

    def __init__(self, port: int, process: subprocess.Popen[bytes]) -> None:
        self.port, self.process = port, process

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory: pytest.TempPathFactory):
    from smart_llm_router.proxy import free_port

    exe = shutil.which("redis-server") or "/usr/bin/redis-server"
    if not Path(exe).exists():
        pytest.fail("redis-server is not installed (Debian: apt-get install redis-server); .ci/run installs it")
    port = free_port()
    work = tmp_path_factory.mktemp("redis")
    process = subprocess.Popen(
        [exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(work)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    server = RedisServer(port, process)
    deadline = time.monotonic() + 20
    while not server.ping():
        if process.poll() is not None or time.monotonic() > deadline:
            server.kill()
            pytest.fail(f"redis-server did not start on port {port}")
        time.sleep(0.05)
    yield server
    server.kill()
