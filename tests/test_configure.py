"""`slr init` writes configs that route; `slr doctor` reports what would fail."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from smart_llm_router import ConfigError, Router
from smart_llm_router.configure import UPSTREAMS, diagnose, write_init
from smart_llm_router.proxy import HOOK


@pytest.mark.parametrize("upstream", UPSTREAMS)
def test_init_writes_a_config_that_routes(tmp_path: Path, upstream: str) -> None:
    path = tmp_path / "nested" / f"{upstream}.yaml"
    steps = write_init(upstream, path)
    data = yaml.safe_load(path.read_text("utf-8"))
    names = {m["model_name"] for m in data["model_list"]}
    router = Router(path)
    for profile, table in router.tables.items():
        for tier, models in table.items():
            assert models and {m.name for m in models} <= names, (profile, tier)
    assert HOOK in data["litellm_settings"]["callbacks"]
    assert data["litellm_settings"]["use_chat_completions_url_for_anthropic_messages"] is True
    assert set(data["router_settings"]["model_group_alias"]) == {f"smart/{p}" for p in router.profiles}
    assert {"auto", "eco", "premium", "agentic"} <= set(router.profiles)
    if "free" in router.profiles:
        assert all(m.free for models in router.tables["free"].values() for m in models)
    assert steps


def test_init_refuses_to_overwrite(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("mine", "utf-8")
    with pytest.raises(ConfigError, match="--force"):
        write_init("openai", path)
    assert path.read_text("utf-8") == "mine"
    write_init("openai", path, force=True)
    assert "model_list" in path.read_text("utf-8")


def test_init_unknown_upstream(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="choose one of openrouter, openai"):
        write_init("nowhere", tmp_path / "c.yaml")


def test_doctor_reports_missing_keys_and_unknown_prices(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    write_init("openai", path)
    problems, _ = diagnose(path, env={})
    errors = [p.message for p in problems if p.level == "error"]
    assert any("OPENAI_API_KEY is not set" in m for m in errors)
    problems, _ = diagnose(path, env={"OPENAI_API_KEY": "x", "LITELLM_MASTER_KEY": "sk-x"})
    assert not [p for p in problems if p.level == "error"]
    data = yaml.safe_load(path.read_text("utf-8"))
    data["model_list"].append({"model_name": "acme/x", "litellm_params": {"model": "openai/acme-x", "api_key": "k"}})
    data["smart_router"]["profiles"]["eco"]["SIMPLE"] = ["acme/x"]
    path.write_text(yaml.safe_dump(data), "utf-8")
    problems, _ = diagnose(path, env={"OPENAI_API_KEY": "x"})
    assert any("acme/x: price unknown" in p.message and p.level == "warning" for p in problems)


def test_doctor_on_an_invalid_config(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("model_list: []\nsmart_router: {}\n", "utf-8")
    problems, config = diagnose(path, env={})
    assert config is None and problems[-1].level == "error" and "model_list" in problems[-1].message


def test_the_bundled_config_is_complete_for_plain_litellm() -> None:
    from smart_llm_router.config import bundled_config_path
    from smart_llm_router.proxy import proxy_config, read_yaml

    data = read_yaml(bundled_config_path())
    assert proxy_config(data) == data


@pytest.mark.parametrize("upstream", UPSTREAMS)
def test_init_writes_per_tier_timeouts(tmp_path: Path, upstream: str) -> None:
    from smart_llm_router.config import DEFAULT_TIMEOUTS
    from smart_llm_router.configure import LOCAL_TIMEOUTS
    from smart_llm_router.tables import TIERS

    path = tmp_path / "c.yaml"
    write_init(upstream, path)
    written = yaml.safe_load(path.read_text("utf-8"))["smart_router"]["timeouts"]
    timeouts = Router(path).config.smart_router.timeouts
    assert timeouts is not None and set(written) == set(TIERS)
    for tier in TIERS:
        expected = (
            LOCAL_TIMEOUTS
            if upstream in ("vllm", "ollama")
            else dict(zip(("timeout", "stream_timeout"), DEFAULT_TIMEOUTS[tier]))
        )
        assert written[tier] == expected
        assert timeouts.tier(tier).model_dump() == expected
