"""Sticky sessions: a conversation's held tier and model between requests.

State lives in LiteLLM's own caches: an ``InMemoryCache`` per proxy worker (bounded, with a
TTL), and the Redis that LiteLLM's router is configured with when there is one, so several
proxy instances share sessions. Redis is optional in every sense: a failed or slow call
(``redis_timeout_ms``) makes this worker use its memory alone for ``redis_retry_seconds``, with
one warning per outage; no request ever fails or waits longer because of it.

Keys are hashes: of the caller's API key and team (the scope), where the session id came from,
and the id itself. One key can never read, hold or reset another key's session, and no prompt
or raw key is stored.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import logging
import os
import sys
import time
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass
from typing import Any

from .asks import Ask
from .config import SessionConfig
from .tables import RESET_HEADER, SESSION_HEADER

# A client's session id: at most this long, printable, no control characters.
MAX_SESSION_ID = 256
_PREFIX = "smart-router:session:"
_RESPONSE_PREFIX = "smart-router:response:"
# Every session write is announced here as "<writer> <key>" (see SessionStore).
CHANNEL = "smart-router:sessions:written"
# Seconds between the listener's PINGs on a quiet channel.
LISTEN_PING = 5.0
_TRUE, _FALSE = frozenset({"1", "true", "yes", "on"}), frozenset({"0", "false", "no", "off", ""})

log = logging.getLogger("smart_llm_router")


class SessionHeaderError(ValueError):
    """A session header the router cannot use; the message says why."""


@dataclass(frozen=True, slots=True)
class Session:
    """Where one request's conversation state is kept."""

    key: str  # the store key (scoped hash)
    short: str  # 12 hex characters of it, for headers and logs
    source: str  # header, metadata, litellm, response, user or first_message
    # The client named the session, so it holds even when the body carries no history.
    explicit: bool


def _clean_id(value: Any, where: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise SessionHeaderError(f"{where} must be a string, got {type(value).__name__}")
    value = value.strip()
    if not value:
        return None
    if len(value) > MAX_SESSION_ID or not value.isprintable():
        raise SessionHeaderError(f"{where} must be 1-{MAX_SESSION_ID} printable characters")
    return value


def request_headers(data: Mapping[str, Any]) -> Mapping[str, Any]:
    """The client's request headers as LiteLLM hands them to a pre-call hook (lower-case
    names, auth headers removed)."""
    server = data.get("proxy_server_request")
    headers = server.get("headers") if isinstance(server, Mapping) else None
    if isinstance(headers, Mapping):
        return headers
    for key in ("litellm_metadata", "metadata"):
        md = data.get(key)
        if isinstance(md, Mapping) and isinstance(md.get("headers"), Mapping):
            return md["headers"]  # type: ignore[no-any-return]
    return {}


def wants_reset(headers: Mapping[str, Any]) -> bool:
    value = headers.get(RESET_HEADER)
    if value is None:
        return False
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise SessionHeaderError(f"{RESET_HEADER} must be true or false, got {str(value)[:40]!r}")


def scope(user_api_key_dict: Any) -> str:
    """The caller's identity for session isolation: a hash of LiteLLM's hash of the API key
    and of the team."""
    token = getattr(user_api_key_dict, "token", None) or getattr(user_api_key_dict, "api_key", None)
    team = getattr(user_api_key_dict, "team_id", None)
    return _scope(str(token or ""), str(team or ""))


@functools.lru_cache(maxsize=4096)
def _scope(token: str, team: str) -> str:
    return _digest(token, team)


def _digest(*parts: str) -> str:
    # A session's requests hash the same caller and id again: short ones are remembered (a
    # first message may be a 50 KB system prompt, which is hashed each time instead).
    if sum(map(len, parts)) <= 512:
        return _short_digest(*parts)
    return _sha256(parts)


@functools.lru_cache(maxsize=2048)
def _short_digest(*parts: str) -> str:
    return _sha256(parts)


def _sha256(parts: tuple[str, ...]) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode("utf-8", "surrogatepass"))
        h.update(b"\x00")
    return h.hexdigest()


def response_key(caller: str, response_id: str) -> str:
    """Where a Responses API reply's session is found by the next request's
    ``previous_response_id``."""
    return _RESPONSE_PREFIX + _digest(caller, response_id)[:40]


