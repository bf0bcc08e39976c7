"""`slr eval`: how well the router routes labelled prompts, and what routing by our score
buys on outcome files (cost/quality curve, APGR).

Two JSONL file kinds, told apart by their fields:

* labelled: ``{"prompt": ..., "tier": "SIMPLE"|...}`` plus optional ``profile``, ``system``,
  ``tools`` (bool), ``images`` (count or bool);
* outcomes: ``{"prompt": ..., "cheap": q, "strong": q}`` where q is how well a cheap and a
  strong model answered (0/1 or a score).

APGR follows the RouteLLM paper: route the prompts the router ranks highest (by tier, then
score: the rules that lift a tier outrank the raw score) to the strong model first; PGR(c) = (quality(c) - quality_cheap) / (quality_strong - quality_cheap) at call
share c; APGR is the area under PGR over c in [0, 1] (trapezoids through every k/n, prompts
with equal scores taken as random tie-breaks, i.e. their gain spread evenly). Random routing
scores 0.5; a perfect ranking approaches 1 as the strong model's gains concentrate in few
prompts (1 - g/2n for g equally useful prompts out of n).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .router import Router, RoutingDecision
from .tables import TIERS


class InputFileError(ValueError):
    """A file `slr eval` / `slr replay` cannot use; the message names the file and line."""


def read_jsonl(path: Path, required: tuple[str, ...] = ()) -> list[tuple[int, dict[str, Any]]]:
    """(line number, object) for every non-empty line; errors name file and line."""
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise InputFileError(f"{path}: cannot read: {e.strerror or e}") from None
    rows = []
    for number, line in enumerate(raw.splitlines(), 1):
        if not line.strip():
            continue
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError:
            raise InputFileError(f"{path} line {number}: not UTF-8 text") from None
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as e:
            raise InputFileError(f"{path} line {number}: not valid JSON ({e.msg})") from None
        if not isinstance(obj, dict):
            raise InputFileError(f"{path} line {number}: expected a JSON object")
        for key in required:
            if key not in obj:
                raise InputFileError(f"{path} line {number}: missing field {key!r}")
        rows.append((number, obj))
    if not rows:
        raise InputFileError(f"{path}: no records (empty file?)")
    return rows


def _field(obj: dict[str, Any], key: str, kind: type | tuple[type, ...], where: str, optional: bool = True) -> Any:
    value = obj.get(key)
    if value is None and optional:
        return None
    if not isinstance(value, kind) or isinstance(value, bool) and kind in (int, float, (int, float)):
        raise InputFileError(f"{where}: field {key!r} has the wrong type ({type(value).__name__})")
    return value


class _ByTier:
    """Per-tier figures of a (expected, routed) confusion count."""

    confusion: Counter[tuple[str, str]]

    def recall(self, tier: str) -> float | None:
        n = sum(v for (e, _), v in self.confusion.items() if e == tier)
        return self.confusion[(tier, tier)] / n if n else None

    def precision(self, tier: str) -> float | None:
        n = sum(v for (_, g), v in self.confusion.items() if g == tier)
        return self.confusion[(tier, tier)] / n if n else None

    def confusion_dict(self) -> dict[str, dict[str, int]]:
        return {e: {g: self.confusion[(e, g)] for g in TIERS} for e in TIERS}


def expand_paths(paths: list[Path]) -> list[Path]:
    """Files as given; a folder stands for the ``*.jsonl`` files under it, sorted."""
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(path.rglob("*.jsonl"))
            if not found:
                raise InputFileError(f"{path}: no .jsonl files in this folder")
            out.extend(found)
        else:
            out.append(path)
    return out


@dataclass
class EvalResult(_ByTier):
    total: int
    correct: int
    confusion: Counter[tuple[str, str]]
    misrouted: list[dict[str, Any]] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "correct": self.correct,
            "accuracy": self.accuracy,
            "per_tier": {t: {"precision": self.precision(t), "recall": self.recall(t)} for t in TIERS},
            "confusion": self.confusion_dict(),
            "misrouted": self.misrouted,
        }


def file_kind(rows: list[tuple[int, dict[str, Any]]], path: Path) -> str:
    first = rows[0][1]
    if "tier" in first:
        return "labelled"
    if "cheap" in first and "strong" in first:
        return "outcomes"
    raise InputFileError(
        f"{path} line {rows[0][0]}: expected a 'tier' (labelled prompts) or 'cheap' and 'strong' (outcomes)"
    )


def labelled_request(obj: dict[str, Any], where: str) -> tuple[str, dict[str, Any]]:
    """(expected tier, ``Router.route`` keyword arguments) of one labelled-prompt line."""
    prompt = _field(obj, "prompt", str, where, optional=False)
    expected = obj.get("tier")
    if expected not in TIERS:
        raise InputFileError(f"{where}: 'tier' must be one of {', '.join(TIERS)}, got {expected!r}")
    return expected, {
        "prompt": prompt,
        "system_prompt": _field(obj, "system", str, where),
        "profile": _field(obj, "profile", str, where) or "auto",
        "has_tools": bool(obj.get("tools")),
        "has_vision": bool(obj.get("images")),
    }


def evaluate_labelled(
    rows: list[tuple[int, dict[str, Any]]], path: Path, router: Router, into: EvalResult | None = None
) -> EvalResult:
    """Route every labelled line; ``into`` adds this file's figures to another's result."""
    result = into if into is not None else EvalResult(total=0, correct=0, confusion=Counter())
    confusion = result.confusion
    for number, obj in rows:
        expected, request = labelled_request(obj, f"{path} line {number}")
        prompt = request["prompt"]
        decision = router.route(**request)
        confusion[(expected, decision.tier)] += 1
        result.total += 1
        if decision.tier == expected:
            result.correct += 1
        else:
            result.misrouted.append(
                {
                    "file": str(path),
                    "line": number,
                    "expected": expected,
                    "got": decision.tier,
                    "prompt": prompt[:120],
                    "signals": decision.signals[:3],
                    "rule": decision.rule,
                }
            )
    return result


@dataclass
class Curve:
    points: list[tuple[float, float]]  # (share of calls to the strong model, PGR)
    apgr: float
    quality_cheap: float
    quality_strong: float
    operating_point: tuple[float, float, float]  # (share, quality, PGR) of the tier mapping
    ideal: Curve | None = None  # the same prompts ranked by their actual gain


def cost_quality_curve(scores: list[Any], cheap: list[float], strong: list[float], routed_strong: list[bool]) -> Curve:
    """The PGR curve of routing by descending rank key (ties spread evenly) and its area."""
    n = len(scores)
    q_cheap, q_strong = sum(cheap) / n, sum(strong) / n
    span = q_strong - q_cheap
    order = sorted(range(n), key=lambda i: scores[i], reverse=True)
    points = [(0.0, 0.0)]
    gained = 0.0
    i = 0
    while i < n:
        j = i
        while j < n and scores[order[j]] == scores[order[i]]:
            j += 1
        group_gain = sum(strong[k] - cheap[k] for k in order[i:j])
        for step in range(1, j - i + 1):  # random tie-break: each routed prompt adds the mean gain
            points.append(((i + step) / n, (gained + group_gain * step / (j - i)) / n))
        gained += group_gain
        i = j
    if span:
        points = [(c, g / span) for c, g in points]
    else:
        points = [(c, 0.0) for c, _ in points]
    area = sum((c1 - c0) * (p0 + p1) / 2 for (c0, p0), (c1, p1) in zip(points, points[1:]))
    share = sum(routed_strong) / n
    quality = sum(strong[k] if routed_strong[k] else cheap[k] for k in range(n)) / n
    pgr = (quality - q_cheap) / span if span else 0.0
    return Curve(points, area, q_cheap, q_strong, (share, quality, pgr))


def outcome_request(obj: dict[str, Any], where: str) -> tuple[dict[str, Any], float, float]:
    """(``Router.route`` keyword arguments, cheap quality, strong quality) of one outcome line."""
    prompt = _field(obj, "prompt", str, where, optional=False)
    cheap, strong = (float(_field(obj, key, (int, float), where, optional=False)) for key in ("cheap", "strong"))
    request = {
        "prompt": prompt,
        "system_prompt": _field(obj, "system", str, where),
        "profile": _field(obj, "profile", str, where) or "auto",
    }
    return request, cheap, strong


def rank_key(decision: RoutingDecision) -> tuple[int, float]:
    """How outcome evaluation ranks a routed prompt for the strong model: by tier (the rules
    that lift a tier outrank the raw score), then by score."""
    return TIERS.index(decision.tier), decision.score


def evaluate_outcomes(
    files: list[tuple[Path, list[tuple[int, dict[str, Any]]]]], router: Router, strong_from: str
) -> Curve:
    """One cost/quality curve over the outcome lines of all ``files`` (path, rows)."""
    requests = [outcome_request(obj, f"{path} line {number}") for path, rows in files for number, obj in rows]
    return outcome_curve(requests, router, strong_from)


def outcome_curve(requests: list[tuple[dict[str, Any], float, float]], router: Router, strong_from: str) -> Curve:
    """The cost/quality curve of routing ``requests`` (see ``outcome_request``) with ``router``."""
    scores, cheap, strong, routed = [], [], [], []
    threshold = TIERS.index(strong_from)
    for request, q_cheap, q_strong in requests:
        decision = router.route(**request)
        scores.append(rank_key(decision))
        cheap.append(q_cheap)
        strong.append(q_strong)
        routed.append(TIERS.index(decision.tier) >= threshold)
    curve = cost_quality_curve(scores, cheap, strong, routed)
    curve.ideal = cost_quality_curve([s - c for s, c in zip(strong, cheap)], cheap, strong, routed)
    return curve


def plot_curve(curve: Curve, out: Path) -> None:
    """Draw the curve against random and the ideal router (needs matplotlib)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise InputFileError("--plot needs matplotlib: pip install 'smart-llm-router[plot]'") from None
    fig, ax = plt.subplots(figsize=(6, 4.5))
    xs, ys = zip(*curve.points)
    ax.plot(xs, ys, label=f"smart-llm-router score (APGR {curve.apgr:.3f})")
    ax.plot([0, 1], [0, 1], "--", color="grey", label="random (APGR 0.500)")
    if curve.ideal is not None:
        ix, iy = zip(*curve.ideal.points)
        ax.plot(ix, iy, ":", color="green", label=f"ideal router (APGR {curve.ideal.apgr:.3f})")
    share, _, pgr = curve.operating_point
    ax.scatter([share], [pgr], color="red", zorder=3, label="current tier mapping")
    ax.set_xlabel("share of calls to the strong model")
    ax.set_ylabel("performance gap recovered")
    ax.legend(loc="lower right", fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    tmp = out.with_name(out.name + ".tmp.png")
    fig.savefig(tmp, dpi=120)
    tmp.replace(out)
    plt.close(fig)


# --- Conversations ---------------------------------------------------------------------------


@dataclass
class ConversationEval(_ByTier):
    """Per-turn results of routing labelled conversations two ways: as the proxy does (the
    conversation policy with a session) and per message (``conversation.mode: off``)."""

    conversations: int = 0
    turns: int = 0
    correct: int = 0
    correct_per_message: int = 0
    downgrades: int = 0  # routed below the previous turn while the label did not drop
    downgrades_per_message: int = 0
    under: int = 0  # routed below the label
    cost: float = 0.0
    cost_per_message: float = 0.0
    confusion: Counter[tuple[str, str]] = field(default_factory=Counter)
    by_language: dict[str, list[int]] = field(default_factory=dict)  # lang -> [correct, turns]
    misrouted: list[dict[str, Any]] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        return self.correct / self.turns if self.turns else 0.0

    @property
    def accuracy_per_message(self) -> float:
        return self.correct_per_message / self.turns if self.turns else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "conversations": self.conversations,
            "turns": self.turns,
            "accuracy": self.accuracy,
            "accuracy_per_message": self.accuracy_per_message,
            "mid_task_downgrades": self.downgrades,
            "mid_task_downgrades_per_message": self.downgrades_per_message,
            "under_routed": self.under,
            "cost_usd": self.cost,
            "cost_per_message_usd": self.cost_per_message,
            "by_language": {k: {"accuracy": c / n, "turns": n} for k, (c, n) in sorted(self.by_language.items())},
            "confusion": self.confusion_dict(),
            "misrouted": self.misrouted,
        }


