"""The conversation policy, sessions and the hook's use of them, without a proxy: step up at
once, hold on follow-ups and tool turns, step down on self-contained simpler asks; session
keys, isolation and a failing Redis. Scoring parts run on both backends."""

from __future__ import annotations

import asyncio
import copy
import json
import logging
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml
from fastapi import HTTPException

from helpers import chat, user
from smart_llm_router import Router
from smart_llm_router.asks import parse_request
from smart_llm_router.config import SessionConfig
from smart_llm_router.hook import METADATA_KEY, SmartRouterHook
from smart_llm_router.router import Held
from smart_llm_router.sessions import SessionHeaderError, SessionStore, identify, scope, wants_reset
from smart_llm_router.tables import TIERS

HARD = (
    "Design a distributed rate limiter for a multi-region API gateway with Redis, explain "
    "consistency trade-offs and write the Go code."
)
TOOL_CALL = {
    "role": "assistant",
    "content": None,
    "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "read_file", "arguments": "{}"}}],
}
TOOLS = [{"type": "function", "function": {"name": "read_file", "parameters": {"type": "object", "properties": {}}}}]


def reply(text: str = "Sure, here is how.") -> dict[str, Any]:
    return {"role": "assistant", "content": text}


@pytest.fixture(scope="module")
def routers() -> dict[str, Router]:
    from smart_llm_router._backend import native_available

    built = {"python": Router(backend="python")}
    if native_available():
        built["native"] = Router(backend="native")
    return built


@pytest.fixture
def router(routers: dict[str, Router], backend: str) -> Router:
    return routers[backend]


def make_router(tmp_path: Path, **conversation: Any) -> Router:
    from smart_llm_router.config import bundled_config_path

    data = yaml.safe_load(bundled_config_path().read_text("utf-8"))
    data["smart_router"]["conversation"].update(conversation)
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(data), "utf-8")
    return Router(path)


# --- the policy -----------------------------------------------------------------------------


def test_a_harder_ask_steps_up_at_once(router: Router) -> None:
    d = router.route_request(chat(user("hi there"), reply("Hello!"), user(HARD)))
    assert (d.tier, d.turn, d.rule) == ("COMPLEX", "stepped_up", "stepped_up")


@pytest.mark.parametrize(
    "follow_up",
    [
        "yes",
        "do it",
        "continue",
        "now add tests",
        "why?",
        "fix that error",
        "yes, go ahead and implement it",
        "und jetzt die Tests",
        "mach weiter",
        "продолжай",
        "давай, делай",
        "继续",
        "好的，开始吧",
        "続けてください",
        "はい、お願いします",
        "계속해 주세요",
        "تابع من فضلك",
        "sí, adelante",
        "pode seguir",
        "ok, and the tests too",
    ],
)
def test_follow_ups_hold_the_conversation_tier(router: Router, follow_up: str) -> None:
    d = router.route_request(chat(user(HARD), reply(), user(follow_up)))
    assert d.tier == "COMPLEX", d.reason
    assert d.scored_tier != "COMPLEX" and d.turn == "held" and d.rule == "held"
    assert "held" in d.reason


def test_a_self_contained_simpler_ask_steps_down(router: Router) -> None:
    d = router.route_request(
        chat(user(HARD), reply(), user("What is the capital city of Peru, and which language is spoken there?"))
    )
    assert (d.tier, d.turn) == ("SIMPLE", "stepped_down")
    # ... and a follow-up on the new subject then holds the new tier.
    d2 = router.route_request(
        chat(user(HARD), reply(), user("What is the capital city of Peru?"), reply("Lima."), user("and of Chile?"))
    )
    assert d2.tier == "SIMPLE"


def test_an_ask_on_the_same_subject_is_a_follow_up(router: Router) -> None:
    # No follow-up word, but its subject (the rate limiter, Redis) came up before.
    ask = "How should the Redis rate limiter behave when one region loses its connection?"
    alone = router.route(ask)
    d = router.route_request(chat(user(HARD), reply("Use a token bucket per key in Redis ..."), user(ask)))
    assert TIERS.index(d.tier) >= TIERS.index(alone.tier)
    assert d.tier == "COMPLEX"


