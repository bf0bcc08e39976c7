"""``/v1/messages/count_tokens`` for ``smart/<profile>`` models.

LiteLLM's count_tokens route runs no pre-call hook, so a ``smart/*`` name would be counted for
the profile's alias (or fail). ``install_route()`` puts a route of our own for the same path
(and for the Claude Code gateway's copy of it) in front of LiteLLM's, in the running proxy's
FastAPI app, guarded by LiteLLM's own ``user_api_key_auth``. It asks the hook which model the
router would pick for the body (``handler.model_for_count_tokens``), puts that model in the
request and hands the request to LiteLLM's own count_tokens function, so the count is exactly
what LiteLLM answers for that concrete model; the response names the model in
``x-smart-router-model``. Requests for any other model go to LiteLLM's function unchanged. An
unknown profile or a body the router cannot read is a 400 in Anthropic's error shape.

The hook module calls ``install_route()`` when LiteLLM imports it from
``litellm_settings.callbacks``. That happens in the proxy's startup (``proxy_startup_event``
-> ``ProxyConfig.load_config``), after ``proxy_server`` has created ``app`` and included every
eager router. LiteLLM's own count_tokens route is registered later still: its module is a
lazy feature, included on the first ``/v1/messages*`` request and placed after every eager
route, ours included. Every later reordering LiteLLM does (lazy features, hot routes first,
configured pass-through routes) keeps the relative order of the routes it does not move, so
ours stays ahead. Elsewhere (unit tests, the CLI, another LiteLLM release with a different app
shape) ``install_route()`` returns False and changes nothing.
"""

import os

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

import importlib  # noqa: E402
import importlib.util  # noqa: E402
import inspect  # noqa: E402
import logging  # noqa: E402
import sys  # noqa: E402
from collections.abc import Awaitable, Callable, Mapping  # noqa: E402
from typing import Any  # noqa: E402

from fastapi import Depends, HTTPException, Request, Response  # noqa: E402
from fastapi.responses import JSONResponse  # noqa: E402

from .asks import RequestError  # noqa: E402
from .router import SMART_PREFIX, NoModelError, UnknownProfileError  # noqa: E402
from .tables import HEADER_PREFIX  # noqa: E402

__all__ = ["COUNT_TOKENS_PATH", "GATEWAY_COUNT_TOKENS_PATH", "install_route", "is_smart_model"]

COUNT_TOKENS_PATH = "/v1/messages/count_tokens"
# The Claude Code gateway (general_settings.enable_claude_code_gateway) serves the same
# LiteLLM function at this path too, behind its "gateway enabled" check.
GATEWAY_COUNT_TOKENS_PATH = "/claude_code_gateway/v1/messages/count_tokens"
_SERVER_MODULE = "litellm.proxy.proxy_server"
_ENDPOINTS_MODULE = "litellm.proxy.anthropic_endpoints.endpoints"
_GATEWAY_MODULE = "litellm.proxy.anthropic_endpoints.gateway_endpoints"
_MARK = "_smart_llm_router_count_tokens"  # endpoint attribute: the path our route serves
# Client headers never shown to the hook (as LiteLLM strips them from proxy_server_request).
_SECRET_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "x-api-key",
        "api-key",
        "x-goog-api-key",
        "x-litellm-api-key",
        "ocp-apim-subscription-key",
    }
)
_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
}

log = logging.getLogger("smart_llm_router")

CountTokens = Callable[..., Awaitable[Any]]


