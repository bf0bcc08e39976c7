"""Native and pure-Python backends give the same results: shared vectors and hypothesis."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smart_llm_router import Scorer
from smart_llm_router._backend import native_available
from smart_llm_router.scoring_config import ScoringConfig
from smart_llm_router.spec import compile_spec
from smart_llm_router.tables import RULES, TIERS

VECTORS = json.loads((Path(__file__).parent / "vectors" / "scorer_vectors.json").read_text("utf-8"))


@pytest.mark.parametrize("name", ["DIMENSIONS", "KEYWORD_SETS", "TIERS", "RULES", "STRUCTURE_SETS"])
def test_both_backends_number_things_alike(name: str) -> None:
    from smart_llm_router import tables
    from smart_llm_router._backend import native_module

    if not native_available():
        pytest.skip("native module not built")
    assert list(getattr(native_module(), name)) == list(getattr(tables, name))


@pytest.mark.skipif(not native_available(), reason="native module not built")
def test_both_backends_have_the_same_character_tables() -> None:
    """The class ranges and the case folding are written in both languages; compared entry
    by entry (tests/test_text.py also compares their results on every code point)."""
    from smart_llm_router import _text
    from smart_llm_router._backend import native_module

    native = native_module()
    assert [tuple(r) for r in native.class_ranges()] == list(_text._RANGES)
    python_folds = {cp: to for cp, to in _text._FOLD.items() if cp >= 0x80 and to != cp}
    assert dict(native.fold_pairs()) == python_folds


def test_vectors_match_the_current_defaults() -> None:
    assert VECTORS["spec"] == compile_spec(ScoringConfig.load()), (
        "bundled keywords or scoring defaults changed: run `python tests/gen_vectors.py` and review the diff"
    )


@pytest.mark.parametrize("case", VECTORS["cases"], ids=lambda c: c["prompt"][:30])
def test_vectors(scorer: Scorer, case: dict) -> None:
    r = scorer.score(case["prompt"], system_prompt=case["system"])
    assert r.tier == TIERS[case["tier"]]
    assert r.rule == RULES[case["rule"]]
    assert abs(r.score - case["score"]) <= 1e-9
    assert abs(r.confidence - case["confidence"]) <= 1e-9
    assert r.ambiguous == case["ambiguous"]
    raw, matched, features, word_problem = r._details()
    assert word_problem == case["word_problem"]
    assert list(matched) == case["matched"]
    assert list(features) == case["features"]
    assert all(abs(a - b) <= 1e-9 for a, b in zip(raw, case["raw"], strict=True))
    assert [r.raw_value(d) for d in range(15)] == list(raw)
    assert r.estimated_tokens == -int(-case["tokens"] // 1)


def _same(a: Scorer, b: Scorer, text: str, system: str | None = None) -> None:
    x, y = a.score(text, system_prompt=system), b.score(text, system_prompt=system)
    assert (x.tier, x.rule, x.ambiguous, x.estimated_tokens) == (y.tier, y.rule, y.ambiguous, y.estimated_tokens)
    (xraw, xmatched, xfeatures, xwp), (yraw, ymatched, yfeatures, ywp) = x._details(), y._details()
    assert xwp == ywp
    assert list(xmatched) == list(ymatched)
    assert tuple(xfeatures) == tuple(yfeatures)
    assert all(abs(p - q) <= 1e-9 for p, q in zip(xraw, yraw, strict=True))
    assert abs(x.score - y.score) <= 1e-9
    assert abs(x.confidence - y.confidence) <= 1e-9


needs_native = pytest.mark.skipif(not native_available(), reason="native module not built")
FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def pair(scorers: dict[str, Scorer]) -> tuple[Scorer, Scorer]:
    return scorers["native"], scorers["python"]


def _keywords() -> list[str]:
    spec = compile_spec(ScoringConfig.load())
    return [w for words in spec["keywords"].values() for w in words]


KEYWORDS = _keywords()
# Pieces that sit next to keywords: boundaries of every class, case, folding, list markers.
GLUE = [
    " ",
    "",
    "\n",
    "\t",
    "  ",
    "-",
    "_",
    "x",
    "é",
    "É",
    "ß",
    "İ",
    "Σ",
    "ς",
    "中",
    "か",
    "한",
    "ل",
    "?",
    "？",
    "؟",
    "1. ",
    "\n2) ",
    "(a)",
    " b) ",
    "C. ",
    "😀",
    "\u3000",
    "\u00a0",
    "'s",
    "*",
]
keyword_text = st.lists(
    st.one_of(st.sampled_from(KEYWORDS), st.sampled_from(GLUE), st.text(max_size=4)), max_size=20
).map("".join)
mixed_text = st.lists(
    st.sampled_from(
        [
            "Prove",
            "PROVE",
            "prove",
            "證明",
            "证明",
            "доказать",
            "Докажи",
            "beweisen",
            "demuestra",
            "증명하세요",
            "برهن",
            "step by step",
            "шаг за шагом",
            "then",
            "first",
        ]
    )
    | st.sampled_from(GLUE),
    max_size=25,
).map("".join)


@needs_native
@FAST
@given(st.text())
def test_random_unicode(pair: tuple[Scorer, Scorer], text: str) -> None:
    _same(*pair, text)


@needs_native
@FAST
@given(keyword_text, st.none() | keyword_text)
def test_keyword_stuffed(pair: tuple[Scorer, Scorer], text: str, system: str | None) -> None:
    _same(*pair, text, system)


@needs_native
@FAST
@given(mixed_text)
def test_mixed_scripts(pair: tuple[Scorer, Scorer], text: str) -> None:
    _same(*pair, text)


@needs_native
@settings(max_examples=40, deadline=None)
@given(st.sampled_from(KEYWORDS), st.integers(1, 3000), st.sampled_from([" ", "", "\n", "x"]))
def test_long_repetitions(pair: tuple[Scorer, Scorer], keyword: str, times: int, sep: str) -> None:
    _same(*pair, sep.join([keyword.strip("*")] * times))


# Long texts (the native scan changes buffer and table sizes as texts grow): a phrase and a
# sequence anywhere in the middle of 156 KB, keyword-stuffed text around it, long mixed text.
FILLER = "lorem ipsum dolor sit amet consectetur "
LONG = FILLER * 4000  # 156 KB


@needs_native
@pytest.mark.parametrize("offset", range(-12, 13, 3))
def test_long_text_phrase_in_the_middle(pair: tuple[Scorer, Scorer], offset: int) -> None:
    mid = len(LONG) // 2 + offset
    text = LONG[:mid] + " Prove that first, then " + LONG[mid:]
    _same(*pair, text)
    result = pair[0].score(text)
    assert result.rule_keywords["proofAsks"] == ("prove that",)
    assert "first ... then" in next(d.matched for d in result.dimensions if d.name == "multiStepPatterns")


@needs_native
@settings(max_examples=30, deadline=None)
@given(keyword_text, keyword_text, keyword_text)
def test_long_keyword_stuffed(pair: tuple[Scorer, Scorer], head: str, middle: str, tail: str) -> None:
    half = len(LONG) // 2
    _same(*pair, head + LONG[:half] + middle + LONG[half:] + tail)


MIXED_FILLER = "Докажи это. ẞtraße\u3000İstanbul 中文的证明 ΣΊΣΥΦΟΣ 한국어 سؤال؟ "


@needs_native
@settings(max_examples=20, deadline=None)
@given(keyword_text, mixed_text, st.integers(0, 40))
def test_long_mixed_text(pair: tuple[Scorer, Scorer], middle: str, tail: str, shift: int) -> None:
    body = MIXED_FILLER * 3000  # ~230 KB of UTF-8
    cut = len(body) // 2 + shift
    _same(*pair, body[:cut] + middle + body[cut:] + tail)


# --- Structure: the text signals of both backends on texts made of what they look at --------
STRUCTURE_PIECES = [
    *"0123456789 \n\t\r.,;:()|/-=+*<>^'!?xyznkKMBaAb~\"#_",
    *"。！？؟、，،・；؛：（）｜年月万億亿千만억천×·•▪●≤≥²√π①⑳一二三十零甲乙丙丁—–\u3000éÀÿЁёАяКатя",
    *["て", "ください", "줘", "```", " and ", " и ", " or ", ", ", "Ana", "Bea", "Carla", "Abcdefghijklmnop"],
    *[" - ", "-1", "f(x)", "x^2", "2x", "1,530", "1945", "2.00", "12:30", "(1)", "1) ", "\n- ", "\n1. "],
    *["0 |", "==", "!=", "<=", "f'(x)", "O(n)", "C++", "10K", "5 M", "500万", ". ", "?"],
]
structure_text = st.lists(st.sampled_from(STRUCTURE_PIECES) | st.text(max_size=3), max_size=40).map("".join)


def _text_signals(text: str) -> tuple[object, ...]:
    from smart_llm_router._structure import SETS, Structure

    spec = compile_spec(ScoringConfig.load())
    s = Structure(spec["structure"], spec["word_problem_min_tokens"]).signals(text, (0,) * len(SETS))
    return (
        s.units,
        s.sentences,
        s.clauses,
        s.items,
        s.quantities,
        s.years,
        s.scale,
        s.math,
        s.names,
        s.question_end,
        s.request_end,
        s.code,
    )


@needs_native
@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(structure_text)
def test_structure_text_signals(text: str) -> None:
    from smart_llm_router._backend import native_module

    assert tuple(native_module().structure_signals(text)) == _text_signals(text)


@needs_native
@FAST
@given(st.text())
def test_structure_text_signals_on_random_unicode(text: str) -> None:
    from smart_llm_router._backend import native_module

    text = text.encode("utf-8", "replace").decode("utf-8")  # no lone surrogates
    assert tuple(native_module().structure_signals(text)) == _text_signals(text)


@needs_native
@FAST
@given(structure_text | keyword_text)
def test_structure_rules(pair: tuple[Scorer, Scorer], text: str) -> None:
    _same(*pair, text)
