"""Behaviour of the scorer, on both backends (the `scorer` fixture)."""

from __future__ import annotations

import pytest

from smart_llm_router import ConfigError, Scorer, ScoreResult
from smart_llm_router.tables import TIERS


def matched(result: ScoreResult, dimension: str) -> tuple[str, ...]:
    return next(d.matched for d in result.dimensions if d.name == dimension)


def test_result_shape(scorer: Scorer) -> None:
    r = scorer.score("Implement a binary search tree in Rust with insert and delete")
    assert r.tier in TIERS
    assert 0.0 <= r.confidence <= 1.0
    assert isinstance(r.ambiguous, bool)
    assert r.estimated_tokens > 0
    names = [d.name for d in r.dimensions]
    assert len(names) == 15 == len(set(names))
    assert abs(sum(d.contribution for d in r.dimensions) - r.score) < 1e-12
    for d in r.dimensions:
        assert -1.0 <= d.raw <= 1.0
        assert d.contribution == d.weight * d.raw
    assert r.to_dict()["tier"] == r.tier
    # The keyword sets that are no dimension, in keyword-set order.
    assert list(r.rule_keywords) == ["structuredOutput", "hardAsks", "proofAsks", "continuations", "topicShifts"]


@pytest.mark.parametrize(
    ("prompt", "tier"),
    [
        ("hi", "SIMPLE"),
        ("what is the capital of france", "SIMPLE"),
        ("thanks!", "SIMPLE"),
        ("Prove that sqrt(2) is irrational step by step", "REASONING"),
        ("请一步一步证明根号2是无理数", "REASONING"),
        ("Докажи шаг за шагом, что корень из двух иррационален", "REASONING"),
        ("design a high-availability microservices architecture", "COMPLEX"),
        ("Debug this race condition in my Go worker pool", "COMPLEX"),
    ],
)
def test_page_semantics(scorer: Scorer, prompt: str, tier: str) -> None:
    assert scorer.score(prompt).tier == tier


@pytest.mark.parametrize(
    ("text", "dimension", "absent"),
    [
        ("Please improve and approve this", "reasoningMarkers", "prove"),
        ("Write a letter to my landlord", "codePresence", "let"),
        ("A classic business class seat", "codePresence", "class"),
        ("Summarise the history of Rome", "creativeMarkers", "story"),
        ("Our data pipeline is slow", "agenticTask", "pip"),
    ],
)
def test_whole_words_only(scorer: Scorer, text: str, dimension: str, absent: str) -> None:
    assert absent not in matched(scorer.score(text), dimension)


def test_substring_matching_in_cjk(scorer: Scorer) -> None:
    assert "证明" in matched(scorer.score("请证明这个定理"), "reasoningMarkers")
    assert "証明" in matched(scorer.score("この定理を証明してください"), "reasoningMarkers")


def test_stems_match_inflections(scorer: Scorer) -> None:
    r = scorer.score("Докажите теорему о простых числах")
    assert len(matched(r, "reasoningMarkers")) >= 2


def test_a_keyword_counts_once_however_often_it_appears(scorer: Scorer) -> None:
    once = scorer.score("theorem")
    many = scorer.score("theorem theorem theorem theorem")
    assert matched(once, "reasoningMarkers") == matched(many, "reasoningMarkers") == ("theorem",)
    assert once.tier != "REASONING"


def test_a_longer_keyword_subsumes_the_shorter_one_it_contains(scorer: Scorer) -> None:
    r = scorer.score("prove that the sum of two even numbers is even")
    assert matched(r, "reasoningMarkers") == ("prove that",)
    assert r.rule != "reasoning_markers"


def test_sequence_needs_order(scorer: Scorer) -> None:
    forward = matched(scorer.score("first clone the repo, then run the tests"), "multiStepPatterns")
    backward = matched(scorer.score("then clone the repo, first run the tests"), "multiStepPatterns")
    assert "first ... then" in forward
    assert "first ... then" not in backward


def test_numbered_lists_and_answer_options(scorer: Scorer) -> None:
    steps = scorer.score("Do this:\n1. install\n2. configure\n3. deploy\n4. verify")
    assert "4 numbered lines" in matched(steps, "multiStepPatterns")
    quiz = scorer.score(
        "Which enzyme unwinds DNA during replication?\nA) ligase\nB) helicase\nC) primase\nD) polymerase"
    )
    assert "4 answer options" in matched(quiz, "questionComplexity")
    assert quiz.tier != "SIMPLE"


def test_word_problems_are_not_simple(scorer: Scorer) -> None:
    r = scorer.score("A train leaves at 3 pm going 60 km/h; a second leaves at 4 pm at 80 km/h. When does it catch up?")
    assert r.tier != "SIMPLE"
    assert any("word problem" in m for m in matched(r, "reasoningMarkers"))
    assert scorer.score("What is 2+2?").tier == "SIMPLE"


def test_structured_output_system_prompt_floors_at_medium(scorer: Scorer) -> None:
    plain = scorer.score("hi")
    structured = scorer.score("hi", system_prompt="Reply only with valid JSON matching the schema.")
    assert plain.tier == "SIMPLE"
    assert structured.tier == "MEDIUM" and structured.rule == "structured_output"
    # The system prompt never feeds the keyword dimensions.
    assert structured.score == plain.score


