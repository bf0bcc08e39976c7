"""route_request on the three API shapes clients send, and on malformed bodies."""

from __future__ import annotations

import pytest

from helpers import chat, user
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
        "model": "smart/auto",
        "max_tokens": 512,
        "system": [{"type": "text", "text": "Respond only with JSON that matches the schema."}],
        "messages": [user("hi")],
    }
    d = router.route_request(body)
    assert d.tier == "MEDIUM" and d.rule == "structured_output"
    assert parse_request(body).api == "messages"


def test_claude_code_turn_with_tool_results_and_reminders(router: Router) -> None:
    body = {
        "model": "smart/agentic",
        "max_tokens": 32000,
        "system": [{"type": "text", "text": "You are Claude Code, an interactive CLI tool."}],
        "tools": [ANTHROPIC_TOOL],
        "messages": [
            user(
                [
                    {
                        "type": "text",
                        "text": "<system-reminder>As you answer, use the TodoWrite tool. "
                        "Prove theorem, lemma, step by step.</system-reminder>",
                    },
                    {"type": "text", "text": "Fix the flaky test in tests/test_api.py and run the suite"},
                ]
            ),
            {
                "role": "assistant",
                "content": [{"type": "tool_use", "id": "t1", "name": "Bash", "input": {"command": "pytest"}}],
            },
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
        {
            "model": "smart/eco",
            "max_tokens": 100,
            "messages": [user([IMAGE_ANTHROPIC, {"type": "text", "text": "hi"}])],
        },
        {
            "model": "smart/auto",
            "input": [
                {
                    "role": "user",
                    "content": [
                        {"type": "input_text", "text": "describe"},
                        {"type": "input_image", "image_url": "https://x/y.png"},
                    ],
                }
            ],
        },
    ]:
        d = router.route_request(body)
        assert parse_request(body).has_vision
        assert all(router.catalog[m].vision for m in d.fallback_chain)


def test_tools_are_counted_not_scored(router: Router) -> None:
    schema = {
        "type": "function",
        "function": {"name": "prove_theorem", "description": "prove step by step", "parameters": {"type": "object"}},
    }
    body = chat(user("hi"), tools=[schema])
    d = router.route_request(body)
    assert d.tier == "SIMPLE"
    assert parse_request(body).input_tokens > parse_request(chat(user("hi"))).input_tokens


def test_anthropic_structured_output_floors_at_medium(router: Router) -> None:
    body = {"model": "smart/auto", "max_tokens": 1024, "messages": [user("hi")]}
    schema = {"type": "json_schema", "schema": {"type": "object", "properties": {"a": {"type": "string"}}}}
    assert parse_request(body, api="messages").json_output is False
    assert parse_request({**body, "output_format": schema}, api="messages").json_output is True
    assert router.route_request({**body, "output_format": schema}).tier == "MEDIUM"
    with pytest.raises(RequestError, match=r"output_format\.schema must be an object"):
        parse_request({**body, "output_format": {"type": "json_schema"}}, api="messages")
    with pytest.raises(RequestError, match=r"output_format must be an object"):
        parse_request({**body, "output_format": "json"}, api="messages")
    # Not a chat-completions field: a chat body is not judged by it.
    assert parse_request({**body, "output_format": "json"}, api="chat").json_output is False


# --- OpenAI specifics ----------------------------------------------------------------------


def test_json_response_format_floors_at_medium(router: Router) -> None:
    assert router.route_request(chat(user("hi"))).tier == "SIMPLE"
    assert router.route_request(chat(user("hi"), response_format={"type": "json_object"})).tier == "MEDIUM"
    responses = {
        "model": "smart/auto",
        "input": "hi",
        "text": {"format": {"type": "json_schema", "name": "x", "schema": {}}},
    }
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


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ([], "JSON object"),
        ({"model": "smart/auto"}, "neither 'messages', 'input' nor 'contents'"),
        ({"model": "smart/auto", "messages": []}, "messages must not be empty"),
        ({"model": "smart/auto", "messages": "hi"}, "messages must be a list"),
        ({"model": "smart/auto", "messages": ["hi"]}, r"messages\[0\] must be an object"),
        ({"model": "smart/auto", "messages": [{"content": "hi"}]}, r"messages\[0\].role"),
        ({"model": "smart/auto", "messages": [user(42)]}, r"messages\[0\].content must be a string or a list"),
        ({"model": "smart/auto", "messages": [user([{"type": "text", "text": 5}])]}, r"\.text must be a string"),
        (
            {"model": "smart/auto", "messages": [user("hi")], "max_tokens": "abc"},
            "max_tokens must be a positive integer",
        ),
        (
            {"model": "smart/auto", "messages": [user("hi")], "max_tokens": True},
            "max_tokens must be a positive integer",
        ),
        ({"model": "smart/auto", "messages": [user("hi")], "tools": "x"}, "tools must be a list"),
        ({"model": "smart/auto", "input": []}, "input must not be empty"),
        ({"model": "smart/auto", "input": 3}, "input must be a string or a list"),
        ({"model": "smart/auto", "input": "hi", "instructions": ["x"]}, "instructions must be a string"),
    ],
)
def test_malformed_bodies_get_a_clear_error(router: Router, body, message: str) -> None:
    with pytest.raises(RequestError, match=message):
        router.route_request(body, profile="auto")


