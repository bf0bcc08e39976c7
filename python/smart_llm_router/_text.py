"""Text primitives of the pure-Python backend: character classes, case folding, token
estimate and the non-keyword features. Mirrors ``rust/text.rs`` and ``rust/features.rs``; the
README's "How matching works" defines them in words. tests/test_parity.py compares the class
ranges and the folding table with the native module's entry by entry, and tests/test_text.py
both implementations over every code point.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from itertools import filterfalse
from typing import Final

WORD: Final = 0
CJK: Final = 1
SPACE: Final = 2
OTHER: Final = 3
_W, _C, _S, _O = WORD, CJK, SPACE, OTHER

# Sorted, non-overlapping (first, last, class); code points outside every range are WORD.
# The same table as RANGES in rust/text.rs (tests/test_parity.py compares them entry by entry).
_RANGES: Final = (
    (0x00, 0x08, _O),
    (0x09, 0x0D, _S),
    (0x0E, 0x1F, _O),
    (0x20, 0x20, _S),
    (0x21, 0x2F, _O),
    (0x3A, 0x40, _O),
    (0x5B, 0x5E, _O),
    (0x60, 0x60, _O),
    (0x7B, 0x84, _O),
    (0x85, 0x85, _S),
    (0x86, 0x9F, _O),
    (0xA0, 0xA0, _S),
    (0xA1, 0xBF, _O),
    (0xD7, 0xD7, _O),
    (0xF7, 0xF7, _O),
    (0x37E, 0x37E, _O),
    (0x387, 0x387, _O),
    (0x55A, 0x55F, _O),
    (0x589, 0x58A, _O),
    (0x600, 0x60F, _O),
    (0x61B, 0x61F, _O),
    (0x66A, 0x66D, _O),
    (0x6D4, 0x6D4, _O),
    (0x964, 0x965, _O),
    (0xE00, 0xEFF, _C),
    (0x1000, 0x109F, _C),
    (0x1680, 0x1680, _S),
    (0x1780, 0x17FF, _C),
    (0x2000, 0x200A, _S),
    (0x200B, 0x2027, _O),
    (0x2028, 0x2029, _S),
    (0x202A, 0x202E, _O),
    (0x202F, 0x202F, _S),
    (0x2030, 0x205E, _O),
    (0x205F, 0x205F, _S),
    (0x2060, 0x206F, _O),
    (0x2070, 0x2BFF, _O),
    (0x2E00, 0x2E7F, _O),
    (0x2E80, 0x2FFF, _C),
    (0x3000, 0x3000, _S),
    (0x3001, 0x3004, _O),
    (0x3005, 0x3007, _C),
    (0x3008, 0x3020, _O),
    (0x3021, 0x302F, _C),
    (0x3030, 0x3030, _O),
    (0x3031, 0x3035, _C),
    (0x3036, 0x3037, _O),
    (0x3038, 0x303C, _C),
    (0x303D, 0x303F, _O),
    (0x3040, 0x30FA, _C),
    (0x30FB, 0x30FB, _O),
    (0x30FC, 0x312F, _C),
    (0x3190, 0x31FF, _C),
    (0x3200, 0x33FF, _O),
    (0x3400, 0x4DBF, _C),
    (0x4DC0, 0x4DFF, _O),
    (0x4E00, 0xA4CF, _C),
    (0xD800, 0xF8FF, _O),
    (0xF900, 0xFAFF, _C),
    (0xFE00, 0xFE6F, _O),
    (0xFEFF, 0xFEFF, _O),
    (0xFF00, 0xFF0F, _O),
    (0xFF1A, 0xFF20, _O),
    (0xFF3B, 0xFF40, _O),
    (0xFF5B, 0xFF65, _O),
    (0xFF66, 0xFF9F, _C),
    (0xFFE0, 0xFFFF, _O),
    (0x1B000, 0x1B16F, _C),
    (0x1F000, 0x1FBFF, _O),
    (0x20000, 0x3FFFF, _C),
    (0xE0000, 0xE01EF, _O),
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


def _class_pattern(*classes: int, start: int = 0) -> str:
    """A regex character set matching exactly the characters from ``start`` up of the given
    classes."""
    parts = []
    prev_end = start - 1
    for lo, hi, cls in _RANGES:
        if hi < start:
            continue
        lo = max(lo, start)
        if WORD in classes and lo > prev_end + 1:
            parts.append((prev_end + 1, lo - 1))
        if cls in classes:
            parts.append((lo, hi))
        prev_end = hi
    if WORD in classes and prev_end < 0x10FFFF:
        parts.append((prev_end + 1, 0x10FFFF))
    return "".join(re.escape(chr(lo)) if lo == hi else f"{re.escape(chr(lo))}-{re.escape(chr(hi))}" for lo, hi in parts)


WORD_RUN: Final = re.compile(f"[{_class_pattern(WORD)}]+")
CJK_RUN: Final = re.compile(f"[{_class_pattern(CJK)}]+")
# One character of the SPACE class, as a regex character set.
SPACE_CHAR: Final = f"[{_class_pattern(SPACE)}]"
_CJK_CHAR: Final = re.compile(f"[{_class_pattern(CJK)}]")


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
_FULL_FOLD: Final = {**{cp: cp + 0x20 for cp in range(0x41, 0x5B)}, **_FOLD}


def _all_code_points() -> str:
    """Every code point, surrogates included, as one string (built with C-level operations)."""
    units = bytearray(4 * 0x110000)
    units[0::4] = bytes(range(256)) * 0x1100
    units[1::4] = b"".join(bytes((b,)) * 256 for b in range(256)) * 17
    units[2::4] = b"".join(bytes((p,)) * 65536 for p in range(17))
    return units.decode("utf-32-le", "surrogatepass")


_special: tuple[re.Pattern[str], re.Pattern[str]] | None = None


def _special_chars() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """The non-ASCII characters where ``str.lower()`` is not ``fold`` (cased letters the
    definition leaves alone, non-ASCII spaces, anything lower() maps to several characters,
    capital sigma whose lower() depends on the context), computed once from the running
    Python's Unicode database: a pattern to search for one (without a group, so the regex
    engine skips ahead fast) and one to split at runs of them."""
    global _special
    if _special is None:
        everything = _all_code_points()
        chars = {0x3A3, *(cp for cp in _FULL_FOLD if cp >= 0x80)}
        step = 0x1000
        for lo in range(0x80, 0x110000, step):
            chunk = everything[lo : lo + step]
            if chunk.lower() != chunk:
                chars.update(ord(c) for c in chunk if c.lower() != c)
        chars = {cp for cp in chars if cp == 0x3A3 or chr(cp).lower() != chr(_FULL_FOLD.get(cp, cp))}
        # Checking astral ranges one by one makes the regex slow on every character: treat
        # every astral character as special instead (the table folds it correctly anyway).
        ranges: list[list[int]] = []
        for cp in sorted(c for c in chars if c < 0x10000) + [0x10000, 0x10FFFF]:
            if ranges and ranges[-1][1] == cp - 1:
                ranges[-1][1] = cp
            elif cp == 0x10FFFF:
                ranges[-1][1] = cp
            else:
                ranges.append([cp, cp])
        body = "".join(
            re.escape(chr(lo)) if lo == hi else f"{re.escape(chr(lo))}-{re.escape(chr(hi))}" for lo, hi in ranges
        )
        _special = re.compile(f"[{body}]"), re.compile(f"([{body}]+)")
    return _special


_ASCII_BYTES: Final = bytes(range(0x80))


def non_ascii(text: str) -> str:
    """The non-ASCII characters of ``text``, in order (C-level: through UTF-8 bytes)."""
    return text.encode("utf-8", "surrogatepass").translate(None, _ASCII_BYTES).decode("utf-8", "surrogatepass")


def fold(text: str) -> str:
    """Case-fold ``text`` one character for one (see rust/text.rs::fold)."""
    if text.isascii():
        return text.lower().translate(_ASCII_SPACE)
    # str.lower() (C speed) agrees with the definition except on the few "special"
    # characters; those runs are folded by table (str.translate with a dict is slow).
    special, special_runs = _special_chars()
    if special.search(non_ascii(text)) is None:
        folded = text.lower()
    else:
        parts = special_runs.split(text)  # normal, special run, normal, ..., normal
        parts[0::2] = [part.lower() for part in parts[0::2]]
        parts[1::2] = [run.translate(_FULL_FOLD) for run in parts[1::2]]
        folded = "".join(parts)
    for ch in "\t\n\x0b\x0c\r":
        if ch in folded:
            folded = folded.replace(ch, " ")
    return folded


_WHOLE_RUN: Final = re.compile(f"[{_class_pattern(CJK, OTHER, start=0x80)}]+")
_NON_ASCII_SPACE_RUN: Final = re.compile(f"[{_class_pattern(SPACE, start=0x80)}]+")


def estimate_tokens(text: str) -> float:
    """Estimated tokens: 1/4 per ASCII character or non-ASCII space, 1/2 per other word
    character (accented Latin, Cyrillic, Greek, Arabic, Hangul, ...), 1 per CJK or symbol."""
    if text.isascii():
        return len(text) * 0.25
    rest = non_ascii(text)
    spaces = sum(map(len, _NON_ASCII_SPACE_RUN.findall(rest)))
    whole = sum(map(len, _WHOLE_RUN.findall(rest)))
    quarter = len(text) - len(rest) + spaces
    half = len(rest) - spaces - whole
    return quarter * 0.25 + half * 0.5 + whole


_ASCII_NON_WORD: Final = bytes(b for b in range(0x80) if char_class(chr(b)) != WORD)
_SPLIT_BYTES: Final = bytes.maketrans(_ASCII_NON_WORD, b" " * len(_ASCII_NON_WORD))
_SPLIT_ASCII: Final = str.maketrans(dict.fromkeys(_ASCII_NON_WORD.decode(), " "))


def split_words(text: str) -> tuple[set[str], str]:
    """The distinct words (``WORD_RUN`` matches) of ``text``, and its non-ASCII tokens joined
    by spaces: the part of the text that holds every CJK run.

    Splits at ASCII non-word characters with C-level operations (str.translate on ASCII
    text, bytes.translate on UTF-8 otherwise); only the distinct tokens that have non-ASCII
    characters go through the regex."""
    if text.isascii():
        words = set(text.translate(_SPLIT_ASCII).split(" "))
        words.discard("")
        return words, ""
    data = text.encode("utf-8", "surrogatepass").translate(_SPLIT_BYTES)
    words = set(data.decode("utf-8", "surrogatepass").split(" "))
    words.discard("")
    mixed = list(filterfalse(str.isascii, words))
    words.difference_update(mixed)
    rest = " ".join(mixed)
    words.update(WORD_RUN.findall(rest))
    return words, rest


def has_cjk(text: str) -> bool:
    return _CJK_CHAR.search(text) is not None


# Features read ASCII only: they run on the text with each non-ASCII character replaced by
# "?" (same positions; "?" is not part of any pattern).
# A line start, blanks, then a list number or an option letter, then a blank. Searched from
# each "\n" (a literal, fast to look for); the first line is matched on its own.
_LINE: Final = rb"[ \t]*(?:[0-9]{1,3}[.)]|\(?([a-eA-E])[).:])[ \t]"
_FIRST_LINE: Final = re.compile(_LINE)
_NEXT_LINE: Final = re.compile(rb"\n" + _LINE)
# "(x)" anywhere, or "x)" between blanks: found from the ")" (a literal, fast to look for).
_OPTION_INLINE: Final = re.compile(rb"\)(?:(?<=\(([a-eA-E])\))|(?<=[ \t]([a-eA-E])\))(?=[ \t]))")
# Digit runs: digits become "1", everything else "0"; a run starts at each "01".
_DIGITS: Final = bytes(0x31 if 0x30 <= b <= 0x39 else 0x30 for b in range(256))


def features(text: str) -> tuple[int, int, int, int]:
    """(question marks, distinct option letters a-e, digit runs, numbered-list lines)."""
    questions = text.count("?")
    if not text.isascii():
        questions += text.count("\uff1f") + text.count("\u061f")
    data = text.encode("ascii", "replace")
    letters: set[bytes] = set()
    items = 0
    first = _FIRST_LINE.match(data)
    lines = _NEXT_LINE.findall(data) if b"\n" in data else []
    if first is not None:
        lines.append(first.group(1) or b"")
    for letter in lines:
        if letter:
            letters.add(letter.lower())
        else:
            items += 1
    for a, b in _OPTION_INLINE.findall(data):
        letters.add((a or b).lower())
    digits = data.translate(_DIGITS)
    numbers = digits.count(b"01") + digits.startswith(b"1")
    return questions, len(letters), numbers, items
