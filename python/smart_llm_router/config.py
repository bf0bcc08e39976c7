"""The one configuration file: LiteLLM's proxy config plus a ``smart_router:`` section.

Everything outside ``smart_router`` belongs to LiteLLM and is passed through untouched, except
that ``model_list`` is read to know which models exist. ``smart_router.scoring`` merges with
the bundled scoring defaults key by key; the rest of ``smart_router`` is validated here.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .datafiles import DATA, DEFAULT_CONFIG, load_yaml, read_bundled
from .errors import ConfigError, describe_validation_error
from .scoring_config import ScoringConfig
from .tables import TIERS, Tier

PROFILE_NAMES = ("auto", "eco", "premium", "agentic", "free")
# The x-smart-router-<name> response headers the hook can send ("model" also sends
# -first-choice when a fallback served the reply), and those it sends by default: each header
# costs the proxy ~21 Python calls in Starlette and h11.
ResponseHeader = Literal["tier", "model", "rule", "session", "profile", "turn", "score", "confidence"]
DEFAULT_RESPONSE_HEADERS: tuple[ResponseHeader, ...] = ("tier", "model", "rule", "session")
# The config file the proxy hook loads (see hook.py); `slr start` sets it for its proxy.
CONFIG_ENV = "SMART_LLM_ROUTER_CONFIG"


class ModelOverride(BaseModel):
    """What the config says about one model; unset fields come from LiteLLM's cost map."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    price_key: str | None = None
    input_cost_per_token: float | None = Field(default=None, ge=0)
    output_cost_per_token: float | None = Field(default=None, ge=0)
    max_input_tokens: int | None = Field(default=None, gt=0)
    max_output_tokens: int | None = Field(default=None, gt=0)
    supports_vision: bool | None = None
    supports_function_calling: bool | None = None
    free: bool = False


class DecisionLog(BaseModel):
    """Where the hook appends one JSON line per routing decision (for `slr replay`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    path: str
    # none: no prompt; hash: its SHA-256 only; text: the prompt itself (opt in: replay needs it).
    prompts: Literal["none", "hash", "text"] = "hash"


def _yaml_off(value: Any) -> Any:
    # YAML 1.1 reads an unquoted `off` as false.
    return "off" if value is False else value


class SessionConfig(BaseModel):
    """Where a conversation's held tier and model are kept between requests."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    # Entries expire this long after a session's last request.
    ttl_seconds: int = Field(default=3600, ge=1, le=30 * 86400)
    # In-memory entries per proxy worker (the oldest go first).
    max_entries: int = Field(default=10_000, ge=1, le=10_000_000)
    # auto: share sessions through the Redis that LiteLLM's router is configured with (if any);
    # off: this worker's memory only.
    redis: Literal["auto", "off"] = "auto"
    # A Redis call that takes longer counts as failed; routing then goes on without it.
    redis_timeout_ms: int = Field(default=50, ge=1, le=5000)
    # After a Redis failure, sessions stay in memory only for this long before Redis is tried again.
    redis_retry_seconds: float = Field(default=30, ge=0, le=3600)
    # With Redis: each worker keeps the sessions it has seen in memory and reads them from there
    # while it is subscribed to the channel on which every write is announced (a write by another
    # worker drops the copy); false reads Redis on every request.
    near_cache: bool = True

    @field_validator("redis", mode="before")
    @classmethod
    def _redis_off(cls, value: Any) -> Any:
        return _yaml_off(value)