# --- what each format allows ---------------------------------------------------------------


def nested(depth: int) -> list:
    value: list = []
    for _ in range(depth):
        value = [value]
    return value


def msg(content, **extra) -> dict:
    return {"model": "smart/auto", "max_tokens": 100, "messages": [user(content)], **extra}


def responses(content) -> dict:
    return {"model": "smart/auto", "input": [{"role": "user", "content": content}]}


def gemini(*parts, **extra) -> dict:
    return {"model": "smart/auto", "contents": [{"role": "user", "parts": list(parts)}], **extra}


# (api the body was sent as, body, what the error says): each got a 500 after every model of
# the chain failed in turn.
MALFORMED = [
    ("chat", chat(user([{"type": "weird"}])), r"messages\[0\]\.content\[0\]\.type 'weird' is not a content part"),
    ("chat", chat(user([{"foo": 1}])), r"messages\[0\]\.content\[0\]\.type is missing"),
    ("chat", chat(user([{"type": None}])), r"messages\[0\]\.content\[0\]\.type must be a string, got null"),
    ("chat", chat(user([{"type": "text", "text": "hi"}, {"type": "weird"}])), r"content\[1\]\.type 'weird'"),
    ("chat", chat(user(["hi"])), r"content\[0\] must be an object"),
    ("chat", chat(user([{"type": "image_url"}])), r"content\[0\]\.image_url must be a string or an object"),
    ("chat", chat(user([{"type": "image_url", "image_url": {"detail": "low"}}])), r"image_url\.url must be a string"),
    ("chat", chat(user([IMAGE_ANTHROPIC])), r"type 'image' is not a content part of chat completions"),
    ("chat", chat(user([{"type": "input_text", "text": "hi"}])), r"type 'input_text'"),
    ("chat", chat(user("hi"), response_format="json"), r"response_format must be an object"),
    ("chat", chat(user("hi"), response_format={"type": "json"}), r"response_format\.type must be one of"),
    (
        "chat",
        chat(user("hi"), response_format={"type": "json_schema"}),
        r"response_format\.json_schema must be an object",
    ),
    ("chat", chat({"role": "model", "content": "hi"}), r"messages\[0\]\.role must be one of"),
    ("chat", chat(user("hi"), tools=[5]), r"tools\[0\] must be an object"),
    ("messages", msg([{"type": "weird"}]), r"type 'weird' is not a content part of Anthropic messages"),
    ("messages", msg([{"type": None}]), r"type must be a string"),
    ("messages", msg([IMAGE_OPENAI]), r"type 'image_url'"),
    ("messages", msg([{"type": "image"}]), r"content\[0\]\.source must be an object"),
    (
        "messages",
        msg(
            [
                {
                    "type": "tool_result",
                    "tool_use_id": "t",
                    "content": [{"type": "tool_result", "tool_use_id": "u", "content": "x"}],
                }
            ]
        ),
        r"cannot be inside a tool result",
    ),
    (
        "messages",
        msg("hi", system=[{"type": "image", "source": {}}]),
        r"system\[0\]\.type 'image' is not allowed in a system prompt",
    ),
    (
        "messages",
        {"model": "smart/auto", "messages": [{"role": "system", "content": "hi"}]},
        r"role must be one of assistant, user",
    ),
    (
        "responses",
        responses([{"type": "weird"}]),
        r"input\[0\]\.content\[0\]\.type 'weird' is not a content part of Responses",
    ),
    ("responses", responses([{"foo": 1}]), r"input\[0\]\.content\[0\]\.type is missing"),
    ("responses", responses([{"type": "input_image"}]), r"needs one of image_url, file_id"),
    (
        "responses",
        {"model": "smart/auto", "input": [{"type": "weird"}]},
        r"input\[0\]\.type 'weird' is not a Responses input item",
    ),
    ("responses", {"model": "smart/auto", "input": [{"type": None}]}, r"input\[0\]\.type must be a string"),
    ("responses", {"model": "smart/auto", "input": [{"content": "hi"}]}, r"input\[0\] needs a role"),
    (
        "responses",
        {"model": "smart/auto", "input": [{"type": "function_call_output", "output": "x"}]},
        r"call_id must be a string",
    ),
    ("responses", {"model": "smart/auto", "input": "hi", "text": "json"}, r"text must be an object"),
    (
        "responses",
        {"model": "smart/auto", "input": "hi", "text": {"format": "json"}},
        r"text\.format must be an object",
    ),
    (
        "responses",
        {"model": "smart/auto", "input": "hi", "text": {"format": {"type": "json_schema", "name": "x"}}},
        r"text\.format\.schema must be an object",
    ),
    ("gemini", gemini({"foo": 1}), r"contents\[0\]\.parts\[0\] holds no data"),
    ("gemini", gemini({}), r"contents\[0\]\.parts\[0\] holds no data"),
    ("gemini", gemini({"inlineData": "AAAA"}), r"parts\[0\]\.inlineData must be an object"),
    ("gemini", gemini({"text": "hi"}, generationConfig={"responseMimeType": 5}), r"responseMimeType must be a string"),
]