def is_conversation_file(rows: list[tuple[int, dict[str, Any]]]) -> bool:
    return "messages" in rows[0][1] or "contents" in rows[0][1]


def per_message_router(router: Router) -> Router:
    """The same configuration with the conversation policy off."""
    smart = router.config.smart_router
    conv = smart.conversation.model_copy(update={"mode": "off"})
    config = router.config.model_copy(update={"smart_router": smart.model_copy(update={"conversation": conv})})
    return Router(config, backend=router.scorer.backend)


def conversation_requests(obj: dict[str, Any], where: str) -> list[tuple[str, dict[str, Any]]]:
    """(expected tier, request body) for every labelled message: the body holds every message
    up to and including it, without the labels."""
    messages = _field(obj, "messages", list, where, optional=False)
    tools = obj.get("tools")
    profile = _field(obj, "profile", str, where) or "auto"
    requests, clean = [], []
    for i, message in enumerate(messages):
        if not isinstance(message, dict):
            raise InputFileError(f"{where}: messages[{i}] must be an object")
        clean.append({k: v for k, v in message.items() if k != "tier"})
        if "tier" in message:
            if message["tier"] not in TIERS:
                raise InputFileError(f"{where}: messages[{i}].tier must be one of {', '.join(TIERS)}")
            body: dict[str, Any] = {"model": f"smart/{profile}", "messages": list(clean)}
            if tools:
                body["tools"] = tools
            requests.append((message["tier"], body))
    if not requests:
        raise InputFileError(f"{where}: no message carries a 'tier' label")
    return requests


