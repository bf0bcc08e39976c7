"""Golden routing fixtures (tests/golden/): labelled prompts in 9 languages and request-shaped
cases with tools, images, system prompts and JSON output, the structure's prompts (dev and held
out) and labelled conversations, routed on both backends."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from smart_llm_router import Router
from smart_llm_router.tables import TIERS

GOLDEN = Path(__file__).parent / "golden"
PROMPTS = [json.loads(line) for line in (GOLDEN / "routing.jsonl").read_text("utf-8").splitlines() if line]
REQUESTS = [json.loads(line) for line in (GOLDEN / "requests.jsonl").read_text("utf-8").splitlines() if line]
LANGUAGES = {"en", "zh", "ja", "ru", "de", "es", "pt", "ko", "ar"}

# Measured with the bundled config when these floors were set (with the structural rules, both
# backends): accuracy 0.884 (0.888 with the argument rule), every tier's recall >= 0.866, 10 of
# 277 prompts two tiers off (before them: 0.834, >= 0.72, 8). The floors leave a few prompts of
# room for keyword edits; raising accuracy is welcome, lowering it needs a reason.
MIN_ACCURACY = 0.87
MIN_RECALL = 0.80
MAX_TWO_TIERS_OFF = 0.04


@pytest.fixture(scope="module", params=["native", "python"])
def router(request: pytest.FixtureRequest, scorers) -> Router:
    if request.param not in scorers:
        pytest.skip("native module not built")
    return Router(backend=request.param)


def test_fixture_coverage() -> None:
    assert len(PROMPTS) >= 200
    assert {p["lang"] for p in PROMPTS} == LANGUAGES
    per = Counter((p["lang"], p["tier"]) for p in PROMPTS)
    assert all(per[(lang, tier)] >= 4 for lang in LANGUAGES for tier in TIERS)
    assert sum(1 for p in PROMPTS if p.get("system")) >= 10


def test_golden_prompts(router: Router) -> None:
    got = [router.route(p["prompt"], system_prompt=p.get("system")).tier for p in PROMPTS]
    pairs = list(zip((p["tier"] for p in PROMPTS), got))
    accuracy = sum(e == g for e, g in pairs) / len(pairs)
    recall = {t: sum(g == t for e, g in pairs if e == t) / sum(e == t for e, _ in pairs) for t in TIERS}
    far = sum(abs(TIERS.index(e) - TIERS.index(g)) >= 2 for e, g in pairs) / len(pairs)
    misses = [(p["tier"], g, p["prompt"][:70]) for p, g in zip(PROMPTS, got) if p["tier"] != g]
    assert accuracy >= MIN_ACCURACY, (accuracy, misses)
    assert min(recall.values()) >= MIN_RECALL, recall
    assert far <= MAX_TWO_TIERS_OFF, [m for m in misses if abs(TIERS.index(m[0]) - TIERS.index(m[1])) >= 2]


@pytest.mark.parametrize("case", REQUESTS, ids=lambda c: c["name"])
def test_golden_requests(router: Router, case: dict) -> None:
    d = router.route_request(case["body"])
    assert d.tier == case["tier"], d.reason
    for model in d.fallback_chain:
        info = router.catalog[model]
        assert "vision" not in case["requires"] or info.vision
        assert "tools" not in case["requires"] or info.tools
    if d.profile == "free":
        assert all(router.catalog[m].free for m in d.fallback_chain)


# --- The structure's prompts (tests/golden/prompts/{dev,holdout}/<lang>.jsonl) --------------
# Written for the structural rules; dev is what they were tuned on, holdout was never tuned on
# (nor read while tuning). Measured when these floors were set (both backends): held out 0.917
# (198 of 216), its keyword-free prompts 0.861 (62 of 72); the floors are 2-3 points lower.
STRUCTURE_PROMPTS = GOLDEN / "prompts"
MIN_HELD_OUT_ACCURACY = 0.89
MIN_HELD_OUT_KEYWORD_FREE_ACCURACY = 0.83


def structure_prompts(part: str) -> list[dict]:
    return [
        json.loads(line)
        for path in sorted((STRUCTURE_PROMPTS / part).glob("*.jsonl"))
        for line in path.read_text("utf-8").splitlines()
        if line
    ]


def test_structure_prompts_coverage() -> None:
    dev, held_out = structure_prompts("dev"), structure_prompts("holdout")
    assert len(dev) >= 400 and len(held_out) >= 200
    for rows in (dev, held_out):
        assert {p["lang"] for p in rows} == LANGUAGES
        assert {p["tier"] for p in rows} == set(TIERS)
        assert sum(p["class"] == "keyword_free" for p in rows) >= 70


def test_structure_prompts_held_out(router: Router) -> None:
    rows = structure_prompts("holdout")
    got = [router.route(p["prompt"]).tier for p in rows]
    right = [g == p["tier"] for p, g in zip(rows, got)]
    free = [ok for p, ok in zip(rows, right) if p["class"] == "keyword_free"]
    misses = [(p["tier"], g, p["prompt"][:70]) for p, g, ok in zip(rows, got, right) if not ok]
    assert sum(right) / len(rows) >= MIN_HELD_OUT_ACCURACY, misses
    assert sum(free) / len(free) >= MIN_HELD_OUT_KEYWORD_FREE_ACCURACY, misses


# --- Conversations (tests/golden/conversations/{dev,holdout}/<lang>.jsonl) ------------------
# Written outside the team without the keyword data; dev is what the policy was looked at
# with, holdout was never read while tuning. Measured with the bundled config when these
# floors were set (both parts together, 486 turns, with the structural rules): per-turn
# accuracy 0.595 against 0.473 for per-message routing, 27 mid-task downgrades against 73
# (before them: 0.426 against 0.354, 21 against 59). Most misses are hard first asks the
# scorer takes for MEDIUM (the conversation then holds MEDIUM): see the README.
CONVERSATIONS = GOLDEN / "conversations"
MIN_CONVERSATION_ACCURACY = 0.57
MIN_GAIN_OVER_PER_MESSAGE = 0.10
MAX_DOWNGRADE_SHARE = 0.45  # of per-message routing's mid-task downgrades


def conversation_files() -> list[tuple[Path, list[tuple[int, dict]]]]:
    from smart_llm_router.evaluate import read_jsonl

    return [(p, read_jsonl(p)) for p in sorted(CONVERSATIONS.rglob("*.jsonl"))]


def test_conversation_fixture_coverage() -> None:
    files = conversation_files()
    conversations = [obj for _, rows in files for _, obj in rows]
    assert len(conversations) >= 80
    assert len({c["lang"] for c in conversations}) >= 5
    assert {p.parent.name for p, _ in files} == {"dev", "holdout"}
    kinds = Counter(c["kind"] for c in conversations)
    assert all(kinds[k] >= 5 for k in ("followup", "agent_loop", "clarification", "small_talk_switch", "harder_switch"))
    assert sum(any(m.get("role") == "tool" for m in c["messages"]) for c in conversations) >= 20


def test_golden_conversations(router: Router) -> None:
    from smart_llm_router.evaluate import evaluate_conversations

    result = evaluate_conversations(conversation_files(), router)
    summary = (result.accuracy, result.accuracy_per_message, result.downgrades, result.downgrades_per_message)
    assert result.accuracy >= MIN_CONVERSATION_ACCURACY, summary
    assert result.accuracy - result.accuracy_per_message >= MIN_GAIN_OVER_PER_MESSAGE, summary
    assert result.downgrades <= MAX_DOWNGRADE_SHARE * result.downgrades_per_message, summary