@pytest.mark.parametrize(("api", "body", "message"), MALFORMED)
def test_what_a_format_does_not_allow_is_named(router: Router, api: str, body: dict, message: str) -> None:
    with pytest.raises(RequestError, match=message):
        parse_request(body, api=api)
    if api in ("responses", "gemini"):  # without the route, a `messages` body may be chat or Anthropic
        with pytest.raises(RequestError, match=message):
            router.route_request(body)


THINKING = [{"type": "thinking", "thinking": "hmm", "signature": "sig"}, {"type": "redacted_thinking", "data": "abc"}]
SERVER_TOOL = [
    {"type": "server_tool_use", "id": "srvtoolu_1", "name": "web_search", "input": {"query": "x"}},
    {
        "type": "web_search_tool_result",
        "tool_use_id": "srvtoolu_1",
        "content": [{"type": "web_search_result", "url": "https://x", "title": "t", "encrypted_content": "e"}],
    },
    {"type": "code_execution_tool_result", "tool_use_id": "srvtoolu_2", "content": {}},
]
# What real clients send: none of it may be refused.
VALID = [
    (
        "chat",
        chat(
            user(
                [
                    {"type": "input_audio", "input_audio": {"data": "AAAA", "format": "wav"}},
                    {"type": "file", "file": {"file_data": "data:application/pdf;base64,AAAA", "filename": "a.pdf"}},
                    {"type": "text", "text": "summarise both"},
                ]
            )
        ),
    ),
    (
        "chat",
        chat(
            user("hi"),
            {"role": "assistant", "content": [{"type": "refusal", "refusal": "no"}]},
            user("why"),
            {"role": "developer", "content": [{"type": "text", "text": "be brief"}]},
            response_format={"type": "json_schema", "json_schema": {"name": "x", "schema": {}}},
        ),
    ),
    ("chat", chat(user([{"type": "image_url", "image_url": "https://x/y.png"}, {"type": "text", "text": "hi"}]))),
    (
        "messages",
        msg(
            [
                {"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": "d"}},
                {
                    "type": "search_result",
                    "source": "https://x",
                    "title": "t",
                    "content": [{"type": "text", "text": "c"}],
                },
                IMAGE_ANTHROPIC,
                {"type": "text", "text": "hi", "cache_control": {"type": "ephemeral"}},
            ]
        ),
    ),
    (
        "messages",
        {
            "model": "smart/auto",
            "max_tokens": 100,
            "messages": [
                user("search the web"),
                {"role": "assistant", "content": [*THINKING, *SERVER_TOOL, {"type": "text", "text": "found"}]},
                user(
                    [
                        {
                            "type": "tool_result",
                            "tool_use_id": "t",
                            "content": [{"type": "text", "text": "ok"}, IMAGE_ANTHROPIC],
                        },
                        {"type": "text", "text": "go on"},
                    ]
                ),
            ],
        },
    ),
    (
        "responses",
        {
            "model": "smart/auto",
            "input": [
                {
                    "role": "user",
                    "content": [
                        {"type": "input_file", "file_data": "data:application/pdf;base64,AAAA", "filename": "a.pdf"},
                        {"type": "input_text", "text": "read it"},
                    ],
                },
                {"type": "reasoning", "id": "rs_1", "summary": [{"type": "summary_text", "text": "thought"}]},
                {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "done"}]},
                {"type": "item_reference", "id": "msg_1"},
                {"id": "msg_2"},
                {"type": "function_call", "call_id": "c1", "name": "f", "arguments": "{}"},
                {"type": "function_call_output", "call_id": "c1", "output": [{"type": "input_text", "text": "42"}]},
                {
                    "role": "user",
                    "content": [
                        {"type": "input_image", "image_url": "https://x/y.png"},
                        {"type": "input_text", "text": "and?"},
                    ],
                },
            ],
            "text": {"format": {"type": "json_schema", "name": "x", "schema": {}}},
        },
    ),
    (
        "gemini",
        gemini(
            {"text": "hi", "thoughtSignature": "abc"},
            {"inline_data": {"mime_type": "image/png", "data": "AAAA"}},
            {"executableCode": {"language": "PYTHON", "code": "1"}},
            {"codeExecutionResult": {"outcome": "OUTCOME_OK"}},
            generationConfig={"responseMimeType": "application/json"},
        ),
    ),
]


