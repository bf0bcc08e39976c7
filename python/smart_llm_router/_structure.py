"""Structural signals: what a prompt asks for, read from its shape as much as from its words.

The keyword scorer sees vocabulary; these rules see structure that holds in every language:
sentences and clauses, enumerations and lists, quantities (digits and numbers in words), math
notation, a question that asks for a quantity, a pointer to content the prompt does not hold,
and the size of what is worked on. A few small keyword sets name grammatical roles, not
topics (data/structure.yaml). Everything is one pass of the keyword matcher plus a few
linear scans of the text (no regex backtracking: every pattern is a fixed-width or
single-character-class loop).

The rules only move the tier (README "Structure"); the weighted score is left as it is:

* math: math notation (an equation with a variable, an exponent, f(x), a math symbol) -> REASONING
* word_problem: >= 2 quantities and a quantity asked for (how many, what probability, ...)
  -> REASONING
* puzzle: three or more names enumerated ("A, B and C") and a closing question -> REASONING
* rework: reworking a large object (refactor a module, port a codebase, move all of it)
  -> COMPLEX
* requirements: an enumeration of >= 3 items in a longer ask, with evidence of size (scope,
  a large object, plan terms, scale) -> COMPLEX; a long multi-clause ask with the same -> COMPLEX
* pointed / request: work on content the prompt points at, or a request to produce
  something -> at least MEDIUM
* definition: a short definitional question with nothing else asked -> SIMPLE (a ceiling)
* small_object: short work on a small object (a function, a query) -> at most MEDIUM
"""

from __future__ import annotations

import re
from importlib.resources import files
from typing import Any, NamedTuple

import yaml

from ._text import CJK_RUN, WORD, char_class, fold, non_ascii

SETS = (
    "definition",
    "quantityAsks",
    "numberWords",
    "reworkVerbs",
    "largeObjects",
    "smallObjects",
    "scope",
    "pointers",
    "demonstratives",
    "requests",
    "planTerms",
    "scaleWords",
    "strongAsks",
    "reasoningAsks",
)
(
    S_DEFINITION,
    S_QUANTITY,
    S_NUMBER,
    S_REWORK,
    S_LARGE,
    S_SMALL,
    S_SCOPE,
    S_POINTER,
    S_DEMONSTRATIVE,
    S_REQUEST,
    S_PLAN,
    S_SCALE,
    S_STRONG,
    S_REASONING,
) = range(len(SETS))

# Tiers.
SIMPLE, MEDIUM, COMPLEX, REASONING = range(4)
# The ceilings lower a tier set by the score (rule 0, 1) or by the hard-ask floor (4), not one
# set by another rule (reasoning markers, long context, structured output, proof, agentic).
CAPPABLE = (0, 1, 4)

