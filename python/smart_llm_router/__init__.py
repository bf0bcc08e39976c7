"""smart-llm-router: a provider-agnostic LLM router for LiteLLM.

Scores a prompt across 15 weighted, multilingual signal dimensions in microseconds (native
Rust core, with an identical pure-Python fallback) and maps it to a tier.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Any

from . import _backend
from .asks import RequestError
from .config import AppConfig, load_config
from .errors import ConfigError
from .router import NoModelError, Router, RoutingDecision, UnknownProfileError, route, route_request
from .scoring import DimensionScore, Scorer, ScoreResult, score
from .scoring_config import ScoringConfig

try:
    __version__ = version("smart-llm-router")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0+unknown"


def __getattr__(name: str) -> Any:
    # BACKEND is resolved at import; an invalid SMART_LLM_ROUTER_BACKEND surfaces here.
    if name == "BACKEND":
        return _backend.backend()
    raise AttributeError(f"module 'smart_llm_router' has no attribute {name!r}")


__all__ = [
    "BACKEND",
    "AppConfig",
    "ConfigError",
    "DimensionScore",
    "NoModelError",
    "RequestError",
    "Router",
    "RoutingDecision",
    "ScoreResult",
    "Scorer",
    "ScoringConfig",
    "UnknownProfileError",
    "__version__",
    "load_config",
    "route",
    "route_request",
    "score",
]
