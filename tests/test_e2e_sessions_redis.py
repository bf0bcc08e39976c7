"""The session store's near cache against a real redis-server: a worker reads the sessions it
has seen from memory while subscribed to the write announcements, and a write, reset or lost
subscription elsewhere sends it back to Redis. Two stores stand for two proxy workers (each
its own memory and LiteLLM RedisCache client), as in a fleet."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

from smart_llm_router.config import SessionConfig  # noqa: E402
from smart_llm_router.sessions import SessionStore  # noqa: E402

pytestmark = pytest.mark.e2e


def store(port: int, **settings: Any) -> SessionStore:
    from litellm.caching.redis_cache import RedisCache

    config = SessionConfig(**{"redis_timeout_ms": 1000, "redis_retry_seconds": 0, **settings})
    return SessionStore(config, redis=RedisCache(host="127.0.0.1", port=port))


async def until(check: Callable[[], bool], seconds: float = 5) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.01)


async def redis_gets(port: int) -> int:
    """How many GETs the server has answered so far (INFO commandstats)."""
    import redis.asyncio as aioredis

    client = aioredis.Redis(host="127.0.0.1", port=port)
    try:
        stats = await client.info("commandstats")
    finally:
        await client.aclose()
    return int(stats.get("cmdstat_get", {}).get("calls", 0))


def run(redis_server: Any, body: Callable[..., Awaitable[None]], **settings: Any) -> None:
    a, b = store(redis_server.port, **settings), store(redis_server.port, **settings)

    async def main() -> None:
        try:
            await body(a, b, redis_server.port)
        finally:
            for s in (a, b):
                await s.drain()
                await s.close()

    asyncio.run(main())


def test_a_worker_reads_the_sessions_it_has_seen_from_memory(redis_server: Any) -> None:
    async def body(a: SessionStore, b: SessionStore, port: int) -> None:
        assert await a.get("near:1") is None  # the first read goes to Redis and starts listening
        await until(lambda: a.near)
        a.put("near:1", "v1")
        await a.drain()
        before = await redis_gets(port)
        assert [await a.get("near:1") for _ in range(20)] == ["v1"] * 20
        assert await redis_gets(port) == before  # none of them asked Redis
        # The other worker has no copy: once listening, it reads Redis once, then its memory.
        await b.get("near:other")
        await until(lambda: b.near)
        before = await redis_gets(port)
        assert [await b.get("near:1") for _ in range(5)] == ["v1"] * 5
        assert await redis_gets(port) == before + 1

    run(redis_server, body)


def test_a_write_by_another_worker_drops_the_copy(redis_server: Any) -> None:
    async def body(a: SessionStore, b: SessionStore, port: int) -> None:
        for s in (a, b):
            await s.get("near:2")
            await until(lambda s=s: s.near)
        a.put("near:2", "v1")
        await a.drain()
        assert await b.get("near:2") == "v1"
        seen_by_a, seen_by_b = a.invalidations, b.invalidations
        b.put("near:2", "v2")
        await b.drain()
        await until(lambda: a.invalidations > seen_by_a)
        assert await a.get("near:2") == "v2"
        # A worker's own writes never drop its own copies.
        await asyncio.sleep(0.1)
        assert b.invalidations == seen_by_b
        # A reset elsewhere is seen too.
        seen_by_a = a.invalidations
        b.delete("near:2")
        await b.drain()
        await until(lambda: a.invalidations > seen_by_a)
        assert await a.get("near:2") is None

    run(redis_server, body)


def test_near_cache_off_reads_redis_every_time(redis_server: Any) -> None:
    async def body(a: SessionStore, b: SessionStore, port: int) -> None:
        a.put("near:3", "v1")
        await a.drain()
        before = await redis_gets(port)
        assert [await a.get("near:3") for _ in range(5)] == ["v1"] * 5
        assert await redis_gets(port) == before + 5
        assert not a.near

    run(redis_server, body, near_cache=False)


def test_a_lost_subscription_sends_reads_back_to_redis(redis_server: Any) -> None:
    async def body(a: SessionStore, b: SessionStore, port: int) -> None:
        import redis.asyncio as aioredis

        await a.get("near:4")
        await until(lambda: a.near)
        a.put("near:4", "v1")
        await a.drain()
        admin = aioredis.Redis(host="127.0.0.1", port=port)
        try:
            # The subscription's connection dies (a failover, a proxy in between timing out):
            # announcements may be missed from here on, so the copy is no longer trusted...
            await admin.client_kill_filter(_type="pubsub")
            await until(lambda: not a.near)
            await admin.set("near:4", "written while nobody listened")
        finally:
            await admin.aclose()
        # ...and the next read asks Redis (and listens again).
        assert await a.get("near:4") == "written while nobody listened"
        await until(lambda: a.near)
        before = await redis_gets(port)
        assert [await a.get("near:4") for _ in range(3)] == ["written while nobody listened"] * 3
        assert await redis_gets(port) == before + 1

    run(redis_server, body)
