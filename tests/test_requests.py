"""route_request on the three API shapes clients send, and on malformed bodies."""

from __future__ import annotations

import pytest

from smart_llm_router import RequestError, Router, UnknownProfileError
from smart_llm_router.asks import parse_request, strip_reminders

PROOF = "Prove that sqrt(2) is irrational step by step"
IMAGE_OPENAI = {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}
IMAGE_ANTHROPIC = {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "AAAA"}}
TOOL = {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}
ANTHROPIC_TOOL = {"name": "get_weather", "input_schema": {"type": "object"}}


@pytest.fixture(scope="module")
def router() -> Router:
    return Router()


def chat(*messages: dict, **extra) -> dict:
    return {"model": "smart/auto", "messages": list(messages), **extra}


def user(content) -> dict:
    return {"role": "user", "content": content}


# --- the same ask in every shape routes the same ------------------------------------------

def test_same_decision_for_every_shape(router: Router) -> None:
    shapes = [
        chat(user(PROOF)),
        chat(user([{"type": "text", "text": PROOF}])),
        {"model": "smart/auto", "max_tokens": 1024, "messages": [user([{"type": "text", "text": PROOF}])]},
        {"model": "smart/auto", "input": PROOF},
        {"model": "smart/auto", "input": [{"role": "user", "content": [{"type": "input_text", "text": PROOF}]}]},
        {"model": "smart/auto", "input": [{"type": "message", "role": "user", "content": PROOF}]},
    ]
    decisions = [router.route_request(body) for body in shapes]
    assert {(d.tier, d.model) for d in decisions} == {("REASONING", "deepseek/deepseek-r1")}


def test_the_newest_human_ask_is_scored(router: Router) -> None:
    body = chat(
        {"role": "system", "content": "You are terse."},
        user(PROOF),
        {"role": "assistant", "content": "Sure. Assume sqrt(2) = p/q ..."},
        user("thanks!"),
    )
    d = router.route_request(body)
    # The newest ask alone is SIMPLE; the conversation holds the proof's tier on "thanks!".
    assert (d.scored_tier, d.tier, d.turn, d.rule) == ("SIMPLE", "REASONING", "held", "held")
    assert d.result.tier == "SIMPLE"


# --- Anthropic messages (Claude Code shapes) --------------------------------------------

def test_anthropic_system_blocks_feed_the_structured_rule(router: Router) -> None:
    body = {
        "model": "smart/auto", "max_tokens": 512,
        "system": [{"type": "text", "text": "Respond only with JSON that matches the schema."}],
        "messages": [user("hi")],
    }
    d = router.route_request(body)
    assert d.tier == "MEDIUM" and d.rule == "structured_output"
    assert parse_request(body).api == "messages"


