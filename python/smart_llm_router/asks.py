"""What a request asks: the newest human ask and the facts that constrain the model choice.

Reads the three request shapes clients send: OpenAI chat completions (``messages``),
Anthropic messages (``messages`` + top-level ``system``, content blocks) and OpenAI responses
(``input`` + ``instructions``). Tool results, assistant turns and harness boilerplate
(``<system-reminder>`` blocks that coding agents put into user turns) are not the ask.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .scoring import estimate_tokens

IMAGE_PARTS = frozenset({"image_url", "image", "input_image"})
TOOL_PARTS = frozenset({"tool_use", "tool_result", "function_call", "function_call_output"})
TEXT_PARTS = frozenset({"text", "input_text", "output_text"})
# Input tokens assumed per image for context-window checks and cost estimates.
IMAGE_TOKENS = 1000
JSON_FORMATS = frozenset({"json_object", "json_schema"})
_REMINDER_OPEN, _REMINDER_CLOSE = "<system-reminder>", "</system-reminder>"


class RequestError(ValueError):
    """A request body the router cannot read; the message says what is wrong."""


@dataclass(frozen=True, slots=True)
class Ask:
    prompt: str
    system: str | None
    has_tools: bool
    has_vision: bool
    max_output_tokens: int | None
    json_output: bool
    input_tokens: float
    api: str  # "chat", "messages" or "responses"


def strip_reminders(text: str) -> str:
    """Remove ``<system-reminder>...</system-reminder>`` blocks (linear; an unclosed block
    is kept as text)."""
    if _REMINDER_OPEN not in text:
        return text
    out, pos = [], 0
    while True:
        start = text.find(_REMINDER_OPEN, pos)
        end = text.find(_REMINDER_CLOSE, start) if start >= 0 else -1
        if start < 0 or end < 0:
            out.append(text[pos:])
            return "".join(out)
        out.append(text[pos:start])
        pos = end + len(_REMINDER_CLOSE)


class _Reader:
    """Walks one request body, collecting text, images and tool use."""

    def __init__(self) -> None:
        self.system: list[str] = []
        self.everything: list[str] = []
        self.ask = ""
        self.images = 0
        self.tools = False

    def content(self, content: Any, where: str) -> str:
        """The plain text of a message's content (string or list of parts)."""
        if content is None:
            return ""
        if isinstance(content, str):
            self.everything.append(content)
            return content
        if not isinstance(content, list):
            raise RequestError(f"{where} must be a string or a list of content parts, not {type(content).__name__}")
        texts = []
        for i, part in enumerate(content):
            if isinstance(part, str):
                texts.append(part)
                self.everything.append(part)
                continue
            if not isinstance(part, Mapping):
                raise RequestError(f"{where}[{i}] must be an object")
            kind = part.get("type")
            if kind in TEXT_PARTS:
                text = part.get("text")
                if not isinstance(text, str):
                    raise RequestError(f"{where}[{i}].text must be a string")
                texts.append(text)
                self.everything.append(text)
            elif kind in IMAGE_PARTS:
                self.images += 1
            elif kind in TOOL_PARTS:
                self.tools = True
                # A tool result's own content is context, not the ask.
                inner = part.get("content", part.get("output"))
                if isinstance(inner, (str, list)):
                    self.content(inner, f"{where}[{i}].content")
        return "\n".join(texts)

    def message(self, message: Any, where: str) -> None:
        if not isinstance(message, Mapping):
            raise RequestError(f"{where} must be an object")
        if message.get("type") in TOOL_PARTS:
            self.content([message], where)
            return
        role = message.get("role")
        if not isinstance(role, str):
            raise RequestError(f"{where}.role must be a string")
        if message.get("tool_calls") or message.get("function_call") or role in ("tool", "function"):
            self.tools = True
        text = self.content(message.get("content"), f"{where}.content")
        if role in ("system", "developer"):
            self.system.append(text)
        elif role == "user":
            ask = strip_reminders(text).strip()
            if ask:
                self.ask = ask


def _max_tokens(body: Mapping[str, Any], *keys: str) -> int | None:
    for key in keys:
        value = body.get(key)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise RequestError(f"{key} must be a positive integer, got {value!r}")
        return value
    return None


def _format_type(value: Any) -> Any:
    return value.get("type") if isinstance(value, Mapping) else None


def parse_request(body: Any) -> Ask:
    """Read an OpenAI chat-completions, Anthropic messages or OpenAI responses body."""
    if not isinstance(body, Mapping):
        raise RequestError("the request body must be a JSON object")
    reader = _Reader()
    if "messages" in body:
        messages = body["messages"]
        if not isinstance(messages, list):
            raise RequestError("messages must be a list")
        if not messages:
            raise RequestError("messages must not be empty")
        api = "chat"
        if "system" in body:
            api = "messages"
            reader.system.append(reader.content(body["system"], "system"))
        for i, message in enumerate(messages):
            reader.message(message, f"messages[{i}]")
            if isinstance(message, Mapping) and isinstance(message.get("content"), list):
                if any(isinstance(p, Mapping) and p.get("type") in ("tool_use", "tool_result", "image") for p in message["content"]):
                    api = "messages"
        max_tokens = _max_tokens(body, "max_completion_tokens", "max_tokens")
        json_output = _format_type(body.get("response_format")) in JSON_FORMATS
    elif "input" in body:
        api = "responses"
        instructions = body.get("instructions")
        if instructions is not None:
            if not isinstance(instructions, str):
                raise RequestError("instructions must be a string")
            reader.system.append(instructions)
            reader.everything.append(instructions)
        items = body["input"]
        if isinstance(items, str):
            reader.message({"role": "user", "content": items}, "input")
        elif isinstance(items, list):
            if not items:
                raise RequestError("input must not be empty")
            for i, item in enumerate(items):
                reader.message(item, f"input[{i}]")
        else:
            raise RequestError("input must be a string or a list of items")
        max_tokens = _max_tokens(body, "max_output_tokens")
        text = body.get("text")
        json_output = isinstance(text, Mapping) and _format_type(text.get("format")) in JSON_FORMATS
    else:
        raise RequestError("the request has neither 'messages' nor 'input'")
    tools = body.get("tools") or body.get("functions")
    if tools is not None and not isinstance(tools, list):
        raise RequestError("tools must be a list")
    tool_tokens = estimate_tokens(json.dumps(tools)) if tools else 0.0
    system = "\n".join(s for s in reader.system if s) or None
    return Ask(
        prompt=reader.ask,
        system=system,
        has_tools=bool(tools) or reader.tools,
        has_vision=reader.images > 0,
        max_output_tokens=max_tokens,
        json_output=json_output,
        input_tokens=estimate_tokens("\n".join(reader.everything)) + tool_tokens + IMAGE_TOKENS * reader.images,
        api=api,
    )
