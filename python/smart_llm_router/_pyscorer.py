"""The pure-Python scorer: the fallback twin of ``rust/scorer.rs`` with identical results.

It cannot afford a per-character loop in Python, so it finds the same keyword occurrences
another way, every step linear in the text and done by C-level operations where it counts:

* the distinct words of the text (``split_words``) are intersected with the one-word keywords;
* stems (``deriv*``) are picked by their first three characters among the words' and checked
  in the words joined by "\0";
* everything else (phrases, CJK, symbols, ``*suffix`` keywords, sequence parts) is searched with
  ``str.find``/``str.rfind``, only when the words it holds whole, or else the 2-grams of CJK
  characters it holds, are all in the text (CJK-only keywords are looked for in the distinct
  CJK runs); each occurrence is checked once.

The matching definition is in the README ("How matching works").
"""

from __future__ import annotations

import json
import math
import operator
from collections import defaultdict
from typing import Any, NamedTuple

from ._structure import Structure
from ._text import (
    CJK,
    CJK_RUN,
    WORD,
    WORD_RUN,
    char_class,
    estimate_tokens,
    features,
    fold,
    has_cjk,
    split_words,
)
from .errors import ConfigError
from .tables import DIMENSIONS, KEYWORD_SETS, RULES, STRUCTURE_SETS, TIERS

_D_TOKENS, _D_SIMPLE = (DIMENSIONS.index(d) for d in ("tokenCount", "simpleIndicators"))
(
    _K_REASONING,
    _K_CODE,
    _K_MULTISTEP,
    _K_TECHNICAL,
    _K_DOMAIN,
    _K_AGENTIC,
    _K_STRUCTURED,
    _K_HARD,
    _K_PROOF,
    _K_QUESTION,
) = (
    KEYWORD_SETS.index(k)
    for k in (
        "reasoningMarkers",
        "codePresence",
        "multiStepPatterns",
        "technicalTerms",
        "domainSpecificity",
        "agenticTask",
        "structuredOutput",
        "hardAsks",
        "proofAsks",
        "questionComplexity",
    )
)
_SEQUENCE_SEP = " ... "

Features = tuple[int, int, int, int]


class Score:
    """One prompt's score: the twin of the native ``Score`` (same attributes and methods)."""

    __slots__ = (
        "tier",
        "score",
        "confidence",
        "ambiguous",
        "tokens",
        "rule",
        "word_problem",
        "_raw",
        "_matched",
        "_features",
    )

    def __init__(
        self,
        tier: int,
        score: float,
        confidence: float,
        ambiguous: bool,
        tokens: float,
        rule: int,
        raw: list[float],
        matched: list[int],
        features: Features,
        word_problem: bool,
    ) -> None:
        self.tier, self.score, self.confidence, self.ambiguous = tier, score, confidence, ambiguous
        self.tokens, self.rule, self.word_problem = tokens, rule, word_problem
        self._raw, self._matched, self._features = raw, matched, features

    def unpack(self) -> tuple[list[float], list[int], Features]:
        """(raw value per dimension, matched keyword ids, (question marks, option letters,
        numbers, list items))."""
        return list(self._raw), list(self._matched), self._features

    def raw(self, index: int) -> float:
        """The raw value of dimension ``index``."""
        return self._raw[index]


class Needle(NamedTuple):
    core: str
    need_left: bool
    need_right: bool


def _quote(raw: str) -> str:
    return json.dumps(raw, ensure_ascii=False)


def parse_needle(raw: str, shortest: int = 2) -> Needle:
    """Fold and normalise one keyword (see rust/keywords.rs::parse_needle); structure
    keywords may be one character long (``shortest``)."""
    normal = " ".join(p for p in fold(raw).split(" ") if p)
    left_star = normal.startswith("*")
    rest = normal[1:] if left_star else normal
    right_star = rest.endswith("*")
    core = (rest[:-1] if right_star else rest).strip(" ")
    if len(core) < shortest:
        plural = "s" if shortest > 1 else ""
        raise ValueError(f"{_quote(raw)} is shorter than {shortest} character{plural}")
    return Needle(
        core,
        not left_star and char_class(core[0]) == WORD,
        not right_star and char_class(core[-1]) == WORD,
    )


