"""End to end: ``/v1/messages/count_tokens`` (Claude Code calls it) for ``smart/<profile>`` and
for concrete models, on the real LiteLLM proxy in front of the fake OpenAI-compatible upstream
on 127.0.0.1, with a master key so LiteLLM's own auth guards the route. Driven by the real
anthropic SDK and raw HTTP; every process is stopped after the module.

The hook installs the route when LiteLLM imports it (``count_tokens.install_route()``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anthropic
import httpx
import pytest
import yaml

from helpers import proxy_client
from smart_llm_router import Router
from smart_llm_router.proxy import demo_config, free_port, running_proxy, running_upstream

pytestmark = pytest.mark.e2e

KEY = "sk-count-tokens-test-master"
PATH = "/v1/messages/count_tokens"
GATEWAY_PATH = "/claude_code_gateway/v1/messages/count_tokens"
PROOF = "Prove that sqrt(2) is irrational step by step"
LONG = " ".join(["Summarise the history of the printing press in Europe and its effects."] * 20)
TOOLS = [
    {
        "name": "get_weather",
        "description": "Current weather for a city, with temperature, wind and precipitation.",
        "input_schema": {
            "type": "object",
            "properties": {"city": {"type": "string", "description": "City name"}},
            "required": ["city"],
        },
    }
]
SYSTEM = "You are a meticulous assistant. Answer in British English, cite sources, and keep a formal tone."


class Stack:
    def __init__(self, url: str, config: Path) -> None:
        self.url = url
        self.router = Router(config)
        self.http = proxy_client(url, KEY)

    def count(self, body: Any, path: str = PATH, **kwargs: Any) -> httpx.Response:
        return self.http.post(path, json=body, **kwargs)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("count_tokens")
    with running_upstream() as port:
        data = demo_config(port)
        data["general_settings"]["enable_claude_code_gateway"] = True
        config = tmp / "config.yaml"
        config.write_text(yaml.safe_dump(data, sort_keys=False), "utf-8")
        with (
            open(tmp / "proxy.log", "w") as log,
            running_proxy(
                config,
                port=free_port(avoid={port}),
                log_file=log,
                env={"LITELLM_MASTER_KEY": KEY},
            ) as info,
        ):
            yield Stack(info["url"], config)


@pytest.fixture
def claude(stack: Stack) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=stack.url, api_key=KEY, max_retries=0, timeout=60)


def user(text: str) -> list[dict[str, Any]]:
    return [{"role": "user", "content": text}]


def body(model: str, text: str = "hi", **extra: Any) -> dict[str, Any]:
    return {"model": model, "messages": user(text), **extra}


def ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    data = response.json()
    assert isinstance(data["input_tokens"], int) and data["input_tokens"] > 0, data
    return data


def anthropic_error(response: httpx.Response, status: int = 400) -> str:
    assert response.status_code == status, response.text
    data = response.json()
    assert data["type"] == "error", data
    assert data["error"]["type"] == "invalid_request_error", data
    message = data["error"]["message"]
    assert message.startswith("smart-router: "), message
    assert "Traceback" not in response.text
    return message


# --- smart/* is counted for the routed model ---------------------------------------------------


@pytest.mark.parametrize("profile", ["auto", "premium"])
def test_the_sdk_counts_smart_models(claude: anthropic.Anthropic, profile: str) -> None:
    short = claude.messages.count_tokens(model=f"smart/{profile}", messages=user("hi"))
    long = claude.messages.count_tokens(model=f"smart/{profile}", messages=user(LONG))
    assert short.input_tokens > 0
    assert long.input_tokens > short.input_tokens + 100


def test_the_beta_sdk_call_is_served_too(claude: anthropic.Anthropic) -> None:
    # Claude Code calls /v1/messages/count_tokens?beta=true
    assert claude.beta.messages.count_tokens(model="smart/auto", messages=user("hi")).input_tokens > 0


@pytest.mark.parametrize(
    ("profile", "text"),
    [
        ("auto", "hi"),
        ("auto", PROOF),
        ("auto", LONG),
        ("premium", "hi"),
        ("premium", PROOF),
        ("eco", PROOF),
    ],
)
def test_the_count_is_litellms_count_for_the_routed_model(stack: Stack, profile: str, text: str) -> None:
    request = body(f"smart/{profile}", text)
    routed = stack.count(request)
    expected_model = stack.router.route_request(request).model
    assert routed.headers["x-smart-router-model"] == expected_model
    assert routed.headers["x-smart-router-profile"] == profile
    direct = stack.count({**request, "model": expected_model})
    assert "x-smart-router-model" not in direct.headers
    assert ok(routed) == ok(direct)


def test_the_profile_name_is_case_insensitive(stack: Stack) -> None:
    routed = stack.count(body("Smart/Auto", PROOF))
    assert ok(routed)["input_tokens"] == ok(stack.count(body("smart/auto", PROOF)))["input_tokens"]
    assert routed.headers["x-smart-router-model"] == stack.router.route(PROOF).model


def test_system_prompt_and_tools_are_counted(stack: Stack, claude: anthropic.Anthropic) -> None:
    plain = ok(stack.count(body("smart/auto", PROOF)))["input_tokens"]
    with_system = ok(stack.count(body("smart/auto", PROOF, system=SYSTEM)))["input_tokens"]
    with_blocks = ok(stack.count(body("smart/auto", PROOF, system=[{"type": "text", "text": SYSTEM}])))["input_tokens"]
    with_tools = ok(stack.count(body("smart/auto", PROOF, tools=TOOLS)))["input_tokens"]
    assert with_system > plain
    assert with_blocks > plain
    assert with_tools > plain
    sdk = claude.messages.count_tokens(model="smart/auto", messages=user(PROOF), system=SYSTEM, tools=TOOLS)
    assert sdk.input_tokens > max(with_system, with_tools)


def test_the_claude_code_gateway_path_is_served_too(stack: Stack) -> None:
    request = body("smart/auto", PROOF)
    routed = stack.count(request, path=GATEWAY_PATH)
    assert routed.headers["x-smart-router-model"] == stack.router.route_request(request).model
    assert ok(routed) == ok(stack.count(request))


# --- concrete models are LiteLLM's own business ------------------------------------------------


@pytest.mark.parametrize("model", ["openai/gpt-4o", "deepseek/deepseek-chat", "anthropic/claude-sonnet-4.6"])
def test_a_concrete_model_is_counted_locally(stack: Stack, claude: anthropic.Anthropic, model: str) -> None:
    # openai/ deployments on a non-OpenAI server: token_count_framing makes LiteLLM estimate
    # locally instead of answering the upstream's 404 for /responses/input_tokens.
    response = stack.count(body(model, PROOF))
    assert ok(response)["litellm_count_source"] == "local_estimate"
    assert "x-smart-router-model" not in response.headers
    assert (
        claude.messages.count_tokens(model=model, messages=user(PROOF)).input_tokens == response.json()["input_tokens"]
    )


def test_concrete_model_errors_are_litellms(stack: Stack) -> None:
    response = stack.count({"model": "openai/gpt-4o", "messages": []})
    assert response.status_code == 400, response.text
    assert response.json()["type"] == "error"
    assert "smart-router" not in response.text


# --- errors ----------------------------------------------------------------------------------


def test_an_unknown_profile_is_a_400_naming_the_valid_ones(stack: Stack, claude: anthropic.Anthropic) -> None:
    message = anthropic_error(stack.count(body("smart/nope")))
    assert "nope" in message
    for profile in stack.router.profiles:
        assert profile in message
    with pytest.raises(anthropic.BadRequestError) as caught:
        claude.messages.count_tokens(model="smart/nope", messages=user("hi"))
    assert "valid profiles" in str(caught.value)


def test_a_request_no_model_can_take_is_a_400(stack: Stack) -> None:
    # ~1.5 M tokens: more than any context window of the profile.
    message = anthropic_error(stack.count({"model": "smart/premium", "messages": user("word " * 1_200_000)}))
    assert "premium" in message and "context window" in message


@pytest.mark.parametrize(
    ("request_body", "words"),
    [
        ({"model": "smart/auto", "messages": "hi"}, "messages must be a list"),
        ({"model": "smart/auto", "messages": {"role": "user", "content": "hi"}}, "messages must be a list"),
        ({"model": "smart/auto", "messages": []}, "messages must not be empty"),
        ({"model": "smart/premium", "messages": [{"role": "user", "content": 42}]}, ""),
        ({"model": "smart/auto", "messages": [{"role": "user", "content": "hi"}], "system": 7}, "system"),
    ],
)
def test_a_malformed_body_is_a_400(stack: Stack, request_body: Any, words: str) -> None:
    assert words in anthropic_error(stack.count(request_body))


def test_invalid_json_is_answered_by_litellm(stack: Stack) -> None:
    response = stack.http.post(
        PATH, content=b'{"model": "smart/auto", "messages": [', headers={"content-type": "application/json"}
    )
    assert 400 <= response.status_code < 500, response.text
    assert "Traceback" not in response.text


def test_litellms_auth_guards_the_route(stack: Stack) -> None:
    # Rejected exactly as LiteLLM's /v1/messages (same user_api_key_auth) rejects the same
    # credentials. Without a database LiteLLM cannot check a key other than the master key
    # (400 "No connected db."); with no key at all its auth fails on the missing prisma module.
    for headers in ({"Authorization": "Bearer sk-wrong"}, {"x-api-key": "sk-wrong"}, {}):
        response = httpx.post(f"{stack.url}{PATH}", json=body("smart/auto"), headers=headers, timeout=60)
        messages = httpx.post(
            f"{stack.url}/v1/messages", json={**body("smart/auto"), "max_tokens": 16}, headers=headers, timeout=60
        )
        assert response.status_code >= 400, response.text
        assert (response.status_code, response.text) == (messages.status_code, messages.text)
        assert "input_tokens" not in response.text
        assert "x-smart-router-model" not in response.headers
    # Anthropic clients send the key as x-api-key. LiteLLM's /v1/messages routes are loaded by
    # now (lazily, on the first /v1/messages* request); ours still comes first.
    response = httpx.post(f"{stack.url}{PATH}", json=body("smart/auto"), headers={"x-api-key": KEY}, timeout=60)
    ok(response)
    assert response.headers["x-smart-router-model"] == stack.router.route("hi").model