class ConversationConfig(BaseModel):
    """How a request's conversation decides its tier (see README, "Conversations")."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # hold: route the conversation (step up at once, hold on follow-ups and tool turns, step
    # down only on a self-contained simpler ask); off: each request's newest ask alone.
    mode: Literal["hold", "off"] = "hold"
    # self_contained: a new ask that scores lower and is not a follow-up steps down (never on a
    # tool turn); never: a conversation's tier only ever rises.
    step_down: Literal["self_contained", "never"] = "self_contained"
    # An ask of at most this many estimated tokens is a follow-up ("yes", "why?", "continue").
    follow_up_tokens: float = Field(default=4, ge=0)
    # An ask of at most this many estimated tokens with a `continuations` keyword ("now add
    # tests", "fix that error", "und jetzt die Tests") is a follow-up.
    reference_tokens: float = Field(default=32, ge=0)
    # An ask is also a follow-up when at least this share of its topic words (stems, CJK
    # pairs) came up earlier in the conversation (0: off); a `topicShifts` keyword ("by the
    # way", "übrigens", "顺便问一下") overrides every follow-up rule.
    topic_overlap: float = Field(default=0.2, ge=0, le=1)
    # Earlier human asks read per request (the newest is always read): the work per request
    # does not grow with the conversation beyond this.
    history_asks: int = Field(default=8, ge=0, le=64)
    sessions: SessionConfig = SessionConfig()

    @field_validator("mode", mode="before")
    @classmethod
    def _mode_off(cls, value: Any) -> Any:
        return _yaml_off(value)


# Per-attempt timeouts per tier, in seconds: (timeout, stream_timeout). A SIMPLE answer
# comes from a fast model and is short; a REASONING one may think for minutes before its first
# token. Even REASONING's first fallback starts by half of the 600 s the OpenAI and Anthropic
# SDKs wait by default, so a client with default settings has time for it.
DEFAULT_TIMEOUTS: dict[Tier, tuple[float, float]] = {
    "SIMPLE": (20, 10),
    "MEDIUM": (90, 30),
    "COMPLEX": (180, 60),
    "REASONING": (300, 120),
}


class TierTimeout(BaseModel):
    """How long one attempt of a tier may take before LiteLLM moves on to the next model."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # A non-streaming attempt: the whole reply (LiteLLM's `timeout`). None: not set here.
    timeout: float | None = Field(default=None, gt=0, le=86_400)
    # A streaming attempt: the wait for the first chunk, and for each next one (LiteLLM's
    # `stream_timeout`). None: not set here.
    stream_timeout: float | None = Field(default=None, gt=0, le=86_400)

    @field_validator("timeout", "stream_timeout", mode="before")
    @classmethod
    def _seconds(cls, value: Any) -> Any:
        if isinstance(value, bool):
            raise ValueError("expected seconds (a number) or null, not a boolean")
        return value

    def get(self, stream: bool) -> float | None:
        """The timeout for a streaming or a non-streaming request."""
        return self.stream_timeout if stream else self.timeout


def _tier_default(tier: Tier) -> TierTimeout:
    timeout, stream = DEFAULT_TIMEOUTS[tier]
    return TierTimeout(timeout=timeout, stream_timeout=stream)


class Timeouts(BaseModel):
    """``smart_router.timeouts``: per tier; a tier or key left out keeps its default."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    SIMPLE: TierTimeout = _tier_default("SIMPLE")
    MEDIUM: TierTimeout = _tier_default("MEDIUM")
    COMPLEX: TierTimeout = _tier_default("COMPLEX")
    REASONING: TierTimeout = _tier_default("REASONING")

    @model_validator(mode="before")
    @classmethod
    def _merge_defaults(cls, value: Any) -> Any:
        # `SIMPLE: {timeout: 5}` keeps SIMPLE's default stream_timeout.
        if not isinstance(value, Mapping):
            return value
        out = dict(value)
        for tier, (timeout, stream) in DEFAULT_TIMEOUTS.items():
            given = out.get(tier)
            if isinstance(given, Mapping):
                out[tier] = {"timeout": timeout, "stream_timeout": stream, **given}
        return out

    def tier(self, tier: str) -> TierTimeout:
        value: TierTimeout = getattr(self, tier)
        return value


class SmartRouterConfig(BaseModel):
    """The ``smart_router`` section."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    baseline: str = "anthropic/claude-sonnet-4.6"
    agentic_mode: Literal["auto", "always", "never"] = "auto"
    agentic_min_raw: float = Field(default=0.5, ge=0, le=1)
    assumed_output_tokens: int = Field(default=500, ge=0)
    context_margin: float = Field(default=1.1, ge=1)
    exclude: list[str] = []
    models: dict[str, ModelOverride] = {}
    decision_log: DecisionLog | None = None
    # Send the chosen tier to the upstream as an x-smart-router-tier request header (the demo
    # upstream quotes it in its replies); off for real providers.
    forward_tier_header: bool = False
    # The x-smart-router-* headers on smart/* responses; `all` sends every one, [] none.
    response_headers: tuple[ResponseHeader, ...] = DEFAULT_RESPONSE_HEADERS
    conversation: ConversationConfig = ConversationConfig()
    # Per-tier timeouts the hook sets on smart/* requests (README, "The proxy hook"); off
    # (or null): LiteLLM's own (router_settings.timeout, litellm_settings.request_timeout).
    timeouts: Timeouts | None = Timeouts()
    profiles: dict[str, dict[Tier, list[str]]]
    scoring: ScoringConfig

    @field_validator("timeouts", mode="before")
    @classmethod
    def _timeouts_off(cls, value: Any) -> Any:
        return None if value is False or value == "off" else value

    @field_validator("response_headers", mode="before")
    @classmethod
    def _all_headers(cls, value: Any) -> Any:
        if value == "all":
            return ResponseHeader.__args__  # type: ignore[attr-defined]
        if isinstance(value, (list, tuple)) and len(set(value)) != len(value):
            raise ValueError("lists a header twice")
        return value

    @field_validator("profiles")
    @classmethod
    def _profiles(cls, value: dict[str, dict[Tier, list[str]]]) -> dict[str, dict[Tier, list[str]]]:
        out = {}
        for name, table in value.items():
            key = name.lower()
            if key in out:
                raise ValueError(f"profile {name!r} is defined twice (names are case-insensitive)")
            missing = [t for t in TIERS if not table.get(t)]
            if missing:
                raise ValueError(f"profile {name!r} has no models for {', '.join(missing)}")
            out[key] = table
        return out


