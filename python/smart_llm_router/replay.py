"""`slr replay LOG --config NEW [--against OLD]`: what a config change would do to logged
traffic before it is deployed. Requests of one session (the log's ``session`` hash) are
replayed in order with the state each router held after the previous one, as the proxy
would have held it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .evaluate import InputFileError, read_jsonl
from .router import Held, Router, RoutingDecision
from .tables import TIERS


@dataclass
class ReplayResult:
    requests: int = 0
    tier_changed: int = 0
    model_changed: int = 0
    old_cost: float = 0.0
    new_cost: float = 0.0
    unpriced: int = 0
    moved: list[dict[str, Any]] = field(default_factory=list)

    @property
    def delta_per_1k(self) -> float | None:
        priced = self.requests - self.unpriced
        return (self.new_cost - self.old_cost) / priced * 1000 if priced else None

    def to_dict(self, top: int = 10) -> dict[str, Any]:
        moved = sorted(self.moved, key=lambda m: (-abs(m["tier_shift"]), -abs(m["cost_delta"] or 0)))[:top]
        return {
            "requests": self.requests,
            "tier_changed": self.tier_changed,
            "model_changed": self.model_changed,
            "cost_old_usd": self.old_cost,
            "cost_new_usd": self.new_cost,
            "cost_delta_per_1k_requests_usd": self.delta_per_1k,
            "unpriced_requests": self.unpriced,
            "top_moved": moved,
        }


def replay(log: Path, new: Router, against: Router | None = None) -> ReplayResult:
    """Re-route every logged decision with ``new``; compare with ``against`` re-routed, or
    with what the log recorded."""
    result = ReplayResult()
    # (router, session hash) -> what that router held after the session's previous request.
    held: dict[tuple[int, str], Held] = {}
    for number, record in read_jsonl(log, required=("profile", "tier", "model")):
        prompt = record.get("prompt")
        if not isinstance(prompt, str):
            raise InputFileError(
                f"{log} line {number}: no prompt text (the log keeps prompts only with "
                "smart_router.decision_log.prompts: text)"
            )
        try:
            after = _route(new, record, prompt, held)
            before = _route(against, record, prompt, held) if against is not None else None
        except ValueError as e:
            raise InputFileError(f"{log} line {number}: cannot route: {e}") from None
        old_tier = before.tier if before else record["tier"]
        old_model = before.model if before else record["model"]
        old_cost = before.cost_estimate_usd if before else record.get("cost_estimate_usd")
        if old_tier not in TIERS:
            raise InputFileError(f"{log} line {number}: unknown tier {old_tier!r}")
        result.requests += 1
        result.tier_changed += after.tier != old_tier
        result.model_changed += after.model != old_model
        new_cost = after.cost_estimate_usd
        if isinstance(old_cost, (int, float)) and new_cost is not None:
            result.old_cost += old_cost
            result.new_cost += new_cost
            delta = new_cost - old_cost
        else:
            result.unpriced += 1
            delta = None
        if after.tier != old_tier or after.model != old_model:
            result.moved.append(
                {
                    "line": number,
                    "prompt": prompt[:100],
                    "from": f"{old_tier} {old_model}",
                    "to": f"{after.tier} {after.model}",
                    "tier_shift": TIERS.index(after.tier) - TIERS.index(old_tier),
                    "cost_delta": delta,
                }
            )
    return result


def _route(router: Router, record: dict[str, Any], prompt: str, held: dict[tuple[int, str], Held]) -> RoutingDecision:
    """Re-route one logged request with ``router``, carrying its session's state in ``held``
    ((router, session hash) -> what that router held after the session's previous request)."""
    system, max_out, tokens = record.get("system"), record.get("max_output_tokens"), record.get("input_tokens")
    session = record.get("session") if isinstance(record.get("session"), str) else None
    # A session named only by `user` or the first message held once its conversation had
    # begun (the proxy's rule); a reset started it afresh.
    holds = (
        session is not None
        and record.get("turn") != "reset"
        and (record.get("session_source") not in ("user", "first_message") or bool(record.get("has_history")))
    )
    key = (id(router), session or "")
    decision = router.route(
        prompt,
        system_prompt=system if isinstance(system, str) else None,
        profile=str(record["profile"]),
        has_tools=bool(record.get("has_tools")),
        has_vision=bool(record.get("has_vision")),
        max_output_tokens=max_out if isinstance(max_out, int) else None,
        input_tokens=tokens if isinstance(tokens, (int, float)) else None,
        json_output=bool(record.get("json_output")),
        tool_turn=bool(record.get("tool_turn")) and holds,
        held=held.get(key) if holds else None,
    )
    if session is not None:
        held[key] = decision.held
    return decision
