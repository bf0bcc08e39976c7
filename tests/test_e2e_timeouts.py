"""End to end: per-tier timeouts (``smart_router.timeouts``) make a slow model give way to the
next one of its tier. The real LiteLLM proxy (started as `slr start` starts it) in front of the
fake upstream on 127.0.0.1, whose fault injection slows one model down; driven by the openai
and anthropic SDKs and raw HTTP. Gemini's format is not tested: LiteLLM's adapter for it
ignores timeouts (README, "The proxy hook"). Every process is stopped after the module."""

from __future__ import annotations

import time
from collections.abc import Callable
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

KEY = "sk-anything"
# Short enough to keep the module fast, long enough for a loaded CI machine's normal replies.
TIER_TIMEOUT = {"SIMPLE": 1, "MEDIUM": 1, "COMPLEX": 2, "REASONING": 2}
# A model of the COMPLEX tier (auto profile, second choice) that sets its own timeout.
OWN_TIMEOUT_MODEL, OWN_TIMEOUT = "anthropic/claude-sonnet-4.6", 5
HARD = "Design a fault-tolerant event-driven architecture for order processing"


class Stack:
    def __init__(self, url: str, upstream: str, config: Path) -> None:
        self.url, self.upstream = url, upstream
        self.router = Router(config)
        self.oai = openai.OpenAI(base_url=f"{url}/v1", api_key=KEY, max_retries=0, timeout=60)
        self.claude = anthropic.Anthropic(base_url=url, api_key=KEY, max_retries=0, timeout=60)
        self.http = proxy_client(url, KEY)

    def slow(self, model: str, seconds: float) -> None:
        """The next request for ``model`` succeeds, after ``seconds``."""
        httpx.post(f"{self.upstream}/_faults", json={"model": model, "status": 0, "count": 1, "delay": seconds})

    def reset(self) -> None:
        httpx.delete(f"{self.upstream}/_faults")

    def calls(self) -> list[str]:
        return [c["model"] for c in httpx.get(f"{self.upstream}/_log").json()]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("timeouts")
    with running_upstream() as port:
        data = demo_config(port)
        data["smart_router"]["timeouts"] = {t: {"timeout": s, "stream_timeout": s} for t, s in TIER_TIMEOUT.items()}
        for entry in data["model_list"]:
            if entry["model_name"] == OWN_TIMEOUT_MODEL:
                entry["litellm_params"].update(timeout=OWN_TIMEOUT, stream_timeout=OWN_TIMEOUT)
        config = tmp / "config.yaml"
        config.write_text(yaml.safe_dump(data, sort_keys=False), "utf-8")
        with (
            open(tmp / "proxy.log", "w") as log,
            running_proxy(config, port=free_port(avoid={port}), log_file=log) as info,
        ):
            yield Stack(info["url"], f"http://127.0.0.1:{port}", config)


@pytest.fixture
def s(stack: Stack) -> Stack:
    stack.reset()
    return stack


def _chat(s: Stack, prompt: str, stream: bool) -> str:
    messages: Any = [{"role": "user", "content": prompt}]
    if not stream:
        return s.oai.chat.completions.create(model="smart/auto", messages=messages).choices[0].message.content or ""
    chunks = s.oai.chat.completions.create(model="smart/auto", messages=messages, stream=True)
    return "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)


def _messages(s: Stack, prompt: str, stream: bool) -> str:
    messages: Any = [{"role": "user", "content": prompt}]
    if not stream:
        reply = s.claude.messages.create(model="smart/auto", max_tokens=256, messages=messages)
        return "".join(b.text for b in reply.content if b.type == "text")
    with s.claude.messages.stream(model="smart/auto", max_tokens=256, messages=messages) as events:
        return "".join(events.text_stream)


def _responses(s: Stack, prompt: str, stream: bool) -> str:
    if not stream:
        return s.oai.responses.create(model="smart/auto", input=prompt).output_text
    events = s.oai.responses.create(model="smart/auto", input=prompt, stream=True)
    return "".join(e.delta for e in events if e.type == "response.output_text.delta")


FORMATS: dict[str, Callable[[Stack, str, bool], str]] = {"chat": _chat, "messages": _messages, "responses": _responses}


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
@pytest.mark.parametrize("api", list(FORMATS))
def test_a_slow_model_gives_way_to_the_next_of_its_tier(s: Stack, api: str, stream: bool) -> None:
    decision = s.router.route("hi")
    chain, limit = decision.fallback_chain, TIER_TIMEOUT[decision.tier]
    s.slow(chain[0], limit + 5)
    started = time.monotonic()
    text = FORMATS[api](s, "hi", stream)
    elapsed = time.monotonic() - started
    assert f"model={chain[1]}" in text
    assert s.calls() == chain[:2]
    # The tier's timeout, not the slow model's delay (nor LiteLLM's default of 6000 s).
    assert limit <= elapsed < limit + 3, elapsed


def test_each_tier_waits_its_own_timeout(s: Stack) -> None:
    # REASONING waits 2 s: a model 1.5 s slow still answers there, where SIMPLE gives up.
    proof = "Prove that sqrt(2) is irrational step by step"
    decision = s.router.route(proof)
    assert decision.tier == "REASONING" and TIER_TIMEOUT["REASONING"] > 1.5 > TIER_TIMEOUT["SIMPLE"]
    s.slow(decision.model, 1.5)
    assert f"model={decision.model}" in _chat(s, proof, stream=False)
    simple = s.router.route("hi").fallback_chain
    s.slow(simple[0], 1.5)
    assert f"model={simple[1]}" in _chat(s, "hi", stream=False)


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
def test_a_models_own_timeout_wins_and_the_others_keep_the_tiers(s: Stack, stream: bool) -> None:
    decision = s.router.route(HARD)
    chain, limit = decision.fallback_chain, TIER_TIMEOUT[decision.tier]
    assert decision.tier == "COMPLEX" and chain[1] == OWN_TIMEOUT_MODEL, chain
    # The first choice is cut at the tier's 2 s; the second, slower than that but within its
    # own 5 s, answers: the tier's timeout did not replace the model's own.
    s.slow(chain[0], limit + 5)
    s.slow(chain[1], limit + 1)
    started = time.monotonic()
    text = _chat(s, HARD, stream)
    assert f"model={chain[1]}" in text
    assert s.calls() == chain[:2]
    assert time.monotonic() - started < OWN_TIMEOUT + limit


@pytest.mark.parametrize("where", ["body", "header"])
def test_the_clients_own_timeout_wins(s: Stack, where: str) -> None:
    chain = s.router.route("hi").fallback_chain
    s.slow(chain[0], TIER_TIMEOUT["SIMPLE"] + 1)
    body: dict[str, Any] = {"model": "smart/auto", "messages": [{"role": "user", "content": "hi"}]}
    headers = {}
    if where == "body":
        body["timeout"] = 10
    else:
        headers["x-litellm-timeout"] = "10"
    r = s.http.post("/v1/chat/completions", json=body, headers=headers)
    assert r.status_code == 200, r.text
    assert f"model={chain[0]}" in r.json()["choices"][0]["message"]["content"]
