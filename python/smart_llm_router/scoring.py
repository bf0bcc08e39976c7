"""The public scorer: backend dispatch and the result types.

``Scorer`` compiles a ``ScoringConfig`` (scoring_config.py) into a spec (plain data, spec.py),
hands it to the native or the pure-Python backend once, then scores prompts with it. Both
backends return a ``Score`` with the same attributes (``_native.Score`` or
``_pyscorer.Score``); ``ScoreResult`` wraps it and builds the per-dimension detail only when
asked. ``ScoringConfig``, ``compile_spec`` and ``Tier`` are importable from here too.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from . import _backend
from ._pyscorer import PyScorer
from ._text import estimate_tokens as _py_estimate_tokens
from .errors import ConfigError

# Also this module's API: users import ScoringConfig, compile_spec and Tier from here.
from .scoring_config import ScoringConfig
from .spec import compile_spec
from .tables import DIMENSIONS, KEYWORD_SETS, RULES, TIERS, Tier

# The keyword sets that are no dimension: they feed rules (structuredOutput, hardAsks,
# proofAsks) or mark conversation turns (continuations, topicShifts).
_RULE_SETS = tuple(name for name in KEYWORD_SETS if name not in DIMENSIONS)


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

    __slots__ = ("keywords", "keyword_set", "weights")

    def __init__(self, spec: dict[str, Any]) -> None:
        self.keywords: list[str] = []
        self.keyword_set: list[int] = []
        for index, name in enumerate(KEYWORD_SETS):
            words = spec["keywords"].get(name, [])
            self.keywords.extend(words)
            self.keyword_set.extend([index] * len(words))
        self.weights = tuple(spec["weights"][d] for d in DIMENSIONS)


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
        return self._details()[:3]  # type: ignore[return-value]

    def _details(self) -> tuple[Any, ...]:
        """``_unpacked`` and whether a word problem counted (the backend's result read once)."""
        if not isinstance(self._detail, tuple):
            self._detail = (*self._detail.unpack(), self._detail.word_problem)
        return self._detail

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
            raw, matched, features, word_problem = self._details()
            by_set: dict[int, list[str]] = {}
            for kid in matched:
                by_set.setdefault(self._labels.keyword_set[kid], []).append(self._labels.keywords[kid])
            questions, letters, numbers, items = features
            extra: dict[str, list[str]] = {"reasoningMarkers": [], "questionComplexity": [], "multiStepPatterns": []}
            if word_problem:
                extra["reasoningMarkers"].append("word problem (quantities given and one asked for)")
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
        out: dict[str, list[str]] = {name: [] for name in _RULE_SETS}
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
