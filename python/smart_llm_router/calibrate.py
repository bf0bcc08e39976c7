"""`slr calibrate`: fit the numbers of ``smart_router.scoring`` to a user's labelled traffic.

What is fitted: the dimension weights (0..1), the three tier boundaries, the keyword
saturations and the ambiguity threshold, by coordinate descent from the starting config and
from a few seeded random restarts (``fitting.py``); k-fold cross-validation says whether the
fit generalises. Nothing is learnt at request time: the result is a config.

Objective: on labelled prompts and conversations, the number routed to their tier (ties go to
fewer under-routed requests, which lose quality where over-routing only costs money); on
outcome files, APGR as ``slr eval`` computes it.

Speed without a second scorer: every request is routed by the real ``Router`` under eight
*probe* configs. All weights are 0, so every score is 0; the boundaries put 0 in one tier; the
saturations are 2**20, so a keyword dimension's raw value is its signal count / 2**20, exact in
binary floating point, and the count reads back exactly; the agentic table is forced on or off.
That gives, per request, the counts of every dimension and the routed tier for each tier the
score may fall in: what the rules and floors, the JSON floor and the model tables make of it.
``fitting.Model`` then evaluates candidate numbers on these arrays. It is checked against the
real router request by request on the starting config and on the fitted one; a mismatch is an
error, not a silent difference. Every figure reported comes from the real router through
``evaluate``'s functions, the code ``slr eval`` runs.

Conversations: a turn's tier comes from the conversation policy, which the probes cannot
reproduce per candidate, so the search fits the turns that carry their own tier (the newest ask
routed per message; tool-result turns and follow-ups are left out), while the figures reported
and gated are per-turn accuracy with the policy, from ``evaluate_conversations``.
"""

from __future__ import annotations

import math
import os
import random
import shutil
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .asks import parse_request
from .config import AppConfig, bundled_config_path, load_config
from .evaluate import (
    ConversationEval,
    Curve,
    InputFileError,
    conversation_requests,
    evaluate_conversations,
    evaluate_labelled,
    expand_paths,
    file_kind,
    is_conversation_file,
    labelled_request,
    outcome_curve,
    outcome_request,
    per_message_router,
    read_jsonl,
)
from .fitting import Fixed, LabelledModel, Model, OutcomeModel, Params, Probed, fit
from .router import Router, RoutingDecision
from .scoring_config import ScoringConfig
from .tables import DIMENSIONS, TIERS
from .yaml_edit import set_values

# Probe saturation: count / 2**20 and back are exact for any count below 2**20.
PROBE_SATURATION = 2.0**20

Progress = Callable[[str, int, int], None]


class ModelMismatchError(RuntimeError):
    """The fast model and the real router disagree: calibrate does not know this scorer."""


# --- Inputs ----------------------------------------------------------------------------------


@dataclass
class Unit:
    """What folds are made of: one labelled prompt, one conversation or one outcome line."""

    path: Path
    number: int
    obj: dict[str, Any]
    kind: str  # "prompt" | "conversation" | "outcome"
    stratum: str


@dataclass
class Item:
    """One routed request the search sees."""

    unit: int
    where: str
    label: int  # expected tier index; -1 for outcome lines
    request: dict[str, Any] | None = None  # Router.route arguments
    body: dict[str, Any] | None = None  # a conversation's request, routed per message
    cheap: float = 0.0
    strong: float = 0.0


@dataclass
class Inputs:
    kind: str  # "labelled" | "outcomes"
    units: list[Unit]
    items: list[Item]


