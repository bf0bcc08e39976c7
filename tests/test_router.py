"""Routing: profiles, tables, capability filters, escalation, prices, config errors."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from smart_llm_router import (
    ConfigError,
    NoModelError,
    RequestError,
    Router,
    UnknownProfileError,
    load_config,
    route,
    route_request,
)
from smart_llm_router.config import bundled_config_path

BUNDLED: dict[str, Any] = yaml.safe_load(bundled_config_path().read_text("utf-8"))


@pytest.fixture(scope="module")
def router() -> Router:
    return Router()


def make_router(tmp_path: Path, edit) -> Router:
    data = copy.deepcopy(BUNDLED)
    edit(data)
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return Router(path)


def test_every_rule_code_is_explained() -> None:
    from smart_llm_router import router, tables

    assert list(router._RULE_TEXT) == list(tables.RULES)


# --- the product page's examples, and paraphrases that follow the same rules -------------


def test_page_examples(router: Router) -> None:
    d = router.route("what is the capital of france")
    assert (d.tier, d.model) == ("SIMPLE", "google/gemini-2.5-flash-lite")
    d = router.route("Prove that sqrt(2) is irrational step by step")
    assert (d.tier, d.model) == ("REASONING", "deepseek/deepseek-r1")
    d = router.route("design a high-availability microservices architecture", profile="premium")
    assert (d.tier, d.model) == ("COMPLEX", "anthropic/claude-opus-4.7")


@pytest.mark.parametrize(
    "prompt",
    [
        "What's the capital city of Australia?",
        "who wrote pride and prejudice",
        "hello!",
    ],
)
def test_simple_paraphrases(router: Router, prompt: str) -> None:
    assert router.route(prompt).tier == "SIMPLE"


@pytest.mark.parametrize(
    "prompt",
    [
        "Show step by step that the square root of 3 is irrational",
        "Prove, step by step, that there are infinitely many prime numbers",
        "Derive the formula for the sum of a geometric series and prove it by induction",
    ],
)
def test_reasoning_paraphrases(router: Router, prompt: str) -> None:
    assert router.route(prompt).tier == "REASONING"


@pytest.mark.parametrize(
    "prompt",
    [
        "Design a fault-tolerant event-driven architecture for order processing",
        "design a scalable distributed cache for a social network",
        "Debug this deadlock between two database transactions",
        "Architect a multi-region Kubernetes deployment with failover",
    ],
)
def test_short_hard_asks_are_complex(router: Router, prompt: str) -> None:
    assert router.route(prompt, profile="premium").tier == "COMPLEX"


# --- profiles ------------------------------------------------------------------------------


def test_profiles_are_case_insensitive(router: Router) -> None:
    assert router.route("hi", profile="PREMIUM").profile == "premium"
    assert router.route("hi", profile="Smart/Eco").profile == "eco"


def test_unknown_profile_lists_the_valid_ones(router: Router) -> None:
    with pytest.raises(UnknownProfileError, match="valid profiles are auto, eco, premium, agentic, free"):
        router.route("hi", profile="xyz")


def test_every_profile_has_its_own_table(router: Router) -> None:
    assert sorted(router.profiles) == ["agentic", "auto", "eco", "free", "premium"]
    tables = {tuple(m.name for tier in t.values() for m in tier) for t in router.tables.values()}
    assert len(tables) == 5
    prompt = "Implement an LRU cache in Python with O(1) get and put"
    assert len({router.route(prompt, profile=p).model for p in ("auto", "eco", "premium", "free")}) == 4


def test_free_never_picks_a_paid_model(router: Router) -> None:
    for prompt in ["hi", "Prove Fermat's little theorem step by step", "design a distributed database"]:
        for vision in (False, True):
            d = router.route(prompt, profile="free", has_vision=vision)
            assert all(router.catalog[m].free for m in d.fallback_chain)
            assert d.cost_estimate_usd == 0.0


def test_a_paid_model_in_the_free_profile_is_a_config_error(tmp_path: Path) -> None:
    def edit(data: dict) -> None:
        data["smart_router"]["profiles"]["free"]["SIMPLE"] = ["openai/gpt-4o"]

    with pytest.raises(ConfigError, match="profiles.free.SIMPLE: 'openai/gpt-4o' is not free"):
        make_router(tmp_path, edit)


# --- agentic ---------------------------------------------------------------------------

TOOLS_HI = dict(has_tools=True)


def test_hi_with_tools_is_not_an_agentic_job(router: Router) -> None:
    d = router.route("hi", **TOOLS_HI)
    assert d.table == "auto" and d.tier == "SIMPLE"
    assert router.catalog[d.model].tools


def test_tools_with_a_real_ask_use_the_agentic_table(router: Router) -> None:
    d = router.route("Refactor the payment module and update its unit tests", **TOOLS_HI)
    assert d.table == "agentic"


def test_an_agentic_ask_uses_the_agentic_table_without_tools(router: Router) -> None:
    d = router.route("Run the tests, fix the failing ones and commit the changes")
    assert d.table == "agentic"


def test_agentic_profile_is_forced_when_named(router: Router) -> None:
    assert router.route("hi", profile="agentic").table == "agentic"


@pytest.mark.parametrize(("mode", "table"), [("always", "agentic"), ("never", "auto")])
def test_agentic_mode(tmp_path: Path, mode: str, table: str) -> None:
    r = make_router(tmp_path, lambda d: d["smart_router"].__setitem__("agentic_mode", mode))
    assert r.route("hi", has_tools=True).table == table
    assert r.route("Run the tests, fix the failing ones and commit").table == table


# --- capability filters -------------------------------------------------------------------


def test_images_only_go_to_vision_models(router: Router) -> None:
    for profile in router.profiles:
        for prompt in ["hi", "Prove that sqrt(2) is irrational step by step"]:
            d = router.route(prompt, profile=profile, has_vision=True)
            assert all(router.catalog[m].vision for m in d.fallback_chain), (profile, d.fallback_chain)


def test_tools_only_go_to_function_calling_models(router: Router) -> None:
    d = router.route("Prove that sqrt(2) is irrational step by step", has_tools=True, profile="eco")
    assert all(router.catalog[m].tools for m in d.fallback_chain)


def test_an_emptied_tier_moves_up_and_says_so(tmp_path: Path) -> None:
    def edit(data: dict) -> None:
        data["smart_router"]["profiles"]["auto"]["SIMPLE"] = ["deepseek/deepseek-chat"]

    r = make_router(tmp_path, edit)
    d = r.route("hi", has_vision=True)
    assert d.tier == "MEDIUM" and r.catalog[d.model].vision
    assert "escalated from SIMPLE" in d.reason and "vision" in d.reason


def test_context_window_is_respected(router: Router) -> None:
    d = router.route("summarise: " + "lorem ipsum dolor " * 11_000, profile="free")
    assert d.estimated_input_tokens > 32_768
    assert all((router.catalog[m].max_input_tokens or 0) >= d.estimated_input_tokens * 1.1 for m in d.fallback_chain)


def test_nothing_fits_names_the_constraint(router: Router) -> None:
    with pytest.raises(NoModelError, match="exceed the largest context window"):
        router.route("x " * 1_000_000, profile="free")


def test_excluded_models_are_skipped(tmp_path: Path) -> None:
    r = make_router(tmp_path, lambda d: d["smart_router"].__setitem__("exclude", ["google/gemini-2.5-flash-lite"]))
    d = r.route("what is the capital of france")
    assert d.model == "google/gemini-2.0-flash-lite-001"
    assert "google/gemini-2.5-flash-lite" not in d.fallback_chain


# --- prices ----------------------------------------------------------------------------


def test_prices_come_from_the_cost_map(router: Router) -> None:
    sonnet = router.catalog["anthropic/claude-sonnet-4.6"]
    assert sonnet.source == "claude-sonnet-4-6"
    assert sonnet.input_cost and sonnet.output_cost and sonnet.output_cost > sonnet.input_cost
    d = router.route("what is the capital of france", max_output_tokens=100)
    lite = router.catalog[d.model]
    assert d.cost_estimate_usd == pytest.approx(d.estimated_input_tokens * lite.input_cost + 100 * lite.output_cost)
    assert 0 < d.savings < 1


def test_premium_reports_no_savings(router: Router) -> None:
    assert router.route("design a distributed lock service", profile="premium").savings == 0.0


def test_unknown_price_gives_no_savings(tmp_path: Path) -> None:
    def edit(data: dict) -> None:
        data["model_list"].append({"model_name": "acme/mystery", "litellm_params": {"model": "openai/acme-mystery"}})
        data["smart_router"]["profiles"]["auto"]["SIMPLE"] = ["acme/mystery"]

    r = make_router(tmp_path, edit)
    d = r.route("hi")
    assert d.model == "acme/mystery"
    assert d.cost_estimate_usd is None and d.savings is None


def test_price_overrides_win(tmp_path: Path) -> None:
    def edit(data: dict) -> None:
        data["smart_router"]["models"]["google/gemini-2.5-flash-lite"] = {
            "input_cost_per_token": 0.000001,
            "output_cost_per_token": 0.000002,
        }

    r = make_router(tmp_path, edit)
    m = r.catalog["google/gemini-2.5-flash-lite"]
    assert (m.input_cost, m.output_cost) == (0.000001, 0.000002)


# --- config ----------------------------------------------------------------------------


def test_tier_model_missing_from_model_list(tmp_path: Path) -> None:
    def edit(data: dict) -> None:
        data["smart_router"]["profiles"]["eco"]["MEDIUM"] = ["nope/missing"]

    with pytest.raises(ConfigError, match=r"profiles\.eco\.MEDIUM: 'nope/missing' is not a model_name"):
        make_router(tmp_path, edit)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d["smart_router"].__setitem__("agentic_mode", "sometimes"), "agentic_mode"),
        (lambda d: d["smart_router"].__setitem__("colour", "blue"), "colour"),
        (lambda d: d["smart_router"]["profiles"]["auto"].pop("COMPLEX"), "no models for COMPLEX"),
        (lambda d: d.__setitem__("model_list", []), "model_list"),
        (lambda d: d["smart_router"]["scoring"].__setitem__("boundaries", [1, 0, 2]), "boundaries"),
    ],
)
def test_invalid_config_names_the_key(tmp_path: Path, edit, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        make_router(tmp_path, edit)


def test_unreadable_config(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read config"):
        load_config(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("model_list: [\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(bad)


def test_route_with_a_config_path(tmp_path: Path) -> None:
    data = copy.deepcopy(BUNDLED)
    data["smart_router"]["profiles"]["auto"]["SIMPLE"] = ["openai/gpt-4o-mini"]
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    assert route("hi", config=path).model == "openai/gpt-4o-mini"
    assert route("hi").model == "google/gemini-2.5-flash-lite"


# --- requests no model can take ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("profile", "kwargs", "message"),
    [
        ("free", {"has_vision": True, "input_tokens": 875_000}, r"profile 'free'.*exceed the largest context window"),
        (
            "premium",
            {"max_output_tokens": 10**9},
            r"profile 'premium'.*max_tokens 1000000000 exceeds every model's output limit",
        ),
    ],
)
def test_no_model_fits_names_the_profile_and_the_constraint(
    router: Router, profile: str, kwargs: dict, message: str
) -> None:
    with pytest.raises(NoModelError, match=message):
        router.route("describe this", profile=profile, **kwargs)


def test_no_model_fits_names_vision_and_tools(tmp_path: Path) -> None:
    def edit(data: dict) -> None:
        # One text-only model without function calling in every tier.
        data["smart_router"]["models"]["google/gemini-2.0-flash-lite-001"] = {
            "price_key": "vertex_ai/gemini-2.0-flash-lite",
            "supports_vision": False,
            "supports_function_calling": False,
        }
        for tier in data["smart_router"]["profiles"]["eco"]:
            data["smart_router"]["profiles"]["eco"][tier] = ["google/gemini-2.0-flash-lite-001"]

    r = make_router(tmp_path, edit)
    with pytest.raises(NoModelError, match="profile 'eco'.*images and no model supports vision"):
        r.route("hi", profile="eco", has_vision=True)
    with pytest.raises(NoModelError, match="profile 'eco'.*tools and no model supports function calling"):
        r.route("hi", profile="eco", has_tools=True)


def test_no_single_model_has_everything(tmp_path: Path) -> None:
    def edit(data: dict) -> None:
        data["smart_router"]["models"]["deepseek/deepseek-chat"] = {
            "price_key": "deepseek/deepseek-chat",
            "max_input_tokens": 2_000_000,
        }
        for tier in data["smart_router"]["profiles"]["eco"]:
            data["smart_router"]["profiles"]["eco"][tier] = ["deepseek/deepseek-chat", "openai/gpt-4o-mini"]

    r = make_router(tmp_path, edit)
    # gpt-4o-mini sees images, deepseek-chat takes 1.5 M tokens: neither both.
    with pytest.raises(NoModelError, match="profile 'eco'.*no single model has vision and a context window"):
        r.route("hi", profile="eco", has_vision=True, input_tokens=1_500_000)


def test_an_agentic_table_is_named_with_its_profile(router: Router) -> None:
    with pytest.raises(NoModelError, match=r"profile 'auto' \(its 'agentic' table\)"):
        router.route("Refactor the payment module and update its unit tests", has_tools=True, input_tokens=5_000_000)


# --- wrong arguments of the Python API -----------------------------------------------------------

BODY = {"model": "smart/auto", "messages": [{"role": "user", "content": "hi"}]}


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"profile": None}, TypeError, "profile must be a str"),
        ({"profile": 5}, TypeError, "profile must be a str"),
        ({"max_output_tokens": "abc"}, TypeError, "max_output_tokens must be an int"),
        ({"max_output_tokens": 1.5}, TypeError, "max_output_tokens must be an int"),
        ({"max_output_tokens": True}, TypeError, "max_output_tokens must be an int"),
        ({"max_output_tokens": -5}, ValueError, "max_output_tokens must be at least 1, got -5"),
        ({"max_output_tokens": 0}, ValueError, "max_output_tokens must be at least 1"),
        ({"system_prompt": 5}, TypeError, "system_prompt must be a str or None"),
        ({"has_tools": "yes"}, TypeError, "has_tools must be a bool"),
        ({"has_vision": None}, TypeError, "has_vision must be a bool"),
        ({"input_tokens": "many"}, TypeError, "input_tokens must be a number"),
        ({"input_tokens": -1}, ValueError, "input_tokens must be a finite number >= 0"),
        ({"input_tokens": float("nan")}, ValueError, "input_tokens must be a finite number >= 0"),
        ({"history": "hello"}, TypeError, "history must be a sequence of str"),
        ({"history": ["ok", 5]}, TypeError, r"history\[1\] must be a str"),
        ({"held": "REASONING"}, TypeError, "held must be a Held or None"),
        ({"last_reply": None}, TypeError, "last_reply must be a str"),
    ],
)
def test_route_names_a_wrong_argument(router: Router, kwargs: dict, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        router.route("hi", **kwargs)
    if set(kwargs) <= {"profile", "max_output_tokens", "system_prompt", "has_tools", "has_vision"}:
        with pytest.raises(error, match=message):
            route("hi", **kwargs)


def test_route_names_a_prompt_that_is_not_text(router: Router) -> None:
    for prompt in (None, b"hi", 5):
        with pytest.raises(TypeError, match="prompt must be a str"):
            router.route(prompt)  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="prompt must be a str"):
            route(prompt)  # type: ignore[arg-type]


@pytest.mark.parametrize("body", [b"{}", 5, None, "hi", ["messages"]])
def test_route_request_names_a_body_that_is_not_a_dict(router: Router, body: object) -> None:
    with pytest.raises(RequestError, match="the request body must be a JSON object"):
        router.route_request(body)  # type: ignore[arg-type]
    with pytest.raises(RequestError, match="the request body must be a JSON object"):
        route_request(body)  # type: ignore[arg-type]


def test_route_request_and_route_ask_name_wrong_arguments(router: Router) -> None:
    from smart_llm_router.asks import parse_request

    with pytest.raises(TypeError, match="profile must be a str or None"):
        router.route_request(BODY, profile=5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="held must be a Held or None"):
        router.route_request(BODY, held={"t": 3})  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="ask must be an Ask"):
        router.route_ask(BODY, "auto")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="profile must be a str"):
        router.route_ask(parse_request(BODY), None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="reset must be a bool"):
        router.route_ask(parse_request(BODY), "auto", reset="yes")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="config must be a Router, an AppConfig, a path or None"):
        route("hi", config=5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="config must be a Router"):
        route_request(BODY, config=5)  # type: ignore[arg-type]


# --- timeouts ----------------------------------------------------------------------------------


def test_each_attempt_gets_the_tiers_timeout_unless_its_model_sets_one(tmp_path: Path) -> None:
    def edit(data: dict) -> None:
        data["model_list"][0]["litellm_params"]["stream_timeout"] = 3  # google/gemini-2.5-flash-lite

    r = make_router(tmp_path, edit)
    chain = ["google/gemini-2.5-flash-lite", "openai/gpt-4o-mini"]
    assert r.timeouts("SIMPLE", chain, stream=False) == [20, 20]
    assert r.timeouts("SIMPLE", chain, stream=True) == [None, 10]
    assert r.timeouts("REASONING", chain, stream=False) == [300, 300]
    off = make_router(tmp_path, lambda d: d["smart_router"].__setitem__("timeouts", False))
    assert off.timeouts("SIMPLE", chain, stream=False) is None
