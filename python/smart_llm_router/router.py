"""From a score to a model: profiles, tier tables, capability filters and prices."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from .asks import Ask, RequestError, parse_request
from .catalog import ModelInfo, build_catalog
from .config import AppConfig, load_config
from .errors import ConfigError
from .scoring import DimensionScore, Scorer, ScoreResult
from .tables import DIMENSIONS, TIERS, Tier
from .topic import KEEP, Topic, overlap, topic_words

SMART_PREFIX = "smart/"
_AGENTIC_DIMENSION = DIMENSIONS.index("agenticTask")
_RULE_TEXT = {
    "score": "",
    "ambiguous": "ambiguous score, default tier",
    "reasoning_markers": "several reasoning markers",
    "long_context": "very long input",
    "hard_ask": "short but hard ask",
    "structured_output": "system prompt asks for structured output",
    "proof_ask": "asks for a proof or derivation",
    "agentic_steps": "several agentic actions",
    "math": "math notation",
    "word_problem": "quantities given and one asked for",
    "puzzle": "a logic puzzle about several people",
    "ordering": "comparisons to put in order",
    "choice": "a problem with answer options",
    "reasoning_ask": "asks for a counterexample or the working",
    "argument": "asks whether and why a general claim holds",
    "rework": "reworks a large object",
    "requirements": "a list of requirements of some size",
    "long_ask": "a long ask of some size",
    "open_ask": "an open ask about a described situation",
    "request": "a request or work on given content",
    "numbers_question": "a question that gives numbers",
    "definition": "a short definitional question",
    "small_object": "short work on a small object",
}
_TURN_TEXT = {
    "held": "follow-up: the conversation's tier is held (the ask alone: {scored})",
    "tool_turn": "tool result: the conversation's tier is held",
    "stepped_up": "a harder ask: the conversation steps up",
    "stepped_down": "a self-contained simpler ask: the conversation steps down",
    "reset": "session reset: the ask alone",
}


_MISSING: Any = object()

# What the conversation did with the newest request's tier (``RoutingDecision.turn``).
TURNS = ("new", "same", "held", "stepped_up", "stepped_down", "tool_turn", "reset", "off")
# Turns whose tier is the conversation's, not the newest ask's own: they name the rule.
_HOLDING_TURNS = frozenset({"held", "tool_turn"})


@dataclass(frozen=True, slots=True)
class Held:
    """A conversation's state between requests: what a session keeps."""

    tier: int
    table: str
    model: str | None = None
    # Hashes of the conversation's recent topic words (see ``topic``), the newest first.
    topic: tuple[int, ...] = ()

    def dumps(self) -> str:
        return _dumps_held(self.tier, self.table, self.model, self.topic)

    @classmethod
    def loads(cls, value: Any) -> Held | None:
        """The state stored as ``value`` (a JSON string or its dict); None if unreadable."""
        if isinstance(value, str):
            return _loads_held(value)
        return cls._parse(value)

    @classmethod
    def _parse(cls, value: Any) -> Held | None:
        try:
            data = json.loads(value) if isinstance(value, (str, bytes)) else value
            tier, table, model, words = data["t"], data["tb"], data.get("m"), data.get("w") or []
        except (TypeError, ValueError, KeyError, AttributeError):
            return None
        if not (isinstance(tier, int) and 0 <= tier < len(TIERS) and isinstance(table, str)):
            return None
        topic = tuple(w for w in words[:KEEP] if isinstance(w, int)) if isinstance(words, list) else ()
        return cls(tier, table, model if isinstance(model, str) else None, topic)


# A session's state is read and written on every request of it, mostly unchanged: the same
# string parses to the same (frozen) Held, and the same Held serialises to the same string.
@lru_cache(maxsize=1024)
def _loads_held(value: str) -> Held | None:
    return Held._parse(value)


@lru_cache(maxsize=1024)
def _dumps_held(tier: int, table: str, model: str | None, topic: tuple[int, ...]) -> str:
    return json.dumps({"t": tier, "tb": table, "m": model, "w": topic}, separators=(",", ":"))