def read_inputs(paths: Sequence[Path]) -> Inputs:
    """Read labelled prompts and conversations, or outcome files; errors name the file and
    line (``InputFileError``)."""
    units: list[Unit] = []
    items: list[Item] = []
    kinds: dict[str, Path] = {}
    for path in expand_paths(list(paths)):
        rows = read_jsonl(path)
        kind = "conversation" if is_conversation_file(rows) else file_kind(rows, path)
        kind = {"labelled": "prompt", "outcomes": "outcome"}.get(kind, kind)
        kinds.setdefault("outcome" if kind == "outcome" else "labelled", path)
        for number, obj in rows:
            where = f"{path} line {number}"
            unit = len(units)
            if kind == "prompt":
                tier, request = labelled_request(obj, where)
                items.append(Item(unit, where, TIERS.index(tier), request=request))
                stratum = tier
            elif kind == "outcome":
                request, cheap, strong = outcome_request(obj, where)
                items.append(Item(unit, where, -1, request=request, cheap=cheap, strong=strong))
                stratum = str((strong > cheap) - (strong < cheap))
            else:
                turns = conversation_requests(obj, where)
                for i, (tier, body) in enumerate(turns):
                    items.append(Item(unit, f"{where} (request {i + 1})", TIERS.index(tier), body=body))
                stratum = "conversation"
            units.append(Unit(path, number, obj, kind, stratum))
    if len(kinds) > 1:
        raise InputFileError(
            f"{kinds['outcome']} holds outcomes and {kinds['labelled']} labelled prompts: calibrate one kind at a time"
        )
    kind = "outcomes" if "outcome" in kinds else "labelled"
    if kind == "labelled":
        seen = sorted({item.label for item in items})
        if len(seen) < 2:
            raise InputFileError(
                f"{', '.join(sorted({str(u.path) for u in units}))}: every label is {TIERS[seen[0]]}; "
                "calibration needs at least two tiers"
            )
    else:
        if all(i.cheap == items[0].cheap for i in items) and all(i.strong == items[0].strong for i in items):
            raise InputFileError(f"{units[0].path}: every line has the same outcomes; there is nothing to rank")
    return Inputs(kind, units, items)


def assign_folds(units: list[Unit], k: int, seed: int) -> list[int]:
    """The fold of each unit: shuffled with ``seed`` within each stratum (tier, or sign of the
    strong model's gain), then dealt in turn, so every fold has its share of each."""
    if k < 2:
        raise InputFileError(f"--folds must be at least 2, got {k}")
    if len(units) < k:
        files = ", ".join(sorted({str(u.path) for u in units}))
        raise InputFileError(
            f"{files}: {len(units)} lines cannot be split into {k} folds: give more data or fewer --folds"
        )
    rng = random.Random(seed)
    by_stratum: dict[str, list[int]] = {}
    for i, unit in enumerate(units):
        by_stratum.setdefault(unit.stratum, []).append(i)
    folds = [0] * len(units)
    turn = 0
    for stratum in sorted(by_stratum):
        members = by_stratum[stratum]
        rng.shuffle(members)
        for i in members:
            folds[i] = turn % k
            turn += 1
    return folds


# --- Configs ---------------------------------------------------------------------------------


def with_scoring(app: AppConfig, scoring: ScoringConfig, **smart: Any) -> AppConfig:
    """``app`` with another ``smart_router.scoring`` (and other smart_router settings)."""
    section = app.smart_router.model_copy(update={"scoring": scoring, **smart})
    return app.model_copy(update={"smart_router": section})


# --- Probes ----------------------------------------------------------------------------------


class Routers:
    """A router and, built on first use, its per-message twin (for conversation turns)."""

    def __init__(self, router: Router) -> None:
        self.router = router
        self._per_message: Router | None = None

    def route(self, item: Item) -> RoutingDecision:
        if item.body is None:
            assert item.request is not None
            return self.router.route(**item.request)
        if self._per_message is None:
            self._per_message = per_message_router(self.router)
        return self._per_message.route_request(item.body)


