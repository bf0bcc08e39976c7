"""Golden routing fixtures (tests/golden/): labelled prompts in 9 languages and request-shaped
cases with tools, images, system prompts and JSON output, routed on both backends."""

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

# Measured with the bundled config when these floors were set: accuracy 0.834, every tier's
# recall >= 0.72, 8 of 277 prompts two tiers off. The floors leave a little room for keyword
# edits; raising accuracy is welcome, lowering it needs a reason.
MIN_ACCURACY = 0.80
MIN_RECALL = 0.65
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


# --- Conversations (tests/golden/conversations/{dev,holdout}/<lang>.jsonl) ------------------
# Written outside the team without the keyword data; dev is what the policy was looked at
# with, holdout was never read while tuning. Measured with the bundled config when these
# floors were set (both parts together): per-turn accuracy 0.426 against 0.354 for
# per-message routing, 21 mid-task downgrades against 59. Most misses are hard first asks
# the scorer takes for MEDIUM (the conversation then holds MEDIUM): see the README.
CONVERSATIONS = GOLDEN / "conversations"
MIN_CONVERSATION_ACCURACY = 0.40
MIN_GAIN_OVER_PER_MESSAGE = 0.05
MAX_DOWNGRADE_SHARE = 0.5  # of per-message routing's mid-task downgrades


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