def test_long_context_floors_at_complex(scorer: Scorer) -> None:
    r = scorer.score("hello there " * 40_000)
    assert r.estimated_tokens > 100_000
    assert r.tier == "COMPLEX" and r.rule == "long_context"


def test_token_estimate_is_sane_for_cjk(scorer: Scorer) -> None:
    latin = scorer.score("a" * 400).estimated_tokens
    han = scorer.score("中" * 400).estimated_tokens
    cyrillic = scorer.score("д" * 400).estimated_tokens
    assert latin == 100
    assert cyrillic == 200
    assert han == 400


def test_ambiguous_scores_use_the_default_tier(scorer: Scorer) -> None:
    # Find the tokenCount length whose score sits on the SIMPLE/MEDIUM boundary; walk a
    # neutral word repeated until the score crosses 0 and check the band around it.
    results = [scorer.score(" ".join(["sunny"] * n)) for n in range(1, 400)]
    near = [r for r in results if abs(r.score) < 0.005]
    assert near, "no score near the boundary"
    for r in near:
        assert r.ambiguous and r.tier == "MEDIUM" and r.rule == "ambiguous" and r.confidence < 0.6
    clear = [r for r in results if abs(r.score) > 0.05]
    assert clear and not any(r.ambiguous for r in clear)


def test_scores_rank_different_prompts(scorer: Scorer) -> None:
    prompts = [
        "hi",
        "hello there",
        "what is the capital of france",
        "translate 'cat' into German",
        "write a haiku about autumn",
        "explain how a hash map works",
        "explain why quicksort is O(n log n) on average",
        "implement an LRU cache in Python with O(1) get and put",
        "design a rate limiter for a distributed API gateway",
        "prove that there are infinitely many primes",
        "summarise this article in three bullet points",
        "fix the failing test in tests/test_api.py and run the suite",
        "compare PostgreSQL and MySQL for an analytics workload",
        "write a short story about a robot learning to paint",
        "what's the weather like on Mars?",
    ]
    scores = [scorer.score(p).score for p in prompts]
    assert len(set(scores)) == len(scores)


def test_bad_input_gets_a_result_or_a_clear_error(scorer: Scorer) -> None:
    for text in [
        "",
        "   \n\t ",
        "\x00" * 10,
        "a\x00b",
        "😀" * 1000,
        "\ud800 lone \udfff surrogates",
        "".join(chr(c) for c in range(0x20, 0x3000, 7)),
    ]:
        assert scorer.score(text).tier in TIERS
    assert scorer.score("\ud800prove\udc00 step by step").tier == scorer.score("\ufffdprove\ufffd step by step").tier
    with pytest.raises(TypeError):
        scorer.score(b"bytes")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        scorer.score("ok", system_prompt=3)  # type: ignore[arg-type]


def test_ten_megabyte_prompt(scorer: Scorer) -> None:
    r = scorer.score("Step 1: refactor the parser. " * 350_000)
    assert r.tier == "COMPLEX" and r.estimated_tokens > 2_000_000


@pytest.mark.parametrize("backend_name", ["native", "python"])
def test_duplicate_keyword_is_a_build_error(backend_name: str, scorers: dict[str, Scorer]) -> None:
    if backend_name not in scorers:
        pytest.skip("native module not built")
    with pytest.raises(ConfigError, match=r"keywords\.technicalTerms: .*listed twice"):
        Scorer({"extra_keywords": {"technicalTerms": ["Kafka", "kafka"]}}, backend=backend_name)
    with pytest.raises(ConfigError, match="only allowed in multiStepPatterns"):
        Scorer({"extra_keywords": {"technicalTerms": ["a ... b"]}}, backend=backend_name)
    with pytest.raises(ConfigError, match="shorter than 2"):
        Scorer({"extra_keywords": {"codePresence": ["*x"]}}, backend=backend_name)


def test_user_keywords_extend_and_replace(scorer: Scorer) -> None:
    extended = Scorer({"extra_keywords": {"technicalTerms": ["flux capacitor"]}}, backend=scorer.backend)
    assert "flux capacitor" in matched(extended.score("tune the flux capacitor"), "technicalTerms")
    replaced = Scorer({"replace_keywords": {"simpleIndicators": ["howdy"]}}, backend=scorer.backend)
    assert matched(replaced.score("hello howdy"), "simpleIndicators") == ("howdy",)


def test_results_copy_and_pickle(scorer: Scorer) -> None:
    import copy
    import pickle

    from smart_llm_router import Router

    result = scorer.score("Prove that sqrt(2) is irrational, step by step")
    for clone in (copy.deepcopy(result), pickle.loads(pickle.dumps(result))):
        assert (clone.tier, clone.score, clone.rule) == (result.tier, result.score, result.rule)
        assert clone.dimensions == result.dimensions
        assert clone.raw_value(0) == result.raw_value(0)
    decision = Router().route("Prove that sqrt(2) is irrational, step by step")
    assert copy.deepcopy(decision).to_dict() == decision.to_dict()
