"""The text primitives are one definition: both backends agree on every code point."""

from __future__ import annotations

import sys

import pytest

from smart_llm_router import _text
from smart_llm_router._backend import native_available

ALL = "".join(chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c <= 0xDFFF)

needs_native = pytest.mark.skipif(not native_available(), reason="native module not built")


@needs_native
def test_character_classes_agree_on_every_code_point() -> None:
    from smart_llm_router import _native

    step = 65536
    for start in range(0, len(ALL), step):
        chunk = ALL[start : start + step]
        assert list(_native.char_classes(chunk)) == [_text.char_class(c) for c in chunk]


@needs_native
def test_folding_agrees_on_every_code_point() -> None:
    from smart_llm_router import _native

    assert _native.fold(ALL) == _text.fold(ALL)
    ascii_only = "".join(chr(c) for c in range(128))
    assert _native.fold(ascii_only) == _text.fold(ascii_only)


def test_folding_is_one_to_one_and_follows_unicode_lowercase() -> None:
    folded = _text.fold(ALL)
    assert len(folded) == len(ALL)
    for original, low in zip(ALL, folded):
        if original != low and low != " ":
            assert original.lower() == low, hex(ord(original))


def test_classes() -> None:
    cls = _text.char_class
    assert [cls(c) for c in "a_9é"] == [_text.WORD] * 4
    assert [cls(c) for c in "中かカ"] == [_text.CJK] * 3
    assert [cls(c) for c in " \n\u3000"] == [_text.SPACE] * 3
    assert [cls(c) for c in "?？؟,😀"] == [_text.OTHER] * 5


def test_features() -> None:
    questions, letters, numbers, items = _text.features(
        "Which is prime?\nA. 4\nB. 6\n(c) 7\n  1. one\n2) two\n12.5 is not\n"
    )
    assert (questions, letters, numbers, items) == (1, 3, 7, 2)
    assert _text.features("Pick: a) red b) blue  c) green")[1] == 3
    assert _text.features("plan a)b) c)")[1] == 0
