"""End to end: the real LiteLLM proxy (started as `slr start` starts it) in front of the fake
OpenAI-compatible upstream on 127.0.0.1, driven by the real openai and anthropic SDKs and raw
HTTP. Every process is stopped after the module; all traffic stays on loopback."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import anthropic
import httpx
import openai
import pytest
import yaml

from helpers import proxy_client
from smart_llm_router import Router
from smart_llm_router.proxy import demo_config, free_port, running_proxy, running_upstream

pytestmark = pytest.mark.e2e

PROOF = "Prove that sqrt(2) is irrational step by step"
KEY = "sk-anything"
IMAGE = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="


class Stack:
    def __init__(self, url: str, upstream: str, config: Path) -> None:
        self.url, self.upstream, self.config = url, upstream, config
        self.router = Router(config)
        self.http = proxy_client(url, KEY)

    def fault(self, model: str, status: int, count: int = 1, delay: float = 0) -> None:
        httpx.post(f"{self.upstream}/_faults", json={"model": model, "status": status, "count": count, "delay": delay})

    def reset(self) -> None:
        httpx.delete(f"{self.upstream}/_faults")

    def calls(self) -> list[dict[str, Any]]:
        return httpx.get(f"{self.upstream}/_log").json()


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("proxy")
    with running_upstream() as port:
        data = demo_config(port)
        for entry in data["model_list"]:
            entry["litellm_params"]["timeout"] = 4
        data["smart_router"]["decision_log"] = {"path": "decisions.jsonl", "prompts": "text"}
        config = tmp / "config.yaml"
        config.write_text(yaml.safe_dump(data, sort_keys=False), "utf-8")
        with (
            open(tmp / "proxy.log", "w") as log,
            running_proxy(config, port=free_port(avoid={port}), log_file=log) as info,
        ):
            yield Stack(info["url"], f"http://127.0.0.1:{port}", config)


@pytest.fixture
def oai(stack: Stack) -> openai.OpenAI:
    stack.reset()
    return openai.OpenAI(base_url=f"{stack.url}/v1", api_key=KEY, max_retries=0, timeout=60)


@pytest.fixture
def claude(stack: Stack) -> anthropic.Anthropic:
    stack.reset()
    return anthropic.Anthropic(base_url=stack.url, api_key=KEY, max_retries=0, timeout=60)


def user(text: str) -> list[dict[str, Any]]:
    return [{"role": "user", "content": text}]


# --- chat completions ----------------------------------------------------------------------


def test_chat_is_routed_and_the_client_sees_why(stack: Stack, oai: openai.OpenAI) -> None:
    raw = oai.chat.completions.with_raw_response.create(model="smart/auto", messages=user(PROOF))
    assert raw.headers["x-smart-router-tier"] == "REASONING"
    assert raw.headers["x-smart-router-model"] == "deepseek/deepseek-r1"
    assert raw.headers["x-smart-router-rule"] and raw.headers["x-smart-router-session"]
    assert "x-smart-router-score" not in raw.headers  # not among smart_router.response_headers' defaults
    text = raw.parse().choices[0].message.content
    assert "model=deepseek/deepseek-r1 tier=REASONING" in text
    assert stack.calls()[-1]["model"] == "deepseek/deepseek-r1"


def test_chat_streaming_carries_the_headers(oai: openai.OpenAI) -> None:
    raw = oai.chat.completions.with_raw_response.create(model="smart/auto", messages=user("hi"), stream=True)
    assert raw.headers["x-smart-router-tier"] == "SIMPLE"
    text = "".join(c.choices[0].delta.content or "" for c in raw.parse() if c.choices)
    assert "model=google/gemini-2.5-flash-lite tier=SIMPLE" in text


def test_every_profile_routes_to_its_table(stack: Stack, oai: openai.OpenAI) -> None:
    for profile in stack.router.profiles:
        raw = oai.chat.completions.with_raw_response.create(model=f"Smart/{profile.upper()}", messages=user(PROOF))
        model = raw.headers["x-smart-router-model"]
        assert model == stack.router.route(PROOF, profile=profile).model
        assert f"model={model}" in raw.parse().choices[0].message.content


def test_a_concrete_model_bypasses_routing(stack: Stack, oai: openai.OpenAI) -> None:
    raw = oai.chat.completions.with_raw_response.create(model="openai/gpt-4o", messages=user(PROOF))
    assert "x-smart-router-tier" not in raw.headers
    assert stack.calls()[-1]["model"] == "openai/gpt-4o"


def test_tools_reach_a_function_calling_model(stack: Stack, oai: openai.OpenAI) -> None:
    tools = [
        {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {}}}}
    ]
    raw = oai.chat.completions.with_raw_response.create(
        model="smart/auto", messages=user("Look up the weather in Oslo and plan my week"), tools=tools
    )
    message = raw.parse().choices[0].message
    assert message.tool_calls and message.tool_calls[0].function.name == "get_weather"
    assert stack.router.catalog[raw.headers["x-smart-router-model"]].tools


def test_images_reach_a_vision_model(stack: Stack, oai: openai.OpenAI) -> None:
    content = [{"type": "text", "text": "what is in this picture?"}, {"type": "image_url", "image_url": {"url": IMAGE}}]
    for profile in ("auto", "eco", "free"):
        raw = oai.chat.completions.with_raw_response.create(
            model=f"smart/{profile}", messages=[{"role": "user", "content": content}]
        )
        assert stack.router.catalog[raw.headers["x-smart-router-model"]].vision, profile


def test_models_endpoint_lists_the_profiles(oai: openai.OpenAI) -> None:
    ids = {m.id for m in oai.models.list()}
    assert {"smart/auto", "smart/eco", "smart/premium", "smart/agentic", "smart/free"} <= ids


# --- Anthropic messages (what Claude Code sends) ---------------------------------------


def test_anthropic_messages_with_system_blocks(claude: anthropic.Anthropic) -> None:
    raw = claude.messages.with_raw_response.create(
        model="smart/auto",
        max_tokens=256,
        system=[{"type": "text", "text": "Answer with JSON that follows the schema."}],
        messages=[{"role": "user", "content": "hi"}],
    )
    assert raw.headers["x-smart-router-tier"] == "MEDIUM"
    assert raw.headers["x-smart-router-rule"] == "structured_output"
    assert "tier=MEDIUM" in raw.parse().content[0].text


def test_claude_code_shaped_turn(stack: Stack, claude: anthropic.Anthropic) -> None:
    tools = [{"name": "Bash", "description": "run a command", "input_schema": {"type": "object", "properties": {}}}]
    messages = [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "<system-reminder>Prove theorems step by step.</system-reminder>"},
                {"type": "text", "text": "Run the tests, fix the failing one and commit"},
            ],
        },
        {
            "role": "assistant",
            "content": [{"type": "tool_use", "id": "toolu_1", "name": "Bash", "input": {"command": "pytest"}}],
        },
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "1 failed"}]},
    ]
    raw = claude.messages.with_raw_response.create(
        model="smart/agentic",
        max_tokens=1024,
        tools=tools,
        messages=messages,
        system=[{"type": "text", "text": "You are Claude Code, Anthropic's official CLI."}],
    )
    assert raw.headers["x-smart-router-tier"] == "COMPLEX"
    assert raw.headers["x-smart-router-rule"] == "agentic_steps"
    assert stack.router.catalog[raw.headers["x-smart-router-model"]].tools
    assert raw.parse().content


def test_anthropic_streaming(claude: anthropic.Anthropic) -> None:
    with claude.messages.stream(model="smart/auto", max_tokens=128, messages=[{"role": "user", "content": PROOF}]) as s:
        text = "".join(s.text_stream)
        assert s.response.headers["x-smart-router-tier"] == "REASONING"
    assert "tier=REASONING" in text


# --- Responses API ---------------------------------------------------------------------


def test_responses_api(oai: openai.OpenAI) -> None:
    raw = oai.responses.with_raw_response.create(
        model="smart/eco", instructions="Be brief.", input="design a distributed rate limiter for our API gateway"
    )
    assert raw.headers["x-smart-router-tier"] == "COMPLEX"
    assert "tier=COMPLEX" in raw.parse().output_text


def test_responses_api_streaming(oai: openai.OpenAI) -> None:
    raw = oai.responses.with_raw_response.create(model="smart/auto", input=PROOF, stream=True)
    assert raw.headers["x-smart-router-tier"] == "REASONING"
    text = "".join(e.delta for e in raw.parse() if e.type == "response.output_text.delta")
    assert "tier=REASONING" in text


# --- fallbacks ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "delay"), [(500, 0), (429, 0), (404, 0), (0, 8)], ids=["500", "429", "404", "timeout"]
)
def test_failures_fall_back_to_the_next_model_of_the_tier(
    stack: Stack, oai: openai.OpenAI, status: int, delay: float
) -> None:
    chain = stack.router.route("hi").fallback_chain
    stack.fault(chain[0], status, count=1, delay=delay)
    raw = oai.chat.completions.with_raw_response.create(model="smart/auto", messages=user("hi"))
    assert f"model={chain[1]}" in raw.parse().choices[0].message.content
    assert [c["model"] for c in stack.calls()] == chain[:2]


def test_no_cooldown_after_a_failure(stack: Stack, oai: openai.OpenAI) -> None:
    chain = stack.router.route("hi").fallback_chain
    stack.fault(chain[0], 404, count=2)
    served = [
        oai.chat.completions.create(model="smart/auto", messages=user("hi")).choices[0].message.content
        for _ in range(3)
    ]
    assert f"model={chain[1]}" in served[0] and f"model={chain[1]}" in served[1]
    assert f"model={chain[0]}" in served[2]


def test_fallback_while_streaming(stack: Stack, oai: openai.OpenAI) -> None:
    chain = stack.router.route(PROOF).fallback_chain
    stack.fault(chain[0], 500)
    stream = oai.chat.completions.create(model="smart/auto", messages=user(PROOF), stream=True)
    text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    assert f"model={chain[1]}" in text


# --- bad input -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({"model": "smart/xyz", "messages": user("hi")}, "valid profiles are auto, eco, premium, agentic, free"),
        ({"model": "smart/auto", "messages": []}, "messages must not be empty"),
        ({"model": "smart/auto", "messages": [{"role": "user", "content": 42}]}, "must be a string or a list"),
        ({"model": "smart/auto", "messages": user("hi"), "max_tokens": "abc"}, "max_tokens must be a positive integer"),
    ],
)
def test_malformed_requests_get_a_clear_400(stack: Stack, body: dict, needle: str) -> None:
    response = stack.http.post("/v1/chat/completions", json=body)
    assert response.status_code == 400
    assert needle in response.text
    assert "Invalid model" not in response.text


def test_malformed_anthropic_request(stack: Stack) -> None:
    response = stack.http.post("/v1/messages", json={"model": "smart/nope", "max_tokens": 5, "messages": user("hi")})
    assert response.status_code == 400 and "valid profiles" in response.text


def test_not_json_is_rejected_cleanly(stack: Stack) -> None:
    response = stack.http.post(
        "/v1/chat/completions", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert 400 <= response.status_code < 500


def test_a_huge_prompt_does_not_stall_other_requests(stack: Stack) -> None:
    big = "first " * 350_000 + "then prove it"  # ~2 MB

    async def run() -> tuple[float, float, int]:
        async with httpx.AsyncClient(
            base_url=stack.url, headers={"Authorization": f"Bearer {KEY}"}, timeout=120
        ) as client:

            async def timed(text: str) -> tuple[float, int]:
                start = time.perf_counter()
                r = await client.post("/v1/chat/completions", json={"model": "smart/auto", "messages": user(text)})
                return time.perf_counter() - start, r.status_code

            await timed(big)  # warm LiteLLM's cold paths for large bodies first
            big_task = asyncio.create_task(timed(big))
            await asyncio.sleep(0.05)
            small, small_status = await timed("hi")
            big_time, big_status = await big_task
            assert small_status == big_status == 200
            return small, big_time, big_status

    small, big_time, _ = asyncio.run(run())
    print(f"hi during a 2 MB request: {small * 1000:.0f} ms; the 2 MB request: {big_time * 1000:.0f} ms")
    # "hi" is served while the 2 MB request is still in flight, not after it.
    assert small < big_time


def test_one_structured_log_line_per_decision(stack: Stack, oai: openai.OpenAI, tmp_path_factory) -> None:
    log = Path(stack.config).parent / "proxy.log"
    before = log.read_text("utf-8").count('"event": "smart_route"')
    oai.chat.completions.create(model="smart/premium", messages=user("design a fault-tolerant queue"))
    lines = [line for line in log.read_text("utf-8").splitlines() if '"event": "smart_route"' in line]
    assert len(lines) == before + 1
    entry = lines[-1].split(" ", 3)[3]
    import json as _json

    data = _json.loads(entry)
    assert (data["profile"], data["tier"]) == ("premium", "COMPLEX")
    assert data["model"] == "anthropic/claude-opus-4.7" and data["route_us"] >= 0


def test_the_decision_log_feeds_replay(stack: Stack, oai: openai.OpenAI) -> None:
    from smart_llm_router.replay import replay

    log = Path(stack.config).parent / "decisions.jsonl"
    oai.chat.completions.create(model="smart/eco", messages=user("Prove that 17 is prime"))
    last = json.loads(log.read_text("utf-8").splitlines()[-1])
    assert last["prompt"] == "Prove that 17 is prime" and last["profile"] == "eco"
    assert len(last["prompt_sha256"]) == 64 and last["tier"] == "REASONING"
    result = replay(log, stack.router)
    assert result.requests >= 1 and result.tier_changed == 0 and result.model_changed == 0