class _BadRequest(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def is_smart_model(model: object) -> bool:
    """``smart/<profile>`` in any case (``Smart/Auto`` too)."""
    return isinstance(model, str) and model.strip().lower().startswith(SMART_PREFIX)


# --- installing ------------------------------------------------------------------------------


def install_route() -> bool:
    """Serve count_tokens for ``smart/*`` in the running LiteLLM proxy.

    True when our route is in place, at the front of the route table (installing again adds
    nothing and only re-checks the position). False, changing nothing, when the proxy server
    is not imported in this process or LiteLLM's app or count_tokens look unlike 1.108's.
    Never raises.
    """
    try:
        return _install()
    except Exception as e:  # noqa: BLE001 - must never break the hook's import
        log.warning("smart-router: count_tokens route not installed (%s: %s)", type(e).__name__, e)
        return False


def _install() -> bool:
    server = sys.modules.get(_SERVER_MODULE)
    app = getattr(server, "app", None)
    router: Any = getattr(app, "router", None)
    if app is None or not isinstance(getattr(router, "routes", None), list):
        return False
    from fastapi import FastAPI

    if not isinstance(app, FastAPI) or not callable(getattr(router, "add_api_route", None)):
        return False
    if _litellm_count_tokens() is None:
        return False
    from litellm.proxy.auth.user_api_key_auth import user_api_key_auth

    paths = [COUNT_TOKENS_PATH]
    if importlib.util.find_spec(_GATEWAY_MODULE) is not None:
        paths.append(GATEWAY_COUNT_TOKENS_PATH)
    ours = []
    for path in paths:
        route = _our_route(router.routes, path)
        if route is None:
            dependencies = [Depends(_gateway_enabled)] if path == GATEWAY_COUNT_TOKENS_PATH else None
            router.add_api_route(
                path,
                _make_endpoint(path, user_api_key_auth),
                methods=["POST"],
                dependencies=dependencies,
                include_in_schema=False,
            )
            route = _our_route(router.routes, path)
            if route is None:  # add_api_route did not append a route we can find
                return False
            log.info("smart-router: serving POST %s for smart/* models", path)
        ours.append(route)
    _to_front(router.routes, ours)
    return True


def _our_route(routes: list[Any], path: str) -> Any:
    for route in routes:
        if getattr(route, "path", None) == path and getattr(getattr(route, "endpoint", None), _MARK, None) == path:
            return route
    return None


def _to_front(routes: list[Any], ours: list[Any]) -> None:
    """Put ``ours`` first, in place (the app keeps its list object)."""
    if len(routes) >= len(ours) and all(a is b for a, b in zip(routes, ours)):
        return
    ids = {id(r) for r in ours}
    routes[:] = [*ours, *(r for r in routes if id(r) not in ids)]


def _make_endpoint(path: str, auth: Callable[..., Any]) -> Callable[..., Awaitable[Any]]:
    async def smart_count_tokens(request: Request, response: Response, user_api_key_dict: Any = Depends(auth)) -> Any:
        return await _count_tokens(request, response, user_api_key_dict)

    setattr(smart_count_tokens, _MARK, path)
    return smart_count_tokens


async def _gateway_enabled() -> None:
    """LiteLLM's own check for the Claude Code gateway (404 while it is disabled)."""
    try:
        ensure = importlib.import_module(_GATEWAY_MODULE).ensure_gateway_enabled
    except Exception:  # noqa: BLE001 - no gateway in this LiteLLM: the path does not exist
        raise HTTPException(status_code=404, detail="Not Found") from None
    result = ensure()
    if inspect.isawaitable(result):
        await result


_found: list[CountTokens] = []


def _litellm_count_tokens() -> CountTokens | None:
    """LiteLLM's count_tokens route function, if it has the shape we call."""
    if _found:
        return _found[0]
    try:
        function = getattr(importlib.import_module(_ENDPOINTS_MODULE), "count_tokens", None)
        if not inspect.iscoroutinefunction(function):
            return None
        if not {"request", "user_api_key_dict"} <= set(inspect.signature(function).parameters):
            return None
    except Exception:  # noqa: BLE001
        return None
    _found.append(function)
    return function


# --- serving ---------------------------------------------------------------------------------


async def _count_tokens(request: Request, response: Response, user_api_key_dict: Any) -> Any:
    count = _litellm_count_tokens()
    if count is None:  # cannot happen once installed, short of a reload of LiteLLM
        return _error(request, 500, "LiteLLM's count_tokens implementation is not available")
    from litellm.proxy.common_utils.http_parsing_utils import read_request_body

    try:
        # Already parsed and cached by user_api_key_auth; the same call LiteLLM's route makes.
        body = await read_request_body(request=request)
    except Exception:  # noqa: BLE001 - not JSON: LiteLLM answers that the way it always does
        return await count(request=request, user_api_key_dict=user_api_key_dict)
    if not isinstance(body, Mapping):
        return _error(request, 400, "the request body must be a JSON object")
    requested = body.get("model")
    if not is_smart_model(requested):
        return await count(request=request, user_api_key_dict=user_api_key_dict)
    try:
        model, profile = await _routed_model(dict(body), user_api_key_dict, request)
    except _BadRequest as e:
        return _error(request, e.status, e.message)
    if model is not None:
        _set_model(request, dict(body), model)
        response.headers[HEADER_PREFIX + "model"] = model
    if profile is not None:
        response.headers[HEADER_PREFIX + "profile"] = profile
    return await count(request=request, user_api_key_dict=user_api_key_dict)


async def _routed_model(
    body: dict[str, Any], user_api_key_dict: Any, request: Request
) -> tuple[str | None, str | None]:
    """The model the router picks for ``body`` and its profile. (None, profile) when routing
    failed for another reason than the request: LiteLLM then counts the smart/* name through
    its model_group_alias (the profile's MEDIUM model), as for an unrouted request."""
    from . import hook

    handler = hook.handler
    requested = str(body["model"])
    profile = None
    try:
        profile = handler.router.profile_name(requested)
        result = await handler.model_for_count_tokens(body, user_api_key_dict, _client_headers(request))
    except HTTPException as e:
        if 400 <= e.status_code < 500:
            raise _BadRequest(e.status_code, _detail_message(e.detail)) from None
        log.warning(
            "smart-router: count_tokens routing failed (HTTP %s: %s); counting %s via its alias",
            e.status_code,
            _detail_message(e.detail),
            requested,
        )
        return None, profile
    except (UnknownProfileError, RequestError, NoModelError) as e:
        raise _BadRequest(400, str(e)) from None
    except Exception as e:  # noqa: BLE001 - as in the hook: routing never fails the request
        log.warning(
            "smart-router: count_tokens routing failed (%s: %s); counting %s via its alias",
            type(e).__name__,
            e,
            requested,
        )
        return None, profile
    model = result if isinstance(result, str) else getattr(result, "model", None)
    if not isinstance(model, str) or not model:
        log.warning(
            "smart-router: count_tokens routing gave no model (%r); counting %s via its alias", result, requested
        )
        return None, profile
    return model, profile


def _set_model(request: Request, body: dict[str, Any], model: str) -> None:
    """Point the request LiteLLM's count_tokens reads (its parsed-body cache) at ``model``."""
    from litellm.proxy.common_utils import http_parsing_utils as parsing

    rewrite = getattr(parsing, "rewrite_request_model", None)
    if rewrite is not None:
        rewrite(body, request, model)
    else:
        parsing.safe_set_request_parsed_body(request=request, parsed_body={**body, "model": model})


def _client_headers(request: Request) -> dict[str, str]:
    """The client's headers, lower-case, without credentials (as in proxy_server_request)."""
    secret = set(_SECRET_HEADERS)
    server = sys.modules.get(_SERVER_MODULE)
    custom = (getattr(server, "general_settings", None) or {}).get("litellm_key_header_name")
    if isinstance(custom, str):
        secret.add(custom.lower())
    headers = {k.lower(): v for k, v in request.headers.items() if k.lower() not in secret}
    if "cookie" in headers:
        headers["cookie"] = "***REDACTED***"
    return headers


def _detail_message(detail: Any) -> str:
    if isinstance(detail, Mapping):
        for key in ("error", "message"):
            value = detail.get(key)
            if isinstance(value, str):
                return value
            if isinstance(value, Mapping) and isinstance(value.get("message"), str):
                return str(value["message"])
    return detail if isinstance(detail, str) else str(detail)


def _error(request: Request, status: int, message: str) -> JSONResponse:
    """An error in Anthropic's shape."""
    if not message.startswith("smart-router:"):
        message = f"smart-router: {message}"
    server = sys.modules.get(_SERVER_MODULE)
    close_span = getattr(server, "_close_dangling_otel_server_span", None)
    if callable(close_span):  # as LiteLLM's own error responses do
        try:
            close_span(request, status)
        except Exception:  # noqa: BLE001
            pass
    error_type = _ERROR_TYPES.get(status, "invalid_request_error" if status < 500 else "api_error")
    return JSONResponse(
        status_code=status, content={"type": "error", "error": {"type": error_type, "message": message}}
    )
