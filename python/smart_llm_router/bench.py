"""`slr bench`: scorer speed on a built-in corpus, both backends side by side; and with
`--proxy URL`, the latency of a running proxy under a bounded load."""

from __future__ import annotations

import asyncio
import itertools
import statistics
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import httpx

from .datafiles import read_bundled
from .scoring import Scorer
from .tables import SESSION_HEADER, TIER_HEADER

SIZES = {"50": 50, "500": 500, "5K": 5_000, "500K": 500_000}


@lru_cache(maxsize=1)
def seeds() -> dict[str, list[str]]:
    return read_bundled("bench_seeds.yaml")


def make_prompts(size: int, count: int = 8, seeds: list[str] | None = None) -> list[str]:
    """``count`` different prompts of ``size`` characters, each concatenating the seeds from
    a different starting point."""
    pool = seeds if seeds is not None else globals()["seeds"]()["mixed"]
    prompts = []
    for start in range(count):
        parts, length = [], 0
        for seed in itertools.cycle(pool[start % len(pool) :] + pool[: start % len(pool)]):
            parts.append(seed)
            length += len(seed) + 1
            if length >= size:
                break
        prompts.append(" ".join(parts)[:size])
    return prompts


def builtin_corpus() -> dict[str, list[str]]:
    """Named cases: English and multilingual prompts at each size, and pathological inputs."""
    corpus = {}
    for kind in ("en", "mixed"):
        for name, size in SIZES.items():
            corpus[f"{kind} {name}"] = make_prompts(size, seeds=seeds()[kind])
    corpus["first x400K"] = ["first " * (400_000 // 6)]
    corpus["one 500K word"] = ["x" * 500_000]
    corpus["prove x80K"] = [" ".join(["prove"] * 80_000)]
    corpus["CJK 200K"] = ["证明" * 100_000]
    corpus["emoji 100K"] = ["😀" * 100_000]
    return corpus


def read_corpus(path: Path) -> dict[str, list[str]]:
    """A user's prompts: one per line, or JSONL objects with a "prompt" field."""
    from .evaluate import InputFileError

    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise InputFileError(f"{path}: cannot read: {e}") from None
    prompts = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        if line.lstrip().startswith("{"):
            import json

            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                raise InputFileError(f"{path} line {number}: not valid JSON ({e.msg})") from None
            if not isinstance(obj, dict) or not isinstance(obj.get("prompt"), str):
                raise InputFileError(f"{path} line {number}: expected an object with a string 'prompt'")
            prompts.append(obj["prompt"])
        else:
            prompts.append(line)
    if not prompts:
        raise InputFileError(f"{path}: no prompts")
    return {path.name: prompts}


@dataclass
class Timing:
    case: str
    backend: str
    median_us: float
    p99_us: float
    mb_per_s: float
    calls: int


# Scorers take turns about every ROUND_SECONDS (at least MIN_ROUNDS turns each).
ROUND_SECONDS = 0.02
MIN_ROUNDS = 4


def _timing(backend: str, times: list[float], nbytes: int) -> Timing:
    ordered = sorted(times)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return Timing("", backend, statistics.median(times) * 1e6, p99 * 1e6, nbytes / sum(times) / 1e6, len(times))


def time_scorers(
    scorers: list[Scorer], prompts: list[str], min_seconds: float, min_calls: int = 3, rounds: int | None = None
) -> list[Timing]:
    """Per-call times of each scorer over the prompts in turn, until both minimums are met.

    The scorers take turns in short rounds (default: one per ROUND_SECONDS of `min_seconds`)
    rather than one long run each, so a machine that slows down or speeds up part-way
    (another process, a busy host) moves every scorer's median alike and their ratio stays
    put."""
    if rounds is None:
        rounds = max(MIN_ROUNDS, round(min_seconds / ROUND_SECONDS))
    times: list[list[float]] = [[] for _ in scorers]
    nbytes = [0] * len(scorers)
    sizes = [len(p.encode("utf-8", "surrogatepass")) for p in prompts]

    def call(k: int, i: int) -> None:
        start = time.perf_counter()
        scorers[k].score(prompts[i])
        times[k].append(time.perf_counter() - start)
        nbytes[k] += sizes[i]

    per_round = min_seconds / rounds
    for _ in range(rounds):
        for k in range(len(scorers)):
            deadline = time.perf_counter() + per_round
            for i in itertools.cycle(range(len(prompts))):
                call(k, i)
                if time.perf_counter() >= deadline:
                    break
    for k in range(len(scorers)):
        # Slow calls (a 10 MB prompt in Python) may end every round after one call.
        while len(times[k]) < min_calls:
            call(k, len(times[k]) % len(prompts))
    return [_timing(s.backend, t, b) for s, t, b in zip(scorers, times, nbytes)]


def run_scorer_bench(
    corpus: dict[str, list[str]],
    backends: list[str],
    min_seconds: float = 0.3,
    on_case: Callable[[str], None] | None = None,
) -> list[Timing]:
    """Times `score()` on each case's prompts, the backends interleaved (see `time_scorers`)."""
    scorers = [Scorer(backend=b) for b in backends]
    rows = []
    for case, prompts in corpus.items():
        for scorer in scorers:
            scorer.score(prompts[0])  # warm up
        for timing in time_scorers(scorers, prompts, min_seconds):
            timing.case = case
            rows.append(timing)
        if on_case is not None:
            on_case(case)
    return rows


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
            "requests": ok + sum(self.errors.values()),
            "ok": ok,
            "errors": dict(self.errors),
            "p50_ms": ms(self.percentile(50)),
            "p95_ms": ms(self.percentile(95)),
            "p99_ms": ms(self.percentile(99)),
            "mean_ms": ms(statistics.fmean(self.latencies)) if ok else None,
            "throughput_rps": round(ok / self.wall, 2) if self.wall else None,
            "tiers": dict(self.tiers),
        }


async def run_load(
    url: str,
    *,
    requests: int,
    concurrency: int,
    model: str = "smart/auto",
    api_key: str = "sk-anything",
    prompts: tuple[str, ...] = DEFAULT_PROMPTS,
    timeout: float = 60.0,
    on_done: Any = None,
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
                        result.tiers[response.headers.get(TIER_HEADER, "-")] += 1
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


async def run_ab(
    url: str,
    prompts: list[str],
    model_a: str,
    model_b: str,
    *,
    rounds: int,
    api_key: str = "sk-anything",
    timeout: float = 60.0,
    sessions: bool = False,
) -> tuple[list[float], list[float]]:
    """Latencies of ``model_a`` and ``model_b`` on the same prompts, one request at a time,
    alternating which goes first each round so drift and warm-up hit both alike. With
    ``sessions``, each prompt's requests carry their own ``x-smart-router-session``, so the
    router reads and writes a session on every request."""
    a: list[float] = []
    b: list[float] = []
    async with httpx.AsyncClient(
        base_url=url.rstrip("/"), headers={"Authorization": f"Bearer {api_key}"}, timeout=timeout
    ) as client:

        async def once(model: str, prompt: str) -> float:
            headers = {SESSION_HEADER: f"bench-{prompts.index(prompt)}"} if sessions else {}
            start = time.perf_counter()
            response = await client.post(
                "/v1/chat/completions",
                headers=headers,
                json={"model": model, "messages": [{"role": "user", "content": prompt}]},
            )
            response.raise_for_status()
            return time.perf_counter() - start

        for i in range(rounds):
            prompt = prompts[i % len(prompts)]
            if i % 2:
                b.append(await once(model_b, prompt))
                a.append(await once(model_a, prompt))
            else:
                a.append(await once(model_a, prompt))
                b.append(await once(model_b, prompt))
    return a, b
