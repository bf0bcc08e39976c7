"""The spec: a ``ScoringConfig`` compiled into the plain data both backends build from.

The keyword sets come from the bundled ``data/keywords.yaml`` or the config's
``keywords_file``, then ``replace_keywords`` and ``extra_keywords`` apply. The native core
receives the spec as JSON, the Python twin as this dict.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from .datafiles import load_yaml, read_bundled
from .errors import ConfigError
from .scoring_config import ScoringConfig
from .tables import DIMENSIONS, KEYWORD_SETS


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
