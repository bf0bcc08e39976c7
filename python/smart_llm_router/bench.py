"""`slr bench --proxy URL`: latency of a running proxy under a bounded load."""

from __future__ import annotations

import asyncio
import statistics
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx

DEFAULT_PROMPTS = (
    "hi",
    "what is the capital of france",
    "Write a Python function that merges two sorted lists, with tests.",
    "Prove that sqrt(2) is irrational step by step",
    "design a high-availability microservices architecture for an online shop",
)


@dataclass
class LoadResult:
    latencies: list[float] = field(default_factory=list)  # seconds, successful requests
    errors: Counter[str] = field(default_factory=Counter)
    tiers: Counter[str] = field(default_factory=Counter)
    wall: float = 0.0

    def percentile(self, q: float) -> float | None:
        if not self.latencies:
            return None
        ordered = sorted(self.latencies)
        index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
        return ordered[index]

    def summary(self) -> dict[str, Any]:
        ok = len(self.latencies)
        ms = lambda v: None if v is None else round(v * 1000, 2)  # noqa: E731
        return {
            "requests": ok + sum(self.errors.values()), "ok": ok, "errors": dict(self.errors),
            "p50_ms": ms(self.percentile(50)), "p95_ms": ms(self.percentile(95)), "p99_ms": ms(self.percentile(99)),
            "mean_ms": ms(statistics.fmean(self.latencies)) if ok else None,
            "throughput_rps": round(ok / self.wall, 2) if self.wall else None,
            "tiers": dict(self.tiers),
        }


async def run_load(
    url: str, *, requests: int, concurrency: int, model: str = "smart/auto", api_key: str = "sk-anything",
    prompts: tuple[str, ...] = DEFAULT_PROMPTS, timeout: float = 60.0, on_done: Any = None,
) -> LoadResult:
    """Send ``requests`` chat completions with at most ``concurrency`` in flight."""
    result = LoadResult()
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(requests):
        queue.put_nowait(i)
    headers = {"Authorization": f"Bearer {api_key}"}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async with httpx.AsyncClient(base_url=url.rstrip("/"), headers=headers, timeout=timeout, limits=limits) as client:
        async def worker() -> None:
            while True:
                try:
                    i = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                body = {"model": model, "messages": [{"role": "user", "content": prompts[i % len(prompts)]}]}
                start = time.perf_counter()
                try:
                    response = await client.post("/v1/chat/completions", json=body)
                    if response.status_code == 200:
                        result.latencies.append(time.perf_counter() - start)
                        result.tiers[response.headers.get("x-smart-router-tier", "-")] += 1
                    else:
                        result.errors[f"HTTP {response.status_code}"] += 1
                except httpx.HTTPError as e:
                    result.errors[type(e).__name__] += 1
                if on_done is not None:
                    on_done()

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(max(1, min(concurrency, requests)))))
        result.wall = time.perf_counter() - started
    return result