@pytest.mark.parametrize(("api", "body"), VALID)
def test_what_real_clients_send_is_read(router: Router, api: str, body: dict) -> None:
    assert parse_request(body, api=api).prompt
    assert router.route_request(body).model


def test_any_responses_tool_output_is_a_tool_turn() -> None:
    for kind in ("custom_tool_call_output", "computer_call_output", "shell_call_output", "mcp_new_call_output"):
        body = {
            "model": "smart/auto",
            "input": [
                {"role": "user", "content": PROOF},
                {"type": kind.replace("_output", ""), "call_id": "c", "name": "f"},
                {"type": kind, "call_id": "c", "output": "done"},
            ],
        }
        ask = parse_request(body)
        assert ask.tool_turn and ask.has_tools and ask.prompt == PROOF, kind


class NotJson:
    pass


@pytest.mark.parametrize(
    ("tools", "message"),
    [
        ([{"type": "function", "function": {"name": "f", "parameters": {(1, 2): "tuple key"}}}], "tools must be JSON"),
        ([{"type": "function", "function": {"name": "f", "default": NotJson()}}], "tools must be JSON"),
        (
            [{"type": "function", "function": {"name": "f", "parameters": nested(100_000)}}],
            "tools is nested too deeply",
        ),
        ([{"type": "function"}, "f"], r"tools\[1\] must be an object"),
    ],
)
def test_tools_that_are_not_json_are_a_request_error(router: Router, tools: list, message: str) -> None:
    with pytest.raises(RequestError, match=message):
        router.route_request(chat(user("hi"), tools=tools))


def test_deeply_nested_bodies_are_a_request_error(router: Router) -> None:
    deep = {"functionResponse": {"name": "f", "response": {"x": nested(100_000)}}}
    with pytest.raises(RequestError, match=r"contents\[0\]\.parts\[0\] is nested too deeply"):
        router.route_request(gemini(deep))
    inner: dict = {"type": "tool_result", "tool_use_id": "t", "content": "x"}
    for _ in range(100_000):
        inner = {"type": "tool_result", "tool_use_id": "t", "content": [inner]}
    with pytest.raises(RequestError, match="cannot be inside a tool result"):
        router.route_request(msg([inner]))


@pytest.mark.parametrize(
    "body",
    [
        chat(user([{"type": "weird"}])),
        chat(user([{"foo": 1}])),
        chat(user([{"type": None}])),
        chat(user("hi"), response_format="json"),
        msg([{"type": "weird"}]),
    ],
)
def test_without_the_route_a_messages_body_is_still_checked(router: Router, body: dict) -> None:
    # Chat or Anthropic, told apart by the shape: a part neither allows is an error.
    with pytest.raises(RequestError, match=r"type|response_format"):
        router.route_request(body)