class AppConfig(BaseModel):
    """A whole config file: the LiteLLM part (``litellm``) and ``smart_router``."""

    model_config = ConfigDict(frozen=True)

    source: str
    litellm: dict[str, Any]
    smart_router: SmartRouterConfig

    @property
    def model_list(self) -> list[dict[str, Any]]:
        return list(self.litellm.get("model_list") or [])

    def litellm_model(self, model_name: str) -> str | None:
        """``litellm_params.model`` of a model_list entry."""
        for entry in self.model_list:
            if entry.get("model_name") == model_name:
                return (entry.get("litellm_params") or {}).get("model")
        return None


def _check_model_list(data: Mapping[str, Any], source: str) -> list[str]:
    entries = data.get("model_list")
    if not isinstance(entries, list) or not entries:
        raise ConfigError(f"{source}: model_list: expected a non-empty list of models")
    names = []
    for i, entry in enumerate(entries):
        where = f"{source}: model_list[{i}]"
        if not isinstance(entry, Mapping):
            raise ConfigError(f"{where}: expected a mapping")
        name = entry.get("model_name")
        params = entry.get("litellm_params")
        if not isinstance(name, str) or not name:
            raise ConfigError(f"{where}.model_name: expected a string")
        if not isinstance(params, Mapping) or not isinstance(params.get("model"), str):
            raise ConfigError(f"{where}.litellm_params.model: expected a string")
        names.append(name)
    return names


def parse_config(data: Any, source: str, base_dir: Path | None = None) -> AppConfig:
    """Validate a loaded YAML document; errors name the key and what is wrong. A relative
    ``keywords_file`` is taken relative to ``base_dir`` (the config file's folder)."""
    if not isinstance(data, Mapping):
        raise ConfigError(f"{source}: expected a mapping at the top level")
    section = data.get("smart_router")
    if not isinstance(section, Mapping):
        raise ConfigError(f"{source}: smart_router: missing (the router's section)")
    names = set(_check_model_list(data, source))
    section = dict(section)
    scoring = section.get("scoring")
    if base_dir is not None and isinstance(scoring, Mapping) and isinstance(scoring.get("keywords_file"), str):
        scoring = {**scoring, "keywords_file": str(base_dir / Path(scoring["keywords_file"]).expanduser())}
    section["scoring"] = ScoringConfig.load(scoring, source=f"{source}: smart_router.scoring")
    log = section.get("decision_log")
    if base_dir is not None and isinstance(log, Mapping) and isinstance(log.get("path"), str):
        section["decision_log"] = {**log, "path": str(base_dir / Path(log["path"]).expanduser())}
    try:
        smart = SmartRouterConfig.model_validate(section)
    except ValidationError as e:
        raise ConfigError(describe_validation_error(e, f"{source}: smart_router")) from None
    for profile, table in smart.profiles.items():
        for tier, models in table.items():
            for model in models:
                if model not in names:
                    raise ConfigError(
                        f"{source}: smart_router.profiles.{profile}.{tier}: {model!r} is not a model_name in model_list"
                    )
    litellm = {k: v for k, v in data.items() if k != "smart_router"}
    return AppConfig(source=source, litellm=litellm, smart_router=smart)


def bundled_config_path() -> Path:
    return Path(str(DATA / DEFAULT_CONFIG))


@lru_cache(maxsize=1)
def bundled_config() -> AppConfig:
    return parse_config(read_bundled(DEFAULT_CONFIG), DEFAULT_CONFIG)


def load_config(path: str | Path | None = None) -> AppConfig:
    """The config at ``path``, or the bundled one."""
    if path is None:
        return bundled_config()
    p = Path(path)
    try:
        text = p.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"cannot read config {p}: {e}") from None
    return parse_config(load_yaml(text, str(p)), str(p), base_dir=p.parent)
