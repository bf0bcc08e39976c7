"""End to end: conversations through two real LiteLLM proxies (started as `slr start` starts
them) that share sessions through a real redis-server, in front of the fake upstream on
127.0.0.1; driven by the real openai and anthropic SDKs and raw HTTP (Gemini format). Every
process is stopped after the module; all traffic stays on loopback."""

from __future__ import annotations

import contextlib
import time
import uuid
from pathlib import Path
from typing import Any

import anthropic
import httpx
import openai
import pytest
import redis
import yaml

from helpers import proxy_client
from smart_llm_router import Router
from smart_llm_router.proxy import demo_config, free_port, running_proxy, running_upstream
from smart_llm_router.tables import TIERS

pytestmark = pytest.mark.e2e

KEY = "sk-anything"
HARD = (
    "Design a distributed rate limiter for a multi-region API gateway with Redis, explain "
    "consistency trade-offs and write the Go code."
)
TASK = (
    "Refactor the payment retry logic in src/payments/retry.py to use exponential backoff with jitter, "
    "keep the public API unchanged, and add unit tests for the edge cases (zero retries, overflow)."
)
TOOLS = [
    {
        "name": "read_file",
        "description": "Read a file of the repository.",
        "input_schema": {"type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"]},
    },
    {"name": "run_tests", "description": "Run the test suite.", "input_schema": {"type": "object", "properties": {}}},
]


class Proxy:
    def __init__(self, url: str) -> None:
        self.url = url
        self.http = proxy_client(url, KEY)
        self.oai = openai.OpenAI(base_url=f"{url}/v1", api_key=KEY, max_retries=0, timeout=60)
        self.claude = anthropic.Anthropic(base_url=url, api_key=KEY, max_retries=0, timeout=60)

    def chat(
        self, messages: list[dict[str, Any]], headers: dict[str, str] | None = None, **body: Any
    ) -> httpx.Response:
        return self.http.post(
            "/v1/chat/completions", json={"model": "smart/auto", "messages": messages, **body}, headers=headers or {}
        )


class Stack:
    def __init__(self, a: Proxy, b: Proxy, upstream: str, config: Path, redis: Any) -> None:
        self.a, self.b, self.upstream, self.redis = a, b, upstream, redis
        self.router = Router(config)

    def fault(self, model: str, status: int, count: int = 1) -> None:
        httpx.post(f"{self.upstream}/_faults", json={"model": model, "status": status, "count": count, "delay": 0})

    def reset(self) -> None:
        httpx.delete(f"{self.upstream}/_faults")


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, redis_server: Any):
    tmp = tmp_path_factory.mktemp("conversation")
    with contextlib.ExitStack() as stack:
        port = stack.enter_context(running_upstream())
        data = demo_config(port)
        data["router_settings"].update({"redis_host": "127.0.0.1", "redis_port": redis_server.port})
        data["smart_router"]["response_headers"] = "all"  # x-smart-router-turn says what each turn did
        config = tmp / "config.yaml"
        config.write_text(yaml.safe_dump(data, sort_keys=False), "utf-8")
        a = stack.enter_context(
            running_proxy(config, port=free_port(), log_file=stack.enter_context(open(tmp / "a.log", "w")))
        )
        b_port = free_port(avoid={int(a["url"].rsplit(":", 1)[1])})
        b = stack.enter_context(
            running_proxy(config, port=b_port, log_file=stack.enter_context(open(tmp / "b.log", "w")))
        )
        yield Stack(Proxy(a["url"]), Proxy(b["url"]), f"http://127.0.0.1:{port}", config, redis_server)


def user(text: str) -> dict[str, Any]:
    return {"role": "user", "content": text}


def smart(response: httpx.Response | Any) -> dict[str, str]:
    """The x-smart-router-* headers of a response, without the prefix."""
    return {k[len("x-smart-router-") :]: v for k, v in response.headers.items() if k.startswith("x-smart-router-")}


def test_a_session_begun_on_one_proxy_holds_its_tier_and_model_on_the_other(stack: Stack) -> None:
    session = {"x-smart-router-session": f"e2e-{uuid.uuid4()}"}
    first = stack.a.chat([user(HARD)], headers=session)
    assert first.status_code == 200, first.text
    h1 = smart(first)
    assert h1["tier"] == "COMPLEX" and h1["turn"] == "new"
    # The client trims its history: only the newest turn, and it goes to the other proxy.
    second = stack.b.chat([user("yes, go ahead and implement it")], headers=session)
    assert second.status_code == 200, second.text
    h2 = smart(second)
    assert (h2["tier"], h2["model"], h2["session"]) == (h1["tier"], h1["model"], h1["session"])
    assert h2["rule"] == "held" and h2["turn"] == "held"
    assert f"model={h1['model']} tier=COMPLEX" in second.json()["choices"][0]["message"]["content"]
    # Per-message routing would have sent it to a cheaper tier.
    assert TIERS.index(stack.router.route("yes, go ahead and implement it").tier) < TIERS.index("COMPLEX")