def _forced(app: AppConfig, tier: int, agentic: bool) -> AppConfig:
    """A config under which every score is 0, 0 lies in ``tier`` far from any boundary, raw
    values are counts / 2**20, and the agentic table is taken whenever the profile allows."""
    scoring = app.smart_router.scoring
    data = scoring.model_dump()
    data["weights"] = {d: 0.0 for d in DIMENSIONS}
    data["saturation"] = {d: PROBE_SATURATION for d in scoring.saturation}
    data["boundaries"] = [k + 0.5 - tier for k in range(3)]
    data["ambiguity_threshold"] = 0.0
    # Raw values are below 1 (count < 2**20) and at least 0: 1.0 never, 0.0 always.
    return with_scoring(app, ScoringConfig.model_validate(data), agentic_min_raw=0.0 if agentic else 1.0)


def probe(app: AppConfig, items: list[Item], progress: Progress | None = None, backend: str | None = None) -> Probed:
    """Route every item under the eight probe configs of ``app``: its dimension columns and
    its table of routed tiers (see the module docstring)."""
    routers = [
        Routers(Router(_forced(app, t, agentic), backend=backend)) for agentic in (False, True) for t in range(4)
    ]
    saturated = [app.smart_router.scoring.saturation.get(d) is not None for d in DIMENSIONS]  # type: ignore[call-overload]
    columns: list[list[float]] = [[] for _ in DIMENSIONS]
    negative = [False] * len(DIMENSIONS)
    tables = []
    for n, item in enumerate(items):
        decisions = [r.route(item) for r in routers]
        result = decisions[0].result
        for d, column in enumerate(columns):
            raw = result.raw_value(d)
            if saturated[d]:
                if raw < 0:
                    negative[d] = True
                column.append(abs(raw) * PROBE_SATURATION)
            else:
                column.append(raw)
        tables.append(tuple(TIERS.index(x.tier) for x in decisions))
        if progress is not None and (n % 256 == 0 or n == len(items) - 1):
            progress("routing the requests", n + 1, len(items))
    signs = [-1.0 if neg else 1.0 for neg in negative]
    return Probed(columns, signs, tables)


# --- Real evaluation -------------------------------------------------------------------------


@dataclass
class Labelled:
    """Routing figures of labelled prompts and conversation turns (per turn, with the
    conversation policy), from ``evaluate``."""

    correct: int = 0
    total: int = 0
    confusion: Counter[tuple[str, str]] = field(default_factory=Counter)
    turns_correct: int = 0
    turns: int = 0

    def add(self, confusion: Counter[tuple[str, str]], conversation: bool) -> None:
        correct = sum(v for (e, g), v in confusion.items() if e == g)
        total = sum(confusion.values())
        self.confusion.update(confusion)
        self.correct += correct
        self.total += total
        if conversation:
            self.turns_correct += correct
            self.turns += total

    def merge(self, other: Labelled) -> None:
        self.confusion.update(other.confusion)
        self.correct += other.correct
        self.total += other.total
        self.turns_correct += other.turns_correct
        self.turns += other.turns

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else 0.0

    @property
    def under_routed(self) -> int:
        return sum(v for (e, g), v in self.confusion.items() if TIERS.index(g) < TIERS.index(e))

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "accuracy": self.accuracy,
            "correct": self.correct,
            "total": self.total,
            "under_routed": self.under_routed,
            "confusion": {e: {g: self.confusion[(e, g)] for g in TIERS} for e in TIERS},
        }
        if self.turns:
            out["conversation_turns"] = {"accuracy": self.turns_correct / self.turns, "turns": self.turns}
        return out


def evaluate_units(units: list[Unit], selected: list[int], router: Router) -> Labelled:
    """``slr eval``'s figures for the selected labelled units under ``router``."""
    out = Labelled()
    prompts: dict[Path, list[tuple[int, dict[str, Any]]]] = {}
    conversations: dict[Path, list[tuple[int, dict[str, Any]]]] = {}
    for u in selected:
        unit = units[u]
        (prompts if unit.kind == "prompt" else conversations).setdefault(unit.path, []).append((unit.number, unit.obj))
    for path, rows in prompts.items():
        out.add(evaluate_labelled(rows, path, router).confusion, False)
    if conversations:
        result: ConversationEval = evaluate_conversations(list(conversations.items()), router)
        out.add(result.confusion, True)
    return out


