"""Starting the proxy the ways users do: `slr start --demo`, a config written by `slr init`
and copied elsewhere run by plain `litellm --config`, and `--workers 2`. Loopback only; every
process is stopped."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import openai
import pytest
import yaml

from smart_llm_router.configure import write_init
from smart_llm_router.proxy import free_port, litellm_command, offline_env, running_proxy, stop, wait_ready

pytestmark = pytest.mark.e2e

PROOF = "Prove that sqrt(2) is irrational step by step"


def ask(url: str, profile: str = "auto", text: str = PROOF) -> tuple[dict, str]:
    client = openai.OpenAI(base_url=f"{url}/v1", api_key="sk-anything", max_retries=0, timeout=60)
    raw = client.chat.completions.with_raw_response.create(model=f"smart/{profile}", messages=[{"role": "user", "content": text}])
    return dict(raw.headers), raw.parse().choices[0].message.content


def test_slr_start_demo_end_to_end(tmp_path: Path) -> None:
    """The README's first command, as a user runs it; stopped with SIGTERM like Ctrl-C."""
    port = free_port()
    exe = shutil.which("slr")
    cmd = [exe] if exe else [sys.executable, "-m", "smart_llm_router.cli"]
    with open(tmp_path / "out.log", "w") as log:
        process = subprocess.Popen([*cmd, "start", "--demo", "--port", str(port)], stdout=log, stderr=log,
                                   env=offline_env(), start_new_session=True)
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
    upstream = subprocess.Popen([sys.executable, "-m", "smart_llm_router.upstream", "--port", str(upstream_port)],
                                start_new_session=True)
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
        env = offline_env({**os.environ, "OPENAI_API_KEY": "sk-fake", "LITELLM_MASTER_KEY": "sk-test-master-0123456789"})
        env.pop("SMART_LLM_ROUTER_CONFIG", None)
        port = free_port(avoid={upstream_port})  # (the upstream may not have bound it yet)
        with open(tmp_path / "proxy.log", "w") as log:
            proxy = subprocess.Popen([*litellm_command(), "--config", str(elsewhere), "--host", "127.0.0.1", "--port", str(port)],
                                     env=env, cwd=tmp_path, stdout=log, stderr=log, start_new_session=True)
            wait_ready(f"http://127.0.0.1:{port}/health/liveliness", proxy, 180)
        client = openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="sk-test-master-0123456789", max_retries=0)
        raw = client.chat.completions.with_raw_response.create(model="smart/auto", messages=[{"role": "user", "content": PROOF}])
        assert raw.headers["x-smart-router-tier"] == "REASONING"
        # A real-provider config does not forward the tier to the upstream, only to the client.
        assert "model=o4-mini tier=n/a" in raw.parse().choices[0].message.content
        assert {"smart/auto", "smart/premium"} <= {m.id for m in client.models.list()}
    finally:
        stop(proxy)
        stop(upstream)


def test_refuses_a_public_host_without_a_master_key() -> None:
    env = {k: v for k, v in os.environ.items() if k != "LITELLM_MASTER_KEY"}
    exe = shutil.which("slr")
    cmd = [exe] if exe else [sys.executable, "-m", "smart_llm_router.cli"]
    done = subprocess.run([*cmd, "start", "--demo", "--host", "0.0.0.0", "--port", str(free_port())],
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert "without a master key" in done.stderr and "Traceback" not in done.stderr


def test_every_worker_routes(tmp_path: Path) -> None:
    with open(tmp_path / "proxy.log", "w") as log, \
            running_proxy(demo=True, port=free_port(), workers=2, log_file=log, startup_timeout=300) as info:
        for _ in range(40):
            response = httpx.post(f"{info['url']}/v1/chat/completions", headers={"Authorization": "Bearer x"},
                                  json={"model": "smart/auto", "messages": [{"role": "user", "content": PROOF}]}, timeout=60)
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
