"""The hook's added latency: `smart/auto` against the concrete model it picks, through the
same running proxy (demo upstream on 127.0.0.1), side by side in one run; sessions kept in
the proxy's memory, and shared through a real redis-server.

    pytest benches/test_bench_proxy.py --benchmark-only --benchmark-group-by=group --benchmark-columns=median,min,rounds -s

pytest-benchmark times each side in its own block of rounds, so drift on a busy machine shows
up as a difference; `test_interleaved_ratio` alternates the two request by request and prints
the median ratio, which is the figure the README reports.
"""

from __future__ import annotations

import asyncio
import contextlib
import statistics
from pathlib import Path

import httpx
import pytest
import yaml

from conftest import EN_SEEDS, make_prompts, rotating
from smart_llm_router import route
from smart_llm_router.bench import run_ab
from smart_llm_router.proxy import demo_config, free_port, redis_port, running_proxy, running_redis, running_upstream

SIZES = {"50": 50, "500": 500, "5K": 5_000}


@contextlib.contextmanager
def proxy_stack(tmp: Path, redis: bool):
    """The demo upstream and a proxy with the bundled config pointed at it; with ``redis``,
    `router_settings.redis_*` set, so sessions go through a real redis-server. The demo's
    `forward_tier_header` is off, as it is by default: it sends the tier to the upstream
    (which real providers never get) and costs LiteLLM ~80 Python calls a request."""
    with contextlib.ExitStack() as stack:
        port = stack.enter_context(running_upstream())
        data = demo_config(port)
        data["smart_router"]["forward_tier_header"] = False
        if redis:
            server = stack.enter_context(running_redis())
            data["router_settings"].update({"redis_host": "127.0.0.1", "redis_port": redis_port(server)})
        config = tmp / "config.yaml"
        config.write_text(yaml.safe_dump(data, sort_keys=False), "utf-8")
        log = stack.enter_context(open(tmp / "proxy.log", "w"))
        info = stack.enter_context(
            running_proxy(
                config, port=free_port(avoid={port}), log_file=log, env={"SMART_LLM_ROUTER_LOG_LEVEL": "WARNING"}
            )
        )
        yield stack.enter_context(httpx.Client(base_url=info["url"], headers={"Authorization": "Bearer x"}, timeout=60))


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory):
    with proxy_stack(tmp_path_factory.mktemp("proxy"), redis=False) as c:
        yield c


@pytest.fixture(scope="module")
def redis_client(tmp_path_factory: pytest.TempPathFactory):
    with proxy_stack(tmp_path_factory.mktemp("proxy-redis"), redis=True) as c:
        yield c


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("target", ["concrete", "smart/auto"])
def test_proxy_latency(benchmark, client: httpx.Client, size: str, target: str) -> None:
    # Prompts that all route to one model, so both sides reach the same upstream model.
    prompts = [p for p in make_prompts(SIZES[size], count=24, seeds=EN_SEEDS)]
    model = route(prompts[0]).model
    prompts = [p for p in prompts if route(p).model == model][:8]
    benchmark.group = f"proxy {size} chars"
    next_prompt = rotating(prompts)

    def call() -> int:
        body = {
            "model": model if target == "concrete" else target,
            "messages": [{"role": "user", "content": next_prompt()}],
        }
        return client.post("/v1/chat/completions", json=body).status_code

    for _ in range(5):
        call()  # warm up both paths
    assert benchmark.pedantic(call, rounds=150, iterations=1) == 200


def interleaved(benchmark, client: httpx.Client, size: str, sessions: bool, label: str) -> None:
    prompts = make_prompts(SIZES[size], count=24, seeds=EN_SEEDS)
    model = route(prompts[0]).model
    prompts = [p for p in prompts if route(p).model == model][:8]
    rounds = 20 if benchmark.disabled else 600  # a smoke run under --benchmark-disable
    benchmark.group = "proxy A/B run (whole run; the ratio is printed)"
    smart, concrete = benchmark.pedantic(
        lambda: asyncio.run(
            run_ab(str(client.base_url), prompts, "smart/auto", model, rounds=rounds, sessions=sessions)
        ),
        rounds=1,
        iterations=1,
    )
    ratio = statistics.median(smart) / statistics.median(concrete)
    print(
        f"\n{size} chars, {label}: smart/auto {statistics.median(smart) * 1000:.2f} ms, "
        f"{model} {statistics.median(concrete) * 1000:.2f} ms, median ratio {ratio:.3f}"
    )
    assert smart and concrete


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("sessions", [False, True], ids=["no session id", "session in memory"])
def test_interleaved_ratio(benchmark, client: httpx.Client, size: str, sessions: bool) -> None:
    interleaved(benchmark, client, size, sessions, "session in memory" if sessions else "no session id")


@pytest.mark.parametrize("size", ["50", "500"])
def test_interleaved_ratio_redis(benchmark, redis_client: httpx.Client, size: str) -> None:
    interleaved(benchmark, redis_client, size, True, "session in Redis")
