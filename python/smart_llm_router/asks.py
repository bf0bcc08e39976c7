"""What a request asks: the human asks of its conversation and the facts that constrain the
model choice.

Reads the four request shapes clients send: OpenAI chat completions (``messages``),
Anthropic messages (``messages`` + top-level ``system``, content blocks), OpenAI responses
(``input`` + ``instructions``) and Gemini ``generateContent`` (``contents`` +
``systemInstruction``). Tool results, assistant turns and harness boilerplate
(``<system-reminder>`` blocks that coding agents put into user turns) are not asks.

Each body is checked against what its format allows (part and item types, the payload each
needs, roles, response formats): anything else is a RequestError naming the field, so the
proxy answers 400 before any upstream call instead of every model of the chain failing.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .scoring import estimate_tokens

IMAGE_PARTS = frozenset({"image_url", "image", "input_image"})
TEXT_PARTS = frozenset({"text", "input_text", "output_text"})
# Input tokens assumed per image for context-window checks and cost estimates.
IMAGE_TOKENS = 1000
JSON_FORMATS = frozenset({"json_object", "json_schema"})
RESPONSE_FORMATS = frozenset({"text", *JSON_FORMATS})
# Earlier human asks kept per request when the caller does not say (the conversation policy
# reads at most this many; see ``conversation.history_asks``).
HISTORY_ASKS = 8
# The part of the assistant's last reply kept for the topic check.
REPLY_CHARS = 4000
_REMINDER_OPEN, _REMINDER_CLOSE = "<system-reminder>", "</system-reminder>"
APIS = ("chat", "messages", "responses", "gemini")

# What each format allows, from the OpenAI (3.57) and Anthropic (2.14, beta included) SDKs'
# request types and LiteLLM's own list for /v1/chat/completions. A part type maps to the
# fields of which one must hold a value of the given JSON type, or None (no field checked).
# Bodies LiteLLM or the provider would refuse are a 400 naming the field, before any model
# of the chain is tried (otherwise every model fails in turn and the client gets a 500).
_Need = tuple[tuple[str, ...], type | tuple[type, ...]] | None
_TEXT: _Need = (("text",), str)
CHAT_PARTS: dict[str, _Need] = {
    "text": _TEXT,
    "image_url": (("image_url",), (str, Mapping)),
    "input_audio": (("input_audio",), Mapping),
    "file": (("file",), Mapping),
    "refusal": (("refusal",), str),
    # LiteLLM's extensions for other providers (ValidUserMessageContentTypes).
    "audio_url": None,
    "video_url": None,
    "document": None,
    "guarded_text": None,
    "grounding_source": None,
    "query": None,
}
MESSAGES_PARTS: dict[str, _Need] = {
    "text": _TEXT,
    "image": (("source",), Mapping),
    "document": (("source",), Mapping),
    "search_result": (("content",), list),
    "tool_use": (("name",), str),
    "tool_result": (("tool_use_id",), str),
    "thinking": (("thinking",), str),
    "redacted_thinking": (("data",), str),
    "server_tool_use": (("name",), str),
    "mcp_tool_use": (("name",), str),
    "container_upload": (("file_id",), str),
    # Beta blocks (context management, tool search, MCP connector).
    "compaction": None,
    "fallback": None,
    "mcp_tool_listing": None,
    "tool_addition": None,
    "tool_removal": None,
    "tool_reference": None,
}
# Server tools' results (web_search_tool_result, code_execution_tool_result, ...) and uses
# come in new kinds with each new tool: their names say what they are.
_MESSAGES_SUFFIXES: dict[str, _Need] = {"_tool_result": (("tool_use_id",), str), "_tool_use": (("name",), str)}
RESPONSES_PARTS: dict[str, _Need] = {
    "input_text": _TEXT,
    "output_text": _TEXT,
    "input_image": (("image_url", "file_id"), str),
    "input_file": (("file_data", "file_id", "file_url"), str),
    "input_audio": (("input_audio",), Mapping),
    "refusal": (("refusal",), str),
    "summary_text": _TEXT,
    "reasoning_text": _TEXT,
    "computer_screenshot": None,
    # Chat's plain text part: LiteLLM takes it here too.
    "text": _TEXT,
}
# Responses input items other than messages. ``*_call`` items are tool calls and ``*_output``
# items tool outputs, whatever the tool (function, custom, shell, computer, MCP, ...).
RESPONSES_ITEMS: dict[str, _Need] = {
    "function_call": (("name",), str),
    "function_call_output": (("call_id",), str),
    "custom_tool_call": (("name",), str),
    "custom_tool_call_output": (("call_id",), str),
    "reasoning": None,
    "item_reference": (("id",), str),
    "compaction": None,
    "compaction_trigger": None,
    "additional_tools": None,
    "configuration_update": None,
    "program": None,
    "program_output": None,
    "mcp_list_tools": None,
    "mcp_approval_request": None,
    "mcp_approval_response": None,
    "mcp_call": None,
    "tool_search_call": None,
    "tool_search_output": None,
    "file_search_call": None,
    "web_search_call": None,
    "computer_call": None,
    "computer_call_output": None,
    "image_generation_call": None,
    "code_interpreter_call": None,
    "local_shell_call": None,
    "local_shell_call_output": None,
    "shell_call": None,
    "shell_call_output": None,
    "apply_patch_call": None,
    "apply_patch_call_output": None,
}
GEMINI_DATA = (
    "text",
    "inlineData",
    "inline_data",
    "fileData",
    "file_data",
    "functionCall",
    "function_call",
    "functionResponse",
    "function_response",
    "executableCode",
    "executable_code",
    "codeExecutionResult",
    "code_execution_result",
)
CHAT_ROLES = frozenset({"system", "developer", "user", "assistant", "tool", "function"})
MESSAGES_ROLES = frozenset({"user", "assistant"})
RESPONSES_ROLES = frozenset({"user", "assistant", "system", "developer"})
_FORMAT_NAME = {"chat": "chat completions", "messages": "Anthropic messages", "responses": "Responses"}
# Anthropic system blocks.
TEXT_ONLY: dict[str, _Need] = {"text": _TEXT}


class RequestError(ValueError):
    """A request body the router cannot read; the message says what is wrong."""


@dataclass(slots=True)
class Ask:
    """One request, read. ``prompt`` is the newest human ask; ``history`` the human asks
    before it (oldest first, at most the ``history`` given to ``parse_request``). Treat it as
    read-only: it is not frozen because a frozen dataclass of this size takes four times as
    long to build (every request builds one)."""

    prompt: str
    system: str | None
    has_tools: bool
    has_vision: bool
    max_output_tokens: int | None
    json_output: bool
    input_tokens: float
    api: str  # "chat", "messages", "responses" or "gemini"
    history: tuple[str, ...] = ()
    # The newest content is a tool's result: the model is called back inside an agent loop.
    tool_turn: bool = False
    # The body holds turns before the newest ask (it is not a conversation's first request).
    has_history: bool = False
    # The first user message's text (a conversation's identity when nothing else names it).
    first_user: str = ""
    previous_response_id: str | None = None
    # The assistant's text just before the newest ask (the start of it), for the topic check.
    last_reply: str = ""


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


_MISSING: Any = object()
_JSON_TYPE = {str: "a string", Mapping: "an object", list: "a list", (str, Mapping): "a string or an object"}


def _check_needs(part: Mapping[str, Any], need: _Need, where: str) -> None:
    """RequestError unless one of the part's required fields holds a value of its type."""
    if need is None:
        return
    fields, types = need
    for field in fields:
        if isinstance(part.get(field), types):
            return
    what = _JSON_TYPE.get(types, "of another type")
    if len(fields) == 1:
        raise RequestError(f"{where}.{fields[0]} must be {what}")
    raise RequestError(f"{where} needs one of {', '.join(fields)} ({what})")