@dataclass
class Outcomes:
    """``slr eval``'s outcome figures, averaged over folds (weighted by their size)."""

    apgr: float = 0.0
    strong_share: float = 0.0
    quality: float = 0.0
    pgr: float = 0.0
    # Share of strong calls at which the curve recovers the starting config's PGR.
    share_at_start_quality: float = 0.0
    prompts: int = 0

    def add(self, curve: Curve, n: int, start_pgr: float) -> None:
        share, quality, pgr = curve.operating_point
        at = share_for_pgr(curve, start_pgr)
        total = self.prompts + n
        for name, value in (
            ("apgr", curve.apgr),
            ("strong_share", share),
            ("quality", quality),
            ("pgr", pgr),
            ("share_at_start_quality", at),
        ):
            # (a first fold's figure as is: the whole data's must read as slr eval prints it)
            setattr(self, name, (getattr(self, name) * self.prompts + value * n) / total if self.prompts else value)
        self.prompts = total

    def to_dict(self) -> dict[str, Any]:
        return {
            "apgr": self.apgr,
            "strong_share": self.strong_share,
            "quality": self.quality,
            "pgr": self.pgr,
            "strong_share_at_starting_quality": self.share_at_start_quality,
            "prompts": self.prompts,
        }


def share_for_pgr(curve: Curve, target: float) -> float:
    """The least share of strong calls at which ``curve`` reaches ``target`` PGR (linear
    between its points)."""
    points = curve.points
    for (c0, p0), (c1, p1) in zip(points, points[1:]):
        if p1 >= target:
            if p1 == p0 or p0 >= target:
                return c0 if p0 >= target else c1
            return c0 + (c1 - c0) * (target - p0) / (p1 - p0)
    return 1.0


# --- The whole run ---------------------------------------------------------------------------


@dataclass
class Result:
    """What ``calibrate`` found: figures before and after, and the fitted numbers."""

    inputs: Inputs
    folds: int
    seed: int
    backend: str
    strong_from: str
    before: Labelled | Outcomes  # the starting config on all the data (= on every held-out fold)
    after: Labelled | Outcomes  # each fold's fit on its held-out fold, pooled
    fitted: Labelled | Outcomes  # the config fitted on everything, on all the data
    start: Params
    params: Params
    config: ScoringConfig
    seconds: float

    @property
    def overrides(self) -> dict[str, Any]:
        """The ``smart_router.scoring`` numbers that changed."""
        return self.params.overrides(self.start)

    @property
    def changes(self) -> list[tuple[str, Any, Any]]:
        """(key, from, to) of each changed number."""
        old = self.start.overrides(self.params)
        out = []
        for key, value in self.overrides.items():
            if isinstance(value, dict):
                out += [(f"{key}.{sub}", old[key][sub], v) for sub, v in value.items()]
            else:
                out.append((key, old[key], value))
        return out

    @property
    def improved(self) -> bool:
        """Whether the held-out folds did better than the starting config."""
        if isinstance(self.before, Labelled) and isinstance(self.after, Labelled):
            return (self.after.correct, -self.after.under_routed) > (self.before.correct, -self.before.under_routed)
        assert isinstance(self.before, Outcomes) and isinstance(self.after, Outcomes)
        return self.after.apgr > self.before.apgr + 1e-12

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.inputs.kind,
            "requests": len(self.inputs.items),
            "lines": len(self.inputs.units),
            "folds": self.folds,
            "seed": self.seed,
            "backend": self.backend,
            **({"strong_from": self.strong_from} if self.inputs.kind == "outcomes" else {}),
            "held_out": {"before": self.before.to_dict(), "after": self.after.to_dict()},
            "improved": self.improved,
            "fitted_on_all": self.fitted.to_dict(),
            "overrides": self.overrides,
            "changes": [{"key": k, "from": a, "to": b} for k, a, b in self.changes],
            "seconds": self.seconds,
        }


