"""Text primitives of the pure-Python backend: character classes, case folding, token
estimate and the non-keyword features. Mirrors ``rust/text.rs`` and ``features`` in
``rust/scorer.rs``; the README's "How matching works" defines them in words and tests compare
both implementations over every code point.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from typing import Final

WORD: Final = 0
CJK: Final = 1
SPACE: Final = 2
OTHER: Final = 3
_W, _C, _S, _O = WORD, CJK, SPACE, OTHER

# Sorted, non-overlapping (first, last, class); code points outside every range are WORD.
# Keep in sync with RANGES in rust/text.rs.
_RANGES: Final = (
    (0x00, 0x08, _O), (0x09, 0x0D, _S), (0x0E, 0x1F, _O), (0x20, 0x20, _S),
    (0x21, 0x2F, _O), (0x3A, 0x40, _O), (0x5B, 0x5E, _O), (0x60, 0x60, _O),
    (0x7B, 0x84, _O), (0x85, 0x85, _S), (0x86, 0x9F, _O), (0xA0, 0xA0, _S),
    (0xA1, 0xBF, _O), (0xD7, 0xD7, _O), (0xF7, 0xF7, _O), (0x37E, 0x37E, _O),
    (0x387, 0x387, _O), (0x55A, 0x55F, _O), (0x589, 0x58A, _O), (0x600, 0x60F, _O),
    (0x61B, 0x61F, _O), (0x66A, 0x66D, _O), (0x6D4, 0x6D4, _O), (0x964, 0x965, _O),
    (0xE00, 0xEFF, _C), (0x1000, 0x109F, _C), (0x1680, 0x1680, _S), (0x1780, 0x17FF, _C),
    (0x2000, 0x200A, _S), (0x200B, 0x2027, _O), (0x2028, 0x2029, _S), (0x202A, 0x202E, _O),
    (0x202F, 0x202F, _S), (0x2030, 0x205E, _O), (0x205F, 0x205F, _S), (0x2060, 0x206F, _O),
    (0x2070, 0x2BFF, _O), (0x2E00, 0x2E7F, _O), (0x2E80, 0x2FFF, _C), (0x3000, 0x3000, _S),
    (0x3001, 0x3004, _O), (0x3005, 0x3007, _C), (0x3008, 0x3020, _O), (0x3021, 0x302F, _C),
    (0x3030, 0x3030, _O), (0x3031, 0x3035, _C), (0x3036, 0x3037, _O), (0x3038, 0x303C, _C),
    (0x303D, 0x303F, _O), (0x3040, 0x30FA, _C), (0x30FB, 0x30FB, _O), (0x30FC, 0x312F, _C),
    (0x3190, 0x31FF, _C), (0x3200, 0x33FF, _O), (0x3400, 0x4DBF, _C), (0x4DC0, 0x4DFF, _O),
    (0x4E00, 0xA4CF, _C), (0xD800, 0xF8FF, _O), (0xF900, 0xFAFF, _C), (0xFE00, 0xFE6F, _O),
    (0xFEFF, 0xFEFF, _O), (0xFF00, 0xFF0F, _O), (0xFF1A, 0xFF20, _O), (0xFF3B, 0xFF40, _O),
    (0xFF5B, 0xFF65, _O), (0xFF66, 0xFF9F, _C), (0xFFE0, 0xFFFF, _O), (0x1B000, 0x1B16F, _C),
    (0x1F000, 0x1FBFF, _O), (0x20000, 0x3FFFF, _C), (0xE0000, 0xE01EF, _O),
    (0xF0000, 0x10FFFF, _O),
)
_STARTS: Final = tuple(r[0] for r in _RANGES)


def char_class(ch: str) -> int:
    """The matching class of one character (WORD, CJK, SPACE or OTHER)."""
    cp = ord(ch)
    i = bisect_right(_STARTS, cp) - 1
    if i >= 0 and cp <= _RANGES[i][1]:
        return _RANGES[i][2]
    return WORD


def _class_pattern(*classes: int) -> str:
    """A regex character set matching exactly the given classes."""
    parts = []
    prev_end = -1
    for lo, hi, cls in _RANGES:
        if WORD in classes and lo > prev_end + 1:
            parts.append((prev_end + 1, lo - 1))
        if cls in classes:
            parts.append((lo, hi))
        prev_end = hi
    if WORD in classes and prev_end < 0x10FFFF:
        parts.append((prev_end + 1, 0x10FFFF))
    return "".join(
        re.escape(chr(lo)) if lo == hi else f"{re.escape(chr(lo))}-{re.escape(chr(hi))}"
        for lo, hi in parts
    )


WORD_RUN: Final = re.compile(f"[{_class_pattern(WORD)}]+")
_CJK_CHAR: Final = re.compile(f"[{_class_pattern(CJK)}]")
_NON_ASCII_SPACE: Final = re.compile(f"[{_class_pattern(SPACE)}]")


def _fold_map() -> dict[int, int]:
    """The case folding of rust/text.rs::fold as a str.translate table (non-ASCII part)."""
    m: dict[int, int] = {}

    def pairs(lo: int, hi: int, upper_parity: int) -> None:
        for cp in range(lo, hi + 1):
            if cp % 2 == upper_parity:
                m[cp] = cp + 1

    for cp in range(0xC0, 0xDF):
        if cp != 0xD7:
            m[cp] = cp + 0x20
    for lo, hi in ((0x100, 0x12F), (0x132, 0x137), (0x14A, 0x177)):
        pairs(lo, hi, 0)
    for lo, hi in ((0x139, 0x148), (0x179, 0x17E)):
        pairs(lo, hi, 1)
    m[0x178] = 0xFF
    m[0x386] = 0x3AC
    for cp in range(0x388, 0x38B):
        m[cp] = cp + 0x25
    m[0x38C] = 0x3CC
    for cp in (0x38E, 0x38F):
        m[cp] = cp + 0x3F
    for cp in [*range(0x391, 0x3A2), *range(0x3A3, 0x3AC)]:
        m[cp] = cp + 0x20
    for cp in range(0x400, 0x410):
        m[cp] = cp + 0x50
    for cp in range(0x410, 0x430):
        m[cp] = cp + 0x20
    for lo, hi in ((0x460, 0x481), (0x48A, 0x4BF), (0x4D0, 0x52F)):
        pairs(lo, hi, 0)
    m[0x4C0] = 0x4CF
    pairs(0x4C1, 0x4CE, 1)
    for cp in range(0x531, 0x557):
        m[cp] = cp + 0x30
    for lo, hi in ((0x1E00, 0x1E95), (0x1EA0, 0x1EFF)):
        pairs(lo, hi, 0)
    m[0x1E9E] = 0xDF
    for cp in range(0xFF21, 0xFF3B):
        m[cp] = cp + 0x20
    for lo, hi, cls in _RANGES:
        if cls == SPACE:
            for cp in range(lo, hi + 1):
                m[cp] = 0x20
    return m


_FOLD: Final = _fold_map()
_ASCII_SPACE: Final = str.maketrans("\t\n\x0b\x0c\r", "     ")


def fold(text: str) -> str:
    """Case-fold ``text`` one character for one (see rust/text.rs::fold)."""
    if text.isascii():
        return text.lower().translate(_ASCII_SPACE)
    # str.lower() would also touch scripts the definition leaves alone: fold by table.
    return text.translate(_FULL_FOLD)


_FULL_FOLD: Final = {**{cp: cp + 0x20 for cp in range(0x41, 0x5B)}, **_FOLD}


def estimate_tokens(text: str) -> float:
    """Estimated tokens: 1/4 per ASCII character or non-ASCII space, 1/2 per other word
    character (accented Latin, Cyrillic, Greek, Arabic, Hangul, ...), 1 per CJK or symbol."""
    if text.isascii():
        return len(text) * 0.25
    quarter = half = whole = 0
    for ch in text:
        if ch < "\x80":
            quarter += 1
            continue
        cls = char_class(ch)
        if cls == SPACE:
            quarter += 1
        elif cls == WORD:
            half += 1
        else:
            whole += 1
    return quarter * 0.25 + half * 0.5 + whole


def has_cjk(text: str) -> bool:
    return _CJK_CHAR.search(text) is not None


_LIST_ITEM: Final = re.compile(r"^[ \t]*[0-9]{1,3}[.)][ \t]", re.MULTILINE)
_OPTION_AT_LINE: Final = re.compile(r"^[ \t]*\(?([a-eA-E])[).:][ \t]", re.MULTILINE)
_OPTION_INLINE: Final = re.compile(r"\(([a-eA-E])\)|(?<=[ \t])([a-eA-E])\)[ \t]")
_NUMBER: Final = re.compile(r"[0-9]+")


def features(text: str) -> tuple[int, int, int, int]:
    """(question marks, distinct option letters a-e, digit runs, numbered-list lines)."""
    questions = text.count("?") + text.count("\uff1f") + text.count("\u061f")
    letters = {m.lower() for m in _OPTION_AT_LINE.findall(text)}
    letters.update((a or b).lower() for a, b in _OPTION_INLINE.findall(text))
    numbers = len(_NUMBER.findall(text))
    items = len(_LIST_ITEM.findall(text))
    return questions, len(letters), numbers, items