_ASCII_WORD = frozenset(chr(c) for c in range(0x80) if char_class(chr(c)) == WORD)


def _is_word(text: str, i: int) -> bool:
    if 0 <= i < len(text):
        ch = text[i]
        return ch in _ASCII_WORD if ch < "\x80" else char_class(ch) == WORD
    return False


def _fits(text: str, i: int, needle: Needle) -> bool:
    return not (needle.need_left and _is_word(text, i - 1)) and not (
        needle.need_right and _is_word(text, i + len(needle.core))
    )


def _first(text: str, needle: Needle) -> int:
    i = text.find(needle.core)
    if i < 0 or not (needle.need_left or needle.need_right):
        return i
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


def _whole_words(needle: Needle) -> frozenset[str]:
    """The words ``needle`` holds whole (a word boundary on both sides): each occurrence of
    the needle has them among the words of the text."""
    core = needle.core
    return frozenset(
        m.group()
        for m in WORD_RUN.finditer(core)
        if (m.start() > 0 or needle.need_left) and (m.end() < len(core) or needle.need_right)
    )


# Below this length a text's distinct characters pick the free needles to search (when many).
_SMALL_TEXT = 4096
_MANY_FREE = 16
# Cost of one character of CJK runs turned into 2-grams, in units of one character of
# str.find: above that many per needle and text character, find every CJK needle instead.
_GRAM_COST = 400
_PREFIX3 = operator.itemgetter(slice(0, 3))
_PREFIX2 = operator.itemgetter(slice(0, 2))
_ONES = (1.0,) * (len(DIMENSIONS) - 1)


def _cjk_grams(core: str) -> list[str]:
    """The 2-character substrings of ``core`` made of two CJK characters."""
    return [a + b for a, b in zip(core, core[1:]) if char_class(a) == CJK and char_class(b) == CJK]


def _indexed(needle: Needle) -> bool:
    """Can the matcher find ``needle`` without a search of the whole text: one whole word
    (or a stem), a word it holds whole, or a pair of CJK characters."""
    lead = WORD_RUN.match(needle.core) if needle.need_left else None
    return (lead is not None and lead.end() == len(needle.core)) or bool(
        _whole_words(needle) or _cjk_grams(needle.core)
    )