def test_without_a_session_the_history_decides(stack: Stack) -> None:
    messages = [
        user(HARD),
        {"role": "assistant", "content": "Here is a plan ..."},
        user("yes, go ahead and implement it"),
    ]
    h = smart(stack.b.chat(messages))
    assert (h["tier"], h["rule"]) == ("COMPLEX", "held")
    # A self-contained, clearly simpler new ask steps down.
    messages += [
        {"role": "assistant", "content": "Done."},
        user("Unrelated question: what is the capital city of Peru, and which language is spoken there?"),
    ]
    h = smart(stack.a.chat(messages))
    assert (h["tier"], h["rule"]) == ("SIMPLE", "stepped_down")


def test_reset_drops_the_held_tier(stack: Stack) -> None:
    session = {"x-smart-router-session": f"e2e-{uuid.uuid4()}"}
    assert smart(stack.a.chat([user(HARD)], headers=session))["tier"] == "COMPLEX"
    h = smart(stack.a.chat([user("ok thanks")], headers={**session, "X-Smart-Router-Reset": "true"}))
    assert (h["tier"], h["turn"]) == ("SIMPLE", "reset")
    # The state is gone on the other proxy too: the next follow-up holds SIMPLE.
    h = smart(stack.b.chat([user("continue")], headers=session))
    assert h["tier"] == "SIMPLE"


def test_sessions_are_scoped_to_the_caller_key(stack: Stack) -> None:
    # Without virtual keys (no database here) every caller shares the master scope, so this
    # checks the other half end to end: the same session id under another name is another session.
    sid = f"e2e-{uuid.uuid4()}"
    assert smart(stack.a.chat([user(HARD)], headers={"x-smart-router-session": sid}))["tier"] == "COMPLEX"
    h = smart(stack.a.chat([user("continue")], headers={"x-smart-router-session": sid + "-other"}))
    assert h["tier"] == "SIMPLE"


@pytest.mark.parametrize(
    "header, value",
    [
        ("x-smart-router-session", "x" * 300),
        ("x-smart-router-reset", "maybe"),
    ],
)
def test_malformed_session_headers_get_a_clear_400(stack: Stack, header: str, value: str) -> None:
    r = stack.a.chat([user("hi")], headers={header: value})
    assert r.status_code == 400
    assert header in r.text


def test_claude_code_loop_over_messages_streaming_holds_tier_and_model(stack: Stack) -> None:
    headers = {"x-claude-code-session-id": str(uuid.uuid4())}
    messages: list[dict[str, Any]] = [{"role": "user", "content": TASK}]
    seen = []
    steps = [
        (
            {"type": "tool_use", "id": "toolu_1", "name": "read_file", "input": {"path": "src/payments/retry.py"}},
            "def retry(fn, attempts=3):\n    for i in range(attempts):\n        ...",
        ),
        ({"type": "tool_use", "id": "toolu_2", "name": "run_tests", "input": {}}, "2 failed, 14 passed"),
    ]
    for i in range(len(steps) + 1):
        proxy = stack.a if i % 2 == 0 else stack.b
        with proxy.claude.messages.with_streaming_response.create(
            model="smart/auto",
            max_tokens=256,
            messages=messages,
            tools=TOOLS,
            stream=True,
            extra_headers=headers,
        ) as response:
            assert response.status_code == 200
            body = b"".join(response.iter_bytes())
            seen.append(smart(response))
        assert b"message_stop" in body
        if i < len(steps):
            call, output = steps[i]
            messages += [
                {"role": "assistant", "content": [call]},
                {
                    "role": "user",
                    "content": [
                        {"type": "tool_result", "tool_use_id": call["id"], "content": output},
                        {"type": "text", "text": "<system-reminder>Remember the todo list.</system-reminder>"},
                    ],
                },
            ]
    first = seen[0]
    expected = stack.router.route_request({"model": "smart/auto", "messages": messages[:1], "tools": TOOLS})
    assert (first["tier"], first["model"], first["turn"]) == (expected.tier, expected.model, "new")
    for later in seen[1:]:
        assert (later["tier"], later["model"], later["turn"]) == (first["tier"], first["model"], "tool_turn")
    # A human follow-up in the same session holds too, even sent alone.
    raw = stack.b.claude.messages.with_raw_response.create(
        model="smart/auto",
        max_tokens=64,
        messages=[{"role": "user", "content": "now run the tests again"}],
        tools=TOOLS,
        extra_headers=headers,
    )
    h = smart(raw)
    assert (h["tier"], h["model"]) == (first["tier"], first["model"])


