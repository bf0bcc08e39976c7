"""The hook's decisions without a proxy around it: LiteLLM calls async_pre_call_hook with the
request body; these tests call it the same way."""

from __future__ import annotations

import asyncio
import copy

import pytest
import yaml
from fastapi import HTTPException

from smart_llm_router import Router
from smart_llm_router.hook import METADATA_KEY, SmartRouterHook
from smart_llm_router.tables import TIER_HEADER

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


def _hook_with(tmp_path, edit) -> SmartRouterHook:
    from smart_llm_router.proxy import demo_config

    data = demo_config(1)
    edit(data)
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(data), "utf-8")
    return SmartRouterHook(Router(path))


def _with_headers(tmp_path, value: object) -> SmartRouterHook:
    return _hook_with(tmp_path, lambda data: data["smart_router"].update(response_headers=value))


def _headers(hook: SmartRouterHook, data: dict, served: str | None = None) -> dict[str, str] | None:
    data = call(hook, data)
    if served is not None:
        data["deployment"] = {"model_name": served}
    return asyncio.run(hook.async_post_call_response_headers_hook(data, None, None))


HI = {"model": "smart/auto", "messages": [{"role": "user", "content": "hi"}]}


def test_headers_hook_sends_the_default_headers(hook: SmartRouterHook) -> None:
    headers = _headers(hook, HI)
    assert headers is not None
    assert headers.keys() == {f"x-smart-router-{k}" for k in ("tier", "model", "rule", "session")}
    assert headers["x-smart-router-tier"] == "SIMPLE" and headers["x-smart-router-rule"] == "score"
    assert headers["x-smart-router-model"] == "google/gemini-2.5-flash-lite"
    named = _headers(hook, {**HI, "proxy_server_request": {"headers": {"x-smart-router-session": "a"}}})
    assert named is not None and len(named["x-smart-router-session"]) == 12
    assert named["x-smart-router-session"] != headers["x-smart-router-session"]
    assert asyncio.run(hook.async_post_call_response_headers_hook({"model": "x"}, None, None)) is None


def test_response_headers_are_configurable(tmp_path) -> None:
    every = _headers(_with_headers(tmp_path, "all"), HI, served="openai/gpt-4o-mini")
    assert every is not None
    assert {k.removeprefix("x-smart-router-") for k in every} == {
        "tier", "model", "first-choice", "rule", "session", "profile", "turn", "score", "confidence"
    }  # fmt: skip
    assert every["x-smart-router-model"] == "openai/gpt-4o-mini"
    assert every["x-smart-router-first-choice"] == "google/gemini-2.5-flash-lite"
    assert every["x-smart-router-profile"] == "auto" and float(every["x-smart-router-confidence"]) > 0
    assert _headers(_with_headers(tmp_path, ["score"]), HI).keys() == {"x-smart-router-score"}  # type: ignore[union-attr]
    assert _headers(_with_headers(tmp_path, []), HI) is None


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (["tier", "price"], r"response_headers\.1"),
        (["tier", "tier"], "lists a header twice"),
        ("some", "response_headers"),
    ],
)
def test_unknown_response_headers_are_a_config_error(tmp_path, value: object, message: str) -> None:
    from smart_llm_router import ConfigError

    with pytest.raises(ConfigError, match=message):
        _with_headers(tmp_path, value)


# --- requests no model can take, malformed bodies: 400 before any upstream call ----------------

IMAGE = {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}


def test_a_request_no_model_can_take_is_a_400_naming_the_constraint_and_the_profile(hook: SmartRouterHook) -> None:
    # ~875 K tokens and an image: no free model has that window (the user got a 200 from a
    # text-only 131 K model, the MEDIUM escape).
    content = [{"type": "text", "text": "describe this " + "word " * 700_000}, IMAGE]
    with pytest.raises(HTTPException) as e:
        call(hook, {"model": "smart/free", "messages": [{"role": "user", "content": content}]})
    detail = str(e.value.detail)
    assert e.value.status_code == 400
    assert "profile 'free'" in detail and "context window" in detail
    with pytest.raises(HTTPException) as e:
        call(hook, {"model": "smart/premium", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 10**9})
    detail = str(e.value.detail)
    assert e.value.status_code == 400 and "profile 'premium'" in detail and "max_tokens 1000000000 exceeds" in detail