# --- Text scans ------------------------------------------------------------------------------
# Sentence ends: ! ? and their CJK/Arabic forms, a newline, or a "." before a blank or the end.
_SENTENCE_END = re.compile(r"[!?。！？؟\n]+|\.(?=\s|$)")
# Clause separators: , ; : and their CJK/Arabic forms, a dash between blanks ("," and "." inside
# a number are not separators).
_CLAUSE = re.compile(r"[;:；：،؛、，]|,(?!\d)|\s[—–]\s|\s-\s")
# Enumeration separators inside one sentence.
_ENUM_SEP = re.compile(r"[;；،、，・]|,(?!\d)")
# A list line: a bullet or a number ("1." "1)" "(1)" "1）") at a line start.
_LIST_LINE = re.compile(r"(?m)^[ \t]*(?:[-*•・·▪●]|\(?\d{1,2}[.)）])")
_NUMBERED_LINE = re.compile(r"(?m)^[ \t]*\(?\d{1,2}[.)）]")
# An inline list number "1)" / "(1)" / "1）" after a blank or a separator; circled numbers.
_INLINE_NUMBER = re.compile(r"(?:(?<=[\s:：,，;；])|^)\(?\d{1,2}[)）]")
_CIRCLED = re.compile(r"[①-⑳]")
# A number: digit runs joined by . , : / - or a CJK date mark count once ("1,530", "2:15",
# "1945年8月15日"); one followed by "|" is a label ("Scenario 1 | ...").
_NUMBER = re.compile(r"\d+(?:(?:[.,:/\-]|[年月])\d+)*+")
_LABEL = re.compile(r"\d\s?[|｜]")
# A number with a scale suffix ("200k", "10M", "500万", "5억").
_SCALED = re.compile(r"\d\s?(?:[kKMB](?![A-Za-z])|[万億亿千만억천])")
# Chinese/Japanese numerals: a run of them counts once; a lone 一 ("一下", "一起") does not.
_CJK_NUMERAL = re.compile(r"[一二三四五六七八九十百千万億亿两兩〇零]+")
# Math notation.
_EXPONENT = re.compile(r"[\w)]\s?\^\s?[\w(]|[²³⁴ⁿ]")
_EQUALS = re.compile(r"(?<![=<>!:])=(?![=>])")
_VARIABLE_OP = re.compile(
    r"(?<![A-Za-z])[a-zA-Z] ?[\^=+*<>·×≤≥] ?[\w(√]"
    r"|(?<![A-Za-z])[a-zA-Z](?: - |-(?=\d)| ?/ ?[\dA-Za-z](?![A-Za-z]))"
    r"|[\^=+*<>·×≤≥] ?[a-zA-Z](?![A-Za-z])"
    r"|\d[xyzn](?![A-Za-z])"
)
_FUNCTION = re.compile(r"(?<![A-Za-z])[A-Za-z]'?\((?=\s?[a-zA-Z])")
_MATH_SYMBOL = re.compile(r"[√∑∫∏≤≥≠≈∞π∂∀∃∈]")
# Three or more names enumerated: "Ana, Bea and Carla", "A, B, C", "Петя, Вася и Коля".
_NAME = r"(?:[A-Z][a-záéíóúãõâêôçñü]{1,12}|[А-ЯЁ][а-яё]{1,12}|[A-Z])"
_NAME_SEP = r"(?:\s?[,、，]\s?|\s(?:and|und|y|e|и|et|or|oder|o|ou|или)\s)"
_LETTER = "A-Za-zÀ-ÿА-Яа-яЁё"
_NAMES = re.compile(rf"(?<![{_LETTER}]){_NAME}(?:{_NAME_SEP}{_NAME}){{2,}}+(?![{_LETTER}])")
# Chinese puzzles name people 甲, 乙, 丙, 丁 (as A, B, C, D).
_STEMS = "甲乙丙丁"
_NAME_SPLIT = re.compile(_NAME_SEP)
# Code: a fence, or many code punctuation marks.
_CODE_FENCE = "```"
_QUESTION_MARKS = "?？؟"
# Japanese and Korean requests end the text with a verb form: して, 書いて, 줘, 주세요.
_REQUEST_ENDS = (
    "て",
    "ください",
    "下さい",
    "ほしい",
    "欲しい",
    "なさい",
    "お願い",
    "お願いします",
    "줘",
    "줘요",
    "주세요",
)
_TRAILING = " \t\n.。!！~～…"


def _needle(raw: str) -> Any:
    """A keyword of data/structure.yaml as a matcher needle (keywords.yaml syntax, one
    character allowed: these sets hold CJK and Hangul words of one character)."""
    from ._pyscorer import Needle

    normal = " ".join(p for p in fold(raw).split(" ") if p)
    left_star = normal.startswith("*")
    rest = normal[1:] if left_star else normal
    right_star = rest.endswith("*")
    core = (rest[:-1] if right_star else rest).strip(" ")
    if not core:
        raise ValueError(f"structure keyword {raw!r} is empty")
    return Needle(
        core,
        not left_star and char_class(core[0]) == WORD,
        not right_star and char_class(core[-1]) == WORD,
    )


def load_structure_data() -> dict[str, Any]:
    text = (files("smart_llm_router") / "data" / "structure.yaml").read_text("utf-8")
    return yaml.safe_load(text)


class Signals(NamedTuple):
    """What the structure scan found in one prompt."""

    units: float  # length in words (2 CJK characters count as one)
    sentences: int
    clauses: int
    items: int  # the longest enumeration: list lines, list numbers, or separators in a sentence
    quantities: int  # numbers (labels and list numbers aside) and numbers in words
    scale: bool  # a large number, a scaled one ("10M", "500万") or a word of scale
    math: int  # marks of math notation
    names: int  # the longest enumeration of names
    question_end: bool  # the text ends with a question mark
    request_end: bool  # the text ends with a request form (Japanese, Korean)
    code: bool  # a code fence
    sets: tuple[int, ...]  # distinct keywords matched per set (SETS order)


