"""What each model can do and what it costs: LiteLLM's model cost map plus config overrides.

The cost map is the JSON file LiteLLM ships (its offline copy), read directly: importing
LiteLLM would take seconds and, unless ``LITELLM_LOCAL_MODEL_COST_MAP`` is set, fetch the map
from the internet.

Without the map every price and capability is unknown: no savings figures, no vision or
function-calling model, so requests with images or tools cannot be routed at all. An
unreadable map is therefore an error (``CostMapError``) when the router is built, which the
hook turns into a failed proxy start, rather than a router that quietly rejects requests.
"""

from __future__ import annotations

import importlib.util
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from .config import AppConfig, ModelOverride
from .errors import ConfigError

COST_MAP_FILE = "model_prices_and_context_window_backup.json"
# The map's documentation entry, not a model.
_SAMPLE_SPEC = "sample_spec"
# Providers that run on the user's own hardware: free unless the config says otherwise.
LOCAL_PROVIDERS = ("ollama", "ollama_chat", "hosted_vllm", "vllm", "lm_studio", "llamafile")


class CostMapError(ConfigError):
    """LiteLLM's model cost map is missing, unreadable or empty (the message names the file
    and the fix)."""


def cost_map_path() -> Path:
    """Where the installed LiteLLM keeps its bundled cost map. Raises CostMapError when
    LiteLLM is not installed."""
    spec = importlib.util.find_spec("litellm")
    if spec is None or not spec.submodule_search_locations:
        raise CostMapError(
            f"LiteLLM is not installed, so its model cost map ({COST_MAP_FILE}) cannot be read: "
            "install smart-llm-router with its dependencies (pip install smart-llm-router)"
        )
    return Path(next(iter(spec.submodule_search_locations))) / COST_MAP_FILE


def _reinstall_hint() -> str:
    try:
        return f"reinstall LiteLLM: pip install --force-reinstall --no-deps 'litellm=={version('litellm')}'"
    except PackageNotFoundError:
        return "reinstall LiteLLM (pip install --force-reinstall --no-deps litellm)"


@lru_cache(maxsize=1)
def cost_map() -> dict[str, dict[str, Any]]:
    """LiteLLM's bundled model cost map: model name -> prices and capabilities.

    Raises CostMapError, naming the file, when it is missing, unreadable, not JSON or holds
    no model (failures are not cached: a repaired install is read on the next call).
    """
    path = cost_map_path()
    try:
        data = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        problem = "is missing"
    except OSError as e:
        problem = f"cannot be read ({e.strerror or type(e).__name__})"
    except ValueError as e:  # JSONDecodeError, UnicodeDecodeError
        problem = f"is not valid JSON ({e})"
    else:
        entries = {k: v for k, v in data.items() if isinstance(v, dict)} if isinstance(data, dict) else {}
        if set(entries) - {_SAMPLE_SPEC}:
            return entries
        problem = "holds no models"
    raise CostMapError(
        f"LiteLLM's model cost map {path} {problem}: the router takes every model's prices and "
        "capabilities (vision, tools, context window) from it, and without it cannot route images "
        f"or tools; {_reinstall_hint()}"
    )


def check_cost_map() -> int:
    """Read the cost map now (at the proxy's start) and return how many models it holds.
    Raises CostMapError when it cannot be read."""
    return len(cost_map())


_VERSION_DOT = re.compile(r"(?<=\d)\.(?=\d)")


def candidate_keys(name: str) -> list[str]:
    """Cost-map keys that may describe ``name``: itself, without its provider prefix(es),
    and with version dots written as dashes (claude-sonnet-4.6 -> claude-sonnet-4-6)."""
    keys = [name]
    parts = name.split("/")
    for i in range(1, len(parts)):
        keys.append("/".join(parts[i:]))
    keys += [_VERSION_DOT.sub("-", k) for k in keys]
    return list(dict.fromkeys(k for k in keys if k))


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """One routable model. Prices are USD per token; None means unknown."""

    name: str
    input_cost: float | None
    output_cost: float | None
    max_input_tokens: int | None
    max_output_tokens: int | None
    vision: bool
    tools: bool
    free: bool
    source: str  # which cost-map key the defaults came from ("" if none)

    @property
    def price_known(self) -> bool:
        return self.input_cost is not None and self.output_cost is not None

    def cost(self, input_tokens: float, output_tokens: float) -> float | None:
        if not self.price_known:
            return None
        assert self.input_cost is not None and self.output_cost is not None
        return input_tokens * self.input_cost + output_tokens * self.output_cost


def describe(name: str, litellm_model: str | None, override: ModelOverride | None) -> ModelInfo:
    """Merge cost-map data and config overrides for one model."""
    o = override or ModelOverride()
    entries = cost_map()
    lookups = [o.price_key] if o.price_key else []
    lookups += candidate_keys(litellm_model) if litellm_model else []
    lookups += candidate_keys(name)
    source, base = "", {}
    for key in lookups:
        if key in entries:
            source, base = key, entries[key]
            break
    provider = (litellm_model or "").split("/", 1)[0]
    free = o.free or (provider in LOCAL_PROVIDERS and o.input_cost_per_token is None)

    def pick(field: str, value: Any) -> Any:
        return value if value is not None else base.get(field)

    input_cost = 0.0 if free else pick("input_cost_per_token", o.input_cost_per_token)
    output_cost = 0.0 if free else pick("output_cost_per_token", o.output_cost_per_token)
    return ModelInfo(
        name=name,
        input_cost=None if input_cost is None else float(input_cost),
        output_cost=None if output_cost is None else float(output_cost),
        max_input_tokens=pick("max_input_tokens", o.max_input_tokens),
        max_output_tokens=pick("max_output_tokens", o.max_output_tokens),
        vision=bool(pick("supports_vision", o.supports_vision)),
        tools=bool(pick("supports_function_calling", o.supports_function_calling)),
        free=free or (input_cost == 0 and output_cost == 0),
        source=source,
    )


def build_catalog(config: AppConfig) -> dict[str, ModelInfo]:
    """ModelInfo for every model_list entry and the baseline."""
    smart = config.smart_router
    catalog = {
        entry["model_name"]: describe(
            entry["model_name"], config.litellm_model(entry["model_name"]), smart.models.get(entry["model_name"])
        )
        for entry in config.model_list
    }
    if smart.baseline not in catalog:
        catalog[smart.baseline] = describe(smart.baseline, None, smart.models.get(smart.baseline))
    return catalog