def _model(inputs: Inputs, probed: Probed, rows: list[int], fixed: Fixed) -> Model:
    items = inputs.items
    if inputs.kind == "outcomes":
        return OutcomeModel(probed, rows, fixed, [i.cheap for i in items], [i.strong for i in items])
    return LabelledModel(probed, rows, fixed, [i.label for i in items])


def check_model(model: Model, router: Router, items: list[Item], what: str) -> None:
    """Raise ``ModelMismatchError`` unless the fast model (set on every item) routes every
    item as ``router`` does: the same tier and the same score, bit for bit."""
    routers = Routers(router)
    for k, item in enumerate(items):
        decision = routers.route(item)
        if TIERS.index(decision.tier) != model.tiers[k] or decision.score != model.scores[k]:
            raise ModelMismatchError(
                f"{item.where}: with the {what} config the router gives {decision.tier} (score "
                f"{decision.score!r}) where calibrate's model gives {TIERS[model.tiers[k]]} (score "
                f"{model.scores[k]!r}); calibrate does not model this scorer: please report it"
            )


def fitted_items(inputs: Inputs, app: AppConfig, backend: str | None = None) -> list[int]:
    """The items the search fits: every prompt and outcome line; of conversations, the turns
    whose newest content is a human ask that is not a follow-up (the others hold the
    conversation's tier whatever their own)."""
    router = Router(app, backend=backend)
    history = app.smart_router.conversation.history_asks
    plain = Routers(router)
    out = []
    for i, item in enumerate(inputs.items):
        if item.body is not None:
            if parse_request(item.body, history=history).tool_turn:
                continue
            if router.is_follow_up(plain.route(item).result):
                continue
        out.append(i)
    return out


def measure(
    inputs: Inputs, app: AppConfig, strong_from: str = "COMPLEX", backend: str | None = None
) -> Labelled | Outcomes:
    """``slr eval``'s figures for all of ``inputs`` under ``app``."""
    router = Router(app, backend=backend)
    if inputs.kind == "labelled":
        return evaluate_units(inputs.units, list(range(len(inputs.units))), router)
    curve = outcome_curve(_outcome_requests(inputs, range(len(inputs.items))), router, strong_from)
    out = Outcomes()
    out.add(curve, len(inputs.items), curve.operating_point[2])
    return out


def _outcome_requests(inputs: Inputs, selected: Iterable[int]) -> list[tuple[dict[str, Any], float, float]]:
    out = []
    for i in selected:
        item = inputs.items[i]
        assert item.request is not None
        out.append((item.request, item.cheap, item.strong))
    return out