def identify(data: Mapping[str, Any], headers: Mapping[str, Any], ask: Ask, caller: str) -> Session | None:
    """The request's session, first match wins: the ``x-smart-router-session`` header,
    ``metadata.session_id``, LiteLLM's own session id (``x-litellm-session-id``,
    ``x-claude-code-session-id``, ...), ``user``, else the system prompt and first user
    message. Raises SessionHeaderError for an unusable session id."""
    found: tuple[str, str] | None = None
    value = _clean_id(headers.get(SESSION_HEADER), SESSION_HEADER)
    if value is not None:
        found = ("header", value)
    if found is None:
        for key in ("metadata", "litellm_metadata"):
            md = data.get(key)
            if isinstance(md, Mapping) and md.get("session_id") is not None:
                value = _clean_id(md.get("session_id"), f"{key}.session_id")
                if value is not None:
                    found = ("metadata", value)
                    break
    if found is None:
        value = data.get("litellm_session_id")
        if isinstance(value, str) and value.strip():
            found = ("litellm", value.strip()[:MAX_SESSION_ID])
    if found is None and ask.previous_response_id:
        # Resolved to the session of the reply it continues (see SessionStore.follow).
        found = ("response", ask.previous_response_id)
    if found is None:
        user = data.get("user")
        if isinstance(user, str) and user.strip():
            found = ("user", user.strip()[:MAX_SESSION_ID])
    if found is None:
        if not ask.first_user:
            return None
        found = ("first_message", _digest(ask.system or "", ask.first_user))
    source, value = found
    digest = _digest(caller, source if source in ("first_message", "response") else "id", value)
    return Session(_PREFIX + digest[:40], digest[:12], source, source not in ("user", "first_message"))


