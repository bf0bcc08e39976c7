"""The LiteLLM proxy hook: rewrites ``model: "smart/<profile>"`` to the routed model.

Load it from the proxy config by import path, so a config copied anywhere works::

    litellm_settings:
      callbacks: smart_llm_router.hook.handler

It runs in ``async_pre_call_hook``, which LiteLLM calls before routing on
``/v1/chat/completions``, ``/v1/messages``, ``/v1/responses`` and Gemini's
``generateContent`` (streaming or not): the hook routes the request's conversation (with the
session's held state), sets ``model`` to the chosen model and ``fallbacks`` to the rest of the
tier's chain, and the response carries ``x-smart-router-*`` headers. Requests for concrete
models pass untouched.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import sys
import threading
import time
from typing import Any

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

from fastapi import HTTPException  # noqa: E402
from litellm.integrations.custom_logger import CustomLogger  # noqa: E402

from .asks import Ask, RequestError, parse_request  # noqa: E402
from .catalog import check_cost_map  # noqa: E402
from .config import CONFIG_ENV  # noqa: E402
from .router import SMART_PREFIX, Held, NoModelError, Router, RoutingDecision, UnknownProfileError  # noqa: E402
from .sessions import (  # noqa: E402
    Session,
    SessionHeaderError,
    SessionStore,
    identify,
    request_headers,
    response_key,
    scope,
    wants_reset,
)
from .tables import HEADER_PREFIX, TIER_HEADER, TIERS  # noqa: E402

METADATA_KEY = "smart_router"
# Requests whose asks are longer than this (characters) are scored in a worker thread: the
# native scorer releases the GIL, so the event loop keeps serving other requests meanwhile.
OFFLOAD_CHARS = 32_768
# The client format of each LiteLLM call type: a body is checked against its route's format.
API_OF_CALL = {
    "acompletion": "chat",
    "completion": "chat",
    "anthropic_messages": "messages",
    "aresponses": "responses",
    "responses": "responses",
    "agenerate_content": "gemini",
    "agenerate_content_stream": "gemini",
    "generate_content": "gemini",
    "generate_content_stream": "gemini",
}
# Timeouts a client sets on its own request: in the body, or with LiteLLM's x-litellm-timeout
# and x-litellm-stream-timeout headers (which LiteLLM copies into the body before the hook).
CLIENT_TIMEOUTS = ("timeout", "request_timeout", "stream_timeout")

log = logging.getLogger("smart_llm_router")
if not log.handlers:
    # One JSON line per decision on stderr (next to LiteLLM's own log); quiet it with
    # SMART_LLM_ROUTER_LOG_LEVEL=WARNING.
    _stderr = logging.StreamHandler()
    _stderr.setFormatter(logging.Formatter("smart-llm-router pid=%(process)d %(levelname)s %(message)s"))
    log.addHandler(_stderr)
    log.setLevel(os.environ.get("SMART_LLM_ROUTER_LOG_LEVEL", "INFO").upper())
    log.propagate = False


def _config_path() -> str | None:
    """Our config: SMART_LLM_ROUTER_CONFIG, else the file the proxy itself was started with
    (CONFIG_FILE_PATH, or the ``config`` that `litellm --config` stores in WORKER_CONFIG)."""
    candidates = [os.environ.get(CONFIG_ENV), os.environ.get("CONFIG_FILE_PATH")]
    worker = os.environ.get("WORKER_CONFIG")
    if worker:
        try:
            parsed = json.loads(worker)
        except ValueError:
            parsed = worker
        candidates.append(parsed.get("config") if isinstance(parsed, dict) else parsed)
    server = sys.modules.get("litellm.proxy.proxy_server")
    candidates.append(getattr(server, "user_config_file_path", None))
    for value in candidates:
        if isinstance(value, str) and value and os.path.isfile(value):
            return value
    return None


def _bad_request(message: str) -> HTTPException:
    return HTTPException(status_code=400, detail={"error": f"smart-router: {message}"})


def _metadata(data: dict[str, Any]) -> dict[str, Any]:
    # /v1/messages and /v1/responses carry LiteLLM's metadata in litellm_metadata.
    for key in ("litellm_metadata", "metadata"):
        if isinstance(data.get(key), dict):
            return data[key]
    return data.setdefault("metadata", {})


class SmartRouterHook(CustomLogger):
    """LiteLLM CustomLogger that routes ``smart/*`` requests."""

    def __init__(self, router: Router | None = None, sessions: SessionStore | None = None) -> None:
        super().__init__()
        self._router = router
        self._sessions = sessions
        self._log_lock = threading.Lock()

    @property
    def router(self) -> Router:
        if self._router is None:
            self._router = Router(_config_path())
        return self._router

    @property
    def sessions(self) -> SessionStore | None:
        """The session store, or None when sessions (or the conversation policy) are off."""
        conv = self.router.config.smart_router.conversation
        if self._sessions is None and conv.mode != "off" and conv.sessions.enabled:
            self._sessions = SessionStore(conv.sessions)
        return self._sessions

    def _fallback(self, profile: str, error: Exception) -> tuple[str, list[str], dict[str, Any]]:
        """The profile's MEDIUM chain, used when routing itself failed."""
        chain = [m.name for m in self.router.tables[profile]["MEDIUM"]]
        log.warning("smart-router: routing failed (%s: %s); using %s", type(error).__name__, error, chain[0])
        return (
            chain[0],
            chain[1:],
            {"tier": "MEDIUM", "profile": profile, "score": None, "confidence": None, "rule": "routing_error"},
        )

    async def async_pre_call_hook(self, user_api_key_dict: Any, cache: Any, data: dict, call_type: Any) -> dict:
        model = data.get("model")
        if not isinstance(model, str) or not model.strip().lower().startswith(SMART_PREFIX):
            return data
        started = time.perf_counter()
        router = self.router
        settings = router.config.smart_router
        try:
            profile = router.profile_name(model)
        except UnknownProfileError as e:
            raise _bad_request(str(e)) from None
        ask = None
        session: Session | None = None
        store = self.sessions
        try:
            ask = parse_request(data, history=settings.conversation.history_asks, api=_api(call_type))
            caller = scope(user_api_key_dict)
            session, held, reset = await self._session(data, ask, caller, store)
            if len(ask.prompt) + sum(map(len, ask.history)) > OFFLOAD_CHARS:
                decision = await asyncio.to_thread(router.route_ask, ask, profile, held=held, reset=reset)
            else:
                decision = router.route_ask(ask, profile, held=held, reset=reset)
        except (RequestError, SessionHeaderError, NoModelError) as e:
            # A malformed body, or one that no model of the profile can take (images, tools,
            # context window, output tokens): the client's to fix, never a silent MEDIUM.
            raise _bad_request(str(e)) from None
        except Exception as e:  # noqa: BLE001 - the router must never fail the request
            chosen, fallbacks, info = self._fallback(profile, e)
        else:
            chosen, fallbacks, info = decision.model, decision.fallback_chain[1:], self._info(decision)
            if session is not None and store is not None and _worth_keeping(session, ask, router):
                # Redis gets it when the reply starts (see _remember): off the upstream call's path.
                store.put(session.key, decision.held.dumps(), later=True)
        if session is not None:
            info["session"] = session.short
            info["session_source"] = session.source
            info["_session_key"] = session.key
            info["_caller"] = caller
        data["model"] = chosen
        if fallbacks:
            data["fallbacks"] = fallbacks
        _set_timeouts(data, router, info["tier"], [chosen, *fallbacks])
        if settings.forward_tier_header:
            headers = data.get("extra_headers")
            data["extra_headers"] = {**(headers if isinstance(headers, dict) else {}), TIER_HEADER: info["tier"]}
        info["model"] = chosen
        _metadata(data)[METADATA_KEY] = info
        info["route_us"] = round((time.perf_counter() - started) * 1e6)
        if log.isEnabledFor(logging.INFO):
            log.info(
                "%s",
                json.dumps(
                    {
                        "event": "smart_route",
                        "call_type": str(call_type),
                        "requested": model,
                        "fallbacks": fallbacks,
                        **_public(info),
                    }
                ),
            )
        if ask is not None and settings.decision_log is not None:
            self._write_decision(ask, info)
        return data

    async def _session(
        self, data: dict[str, Any], ask: Ask, caller: str, store: SessionStore | None, readonly: bool = False
    ) -> tuple[Session | None, Held | None, bool]:
        """The request's session, its held state (None if none applies) and whether the client
        asked to reset it (which drops the state unless ``readonly``), from ``store`` (None:
        sessions are off). Raises SessionHeaderError for unusable session headers."""
        headers = request_headers(data)
        reset = wants_reset(headers)
        if store is None:
            return None, None, reset
        session = identify(data, headers, ask, caller)
        if session is None:
            return None, None, reset
        if session.source == "response" and ask.previous_response_id:
            # A Responses API follow-up: the session of the reply it continues.
            found = await store.get(response_key(caller, ask.previous_response_id))
            if isinstance(found, str) and found.startswith("smart-router:session:"):
                session = Session(found, found.rsplit(":", 1)[1][:12], "response", True)
        if reset:
            if not readonly:
                store.delete(session.key)
            return session, None, True
        # A session named only by `user` or the first message holds once the conversation
        # has begun: a new conversation's first request starts afresh.
        if not (session.explicit or ask.has_history):
            return session, None, False
        return session, Held.loads(await store.get(session.key)), False

    async def model_for_count_tokens(self, body: dict[str, Any], user_api_key_dict: Any, headers: Any = None) -> str:
        """The model a ``smart/*`` request would be routed to (for /v1/messages/count_tokens);
        reads the session's held state but changes nothing. Raises RequestError or
        UnknownProfileError for a bad body."""
        router = self.router
        profile = router.profile_name(str(body.get("model", "")))
        ask = parse_request(body, history=router.config.smart_router.conversation.history_asks, api="messages")
        data = {**body, "proxy_server_request": {"headers": dict(headers or {})}}
        try:
            session, held, reset = await self._session(
                data, ask, scope(user_api_key_dict), self.sessions, readonly=True
            )
        except SessionHeaderError as e:
            raise RequestError(str(e)) from None
        return router.route_ask(ask, profile, held=held, reset=reset).model

    def _write_decision(self, ask: Ask, info: dict[str, Any]) -> None:
        """Append one line to smart_router.decision_log (never fails the request)."""
        settings = self.router.config.smart_router.decision_log
        assert settings is not None
        record: dict[str, Any] = {
            "ts": round(time.time(), 3),
            **_public(info),
            "api": ask.api,
            "has_tools": ask.has_tools,
            "has_vision": ask.has_vision,
            "max_output_tokens": ask.max_output_tokens,
            "json_output": ask.json_output,
            "input_tokens": ask.input_tokens,
            "tool_turn": ask.tool_turn,
            "has_history": ask.has_history,
        }
        if settings.prompts != "none":
            record["prompt_sha256"] = hashlib.sha256(ask.prompt.encode("utf-8", "surrogatepass")).hexdigest()
        if settings.prompts == "text":
            record["prompt"] = ask.prompt
            record["system"] = ask.system
        line = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8", "replace")
        try:
            # One unbuffered O_APPEND write per line, so lines from several workers never
            # interleave on a local file system.
            with self._log_lock:
                fd = os.open(settings.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
                try:
                    os.write(fd, line)
                finally:
                    os.close(fd)
        except OSError as e:
            log.warning("smart-router: cannot write the decision log %s: %s", settings.path, e)

    @staticmethod
    def _info(d: RoutingDecision) -> dict[str, Any]:
        return {
            "tier": d.tier,
            "profile": d.profile,
            "table": d.table,
            "score": round(d.score, 6),
            "confidence": round(d.confidence, 4),
            "rule": d.rule,
            "turn": d.turn,
            "scored_tier": d.scored_tier,
            "ambiguous": d.ambiguous,
            "cost_estimate_usd": d.cost_estimate_usd,
            "savings": d.savings,
        }

    async def async_post_call_response_headers_hook(
        self,
        data: dict,
        user_api_key_dict: Any,
        response: Any,
        request_headers: Any = None,
        litellm_call_info: Any = None,
    ) -> dict[str, str] | None:
        info = _routing_info(data)
        if info is None:
            return None
        served = _served_model(data) or info["model"]
        headers = {}
        for key in self.router.config.smart_router.response_headers:
            if key == "model":
                headers[HEADER_PREFIX + key] = served
                if served != info["model"]:
                    headers[HEADER_PREFIX + "first-choice"] = str(info["model"])
            elif info.get(key) is not None:
                headers[HEADER_PREFIX + key] = str(info[key])
        await self._remember(info, served, response)
        return headers or None

    async def _remember(self, info: dict[str, Any], served: str, response: Any) -> None:
        """After a reply: keep the model that served it (a fallback, when the first choice
        failed) for the session, and map a Responses API reply's id to the session so that
        ``previous_response_id`` finds it."""
        key = info.get("_session_key")
        store = self._sessions
        if not key or store is None or info.get("rule") == "routing_error":
            return
        if served != info["model"]:
            held = Held.loads(store.local(key))
            topic = held.topic if held is not None else ()
            table = info.get("table") or info["profile"]
            store.put(key, Held(TIERS.index(info["tier"]), table, served, topic).dumps())
        else:
            store.publish(key)
        response_id = getattr(response, "id", None)
        if response_id is None and isinstance(response, dict):
            response_id = response.get("id")
        if isinstance(response_id, str) and response_id.startswith("resp"):
            store.put(response_key(info["_caller"], response_id), key)


def _api(call_type: Any) -> str | None:
    """The client format of a LiteLLM call type (None if unknown: told from the body)."""
    name = getattr(call_type, "value", call_type)
    return API_OF_CALL.get(name) if isinstance(name, str) else None


def _set_timeouts(data: dict[str, Any], router: Router, tier: str, chain: list[str]) -> None:
    """Give each attempt of the chain the tier's timeout (``smart_router.timeouts``; a
    streaming request's ``stream_timeout``), so a slow model is replaced by the next one.

    LiteLLM applies a request's ``timeout`` to every model of its fallback chain, before the
    model_list entry's own. So a timeout the client set itself is left alone (it wins for
    every attempt, as LiteLLM users expect), and a model whose model_list entry sets its own
    keeps it: the fallbacks then carry each model's timeout (None: the entry's), which LiteLLM
    merges into the request for that attempt."""
    for key in CLIENT_TIMEOUTS:
        if data.get(key) is not None:
            return
    stream = bool(data.get("stream"))
    hops = router.timeouts(tier, chain, stream)
    if hops is None or all(t is None for t in hops):
        return
    key = "stream_timeout" if stream else "timeout"
    if hops[0] is not None:
        data[key] = hops[0]
    if len(set(hops)) > 1:
        data["fallbacks"] = [{"model": model, key: t} for model, t in zip(chain[1:], hops[1:])]


def _worth_keeping(session: Session, ask: Ask, router: Router) -> bool:
    """Whether the state after this request must be stored. A session derived from the
    first message only exists while the client sends the whole conversation, which the
    router replays anyway; its state matters once the conversation outgrows the replay
    window, or for Responses API requests (the next one may carry only
    ``previous_response_id``)."""
    if session.source != "first_message" or ask.api == "responses":
        return True
    return len(ask.history) >= router.config.smart_router.conversation.history_asks


def _routing_info(data: dict[str, Any]) -> dict[str, Any] | None:
    for key in ("litellm_metadata", "metadata"):
        md = data.get(key)
        if isinstance(md, dict) and isinstance(md.get(METADATA_KEY), dict):
            return md[METADATA_KEY]  # type: ignore[no-any-return]
    return None


def _served_model(data: dict[str, Any]) -> str | None:
    """The model group that answered (a fallback's, when the first choice failed)."""
    deployment = data.get("deployment")
    name = deployment.get("model_name") if isinstance(deployment, dict) else getattr(deployment, "model_name", None)
    return name if isinstance(name, str) and name else None


def _public(info: dict[str, Any]) -> dict[str, Any]:
    """The routing info without the hook's private keys (session store key, caller scope)."""
    return {k: v for k, v in info.items() if not k.startswith("_")}


handler = SmartRouterHook()
check_cost_map()  # no price file: fail the proxy's start, not each image or tool request

# /v1/messages/count_tokens for smart/* (LiteLLM runs no pre-call hook there); a no-op when
# the hook is imported outside a running proxy.
from .count_tokens import install_route as _install_count_tokens_route  # noqa: E402

_install_count_tokens_route()