def test_responses_previous_response_id_holds_the_tier(stack: Stack) -> None:
    responses = len(stored(stack, "*smart-router:response:*"))
    first = stack.a.oai.responses.with_raw_response.create(model="smart/auto", input=HARD)
    h1 = smart(first)
    assert h1["tier"] == "COMPLEX"
    rid = first.parse().id
    wait_until_stored(stack, "*smart-router:response:*", lambda found: len(found) > responses)
    second = stack.b.oai.responses.with_raw_response.create(
        model="smart/auto",
        input="yes, go ahead",
        previous_response_id=rid,
    )
    h2 = smart(second)
    assert (h2["tier"], h2["model"], h2["session"]) == ("COMPLEX", h1["model"], h1["session"])


def stored(stack: Stack, pattern: str) -> dict[bytes, bytes]:
    """The shared Redis's keys matching ``pattern`` and their values."""
    client = redis.Redis(port=stack.redis.port)
    return {k: client.get(k) or b"" for k in client.scan_iter(match=pattern)}


def wait_until_stored(stack: Stack, pattern: str, done: Any, timeout: float = 10.0) -> None:
    """The hook writes to Redis in the background, after the reply: wait (bounded) until the
    keys matching ``pattern`` satisfy ``done``."""
    deadline = time.monotonic() + timeout
    while not done(stored(stack, pattern)):
        assert time.monotonic() < deadline, f"no such write to Redis within {timeout} s"
        time.sleep(0.02)


def gemini(proxy: Proxy, contents: list[dict[str, Any]], stream: bool = False, **body: Any) -> httpx.Response:
    action = "streamGenerateContent?alt=sse" if stream else "generateContent"
    return proxy.http.post(f"/v1beta/models/smart/auto:{action}", json={"contents": contents, **body})


def test_gemini_format_is_routed_like_the_others(stack: Stack) -> None:
    r = gemini(
        stack.a,
        [{"role": "user", "parts": [{"text": HARD}]}],
        systemInstruction={"parts": [{"text": "You are a senior engineer."}]},
    )
    assert r.status_code == 200, r.text
    h = smart(r)
    assert h["tier"] == "COMPLEX"
    assert "COMPLEX" in r.json()["candidates"][0]["content"]["parts"][0]["text"]
    r = gemini(stack.b, [{"role": "user", "parts": [{"text": "hi"}]}], stream=True)
    assert r.status_code == 200, r.text
    assert smart(r)["tier"] == "SIMPLE" and "data:" in r.text


def test_gemini_function_loop_holds_the_tier(stack: Stack) -> None:
    tools = [
        {
            "functionDeclarations": [
                {
                    "name": "read_file",
                    "description": "Read a file.",
                    "parameters": {"type": "object", "properties": {"path": {"type": "string"}}},
                }
            ]
        }
    ]
    contents = [
        {"role": "user", "parts": [{"text": TASK}]},
        {
            "role": "model",
            "parts": [{"functionCall": {"name": "read_file", "args": {"path": "src/payments/retry.py"}}}],
        },
        {
            "role": "user",
            "parts": [{"functionResponse": {"name": "read_file", "response": {"content": "def retry(): ..."}}}],
        },
    ]
    first = smart(gemini(stack.a, contents[:1], tools=tools))
    r = gemini(stack.b, contents, tools=tools)
    assert r.status_code == 200, r.text
    h = smart(r)
    assert (h["tier"], h["turn"]) == (first["tier"], "tool_turn")


def test_the_headers_name_the_model_that_served_after_a_fallback(stack: Stack) -> None:
    stack.reset()
    decision = stack.router.route(HARD)
    primary, fallback = decision.fallback_chain[:2]
    stack.fault(primary, 500, count=1)
    session = {"x-smart-router-session": f"e2e-{uuid.uuid4()}"}
    try:
        h = smart(stack.a.chat([user(HARD)], headers=session))
    finally:
        stack.reset()
    assert (h["first-choice"], h["model"]) == (primary, fallback)
    # The session keeps the model that served: the follow-up stays on it (warm cache).
    served = f'"m":"{fallback}"'.encode()
    wait_until_stored(stack, "*smart-router:session:*", lambda found: any(served in v for v in found.values()))
    h = smart(stack.b.chat([user("continue")], headers=session))
    assert (h["tier"], h["model"]) == ("COMPLEX", fallback)


def test_redis_killed_mid_run_requests_still_succeed(stack: Stack) -> None:
    session = {"x-smart-router-session": f"e2e-{uuid.uuid4()}"}
    assert smart(stack.a.chat([user(HARD)], headers=session))["tier"] == "COMPLEX"
    stack.redis.kill()
    started = time.monotonic()
    statuses = []
    for i in range(6):
        proxy = stack.a if i % 2 == 0 else stack.b
        r = proxy.chat([user("continue")], headers=session)
        statuses.append(r.status_code)
    assert statuses == [200] * 6
    # Degraded, not stalled: six requests well within the time one black-holed call would take.
    assert time.monotonic() - started < 5
    # Proxy A still remembers the session in its own memory.
    assert smart(stack.a.chat([user("continue")], headers=session))["tier"] == "COMPLEX"