class SessionStore:
    """Session state in a bounded in-memory cache and, when LiteLLM has one, in Redis.

    With Redis, every write is announced on a channel (``CHANNEL``: the writer and the key) and
    each worker listens to it, so a worker's memory is a near cache of Redis: while the
    subscription is live, a session this worker has seen is read from memory, and a write by
    another worker drops the copy. A session that moves between proxies is read from Redis
    once per move; a client that stays on one proxy costs no Redis read at all. When the
    subscription is not live (starting, reconnecting, ``near_cache: false``) every read goes to
    Redis.

    Memory entries are ``(value, written_at, epoch)``: ``written_at`` is when this worker last
    wrote the value to Redis (0: read from there), ``epoch`` the subscription generation the
    entry was made under; a copy from an earlier one is not trusted, since announcements may
    have been missed in between.
    """

    def __init__(self, config: SessionConfig, redis: Any = None, memory: Any = None) -> None:
        from litellm.caching.in_memory_cache import InMemoryCache

        self.config = config
        self._ttl = config.ttl_seconds
        self._timeout = config.redis_timeout_ms / 1000
        self.memory = (
            memory
            if memory is not None
            else InMemoryCache(max_size_in_memory=config.max_entries, default_ttl=config.ttl_seconds)
        )
        # None: not looked for yet (the proxy's router may not exist at import); False: none.
        self._redis: Any = redis if redis is not None else (False if config.redis == "off" else None)
        self._down_until = 0.0
        self._tasks: set[asyncio.Task[None]] = set()
        # Keys whose Redis write waits for the reply (``publish``), oldest first.
        self._pending: dict[str, None] = {}
        self._clients: tuple[Any, Any, str] | None = None  # (event loop, client, key prefix)
        # The newest background write of each key being written (writes of a key run in order).
        self._writing: dict[str, asyncio.Task[None]] = {}
        # The near cache: this worker's name on the channel, the subscription's generation and
        # whether it is live now, the listening task, and a count of the copies dropped.
        self._writer = os.urandom(8).hex()
        self._epoch = 0
        self._live = False
        self._listener: tuple[Any, asyncio.Task[None]] | None = None
        self.invalidations = 0

    @property
    def redis(self) -> Any:
        if self._redis is None:
            self._redis = _litellm_redis() or False
            if self._redis:
                log.info("smart-router: sessions are shared through LiteLLM's Redis")
        return self._redis or None

    @property
    def near(self) -> bool:
        """Whether reads are served from memory now (the subscription is live)."""
        return self._live

    def _redis_up(self) -> Any:
        redis = self.redis
        if redis is None or time.monotonic() < self._down_until:
            return None
        return redis

    def _redis_failed(self, error: BaseException) -> None:
        if self._down_until <= time.monotonic():
            log.warning(
                "smart-router: Redis session store unavailable (%s); routing continues with this "
                "worker's memory for %.0f s",
                type(error).__name__ if not str(error) else f"{type(error).__name__}: {error}",
                self.config.redis_retry_seconds,
            )
        self._down_until = time.monotonic() + self.config.redis_retry_seconds

    async def _bounded(self, call: Awaitable[Any]) -> Any:
        if sys.version_info >= (3, 11):  # no extra task per call
            async with asyncio.timeout(self._timeout):
                return await call
        return await asyncio.wait_for(call, self._timeout)  # pragma: no cover - Python 3.10

    def _client(self, redis: Any) -> tuple[Any, str]:
        """LiteLLM's pooled async client of ``redis`` and its key namespace prefix. Plain
        GET/SET on it skip the RedisCache wrappers (~80 us per call here); a stand-in without
        one is called through its ``async_*_cache`` methods (and has no near cache)."""
        init = getattr(redis, "init_async_client", None)
        if init is None:
            return None, ""
        loop = asyncio.get_running_loop()
        if self._clients is None or self._clients[0] is not loop:
            namespace = getattr(redis, "namespace", None)
            self._clients = (loop, init(), f"{namespace}:" if namespace else "")
        return self._clients[1], self._clients[2]

    async def get(self, key: str) -> Any:
        """The stored value, or None (unknown, expired, or the store is unavailable)."""
        redis = self._redis_up()
        if redis is None:
            return self.local(key)
        entry = self._entry(key)
        if self._live and isinstance(entry, tuple) and entry[2] == self._epoch:
            return entry[0]
        epoch, dropped = self._epoch, self.invalidations
        try:
            client, prefix = self._client(redis)
            if client is not None:
                self._listen_soon(client, prefix)
                value = await self._bounded(client.get(prefix + key))
                value = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
            else:
                value = await self._bounded(redis.async_get_cache(key))
        except Exception as e:  # noqa: BLE001 - Redis must never fail a request
            self._redis_failed(e)
        else:
            if value is not None:
                # Keep the copy only if nothing was announced while the read was on its way
                # (the announcement may overtake the reply on another connection).
                if self._live and (epoch, dropped) == (self._epoch, self.invalidations):
                    mine = isinstance(entry, tuple) and entry[0] == value
                    self.memory.set_cache(key, (value, entry[1] if mine else 0.0, epoch), ttl=self._ttl)
                return value
        return self.local(key)

    def local(self, key: str) -> Any:
        """The value this worker's memory holds for ``key`` (None if none)."""
        entry = self._entry(key)
        return entry[0] if isinstance(entry, tuple) else entry

    def _entry(self, key: str) -> Any:
        """The memory entry of ``key``: LiteLLM's InMemoryCache, read past its get_cache,
        which tries json.loads on every value (an exception per read of a tuple)."""
        memory = self.memory
        expired = getattr(memory, "evict_element_if_expired", None)
        table = getattr(memory, "cache_dict", None)
        if expired is None or not isinstance(table, dict):
            return memory.get_cache(key)
        if key not in table or expired(key):
            return None
        return table.get(key)

    def put(self, key: str, value: str, *, later: bool = False) -> None:
        """Store ``value`` (its TTL starts again); Redis is written in the background, at once
        or (``later``) when ``publish(key)`` says so, unless this worker wrote the same value
        there less than a tenth of the TTL ago and has missed no announcement since (agent
        loops repeat their state on every tool turn)."""
        now = time.monotonic()
        entry = self._entry(key)
        if isinstance(entry, tuple) and entry[0] == value and now - entry[1] < self._ttl / 10:
            if entry[2] == self._epoch or self.redis is None:
                return  # the same state, written lately: nothing to do
        self.memory.delete_cache(key)
        self.memory.set_cache(key, (value, now, self._epoch), ttl=self._ttl)
        if self._redis_up() is None:
            return
        if not later:
            self._write_soon(key, value)
            return
        self._pending[key] = None
        if len(self._pending) > self.config.max_entries:  # replies that never came
            del self._pending[next(iter(self._pending))]

    def publish(self, key: str) -> None:
        """Write a ``later`` value to Redis now (the hook calls this as the reply starts, so
        the write never delays the call upstream)."""
        if self._pending.pop(key, 0) is None and self._redis_up() is not None:
            entry = self._entry(key)
            if isinstance(entry, tuple):
                self._write_soon(key, entry[0])

    def delete(self, key: str) -> None:
        self.memory.delete_cache(key)
        self._pending.pop(key, None)
        if self._redis_up() is not None:
            self._write_soon(key, None)

    def _write_soon(self, key: str, value: str | None) -> None:
        """Write ``key`` in the background, after this worker's earlier writes of it (a reset's
        DEL must not overtake the SET before it on another pooled connection)."""
        previous = self._writing.get(key)
        task = self._spawn(self._redis_write(key, value, previous))
        if task is not None:
            self._writing[key] = task
            task.add_done_callback(functools.partial(self._written, key))

    def _written(self, key: str, task: asyncio.Task[None]) -> None:
        if self._writing.get(key) is task:
            del self._writing[key]

    async def _redis_write(self, key: str, value: str | None, after: asyncio.Task[None] | None = None) -> None:
        """SET (or DEL for None) and announce it, in one round trip."""
        if after is not None and not after.done():
            await asyncio.wait({after})
        try:
            client, prefix = self._client(self.redis)
            if client is None:
                if value is None:
                    await self._bounded(self.redis.async_delete_cache(key))
                else:
                    await self._bounded(self.redis.async_set_cache(key, value, ttl=self._ttl))
                return
            pipe = client.pipeline(transaction=False)
            if value is None:
                pipe.delete(prefix + key)
            else:
                pipe.set(prefix + key, value, ex=self._ttl)
            if self.config.near_cache:
                pipe.publish(prefix + CHANNEL, f"{self._writer} {key}")
            await self._bounded(pipe.execute())
        except Exception as e:  # noqa: BLE001
            self._redis_failed(e)

    # --- the near cache's subscription ------------------------------------------------------

    def _listen_soon(self, client: Any, prefix: str) -> None:
        """Start listening to the channel on this event loop, unless already (or off)."""
        if not self.config.near_cache or not hasattr(client, "pubsub"):
            return
        loop = asyncio.get_running_loop()
        if self._listener is not None and self._listener[0] is loop and not self._listener[1].done():
            return
        self._listener = (loop, loop.create_task(self._listen(client, prefix + CHANNEL)))

    async def _listen(self, client: Any, channel: str) -> None:
        """Drop the copies other workers announce writes of; PING every LISTEN_PING seconds
        and give up (reads go to Redis again) when a PONG is late or the connection fails."""
        pubsub = client.pubsub()
        try:
            await self._bounded(pubsub.subscribe(channel))
            pinged = time.monotonic()
            waiting = False
            while True:
                message = await pubsub.get_message(timeout=LISTEN_PING / 4)
                now = time.monotonic()
                if message is None:
                    if waiting and now - pinged > self._timeout + LISTEN_PING / 4:
                        raise TimeoutError("the subscription did not answer a PING")
                    if not waiting and now - pinged > LISTEN_PING:
                        await self._bounded(pubsub.ping())
                        pinged, waiting = now, True
                    continue
                kind = message.get("type")
                if kind == "subscribe":
                    self._epoch += 1
                    self._live = True
                elif kind == "message":
                    self._announced(message.get("data"))
                elif kind == "pong":
                    waiting = False
        except asyncio.CancelledError:
            raise
        except Exception as e:  # noqa: BLE001 - reads simply go to Redis again
            self._redis_failed(e)
        finally:
            self._live = False
            self._epoch += 1
            with contextlib.suppress(Exception):
                await pubsub.aclose()

    def _announced(self, data: Any) -> None:
        text = data.decode("utf-8", "replace") if isinstance(data, bytes) else str(data)
        writer, _, key = text.partition(" ")
        if writer != self._writer and key:
            self.memory.delete_cache(key)
            self.invalidations += 1

    def _spawn(self, coroutine: Any) -> asyncio.Task[None] | None:
        try:
            task = asyncio.get_running_loop().create_task(coroutine)
        except RuntimeError:  # no running loop: memory only
            coroutine.close()
            return None
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def drain(self) -> None:
        """Wait for the background writes (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def close(self) -> None:
        """Stop listening (tests, shutdown)."""
        if self._listener is not None:
            self._listener[1].cancel()
            with contextlib.suppress(BaseException):
                await self._listener[1]
            self._listener = None


def _litellm_redis() -> Any:
    """The RedisCache of the running proxy's router: set under every Redis configuration
    LiteLLM has (router_settings.redis_*, cache_params, REDIS_HOST, coordination_redis)."""
    import sys

    server = sys.modules.get("litellm.proxy.proxy_server")
    router = getattr(server, "llm_router", None)
    cache = getattr(router, "cache", None)
    redis = getattr(cache, "redis_cache", None)
    if redis is None:
        import litellm

        response_cache = getattr(litellm, "cache", None)
        inner = getattr(response_cache, "cache", None)
        redis = getattr(inner, "redis_cache", inner if type(inner).__name__ == "RedisCache" else None)
    return redis
