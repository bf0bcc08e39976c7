"""`slr init` (a working config per upstream) and `slr doctor` (what would fail at request
time)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import yaml

from .catalog import CostMapError, check_cost_map
from .config import AppConfig, bundled_config_path, load_config, parse_config
from .datafiles import read_bundled
from .errors import ConfigError
from .proxy import HOOK, master_key, proxy_config, read_yaml
from .router import Router
from .tables import TIERS

UPSTREAMS = ("openrouter", "openai", "anthropic", "together", "fireworks", "groq", "deepinfra", "vllm", "ollama")
# The LiteLLM releases the hook works with: pyproject.toml's requirement, written out for
# `slr doctor` (a test keeps the two equal). Before 1.94 the proxy imports a configured
# callback only from a file next to its config, so `smart_llm_router.hook.handler` fails to
# load; before 1.106 LiteLLM lacks the request-body helpers our count_tokens route calls.
LITELLM_REQUIREMENT = "litellm[proxy]>=1.106.0,<2"
LITELLM_SUPPORTED = ((1, 106, 0), (2,))  # [low, high)
# A local server loads a model on its first request (tens of seconds) and generates more
# slowly, and a fallback runs on the same machine: one generous limit for every tier, against
# hangs only, instead of the bundled per-tier timeouts made for hosted APIs.
LOCAL_TIMEOUTS = {"timeout": 600, "stream_timeout": 120}


@lru_cache(maxsize=1)
def _upstreams() -> dict[str, Any]:
    return read_bundled("upstreams.yaml")


def init_config(upstream: str) -> tuple[dict[str, Any], list[str]]:
    """A complete config (LiteLLM part + smart_router) for ``upstream``, and next steps."""
    if upstream not in UPSTREAMS:
        raise ConfigError(f"unknown upstream {upstream!r}: choose one of {', '.join(UPSTREAMS)}")
    bundled = read_yaml(bundled_config_path())
    if upstream == "openrouter":
        data, key_env, base = bundled, "OPENROUTER_API_KEY", None
    else:
        spec = _upstreams()[upstream]
        key_env, base = spec.get("api_key_env"), spec.get("api_base")
        model_list = []
        for model in spec["models"]:
            params: dict[str, Any] = {"model": model}
            if base:
                params["api_base"] = base
            params["api_key"] = f"os.environ/{key_env}" if key_env else "none"
            model_list.append({"model_name": model, "litellm_params": params})
        profiles = dict(spec["profiles"])
        timeouts = (
            {tier: dict(LOCAL_TIMEOUTS) for tier in TIERS} if spec.get("local") else bundled["smart_router"]["timeouts"]
        )
        smart: dict[str, Any] = {
            "baseline": bundled["smart_router"]["baseline"],
            "timeouts": timeouts,
            "profiles": profiles,
        }
        if spec.get("local"):
            profiles["free"] = profiles["eco"]
            tools = set(spec.get("tools", []))
            smart["models"] = {m: {"free": True, "supports_function_calling": m in tools} for m in spec["models"]}
        data = {"model_list": model_list, "smart_router": smart}
    data = proxy_config(data)
    data["general_settings"].setdefault("master_key", "os.environ/LITELLM_MASTER_KEY")
    steps = []
    if key_env:
        steps.append(f"export {key_env}=...            # your {upstream} API key")
    elif base:
        steps.append(f"start your {upstream} server at {base} and edit the model names to the ones it serves")
    steps.append("export LITELLM_MASTER_KEY=sk-...    # the key clients use for the proxy (optional on 127.0.0.1)")
    return data, steps


def write_init(upstream: str, path: Path, force: bool = False) -> list[str]:
    """Write ``slr init``'s config to ``path`` (validated first); return the next steps."""
    if path.exists() and not force:
        raise ConfigError(f"{path} exists: pass --force to overwrite it")
    data, steps = init_config(upstream)
    Router(parse_config(data, str(path), base_dir=path.parent))  # never write a config that cannot route
    header = (
        f"# smart-llm-router config for the {upstream} upstream (written by `slr init`).\n"
        "# LiteLLM reads everything but `smart_router:`; the router reads `smart_router:` and model_list.\n"
        "# Scoring defaults come from the package; override any of them under smart_router.scoring.\n"
    )
    text = header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, "utf-8")
    tmp.replace(path)  # nothing half-written
    return steps