def test_claude_code_turn_with_tool_results_and_reminders(router: Router) -> None:
    body = {
        "model": "smart/agentic", "max_tokens": 32000,
        "system": [{"type": "text", "text": "You are Claude Code, an interactive CLI tool."}],
        "tools": [ANTHROPIC_TOOL],
        "messages": [
            user([
                {"type": "text", "text": "<system-reminder>As you answer, use the TodoWrite tool. "
                 "Prove theorem, lemma, step by step.</system-reminder>"},
                {"type": "text", "text": "Fix the flaky test in tests/test_api.py and run the suite"},
            ]),
            {"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "Bash", "input": {"command": "pytest"}}]},
            user([{"type": "tool_result", "tool_use_id": "t1", "content": "1 failed: prove the theorem step by step"}]),
        ],
    }
    ask = parse_request(body)
    assert ask.prompt == "Fix the flaky test in tests/test_api.py and run the suite"
    assert ask.has_tools
    d = router.route_request(body)
    assert d.rule != "reasoning_markers" and d.tier != "REASONING"
    assert router.catalog[d.model].tools


def test_strip_reminders() -> None:
    assert strip_reminders("a<system-reminder>x</system-reminder>b") == "ab"
    assert strip_reminders("a<system-reminder>unclosed") == "a<system-reminder>unclosed"
    assert strip_reminders("<system-reminder>" * 10_000) == "<system-reminder>" * 10_000


def test_images_anywhere_require_vision(router: Router) -> None:
    for body in [
        chat(user([{"type": "text", "text": "what is this?"}, IMAGE_OPENAI])),
        {"model": "smart/eco", "max_tokens": 100, "messages": [user([IMAGE_ANTHROPIC, {"type": "text", "text": "hi"}])]},
        {"model": "smart/auto", "input": [{"role": "user", "content": [
            {"type": "input_text", "text": "describe"}, {"type": "input_image", "image_url": "https://x/y.png"}]}]},
    ]:
        d = router.route_request(body)
        assert parse_request(body).has_vision
        assert all(router.catalog[m].vision for m in d.fallback_chain)


def test_tools_are_counted_not_scored(router: Router) -> None:
    schema = {"type": "function", "function": {"name": "prove_theorem", "description": "prove step by step",
                                               "parameters": {"type": "object"}}}
    body = chat(user("hi"), tools=[schema])
    d = router.route_request(body)
    assert d.tier == "SIMPLE"
    assert parse_request(body).input_tokens > parse_request(chat(user("hi"))).input_tokens


# --- OpenAI specifics ----------------------------------------------------------------------

def test_json_response_format_floors_at_medium(router: Router) -> None:
    assert router.route_request(chat(user("hi"))).tier == "SIMPLE"
    assert router.route_request(chat(user("hi"), response_format={"type": "json_object"})).tier == "MEDIUM"
    responses = {"model": "smart/auto", "input": "hi", "text": {"format": {"type": "json_schema", "name": "x", "schema": {}}}}
    assert router.route_request(responses).tier == "MEDIUM"


def test_responses_instructions_are_the_system_prompt(router: Router) -> None:
    body = {"model": "smart/auto", "instructions": "Output valid JSON only.", "input": "hi"}
    assert parse_request(body).system == "Output valid JSON only."
    assert router.route_request(body).rule == "structured_output"


def test_max_tokens_reaches_the_cost_estimate(router: Router) -> None:
    small = router.route_request(chat(user("hi"), max_tokens=10))
    large = router.route_request(chat(user("hi"), max_tokens=10_000))
    assert small.cost_estimate_usd < large.cost_estimate_usd


# --- profiles from the body ---------------------------------------------------------------

def test_profile_from_the_model_field(router: Router) -> None:
    assert router.route_request({**chat(user("hi")), "model": "Smart/Premium"}).profile == "premium"
    with pytest.raises(UnknownProfileError, match="valid profiles"):
        router.route_request({**chat(user("hi")), "model": "smart/xyz"})
    with pytest.raises(RequestError, match="smart/<profile>"):
        router.route_request({**chat(user("hi")), "model": "openai/gpt-4o"})


# --- malformed bodies ----------------------------------------------------------------------

@pytest.mark.parametrize(("body", "message"), [
    ([], "JSON object"),
    ({"model": "smart/auto"}, "neither 'messages', 'input' nor 'contents'"),
    ({"model": "smart/auto", "messages": []}, "messages must not be empty"),
    ({"model": "smart/auto", "messages": "hi"}, "messages must be a list"),
    ({"model": "smart/auto", "messages": ["hi"]}, r"messages\[0\] must be an object"),
    ({"model": "smart/auto", "messages": [{"content": "hi"}]}, r"messages\[0\].role"),
    ({"model": "smart/auto", "messages": [user(42)]}, r"messages\[0\].content must be a string or a list"),
    ({"model": "smart/auto", "messages": [user([{"type": "text", "text": 5}])]}, r"\.text must be a string"),
    ({"model": "smart/auto", "messages": [user("hi")], "max_tokens": "abc"}, "max_tokens must be a positive integer"),
    ({"model": "smart/auto", "messages": [user("hi")], "max_tokens": True}, "max_tokens must be a positive integer"),
    ({"model": "smart/auto", "messages": [user("hi")], "tools": "x"}, "tools must be a list"),
    ({"model": "smart/auto", "input": []}, "input must not be empty"),
    ({"model": "smart/auto", "input": 3}, "input must be a string or a list"),
    ({"model": "smart/auto", "input": "hi", "instructions": ["x"]}, "instructions must be a string"),
])
def test_malformed_bodies_get_a_clear_error(router: Router, body, message: str) -> None:
    with pytest.raises(RequestError, match=message):
        router.route_request(body, profile="auto")