class Structure:
    """The structural signals and rules, built once from data/structure.yaml."""

    def __init__(self, data: dict[str, Any] | None = None) -> None:
        from ._pyscorer import _Matcher

        data = data if data is not None else load_structure_data()
        entries = []
        self.set_of: list[int] = []
        for index, name in enumerate(SETS):
            for words in data["sets"].get(name, {}).values():
                for raw in words:
                    entries.append((_needle(raw), len(self.set_of)))
                    self.set_of.append(index)
        self._matcher = _Matcher(entries)
        rules = data.get("rules", {})
        self.definition_max_units = float(rules.get("definition_max_units", 14))
        self.word_problem_min_tokens = float(rules.get("word_problem_min_tokens", 10))
        self.requirements_min_items = int(rules.get("requirements_min_items", 3))
        self.requirements_min_units = float(rules.get("requirements_min_units", 30))
        self.requirements_min_evidence = int(rules.get("requirements_min_evidence", 2))
        self.long_ask_min_units = float(rules.get("long_ask_min_units", 55))
        self.long_ask_min_evidence = int(rules.get("long_ask_min_evidence", 2))

    def signals(self, text: str, folded: str) -> Signals:
        found, _ = self._matcher.scan(folded)
        counts = [0] * len(SETS)
        set_of = self.set_of
        for kid in found:
            counts[set_of[kid]] += 1

        ascii_text = text.isascii()
        cjk = 0 if ascii_text else sum(map(len, CJK_RUN.findall(non_ascii(text))))
        units = len(text.split()) + cjk / 2

        pieces = _SENTENCE_END.split(text)
        sentences = 0
        enum = 0
        for piece in pieces:
            if piece.strip():
                sentences += 1
                seps = len(_ENUM_SEP.findall(piece))
                if seps > enum:
                    enum = seps
        clauses = len(_CLAUSE.findall(text))
        multiline = "\n" in text
        list_lines = len(_LIST_LINE.findall(text)) if multiline else 0
        numbered_lines = len(_NUMBERED_LINE.findall(text)) if multiline else 0
        inline = len(_INLINE_NUMBER.findall(text))
        circled = 0 if ascii_text else len(_CIRCLED.findall(text))
        items = max(list_lines, inline, circled, enum + 1 if enum >= 2 else 0)

        numbers = _NUMBER.findall(text)
        labels = len(_LABEL.findall(text)) if "|" in text or "｜" in text else 0
        quantities = len(numbers) - labels - max(inline, numbered_lines)
        quantities = max(quantities, 0) + counts[S_NUMBER]
        scale = counts[S_SCALE] > 0 or _SCALED.search(text) is not None
        for n in numbers:
            digits = n.replace(",", "").replace(".", "")
            if digits.isdigit() and len(digits) >= 4 and not (len(n) == 4 and "1900" <= n <= "2099"):
                scale = True
                break
        if not ascii_text:
            quantities += sum(1 for run in _CJK_NUMERAL.findall(text) if run != "一")

        math = 0
        if "^" in text or not ascii_text:
            math += len(_EXPONENT.findall(text))
        math += len(_VARIABLE_OP.findall(text)) + len(_FUNCTION.findall(text))
        if math and "=" in text:
            math += len(_EQUALS.findall(text))
        if not ascii_text:
            math += len(_MATH_SYMBOL.findall(text))

        stripped = text.rstrip(_TRAILING)
        question_end = stripped[-1:] in _QUESTION_MARKS if stripped else False
        names = 0
        if question_end and sentences >= 2:
            for run in _NAMES.findall(text):
                names = max(names, len(_NAME_SPLIT.split(run)))
            if not ascii_text:
                names = max(names, sum(stem in text for stem in _STEMS))
        request_end = not ascii_text and stripped.endswith(_REQUEST_ENDS)
        return Signals(
            units,
            sentences,
            clauses,
            items,
            quantities,
            scale,
            math,
            names,
            question_end,
            request_end,
            _CODE_FENCE in text,
            tuple(counts),
        )

    @staticmethod
    def pointed(sig: Signals) -> bool:
        """The prompt points at content: a pointer word, or "this/our/my" and a work object."""
        s = sig.sets
        return s[S_POINTER] > 0 or (s[S_DEMONSTRATIVE] > 0 and (s[S_SMALL] + s[S_LARGE]) > 0)

    def word_problem(self, sig: Signals, tokens: float, code_words: int, technical: int = 0) -> bool:
        """Quantities given and one asked for: a word problem (also the reasoning signal of
        the weighted score, which used to fire on any two numbers and a question mark)."""
        if sig.code or code_words >= 2 or tokens < self.word_problem_min_tokens:
            return False
        s = sig.sets
        asked = sig.question_end or not self.pointed(sig)
        large = s[S_LARGE] > 0
        if s[S_STRONG] and sig.quantities >= 1 and asked:
            return True
        if large:
            return False
        if s[S_QUANTITY] and sig.quantities >= 2 and asked and (sig.sentences >= 2 or sig.units >= 8):
            return True
        # Numbers dense enough to be the point of the text, and a question about them.
        return sig.quantities >= 3 and sig.question_end and technical == 0 and sig.quantities * 15 >= sig.units

    def decide(
        self,
        sig: Signals,
        tier: int,
        prior_rule: int,
        tokens: float,
        per_set: list[int],
        k: dict[str, int],
    ) -> tuple[int, str | None]:
        """The tier after the structural rules, and the rule that set it (None: unchanged)."""
        s = sig.sets
        code_words = per_set[k["codePresence"]]
        proof = per_set[k["proofAsks"]] + (per_set[k["reasoningMarkers"]] >= 2)
        large = s[S_LARGE] > 0
        pointed = self.pointed(sig)
        # Content handed over to work on ("shorten my text: ..."): its list is not a list of asks.
        payload = pointed and not large
        task = s[S_REQUEST] + per_set[k["imperativeVerbs"]] + s[S_REWORK] + sig.request_end
        # Evidence of size.
        evidence = (
            (s[S_SCOPE] > 0)
            + large
            + (s[S_PLAN] >= 2)
            + (s[S_PLAN] >= 4)
            + sig.scale
            + (sig.sentences >= 3)
            + (sig.quantities >= 3)
            + (per_set[k["hardAsks"]] > 0)
        )

        floor, rule = tier, None
        # REASONING: math notation, a word problem, a logic puzzle, a counterexample.
        if not sig.code and code_words < 2 and (sig.math >= 2 or sig.math == 1 and (sig.question_end or task)):
            if floor < REASONING:
                floor, rule = REASONING, "math"
        if floor < REASONING and self.word_problem(sig, tokens, code_words, per_set[k["technicalTerms"]]):
            floor, rule = REASONING, "word_problem"
        if floor < REASONING and sig.names >= 3 and not large:
            floor, rule = REASONING, "puzzle"
        if floor < REASONING and s[S_REASONING] > 0:
            floor, rule = REASONING, "math"
        if floor >= REASONING:
            return floor, rule
        # COMPLEX: rework of a large object; requirement lists; long asks with evidence of size.
        if large and (s[S_REWORK] > 0 or s[S_SCOPE] > 0 and task):
            if floor < COMPLEX:
                floor, rule = COMPLEX, "rework"
        if (
            floor < COMPLEX
            and not payload
            and (task or not sig.question_end)
            and sig.items >= self.requirements_min_items
        ):
            if sig.units >= self.requirements_min_units and (large or s[S_SCOPE] > 0 or evidence >= 2):
                floor, rule = COMPLEX, "requirements"
            elif sig.items >= 5 and sig.units >= 40 and not sig.question_end:
                floor, rule = COMPLEX, "requirements"
        if floor < COMPLEX and not payload and sig.units >= self.long_ask_min_units and sig.clauses >= 4:
            if evidence >= self.long_ask_min_evidence:
                floor, rule = COMPLEX, "long_ask"
        # MEDIUM: work on content pointed at, or a request to produce something.
        if floor < MEDIUM and (pointed or task and sig.units >= 4):
            floor, rule = MEDIUM, "request"
        if rule is not None or proof or prior_rule not in CAPPABLE:
            return floor, rule
        # Ceilings: a short definitional question; short work on a small object.
        if (
            tier > SIMPLE
            and s[S_DEFINITION] > 0
            and sig.units <= self.definition_max_units
            and (sig.sentences <= 1 or sig.sentences == 2 and sig.units <= 8)
            and not task
            and sig.quantities < 2
            and sig.math == 0
            and not sig.code
        ):
            return SIMPLE, "definition"
        if tier > MEDIUM and pointed and s[S_SMALL] > 0 and not large and s[S_SCOPE] == 0 and sig.units <= 15:
            return MEDIUM, "small_object"
        return tier, None