class UnknownProfileError(ConfigError):
    """A ``smart/<profile>`` name the configuration does not define."""


class NoModelError(ValueError):
    """No model of the profile can take the request (images, tools, context window)."""


class RoutingDecision:
    """The model chosen for one request, and why."""

    __slots__ = (
        "tier",
        "model",
        "profile",
        "table",
        "fallback_chain",
        "cost_estimate_usd",
        "baseline_cost_usd",
        "savings",
        "estimated_input_tokens",
        "escalation",
        "result",
        "turn",
        "scored_tier",
        "topic",
    )

    def __init__(
        self,
        result: ScoreResult,
        tier: Tier,
        chain: list[ModelInfo],
        profile: str,
        table: str,
        escalation: str | None,
        input_tokens: float,
        cost: float | None,
        baseline: float | None,
        savings: float | None,
        turn: str = "off",
        scored_tier: Tier | None = None,
    ) -> None:
        self.result = result
        # What the conversation did (TURNS), and the tier the newest ask scored on its own.
        self.turn = turn
        self.scored_tier = scored_tier or result.tier
        self.topic = Topic()
        self.tier = tier
        self.model = chain[0].name
        self.fallback_chain = [m.name for m in chain]
        self.profile = profile
        self.table = table
        self.escalation = escalation
        self.estimated_input_tokens = input_tokens
        self.cost_estimate_usd = cost
        self.baseline_cost_usd = baseline
        self.savings = savings

    @property
    def score(self) -> float:
        return self.result.score

    @property
    def confidence(self) -> float:
        return self.result.confidence

    @property
    def ambiguous(self) -> bool:
        return self.result.ambiguous

    @property
    def rule(self) -> str:
        """What decided the tier: the conversation ("held", "tool_turn", "stepped_up",
        "stepped_down") when it moved the tier off the newest ask's own, else the scorer's rule."""
        if self.turn in _HOLDING_TURNS and self.tier != self.scored_tier:
            return self.turn
        if self.turn in ("stepped_up", "stepped_down"):
            return self.turn
        return self.result.rule

    @property
    def held(self) -> Held:
        """The state a session keeps after this decision."""
        return Held(TIERS.index(self.tier), self.table, self.model, self.topic.words())

    @property
    def dimensions(self) -> tuple[DimensionScore, ...]:
        return self.result.dimensions

    @property
    def signals(self) -> list[str]:
        return self.result.signals

    @property
    def reason(self) -> str:
        """One line: tier, why, and any escalation or table switch."""
        why = [f"score {self.score:+.3f}"]
        if self.turn not in ("off", "new", "same"):
            why.append(_TURN_TEXT[self.turn].format(scored=self.scored_tier))
        if _RULE_TEXT.get(self.result.rule):
            why.append(_RULE_TEXT[self.result.rule])
        why += self.signals[:2]
        line = f"{self.tier} ({'; '.join(why)}) -> {self.model}"
        if self.table != self.profile:
            line += f" [{self.table} table]"
        if self.escalation:
            line += f"; {self.escalation}"
        return line

    def to_dict(self) -> dict[str, Any]:
        return {
            "tier": self.tier,
            "model": self.model,
            "profile": self.profile,
            "table": self.table,
            "score": self.score,
            "confidence": self.confidence,
            "ambiguous": self.ambiguous,
            "rule": self.rule,
            "turn": self.turn,
            "scored_tier": self.scored_tier,
            "reason": self.reason,
            "signals": self.signals,
            "fallback_chain": self.fallback_chain,
            "estimated_input_tokens": self.estimated_input_tokens,
            "cost_estimate_usd": self.cost_estimate_usd,
            "baseline_cost_usd": self.baseline_cost_usd,
            "savings": self.savings,
            "escalation": self.escalation,
            "dimensions": self.result.to_dict()["dimensions"],
        }

    def __repr__(self) -> str:
        return f"RoutingDecision({self.reason!r})"