def _kind(part: Mapping[str, Any], where: str, what: str) -> str:
    """The ``type`` of a content part or item, which must be a string."""
    kind = part.get("type")
    if isinstance(kind, str):
        return kind
    if "type" not in part:
        raise RequestError(f"{where}.type is missing: every {what} names its type")
    raise RequestError(f"{where}.type must be a string, got {_json_name(kind)}")


def _json_name(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def _format(parts: dict[str, Any], suffixes: dict[str, Any], roles: Any) -> tuple[Any, ...]:
    # The text parts of a format are checked inline, as most parts are text.
    return parts, suffixes, roles, TEXT_PARTS.intersection(parts)


# Per format read by _Reader: its part types, part-type suffixes, roles and text part types.
# None reads a messages body of either shape (Gemini parts have no type: see gemini_parts).
_FORMATS: dict[str | None, tuple[Any, ...]] = {
    "chat": _format(CHAT_PARTS, {}, CHAT_ROLES),
    "messages": _format(MESSAGES_PARTS, _MESSAGES_SUFFIXES, MESSAGES_ROLES),
    "responses": _format(RESPONSES_PARTS, {}, RESPONSES_ROLES),
    None: _format({**MESSAGES_PARTS, **CHAT_PARTS}, _MESSAGES_SUFFIXES, CHAT_ROLES),
}


class _Reader:
    """Walks one request body, collecting text, images and tool use, and checking that every
    part and item is one its format (``api``) allows. ``api`` None reads a ``messages`` body
    of either shape, chat or Anthropic, and allows the parts of both."""

    def __init__(self, history: int = HISTORY_ASKS, api: str | None = None) -> None:
        self.api = api
        self.parts, self.suffixes, self.roles, self.text_kinds = _FORMATS.get(api, _FORMATS[None])
        self.system: list[str] = []
        self.everything: list[str] = []
        # The newest asks, the newest last; one more than the history kept.
        self.asks: deque[str] = deque(maxlen=history + 1)
        self.first_user: str | None = None
        self.turns = 0  # messages read, asks included
        self.ask_turn = -1  # index of the newest ask among them
        self.tool_turn = False
        self.reply = ""  # the newest assistant text
        self.reply_before_ask = ""  # the assistant text before the newest ask
        self.results = 0  # tool results in the message being read
        self.images = 0
        self.tools = False
        self.anthropic_parts = False  # tool_use, tool_result or image blocks: Anthropic's shape

    def older(self, message: Any, index: int) -> None:
        """A message before the asks the policy reads: only what sizes and filters the
        request is taken from a plain text turn; anything else is read in full."""
        if type(message) is dict:
            content, role = message.get("content"), message.get("role")
            if (
                type(content) is str
                and (role == "assistant" or role == "user")
                and not message.get("tool_calls")
                and not message.get("function_call")
            ):
                self.everything.append(content)
                if role == "user" and self.first_user is None and content.strip():
                    self.first_user = content
                self.turns += 1
                return
        self.message(message, f"messages[{index}]")

    def ask(self, text: str) -> None:
        ask = strip_reminders(text).strip()
        if ask:
            self.asks.append(ask)
            self.ask_turn = self.turns
            self.tool_turn = False
            self.reply_before_ask = self.reply
        elif self.results:
            self.tool_turn = True

    def part_kind(self, part: Mapping[str, Any], where: str, text_only: bool) -> str:
        """The type of a content part, checked against the format's part types."""
        kind = _kind(part, where, "content part")
        need = (TEXT_ONLY if text_only else self.parts).get(kind, _MISSING)
        if need is _MISSING and not text_only:
            need = next((n for suffix, n in self.suffixes.items() if kind.endswith(suffix)), _MISSING)
        if need is _MISSING and text_only:
            raise RequestError(f"{where}.type {kind!r} is not allowed in a system prompt (expected text)")
        if need is _MISSING:
            allowed = [*self.parts, *(f"*{s}" for s in self.suffixes)]
            name = _FORMAT_NAME.get(self.api or "", "chat or Anthropic messages")
            raise RequestError(f"{where}.type {kind!r} is not a content part of {name} (expected {', '.join(allowed)})")
        _check_needs(part, need, where)
        if (
            kind == "image_url"
            and isinstance(part["image_url"], Mapping)
            and not isinstance(part["image_url"].get("url"), str)
        ):
            raise RequestError(f"{where}.image_url.url must be a string")
        return kind

    def content(self, content: Any, where: str, nested: bool = False, text_only: bool = False) -> str:
        """The plain text of a message's content (string or list of parts). ``nested``: the
        content of a tool result, where no tool block may appear; ``text_only``: a system
        prompt's blocks."""
        if content is None:
            return ""
        if isinstance(content, str):
            self.everything.append(content)
            return content
        if not isinstance(content, list):
            raise RequestError(f"{where} must be a string or a list of content parts, not {type(content).__name__}")
        texts = []
        for i, part in enumerate(content):
            if type(part) is dict and part.get("type") in self.text_kinds and type(part.get("text")) is str:
                text = part["text"]
                texts.append(text)
                self.everything.append(text)
                continue
            at = f"{where}[{i}]"
            if not isinstance(part, Mapping):
                raise RequestError(f"{at} must be an object (a content part), not {_json_name(part)}")
            kind = self.part_kind(part, at, text_only)
            if kind in TEXT_PARTS:
                text = part["text"]
                texts.append(text)
                self.everything.append(text)
            elif kind in IMAGE_PARTS:
                self.images += 1
                self.anthropic_parts |= kind == "image"
            elif kind == "tool_use" or kind == "tool_result":
                if nested:
                    raise RequestError(f"{at}: a {kind} block cannot be inside a tool result")
                self.anthropic_parts = self.tools = True
                if kind == "tool_result":
                    self.results += 1
                    # A tool result's own content is context, not the ask.
                    inner = part.get("content")
                    if inner is not None and not isinstance(inner, (str, list)):
                        raise RequestError(f"{at}.content must be a string or a list of content parts")
                    self.content(inner, f"{at}.content", nested=True)
        return "\n".join(texts)

    def message(self, message: Any, where: str) -> None:
        if not isinstance(message, Mapping):
            raise RequestError(f"{where} must be an object")
        self.results = 0
        if self.api == "responses":
            kind = message.get("type", _MISSING)
            if kind != "message" and (kind is not _MISSING or "role" not in message):
                self.item(message, where)
                self.turns += 1
                return
        role = message.get("role")
        if not isinstance(role, str):
            raise RequestError(f"{where}.role must be a string")
        if role not in self.roles:
            raise RequestError(f"{where}.role must be one of {', '.join(sorted(self.roles))}, got {role!r}")
        if message.get("tool_calls") or message.get("function_call") or role in ("tool", "function"):
            self.tools = True
        text = self.content(message.get("content"), f"{where}.content")
        if role in ("system", "developer"):
            self.system.append(text)
            return
        if role == "user":
            if self.first_user is None and text.strip():
                self.first_user = text
            self.ask(text)
        elif role in ("tool", "function"):
            self.tool_turn = True
        elif role == "assistant" and text:
            self.reply = text
        self.turns += 1

    def item(self, item: Mapping[str, Any], where: str) -> None:
        """A Responses input item that is not a message: a tool call or output, reasoning,
        a reference to an earlier item, ..."""
        if "type" not in item and isinstance(item.get("id"), str):
            return  # an item reference may leave out its type
        if "type" not in item:
            raise RequestError(f"{where} needs a role (a message) or a type (an item such as function_call_output)")
        kind = _kind(item, where, "item")
        need = RESPONSES_ITEMS.get(kind, _MISSING)
        if need is _MISSING:
            if not kind.endswith(("_call", "_output")):
                others = [k for k in RESPONSES_ITEMS if not k.endswith(("_call", "_output"))]
                raise RequestError(
                    f"{where}.type {kind!r} is not a Responses input item (expected message, a "
                    f"*_call or *_output item such as function_call_output, or {', '.join(others)})"
                )
            need = None
        _check_needs(item, need, where)
        if kind.endswith("_output"):
            self.tools = self.tool_turn = True
            self.results += 1
            output = item.get("output")
            if isinstance(output, (str, list)):
                # A tool's output is context, not the ask.
                self.content(output, f"{where}.output", nested=True)
        elif kind.endswith("_call"):
            self.tools = True

    def gemini_parts(self, parts: Any, where: str) -> tuple[str, bool]:
        """The text of a Gemini ``parts`` list, and whether it holds a function response."""
        if not isinstance(parts, list):
            raise RequestError(f"{where} must be a list of parts")
        texts, result = [], False
        for i, part in enumerate(parts):
            at = f"{where}[{i}]"
            if not isinstance(part, Mapping):
                raise RequestError(f"{at} must be an object")
            data = next((key for key in GEMINI_DATA if key in part), None)
            if data is None:
                raise RequestError(
                    f"{at} holds no data: expected one of text, inlineData, fileData, functionCall, "
                    "functionResponse, executableCode, codeExecutionResult"
                )
            if data == "text":
                text = part["text"]
                if not isinstance(text, str):
                    raise RequestError(f"{at}.text must be a string")
                texts.append(text)
                self.everything.append(text)
            elif data in ("inlineData", "inline_data", "fileData", "file_data"):
                if not isinstance(part[data], Mapping):
                    raise RequestError(f"{at}.{data} must be an object")
                self.images += 1
            elif data in ("functionCall", "function_call"):
                self.tools = True
            elif data in ("functionResponse", "function_response"):
                self.tools = result = True
                self.everything.append(_dumps(part, at))
        return "\n".join(texts), result

    def gemini(self, content: Any, where: str) -> None:
        if not isinstance(content, Mapping):
            raise RequestError(f"{where} must be an object")
        role = content.get("role", "user")
        if role not in ("user", "model", "function", "tool"):
            raise RequestError(f"{where}.role must be 'user' or 'model', got {role!r}")
        text, result = self.gemini_parts(content.get("parts", []), f"{where}.parts")
        if role == "model":
            if text:
                self.reply = text
            self.turns += 1
            return
        self.results = int(result)
        if role == "user" and self.first_user is None and text:
            self.first_user = text
        self.ask(text)
        self.turns += 1


def _max_tokens(body: Mapping[str, Any], *keys: str) -> int | None:
    for key in keys:
        value = body.get(key)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise RequestError(f"{key} must be a positive integer, got {value!r}")
        return value
    return None


def _response_format(value: Any, where: str, schema: str) -> bool:
    """Whether a response format (chat's ``response_format``, Responses' ``text.format``)
    asks for JSON; RequestError if it is not one. ``schema`` is the key a json_schema
    format keeps its schema under."""
    if value is None:
        return False
    if not isinstance(value, Mapping):
        raise RequestError(f'{where} must be an object such as {{"type": "json_object"}}, got {_json_name(value)}')
    kind = value.get("type")
    if kind not in RESPONSE_FORMATS:
        raise RequestError(f"{where}.type must be one of text, json_object, json_schema, got {kind!r}")
    if kind == "json_schema" and not isinstance(value.get(schema), Mapping):
        raise RequestError(f"{where}.{schema} must be an object (the schema)")
    return kind in JSON_FORMATS


def parse_request(body: Any, *, history: int = HISTORY_ASKS, api: str | None = None) -> Ask:
    """Read an OpenAI chat-completions, Anthropic messages, OpenAI responses or Gemini
    generateContent body; keep at most ``history`` human asks before the newest.

    ``api`` names the format the body was sent as (the proxy route; one of ``APIS``): a
    ``messages`` body is then checked against that format alone. Without it, a ``messages``
    body may be either chat or Anthropic messages, told apart by its shape. Raises
    RequestError naming the field for anything its format does not allow."""
    if not isinstance(body, Mapping):
        raise RequestError(f"the request body must be a JSON object, got {_json_name(body)}")
    if api is not None and api not in APIS:
        raise ValueError(f"api must be one of {', '.join(APIS)} or None, got {api!r}")
    previous_response_id = None
    if "messages" in body:
        shape = api if api in ("chat", "messages") else None
        reader = _Reader(history, shape)
        messages = body["messages"]
        if not isinstance(messages, list):
            raise RequestError("messages must be a list")
        if not messages:
            raise RequestError("messages must not be empty")
        if "system" in body:
            reader.system.append(reader.content(body["system"], "system", text_only=True))
        tail = _tail_start(messages, history)
        for i in range(tail):
            reader.older(messages[i], i)
        for i in range(tail, len(messages)):
            reader.message(messages[i], f"messages[{i}]")
        api = shape or ("messages" if "system" in body or reader.anthropic_parts else "chat")
        max_tokens = _max_tokens(body, "max_completion_tokens", "max_tokens")
        json_output = _response_format(body.get("response_format"), "response_format", "json_schema")
        if shape != "chat" and body.get("output_format") is not None:
            # Anthropic's structured outputs: {"type": "json_schema", "schema": {...}}.
            json_output = _response_format(body["output_format"], "output_format", "schema") or json_output
    elif "input" in body:
        api = "responses"
        reader = _Reader(history, api)
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
        previous_response_id = body.get("previous_response_id")
        if previous_response_id is not None and not isinstance(previous_response_id, str):
            raise RequestError("previous_response_id must be a string")
        max_tokens = _max_tokens(body, "max_output_tokens")
        text = body.get("text")
        if text is not None and not isinstance(text, Mapping):
            raise RequestError(
                f'text must be an object such as {{"format": {{"type": "json_object"}}}}, got {_json_name(text)}'
            )
        json_output = _response_format((text or {}).get("format"), "text.format", "schema")
    elif "contents" in body:
        api = "gemini"
        reader = _Reader(history, api)
        instruction = body.get("systemInstruction", body.get("system_instruction"))
        if isinstance(instruction, str):
            reader.system.append(instruction)
            reader.everything.append(instruction)
        elif instruction is not None:
            parts = instruction.get("parts", []) if isinstance(instruction, Mapping) else instruction
            reader.system.append(reader.gemini_parts(parts, "systemInstruction.parts")[0])
        contents = body["contents"]
        if isinstance(contents, (str, Mapping)):
            contents = [{"role": "user", "parts": [{"text": contents}]} if isinstance(contents, str) else contents]
        if not isinstance(contents, list):
            raise RequestError("contents must be a list")
        if not contents:
            raise RequestError("contents must not be empty")
        for i, content in enumerate(contents):
            reader.gemini(content, f"contents[{i}]")
        config = body.get("generationConfig", body.get("generation_config"))
        if config is not None and not isinstance(config, Mapping):
            raise RequestError("generationConfig must be an object")
        config = config or {}
        max_tokens = _max_tokens(config, "maxOutputTokens", "max_output_tokens")
        mime = config.get("responseMimeType", config.get("response_mime_type"))
        if mime is not None and not isinstance(mime, str):
            raise RequestError(f"generationConfig.responseMimeType must be a string, got {_json_name(mime)}")
        json_output = mime == "application/json"
    else:
        raise RequestError("the request has neither 'messages', 'input' nor 'contents'")
    tools = _tools(body)
    system = "\n".join(s for s in reader.system if s) or None
    asks = list(reader.asks)
    prompt = asks.pop() if asks else ""
    return Ask(
        prompt=prompt,
        system=system,
        has_tools=bool(tools) or reader.tools,
        has_vision=reader.images > 0,
        max_output_tokens=max_tokens,
        json_output=json_output,
        input_tokens=_text_tokens(reader.everything) + _tool_tokens(tools) + IMAGE_TOKENS * reader.images,
        api=api,
        history=tuple(asks),
        tool_turn=reader.tool_turn,
        has_history=reader.ask_turn > 0
        or (reader.ask_turn < 0 and reader.turns > 0)
        or previous_response_id is not None,
        first_user=reader.first_user or "",
        previous_response_id=previous_response_id,
        last_reply=reader.reply_before_ask[:REPLY_CHARS],
    )


def _tools(body: Mapping[str, Any]) -> list[Any] | None:
    """The request's tool schemas (``tools``, else the legacy ``functions``), each an object."""
    key = "tools" if body.get("tools") else "functions"
    tools = body.get(key)
    if tools is None:
        return None
    if not isinstance(tools, list):
        raise RequestError(f"{key} must be a list")
    for i, tool in enumerate(tools):
        if not isinstance(tool, Mapping):
            raise RequestError(f"{key}[{i}] must be an object, got {_json_name(tool)}")
    return tools


def _tail_start(messages: list[Any], history: int) -> int:
    """Where the messages that hold the newest ``history`` + 1 asks begin (0 for short
    conversations): the messages before are read only for size and capabilities."""
    if len(messages) <= 4 * (history + 2):
        return 0
    asks = 0
    for i in range(len(messages) - 1, -1, -1):
        m = messages[i]
        if type(m) is dict and m.get("role") == "user" and _has_text(m.get("content")):
            asks += 1
            if asks > history:
                return i
    return 0


def _has_text(content: Any) -> bool:
    if isinstance(content, str):
        return bool(strip_reminders(content).strip())
    if isinstance(content, list):
        return any(
            isinstance(p, Mapping)
            and p.get("type") in TEXT_PARTS
            and isinstance(p.get("text"), str)
            and strip_reminders(p["text"]).strip()
            for p in content
        )
    return False


def _text_tokens(texts: list[str]) -> float:
    """Estimated tokens of ``texts`` joined by newlines. ASCII text is a quarter token per
    character, so only non-ASCII texts are scanned: a long history of ASCII turns costs
    nothing per character."""
    total = 0.25 * max(len(texts) - 1, 0)
    for text in texts:
        total += len(text) * 0.25 if text.isascii() else estimate_tokens(text)
    return total


def _tool_tokens(tools: list[Any] | None) -> float:
    """Estimated tokens of the tool schemas (they count towards the context window only)."""
    if not tools:
        return 0.0
    return estimate_tokens(_dumps(tools, "tools"))


def _dumps(value: Any, where: str) -> str:
    """``value`` as JSON text; RequestError naming ``where`` if it is not JSON (objects,
    lists, strings, numbers, booleans and null, nested less deep than Python's recursion
    limit)."""
    try:
        return json.dumps(value)
    except RecursionError:
        raise RequestError(f"{where} is nested too deeply") from None
    except (TypeError, ValueError) as e:
        raise RequestError(f"{where} must be JSON (objects, lists, strings, numbers, booleans, null): {e}") from None
