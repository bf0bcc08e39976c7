"""Starting the proxy the ways users do: `slr start --demo`, a config written by `slr init`
and copied elsewhere run by plain `litellm --config`, and `--workers 2`. Loopback only; every
process is stopped."""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import openai
import pytest
import yaml

from helpers import slr_command
from smart_llm_router.configure import write_init
from smart_llm_router.proxy import (
    PortInUseError,
    _listening_ports_lsof,
    _listening_ports_proc,
    free_port,
    listening_ports,
    litellm_command,
    offline_env,
    port_in_use,
    running_proxy,
    stop,
    wait_ready,
)

pytestmark = pytest.mark.e2e

PROOF = "Prove that sqrt(2) is irrational step by step"


def ask(url: str, profile: str = "auto", text: str = PROOF) -> tuple[dict, str]:
    client = openai.OpenAI(base_url=f"{url}/v1", api_key="sk-anything", max_retries=0, timeout=60)
    raw = client.chat.completions.with_raw_response.create(
        model=f"smart/{profile}", messages=[{"role": "user", "content": text}]
    )
    return dict(raw.headers), raw.parse().choices[0].message.content


def test_slr_start_demo_end_to_end(tmp_path: Path) -> None:
    """The README's first command, as a user runs it; stopped with SIGTERM like Ctrl-C."""
    port = free_port()
    with open(tmp_path / "out.log", "w") as log:
        process = subprocess.Popen(
            [*slr_command(), "start", "--demo", "--port", str(port)],
            stdout=log,
            stderr=log,
            env=offline_env(),
            start_new_session=True,
        )
        try:
            wait_ready(f"http://127.0.0.1:{port}/health/liveliness", process, 180)
            deadline = time.monotonic() + 30
            while "proxy ready" not in (tmp_path / "out.log").read_text() and time.monotonic() < deadline:
                time.sleep(0.2)
            headers, text = ask(f"http://127.0.0.1:{port}")
            assert headers["x-smart-router-tier"] == "REASONING"
            assert "model=deepseek/deepseek-r1 tier=REASONING" in text
        finally:
            stop(process, grace=30)
    output = (tmp_path / "out.log").read_text()
    assert "smart-llm-router proxy ready" in output and "demo upstream" in output
    assert "Traceback" not in output


