"""The scoring configuration: ``ScoringConfig``, the ``smart_router.scoring`` section.

Validated once here, for both backends, and merged key by key with the bundled defaults
(``data/default_config.yaml``). ``spec.compile_spec`` turns it into what the backends build from.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PositiveFloat, ValidationError, model_validator

from .datafiles import DEFAULT_CONFIG, read_bundled
from .errors import ConfigError, describe_validation_error
from .tables import DIMENSIONS, KEYWORD_SETS, Tier

if TYPE_CHECKING:
    Dimension = str
    KeywordSet = str
else:
    # The names of tables.py, as types pydantic validates config keys against.
    Dimension = Literal[DIMENSIONS]
    KeywordSet = Literal[KEYWORD_SETS]


@lru_cache(maxsize=1)
def _bundled_scoring() -> dict[str, Any]:
    data = read_bundled(DEFAULT_CONFIG)
    return data["smart_router"]["scoring"]


class ScoringConfig(BaseModel):
    """The ``smart_router.scoring`` section; see the bundled default_config.yaml."""

    # Finite numbers only: a NaN or infinite weight would score NaN on one backend and be
    # refused by the other.
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    weights: dict[Dimension, float]
    # Per keyword dimension (every dimension but tokenCount, which has token_scale).
    saturation: dict[Dimension, PositiveFloat]
    boundaries: tuple[float, float, float]
    token_scale: tuple[PositiveFloat, PositiveFloat, PositiveFloat]
    confidence_steepness: PositiveFloat
    ambiguity_threshold: float = Field(ge=0, le=1)
    ambiguous_tier: Tier
    override_confidence: float = Field(ge=0, le=1)
    reasoning_min_markers: int = Field(ge=0)
    long_context_tokens: PositiveFloat
    word_problem_min_tokens: float = Field(ge=0)
    hard_ask_floor: Tier
    proof_ask_floor: Tier
    agentic_steps_min: int = Field(ge=0)
    agentic_steps_floor: Tier
    structured_output_floor: Tier
    # The structural signals and rules (data/structure.yaml).
    structure: bool
    keywords_file: Path | None = None
    replace_keywords: dict[KeywordSet, list[str]] = {}
    extra_keywords: dict[KeywordSet, list[str]] = {}

    @model_validator(mode="after")
    def _check(self) -> ScoringConfig:
        b = self.boundaries
        if not b[0] < b[1] < b[2]:
            raise ValueError(f"boundaries must be ascending, got {list(b)}")
        t = self.token_scale
        if not t[0] < t[1] < t[2]:
            raise ValueError(f"token_scale must be ascending, got {list(t)}")
        missing = [d for d in DIMENSIONS if d not in self.weights]
        if missing:
            raise ValueError(f"weights: missing {', '.join(missing)}")
        if "tokenCount" in self.saturation:
            raise ValueError("saturation.tokenCount: tokenCount has no saturation (see token_scale)")
        missing = [d for d in DIMENSIONS if d != "tokenCount" and d not in self.saturation]
        if missing:
            raise ValueError(f"saturation: missing {', '.join(missing)}")
        return self

    @classmethod
    def load(cls, overrides: Mapping[str, Any] | None = None, *, source: str = "smart_router.scoring") -> ScoringConfig:
        """The bundled defaults updated with ``overrides`` (weights/saturation key by key)."""
        data = dict(_bundled_scoring())
        if overrides is not None:
            if not isinstance(overrides, Mapping):
                raise ConfigError(f"{source}: expected a mapping, got {type(overrides).__name__}")
            for key, value in overrides.items():
                if key in ("weights", "saturation") and isinstance(value, Mapping):
                    data[key] = {**data[key], **value}
                else:
                    data[key] = value
        try:
            return cls.model_validate(data)
        except ValidationError as e:
            raise ConfigError(describe_validation_error(e, source)) from None
