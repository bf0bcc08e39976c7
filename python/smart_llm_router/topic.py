"""What a conversation is about, as a small set of word hashes: whether a new ask continues
the conversation's subject is read from how many of its topic words came up before.

Topic words are language-independent and found in linear time: runs of word characters of at
least four characters (Latin, Cyrillic, Greek, Arabic, ...) cut to their first five (a crude
stem, so "images"/"imagem" and "payment"/"payments" meet), Hangul words of two or more
syllables cut to their first two, and every pair of neighbouring CJK characters (Han, kana)
except pairs of hiragana (grammar, not subject). Digits-only runs are not topics. Only the
first ``MAX_CHARS`` characters of a text are read, so the cost per request is bounded, and
``Topic`` reads a text only when a decision needs its words.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache

from ._text import CJK_RUN, WORD, WORD_RUN, char_class, fold

MAX_CHARS = 1000
# Word hashes a session keeps (the newest first): enough for a few asks.
KEEP = 64
_STEM = 5
# ASCII characters that end a word run (the same split as WORD_RUN on ASCII text).
_ASCII_BREAKS = str.maketrans({chr(c): " " for c in range(128) if char_class(chr(c)) != WORD})


def _hangul(ch: str) -> bool:
    return "\uac00" <= ch <= "\ud7a3"


def _hiragana(ch: str) -> bool:
    return "\u3040" <= ch <= "\u309f"


def _words(folded: str) -> list[str]:
    """The word runs of folded text, in order (ASCII text split at C speed)."""
    if folded.isascii():
        return folded.translate(_ASCII_BREAKS).split()
    return WORD_RUN.findall(folded)


def topic_words(text: str) -> tuple[int, ...]:
    """Hashes of the topic words of ``text`` (its first MAX_CHARS characters), in order of
    first appearance, each once."""
    return _topic_words(text[:MAX_CHARS])


# Clients send the whole conversation with every request: each earlier ask's words come back
# from here instead of being read again (bounded: at most MAX_CHARS per key).
@lru_cache(maxsize=1024)  # at most MAX_CHARS characters per key: a few MB at worst
def _topic_words(text: str) -> tuple[int, ...]:
    folded = fold(text)
    seen: dict[int, None] = {}
    for word in _words(folded):
        if _hangul(word[0]):
            if len(word) < 2:
                continue
            stem = word[:2]
        elif len(word) < 4 or word.isdigit():
            continue
        else:
            stem = word[:_STEM]
        seen.setdefault(zlib.crc32(stem.encode("utf-8", "surrogatepass")))
    if not folded.isascii():
        for run in CJK_RUN.findall(folded):
            for i in range(len(run) - 1):
                pair = run[i : i + 2]
                if not (_hiragana(pair[0]) and _hiragana(pair[1])):
                    seen.setdefault(zlib.crc32(pair.encode("utf-8", "surrogatepass")))
    return tuple(seen)


def overlap(words: Sequence[int], context: Iterable[int]) -> float:
    """The share of ``words`` that occur in ``context`` (0 when ``words`` is empty)."""
    if not words:
        return 0.0
    known = context if isinstance(context, (set, frozenset)) else set(context)
    return sum(1 for w in words if w in known) / len(words)


def newest_first(groups: Iterable[Iterable[int]], keep: int = KEEP) -> tuple[int, ...]:
    """The first ``keep`` distinct hashes of ``groups`` in order (the newest group first; a
    lazy iterable is read only as far as needed)."""
    out: dict[int, None] = {}
    for group in groups:
        out.update(dict.fromkeys(group))  # a hash seen in a newer group keeps its place
        if len(out) >= keep:
            return tuple(out)[:keep]
    return tuple(out)


class Topic:
    """A conversation's topic words: a session's stored hashes plus the asks since, each read
    only when the words are asked for."""

    __slots__ = ("_held", "_texts", "_words")

    def __init__(self, held: tuple[int, ...] = ()) -> None:
        self._held = held
        self._texts: list[str] = []
        self._words: tuple[int, ...] | None = None

    def add(self, text: str) -> None:
        self._texts.append(text)
        self._words = None

    def restart(self, text: str) -> None:
        """A new subject: only ``text`` from here on."""
        self._held, self._texts, self._words = (), [text], None

    def _groups(self) -> Iterator[Iterable[int]]:
        for text in reversed(self._texts):
            yield topic_words(text)
        yield self._held

    def words(self) -> tuple[int, ...]:
        """The newest KEEP distinct word hashes."""
        if self._words is None:
            self._words = newest_first(self._groups())
        return self._words