@pytest.mark.parametrize(
    ("call_type", "body", "needle"),
    [
        ("acompletion", {"messages": [{"role": "user", "content": [{"type": "weird"}]}]}, "content[0].type 'weird'"),
        ("acompletion", {"messages": [{"role": "user", "content": [{"foo": 1}]}]}, "content[0].type is missing"),
        (
            "acompletion",
            {"messages": [{"role": "user", "content": [{"type": None}]}]},
            "content[0].type must be a string",
        ),
        (
            "acompletion",
            {"messages": [{"role": "user", "content": "hi"}], "response_format": "json"},
            "response_format must be an object",
        ),
        # An Anthropic block on the chat route: LiteLLM refuses it there.
        (
            "acompletion",
            {
                "messages": [
                    {
                        "role": "user",
                        "content": [
                            {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "AAAA"}}
                        ],
                    }
                ]
            },
            "type 'image'",
        ),
        (
            "anthropic_messages",
            {"max_tokens": 9, "messages": [{"role": "user", "content": [IMAGE]}]},
            "type 'image_url'",
        ),
        (
            "aresponses",
            {"input": [{"role": "user", "content": [{"type": "weird"}]}]},
            "input[0].content[0].type 'weird'",
        ),
        ("aresponses", {"input": "hi", "text": {"format": "json"}}, "text.format must be an object"),
        (
            "agenerate_content",
            {"contents": [{"role": "user", "parts": [{"foo": 1}]}]},
            "contents[0].parts[0] holds no data",
        ),
    ],
)
def test_malformed_parts_are_a_400_naming_the_field(
    hook: SmartRouterHook, call_type: str, body: dict, needle: str
) -> None:
    with pytest.raises(HTTPException) as e:
        call(hook, {"model": "smart/auto", **body}, call_type)
    assert e.value.status_code == 400 and needle in str(e.value.detail)


# --- per-tier timeouts -------------------------------------------------------------------------


def test_the_tier_sets_the_timeout_of_every_attempt(hook: SmartRouterHook) -> None:
    timeouts = hook.router.config.smart_router.timeouts
    assert timeouts is not None
    simple = call(hook, {"model": "smart/auto", "messages": [{"role": "user", "content": "hi"}]})
    assert simple["timeout"] == timeouts.SIMPLE.timeout and "stream_timeout" not in simple
    assert all(isinstance(f, str) for f in simple["fallbacks"])  # one value for the whole chain
    proof = call(hook, {"model": "smart/auto", "messages": [{"role": "user", "content": PROOF}], "stream": True})
    assert proof["stream_timeout"] == timeouts.REASONING.stream_timeout and "timeout" not in proof
    assert timeouts.SIMPLE.timeout < timeouts.REASONING.timeout
    answer = call(hook, {"model": "smart/auto", "input": "hi"}, "aresponses")
    assert answer["timeout"] == timeouts.SIMPLE.timeout


@pytest.mark.parametrize("own", [{"timeout": 7}, {"request_timeout": 7}, {"stream_timeout": 7, "stream": True}])
def test_the_clients_own_timeout_is_left_alone(hook: SmartRouterHook, own: dict) -> None:
    data = call(hook, {"model": "smart/auto", "messages": [{"role": "user", "content": "hi"}], **own})
    assert {k: data.get(k) for k in ("timeout", "request_timeout", "stream_timeout") if data.get(k) is not None} == {
        k: v for k, v in own.items() if k != "stream"
    }


def test_a_models_own_timeout_is_kept_for_that_model(tmp_path) -> None:
    def edit(data: dict) -> None:
        for entry in data["model_list"]:
            if entry["model_name"] == "google/gemini-2.0-flash-lite-001":  # SIMPLE's second choice
                entry["litellm_params"]["timeout"] = 45

    hook = _hook_with(tmp_path, edit)
    simple = hook.router.config.smart_router.timeouts.SIMPLE  # type: ignore[union-attr]
    data = call(hook, {"model": "smart/auto", "messages": [{"role": "user", "content": "hi"}]})
    assert data["model"] == "google/gemini-2.5-flash-lite" and data["timeout"] == simple.timeout
    # LiteLLM merges each fallback entry into the request for its attempt: None leaves the
    # model's own timeout in force.
    assert data["fallbacks"] == [
        {"model": "google/gemini-2.0-flash-lite-001", "timeout": None},
        {"model": "openai/gpt-4o-mini", "timeout": simple.timeout},
    ]
    # A stream: the entry's timeout stands for its stream_timeout too (LiteLLM's order).
    data = call(hook, {"model": "smart/auto", "messages": [{"role": "user", "content": "hi"}], "stream": True})
    assert data["fallbacks"][0] == {"model": "google/gemini-2.0-flash-lite-001", "stream_timeout": None}


def test_timeouts_off_leave_litellms_own(tmp_path) -> None:
    hook = _hook_with(tmp_path, lambda data: data["smart_router"].__setitem__("timeouts", "off"))
    data = call(hook, {"model": "smart/auto", "messages": [{"role": "user", "content": "hi"}]})
    assert "timeout" not in data and all(isinstance(f, str) for f in data["fallbacks"])


def test_the_medium_escape_gets_mediums_timeouts() -> None:
    hook = SmartRouterHook(BrokenRouter())
    data = call(hook, {"model": "smart/premium", "messages": [{"role": "user", "content": PROOF}]})
    assert data["timeout"] == hook.router.config.smart_router.timeouts.MEDIUM.timeout  # type: ignore[union-attr]