def tool_turns() -> dict[str, dict[str, Any]]:
    """The same agent-loop turn (a hard ask, a tool call, its result) in the four formats."""
    return {
        "chat": chat(
            user(HARD), TOOL_CALL, {"role": "tool", "tool_call_id": "c1", "content": "package main"}, tools=TOOLS
        ),
        "messages": {
            "model": "smart/auto",
            "max_tokens": 100,
            "tools": [{"name": "read_file", "input_schema": {}}],
            "messages": [
                user(HARD),
                {"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "read_file", "input": {}}]},
                {
                    "role": "user",
                    "content": [
                        {"type": "tool_result", "tool_use_id": "t1", "content": "package main"},
                        {"type": "text", "text": "<system-reminder>todo list</system-reminder>"},
                    ],
                },
            ],
        },
        "responses": {
            "model": "smart/auto",
            "tools": [{"type": "function", "name": "read_file"}],
            "input": [
                user(HARD),
                {"type": "function_call", "call_id": "c1", "name": "read_file", "arguments": "{}"},
                {"type": "function_call_output", "call_id": "c1", "output": "package main"},
            ],
        },
        "gemini": {
            "model": "smart/auto",
            "tools": [{"functionDeclarations": [{"name": "read_file"}]}],
            "contents": [
                {"role": "user", "parts": [{"text": HARD}]},
                {"role": "model", "parts": [{"functionCall": {"name": "read_file", "args": {}}}]},
                {"role": "user", "parts": [{"functionResponse": {"name": "read_file", "response": {"x": 1}}}]},
            ],
        },
    }


@pytest.mark.parametrize("api", ["chat", "messages", "responses", "gemini"])
def test_tool_turns_hold_in_every_format(router: Router, api: str) -> None:
    body = tool_turns()[api]
    ask = parse_request(body)
    assert ask.tool_turn and ask.prompt == HARD and ask.has_tools
    d = router.route_request(body)
    assert (d.tier, d.turn) == ("COMPLEX", "tool_turn")


def test_a_tool_turn_never_steps_down_from_the_session(router: Router) -> None:
    body = chat(user("hi"), TOOL_CALL, {"role": "tool", "tool_call_id": "c1", "content": "ok"}, tools=TOOLS)
    d = router.route_request(body, held=Held(3, "agentic"))
    assert (d.tier, d.turn, d.table) == ("REASONING", "tool_turn", "agentic")


def test_tool_schemas_never_add_to_the_score(router: Router) -> None:
    big = [
        {
            "type": "function",
            "function": {
                "name": f"tool_{i}",
                "description": "Run the deployment pipeline " * 40,
                "parameters": {"type": "object", "properties": {}},
            },
        }
        for i in range(50)
    ]
    bare = router.route_request(chat(user("hi")))
    loaded = router.route_request(chat(user("hi"), tools=big))
    assert (loaded.score, loaded.tier) == (bare.score, bare.tier)
    assert loaded.estimated_input_tokens > bare.estimated_input_tokens + 5000
    assert router.catalog[loaded.model].tools  # the capability filter still applies


def test_the_agentic_table_is_held_for_the_session(router: Router) -> None:
    d = router.route_request(chat(user("sounds good, continue")), held=Held(2, "agentic"))
    assert (d.tier, d.table) == ("COMPLEX", "agentic")


def test_the_same_tier_keeps_the_model_that_served(router: Router) -> None:
    first = router.route_request(chat(user(HARD)))
    second_choice = first.fallback_chain[1]
    d = router.route_request(chat(user("yes, go ahead")), held=Held(2, first.table, second_choice))
    assert d.model == second_choice and d.fallback_chain[0] == second_choice


def test_a_whole_history_and_a_session_end_up_alike(router: Router) -> None:
    turns = [
        HARD,
        "yes, go ahead and implement it",
        "now add tests",
        "What is the capital city of Peru, and which language is spoken there?",
        "and of Chile?",
        "Prove that there are infinitely many primes.",
    ]
    held, messages = None, []
    for text in turns:
        messages += [user(text)]
        stateless = router.route_request(chat(*messages))
        trimmed = router.route_request(chat(user(text)), held=held)
        assert (stateless.tier, stateless.turn) == (trimmed.tier, trimmed.turn), text
        held = trimmed.held
        messages.append(reply())


def test_step_down_never_and_mode_off(tmp_path: Path) -> None:
    peru = chat(user(HARD), reply(), user("What is the capital city of Peru, and which language is spoken there?"))
    assert make_router(tmp_path, step_down="never").route_request(peru).tier == "COMPLEX"
    off = make_router(tmp_path, mode="off").route_request(chat(user(HARD), reply(), user("yes")))
    assert (off.tier, off.turn) == ("SIMPLE", "off")


def test_reset_routes_the_newest_ask_alone(router: Router) -> None:
    ask = parse_request(chat(user(HARD), reply(), user("yes")))
    d = router.route_ask(ask, "auto", held=Held(3, "auto"), reset=True)
    assert (d.tier, d.turn) == ("SIMPLE", "reset")


def test_held_state_round_trips_and_rejects_garbage() -> None:
    held = Held(2, "agentic", "openai/gpt-4o", (1, 2, 3))
    assert Held.loads(held.dumps()) == held
    for bad in ("", "nope", "{}", '{"t": 9, "tb": "auto"}', '{"t": "2", "tb": "auto"}', b"\xff", 5, None, []):
        assert Held.loads(bad) is None


# --- bad input ------------------------------------------------------------------------------


def test_ten_thousand_turns_route_and_only_the_newest_asks_are_read(router: Router) -> None:
    messages: list[dict[str, Any]] = []
    for i in range(5000):
        messages += [user(f"question {i} about the weather"), reply(f"answer {i}")]
    messages.append(user(HARD))
    body = chat(*messages)
    ask = parse_request(body, history=8)
    assert ask.prompt == HARD and len(ask.history) == 8 and ask.history[-1] == "question 4999 about the weather"
    assert router.route_request(body).tier == "COMPLEX"


def test_an_assistant_turn_with_no_content(router: Router) -> None:
    body = chat(user(HARD), {"role": "assistant", "content": None}, user("continue"))
    assert router.route_request(body).tier == "COMPLEX"
    body = chat(user(HARD), {"role": "assistant"}, user("continue"))
    assert router.route_request(body).tier == "COMPLEX"


# --- sessions -------------------------------------------------------------------------------


def caller(token: str, team: str | None = None) -> SimpleNamespace:
    return SimpleNamespace(token=token, api_key=token, team_id=team)


def test_session_key_first_match_wins() -> None:
    ask = parse_request(chat(user("hello"), reply(), user("more")))
    me = scope(caller("k1"))
    h = {"x-smart-router-session": "abc"}
    assert identify({"user": "u"}, h, ask, me).source == "header"
    assert identify({"metadata": {"session_id": "m"}, "user": "u"}, {}, ask, me).source == "metadata"
    assert identify({"litellm_session_id": "l", "user": "u"}, {}, ask, me).source == "litellm"
    assert identify({"user": "u"}, {}, ask, me).source == "user"
    derived = identify({}, {}, ask, me)
    assert derived is not None and derived.source == "first_message" and not derived.explicit
    assert identify({}, {}, parse_request(chat(user("  "))), me) is None


def test_sessions_are_isolated_per_key_and_team_and_hashed() -> None:
    ask = parse_request(chat(user("the same first message")))
    h = {"x-smart-router-session": "shared-id"}
    a = identify({}, h, ask, scope(caller("key-a")))
    b = identify({}, h, ask, scope(caller("key-b")))
    t = identify({}, h, ask, scope(caller("key-a", team="t2")))
    assert a is not None and b is not None and t is not None
    assert len({a.key, b.key, t.key}) == 3
    assert identify({}, h, ask, scope(caller("key-a"))) == a
    derived = [identify({}, {}, ask, scope(caller(k))) for k in ("key-a", "key-b")]
    assert derived[0] != derived[1]
    for s in (a, b, t, *derived):
        assert s is not None and "shared-id" not in s.key and "key-a" not in s.key and "first" not in s.key


@pytest.mark.parametrize("value", ["x" * 300, "bad\nid", "tab\tid", 5])
def test_malformed_session_ids_are_refused(value: Any) -> None:
    ask = parse_request(chat(user("hi")))
    with pytest.raises(SessionHeaderError, match="x-smart-router-session"):
        identify({}, {"x-smart-router-session": value}, ask, "")


def test_reset_header_values() -> None:
    assert wants_reset({"x-smart-router-reset": "TRUE"}) and wants_reset({"x-smart-router-reset": "1"})
    assert not wants_reset({}) and not wants_reset({"x-smart-router-reset": "false"})
    with pytest.raises(SessionHeaderError, match="x-smart-router-reset"):
        wants_reset({"x-smart-router-reset": "maybe"})


class SlowRedis:
    """A Redis that never answers in time (black-holed), or raises."""

    def __init__(self, hang: float = 10, error: Exception | None = None) -> None:
        self.hang, self.error, self.calls = hang, error, 0

    async def _call(self) -> None:
        self.calls += 1
        if self.error is not None:
            raise self.error
        await asyncio.sleep(self.hang)

    async def async_get_cache(self, key: str) -> Any:
        await self._call()

    async def async_set_cache(self, key: str, value: Any, ttl: Any = None) -> None:
        await self._call()

    async def async_delete_cache(self, key: str) -> None:
        await self._call()


@pytest.mark.parametrize("redis", [SlowRedis(), SlowRedis(error=ConnectionError("refused"))])
def test_a_failing_redis_degrades_to_memory_with_one_warning(
    redis: SlowRedis, caplog: pytest.LogCaptureFixture
) -> None:
    store = SessionStore(SessionConfig(redis_timeout_ms=20, redis_retry_seconds=60), redis=redis)

    async def run() -> list[Any]:
        store.put("k", "v1")
        out = [await store.get("k") for _ in range(5)]
        await store.drain()
        return out

    caplog.set_level(logging.WARNING, logger="smart_llm_router")
    started = time.monotonic()
    assert asyncio.run(run()) == ["v1"] * 5
    assert time.monotonic() - started < 5  # nothing waited for a black-holed Redis
    # The write and the first read both tried it; after that failure Redis is left alone for
    # redis_retry_seconds.
    assert redis.calls <= 2
    warnings = [r for r in caplog.records if "Redis session store unavailable" in r.getMessage()]
    assert len(warnings) == 1


def test_memory_is_bounded() -> None:
    store = SessionStore(SessionConfig(max_entries=10, redis="off"))
    for i in range(50):
        store.put(f"k{i}", "v")
    assert len(store.memory.cache_dict) <= 10
    assert asyncio.run(store.get("k49")) == "v"


# --- the hook -------------------------------------------------------------------------------


@pytest.fixture
def hook(routers: dict[str, Router]) -> SmartRouterHook:
    return SmartRouterHook(routers["python"])


def call(
    hook: SmartRouterHook, data: dict[str, Any], who: Any = None, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    data = copy.deepcopy(data)
    data["proxy_server_request"] = {"headers": headers or {}}
    return asyncio.run(hook.async_pre_call_hook(who or caller("k1"), None, data, "acompletion"))


def info(data: dict[str, Any]) -> dict[str, Any]:
    return data["metadata"][METADATA_KEY]  # type: ignore[no-any-return]


def test_the_hook_holds_a_session_for_its_caller_only(hook: SmartRouterHook) -> None:
    h = {"x-smart-router-session": "s-1"}
    first = info(call(hook, chat(user(HARD)), headers=h))
    again = info(call(hook, chat(user("yes, go ahead")), headers=h))
    assert (again["tier"], again["rule"], again["session"]) == ("COMPLEX", "held", first["session"])
    other = info(call(hook, chat(user("yes, go ahead")), who=caller("k2"), headers=h))
    assert other["tier"] == "SIMPLE" and other["session"] != first["session"]
    reset = info(call(hook, chat(user("yes, go ahead")), headers={**h, "x-smart-router-reset": "true"}))
    assert (reset["tier"], reset["turn"]) == ("SIMPLE", "reset")
    assert "_session_key" in first and all(
        first["_session_key"] not in v for v in map(str, first.values()) if v != first["_session_key"]
    )


def test_the_hook_refuses_a_malformed_session_header(hook: SmartRouterHook) -> None:
    with pytest.raises(HTTPException) as e:
        call(hook, chat(user("hi")), headers={"x-smart-router-session": "x" * 1000})
    assert e.value.status_code == 400 and "x-smart-router-session" in str(e.value.detail)


def test_headers_name_the_serving_model_and_remember_it(hook: SmartRouterHook) -> None:
    h = {"x-smart-router-session": "s-served"}
    data = call(hook, chat(user(HARD)), headers=h)
    chosen = data["model"]
    data["deployment"] = SimpleNamespace(model_name=data["fallbacks"][0])
    headers = asyncio.run(hook.async_post_call_response_headers_hook(data, None, None))
    assert headers is not None
    assert headers["x-smart-router-model"] == data["fallbacks"][0]
    assert headers["x-smart-router-first-choice"] == chosen
    assert headers["x-smart-router-session"] == info(data)["session"] and info(data)["turn"] == "new"
    follow = info(call(hook, chat(user("continue")), headers=h))
    assert follow["model"] == data["fallbacks"][0]


def test_count_tokens_model_reads_but_never_resets(hook: SmartRouterHook) -> None:
    h = {"x-smart-router-session": "s-count"}
    call(hook, chat(user(HARD)), headers=h)
    model = asyncio.run(hook.model_for_count_tokens(chat(user("ok")), caller("k1"), {**h, "x-smart-router-reset": "1"}))
    assert model  # the newest ask alone: not held
    held = info(call(hook, chat(user("continue")), headers=h))
    assert held["tier"] == "COMPLEX"


def test_the_decision_log_records_session_and_turn(tmp_path: Path) -> None:
    from smart_llm_router.config import bundled_config_path

    data = yaml.safe_load(bundled_config_path().read_text("utf-8"))
    data["smart_router"]["decision_log"] = {"path": str(tmp_path / "d.jsonl"), "prompts": "text"}
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(data), "utf-8")
    hook = SmartRouterHook(Router(path))
    call(hook, chat(user(HARD)), headers={"x-smart-router-session": "s-log"})
    call(hook, chat(user("yes")), headers={"x-smart-router-session": "s-log"})
    lines = [json.loads(line) for line in (tmp_path / "d.jsonl").read_text().splitlines()]
    assert [r["turn"] for r in lines] == ["new", "held"]
    assert lines[0]["session"] == lines[1]["session"] and len(lines[0]["session"]) == 12
    assert not any(k.startswith("_") for r in lines for k in r)


def test_older_messages_read_lightly_give_the_same_ask(monkeypatch: pytest.MonkeyPatch) -> None:
    import smart_llm_router.asks as asks

    messages: list[dict[str, Any]] = [{"role": "system", "content": "Be terse."}]
    for i in range(60):
        messages += [user(f"step {i}: éè 你好 please look at module_{i}"), reply(f"done {i}")]
        if i % 7 == 0:
            messages += [TOOL_CALL, {"role": "tool", "tool_call_id": "c1", "content": f"output {i}"}]
        if i % 11 == 0:
            messages.append(
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": "<system-reminder>x</system-reminder>"},
                        {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
                    ],
                }
            )
        if i == 30:
            messages.append({"role": "developer", "content": "Answer in JSON."})
    messages.append(user("now add tests"))
    body = chat(*messages, tools=TOOLS)
    assert asks._tail_start(messages, 8) > 0
    light = parse_request(body, history=8)
    monkeypatch.setattr(asks, "_tail_start", lambda _messages, _history: 0)
    assert parse_request(body, history=8) == light
    assert light.has_vision and light.has_tools and light.system and "JSON" in light.system


