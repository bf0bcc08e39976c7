"""The LiteLLM proxy hook: rewrites ``model: "smart/<profile>"`` to the routed model.

Load it from the proxy config by import path, so a config copied anywhere works::

    litellm_settings:
      callbacks: smart_llm_router.hook.handler

It runs in ``async_pre_call_hook``, which LiteLLM calls before routing on
``/v1/chat/completions``, ``/v1/messages`` and ``/v1/responses`` (streaming or not): the hook
sets ``model`` to the chosen model and ``fallbacks`` to the rest of the tier's chain, and the
response carries ``x-smart-router-*`` headers. Requests for concrete models pass untouched.
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
from .router import SMART_PREFIX, Router, RoutingDecision, UnknownProfileError  # noqa: E402

CONFIG_ENV = "SMART_LLM_ROUTER_CONFIG"
METADATA_KEY = "smart_router"
TIER_HEADER = "x-smart-router-tier"
# Requests whose text is longer than this are routed in a worker thread: the native scorer
# releases the GIL, so the event loop keeps serving other requests meanwhile.
OFFLOAD_CHARS = 32_768

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


def _size(data: dict[str, Any]) -> int:
    total = 0
    for key in ("messages", "input", "system", "instructions"):
        value = data.get(key)
        if isinstance(value, str):
            total += len(value)
        elif isinstance(value, list):
            for item in value:
                content = item.get("content") if isinstance(item, dict) else item
                total += len(content) if isinstance(content, str) else len(str(content))
    return total


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

    def __init__(self, router: Router | None = None) -> None:
        super().__init__()
        self._router = router
        self._log_lock = threading.Lock()

    @property
    def router(self) -> Router:
        if self._router is None:
            self._router = Router(_config_path())
        return self._router

    def _fallback(self, profile: str, error: Exception) -> tuple[str, list[str], dict[str, Any]]:
        """The profile's MEDIUM chain, used when routing itself failed."""
        chain = [m.name for m in self.router.tables[profile]["MEDIUM"]]
        log.warning("smart-router: routing failed (%s: %s); using %s", type(error).__name__, error, chain[0])
        return chain[0], chain[1:], {"tier": "MEDIUM", "profile": profile, "score": None, "confidence": None,
                                     "rule": "routing_error"}

    async def async_pre_call_hook(self, user_api_key_dict: Any, cache: Any, data: dict, call_type: Any) -> dict:
        model = data.get("model")
        if not isinstance(model, str) or not model.strip().lower().startswith(SMART_PREFIX):
            return data
        started = time.perf_counter()
        router = self.router
        try:
            profile = router.profile_name(model)
        except UnknownProfileError as e:
            raise _bad_request(str(e)) from None
        ask = None
        try:
            ask = parse_request(data)
            if _size(data) > OFFLOAD_CHARS:
                decision = await asyncio.to_thread(router.route_ask, ask, profile)
            else:
                decision = router.route_ask(ask, profile)
        except RequestError as e:
            raise _bad_request(str(e)) from None
        except Exception as e:  # noqa: BLE001 - the router must never fail the request
            chosen, fallbacks, info = self._fallback(profile, e)
        else:
            chosen, fallbacks, info = decision.model, decision.fallback_chain[1:], self._info(decision)
        data["model"] = chosen
        if fallbacks:
            data["fallbacks"] = fallbacks
        if router.config.smart_router.forward_tier_header:
            headers = data.get("extra_headers")
            data["extra_headers"] = {**(headers if isinstance(headers, dict) else {}), TIER_HEADER: info["tier"]}
        info["model"] = chosen
        _metadata(data)[METADATA_KEY] = info
        info["route_us"] = round((time.perf_counter() - started) * 1e6)
        if log.isEnabledFor(logging.INFO):
            log.info("%s", json.dumps({"event": "smart_route", "call_type": str(call_type), "requested": model,
                                       "fallbacks": fallbacks, **info}))
        if ask is not None and router.config.smart_router.decision_log is not None:
            self._write_decision(ask, info)
        return data

    def _write_decision(self, ask: Ask, info: dict[str, Any]) -> None:
        """Append one line to smart_router.decision_log (never fails the request)."""
        settings = self.router.config.smart_router.decision_log
        assert settings is not None
        record: dict[str, Any] = {"ts": round(time.time(), 3), **info, "api": ask.api,
                                  "has_tools": ask.has_tools, "has_vision": ask.has_vision,
                                  "max_output_tokens": ask.max_output_tokens, "json_output": ask.json_output,
                                  "input_tokens": ask.input_tokens}
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
        return {"tier": d.tier, "profile": d.profile, "table": d.table, "score": round(d.score, 6),
                "confidence": round(d.confidence, 4), "rule": d.rule, "ambiguous": d.ambiguous,
                "cost_estimate_usd": d.cost_estimate_usd, "savings": d.savings}

    async def async_post_call_response_headers_hook(
        self, data: dict, user_api_key_dict: Any, response: Any, request_headers: Any = None,
        litellm_call_info: Any = None,
    ) -> dict[str, str] | None:
        info = None
        for key in ("litellm_metadata", "metadata"):
            md = data.get(key)
            if isinstance(md, dict) and isinstance(md.get(METADATA_KEY), dict):
                info = md[METADATA_KEY]
        if info is None:
            return None
        headers = {f"x-smart-router-{k}": str(info[k]) for k in ("tier", "model", "profile", "rule")}
        for key in ("score", "confidence"):
            if info.get(key) is not None:
                headers[f"x-smart-router-{key}"] = str(info[key])
        return headers


handler = SmartRouterHook()