class Router:
    """A scorer plus the model tables of one configuration, built once."""

    def __init__(self, config: AppConfig | str | Path | None = None, *, backend: str | None = None) -> None:
        self.config = config if isinstance(config, AppConfig) else load_config(config)
        smart = self.config.smart_router
        self.scorer = Scorer(smart.scoring, backend=backend)
        self.catalog = build_catalog(self.config)
        self.baseline = self.catalog[smart.baseline]
        self._margin = smart.context_margin
        self._agentic_mode = smart.agentic_mode
        self._agentic_min_raw = smart.agentic_min_raw
        self._assumed_output = smart.assumed_output_tokens
        excluded = set(smart.exclude)
        self.tables: dict[str, dict[str, list[ModelInfo]]] = {
            name: {tier: [self.catalog[m] for m in models if m not in excluded] for tier, models in table.items()}
            for name, table in smart.profiles.items()
        }
        # Models whose model_list entries set their own timeout (for streams, a stream_timeout
        # or a timeout): LiteLLM applies it to them, and the tier's does not replace it.
        self._own_timeout = {stream: _own_timeouts(self.config, stream) for stream in (False, True)}
        self._hops: dict[tuple[str, tuple[str, ...], bool], tuple[float | None, ...] | None] = {}
        for tier, models in self.tables.get("free", {}).items():
            for m in models:
                if not m.free:
                    raise ConfigError(
                        f"{self.config.source}: smart_router.profiles.free.{tier}: {m.name!r} is not "
                        f"free (mark it `free: true` under smart_router.models if it is)"
                    )

    @property
    def profiles(self) -> list[str]:
        return list(self.tables)

    def profile_name(self, name: str) -> str:
        """Normalise ``auto``, ``Smart/Auto``, ... to a defined profile name."""
        if not isinstance(name, str):
            raise TypeError(f"profile must be a str such as 'auto', got {type(name).__name__}")
        if name in self.tables:
            return name
        key = name.strip().lower()
        if key.startswith(SMART_PREFIX):
            key = key[len(SMART_PREFIX) :]
        if key not in self.tables:
            raise UnknownProfileError(f"unknown profile {name!r}: valid profiles are {', '.join(self.profiles)}")
        return key

    def route(
        self,
        prompt: str,
        *,
        system_prompt: str | None = None,
        profile: str = "auto",
        has_tools: bool = False,
        has_vision: bool = False,
        max_output_tokens: int | None = None,
        input_tokens: float | None = None,
        json_output: bool = False,
        history: Sequence[str] = (),
        tool_turn: bool = False,
        held: Held | None = None,
        last_reply: str = "",
    ) -> RoutingDecision:
        """Score ``prompt`` and pick the model. ``input_tokens`` is the whole request's size
        (defaults to the prompt's); ``json_output`` floors the tier at MEDIUM. ``history`` (the
        earlier human asks, oldest first), ``tool_turn`` (the newest content is a tool result)
        ``held`` (a session's state) and ``last_reply`` (the assistant's text before ``prompt``)
        make it a conversation's decision; see ``smart_router.conversation``.

        Raises TypeError or ValueError naming the argument for a wrong one,
        UnknownProfileError for an unknown profile and NoModelError when no model of the
        profile can take the request."""
        args = (
            prompt,
            system_prompt,
            has_tools,
            has_vision,
            max_output_tokens,
            input_tokens,
            json_output,
            history,
            tool_turn,
            held,
            last_reply,
        )
        _check_route_args(*args)
        return self._route(self.profile_name(profile), *args)

    def _route(
        self,
        name: str,
        prompt: str,
        system_prompt: str | None,
        has_tools: bool,
        has_vision: bool,
        max_output_tokens: int | None,
        input_tokens: float | None,
        json_output: bool,
        history: Sequence[str],
        tool_turn: bool,
        held: Held | None,
        last_reply: str,
    ) -> RoutingDecision:
        """``route`` with checked arguments and a defined profile ``name``."""
        conv = self.config.smart_router.conversation
        result = self.scorer.score(prompt, system_prompt=system_prompt)
        scored = self._tier(result, json_output)
        agentic = name == "auto" and self._agentic(result)
        topic = Topic()
        if conv.mode == "off":
            tier, turn = scored, "off"
        else:
            tier, turn, agentic, topic = self._conversation(
                prompt,
                history,
                result,
                scored,
                agentic,
                tool_turn,
                held,
                name,
                system_prompt,
                json_output,
                last_reply,
            )
        table = name
        if name == "auto" and self._agentic_mode != "never" and "agentic" in self.tables:
            tools_job = has_tools and (self._agentic_mode == "always" or tier > 0)
            if agentic or tools_job:
                table = "agentic"
        tokens = float(input_tokens) if input_tokens is not None else result.tokens
        chosen, chain, escalation = self._select(
            self.tables[table], tier, has_vision, has_tools, tokens, max_output_tokens, name, table
        )
        if held is not None and held.model and chosen == held.tier and held.table == table:
            # The same tier keeps the model that served the session (its prompt cache is warm).
            chain.sort(key=lambda m: m.name != held.model)
        out_tokens = max_output_tokens if max_output_tokens is not None else self._assumed_output
        cost = chain[0].cost(tokens, out_tokens)
        baseline = self.baseline.cost(tokens, out_tokens)
        savings: float | None = None
        if name == "premium":
            savings = 0.0
        elif cost is not None and baseline:
            savings = max(0.0, 1.0 - cost / baseline)
        decision = RoutingDecision(
            result,
            TIERS[chosen],
            chain,
            name,
            table,
            escalation,
            tokens,
            cost,
            baseline,
            savings,
            turn,
            TIERS[scored],
        )
        decision.topic = topic
        return decision

    def _tier(self, result: ScoreResult, json_output: bool) -> int:
        tier = TIERS.index(result.tier)
        return max(tier, 1) if json_output else tier

    def _agentic(self, result: ScoreResult) -> bool:
        return self._agentic_mode != "never" and result.raw_value(_AGENTIC_DIMENSION) >= self._agentic_min_raw

    def is_follow_up(self, result: ScoreResult, context: Any = (), words: Sequence[int] | None = None) -> bool:
        """Whether an ask reads as a follow-up within a conversation: very short, short with a
        ``continuations`` keyword ("yes", "now add tests", "und jetzt die Tests"), or about the
        conversation's subject (a ``topic_overlap`` share of its topic ``words`` is in
        ``context``) -- unless it says it opens a new subject (a ``topicShifts`` keyword)."""
        conv = self.config.smart_router.conversation
        markers = result.rule_keywords
        if markers["topicShifts"]:
            return False
        tokens = result.tokens
        if tokens <= conv.follow_up_tokens:
            return True
        if tokens <= conv.reference_tokens and markers["continuations"]:
            return True
        return bool(context) and words is not None and overlap(words, context) >= conv.topic_overlap > 0

    def _conversation(
        self,
        prompt: str,
        history: Sequence[str],
        newest: ScoreResult,
        scored: int,
        agentic: bool,
        tool_turn: bool,
        held: Held | None,
        profile: str,
        system: str | None,
        json_output: bool,
        last_reply: str,
    ) -> tuple[int, str, bool, Topic]:
        """The conversation's tier after its newest request, what the newest turn did, whether
        the conversation is agentic, and its topic. The earlier asks are replayed through the
        same policy from the session's state (if any), so a request that carries its whole
        history and one that carries only its newest turn end up alike."""
        conv = self.config.smart_router.conversation
        step_down = conv.step_down != "never"
        tier = held.tier if held is not None else None
        topic = Topic(held.topic if held is not None else ())
        agentic = agentic or (held is not None and held.table == "agentic" and profile == "auto")
        for ask in history[-conv.history_asks :] if conv.history_asks else ():
            result = self.scorer.score(ask, system_prompt=system)
            tier, _ = self._step(tier, self._tier(result, json_output), result, step_down, ask, topic)
            agentic = agentic or (profile == "auto" and self._agentic(result))
        if tool_turn:
            # The newest ask was decided when it was sent; its tool results change nothing,
            # and an agent loop never steps down.
            tier, _ = self._step(tier, scored, newest, False, prompt, topic)
            return max(tier, held.tier) if held is not None else tier, "tool_turn", agentic, topic
        if last_reply:
            # The assistant's last reply names the subject too (and the session keeps it).
            topic.add(last_reply)
        tier, turn = self._step(tier, scored, newest, step_down, prompt, topic)
        return tier, turn, agentic, topic

    def _step(
        self,
        tier: int | None,
        new: int,
        result: ScoreResult,
        step_down: bool,
        ask: str,
        topic: Topic,
    ) -> tuple[int, str]:
        """One ask through the policy: (tier, what it did); ``topic`` takes the ask in."""
        if tier is None or new >= tier:
            topic.add(ask)
            return new, "new" if tier is None else "stepped_up" if new > tier else "same"
        if step_down and not result.ambiguous:
            if not self.is_follow_up(result, set(topic.words()), topic_words(ask)):
                # A self-contained, simpler new ask: its own subject from here on.
                topic.restart(ask)
                return new, "stepped_down"
        topic.add(ask)
        return tier, "held"

    def route_request(
        self, body: Mapping[str, Any], *, profile: str | None = None, held: Held | None = None
    ) -> RoutingDecision:
        """Route a raw OpenAI chat-completions, Anthropic messages, OpenAI responses or Gemini
        generateContent body, as a conversation (its history counts; ``held`` is a session's
        state). The profile comes from ``body["model"]`` (``smart/<profile>``) unless given.

        Raises RequestError for a body that is not a dict or is malformed (the message names
        the field), UnknownProfileError and NoModelError as ``route``."""
        if not isinstance(body, Mapping):
            raise RequestError(f"the request body must be a JSON object (a dict), got {type(body).__name__}")
        if profile is None:
            model = body.get("model")
            if not isinstance(model, str) or not model.strip().lower().startswith(SMART_PREFIX):
                raise RequestError(f"model must name a smart/<profile>, got {model!r}")
            profile = model
        elif not isinstance(profile, str):
            raise TypeError(f"profile must be a str or None, got {type(profile).__name__}")
        if held is not None and not isinstance(held, Held):
            raise TypeError(f"held must be a Held or None, got {type(held).__name__}")
        ask = parse_request(body, history=self.config.smart_router.conversation.history_asks)
        return self.route_ask(ask, self.profile_name(profile), held=held)

    def route_ask(self, ask: Ask, profile: str, *, held: Held | None = None, reset: bool = False) -> RoutingDecision:
        """Route an already parsed request (see ``asks.parse_request``). ``reset`` routes the
        newest ask alone, as if the conversation began with it."""
        if not isinstance(ask, Ask):
            raise TypeError(f"ask must be an Ask (from asks.parse_request), got {type(ask).__name__}")
        if not isinstance(reset, bool):
            raise TypeError(f"reset must be a bool, got {type(reset).__name__}")
        if held is not None and not isinstance(held, Held):
            raise TypeError(f"held must be a Held or None, got {type(held).__name__}")
        # An Ask comes from parse_request, whose fields need no second check.
        decision = self._route(
            self.profile_name(profile),
            ask.prompt,
            ask.system,
            ask.has_tools,
            ask.has_vision,
            ask.max_output_tokens,
            ask.input_tokens,
            ask.json_output,
            () if reset else ask.history,
            ask.tool_turn and not reset,
            None if reset else held,
            "" if reset else ask.last_reply,
        )
        if reset and decision.turn != "off":
            decision.turn = "reset"
        return decision

    def _fits(self, m: ModelInfo, vision: bool, tools: bool, tokens: float, out: int | None) -> bool:
        return (
            (not vision or m.vision)
            and (not tools or m.tools)
            and (m.max_input_tokens is None or tokens * self._margin <= m.max_input_tokens)
            and (out is None or m.max_output_tokens is None or out <= m.max_output_tokens)
        )

    def _select(
        self,
        table: dict[str, list[ModelInfo]],
        tier: int,
        vision: bool,
        tools: bool,
        tokens: float,
        out: int | None,
        profile: str,
        table_name: str,
    ) -> tuple[int, list[ModelInfo], str | None]:
        """The first tier, from the scored one upward and then downward, with models that
        can take the request; those models in table order."""
        for t in (*range(tier, len(TIERS)), *range(tier - 1, -1, -1)):
            chain = [m for m in table[TIERS[t]] if self._fits(m, vision, tools, tokens, out)]
            if chain:
                note = None
                if t != tier:
                    note = (
                        f"{'escalated' if t > tier else 'moved down'} from {TIERS[tier]}: "
                        f"{self._constraint(table[TIERS[tier]], vision, tools, tokens, out)}"
                    )
                return t, chain, note
        everything = [m for models in table.values() for m in models]
        where = f"profile {profile!r}" + (f" (its {table_name!r} table)" if table_name != profile else "")
        raise NoModelError(
            f"no model of {where} can take this request: {self._constraint(everything, vision, tools, tokens, out)}"
        )

    def _constraint(self, models: list[ModelInfo], vision: bool, tools: bool, tokens: float, out: int | None) -> str:
        """Which requirement the given models fail, in words."""
        if not models:
            return "every model of the tier is excluded"
        reasons = []
        if vision and not any(m.vision for m in models):
            reasons.append("the request has images and no model supports vision")
        if tools and not any(m.tools for m in models):
            reasons.append("the request uses tools and no model supports function calling")
        windows = [m.max_input_tokens for m in models if m.max_input_tokens]
        if windows and tokens * self._margin > max(windows):
            reasons.append(f"~{tokens:.0f} input tokens exceed the largest context window ({max(windows)})")
        outs = [m.max_output_tokens for m in models if m.max_output_tokens]
        if out is not None and outs and out > max(outs):
            reasons.append(f"max_tokens {out} exceeds every model's output limit ({max(outs)})")
        if reasons:
            return "; ".join(reasons)
        # Each requirement is met by some model, but never all by one.
        needs = [f"a context window for ~{tokens:.0f} input tokens"]
        if vision:
            needs.insert(0, "vision")
        if tools:
            needs.insert(-1, "function calling")
        if out is not None:
            needs.append(f"an output limit of {out} tokens")
        return f"no single model has {', '.join(needs[:-1])} and {needs[-1]}"

    def timeouts(self, tier: str, chain: Sequence[str], stream: bool) -> list[float | None] | None:
        """The per-attempt timeout of each model of ``chain`` for a request routed to
        ``tier`` (``smart_router.timeouts``): None where the model's model_list entry sets its
        own (LiteLLM applies it); None as a whole when the config turns timeouts off."""
        key = (tier, tuple(chain), stream)
        hops = self._hops.get(key, _MISSING)
        if hops is _MISSING:
            limits = self.config.smart_router.timeouts
            if limits is None:
                hops = None
            else:
                value = limits.tier(tier).get(stream)
                own = self._own_timeout[stream]
                hops = tuple(None if model in own else value for model in chain)
            if len(self._hops) < 4096:  # the chains of a config: a handful per tier
                self._hops[key] = hops
        return None if hops is None else list(hops)


