"""Structural signals: what a prompt asks for, read from its shape as much as from its words.

Both backends implement this definition (the native one in ``rust/structure.rs`` and
``rust/skeleton.rs``; README "Structure"). The keyword scorer sees vocabulary; these rules see
structure that holds in every language: sentences and clauses, enumerations and lists,
quantities (digits and numbers in words), math notation, a question that asks for a quantity,
a pointer to content the prompt does not hold, and the size of what is worked on. Small keyword
sets name grammatical roles, not topics (data/structure.yaml, compiled into the spec by
spec.py); they join the scorer's keyword matcher, so one scan finds both. The text signals come
from a "skeleton" of the text (one byte per character, see ``skeleton``) read with C-level
counts, splits and literal-first patterns: linear time, no backtracking.

Signals (``Signals``): units (words; 2 CJK characters = 1), sentences, clauses, items (the
longest enumeration: bullet or numbered lines, inline list numbers "1)", circled numbers, or
separators inside one sentence + 1 when >= 2), quantities (digit groups, labels "1 |" and list
numbers aside, + numbers in words + runs of CJK numerals), years, scale, math marks, names
(the longest "A, B and C" run), a closing question mark, question marks, a closing Japanese or
Korean request form, a code fence, and the distinct keywords matched per set; comparison marks
counted by occurrence only where the ordering rule may fire (``comparisons``).

Rules (``decide``), in order; each floor only raises the tier, a ceiling only lowers one set by
the score or the hard-ask floor:

* REASONING
  - math: >= 2 math marks, or 1 and a question mark, a task or a "why" (no code fence, < 2
    code words); without marks, notation read from the text (``notation``): "n log n",
    "log(n)", two powers of numbers or one with a factorial or "mod"
  - word_problem: quantities given and one asked for (``word_problem``)
  - puzzle: >= 3 names enumerated, a closing question, >= 2 sentences, no large object; or a
    classic riddle said in few words (``riddle``): a weighing or river-crossing frame with a
    number, a least or a guarantee (or two frame words and no quantity asked), the least
    number that guarantees something, or two frames of a logic puzzle (a liar and a
    truth-teller, players taking turns) in >= 2 sentences with an ask, or a constraint
    (exactly, only) on a general claim (every, no one) in >= 15 units, two sentences or a
    condition, with a question and no task, technical, format, brief or "this/my" words
  - ordering: comparison marks counted by occurrence (than, als, 比, より, 보다, Russian
    comparatives, Arabic elatives; >= 2, and >= 3, >= 2 sentences or a condition: "if A is
    faster than B and B faster than C") and an ask to pick out or order (who, which, in what
    order, the most); no code, no work object, no advice, plan terms, text operation or ask
    to compare
  - choice: answer options of any script (A) B), (a), а) б), ア イ, ①②, 甲 乙, 가) 나), أ) ب))
    after a stem that holds a problem (math notation incl. 2^100, ≡, n!, mod; two numbers; or
    one and a quantity asked for); a quiz with >= 3 options and nothing to work out is lifted
    to MEDIUM only, and its options' numbers are no word problem
  - reasoning_ask: a counterexample / "show your work" / winning-strategy ask, or a quantity
    asked for and a reasoning marker ("how many ... ? walk me through the estimate")
  - argument: a general claim (a quantifier or necessity: every, always, must, impossible)
    and an ask for an argument (justify, does it follow, which is which, where is the flaw,
    not examples) or a supposition and a question mark; nothing pointed at, no small object,
    no code, no advice or text operation
* COMPLEX
  - rework: a large object (codebase, module, service, system) and a rework verb (refactor,
    port, migrate), or scope (whole, entire) and any task; or a rework verb at scale, not on
    content handed over
  - requirements: >= 3 items, not content handed over, not a small artifact alone, a task or
    no closing question (or one asking for an approach or advice in >= 2 sentences), no
    answer options; and >= 15 units with evidence of size (a large
    object in >= 20 units, scope, scale, 2 evidence marks, or 1 plan term and >= 4 items), or
    >= 5 items in >= 30 units without a closing question
  - open_ask: an open ask (how would you approach it, what could cause it) in >= 2 sentences
    and >= 15 units, with technical words, >= 2 quantities or evidence of size; an ask in the
    second person conditional with a question mark counts as an open ask too (Spanish -arías,
    -irías: "¿cómo lo reorganizarías?"; "você"/"vocês" and -aria, -iria, -ariam, -iriam: "como
    você estruturaria?"), read from the text (``conditional_ask``) when no open-ask keyword is
    there (also for requirements and request below)
  - long_ask: >= 55 units, >= 4 clauses, >= 2 evidence marks, not content handed over
* MEDIUM
  - request: the prompt points at content, or a task in >= 4 units, or advice or an approach
    asked in >= 2 sentences (no thanks/hello, no change of topic)
  - numbers_question: a closing question with >= 2 quantities other than years, >= 8 units
  - choice: a quiz with >= 3 answer options
* ceilings (only when no rule above fired and no proof / reasoning-marker / structured-output /
  long-context / agentic rule decided)
  - definition: a definitional or who/when/where question, <= 14 units, one sentence (two
    when <= 8 units), no task, no advice ask, < 2 quantities, no math, no code -> SIMPLE;
    also a question or an explanation asked for briefly (briefly, in one sentence, in a
    nutshell), in up to two sentences, one question, < 2 code words, no list of parts, no
    contrast of several things (asked briefly, "explain" / "tell me" is no task); or a short
    "why" about the world (one sentence and question, nothing personal or pointed at, no
    negation, technical or code words); or, from MEDIUM only, a short plain question (one
    sentence and question mark at its end, <= 10 units, nothing more asked: no advice or
    judgement, approach, contrast, explanation or how-to, reason, quantity, negation, pointer
    or comparison mark, < 2 code words: "does my iphone use machine learning for face id?");
    never with an open ask (an approach or a cause)
  - small_object: pointed work on a small object only, <= 15 units -> at most MEDIUM
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from itertools import repeat
from typing import Any, NamedTuple

from ._text import CJK_RUN, SPACE_CHAR, non_ascii
from .tables import KEYWORD_SETS, STRUCTURE_SETS

SETS = STRUCTURE_SETS
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
    S_OPEN,
    S_ADVICE,
    S_TEXTOP,
    S_JUSTIFY,
    S_GENERAL,
    S_SUPPOSE,
    S_ORDER,
    S_BRIEF,
    S_CONTRAST,
    S_EXPLAIN,
    S_FRAME,
    S_LEAST,
    S_GUARANTEE,
    S_CONDITION,
    S_PUZZLE,
    S_WHY,
) = range(len(SETS))

# Tiers.
SIMPLE, MEDIUM, COMPLEX, REASONING = range(4)
# The ceilings lower a tier set by the score (rule 0, 1) or by the hard-ask floor (4), not one
# set by another rule (reasoning markers, long context, structured output, proof, agentic).
CAPPABLE = (0, 1, 4)

# --- Text scans ------------------------------------------------------------------------------
# The text is first reduced to a "skeleton" of the same length, one byte per character (C-level
# str.replace for a few non-ASCII marks, then encode + bytes.translate): digits -> "0", letters
# -> "a" ("A" capitals, "x" for x y z n, "K" for k K M B), blanks -> " ", sentence ends -> "!",
# clause separators -> "," ";" ":", math and list marks kept, everything else -> "~". Every
# pattern then starts with a literal byte (the regex engine jumps between occurrences) or runs
# over the few hits of one; nothing backtracks.
_NON_ASCII_MARKS = (
    ("。！？؟", "!"),  # sentence ends
    ("、，،・", ","),  # enumeration separators
    ("；؛", ","),
    ("：", ":"),
    ("（", "("),
    ("）", ")"),
    ("｜", "|"),
    ("年月", "/"),  # "1945年8月15日" is one number
    ("万億亿千만억천", "K"),  # a scale after a number: "500万", "5억"
    ("×·", "*"),
    ("≤", "<"),
    ("≥", ">"),
    ("•▪●", "*"),  # bullets
)


_MARK_OF = {ch: mark for chars, mark in _NON_ASCII_MARKS for ch in chars}
_MARK_CHARS = frozenset(_MARK_OF)


def _skeleton_table() -> bytes:
    table = bytearray(b"~" * 256)
    for ch in b"0123456789":
        table[ch] = ord("0")
    for ch in range(ord("a"), ord("z") + 1):
        table[ch] = ord("a")
    for ch in range(ord("A"), ord("Z") + 1):
        table[ch] = ord("A")
    for ch in b"xyzn":
        table[ch] = ord("x")
    for ch in b"kKMB":
        table[ch] = ord("K")
    for ch in b" \t\r\x0b\x0c":
        table[ch] = ord(" ")
    table[ord("\n")] = ord("\n")
    table[ord("!")] = ord("!")  # "?" is made "!" first: encode() replaces non-ASCII with "?"
    for ch in b".,:()|/-=+*<>^'":
        table[ch] = ch
    table[ord(";")] = ord(",")
    return bytes(table)


_SKELETON = _skeleton_table()
# Blanks -> "0", anything else -> "1": a token starts at each "01".
_TOKEN_STARTS = bytes(48 if ch in b" \n" else 49 for ch in range(256))
_LETTERS = b"aAxK"
# Deleted before sentences are counted: what is not content (";" is "," in the skeleton).
_NOT_CONTENT = b" .:()|-"
_OPERATOR_BYTES = b"=+*<>^"
_NOT_OPERATOR = bytes(ch for ch in range(256) if ch not in _OPERATOR_BYTES)
_NUMBER = re.compile(rb"0+(?:[.,:/\-]0+)*+")
_DIGIT_RUNS = bytes(49 if ch == 48 else 48 for ch in range(256))
_LIST_NUMBER = re.compile(rb"00?\)")
_BEFORE_LIST_NUMBER = b" \n:,("
_VARIABLE_NUMBER = re.compile(rb"0x(?![aAxK])")
_SCALED = re.compile(rb"0 ?K(?![aAxK])")
_OPERATORS = re.compile(rb"[=+*<>^]")
_CIRCLED = re.compile(r"[①-⑳]")
# Chinese/Japanese numerals: a run of them counts once; a lone 一 ("一下", "一起") does not.
_CJK_NUMERAL = re.compile(r"[一二三四五六七八九十百千万億亿两兩〇零]+")
_MATH_SYMBOL = re.compile(r"[²³⁴ⁿ√∑∫∏≠≈∞π∂∀∃∈]")
# Three or more names enumerated: "Ana, Bea and Carla", "A, B, C", "Петя, Вася и Коля". A
# name is a capital and up to 12 small letters, not right after a letter; names are joined by
# a comma (blanks: the SPACE class, one either side) or a conjunction between two blanks; an
# enumeration counts when it holds 3 or more names and no letter follows its last one. Each
# match is a whole chain of names (possessive: nothing is tried twice), so the scan is linear.
_LETTERS_SET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyzЁё") | frozenset(
    map(chr, [*range(0xC0, 0x100), *range(0x410, 0x450)])
)
_LETTER = "A-Za-zÀ-ÿА-Яа-яЁё"
_NAME = r"[A-ZА-ЯЁ][a-zà-ÿа-яё]{0,12}"
_NAME_SEP = rf"(?:{SPACE_CHAR}?[,、，]{SPACE_CHAR}?|{SPACE_CHAR}(?:and|und|y|e|и|et|or|oder|o|ou|или){SPACE_CHAR})"
_NAMES = re.compile(rf"(?<![{_LETTER}]){_NAME}(?:{_NAME_SEP}{_NAME})*+")
_NAME_SPLIT = re.compile(_NAME_SEP)
# Chinese puzzles name people 甲, 乙, 丙, 丁 (as A, B, C, D).
_STEMS = "甲乙丙丁"
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
# Answer options of a choice question, by script; the distinct labels of one script count.
# A letter-like label (Latin, Cyrillic, Hangul, Arabic) closes with ")" ("A)", "(b)", "а)",
# "가)", "أ)"), or with "." and a blank ("A. 1"), or at a line start with ":" and a blank; a
# katakana or stem label (ア イ ウ, 甲 乙 丙) stands alone between blanks; a circled number
# counts anywhere. A label follows the text's start, a blank, a line break, "(", "?" or ":".
_OPTION_LABELS = (
    ("abcdeABCDE", 5),
    ("абвгдАБВГД", 5),
    ("가나다라마", 5),
    ("أبجد", 4),
    ("アイウエオ", 5),
    ("甲乙丙丁", 4),
    ("①②③④⑤⑥⑦⑧⑨⑩", 10),
)
_OPTION_OF = {
    ch: (script, i % period) for script, (chars, period) in enumerate(_OPTION_LABELS) for i, ch in enumerate(chars)
}
_LETTER_SCRIPTS = 4  # then katakana (4), stems (5), circled (6)
_BEFORE_OPTION = frozenset(" \t\n\u3000(（?？؟:：。")
_BLANKS = frozenset(" \t\n\u3000")
_AFTER_STANDALONE = frozenset(" \t\n\u3000)）.．:：")
_OPTION_CHARS = frozenset(_OPTION_OF)
# Math notation in the stem of a choice question that the skeleton's marks leave out: a power
# ("2^100"), a congruence, a root or square, a factorial ("7!", "n!"), "mod".
_STEM_MATH = frozenset("^≡√²³")


def skeleton(text: str, rest: str) -> bytes:
    """One byte per character of ``text`` (see above); ``rest``: its non-ASCII characters."""
    if "?" in text:
        text = text.replace("?", "!")
    if rest:
        for ch in _MARK_CHARS.intersection(rest):
            text = text.replace(ch, _MARK_OF[ch])
    return text.encode("ascii", "replace").translate(_SKELETON)


def _ascii_letter(ch: str) -> bool:
    return "a" <= ch <= "z" or "A" <= ch <= "Z"


def _lone_letter(sk: bytes, i: int) -> bool:
    """sk[i] is a letter with no letter on either side: a one-letter variable."""
    n = len(sk)
    return (
        0 <= i < n
        and sk[i] in _LETTERS
        and (i == 0 or sk[i - 1] not in _LETTERS)
        and (i + 1 >= n or sk[i + 1] not in _LETTERS)
    )


def _near(sk: bytes, i: int, step: int) -> int:
    """The index next to ``i`` in direction ``step``, skipping one blank."""
    j = i + step
    return j + step if 0 <= j < len(sk) and sk[j] == 32 else j


def _word_end(text: str, i: int) -> bool:
    """The text ends at ``i`` or holds an ASCII character there other than a letter or digit."""
    return i >= len(text) or text[i] < "\x80" and not text[i].isalnum()


def _math_marks(sk: bytes, rest: str, enough: int = 3) -> int:
    """Marks of math notation: an operator next to a one-letter variable ("x^2", "x + y",
    "= y"), a number times one ("2x"), a one-letter variable before " - ", "-1" or around
    "/" ("x - 1", "n/2"), a function of a letter ("f(x)", "T(n)", "O(n log n)"), math symbols
    and superscripts; once one is seen, each "=" (not "==", "=>", "<=", ">=", "!=")."""
    marks = len(_MATH_SYMBOL.findall(rest)) if rest else 0
    if sk.translate(None, _NOT_OPERATOR):
        for m in _OPERATORS.finditer(sk):
            i = m.start()
            if sk[i] == 43 and (sk[i - 1 : i] == b"+" or sk[i + 1 : i + 2] == b"+"):
                continue  # C++, i++
            if sk[i] == 94:  # an exponent with a letter on one side ("x^2", "2^n"; not "10^12")
                marks += sk[i - 1 : i] in (b"a", b"A", b"x", b"K", b")") or sk[i + 1 : i + 2] in (
                    b"a",
                    b"A",
                    b"x",
                    b"K",
                    b"(",
                )
            else:
                marks += _lone_letter(sk, _near(sk, i, -1)) or _lone_letter(sk, _near(sk, i, 1))
            if marks >= enough:
                return marks
    if b"0x" in sk:
        marks += len(_VARIABLE_NUMBER.findall(sk))
    if marks >= enough:
        return marks
    for dash in (b" - ", b"-0"):
        i = sk.find(dash)
        while i >= 0:
            marks += _lone_letter(sk, i - 1)
            i = sk.find(dash, i + 1)
    if marks >= enough:
        return marks
    i = sk.find(b"/")
    while i >= 0 and marks < enough:
        after = _near(sk, i, 1)
        marks += _lone_letter(sk, _near(sk, i, -1)) and (
            _lone_letter(sk, after) or 0 <= after < len(sk) and sk[after] == 48
        )
        i = sk.find(b"/", i + 1)
    i = sk.find(b"(")
    while i >= 0 and marks < enough:
        before = i - 2 if i >= 2 and sk[i - 1] == 39 else i - 1  # f'(x)
        marks += _lone_letter(sk, before) and _near(sk, i, 1) < len(sk) and sk[_near(sk, i, 1)] in _LETTERS
        i = sk.find(b"(", i + 1)
    if marks and b"=" in sk:
        marks += sk.count(b"=") - 2 * sk.count(b"==")
        marks -= sum(map(sk.count, (b"=>", b"<=", b">=", b"!=", b":=")))
    return marks


class Signals(NamedTuple):
    """What the structure scan found in one prompt."""

    units: float  # length in words (2 CJK characters count as one)
    sentences: int
    clauses: int
    items: int  # the longest enumeration: list lines, list numbers, or separators in a sentence
    quantities: int  # numbers (labels and list numbers aside) and numbers in words
    years: int  # of the numbers, those that read as years (1900-2099)
    scale: bool  # a large number, a scaled one ("10M", "500万") or a word of scale
    math: int  # marks of math notation
    names: int  # the longest enumeration of names
    question_end: bool  # the text ends with a question mark
    questions: int  # question marks anywhere
    request_end: bool  # the text ends with a request form (Japanese, Korean)
    code: bool  # a code fence
    sets: tuple[int, ...]  # distinct keywords matched per set (SETS order)


_K = {name: i for i, name in enumerate(KEYWORD_SETS)}
(
    _K_CODE,
    _K_PROOF,
    _K_REASONING,
    _K_IMPERATIVE,
    _K_HARD,
    _K_TECHNICAL,
    _K_NEGATION,
    _K_CONSTRAINT,
    _K_FORMAT,
    _K_SIMPLE,
    _K_TOPIC_SHIFT,
) = (
    _K[name]
    for name in (
        "codePresence",
        "proofAsks",
        "reasoningMarkers",
        "imperativeVerbs",
        "hardAsks",
        "technicalTerms",
        "negationComplexity",
        "constraintCount",
        "outputFormat",
        "simpleIndicators",
        "topicShifts",
    )
)


class Structure:
    """The structural signals and rules of a spec (its ``structure`` part, see spec.py)."""

    def __init__(self, spec: dict[str, Any], word_problem_min_tokens: float) -> None:
        self.definition_max_units = float(spec["definition_max_units"])
        self.word_problem_min_tokens = float(word_problem_min_tokens)
        self.requirements_min_items = int(spec["requirements_min_items"])
        self.requirements_min_units = float(spec["requirements_min_units"])
        self.requirements_min_evidence = int(spec["requirements_min_evidence"])
        self.long_ask_min_units = float(spec["long_ask_min_units"])
        self.long_ask_min_evidence = int(spec["long_ask_min_evidence"])
        self.open_ask_min_units = float(spec["open_ask_min_units"])
        self.ordering_min_comparisons = int(spec["ordering_min_comparisons"])
        self.choice_min_options = int(spec["choice_min_options"])
        # Comparison marks: literal, leftmost first in listed order, non-overlapping (an
        # alternation of literals, as the native side's leftmost-first automaton).
        marks = spec["comparisons"]
        self.comparison_marks = re.compile("|".join(map(re.escape, marks))) if marks else None
        # Rules switched off by name (for measurements and for users who disagree with one).
        self.off = frozenset(spec["disabled"])

    def signals(self, text: str, sets: Sequence[int]) -> Signals:
        """The signals of ``text``; ``sets``: the distinct keywords of each set (``SETS``
        order) it holds."""
        counts = tuple(sets)
        ascii_text = text.isascii()
        rest = "" if ascii_text else non_ascii(text)
        sk = skeleton(text, rest)
        cjk = sum(map(len, CJK_RUN.findall(rest))) if rest else 0
        tokens_map = sk.translate(_TOKEN_STARTS)
        units = tokens_map.count(b"01") + tokens_map.startswith(b"1") + cjk / 2

        # Sentences, clauses and the longest enumeration inside one sentence ("," between
        # digits is part of a number).
        ends = sk.replace(b"0,0", b"000").replace(b"0,0", b"000") if b"0,0" in sk else sk
        ends = ends.replace(b". ", b"!").replace(b".\n", b"!").replace(b"\n", b"!").translate(None, _NOT_CONTENT)
        pieces = ends.split(b"!")
        sentences = len(pieces) - pieces.count(b"")
        enum = max(map(bytes.count, pieces, repeat(b",")))
        clauses = ends.count(b",") + sk.count(b":") - sk.count(b"0:0") + sk.count(b" - ")
        if rest:
            clauses += text.count(" — ") + text.count(" – ")

        has_digit = b"0" in sk
        list_lines = numbered_lines = 0
        if b"\n" in sk:
            for line in sk.split(b"\n"):
                line = line.lstrip(b" ")
                if line[:1] in (b"-", b"*", b","):  # a bullet ("・" is ",")
                    list_lines += 1
                elif line[:1] == b"0" or line[:2] == b"(0":
                    digits = line.lstrip(b"(0")
                    if digits[:1] in (b".", b")") and len(line) - len(digits) <= 3:
                        list_lines += 1
                        numbered_lines += 1
        inline = 0
        if has_digit and b")" in sk:
            for m in _LIST_NUMBER.finditer(sk):
                i = m.start()
                before = sk[i - 1] if i else 32
                if before == 40 and i >= 2 and sk[i - 2] in b"aAxK'":
                    continue  # f(2), O(1): not a list number
                inline += before in _BEFORE_LIST_NUMBER
        circled = len(_CIRCLED.findall(rest)) if rest else 0
        items = max(list_lines, inline, circled, enum + 1 if enum >= 2 else 0)

        quantities = counts[S_NUMBER]
        years = 0
        scale = counts[S_SCALE] > 0
        if has_digit:
            joined = sk
            for joiner in (b"0.0", b"0,0", b"0:0", b"0/0", b"0-0"):
                if joiner in joined:
                    joined = joined.replace(joiner, b"000").replace(joiner, b"000")
            digit_map = joined.translate(_DIGIT_RUNS)
            numbers = digit_map.count(b"01") + digit_map.startswith(b"1")
            labels = sk.count(b"0 |") + sk.count(b"0|") if b"|" in sk else 0
            quantities += max(numbers - labels - max(inline, numbered_lines), 0)
            scale = scale or (b"K" in sk and _SCALED.search(sk) is not None)
            for start, end in (m.span() for m in _NUMBER.finditer(sk)) if b"0000" in joined else ():
                if end - start >= 4:
                    number = text[start:end]
                    number_digits = number.replace(",", "").replace(".", "")
                    if len(number) == 4 and "1900" <= number <= "2099":
                        years += 1
                    elif number_digits.isdigit() and len(number_digits) >= 4:
                        scale = True
        if rest:
            quantities += sum(1 for run in _CJK_NUMERAL.findall(rest) if run != "一")
        math = _math_marks(sk, rest)

        stripped = text.rstrip(_TRAILING)
        question_end = stripped[-1:] in _QUESTION_MARKS if stripped else False
        names = 0
        if question_end and sentences >= 2:
            for chain in _NAMES.finditer(text):
                if chain.end() < len(text) and text[chain.end()] in _LETTERS_SET:
                    continue  # a letter right after the last name: not an enumeration of names
                count = len(_NAME_SPLIT.split(chain.group()))
                if count >= 3:
                    names = max(names, count)
            if rest:
                names = max(names, sum(stem in rest for stem in _STEMS))
        request_end = bool(rest) and stripped.endswith(_REQUEST_ENDS)
        return Signals(
            units,
            sentences,
            clauses,
            items,
            quantities,
            years,
            scale,
            math,
            names,
            question_end,
            text.count("?") + (text.count("？") + text.count("؟") if rest else 0),
            request_end,
            _CODE_FENCE in text,
            counts,
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
        if (
            s[S_QUANTITY]
            and sig.quantities >= 2
            and asked
            and (sig.sentences >= 2 or sig.units >= 8)
            and (technical == 0 or sig.question_end)
        ):
            return True
        # Numbers dense enough to be the point of the text, and a question about them.
        return (
            sig.quantities >= 3
            and sig.question_end
            and technical == 0
            and s[S_REQUEST] + s[S_ADVICE] == 0
            and sig.quantities * 15 >= sig.units
        )

    @staticmethod
    def argument(sig: Signals, code_words: int, pointed: bool) -> bool:
        """An ask to argue about a general claim: a quantifier or necessity (every, always,
        must, impossible) and an ask for the argument (justify, does it follow, which is which,
        where is the flaw, not examples) or a supposition and a question; not about content
        pointed at or a small artifact (an essay that argues), no code, no advice asked."""
        s = sig.sets
        return (
            s[S_GENERAL] > 0
            and (s[S_JUSTIFY] > 0 or s[S_SUPPOSE] > 0 and sig.questions > 0)
            and not sig.code
            and code_words == 0
            and not pointed
            and s[S_SMALL] + s[S_ADVICE] + s[S_TEXTOP] == 0
        )

    @staticmethod
    def options(text: str) -> tuple[int, int]:
        """The answer options of ``text`` (the most distinct labels of one script, see
        ``_OPTION_LABELS``) and where the first label starts (``len(text)`` without one)."""
        seen = [0] * len(_OPTION_LABELS)
        first = n = len(text)
        option_of = _OPTION_OF
        for i, ch in enumerate(text):
            label = option_of.get(ch)
            if label is None:
                continue
            script, bit = label
            before = text[i - 1] if i else "\n"
            after = text[i + 1] if i + 1 < n else ""
            if script == 6:
                ok = True
            elif before not in _BEFORE_OPTION:
                ok = False
            elif script < _LETTER_SCRIPTS:
                blank_next = i + 2 < n and text[i + 2] in _BLANKS
                ok = after != "" and (
                    after in ")）" or (after in ".．" or after == ":" and before == "\n") and blank_next
                )
            else:
                ok = after == "" or after in _AFTER_STANDALONE
            if ok:
                seen[script] |= 1 << bit
                first = min(first, i)
        return max(bin(b).count("1") for b in seen), first

    @staticmethod
    def stem_problem(stem: str) -> tuple[int, int]:
        """(numbers, marks) of a choice question's stem: digit runs ("1.5" one, a year
        1900-2099 none) and math notation the skeleton leaves out (a power "2^100", "≡", "√",
        "²", a factorial "7!" or "n!", "mod")."""
        numbers = marks = 0
        n = len(stem)
        i = 0
        while i < n:
            ch = stem[i]
            if "0" <= ch <= "9":
                j = i
                joined = False
                while j < n and ("0" <= stem[j] <= "9" or stem[j] in ".," and j + 1 < n and "0" <= stem[j + 1] <= "9"):
                    joined = joined or stem[j] in ".,"
                    j += 1
                run = stem[i:j]
                numbers += joined or len(run) != 4 or not "1900" <= run <= "2099"
                if j < n and stem[j] == "!":
                    marks += 1
                i = j
                continue
            if ch in _STEM_MATH:
                marks += 1
            elif (
                ch == "!"
                and i
                and stem[i - 1].isascii()
                and stem[i - 1].isalpha()
                and (i < 2 or not (stem[i - 2].isascii() and stem[i - 2].isalpha()))
            ):
                marks += 1
            i += 1
        marks += stem.count(" mod ") + stem.count("(mod ")
        return numbers, marks

    def choice(self, sig: Signals, text: str, code_words: int, task: bool) -> tuple[int, bool]:
        """A choice question: its answer options (A) B), а) б), ア イ, ①②, 甲乙, 가) 나), أ) ب);
        0 below ``choice_min_options``) and whether its stem holds a problem (math notation, two
        numbers, or one and a quantity asked for) rather than trivia ("which of these is a
        mammal?"). An ask, no code, no advice, no large object, no text operation; the options
        are read only when the rest holds."""
        s = sig.sets
        if (
            sig.code
            or code_words >= 2
            or s[S_ADVICE] + s[S_LARGE] + s[S_TEXTOP]
            or not (sig.questions or s[S_ORDER] or s[S_QUANTITY] or sig.request_end or task)
        ):
            return 0, False
        count, first = self.options(text)
        if count < self.choice_min_options:
            return 0, False
        numbers, marks = self.stem_problem(text[:first])
        numbers += s[S_NUMBER]
        return count, marks > 0 or sig.math > 0 or numbers >= 2 or numbers >= 1 and s[S_QUANTITY] + s[S_STRONG] > 0

    @staticmethod
    def notation(text: str) -> int:
        """Math notation the skeleton leaves out, read from the text: a logarithm of a variable
        ("n log n", "log(n)", "log2 n"; "log" not inside a word), and an expression of powers
        of numbers: two powers ("2^100 or 10^30"), or one with a factorial or a modulus ("100!
        or 100^100", "2^100 mod 7"). One power alone is often a size ("2^32 addresses")."""
        marks = 0
        n = len(text)
        i = text.find("log")
        while i >= 0:
            j = i + 3
            if i == 0 or not _ascii_letter(text[i - 1]):
                while j < n and ("0" <= text[j] <= "9" or text[j] == "_"):
                    j += 1
                if j + 1 < n and text[j] in " (":
                    marks += _ascii_letter(text[j + 1]) and (j + 2 >= n or not _ascii_letter(text[j + 2]))
            i = text.find("log", i + 3)
        powers = 0
        i = text.find("^")
        while i >= 0:
            powers += i > 0 and "0" <= text[i - 1] <= "9" and i + 1 < n and "0" <= text[i + 1] <= "9"
            i = text.find("^", i + 1)
        if powers:
            terms = powers + text.count(" mod ") + text.count("(mod ")
            i = text.find("!")
            while i >= 0:
                terms += i > 0 and "0" <= text[i - 1] <= "9"
                i = text.find("!", i + 1)
            if terms >= 2:
                marks += terms
        return marks

    @staticmethod
    def conditional_ask(text: str) -> bool:
        """An ask in the second person conditional, read from the text: a Spanish word ending in
        -arías or -irías ("¿cómo lo reorganizarías?", "¿qué elegirías?"), or "você"/"vocês"
        and a word ending in -aria, -iria, -ariam or -iriam ("como você estruturaria?"); the
        word ends at the text's end or an ASCII character other than a letter or a digit. The
        -er forms are left out: they are also nouns (librerías) and the polite request
        (¿podrías?, você poderia)."""
        i = text.find("ías")
        while i >= 0:
            if i >= 2 and text[i - 1] == "r" and text[i - 2] in "ai" and _word_end(text, i + 3):
                return True
            i = text.find("ías", i + 3)
        i = text.find("ocê")
        while i >= 0:
            j = i + 3 + (text[i + 3 : i + 4] == "s")
            if j < len(text) and text[j] == " ":
                k = j + 1
                while k < len(text) and not _word_end(text, k):
                    k += 1
                word = text[j + 1 : k]
                if word.endswith(("aria", "iria", "ariam", "iriam")):
                    return True
            i = text.find("ocê", i + 3)
        return False

    @staticmethod
    def riddle(sig: Signals, code_words: int, pointed: bool, task: bool, per_set: Sequence[int]) -> bool:
        """A classic riddle said in few words: weighing with a balance or ferrying across a river
        (one of its frame words with a number, a least or a guarantee, or two and no quantity
        asked for), or a question for the least number that guarantees something ("how many socks at
        least to be sure of a pair?"); nothing pointed at, no code, work object, advice, plan
        terms or text operation. Also two frames of a logic puzzle (a liar and a truth-teller,
        players taking turns) in two sentences or more, with an ask; or a puzzle set by a
        constraint on a general claim ("only ... no one knows ...", "every bridge exactly
        once"), asked in >= 15 words and two sentences or under a condition, with no task, no
        technical, format or brief-answer words, nothing "this" or "my"."""
        s = sig.sets
        if sig.code or code_words or pointed or s[S_SMALL] + s[S_LARGE] + s[S_ADVICE] + s[S_PLAN] + s[S_TEXTOP]:
            return False
        asked = sig.questions > 0 or task or sig.request_end
        if s[S_PUZZLE] >= 2 and sig.sentences >= 2 and asked:
            return True
        if (
            per_set[_K_CONSTRAINT]
            and s[S_GENERAL]
            and sig.questions
            and sig.units >= 15
            and (sig.sentences >= 2 or s[S_CONDITION] + s[S_SUPPOSE] > 0)
            and not task
            and per_set[_K_TECHNICAL] + per_set[_K_FORMAT] + s[S_BRIEF] + s[S_DEMONSTRATIVE] == 0
        ):
            return True
        if s[S_FRAME]:
            # Two frame words ask "how?" ("across the river ... the boat"); "how long does it
            # take to cross the river by boat" asks for a quantity that is looked up.
            return sig.quantities >= 1 or s[S_LEAST] + s[S_GUARANTEE] > 0 or s[S_FRAME] >= 2 and s[S_QUANTITY] == 0
        return s[S_LEAST] > 0 and s[S_GUARANTEE] > 0 and s[S_QUANTITY] > 0 and asked

    @staticmethod
    def why(sig: Signals, per_set: Sequence[int]) -> bool:
        """A short question for a reason about the world ("why do cats purr?"): one sentence and
        one question, nothing personal or pointed at (my, this), no negation and no technical or
        code words (a "why doesn't the wifi work" is troubleshooting)."""
        s = sig.sets
        return (
            s[S_WHY] > 0
            and sig.sentences == 1
            and sig.questions == 1
            and s[S_DEMONSTRATIVE] + s[S_POINTER] == 0
            and per_set[_K_NEGATION] + per_set[_K_CODE] + per_set[_K_TECHNICAL] == 0
        )

    def comparisons(self, text: str) -> int:
        """Occurrences of the comparison marks in ``text`` (see ``comparisons`` in
        structure.yaml)."""
        return len(self.comparison_marks.findall(text)) if self.comparison_marks else 0

    def ordering(self, sig: Signals, text: str, code_words: int) -> bool:
        """An ordering puzzle: comparisons between several things (a comparison mark repeated:
        "A is older than B, B is older than C") and an ask to pick one out or put them in order;
        not a comparison of products or options (a work object, plan terms, advice asked, an ask
        to compare), no code. A pointer word does not count against it (the Russian
        comparatives выше, ниже are also "above", "below"); "this" with a work object does.
        The marks are counted only when the rest holds."""
        s = sig.sets
        if (
            s[S_ORDER] == 0
            or sig.code
            or code_words
            or s[S_SMALL] + s[S_LARGE] + s[S_ADVICE] + s[S_PLAN] + s[S_TEXTOP] + s[S_CONTRAST]
        ):
            return False
        n = self.comparisons(text)
        # In one sentence, two comparisons make a chain under a condition ("if A is faster than
        # B and B faster than C").
        chained = sig.sentences >= 2 or s[S_CONDITION] + s[S_SUPPOSE] > 0
        return n >= self.ordering_min_comparisons and (n >= 3 or chained)

    def decide(
        self,
        sig: Signals,
        tier: int,
        prior_rule: int,
        tokens: float,
        per_set: list[int],
        options: int = 0,
        text: str = "",
    ) -> tuple[int, str | None]:
        """The tier after the structural rules, and the rule that set it (None: unchanged);
        ``text``: the prompt, for the comparison marks."""
        s = sig.sets
        code_words = per_set[_K_CODE]
        proof = per_set[_K_PROOF] + (per_set[_K_REASONING] >= 2)
        large = s[S_LARGE] > 0
        pointed = self.pointed(sig)
        # Content handed over to work on ("shorten my text: ..."): its list is not a list of asks.
        payload = pointed and not large or s[S_TEXTOP] > 0
        brief = s[S_BRIEF] > 0
        # Asked for briefly, an explanation (explain, tell me) is a question in request form:
        # no task unless something else is requested too.
        explained = brief and s[S_REQUEST] <= s[S_EXPLAIN] and per_set[_K_IMPERATIVE] + s[S_REWORK] == 0
        task = 0 if explained else s[S_REQUEST] + per_set[_K_IMPERATIVE] + s[S_REWORK] + sig.request_end
        # Evidence of size.
        evidence = (
            (s[S_SCOPE] > 0)
            + large
            + (s[S_PLAN] >= 2)
            + (s[S_PLAN] >= 4)
            + sig.scale
            + (sig.sentences >= 3)
            + (sig.quantities >= 3)
            + (per_set[_K_HARD] > 0)
        )

        off = self.off
        floor, rule = tier, None

        def lift(to: int, name: str) -> None:
            nonlocal floor, rule
            if floor < to and name not in off:
                floor, rule = to, name

        # REASONING: math notation, a word problem, a logic puzzle, a counterexample.
        if not sig.code and code_words < 2 and tier < REASONING:
            # A "why" asks without a question mark ("why is heapify linear and not n log n").
            asked = sig.questions or task or s[S_WHY]
            # Notation the skeleton leaves out is read only when it found none.
            marks = sig.math or self.notation(text)
            if marks >= 2 or marks == 1 and asked:
                lift(REASONING, "math")
        posed: list[tuple[int, bool]] = []  # the choice question, read once when needed

        def choice() -> tuple[int, bool]:
            if not posed:
                posed.append(self.choice(sig, text, code_words, task > 0) if "choice" not in off else (0, False))
            return posed[0]

        # (The numbers of a quiz's options are no quantities given: "how many legs does a spider
        # have? A) 6 B) 8" is no word problem.)
        if (
            floor < REASONING
            and self.word_problem(sig, tokens, code_words, per_set[_K_TECHNICAL])
            and not (choice()[0] and not choice()[1])
        ):
            lift(REASONING, "word_problem")
        riddle = floor < REASONING and self.riddle(sig, code_words, pointed, task > 0, per_set)
        if sig.names >= 3 and not large or riddle:
            lift(REASONING, "puzzle")
        if floor < REASONING and "ordering" not in off and self.ordering(sig, text, code_words):
            lift(REASONING, "ordering")
        if floor < REASONING and choice()[1]:
            lift(REASONING, "choice")
        # A counterexample, "show your work", a winning strategy; or a quantity asked for with its
        # reasoning ("roughly how many piano tuners work in Chicago? walk me through it").
        if s[S_REASONING] > 0 or s[S_QUANTITY] and per_set[_K_REASONING]:
            lift(REASONING, "reasoning_ask")
        if self.argument(sig, code_words, pointed):
            lift(REASONING, "argument")
        if floor >= REASONING:
            return floor, rule
        # COMPLEX: rework of a large object; requirement lists; open asks about a described
        # situation; long asks with evidence of size.
        # (Or a rework at scale: "redo the matchmaking for 2 million players"; not content handed
        # over, "rewrite my essay in under 1,000 words".)
        if large and (s[S_REWORK] > 0 or s[S_SCOPE] > 0 and task) or s[S_REWORK] and sig.scale and not payload:
            lift(COMPLEX, "rework")
        # A small artifact (a query, a regex, an email) with conditions is not a requirement list.
        small_only = s[S_SMALL] > 0 and not large and s[S_SCOPE] == 0
        # An open ask in the conditional with no open-ask keyword ("tenemos ... ¿cómo lo
        # reorganizarías?"), read only after a situation described with a question.
        opened = s[S_OPEN] > 0 or (
            floor < COMPLEX and sig.sentences >= 2 and sig.questions > 0 and self.conditional_ask(text)
        )
        if (
            not payload
            and not small_only
            and options < 3  # answer options (A, B, C) are not requirements
            # A list asked about closes with a question ("which of A, B, C?"); after a situation
            # described, an ask for an approach or advice ("how would you build it?") is a task.
            and (task or not sig.question_end or sig.sentences >= 2 and (opened or s[S_ADVICE] > 0))
            and sig.items >= self.requirements_min_items
        ):
            # Evidence of size: a large object (in a longer ask), scope, scale, plan terms (one is
            # enough for four items or more), or two other marks.
            sized = (
                large
                and sig.units >= 20
                or s[S_SCOPE]
                or sig.scale
                or evidence >= self.requirements_min_evidence
                or s[S_PLAN]
                and sig.items >= 4
            )
            if sig.units >= self.requirements_min_units and sized:
                lift(COMPLEX, "requirements")
            elif sig.items >= 5 and sig.units >= 30 and not sig.question_end:
                lift(COMPLEX, "requirements")
        if opened and sig.sentences >= 2 and sig.units >= self.open_ask_min_units:
            if per_set[_K_TECHNICAL] + code_words or sig.quantities >= 2 or evidence:
                lift(COMPLEX, "open_ask")
        if not payload and sig.units >= self.long_ask_min_units and sig.clauses >= 4:
            if evidence >= self.long_ask_min_evidence:
                lift(COMPLEX, "long_ask")
        # MEDIUM: work on content pointed at, or a request to produce something; a question
        # that gives numbers to work with (a situation, not a lookup).
        if pointed or task and sig.units >= 4:
            lift(MEDIUM, "request")
        # Advice or an approach asked after a situation described ("my dog won't eat since
        # yesterday. should I worry?"); not small talk (thanks, hello) or a change of topic.
        if (s[S_ADVICE] or opened) and sig.sentences >= 2 and per_set[_K_SIMPLE] + per_set[_K_TOPIC_SHIFT] == 0:
            lift(MEDIUM, "request")
        if sig.question_end and sig.quantities - sig.years >= 2 and sig.units >= 8:
            lift(MEDIUM, "numbers_question")
        # A quiz with three options or more asks to weigh them (as the score's option letters do).
        if floor < MEDIUM and choice()[0] >= 3:
            lift(MEDIUM, "choice")
        if rule is not None or proof or prior_rule not in CAPPABLE:
            return floor, rule
        # Ceilings: a short definitional question (or one asked to be answered briefly); short
        # work on a small object.
        briefly = (
            brief
            and (sig.questions > 0 or s[S_EXPLAIN] > 0)
            and sig.questions <= 1
            and sig.items < 3
            and s[S_CONTRAST] == 0
        )
        # A short plain question (one sentence, <= 10 words) that asks for nothing more: no
        # advice or judgement (worth it, overkill, suitable), approach, contrast, explanation or
        # how-to (how does it work, how do I), reason or quantity, nothing pointed at, no negation
        # and no comparison mark ("does the iPhone use machine learning for Face ID?"; not "is
        # Rust faster than Go for web servers?"). The marks are counted only when the rest holds.
        plain = (
            tier == MEDIUM
            and sig.sentences == 1
            and sig.question_end
            and sig.questions == 1
            and sig.units <= 10
            and s[S_OPEN] + s[S_CONTRAST] + s[S_EXPLAIN] + s[S_BRIEF] + s[S_WHY] + s[S_QUANTITY] == 0
            and not pointed
            and per_set[_K_NEGATION] == 0
            and code_words < 2
            and self.comparisons(text) == 0
        )
        if (
            tier > SIMPLE
            and "definition" not in off
            and (s[S_DEFINITION] > 0 or briefly or self.why(sig, per_set) or plain)
            and not s[S_ADVICE] + s[S_OPEN]
            and sig.units <= self.definition_max_units
            and (sig.sentences <= 1 or sig.sentences == 2 and (sig.units <= 8 or briefly))
            and not (briefly and code_words >= 2)
            and not task
            and sig.quantities < 2
            and sig.math == 0
            and not sig.code
        ):
            return SIMPLE, "definition"
        if (
            tier > MEDIUM
            and "small_object" not in off
            and pointed
            and s[S_SMALL] > 0
            and not large
            and s[S_SCOPE] == 0
            and sig.units <= 15
        ):
            return MEDIUM, "small_object"
        return tier, None
