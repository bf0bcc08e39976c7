"""The public scorer: configuration, backend dispatch and the result types.

``Scorer`` compiles a ``ScoringConfig`` into a spec (plain data), hands it to the native or the
pure-Python backend once, then scores prompts with it. Both backends return a ``Score`` with
the same attributes (``_native.Score`` or ``_pyscorer.Score``); ``ScoreResult`` wraps it and
builds the per-dimension detail only when asked.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PositiveFloat, ValidationError, model_validator

from . import _backend
from ._pyscorer import PyScorer
from ._text import estimate_tokens as _py_estimate_tokens
from .datafiles import load_yaml, read_bundled
from .errors import ConfigError, describe_validation_error
from .tables import DIMENSIONS, KEYWORD_SETS, RULES, TIERS, Tier

if TYPE_CHECKING:
    Dimension = str
    KeywordSet = str
else:
    # The names of tables.py, as types pydantic validates config keys against.
    Dimension = Literal[DIMENSIONS]
    KeywordSet = Literal[KEYWORD_SETS]


@lru_cache(maxsize=1)
def _bundled_scoring() -> dict[str, Any]:
    data = read_bundled("default_config.yaml")
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


@lru_cache(maxsize=1)
def _bundled_keywords() -> dict[str, list[str]]:
    return _parse_keywords(read_bundled("keywords.yaml"), "keywords.yaml")


def _keyword_file(path: str) -> dict[str, list[str]]:
    try:
        text = Path(path).read_text("utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"keywords_file: cannot read {path}: {e}") from None
    return _parse_keywords(load_yaml(text, path), path)


def _parse_keywords(data: Any, source: str) -> dict[str, list[str]]:
    """Keyword sets of a keywords YAML document ({set: {language: [keywords]}}), languages
    flattened in file order."""
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: expected a mapping of keyword sets")
    sets: dict[str, list[str]] = {}
    for name, languages in data.items():
        if name not in KEYWORD_SETS:
            raise ConfigError(f"{source}: unknown keyword set {name!r} (known: {', '.join(KEYWORD_SETS)})")
        if not isinstance(languages, dict):
            raise ConfigError(f"{source}: {name}: expected a mapping of language -> keywords")
        words: list[str] = []
        for lang, items in languages.items():
            if not isinstance(items, list) or not all(isinstance(w, str) for w in items):
                raise ConfigError(f"{source}: {name}.{lang}: expected a list of strings")
            words.extend(items)
        sets[name] = words
    return sets


def compile_spec(config: ScoringConfig) -> dict[str, Any]:
    """The plain-data spec both backends build from (the JSON the native core parses)."""
    if config.keywords_file is None:
        base = _bundled_keywords()
    else:
        base = _keyword_file(str(config.keywords_file))
    keywords = {name: list(words) for name, words in base.items()}
    keywords.update({k: list(v) for k, v in config.replace_keywords.items()})
    for name, extra in config.extra_keywords.items():
        keywords[name] = keywords.get(name, []) + list(extra)
    weights: dict[str, float] = {str(k): v for k, v in config.weights.items()}
    saturation: dict[str, float] = {str(k): v for k, v in config.saturation.items()}
    return {
        "weights": {d: weights[d] for d in DIMENSIONS},
        "saturation": {d: float(saturation[d]) for d in DIMENSIONS if d != "tokenCount"},
        "keywords": keywords,
        "boundaries": list(config.boundaries),
        "token_scale": [float(t) for t in config.token_scale],
        "confidence_steepness": float(config.confidence_steepness),
        "ambiguity_threshold": config.ambiguity_threshold,
        "ambiguous_tier": config.ambiguous_tier,
        "override_confidence": config.override_confidence,
        "reasoning_min_markers": config.reasoning_min_markers,
        "long_context_tokens": float(config.long_context_tokens),
        "word_problem_min_tokens": float(config.word_problem_min_tokens),
        "structured_output_floor": config.structured_output_floor,
        "hard_ask_floor": config.hard_ask_floor,
        "proof_ask_floor": config.proof_ask_floor,
        "agentic_steps_min": config.agentic_steps_min,
        "agentic_steps_floor": config.agentic_steps_floor,
    }


@dataclass(frozen=True, slots=True)
class DimensionScore:
    """One dimension of a score: raw value in -1..1, weight and what fired."""

    name: str
    weight: float
    raw: float
    contribution: float
    matched: tuple[str, ...]


class _Labels:
    """What a scorer needs to turn keyword ids back into words."""

    __slots__ = ("keywords", "keyword_set", "weights", "word_problem_min_tokens")

    def __init__(self, spec: dict[str, Any]) -> None:
        self.keywords: list[str] = []
        self.keyword_set: list[int] = []
        for index, name in enumerate(KEYWORD_SETS):
            words = spec["keywords"].get(name, [])
            self.keywords.extend(words)
            self.keyword_set.extend([index] * len(words))
        self.weights = tuple(spec["weights"][d] for d in DIMENSIONS)
        self.word_problem_min_tokens: float = spec["word_problem_min_tokens"]


class ScoreResult:
    """The outcome of scoring one prompt. ``dimensions`` is built on first access."""

    __slots__ = (
        "tier",
        "score",
        "confidence",
        "ambiguous",
        "estimated_tokens",
        "rule",
        "tokens",
        "_detail",
        "_labels",
        "_dimensions",
    )

    tier: Tier
    score: float
    confidence: float
    ambiguous: bool
    estimated_tokens: int
    rule: str
    # Estimated tokens, unrounded (``estimated_tokens`` is this rounded up).
    tokens: float

    def __init__(self, out: Any, labels: _Labels) -> None:
        # `out`: a backend's Score; its detail stays there until read.
        self.tier = TIERS[out.tier]  # type: ignore[assignment]
        self.score = out.score
        self.confidence = out.confidence
        self.ambiguous = out.ambiguous
        self.tokens = tokens = out.tokens
        self.estimated_tokens = -int(-tokens // 1)  # ceil without float surprises
        self.rule = RULES[out.rule]
        self._detail: Any = out
        self._labels = labels
        self._dimensions: tuple[DimensionScore, ...] | None = None

    def _unpacked(self) -> tuple[list[float], list[int], tuple[int, int, int, int]]:
        """(raw value per dimension, matched keyword ids, (question marks, option letters,
        numbers, list items))."""
        if not isinstance(self._detail, tuple):
            self._detail = self._detail.unpack()
        return self._detail  # type: ignore[no-any-return]

    def __getstate__(self) -> dict[str, Any]:
        # For pickle and copy: the native detail becomes plain values first.
        self._unpacked()
        return {name: getattr(self, name) for name in self.__slots__}

    def __setstate__(self, state: dict[str, Any]) -> None:
        for name, value in state.items():
            object.__setattr__(self, name, value)

    def raw_value(self, index: int) -> float:
        """The raw value (-1..1) of dimension ``DIMENSIONS[index]``."""
        detail = self._detail
        return float(detail[0][index] if isinstance(detail, tuple) else detail.raw(index))

    @property
    def dimensions(self) -> tuple[DimensionScore, ...]:
        """Per dimension: name, weight, raw value, weighted contribution, what matched."""
        if self._dimensions is None:
            raw, matched, features = self._unpacked()
            by_set: dict[int, list[str]] = {}
            for kid in matched:
                by_set.setdefault(self._labels.keyword_set[kid], []).append(self._labels.keywords[kid])
            questions, letters, numbers, items = features
            extra: dict[str, list[str]] = {"reasoningMarkers": [], "questionComplexity": [], "multiStepPatterns": []}
            if numbers >= 2 and questions >= 1 and self.tokens >= self._labels.word_problem_min_tokens:
                extra["reasoningMarkers"].append(f"word problem ({numbers} numbers in a question)")
            if questions > 1:
                extra["questionComplexity"].append(f"{questions} question marks")
            if letters >= 3:
                extra["questionComplexity"].append(f"{letters} answer options")
            if items >= 2:
                extra["multiStepPatterns"].append(f"{items} numbered lines")
            dims = []
            for d, name in enumerate(DIMENSIONS):
                words = by_set.get(KEYWORD_SETS.index(name), []) if name in KEYWORD_SETS else []
                w, r = self._labels.weights[d], raw[d]
                dims.append(DimensionScore(name, w, r, w * r, tuple(words + extra.get(name, []))))
            self._dimensions = tuple(dims)
        return self._dimensions

    @property
    def rule_keywords(self) -> dict[str, tuple[str, ...]]:
        """Matched keywords of the sets that only feed rules (structuredOutput, hardAsks,
        proofAsks) and of the conversation markers (continuations, topicShifts)."""
        out: dict[str, list[str]] = {
            "structuredOutput": [],
            "hardAsks": [],
            "proofAsks": [],
            "continuations": [],
            "topicShifts": [],
        }
        for kid in self._unpacked()[1]:
            name = KEYWORD_SETS[self._labels.keyword_set[kid]]
            if name in out:
                out[name].append(self._labels.keywords[kid])
        return {k: tuple(v) for k, v in out.items()}

    @property
    def signals(self) -> list[str]:
        """Short human-readable signals, strongest contribution first."""
        dims = sorted(self.dimensions, key=lambda d: -abs(d.contribution))
        return [f"{d.name}: {', '.join(d.matched)}" for d in dims if d.matched]

    def to_dict(self) -> dict[str, Any]:
        return {
            "tier": self.tier,
            "score": self.score,
            "confidence": self.confidence,
            "ambiguous": self.ambiguous,
            "rule": self.rule,
            "estimated_tokens": self.estimated_tokens,
            "dimensions": [
                {
                    "name": d.name,
                    "weight": d.weight,
                    "raw": d.raw,
                    "contribution": d.contribution,
                    "matched": list(d.matched),
                }
                for d in self.dimensions
            ],
            "rule_keywords": {k: list(v) for k, v in self.rule_keywords.items()},
        }

    def __repr__(self) -> str:
        return (
            f"ScoreResult(tier={self.tier!r}, score={self.score:.4f}, "
            f"confidence={self.confidence:.3f}, ambiguous={self.ambiguous}, rule={self.rule!r}, "
            f"estimated_tokens={self.estimated_tokens})"
        )


_SURROGATE = re.compile("[\ud800-\udfff]")


def _without_surrogates(text: str) -> str:
    # Lone surrogates cannot cross into Rust as UTF-8. Replacing each by U+FFFD, one for one,
    # changes nothing the scorer sees: both are OTHER characters worth one token.
    return _SURROGATE.sub("\ufffd", text)


class Scorer:
    """A prompt scorer built once from a configuration.

    ``backend`` is "native" or "python"; by default the one ``smart_llm_router.BACKEND`` names.
    Raises ``ConfigError`` for an invalid configuration.
    """

    __slots__ = ("backend", "config", "_impl", "_labels")

    def __init__(
        self,
        config: ScoringConfig | Mapping[str, Any] | None = None,
        *,
        backend: str | None = None,
    ) -> None:
        if not isinstance(config, ScoringConfig):
            config = ScoringConfig.load(config)
        self.config = config
        self.backend = backend or _backend.backend()
        spec = compile_spec(config)
        if self.backend == "native":
            self._impl: Any = _backend.native_module().Scorer(json.dumps(spec, allow_nan=False))
        elif self.backend == "python":
            self._impl = PyScorer(spec)
        else:
            raise ConfigError(f"backend must be 'native' or 'python', got {self.backend!r}")
        self._labels = _Labels(spec)

    def score(self, prompt: str, *, system_prompt: str | None = None) -> ScoreResult:
        """Score ``prompt`` (the user's ask); ``system_prompt`` feeds only the
        structured-output rule."""
        if not isinstance(prompt, str):
            raise TypeError(f"prompt must be a str, not {type(prompt).__name__}")
        if system_prompt is not None and not isinstance(system_prompt, str):
            raise TypeError(f"system_prompt must be a str or None, not {type(system_prompt).__name__}")
        try:
            out = self._impl.score(prompt, system_prompt)
        except UnicodeEncodeError:
            out = self._impl.score(
                _without_surrogates(prompt),
                None if system_prompt is None else _without_surrogates(system_prompt),
            )
        return ScoreResult(out, self._labels)

    @property
    def n_keywords(self) -> int:
        return int(self._impl.n_keywords)


def estimate_tokens(text: str) -> float:
    """Estimated tokens of ``text`` (see "How matching works" in the README)."""
    if _backend.backend() == "native":
        try:
            return float(_backend.native_module().estimate_tokens(text))
        except UnicodeEncodeError:
            return float(_backend.native_module().estimate_tokens(_without_surrogates(text)))
    return _py_estimate_tokens(text)


_default: Scorer | None = None


def default_scorer() -> Scorer:
    """The scorer of the bundled configuration on the selected backend (built once)."""
    global _default
    if _default is None:
        _default = Scorer()
    return _default


def score(prompt: str, *, system_prompt: str | None = None) -> ScoreResult:
    """Score ``prompt`` with the bundled configuration. See ``Scorer.score``."""
    return default_scorer().score(prompt, system_prompt=system_prompt)