def test_unquoted_off_in_yaml_means_off(tmp_path: Path) -> None:
    from smart_llm_router.config import bundled_config_path

    text = bundled_config_path().read_text("utf-8")
    text = text.replace("    mode: hold ", "    mode: off ").replace("      redis: auto ", "      redis: off ")
    path = tmp_path / "c.yaml"
    path.write_text(text, "utf-8")
    conv = Router(path).config.smart_router.conversation
    assert (conv.mode, conv.sessions.redis) == ("off", "off")


def test_the_hot_path_memos_keep_no_long_text() -> None:
    """Session keys, topic words and states are memoised per request, bounded in count and
    never keyed by a long text (a first message may be a 50 KB system prompt)."""
    from smart_llm_router import sessions, topic

    before = sessions._short_digest.cache_info().currsize
    long_key = sessions._digest("caller", "first_message", "x" * 50_000)
    assert sessions._short_digest.cache_info().currsize == before
    assert long_key == sessions._digest("caller", "first_message", "x" * 50_000)
    assert sessions._digest("a", "b") == sessions._digest("a", "b") != sessions._digest("ab", "")
    long_text = "alpha bravo charlie " * 5_000
    assert topic.topic_words(long_text) == topic._topic_words(long_text[: topic.MAX_CHARS])
    for cached in (sessions._short_digest, topic._topic_words):
        assert cached.cache_parameters()["maxsize"] <= 2048