def _own_timeouts(config: AppConfig, stream: bool) -> frozenset[str]:
    """The model names with a model_list entry that sets its own timeout (LiteLLM reads
    ``stream_timeout`` first for a stream, then ``timeout``/``request_timeout``)."""
    keys = ("stream_timeout", "timeout", "request_timeout") if stream else ("timeout", "request_timeout")
    return frozenset(
        entry["model_name"]
        for entry in config.model_list
        if any((entry.get("litellm_params") or {}).get(k) is not None for k in keys)
    )


def _check_route_args(
    prompt: Any,
    system_prompt: Any,
    has_tools: Any,
    has_vision: Any,
    max_output_tokens: Any,
    input_tokens: Any,
    json_output: Any,
    history: Any,
    tool_turn: Any,
    held: Any,
    last_reply: Any,
) -> None:
    """TypeError or ValueError naming the first wrong argument of ``Router.route``."""
    if not isinstance(prompt, str):
        raise TypeError(f"prompt must be a str, got {type(prompt).__name__}")
    if system_prompt is not None and not isinstance(system_prompt, str):
        raise TypeError(f"system_prompt must be a str or None, got {type(system_prompt).__name__}")
    for name, flag in (
        ("has_tools", has_tools),
        ("has_vision", has_vision),
        ("json_output", json_output),
        ("tool_turn", tool_turn),
    ):
        if not isinstance(flag, bool):
            raise TypeError(f"{name} must be a bool, got {type(flag).__name__}")
    if max_output_tokens is not None:
        if isinstance(max_output_tokens, bool) or not isinstance(max_output_tokens, int):
            raise TypeError(f"max_output_tokens must be an int or None, got {type(max_output_tokens).__name__}")
        if max_output_tokens < 1:
            raise ValueError(f"max_output_tokens must be at least 1, got {max_output_tokens}")
    if input_tokens is not None:
        if isinstance(input_tokens, bool) or not isinstance(input_tokens, (int, float)):
            raise TypeError(f"input_tokens must be a number or None, got {type(input_tokens).__name__}")
        if not (input_tokens >= 0 and math.isfinite(input_tokens)):
            raise ValueError(f"input_tokens must be a finite number >= 0, got {input_tokens}")
    if type(history) is not tuple and (isinstance(history, (str, bytes)) or not isinstance(history, Sequence)):
        raise TypeError(f"history must be a sequence of str (the earlier asks), got {type(history).__name__}")
    for i, ask in enumerate(history):
        if not isinstance(ask, str):
            raise TypeError(f"history[{i}] must be a str, got {type(ask).__name__}")
    if held is not None and not isinstance(held, Held):
        raise TypeError(f"held must be a Held or None, got {type(held).__name__}")
    if not isinstance(last_reply, str):
        raise TypeError(f"last_reply must be a str, got {type(last_reply).__name__}")


