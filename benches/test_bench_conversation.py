"""Routing whole conversations: the request a client sends on turn 200 of a long chat (about
1 MB of history), and one with 10,000 turns, both backends side by side.

    pytest benches/test_bench_conversation.py --benchmark-only --benchmark-group-by=group --benchmark-columns=median,min,rounds

The scorer reads at most `conversation.history_asks` earlier asks (8) plus the newest, and the
topic check at most 1,000 characters of a text; the rest of the history costs one walk over
its messages and a token count of its non-ASCII text.
"""

from __future__ import annotations

from typing import Any

import pytest

from conftest import EN_SEEDS, make_prompts
from smart_llm_router import Router
from smart_llm_router._backend import native_available

BACKENDS = ["native", "python"] if native_available() else ["python"]


def conversation(turns: int, size: int, seeds: Any = None) -> dict[str, Any]:
    """``turns`` user/assistant pairs of about ``size`` characters each, then a follow-up."""
    prompts = make_prompts(size, count=min(turns, 64), **({"seeds": seeds} if seeds else {}))
    messages: list[dict[str, Any]] = []
    for i in range(turns):
        text = prompts[i % len(prompts)]
        messages += [{"role": "user", "content": text}, {"role": "assistant", "content": text[::-1]}]
    messages.append({"role": "user", "content": "now add tests for the edge cases"})
    return {"model": "smart/auto", "messages": messages}


CASES = {
    "200 turns, ~1 MB, en": conversation(200, 2_500, EN_SEEDS),
    "200 turns, ~1 MB, mixed": conversation(200, 2_500),
    "10,000 turns, short": conversation(10_000, 60, EN_SEEDS),
}


@pytest.fixture(scope="module", params=BACKENDS)
def router(request: pytest.FixtureRequest) -> Router:
    return Router(backend=request.param)


@pytest.mark.parametrize("case", list(CASES))
def test_route_conversation(benchmark, router: Router, case: str) -> None:
    body = CASES[case]
    benchmark.group = f"route a conversation: {case}"
    benchmark.extra_info["backend"] = router.scorer.backend
    benchmark.extra_info["bytes"] = sum(len(m["content"].encode()) for m in body["messages"])
    decision = benchmark(lambda: router.route_request(body))
    assert decision.turn in ("held", "same", "stepped_up")
