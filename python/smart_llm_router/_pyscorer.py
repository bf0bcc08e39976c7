"""The pure-Python scorer: the fallback twin of ``rust/scorer.rs`` with identical results.

It cannot afford a per-character automaton in Python, so it finds the same keyword
occurrences another way, every step linear in the text:

* keywords that must start at a word boundary and are one whole word are looked up in the set
  of distinct words of the text (``WORD_RUN.findall``, C speed);
* stems (``deriv*``) are looked up by their first two characters among those distinct words;
* everything else (phrases, CJK, symbols, ``*suffix`` keywords, sequence parts) is searched with
  ``str.find``/``str.rfind`` after a cheap prefilter; each occurrence is checked once.

The matching definition is in the README ("How matching works").
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from typing import Any, NamedTuple

from ._text import WORD, WORD_RUN, char_class, estimate_tokens, features, fold, has_cjk
from .errors import ConfigError

DIMENSIONS = (
    "reasoningMarkers", "codePresence", "multiStepPatterns", "technicalTerms", "tokenCount",
    "creativeMarkers", "questionComplexity", "constraintCount", "agenticTask",
    "imperativeVerbs", "outputFormat", "referenceComplexity", "domainSpecificity",
    "simpleIndicators", "negationComplexity",
)
KEYWORD_SETS = tuple(d for d in DIMENSIONS if d != "tokenCount") + ("structuredOutput", "hardAsks", "proofAsks")
TIERS = ("SIMPLE", "MEDIUM", "COMPLEX", "REASONING")
RULES = (
    "score", "ambiguous", "reasoning_markers", "long_context", "hard_ask", "structured_output",
    "proof_ask", "agentic_steps",
)

_D_REASONING, _D_MULTISTEP, _D_TOKENS, _D_QUESTION, _D_SIMPLE = (
    DIMENSIONS.index(d)
    for d in ("reasoningMarkers", "multiStepPatterns", "tokenCount", "questionComplexity", "simpleIndicators")
)
_K_REASONING, _K_CODE, _K_MULTISTEP, _K_TECHNICAL, _K_DOMAIN, _K_AGENTIC, _K_STRUCTURED, _K_HARD, _K_PROOF = (
    KEYWORD_SETS.index(k)
    for k in (
        "reasoningMarkers", "codePresence", "multiStepPatterns", "technicalTerms", "domainSpecificity",
        "agenticTask", "structuredOutput", "hardAsks", "proofAsks",
    )
)
_SEQUENCE_SEP = " ... "

Output = tuple[int, float, float, bool, float, int, list[float], list[int], tuple[int, int, int, int]]


class Needle(NamedTuple):
    core: str
    need_left: bool
    need_right: bool


def _quote(raw: str) -> str:
    return json.dumps(raw, ensure_ascii=False)


def parse_needle(raw: str) -> Needle:
    """Fold and normalise one keyword (see rust/scorer.rs::parse_needle)."""
    normal = " ".join(p for p in fold(raw).split(" ") if p)
    left_star = normal.startswith("*")
    rest = normal[1:] if left_star else normal
    right_star = rest.endswith("*")
    core = (rest[:-1] if right_star else rest).strip(" ")
    if len(core) < 2:
        raise ValueError(f"{_quote(raw)} is shorter than 2 characters")
    return Needle(
        core,
        not left_star and char_class(core[0]) == WORD,
        not right_star and char_class(core[-1]) == WORD,
    )


def _is_word(text: str, i: int) -> bool:
    return 0 <= i < len(text) and char_class(text[i]) == WORD


def _fits(text: str, i: int, needle: Needle) -> bool:
    return not (needle.need_left and _is_word(text, i - 1)) and not (
        needle.need_right and _is_word(text, i + len(needle.core))
    )


def _first(text: str, needle: Needle) -> int:
    i = text.find(needle.core)
    while i >= 0 and not _fits(text, i, needle):
        i = text.find(needle.core, i + 1)
    return i


def _last(text: str, needle: Needle) -> int:
    n = len(needle.core)
    i = text.rfind(needle.core)
    while i >= 0 and not _fits(text, i, needle):
        i = text.rfind(needle.core, 0, i + n - 1)
    return i


class _Searched(NamedTuple):
    needle: Needle
    keyword_ids: tuple[int, ...]
    part_ids: tuple[int, ...]


# Below this length a non-ASCII text's distinct characters pick the free needles to search.
_SMALL_TEXT = 4096


class _Matcher:
    """Finds which of a fixed list of (needle, target) pairs occur in a folded text.

    Targets are keyword ids (>= 0) or sequence parts (-1 - part id).
    """

    def __init__(self, entries: list[tuple[Needle, int]]) -> None:
        by_needle: dict[Needle, list[int]] = defaultdict(list)
        for needle, target in entries:
            by_needle[needle].append(target)
        self.exact: dict[str, list[int]] = defaultdict(list)
        self.stems: dict[str, list[tuple[str, tuple[int, ...]]]] = defaultdict(list)
        # Needles found by str.find: keyed by the whole word they must start with, or (when
        # they may start anywhere) by their first character.
        self.by_word: dict[str, list[_Searched]] = defaultdict(list)
        self.by_char: dict[str, list[_Searched]] = defaultdict(list)
        self.free_ascii: list[_Searched] = []
        self.free_cjk: list[_Searched] = []
        self.free_other: list[_Searched] = []
        for needle, targets in by_needle.items():
            keyword_ids = tuple(t for t in targets if t >= 0)
            part_ids = tuple(-t - 1 for t in targets if t < 0)
            core = needle.core
            lead = WORD_RUN.match(core) if needle.need_left else None
            one_word = lead is not None and lead.end() == len(core)
            if one_word and keyword_ids:
                if needle.need_right:
                    self.exact[core].extend(keyword_ids)
                else:
                    self.stems[core[:2]].append((core, keyword_ids))
                keyword_ids = ()
            if not (keyword_ids or part_ids):
                continue
            searched = _Searched(needle, keyword_ids, part_ids)
            if lead is not None and (needle.need_right or not one_word):
                self.by_word[lead.group()].append(searched)
                continue
            self.by_char[core[0]].append(searched)
            if core.isascii():
                self.free_ascii.append(searched)
            elif has_cjk(core):
                self.free_cjk.append(searched)
            else:
                self.free_other.append(searched)

    def scan(self, text: str) -> tuple[set[int], dict[int, tuple[int, int]]]:
        """Matched keyword ids, and (first end, last start) of each sequence part found."""
        found: set[int] = set()
        candidates: list[_Searched] = []
        exact, stems, by_word = self.exact, self.stems, self.by_word
        for w in set(WORD_RUN.findall(text)):
            ids = exact.get(w)
            if ids:
                found.update(ids)
            for core, stem_ids in stems.get(w[:2], ()):
                if w.startswith(core):
                    found.update(stem_ids)
            candidates.extend(by_word.get(w, ()))
        if text.isascii():
            candidates.extend(self.free_ascii)
        elif len(text) <= _SMALL_TEXT:
            by_char = self.by_char
            for ch in set(text):
                candidates.extend(by_char.get(ch, ()))
        else:
            candidates.extend(self.free_ascii)
            candidates.extend(self.free_other)
            if has_cjk(text):
                candidates.extend(self.free_cjk)
        parts: dict[int, tuple[int, int]] = {}
        for s in candidates:
            if s.part_ids or not found.issuperset(s.keyword_ids):
                first = _first(text, s.needle)
                if first < 0:
                    continue
                found.update(s.keyword_ids)
                if s.part_ids:
                    span = (first + len(s.needle.core), _last(text, s.needle))
                    for p in s.part_ids:
                        parts[p] = span
        return found, parts


class PyScorer:
    """Pure-Python scorer built from a compiled spec (the dict ``compile_spec`` returns)."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.weights = [float(spec["weights"][d]) for d in DIMENSIONS]
        self.saturation = [
            1.0 if d == "tokenCount" else float(spec["saturation"][d]) for d in DIMENSIONS
        ]
        self.boundaries = [float(b) for b in spec["boundaries"]]
        self.token_scale = [float(t) for t in spec["token_scale"]]
        self.steepness = float(spec["confidence_steepness"])
        self.ambiguity_threshold = float(spec["ambiguity_threshold"])
        self.ambiguous_tier = TIERS.index(spec["ambiguous_tier"])
        self.override_confidence = float(spec["override_confidence"])
        self.reasoning_min_markers = int(spec["reasoning_min_markers"])
        self.long_context_tokens = float(spec["long_context_tokens"])
        self.word_problem_min_tokens = float(spec["word_problem_min_tokens"])
        self.structured_floor = TIERS.index(spec["structured_output_floor"])
        self.hard_floor = TIERS.index(spec["hard_ask_floor"])
        self.proof_floor = TIERS.index(spec["proof_ask_floor"])
        self.agentic_steps_min = int(spec["agentic_steps_min"])
        self.agentic_steps_floor = TIERS.index(spec["agentic_steps_floor"])

        self.keyword_set: list[int] = []
        self.sequences: list[tuple[int, int, int]] = []
        cores: list[str | None] = []
        parts: dict[Needle, int] = {}
        entries: list[tuple[Needle, int]] = []
        structured: list[tuple[Needle, int]] = []
        for set_index, name in enumerate(KEYWORD_SETS):
            seen: dict[str, str] = {}
            for raw in spec["keywords"].get(name, []):
                kid = len(self.keyword_set)
                self.keyword_set.append(set_index)
                try:
                    if _SEQUENCE_SEP in raw:
                        key = self._add_sequence(raw, kid, set_index, parts, entries)
                    else:
                        needle = parse_needle(raw)
                        # Structured-output keywords are looked for in the system prompt only.
                        (structured if set_index == _K_STRUCTURED else entries).append((needle, kid))
                        key = needle.core
                    cores.append(None if _SEQUENCE_SEP in raw else key)
                except ValueError as e:
                    raise ConfigError(f"keywords.{name}: {e}") from None
                if key in seen:
                    raise ConfigError(
                        f"keywords.{name}: {_quote(raw)} is listed twice (also as {_quote(seen[key])})"
                    )
                seen[key] = raw
        self.n_keywords = len(self.keyword_set)
        self.n_patterns = len({n.core for n, _ in entries + structured})
        self._matcher = _Matcher(entries)
        self._structured = _Matcher(structured)
        # A keyword subsumes the other keywords of its set that match inside its own text.
        self.subsumes: dict[int, list[int]] = {}
        for kid, core in enumerate(cores):
            if core is None:
                continue
            own = self.keyword_set[kid]
            inner = [
                k for k in sorted(self._scan(core, own == _K_STRUCTURED))
                if k != kid and self.keyword_set[k] == own
            ]
            if inner:
                self.subsumes[kid] = inner

    def _add_sequence(
        self,
        raw: str,
        kid: int,
        set_index: int,
        parts: dict[Needle, int],
        entries: list[tuple[Needle, int]],
    ) -> str:
        if set_index != _K_MULTISTEP:
            raise ValueError(
                f'{_quote(raw)}: sequences "A ... B" are only allowed in multiStepPatterns'
            )
        halves = raw.split(_SEQUENCE_SEP)
        if len(halves) != 2:
            raise ValueError(f"{_quote(raw)}: a sequence has exactly two parts")
        needles = [parse_needle(half) for half in halves]
        for needle in needles:
            if needle not in parts:
                parts[needle] = len(parts)
                entries.append((needle, -parts[needle] - 1))
        self.sequences.append((parts[needles[0]], parts[needles[1]], kid))
        return _SEQUENCE_SEP.join(n.core for n in needles)

    def _token_raw(self, t: float) -> float:
        a, b, c = self.token_scale
        if t <= a:
            return -1.0
        if t >= c:
            return 1.0
        if t < b:
            return -1.0 + math.log(t / a) / math.log(b / a)
        return math.log(t / b) / math.log(c / b)

    def _scan(self, folded: str, system: bool) -> set[int]:
        """Keyword ids matched in ``folded``: structured-output ones only for a system prompt,
        all others (sequences included) for a prompt."""
        if system:
            return self._structured.scan(folded)[0]
        found, parts = self._matcher.scan(folded)
        for a, b, kid in self.sequences:
            if a in parts and b in parts and parts[a][0] <= parts[b][1]:
                found.add(kid)
        return found

    def score(self, text: str, system_prompt: str | None = None) -> Output:
        """Same tuple as the native ``Scorer.score``."""
        found = self._scan(fold(text), False)
        if system_prompt is not None:
            found |= self._scan(fold(system_prompt), True)
        shadowed = [k for kid in found for k in self.subsumes.get(kid, ())]
        found.difference_update(shadowed)
        ids = sorted(found)
        per_set = [0] * len(KEYWORD_SETS)
        for kid in ids:
            per_set[self.keyword_set[kid]] += 1
        feats = features(text)
        questions, letters, numbers, items = feats
        tokens = estimate_tokens(text)

        raw: list[float] = []
        set_index = 0
        for d in range(len(DIMENSIONS)):
            if d == _D_TOKENS:
                raw.append(self._token_raw(tokens))
                continue
            n = float(per_set[set_index])
            set_index += 1
            if d == _D_REASONING:
                # A question about several numbers in a few sentences: a word problem.
                if numbers >= 2 and questions >= 1 and tokens >= self.word_problem_min_tokens:
                    n += 1.0
            elif d == _D_QUESTION:
                n += max(questions - 1, 0)
                if letters >= 3:
                    n += 2.0
            elif d == _D_MULTISTEP:
                n += items // 2
            v = min(n / self.saturation[d], 1.0)
            raw.append(0.0 - v if d == _D_SIMPLE else v)
        score = 0.0
        for w, r in zip(self.weights, raw):
            score += w * r

        tier = sum(1 for b in self.boundaries if score >= b)
        distance = min(abs(score - b) for b in self.boundaries)
        confidence = 1.0 / (1.0 + math.exp(-self.steepness * distance))
        rule = 0
        ambiguous = False
        if confidence < self.ambiguity_threshold:
            tier, rule, ambiguous = self.ambiguous_tier, 1, True
        co_signal = per_set[_K_TECHNICAL] + per_set[_K_CODE] + per_set[_K_REASONING] + per_set[_K_DOMAIN]
        markers = self.reasoning_min_markers
        steps = self.agentic_steps_min
        floors = (
            (markers > 0 and per_set[_K_REASONING] >= markers, 3, 2),
            (per_set[_K_PROOF] >= 1, self.proof_floor, 6),
            (tokens > self.long_context_tokens, 2, 3),
            (per_set[_K_HARD] >= 1 and co_signal >= 1, self.hard_floor, 4),
            (steps > 0 and per_set[_K_AGENTIC] >= steps, self.agentic_steps_floor, 7),
            (per_set[_K_STRUCTURED] >= 1, self.structured_floor, 5),
        )
        for applies, floor, code in floors:
            if applies and floor > tier:
                tier, rule, ambiguous = floor, code, False
                confidence = self.override_confidence
        return (tier, score, confidence, ambiguous, tokens, rule, raw, ids, feats)