def evaluate_conversations(
    files: list[tuple[Path, list[tuple[int, dict[str, Any]]]]], router: Router
) -> ConversationEval:
    """Route every labelled turn with the session's held state carried from the previous
    turn (as the proxy does), and once more per message."""
    plain = per_message_router(router)
    out = ConversationEval()
    for path, rows in files:
        for number, obj in rows:
            where = f"{path} line {number}"
            held = None
            previous: tuple[int, int, int] | None = None  # expected, routed, routed per message
            out.conversations += 1
            lang = str(obj.get("lang") or "?")
            for expected, body in conversation_requests(obj, where):
                try:
                    decision = router.route_request(body, held=held)
                    alone = plain.route_request(body)
                except ValueError as error:
                    raise InputFileError(f"{where}: cannot route: {error}") from None
                held = decision.held
                e, got, got_alone = TIERS.index(expected), TIERS.index(decision.tier), TIERS.index(alone.tier)
                out.turns += 1
                out.correct += got == e
                out.correct_per_message += got_alone == e
                out.under += got < e
                out.confusion[(expected, decision.tier)] += 1
                stats = out.by_language.setdefault(lang, [0, 0])
                stats[0] += got == e
                stats[1] += 1
                out.cost += decision.cost_estimate_usd or 0.0
                out.cost_per_message += alone.cost_estimate_usd or 0.0
                if previous is not None and e >= previous[0]:
                    out.downgrades += got < previous[1]
                    out.downgrades_per_message += got_alone < previous[2]
                previous = (e, got, got_alone)
                if got != e:
                    last = body["messages"][-1]
                    text = last.get("content") if isinstance(last.get("content"), str) else ""
                    out.misrouted.append(
                        {
                            "where": f"{where} ({obj.get('id', '?')})",
                            "turn": len(body["messages"]),
                            "expected": expected,
                            "got": decision.tier,
                            "rule": decision.rule,
                            "turn_kind": decision.turn,
                            "text": (text or "")[:100],
                        }
                    )
    return out