class _Matcher:
    """Finds which of a fixed list of (needle, target) pairs occur in a folded text.

    Targets are keyword ids (>= 0) or sequence parts (-1 - part id).
    """

    def __init__(self, entries: list[tuple[Needle, int]]) -> None:
        by_needle: dict[Needle, list[int]] = defaultdict(list)
        for needle, target in entries:
            by_needle[needle].append(target)
        exact: dict[str, list[int]] = defaultdict(list)
        # Stems ("\0" + core) keyed by their first 3 characters; stems of 1 or 2 characters apart.
        self.stems: dict[str, list[tuple[str, tuple[int, ...]]]] = defaultdict(list)
        short_stems: dict[str, list[int]] = defaultdict(list)
        # Needles found by str.find: keyed by one of the words they hold whole (with the
        # others), else by a 2-gram of CJK characters they contain (with their other such
        # 2-grams), else free. An occurrence needs all of its words / 2-grams in the text.
        self.by_word: dict[str, list[tuple[frozenset[str], _Searched]]] = defaultdict(list)
        self.by_gram: dict[str, list[tuple[frozenset[str], _Searched, bool]]] = defaultdict(list)
        self.by_char: dict[str, list[_Searched]] = defaultdict(list)
        self.free: list[_Searched] = []
        self.free_cjk: list[_Searched] = []
        self.n_grams = 0
        for needle, targets in by_needle.items():
            keyword_ids = tuple(t for t in targets if t >= 0)
            part_ids = tuple(-t - 1 for t in targets if t < 0)
            core = needle.core
            lead = WORD_RUN.match(core) if needle.need_left else None
            one_word = lead is not None and lead.end() == len(core)
            if one_word and keyword_ids:
                if needle.need_right:
                    exact[core].extend(keyword_ids)
                else:
                    if len(core) <= 2:
                        short_stems[core].extend(keyword_ids)
                    else:
                        self.stems[core[:3]].append(("\0" + core, keyword_ids))
                keyword_ids = ()
            if not (keyword_ids or part_ids):
                continue
            searched = _Searched(needle, keyword_ids, part_ids)
            whole = _whole_words(needle)
            if whole:
                # The longest word is likely the rarest.
                key = max(whole, key=lambda w: (len(w), w))
                self.by_word[key].append((whole - {key}, searched))
                continue
            grams = _cjk_grams(core)
            if grams:
                # A keyword made of CJK characters only occurs in a run of them: looked for
                # in the distinct runs (no need when it is its only 2-gram).
                cjk_only = not part_ids and len(grams) == len(core) - 1
                self.by_gram[grams[0]].append((frozenset(grams[1:]), searched, cjk_only))
                self.n_grams += 1
                continue
            self.by_char[core[0]].append(searched)
            (self.free_cjk if has_cjk(core) else self.free).append(searched)
        self.exact = {w: tuple(ids) for w, ids in exact.items()}
        self.exact_keys = frozenset(self.exact)
        self.stem_keys = frozenset(self.stems)
        # Stems of 1 or 2 characters: matched by the words' first one or two characters.
        self.short_stems = {key: tuple(ids) for key, ids in short_stems.items()}
        self.short_keys = frozenset(self.short_stems)
        self.one_char_stems = any(len(key) == 1 for key in self.short_stems)
        self.by_word_keys = frozenset(self.by_word)
        self.gram_keys = frozenset(self.by_gram)
        self.all_grams = [s for entries in self.by_gram.values() for _, s, _ in entries]

    def scan(self, text: str) -> tuple[set[int], dict[int, tuple[int, int]]]:
        """Matched keyword ids, and (first end, last start) of each sequence part found."""
        found: set[int] = set()
        words, rest = split_words(text)
        exact = self.exact
        for w in words & self.exact_keys:
            found.update(exact[w])
        stems = self.stems
        prefixes = set(map(_PREFIX3, words)) & self.stem_keys
        short: set[str] | tuple[()] = ()
        if self.short_keys:
            firsts = set(map(_PREFIX2, words))
            if self.one_char_stems:
                firsts.update([key[:1] for key in firsts])
            short = firsts & self.short_keys
        if prefixes or short:
            # "\0" + word for every word: a stem matches where "\0" + stem occurs.
            all_words = "\0" + "\0".join(words) if prefixes else ""
            hits = [self.short_stems[key] for key in short]
            hits += [ids for p in prefixes for key, ids in stems[p] if len(key) == 4 or key in all_words]
            found.update(*hits)
        candidates: list[_Searched] = []
        by_word = self.by_word
        for w in words & self.by_word_keys:
            candidates += [s for others, s in by_word[w] if others <= words]
        runs = CJK_RUN.findall(rest) if rest else []
        if runs and self.n_grams:
            cjk = " ".join(set(runs))
            if len(cjk) * _GRAM_COST < self.n_grams * len(text):
                grams = set(map(operator.add, cjk, cjk[1:]))
                by_gram = self.by_gram
                for gram in grams & self.gram_keys:
                    for others, s, cjk_only in by_gram[gram]:
                        if others <= grams:
                            if not cjk_only:
                                candidates.append(s)
                            elif not others or s.needle.core in cjk:
                                found.update(s.keyword_ids)
            else:
                candidates.extend(self.all_grams)
        if len(self.free) + len(self.free_cjk) > _MANY_FREE and len(text) <= _SMALL_TEXT:
            by_char = self.by_char
            for ch in set(text):
                candidates.extend(by_char.get(ch, ()))
        else:
            candidates.extend(self.free)
            if runs:
                candidates.extend(self.free_cjk)
        parts: dict[int, tuple[int, int]] = {}
        for needle, keyword_ids, part_ids in candidates:
            if part_ids or not found.issuperset(keyword_ids):
                first = text.find(needle.core)
                if first >= 0 and (needle.need_left or needle.need_right):
                    first = _first(text, needle)
                if first < 0:
                    continue
                found.update(keyword_ids)
                if part_ids:
                    span = (first + len(needle.core), _last(text, needle))
                    for p in part_ids:
                        parts[p] = span
        return found, parts