def test_topic_keeps_the_newest_distinct_words_first_and_reads_no_further() -> None:
    from smart_llm_router.topic import newest_first

    assert newest_first([(1, 2, 3), (3, 4), (5,)], keep=4) == (1, 2, 3, 4)
    assert newest_first([(1, 2, 3, 4, 5)], keep=2) == (1, 2)
    assert newest_first([(7, 1), (1, 7)], keep=9) == (7, 1)
    assert newest_first([], keep=3) == ()

    def groups():
        yield (1, 2)
        yield (3,)
        raise AssertionError("read past the words it needed")

    assert newest_first(groups(), keep=3) == (1, 2, 3)


class _OrderedRedis:
    """A stand-in for LiteLLM's RedisCache whose first write is slow: a later write of the same
    key on another pooled connection would land first unless the store orders them."""

    namespace = None

    def __init__(self) -> None:
        self.log: list[tuple[str, str, str | None]] = []
        self.calls = 0

    def init_async_client(self) -> _OrderedRedis:
        return self

    def pipeline(self, transaction: bool = False) -> Any:
        redis = self

        class Pipe:
            def __init__(self) -> None:
                self.ops: list[tuple[str, str, str | None]] = []

            def set(self, key: str, value: str, ex: int | None = None) -> None:
                self.ops.append(("set", key, value))

            def delete(self, key: str) -> None:
                self.ops.append(("del", key, None))

            def publish(self, channel: str, message: str) -> None:
                pass

            async def execute(self) -> None:
                redis.calls += 1
                await asyncio.sleep(0.05 if redis.calls == 1 else 0)
                redis.log.extend(self.ops)

        return Pipe()


def test_writes_of_a_session_reach_redis_in_order() -> None:
    redis = _OrderedRedis()
    store = SessionStore(SessionConfig(redis_timeout_ms=1000, near_cache=False), redis=redis)

    async def run() -> None:
        store.put("k", "before the reset")  # slow: the first write
        store.delete("k")  # a reset right after it
        store.put("k", "after the reset")
        store.put("other", "v")  # another key does not wait
        await store.drain()

    asyncio.run(run())
    assert [op for op in redis.log if op[1] == "k"] == [
        ("set", "k", "before the reset"),
        ("del", "k", None),
        ("set", "k", "after the reset"),
    ]
    assert redis.log[0] == ("set", "other", "v")
