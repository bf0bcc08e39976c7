"""The spec: a ``ScoringConfig`` compiled into the plain data both backends build from.

The keyword sets come from the bundled ``data/keywords.yaml`` or the config's
``keywords_file``, then ``replace_keywords`` and ``extra_keywords`` apply. The structural
signals' keyword sets and rule thresholds come from the bundled ``data/structure.yaml``,
validated here once for both backends. The native core receives the spec as JSON, the Python
twin as this dict.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ._text import fold
from .datafiles import load_yaml, read_bundled
from .errors import ConfigError, describe_validation_error
from .scoring_config import ScoringConfig
from .tables import DIMENSIONS, KEYWORD_SETS, STRUCTURE_RULES, STRUCTURE_SETS

if TYPE_CHECKING:
    StructureRule = str
else:
    StructureRule = Literal[STRUCTURE_RULES]


@lru_cache(maxsize=1)
def _bundled_keywords() -> dict[str, list[str]]:
    return _parse_keywords(read_bundled("keywords.yaml"), "keywords.yaml")


def _keyword_file(path: str) -> dict[str, list[str]]:
    try:
        text = Path(path).read_text("utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"keywords_file: cannot read {path}: {e}") from None
    return _parse_keywords(load_yaml(text, path), path)


def _parse_keywords(data: Any, source: str, known: tuple[str, ...] = KEYWORD_SETS) -> dict[str, list[str]]:
    """Keyword sets of a keywords YAML document ({set: {language: [keywords]}}), languages
    flattened in file order."""
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: expected a mapping of keyword sets")
    sets: dict[str, list[str]] = {}
    for name, languages in data.items():
        if name not in known:
            raise ConfigError(f"{source}: unknown keyword set {name!r} (known: {', '.join(known)})")
        if not isinstance(languages, dict):
            raise ConfigError(f"{source}: {name}: expected a mapping of language -> keywords")
        words: list[str] = []
        for lang, items in languages.items():
            if not isinstance(items, list) or not all(isinstance(w, str) for w in items):
                raise ConfigError(f"{source}: {name}.{lang}: expected a list of strings")
            words.extend(items)
        sets[name] = words
    return sets


class StructureRules(BaseModel):
    """The ``rules`` section of data/structure.yaml: thresholds of the structural rules."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    definition_max_units: float = Field(ge=0)
    requirements_min_items: int = Field(ge=0)
    requirements_min_units: float = Field(ge=0)
    requirements_min_evidence: int = Field(ge=0)
    long_ask_min_units: float = Field(ge=0)
    long_ask_min_evidence: int = Field(ge=0)
    open_ask_min_units: float = Field(ge=0)
    ordering_min_comparisons: int = Field(ge=1)
    choice_min_options: int = Field(ge=2)
    # Rules switched off by name (for measurements, and for users who disagree with one).
    disabled: list[StructureRule] = []


def _is_arabic_word(raw: str) -> bool:
    return bool(raw) and " " not in raw and "*" not in raw and all("\u0600" <= ch <= "\u06ff" for ch in raw)


def _parse_structure(data: Any, source: str) -> dict[str, Any]:
    """The ``structure`` part of a spec from a structure YAML document: per set (in
    ``STRUCTURE_SETS`` order), its keywords, each a list of forms that count as that one
    keyword (the keyword as written, then its Arabic clitic forms); and the rule thresholds."""
    if not isinstance(data, dict) or set(data) != {"sets", "comparisons", "arabic_clitics", "rules"}:
        raise ConfigError(f"{source}: expected the mappings sets, comparisons, arabic_clitics and rules")
    clitics = data["arabic_clitics"]
    if not isinstance(clitics, list) or not all(isinstance(c, str) and c for c in clitics):
        raise ConfigError(f"{source}: arabic_clitics: expected a list of strings")
    marks = data["comparisons"]
    if not isinstance(marks, dict) or not all(
        isinstance(words, list) and all(isinstance(w, str) and w for w in words) for words in marks.values()
    ):
        raise ConfigError(f"{source}: comparisons: expected lists of non-empty strings by language")
    # Literal marks, counted by occurrence; the languages' lists in order, each mark once.
    comparisons = list(dict.fromkeys(w for words in marks.values() for w in words))
    sets = _parse_keywords(data["sets"], f"{source}: sets", STRUCTURE_SETS)
    try:
        rules = StructureRules.model_validate(data["rules"])
    except ValidationError as e:
        raise ConfigError(describe_validation_error(e, f"{source}: rules")) from None
    groups: dict[str, list[list[str]]] = {}
    for name in STRUCTURE_SETS:
        # A keyword listed again in the set (in another language, or with other stars) is
        # the same keyword: its forms join the first one's, and it counts once.
        by_key: dict[str, list[str]] = {}
        for raw in sets.get(name, []):
            forms = by_key.setdefault(_keyword_key(raw), [])
            for form in [raw] + ([c + raw for c in clitics] if _is_arabic_word(raw) else []):
                if form not in forms:
                    forms.append(form)
        groups[name] = list(by_key.values())
    return {"sets": groups, "comparisons": comparisons, **rules.model_dump()}


def _keyword_key(raw: str) -> str:
    """What makes a keyword distinct within its set: folded, spaces normalised, no stars
    (as the backends compare keywords of a keywords.yaml set)."""
    return " ".join(p for p in fold(raw).split(" ") if p).strip("*").strip(" ")


@lru_cache(maxsize=1)
def _bundled_structure() -> dict[str, Any]:
    return _parse_structure(read_bundled("structure.yaml"), "structure.yaml")


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
        # The structural signals and rules; None turns them off.
        "structure": _bundled_structure() if config.structure else None,
    }