class PyScorer:
    """Pure-Python scorer built from a compiled spec (the dict ``compile_spec`` returns)."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.weights = [float(spec["weights"][d]) for d in DIMENSIONS]
        self.saturation = [1.0 if d == "tokenCount" else float(spec["saturation"][d]) for d in DIMENSIONS]
        self.keyword_saturation = [s for d, s in zip(DIMENSIONS, self.saturation) if d != "tokenCount"]
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
        # Structural signals and rules (_structure.py); a spec without them turns them off.
        structure = spec.get("structure")
        self._structure = Structure(structure, self.word_problem_min_tokens) if structure else None

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
                    raise ConfigError(f"keywords.{name}: {_quote(raw)} is listed twice (also as {_quote(seen[key])})")
                seen[key] = raw
        self.n_keywords = len(self.keyword_set)
        self.sequences_from: dict[int, list[tuple[int, int]]] = defaultdict(list)
        for a, b, kid in self.sequences:
            self.sequences_from[a].append((b, kid))
        self.n_patterns = len({n.core for n, _ in entries + structured})
        # Structure keywords (each a list of forms) share the matcher, numbered after the
        # keywords; the few it would have to look for everywhere (no whole word, no CJK pair:
        # "*줘", "*zig", "谁") are looked for apart, after it.
        self.structure_set: list[int] = []
        self._structure_free: list[tuple[Needle, int]] = []
        for set_index, name in enumerate(STRUCTURE_SETS):
            for forms in structure["sets"].get(name, []) if structure else ():
                local = len(self.structure_set)
                self.structure_set.append(set_index)
                for raw in forms:
                    try:
                        needle = parse_needle(raw, shortest=1)
                    except ValueError as e:
                        raise ConfigError(f"structure.{name}: {e}") from None
                    if _indexed(needle):
                        entries.append((needle, self.n_keywords + local))
                    else:
                        self._structure_free.append((needle, local))
        self._structure_free_ascii = [(n, local) for n, local in self._structure_free if n.core.isascii()]
        self._matcher = _Matcher(entries)
        self._structured = _Matcher(structured)
        # A keyword subsumes the other keywords of its set that match inside its own text.
        self.subsumes: dict[int, list[int]] = {}
        for kid, core in enumerate(cores):
            if core is None:
                continue
            own = self.keyword_set[kid]
            inner = [
                k
                for k in sorted(self._scan(core, own == _K_STRUCTURED))
                if k != kid and k < self.n_keywords and self.keyword_set[k] == own
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
            raise ValueError(f'{_quote(raw)}: sequences "A ... B" are only allowed in multiStepPatterns')
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
        for a, (first_end, _) in parts.items():
            for b, kid in self.sequences_from.get(a, ()):
                if b in parts and first_end <= parts[b][1]:
                    found.add(kid)
        return found

    def _structure_counts(self, folded: str, found: set[int]) -> list[int]:
        """Per structure set, its distinct keywords in ``folded``; takes the structure
        keywords' ids out of ``found``."""
        n = self.n_keywords
        local = {k - n for k in found if k >= n}
        found.difference_update([k + n for k in local])
        for needle, kid in self._structure_free if not folded.isascii() else self._structure_free_ascii:
            if kid not in local and needle.core in folded and _first(folded, needle) >= 0:
                local.add(kid)
        counts = [0] * len(STRUCTURE_SETS)
        structure_set = self.structure_set
        for kid in local:
            counts[structure_set[kid]] += 1
        return counts

    def score(self, text: str, system_prompt: str | None = None) -> Score:
        """Same as the native ``Scorer.score``."""
        folded = fold(text)
        found = self._scan(folded, False)
        structure = self._structure
        sets = self._structure_counts(folded, found) if structure is not None else None
        if system_prompt is not None:
            found |= self._scan(fold(system_prompt), True)
        shadowed = [k for kid in found for k in self.subsumes.get(kid, ())]
        found.difference_update(shadowed)
        ids = sorted(found)
        per_set = [0] * len(KEYWORD_SETS)
        keyword_set = self.keyword_set
        for kid in ids:
            per_set[keyword_set[kid]] += 1
        feats = features(text)
        questions, letters, numbers, items = feats
        tokens = estimate_tokens(text)

        # Keyword counts of the dimensions in order (the keyword sets come in the same order,
        # without tokenCount), plus the non-keyword signals.
        counts = list(map(float, per_set[: len(DIMENSIONS) - 1]))
        sig = structure.signals(text, sets) if structure is not None and sets is not None else None
        if sig is not None and structure is not None:
            # Quantities given and one asked for (not any two numbers and a question mark).
            word_problem = structure.word_problem(sig, tokens, per_set[_K_CODE], per_set[_K_TECHNICAL])
        else:
            # A question about several numbers in a few sentences.
            word_problem = numbers >= 2 and questions >= 1 and tokens >= self.word_problem_min_tokens
        counts[_K_REASONING] += word_problem
        counts[_K_QUESTION] += max(questions - 1, 0)
        if letters >= 3:
            counts[_K_QUESTION] += 2.0
        counts[_K_MULTISTEP] += items // 2
        raw = list(map(min, map(operator.truediv, counts, self.keyword_saturation), _ONES))
        raw.insert(_D_TOKENS, self._token_raw(tokens))
        raw[_D_SIMPLE] = 0.0 - raw[_D_SIMPLE]
        score = 0.0
        for w, r in zip(self.weights, raw):
            score += w * r

        b0, b1, b2 = self.boundaries
        tier = (score >= b0) + (score >= b1) + (score >= b2)
        distance = min(abs(score - b0), abs(score - b1), abs(score - b2))
        confidence = 1.0 / (1.0 + math.exp(-self.steepness * distance))
        rule = 0
        ambiguous = False
        if confidence < self.ambiguity_threshold:
            tier, rule, ambiguous = self.ambiguous_tier, 1, True
        # Floors, in this order; each one that raises the tier overrides the confidence.
        floored = False
        markers = self.reasoning_min_markers
        if markers > 0 and per_set[_K_REASONING] >= markers and 3 > tier:
            tier, rule, floored = 3, 2, True
        if per_set[_K_PROOF] >= 1 and self.proof_floor > tier:
            tier, rule, floored = self.proof_floor, 6, True
        if tokens > self.long_context_tokens and 2 > tier:
            tier, rule, floored = 2, 3, True
        if (
            per_set[_K_HARD] >= 1
            and self.hard_floor > tier
            and (per_set[_K_TECHNICAL] + per_set[_K_CODE] + per_set[_K_REASONING] + per_set[_K_DOMAIN] >= 1)
        ):
            tier, rule, floored = self.hard_floor, 4, True
        steps = self.agentic_steps_min
        if steps > 0 and per_set[_K_AGENTIC] >= steps and self.agentic_steps_floor > tier:
            tier, rule, floored = self.agentic_steps_floor, 7, True
        if per_set[_K_STRUCTURED] >= 1 and self.structured_floor > tier:
            tier, rule, floored = self.structured_floor, 5, True
        if sig is not None and structure is not None:
            tier, why = structure.decide(sig, tier, rule, tokens, per_set, letters, text)
            if why is not None:
                rule, floored = RULES.index(why), True
        if floored:
            ambiguous = False
            confidence = self.override_confidence
        return Score(tier, score, confidence, ambiguous, tokens, rule, raw, ids, feats, word_problem)
