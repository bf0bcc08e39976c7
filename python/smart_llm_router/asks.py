"""What a request asks: the human asks of its conversation and the facts that constrain the
model choice.

Reads the four request shapes clients send: OpenAI chat completions (``messages``),
Anthropic messages (``messages`` + top-level ``system``, content blocks), OpenAI responses
(``input`` + ``instructions``) and Gemini ``generateContent`` (``contents`` +
``systemInstruction``). Tool results, assistant turns and harness boilerplate
(``<system-reminder>`` blocks that coding agents put into user turns) are not asks.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .scoring import estimate_tokens

IMAGE_PARTS = frozenset({"image_url", "image", "input_image"})
TOOL_PARTS = frozenset({"tool_use", "tool_result", "function_call", "function_call_output"})
# Parts and items that carry a tool's output back to the model.
RESULT_PARTS = frozenset({"tool_result", "function_call_output"})
TEXT_PARTS = frozenset({"text", "input_text", "output_text"})
# Input tokens assumed per image for context-window checks and cost estimates.
IMAGE_TOKENS = 1000
JSON_FORMATS = frozenset({"json_object", "json_schema"})
# Earlier human asks kept per request when the caller does not say (the conversation policy
# reads at most this many; see ``conversation.history_asks``).
HISTORY_ASKS = 8
# The part of the assistant's last reply kept for the topic check.
REPLY_CHARS = 4000
_REMINDER_OPEN, _REMINDER_CLOSE = "<system-reminder>", "</system-reminder>"


class RequestError(ValueError):
    """A request body the router cannot read; the message says what is wrong."""


@dataclass(frozen=True, slots=True)
class Ask:
    """One request, read. ``prompt`` is the newest human ask; ``history`` the human asks
    before it (oldest first, at most the ``history`` given to ``parse_request``)."""

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


class _Reader:
    """Walks one request body, collecting text, images and tool use."""

    def __init__(self, history: int = HISTORY_ASKS) -> None:
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
            if (type(content) is str and (role == "assistant" or role == "user")
                    and not message.get("tool_calls") and not message.get("function_call")):
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
            if kind in ("tool_use", "tool_result", "image"):
                self.anthropic_parts = True
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
                if kind in RESULT_PARTS:
                    self.results += 1
                # A tool result's own content is context, not the ask.
                inner = part.get("content", part.get("output"))
                if isinstance(inner, (str, list)):
                    self.content(inner, f"{where}[{i}].content")
        return "\n".join(texts)

    def message(self, message: Any, where: str) -> None:
        if not isinstance(message, Mapping):
            raise RequestError(f"{where} must be an object")
        self.results = 0
        if message.get("type") in TOOL_PARTS:
            self.content([message], where)
            if self.results:
                self.tool_turn = True
            self.turns += 1
            return
        role = message.get("role")
        if not isinstance(role, str):
            raise RequestError(f"{where}.role must be a string")
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

    def gemini_parts(self, parts: Any, where: str) -> tuple[str, bool]:
        """The text of a Gemini ``parts`` list, and whether it holds a function response."""
        if not isinstance(parts, list):
            raise RequestError(f"{where} must be a list of parts")
        texts, result = [], False
        for i, part in enumerate(parts):
            if not isinstance(part, Mapping):
                raise RequestError(f"{where}[{i}] must be an object")
            if "text" in part:
                text = part["text"]
                if not isinstance(text, str):
                    raise RequestError(f"{where}[{i}].text must be a string")
                texts.append(text)
                self.everything.append(text)
            elif "inlineData" in part or "inline_data" in part or "fileData" in part or "file_data" in part:
                self.images += 1
            elif "functionCall" in part or "function_call" in part:
                self.tools = True
            elif "functionResponse" in part or "function_response" in part:
                self.tools = result = True
                self.everything.append(json.dumps(part, default=str))
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


def _format_type(value: Any) -> Any:
    return value.get("type") if isinstance(value, Mapping) else None


def parse_request(body: Any, *, history: int = HISTORY_ASKS) -> Ask:
    """Read an OpenAI chat-completions, Anthropic messages, OpenAI responses or Gemini
    generateContent body; keep at most ``history`` human asks before the newest."""
    if not isinstance(body, Mapping):
        raise RequestError("the request body must be a JSON object")
    reader = _Reader(history)
    previous_response_id = None
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
        tail = _tail_start(messages, history)
        for i in range(tail):
            reader.older(messages[i], i)
        for i in range(tail, len(messages)):
            reader.message(messages[i], f"messages[{i}]")
        if reader.anthropic_parts:
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
        previous_response_id = body.get("previous_response_id")
        if previous_response_id is not None and not isinstance(previous_response_id, str):
            raise RequestError("previous_response_id must be a string")
        max_tokens = _max_tokens(body, "max_output_tokens")
        text = body.get("text")
        json_output = isinstance(text, Mapping) and _format_type(text.get("format")) in JSON_FORMATS
    elif "contents" in body:
        api = "gemini"
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
        json_output = config.get("responseMimeType", config.get("response_mime_type")) == "application/json"
    else:
        raise RequestError("the request has neither 'messages', 'input' nor 'contents'")
    tools = body.get("tools") or body.get("functions")
    if tools is not None and not isinstance(tools, list):
        raise RequestError("tools must be a list")
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
        has_history=reader.ask_turn > 0 or (reader.ask_turn < 0 and reader.turns > 0) or previous_response_id is not None,
        first_user=reader.first_user or "",
        previous_response_id=previous_response_id,
        last_reply=reader.reply_before_ask[:REPLY_CHARS],
    )


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
        return any(isinstance(p, Mapping) and p.get("type") in TEXT_PARTS and isinstance(p.get("text"), str)
                   and strip_reminders(p["text"]).strip() for p in content)
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
    try:
        return estimate_tokens(json.dumps(tools, default=str))
    except (ValueError, RecursionError):
        raise RequestError("tools must be JSON: plain objects, lists, strings and numbers, nested at most ~900 deep") from None
