"""The hook's decisions without a proxy around it: LiteLLM calls async_pre_call_hook with the
request body; these tests call it the same way."""

from __future__ import annotations

import asyncio
import copy

import pytest
import yaml
from fastapi import HTTPException

from smart_llm_router import Router
from smart_llm_router.hook import METADATA_KEY, TIER_HEADER, SmartRouterHook

PROOF = "Prove that sqrt(2) is irrational step by step"


def call(hook: SmartRouterHook, data: dict, call_type: str = "acompletion") -> dict:
    return asyncio.run(hook.async_pre_call_hook(None, None, copy.deepcopy(data), call_type))


@pytest.fixture(scope="module")
def hook(tmp_path_factory: pytest.TempPathFactory) -> SmartRouterHook:
    from smart_llm_router.proxy import demo_config

    path = tmp_path_factory.mktemp("hook") / "c.yaml"
    path.write_text(yaml.safe_dump(demo_config(1)), "utf-8")  # forwards the tier header
    return SmartRouterHook(Router(path))


def test_rewrites_smart_models(hook: SmartRouterHook) -> None:
    data = call(hook, {"model": "smart/auto", "messages": [{"role": "user", "content": PROOF}]})
    assert data["model"] == "deepseek/deepseek-r1"
    assert data["fallbacks"] == ["openai/o4-mini", "openai/o3"]
    assert data["extra_headers"][TIER_HEADER] == "REASONING"
    assert data["metadata"][METADATA_KEY]["tier"] == "REASONING"


def test_messages_and_responses_use_litellm_metadata(hook: SmartRouterHook) -> None:
    body = {"model": "smart/auto", "input": "hi", "litellm_metadata": {}}
    data = call(hook, body, "aresponses")
    assert data["litellm_metadata"][METADATA_KEY]["profile"] == "auto"


def test_concrete_models_pass_untouched(hook: SmartRouterHook) -> None:
    body = {"model": "openai/gpt-4o", "messages": [{"role": "user", "content": PROOF}]}
    assert call(hook, body) == body


def test_bad_profile_and_body_are_400(hook: SmartRouterHook) -> None:
    with pytest.raises(HTTPException) as e:
        call(hook, {"model": "smart/nope", "messages": [{"role": "user", "content": "hi"}]})
    assert e.value.status_code == 400 and "valid profiles" in str(e.value.detail)
    with pytest.raises(HTTPException) as e:
        call(hook, {"model": "smart/auto", "messages": [{"role": "user", "content": "hi"}], "max_tokens": "abc"})
    assert e.value.status_code == 400 and "max_tokens" in str(e.value.detail)


class BrokenRouter(Router):
    def route_ask(self, ask, profile):  # type: ignore[override]
        raise RuntimeError("scorer exploded")


def test_a_routing_failure_falls_back_to_the_profiles_medium_model(caplog: pytest.LogCaptureFixture) -> None:
    hook = SmartRouterHook(BrokenRouter())
    data = call(hook, {"model": "smart/premium", "messages": [{"role": "user", "content": PROOF}]})
    medium = [m.name for m in hook.router.tables["premium"]["MEDIUM"]]
    assert data["model"] == medium[0] and data["fallbacks"] == medium[1:]
    assert data["metadata"][METADATA_KEY]["rule"] == "routing_error"


def test_headers_hook(hook: SmartRouterHook) -> None:
    data = call(hook, {"model": "smart/auto", "messages": [{"role": "user", "content": "hi"}]})
    headers = asyncio.run(hook.async_post_call_response_headers_hook(data, None, None))
    assert headers["x-smart-router-tier"] == "SIMPLE" and headers["x-smart-router-profile"] == "auto"
    assert asyncio.run(hook.async_post_call_response_headers_hook({"model": "x"}, None, None)) is None