_routers: dict[str, tuple[int | None, Router]] = {}


def _mtime(key: str) -> int | None:
    try:
        return Path(key).stat().st_mtime_ns if key else None
    except OSError:
        return None


def get_router(config: Router | AppConfig | str | Path | None = None) -> Router:
    """A Router for ``config``: the bundled config's and each file's are built once (and
    again when the file changes)."""
    if isinstance(config, Router):
        return config
    if isinstance(config, AppConfig):
        return Router(config)
    if config is not None and not isinstance(config, (str, os.PathLike)):
        raise TypeError(f"config must be a Router, an AppConfig, a path or None, got {type(config).__name__}")
    key = "" if config is None else str(Path(config).resolve())
    stamp = _mtime(key)
    cached = _routers.get(key)
    if cached is None or cached[0] != stamp:
        _routers[key] = (stamp, Router(config))
    return _routers[key][1]


def route(
    prompt: str,
    *,
    system_prompt: str | None = None,
    profile: str = "auto",
    has_tools: bool = False,
    has_vision: bool = False,
    max_output_tokens: int | None = None,
    config: Router | AppConfig | str | Path | None = None,
) -> RoutingDecision:
    """Pick the model for ``prompt`` (see ``Router.route``)."""
    return get_router(config).route(
        prompt,
        system_prompt=system_prompt,
        profile=profile,
        has_tools=has_tools,
        has_vision=has_vision,
        max_output_tokens=max_output_tokens,
    )


def route_request(body: Mapping[str, Any], *, config: Router | AppConfig | str | Path | None = None) -> RoutingDecision:
    """Pick the model for a raw chat-completions, messages, responses or Gemini request body
    (see ``Router.route_request``)."""
    return get_router(config).route_request(body)