def calibrate(
    paths: Sequence[Path],
    config: Path | None = None,
    *,
    folds: int = 5,
    seed: int = 0,
    strong_from: str = "COMPLEX",
    progress: Progress | None = None,
    backend: str | None = None,
) -> Result:
    """Fit ``smart_router.scoring`` of ``config`` (the bundled one by default) to the files at
    ``paths`` with ``folds``-fold cross-validation, routing with ``backend`` (the selected one
    by default); see the module docstring. Raises
    ``InputFileError`` (naming the file and line) for data it cannot use, ``ConfigError`` for
    a bad config."""
    began = time.perf_counter()
    strong_from = strong_from.upper()
    if strong_from not in TIERS:
        raise InputFileError(f"--strong-from must be one of {', '.join(TIERS)}, got {strong_from!r}")
    inputs = read_inputs(paths)
    fold_of_unit = assign_folds(inputs.units, folds, seed)
    app = load_config(config)
    scoring = app.smart_router.scoring
    start = Params.of(scoring)
    smart = app.smart_router
    fixed = Fixed(
        float(scoring.confidence_steepness),
        TIERS.index(scoring.ambiguous_tier),
        smart.agentic_min_raw if smart.agentic_mode != "never" else math.inf,
    )
    rows = fitted_items(inputs, app, backend)
    if inputs.kind == "labelled" and len({inputs.items[i].label for i in rows}) < 2:
        raise InputFileError("the requests that carry their own tier all have one label; calibration needs two tiers")
    probed = probe(app, inputs.items, progress, backend)
    everything = list(range(len(inputs.items)))
    whole = _model(inputs, probed, everything, fixed)
    whole.set(start)
    start_router = Router(app, backend=backend)
    check_model(whole, start_router, inputs.items, "starting")

    descents = (folds + 1) * ((OutcomeModel if inputs.kind == "outcomes" else LabelledModel).restarts + 1)
    done = 0

    def tick() -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress("fitting", done, descents)

    fold_of_item = [fold_of_unit[item.unit] for item in inputs.items]
    after: Labelled | Outcomes
    if inputs.kind == "labelled":
        before: Labelled | Outcomes = evaluate_units(inputs.units, list(range(len(inputs.units))), start_router)
        after = Labelled()
    else:
        before, after = Outcomes(), Outcomes()
    for f in range(folds):
        model = _model(inputs, probed, [i for i in rows if fold_of_item[i] != f], fixed)
        params = fit(model, start, random.Random(f"{seed}:{f}"), tick)
        router = Router(with_scoring(app, params.config(scoring)), backend=backend)
        if isinstance(after, Labelled):
            held = [u for u, fold in enumerate(fold_of_unit) if fold == f]
            after.merge(evaluate_units(inputs.units, held, router))
        else:
            assert isinstance(before, Outcomes)
            # (one item per unit in outcome files)
            requests = _outcome_requests(inputs, [i for i, fold in enumerate(fold_of_item) if fold == f])
            start_curve = outcome_curve(requests, start_router, strong_from)
            target = start_curve.operating_point[2]
            before.add(start_curve, len(requests), target)
            after.add(outcome_curve(requests, router, strong_from), len(requests), target)

    final = _model(inputs, probed, rows, fixed)
    params = fit(final, start, random.Random(f"{seed}:all"), tick)
    fitted_config = params.config(scoring)
    fitted_app = with_scoring(app, fitted_config)
    whole.set(params)
    check_model(whole, Router(fitted_app, backend=backend), inputs.items, "fitted")
    return Result(
        inputs=inputs,
        folds=folds,
        seed=seed,
        backend=start_router.scorer.backend,
        strong_from=strong_from,
        before=before,
        after=after,
        fitted=measure(inputs, fitted_app, strong_from, backend),
        start=start,
        params=params,
        config=fitted_config,
        seconds=time.perf_counter() - began,
    )


# --- Writing the config ----------------------------------------------------------------------


@dataclass
class Written:
    path: Path
    comments_kept: bool


def write_config(result: Result, source: Path | None, target: Path) -> Written:
    """Write the changed numbers into ``smart_router.scoring`` of ``source``'s text (the
    bundled config's when None), at ``target``. The text goes to a temporary file first, which
    the config loader must read back into a router that routes the data exactly as calibrate
    measured; only then does it replace ``target``. Raises ``ModelMismatchError`` otherwise
    (nothing written)."""
    text = (source or bundled_config_path()).read_text("utf-8")
    updates: dict[tuple[str, ...], Any] = {}
    for key, value in result.overrides.items():
        if isinstance(value, dict):
            updates.update({("smart_router", "scoring", key, sub): v for sub, v in value.items()})
        else:
            updates[("smart_router", "scoring", key)] = value
    new, kept = set_values(text, updates)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(new, "utf-8")
        if target.exists():
            shutil.copymode(target, tmp)
        again = measure(result.inputs, load_config(tmp), result.strong_from, result.backend)
        if again.to_dict() != result.fitted.to_dict():
            raise ModelMismatchError(
                f"{target}: the config as written routes the data otherwise than the fitted one "
                "(a relative keywords_file in another folder?); nothing written"
            )
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return Written(target, kept)