@dataclass(frozen=True)
class Problem:
    level: str  # "error" (would fail at request time) or "warning"
    message: str


def _version_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.split(".")[:3] if p.isdigit())


def _litellm_problems() -> list[Problem]:
    """The installed LiteLLM: a supported release whose model cost map can be read."""
    try:
        lite = version("litellm")
    except PackageNotFoundError:
        return [Problem("error", f"LiteLLM is not installed: pip install '{LITELLM_REQUIREMENT}'")]
    problems = []
    low, high = LITELLM_SUPPORTED
    found = _version_tuple(lite)
    if found < low:
        problems.append(
            Problem(
                "error",
                f"LiteLLM {lite} is too old (before 1.94 the proxy cannot load {HOOK}; "
                "before 1.106 /v1/messages/count_tokens fails): "
                f"pip install '{LITELLM_REQUIREMENT}'",
            )
        )
    elif found >= high:
        problems.append(
            Problem(
                "warning", f"LiteLLM {lite} is untested: this release supports {LITELLM_REQUIREMENT.split(']', 1)[1]}"
            )
        )
    try:
        check_cost_map()
    except CostMapError as e:
        problems.append(Problem("error", str(e)))
    return problems


def diagnose(path: Path | None, env: dict[str, str] | None = None) -> tuple[list[Problem], AppConfig | None]:
    """Every problem found in the config at ``path`` (bundled if None)."""
    env = dict(os.environ if env is None else env)
    problems = _litellm_problems()
    config = None
    try:
        config = load_config(path)
        router = Router(config)
    except CostMapError as e:
        # Reported above (unless it broke since); without the map the per-model checks say nothing.
        if not any(p.level == "error" for p in problems):
            problems.append(Problem("error", str(e)))
        return problems, config
    except ConfigError as e:
        problems += [Problem("error", line) for line in str(e).splitlines()]
        return problems, None
    data = config.litellm
    used = {m for table in config.smart_router.profiles.values() for models in table.values() for m in models}
    for entry in config.model_list:
        name = entry["model_name"]
        if name not in used:
            continue
        params = entry.get("litellm_params") or {}
        key = params.get("api_key")
        if isinstance(key, str) and key.startswith("os.environ/"):
            var = key.split("/", 1)[1]
            if not env.get(var):
                problems.append(Problem("error", f"{name}: {var} is not set (requests would fail with 401)"))
        info = router.catalog[name]
        if not info.price_known:
            problems.append(
                Problem(
                    "warning",
                    f"{name}: price unknown (set input/output_cost_per_token under smart_router.models): no savings figure",
                )
            )
        if info.max_input_tokens is None:
            problems.append(Problem("warning", f"{name}: context window unknown (set max_input_tokens): not checked"))
    if not router.baseline.price_known:
        problems.append(Problem("warning", f"baseline {router.baseline.name}: price unknown: no savings figures"))
    callbacks = (data.get("litellm_settings") or {}).get("callbacks") or []
    callbacks = [callbacks] if isinstance(callbacks, str) else callbacks
    if HOOK not in callbacks:
        problems.append(
            Problem(
                "warning",
                f"litellm_settings.callbacks lacks {HOOK}: `slr start` adds it, plain `litellm --config` would not route",
            )
        )
    if not master_key(data, env):
        problems.append(
            Problem("warning", "no master key (LITELLM_MASTER_KEY): `slr start` only serves 127.0.0.1 then")
        )
    for name in config.smart_router.profiles:
        for tier in TIERS:
            if not router.tables[name][tier]:
                problems.append(Problem("error", f"profile {name}: every {tier} model is excluded"))
    return problems, config
