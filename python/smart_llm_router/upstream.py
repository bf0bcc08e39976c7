"""A small OpenAI-compatible upstream on 127.0.0.1: the demo's models, and the tests' fake
provider.

Replies say which model served them and the tier the router chose (the hook forwards it in the
``x-smart-router-tier`` request header). It speaks chat completions (JSON and SSE streaming,
tool calls) and a minimal Responses API, and can inject faults per model for tests:
``POST /_faults {"model": "m", "status": 500, "count": 2, "delay": 0}`` makes the next two
requests for model ``m`` fail (``delay`` seconds first; status 0 with a delay = a slow success).
``GET /_log`` lists the models requested so far, ``DELETE /_faults`` clears faults and log.

Run it alone with ``python -m smart_llm_router.upstream --port 8799``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from .tables import TIER_HEADER


@dataclass
class Fault:
    status: int
    count: int
    delay: float = 0.0


@dataclass
class State:
    faults: dict[str, Fault] = field(default_factory=dict)
    log: list[dict[str, Any]] = field(default_factory=list)


def _last_user_text(messages: Any) -> str:
    for message in reversed(messages if isinstance(messages, list) else []):
        if isinstance(message, dict) and message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, str):
                return content
            if isinstance(content, list):
                return " ".join(p.get("text", "") for p in content if isinstance(p, dict))
    return ""


def _reply_text(model: str, tier: str, ask: str) -> str:
    ask = " ".join(ask.split())
    if len(ask) > 60:
        ask = ask[:57] + "..."
    return f"[demo upstream] model={model} tier={tier} | you asked: {ask!r}"


def _error(status: int, message: str) -> JSONResponse:
    kind = {429: "rate_limit_error", 404: "not_found_error"}.get(status, "server_error")
    return JSONResponse({"error": {"message": message, "type": kind, "code": status}}, status_code=status)


def create_app(state: State | None = None) -> Starlette:
    state = state or State()

    async def apply_fault(model: str) -> Response | None:
        fault = state.faults.get(model)
        if fault is None or fault.count <= 0:
            return None
        fault.count -= 1
        if fault.delay:
            await asyncio.sleep(fault.delay)
        if fault.status:
            return _error(fault.status, f"injected {fault.status} for {model}")
        return None

    async def intake(request: Request, endpoint: str) -> tuple[dict[str, Any], str, str, Response | None]:
        """The body, model and tier of a request, logged; and the injected fault, if any."""
        body = await request.json()
        model = str(body.get("model", ""))
        tier = request.headers.get(TIER_HEADER, "n/a")
        state.log.append({"endpoint": endpoint, "model": model, "tier": tier, "stream": bool(body.get("stream"))})
        return body, model, tier, await apply_fault(model)

    async def chat(request: Request) -> Response:
        body, model, tier, failed = await intake(request, "chat")
        if failed is not None:
            return failed
        messages = body.get("messages") or []
        wants_tool = bool(body.get("tools")) and not any(
            isinstance(m, dict) and m.get("role") == "tool" for m in messages
        )
        created, rid = int(time.time()), f"chatcmpl-{uuid.uuid4().hex[:12]}"
        text = _reply_text(model, tier, _last_user_text(messages))
        tool_calls = None
        if wants_tool:
            fn = body["tools"][0].get("function", {}).get("name", "tool")
            tool_calls = [
                {"id": f"call_{uuid.uuid4().hex[:8]}", "type": "function", "function": {"name": fn, "arguments": "{}"}}
            ]
        usage = {"prompt_tokens": 10, "completion_tokens": 12, "total_tokens": 22}
        if not body.get("stream"):
            message: dict[str, Any] = {"role": "assistant", "content": None if tool_calls else text}
            if tool_calls:
                message["tool_calls"] = tool_calls
            return JSONResponse(
                {
                    "id": rid,
                    "object": "chat.completion",
                    "created": created,
                    "model": model,
                    "choices": [
                        {"index": 0, "message": message, "finish_reason": "tool_calls" if tool_calls else "stop"}
                    ],
                    "usage": usage,
                }
            )

        async def events() -> AsyncIterator[bytes]:
            def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
                data = {
                    "id": rid,
                    "object": "chat.completion.chunk",
                    "created": created,
                    "model": model,
                    "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
                }
                return f"data: {json.dumps(data)}\n\n".encode()

            yield chunk({"role": "assistant", "content": ""})
            if tool_calls:
                yield chunk({"tool_calls": [{"index": 0, **tool_calls[0]}]})
                yield chunk({}, "tool_calls")
            else:
                for word in text.split(" "):
                    yield chunk({"content": word + " "})
                yield chunk({}, "stop")
            yield b"data: [DONE]\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")

    async def responses(request: Request) -> Response:
        body, model, tier, failed = await intake(request, "responses")
        if failed is not None:
            return failed
        items = body.get("input")
        ask = items if isinstance(items, str) else _last_user_text(items)
        text = _reply_text(model, tier, ask)
        rid, mid = f"resp_{uuid.uuid4().hex[:12]}", f"msg_{uuid.uuid4().hex[:12]}"
        message = {
            "type": "message",
            "id": mid,
            "status": "completed",
            "role": "assistant",
            "content": [{"type": "output_text", "text": text, "annotations": []}],
        }
        response = {
            "id": rid,
            "object": "response",
            "created_at": int(time.time()),
            "status": "completed",
            "model": model,
            "output": [message],
            "usage": {"input_tokens": 10, "output_tokens": 12, "total_tokens": 22},
        }
        if not body.get("stream"):
            return JSONResponse(response)

        async def events() -> AsyncIterator[bytes]:
            def event(kind: str, **data: Any) -> bytes:
                return f"event: {kind}\ndata: {json.dumps({'type': kind, **data})}\n\n".encode()

            yield event("response.created", response={**response, "status": "in_progress", "output": []})
            yield event("response.output_text.delta", item_id=mid, output_index=0, content_index=0, delta=text)
            yield event("response.output_text.done", item_id=mid, output_index=0, content_index=0, text=text)
            yield event("response.completed", response=response)

        return StreamingResponse(events(), media_type="text/event-stream")

    async def models(request: Request) -> Response:
        return JSONResponse({"object": "list", "data": []})

    async def set_fault(request: Request) -> Response:
        body = await request.json()
        state.faults[body["model"]] = Fault(
            int(body.get("status", 500)), int(body.get("count", 1)), float(body.get("delay", 0))
        )
        return JSONResponse({"ok": True})

    async def clear(request: Request) -> Response:
        state.faults.clear()
        state.log.clear()
        return JSONResponse({"ok": True})

    async def log(request: Request) -> Response:
        return JSONResponse(state.log)

    return Starlette(
        routes=[
            Route("/v1/chat/completions", chat, methods=["POST"]),
            Route("/chat/completions", chat, methods=["POST"]),
            Route("/v1/responses", responses, methods=["POST"]),
            Route("/responses", responses, methods=["POST"]),
            Route("/v1/models", models),
            Route("/_faults", set_fault, methods=["POST"]),
            Route("/_faults", clear, methods=["DELETE"]),
            Route("/_log", log),
        ]
    )


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8799)
    args = parser.parse_args()
    uvicorn.run(create_app(), host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