def test_an_init_config_copied_anywhere_runs_under_plain_litellm(tmp_path: Path) -> None:
    upstream_port = free_port()
    upstream = subprocess.Popen(
        [sys.executable, "-m", "smart_llm_router.upstream", "--port", str(upstream_port)], start_new_session=True
    )
    proxy = None
    try:
        written = tmp_path / "a" / "smart-llm-router.yaml"
        write_init("openai", written)
        data = yaml.safe_load(written.read_text("utf-8"))
        for entry in data["model_list"]:  # point the models at the fake upstream
            entry["litellm_params"]["api_base"] = f"http://127.0.0.1:{upstream_port}/v1"
        elsewhere = tmp_path / "b" / "copied.yaml"
        elsewhere.parent.mkdir()
        elsewhere.write_text(yaml.safe_dump(data, sort_keys=False), "utf-8")
        env = offline_env(
            {**os.environ, "OPENAI_API_KEY": "sk-fake", "LITELLM_MASTER_KEY": "sk-test-master-0123456789"}
        )
        env.pop("SMART_LLM_ROUTER_CONFIG", None)
        port = free_port(avoid={upstream_port})  # (the upstream may not have bound it yet)
        with open(tmp_path / "proxy.log", "w") as log:
            proxy = subprocess.Popen(
                [*litellm_command(), "--config", str(elsewhere), "--host", "127.0.0.1", "--port", str(port)],
                env=env,
                cwd=tmp_path,
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
            wait_ready(f"http://127.0.0.1:{port}/health/liveliness", proxy, 180)
        client = openai.OpenAI(
            base_url=f"http://127.0.0.1:{port}/v1", api_key="sk-test-master-0123456789", max_retries=0
        )
        raw = client.chat.completions.with_raw_response.create(
            model="smart/auto", messages=[{"role": "user", "content": PROOF}]
        )
        assert raw.headers["x-smart-router-tier"] == "REASONING"
        # A real-provider config does not forward the tier to the upstream, only to the client.
        assert "model=o4-mini tier=n/a" in raw.parse().choices[0].message.content
        assert {"smart/auto", "smart/premium"} <= {m.id for m in client.models.list()}
    finally:
        stop(proxy)
        stop(upstream)


def test_refuses_a_public_host_without_a_master_key() -> None:
    env = {k: v for k, v in os.environ.items() if k != "LITELLM_MASTER_KEY"}
    done = subprocess.run(
        [*slr_command(), "start", "--demo", "--host", "0.0.0.0", "--port", str(free_port())],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert "without a master key" in done.stderr and "Traceback" not in done.stderr


def test_every_worker_routes(tmp_path: Path) -> None:
    with (
        open(tmp_path / "proxy.log", "w") as log,
        running_proxy(demo=True, port=free_port(), workers=2, log_file=log, startup_timeout=300) as info,
    ):
        for _ in range(40):
            response = httpx.post(
                f"{info['url']}/v1/chat/completions",
                headers={"Authorization": "Bearer x"},
                json={"model": "smart/auto", "messages": [{"role": "user", "content": PROOF}]},
                timeout=60,
            )
            assert response.status_code == 200
            assert response.headers["x-smart-router-tier"] == "REASONING"
            assert "model=deepseek/deepseek-r1 tier=REASONING" in response.text
    lines = [line for line in (tmp_path / "proxy.log").read_text().splitlines() if '"event": "smart_route"' in line]
    assert len(lines) == 40
    # Both workers answered: each log line names the worker process that routed it.
    assert len({line.split("pid=")[1].split()[0] for line in lines}) == 2


def test_the_demo_upstream_never_takes_the_proxy_port(monkeypatch: pytest.MonkeyPatch) -> None:
    """The OS may hand out the port just chosen for the proxy again (it is not bound yet)."""
    import smart_llm_router.proxy as proxy

    handed_out = iter([5000, 5000, 5001])

    class FakeSocket:
        def __enter__(self) -> FakeSocket:
            return self

        def __exit__(self, *exc: object) -> None:
            return None

        def bind(self, address: tuple[str, int]) -> None:
            self.port = next(handed_out)

        def getsockname(self) -> tuple[str, int]:
            return ("127.0.0.1", self.port)

    monkeypatch.setattr(proxy.socket, "socket", FakeSocket)
    assert proxy.free_port(avoid={5000}) == 5001


# --- a port that belongs to someone else ------------------------------------------------------


class _AlwaysAlive(BaseHTTPRequestHandler):
    """Answers every GET with 200, as a LiteLLM proxy left running answers /health/liveliness."""

    def do_GET(self) -> None:
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"I'm alive!")

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def foreign_server(port: int = 0) -> Iterator[int]:
    """Another program's HTTP server on 127.0.0.1 (``port``, or a free one); yields its port.
    If ``port`` is taken already, something else plays the part and is left alone."""
    try:
        server = ThreadingHTTPServer(("127.0.0.1", port), _AlwaysAlive)
    except OSError:
        yield port
        return
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()


def slr_start(*args: str, timeout: float = 120) -> tuple[int, str, str]:
    """Run `slr start ARGS`; one that is still running after ``timeout`` is stopped like
    Ctrl-C (so its children go too) and the test fails."""
    process = subprocess.Popen(
        [*slr_command(), "start", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=offline_env(),
        start_new_session=True,
    )
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=60)
        pytest.fail(f"slr start {' '.join(args)} was still running after {timeout:.0f} s:\n{stdout}\n{stderr}")
    return process.returncode, stdout, stderr


def test_start_refuses_a_taken_port() -> None:
    with foreign_server() as port:
        started = time.monotonic()
        code, stdout, stderr = slr_start("--demo", "--port", str(port))
    assert code == 2, (stdout, stderr)
    assert f"port {port} on 127.0.0.1 is already in use" in stderr and "--port" in stderr
    assert "proxy ready" not in stdout and "Traceback" not in stderr
    assert time.monotonic() - started < 30  # nothing was started: no LiteLLM start-up to wait for


def test_start_never_takes_a_server_on_4000_for_the_proxy() -> None:
    """The user's case: `slr start --demo` with 4000 held by another server that answers
    /health/liveliness. LiteLLM would move to a random port and the other server answer the
    readiness check; it must be an immediate error instead."""
    with foreign_server(4000):
        code, stdout, stderr = slr_start("--demo")
    assert code == 2, (stdout, stderr)
    assert "port 4000 on 127.0.0.1 is already in use" in stderr and "--port" in stderr
    assert "proxy ready" not in stdout


def _http_server_child(port: int, *, via_shell: bool = False) -> subprocess.Popen[bytes]:
    """A child in a new process group listening on ``port`` (via a shell: a grandchild does)."""
    serve = [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"]
    cmd = ["/bin/sh", "-c", f"{shlex.join(serve)}; true"] if via_shell else serve
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def test_readiness_is_not_answered_by_a_foreign_server() -> None:
    with foreign_server() as port:
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True)
        try:
            with pytest.raises(RuntimeError, match="did not answer") as caught:
                wait_ready(f"http://127.0.0.1:{port}/health/liveliness", child, 3, port=port)
            assert not isinstance(caught.value, PortInUseError)
        finally:
            stop(child)


def test_readiness_sees_a_proxy_that_moved_off_its_port() -> None:
    with foreign_server() as port:
        moved = free_port(avoid={port})
        child = _http_server_child(moved)
        try:
            started = time.monotonic()
            with pytest.raises(PortInUseError) as caught:
                wait_ready(f"http://127.0.0.1:{port}/health/liveliness", child, 60, port=port)
            assert (caught.value.port, caught.value.moved_to) == (port, moved)
            assert time.monotonic() - started < 30
        finally:
            stop(child)


@pytest.mark.parametrize("via_shell", [False, True])
def test_readiness_accepts_our_own_child(via_shell: bool) -> None:
    port = free_port()
    child = _http_server_child(port, via_shell=via_shell)
    try:
        wait_ready(f"http://127.0.0.1:{port}/", child, 30, port=port)
        assert listening_ports(child.pid) == {port}
        assert _listening_ports_proc(child.pid) == {port}
        if shutil.which("lsof"):
            assert _listening_ports_lsof(child.pid) == {port}
    finally:
        stop(child)


def test_port_in_use() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        assert port_in_use("127.0.0.1", port)  # bound without SO_REUSEADDR: uvicorn's bind would fail too
        s.listen()
        assert port_in_use("127.0.0.1", port) and port_in_use("0.0.0.0", port)
    assert not port_in_use("127.0.0.1", port)
