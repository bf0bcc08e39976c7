"""The fast model of how a config routes probed requests, and the search over its numbers:
the engine of ``slr calibrate`` (``calibrate.py`` reads the data, probes the router and checks
this model against it).

A probed request is a column entry per dimension (a keyword dimension's signal count, or the
raw value of a dimension without saturation, tokenCount) and a table: the tier the router
gives it for each tier its score may fall in, with and without the agentic table. For candidate
numbers the model computes, as the scorer does, raw = sign * min(count / saturation, 1), the
score as the weighted sum in ``DIMENSIONS`` order (bit for bit the scorer's), the score's tier by
the boundaries and the ambiguity band, and the routed tier from the table.

The search is coordinate descent: one number at a time moves to its best value. On labelled
data a weight's or a boundary's best value is found exactly (each request's tier changes only
where its score crosses a band edge, so the objective is a step function of the number, swept
once); saturations and the ambiguity threshold are tried on a grid, and everything on outcome
files (APGR needs a sort per candidate). A chosen number is the roundest one inside its best
interval, away from its ends.
"""

from __future__ import annotations

import math
import random
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from .scoring_config import ScoringConfig
from .tables import DIMENSIONS

WEIGHT_RANGE = (0.0, 1.0)
SATURATIONS = (1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0)
THRESHOLDS = (0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8)
# Outcome files are searched on a grid around the current value.
WEIGHT_FACTORS = (0.0, 0.5, 2.0)
WEIGHT_STEPS = (0.02, 0.05, 0.1)
BOUNDARY_STEPS = (-0.1, -0.03, -0.01, 0.01, 0.03, 0.1)
MAX_SWEEPS = 8
# Boundaries stay at least this far apart. An optimum narrower than MIN_WIDTH is noise.
MIN_GAP = 0.001
MIN_WIDTH = 1e-6
# Scores within this (relative) distance of a band edge get the scorer's own formula.
HAIR = 1e-9
AGENTIC = DIMENSIONS.index("agenticTask")

Coordinate = tuple[str, int]  # ("weight" | "saturation", dimension), ("boundary", j), ("threshold", 0)


@dataclass
class Params:
    """The numbers the search moves, per dimension in ``DIMENSIONS`` order."""

    weights: list[float]
    saturation: list[float | None]  # None: no saturation (tokenCount, read as is)
    boundaries: list[float]
    threshold: float

    @classmethod
    def of(cls, config: ScoringConfig) -> Params:
        weights: dict[str, float] = {str(k): float(v) for k, v in config.weights.items()}
        sat: dict[str, float] = {str(k): float(v) for k, v in config.saturation.items()}
        return cls(
            [weights[d] for d in DIMENSIONS],
            [sat.get(d) for d in DIMENSIONS],
            [float(b) for b in config.boundaries],
            float(config.ambiguity_threshold),
        )

    def copy(self) -> Params:
        return Params(list(self.weights), list(self.saturation), list(self.boundaries), self.threshold)

    def get(self, coordinate: Coordinate) -> float:
        what, j = coordinate
        if what == "weight":
            return self.weights[j]
        if what == "boundary":
            return self.boundaries[j]
        if what == "saturation":
            value = self.saturation[j]
            assert value is not None
            return value
        return self.threshold

    def put(self, coordinate: Coordinate, x: float) -> None:
        what, j = coordinate
        if what == "weight":
            self.weights[j] = x
        elif what == "boundary":
            self.boundaries[j] = x
        elif what == "saturation":
            self.saturation[j] = x
        else:
            self.threshold = x

    def overrides(self, start: Params) -> dict[str, Any]:
        """The ``smart_router.scoring`` keys whose numbers differ from ``start``."""
        out: dict[str, Any] = {}
        weights = {d: w for d, w, w0 in zip(DIMENSIONS, self.weights, start.weights) if w != w0}
        sat = {d: _plain(s) for d, s, s0 in zip(DIMENSIONS, self.saturation, start.saturation) if s != s0}
        if weights:
            out["weights"] = weights
        if sat:
            out["saturation"] = sat
        if self.boundaries != start.boundaries:
            out["boundaries"] = list(self.boundaries)
        if self.threshold != start.threshold:
            out["ambiguity_threshold"] = self.threshold
        return out

    def config(self, base: ScoringConfig) -> ScoringConfig:
        """``base`` with these numbers, validated as any config is."""
        data = base.model_dump()
        data["weights"] = dict(zip(DIMENSIONS, self.weights))
        data["saturation"] = {d: s for d, s in zip(DIMENSIONS, self.saturation) if s is not None}
        data["boundaries"] = list(self.boundaries)
        data["ambiguity_threshold"] = self.threshold
        return ScoringConfig.model_validate(data)


def _plain(value: float | None) -> float | int | None:
    """2.0 as 2: saturations read as counts."""
    return int(value) if value is not None and value == int(value) else value


@dataclass
class Fixed:
    """Settings the search does not move."""

    steepness: float
    ambiguous_tier: int
    agentic_min_raw: float  # math.inf when the agentic table is never taken


@dataclass
class Probed:
    """What the probes read of each request."""

    columns: list[list[float]]  # per dimension: the count (saturated dims) or the raw value
    signs: list[float]  # per dimension: -1 where the raw value counts against the score
    tables: list[tuple[int, ...]]  # per request: routed tier for score tier t (t), agentic (4 + t)


def band(threshold: float, steepness: float) -> float:
    """The distance to a boundary under which the confidence is below ``threshold``."""
    if threshold <= 0.5:
        return 0.0
    if threshold >= 1.0:
        return math.inf
    return math.log(threshold / (1.0 - threshold)) / steepness


class Bands:
    """The tier of a score under given boundaries and threshold: a bisect into the score line
    cut at every band edge; a score within a hair of an edge gets the scorer's formula."""

    __slots__ = ("b", "threshold", "fixed", "points", "labels", "delta")

    def __init__(self, b: Sequence[float], threshold: float, fixed: Fixed) -> None:
        self.b, self.threshold, self.fixed = tuple(b), threshold, fixed
        self.delta = delta = band(threshold, fixed.steepness)
        if math.isinf(delta):
            self.points: list[float] = []
            self.labels = [-1]
            return
        edges = sorted({v for x in b for v in (x - delta, x, x + delta)})
        hairs = [(e - HAIR * max(1.0, abs(e)), e + HAIR * max(1.0, abs(e))) for e in edges]
        self.points = points = sorted(v for pair in hairs for v in pair)
        reps = [points[0] - 1.0] + [(a + c) / 2 for a, c in zip(points, points[1:])] + [points[-1] + 1.0]
        self.labels = [-1 if any(lo <= r <= hi for lo, hi in hairs) else self.by_delta(r) for r in reps]

    def by_delta(self, s: float) -> int:
        if min(abs(s - v) for v in self.b) < self.delta:
            return self.fixed.ambiguous_tier
        b0, b1, b2 = self.b
        return (s >= b0) + (s >= b1) + (s >= b2)

    def exact(self, s: float) -> int:
        """As the scorer: confidence by the sigmoid of the distance to the nearest boundary."""
        b0, b1, b2 = self.b
        distance = min(abs(s - b0), abs(s - b1), abs(s - b2))
        if 1.0 / (1.0 + math.exp(-self.fixed.steepness * distance)) < self.threshold:
            return self.fixed.ambiguous_tier
        return (s >= b0) + (s >= b1) + (s >= b2)

    def tier(self, s: float) -> int:
        t = self.labels[bisect_right(self.points, s)]
        return t if t >= 0 else self.exact(s)

    def tiers(self, scores: Iterable[float]) -> list[int]:
        labels, points = self.labels, self.points
        out = [labels[bisect_right(points, s)] for s in scores]
        if -1 in out:
            out = [t if t >= 0 else self.tier(s) for t, s in zip(out, scores)]
        return out

    def regions(self) -> tuple[list[float], list[int]]:
        """Edges and the tier between them by the band rule (region j: from edge j - 1 up to
        edge j), for line searches."""
        edges = sorted({v for x in self.b for v in (x - self.delta, x, x + self.delta)})
        reps = [edges[0] - 1.0] + [(a + c) / 2 for a, c in zip(edges, edges[1:])] + [edges[-1] + 1.0]
        return edges, [self.by_delta(r) for r in reps]


class Model:
    """Scores, tiers and the objective of candidate numbers on probed columns. ``set`` computes
    everything as the scorer does; ``apply`` moves one number, updating what it changes."""

    # Descents from random points near the start, after the one from the start.
    restarts = 2

    def __init__(self, probed: Probed, rows: Sequence[int], fixed: Fixed) -> None:
        self.n = len(rows)
        self.columns = [[column[i] for i in rows] for column in probed.columns]
        self.signs = probed.signs
        self.tables = [probed.tables[i] for i in rows]
        self.fixed = fixed
        # The requests each dimension can move (the others' raw value is 0 whatever its numbers).
        self.moving = [[i for i, v in enumerate(column) if v != 0.0] for column in self.columns]
        self._raw: dict[tuple[int, float | None], list[float]] = {}
        self.p = Params([], [], [0.0, 1.0, 2.0], 0.0)
        self.raw: list[list[float]] = []
        self.scores: list[float] = []
        self.flags: list[int] = []
        self.tiers: list[int] = []
        self.bands = Bands(self.p.boundaries, 0.0, fixed)
        self.value = 0.0

    def raw_column(self, d: int, saturation: float | None) -> list[float]:
        key = (d, saturation)
        if key not in self._raw:
            column = self.columns[d]
            if saturation is None:
                self._raw[key] = list(column)
            elif self.signs[d] < 0:
                self._raw[key] = [0.0 - min(c / saturation, 1.0) for c in column]
            else:
                self._raw[key] = [min(c / saturation, 1.0) for c in column]
        return self._raw[key]

    def _flags(self, agentic_raw: Iterable[float]) -> list[int]:
        least = self.fixed.agentic_min_raw
        return [4 if r >= least else 0 for r in agentic_raw]

    def set(self, p: Params) -> float:
        """Take ``p``, compute everything from scratch; the objective."""
        self.p = p.copy()
        self.raw = [self.raw_column(d, s) for d, s in enumerate(p.saturation)]
        scores = [0.0] * self.n
        for w, raw in zip(p.weights, self.raw):  # the scorer's order: the same float sums
            scores = [s + w * r for s, r in zip(scores, raw)]
        self.scores = scores
        self.flags = self._flags(self.raw[AGENTIC])
        self.bands = Bands(p.boundaries, p.threshold, self.fixed)
        tier, tables, flags = self.bands.tier, self.tables, self.flags
        self.tiers = [tables[i][flags[i] + tier(s)] for i, s in enumerate(scores)]
        self.value = self.objective()
        return self.value

    def apply(self, coordinate: Coordinate, x: float) -> float:
        """Move one number to ``x``; the objective."""
        what, d = coordinate
        old = self.p.get(coordinate)
        self.p.put(coordinate, x)
        rows: Sequence[int]
        if what == "weight":
            rows, raw, change = self.moving[d], self.raw[d], x - old
            for i in rows:
                self.scores[i] += change * raw[i]
        elif what == "saturation":
            rows, w, was = self.moving[d], self.p.weights[d], self.raw[d]
            self.raw[d] = now = self.raw_column(d, x)
            for i in rows:
                self.scores[i] += w * (now[i] - was[i])
            if d == AGENTIC:
                least = self.fixed.agentic_min_raw
                for i in rows:
                    self.flags[i] = 4 if now[i] >= least else 0
        else:
            rows = range(self.n)
            self.bands = Bands(self.p.boundaries, self.p.threshold, self.fixed)
        self.value = self._retier(rows)
        return self.value

    def _retier(self, rows: Iterable[int]) -> float:
        tier, tables, flags, scores, tiers = self.bands.tier, self.tables, self.flags, self.scores, self.tiers
        for i in rows:
            tiers[i] = tables[i][flags[i] + tier(scores[i])]
        return self.objective()

    def objective(self) -> float:
        raise NotImplementedError

    def coordinates(self) -> list[Coordinate]:
        out: list[Coordinate] = [("boundary", j) for j in range(3)]
        out += [("weight", d) for d in range(len(DIMENSIONS)) if self.moving[d]]
        out += [("saturation", d) for d, s in enumerate(self.p.saturation) if s is not None and self.moving[d]]
        return [*out, ("threshold", 0)]

    def best(self, coordinate: Coordinate) -> tuple[float, float] | None:
        """(objective, number) of the best move along ``coordinate`` if it beats the current."""
        raise NotImplementedError

    def candidates(self, coordinate: Coordinate) -> list[float]:
        what, j = coordinate
        now = self.p.get(coordinate)
        if what == "saturation":
            return [s for s in SATURATIONS if s != now]
        if what == "threshold":
            return [t for t in THRESHOLDS if t != now]
        if what == "weight":
            grid = {round(now * f, 3) for f in WEIGHT_FACTORS}
            grid |= {round(now + s, 3) for s in WEIGHT_STEPS} | {round(now - s, 3) for s in WEIGHT_STEPS}
            return sorted(x for x in grid if WEIGHT_RANGE[0] <= x <= WEIGHT_RANGE[1] and x != now)
        b = self.p.boundaries
        lo = b[j - 1] + MIN_GAP if j > 0 else -math.inf
        hi = b[j + 1] - MIN_GAP if j < 2 else math.inf
        return [x for x in (round(now + s, 3) for s in BOUNDARY_STEPS) if lo <= x <= hi]

    def moved_scores(self, coordinate: Coordinate, x: float) -> tuple[Sequence[int], list[float], list[int], Bands]:
        """(requests moved, their scores, their agentic flags, bands) with one number at ``x``,
        nothing changed."""
        what, d = coordinate
        if what == "weight":
            rows, raw, change = self.moving[d], self.raw[d], x - self.p.weights[d]
            return rows, [self.scores[i] + change * raw[i] for i in rows], [self.flags[i] for i in rows], self.bands
        if what == "saturation":
            rows, w, was, now = self.moving[d], self.p.weights[d], self.raw[d], self.raw_column(d, x)
            scores = [self.scores[i] + w * (now[i] - was[i]) for i in rows]
            flags = self._flags(now[i] for i in rows) if d == AGENTIC else [self.flags[i] for i in rows]
            return rows, scores, flags, self.bands
        p = self.p.copy()
        p.put(coordinate, x)
        return range(self.n), self.scores, self.flags, Bands(p.boundaries, p.threshold, self.fixed)


class LabelledModel(Model):
    """Objective: requests routed to their label; ties go to fewer under-routed ones."""

    def __init__(self, probed: Probed, rows: Sequence[int], fixed: Fixed, labels: Sequence[int]) -> None:
        super().__init__(probed, rows, fixed)
        self.labels = [labels[i] for i in rows]
        big = self.n + 1
        # The objective's value per request and routed tier.
        self.gain = [tuple(big * (t == y) - (t < y) for t in range(4)) for y in self.labels]

    def objective(self) -> float:
        return float(sum(g[t] for g, t in zip(self.gain, self.tiers)))

    def correct(self) -> int:
        return sum(t == y for t, y in zip(self.tiers, self.labels))

    def _by_base(self, i: int) -> tuple[int, int, int, int]:
        g, table, f = self.gain[i], self.tables[i], self.flags[i]
        return g[table[f]], g[table[f + 1]], g[table[f + 2]], g[table[f + 3]]

    def best(self, coordinate: Coordinate) -> tuple[float, float] | None:
        what, j = coordinate
        if what == "weight":
            return self._line_weight(j)
        if what == "boundary":
            return self._line_boundary(j)
        best = None
        gain, tables, tiers = self.gain, self.tables, self.tiers
        now: float | None = None  # the objective's part from the requests this coordinate moves
        for x in self.candidates(coordinate):
            rows, scores, flags, bands = self.moved_scores(coordinate, x)
            if now is None:
                now = sum(gain[i][tiers[i]] for i in rows)
            moved = sum(gain[i][tables[i][f + t]] for i, f, t in zip(rows, flags, bands.tiers(scores)))
            value = self.value + moved - now
            if value > self.value and (best is None or value > best[0]):
                best = (value, x)
        return best

    def _line_weight(self, d: int) -> tuple[float, float] | None:
        """Exact: a request's objective changes only where its score, linear in the weight,
        crosses a band edge."""
        if math.isinf(self.bands.delta):  # every score ambiguous: weights change nothing
            return None
        w, raw, scores, tiers, gain = self.p.weights[d], self.raw[d], self.scores, self.tiers, self.gain
        edges, region_tier = self.bands.regions()
        lo, hi = WEIGHT_RANGE
        top = len(edges)
        events: list[tuple[float, float]] = []
        start = self.value  # becomes the objective at weight lo
        for i in self.moving[d]:
            r = raw[i]
            a = scores[i] - w * r
            by_base = self._by_base(i)
            k = bisect_right(edges, a + lo * r)
            start += by_base[region_tier[k]] - gain[i][tiers[i]]
            end = a + hi * r
            if r > 0:
                while k < top and edges[k] < end:
                    change = by_base[region_tier[k + 1]] - by_base[region_tier[k]]
                    if change:
                        events.append(((edges[k] - a) / r, change))
                    k += 1
            else:
                while k > 0 and edges[k - 1] > end:
                    change = by_base[region_tier[k - 1]] - by_base[region_tier[k]]
                    if change:
                        events.append(((edges[k - 1] - a) / r, change))
                    k -= 1
        return choose(start, events, lo, hi, w, self.value)

    def _line_boundary(self, j: int) -> tuple[float, float] | None:
        """Exact: moving boundary j over x, a request of score s has its tier one higher for
        x < s - band, the ambiguous tier within the band, and the lower one above s + band
        (the other boundaries stay)."""
        b, delta = self.p.boundaries, self.bands.delta
        if math.isinf(delta):
            return None
        lo = b[j - 1] + MIN_GAP if j > 0 else min(self.scores) - 0.05
        hi = b[j + 1] - MIN_GAP if j < 2 else max(self.scores) + 0.05
        if not lo < hi:
            return None
        others = [v for k, v in enumerate(b) if k != j]
        ambiguous = self.fixed.ambiguous_tier
        start = self.value
        events: list[tuple[float, float]] = []
        for i, s in enumerate(self.scores):
            if not (lo - delta < s < hi + delta) or min(abs(s - v) for v in others) < delta:
                continue
            by_base = self._by_base(i)
            below = (s >= others[0]) + (s >= others[1])
            # (x range) -> value: x <= s - delta: below + 1; in the band: ambiguous; beyond: below.
            pieces = [(s - delta, by_base[below + 1]), (s + delta, by_base[ambiguous]), (math.inf, by_base[below])]
            if delta == 0.0:
                pieces = [(s, by_base[below + 1]), (math.inf, by_base[below])]
            k = 0
            while pieces[k][0] <= lo:
                k += 1
            start += pieces[k][1] - self.gain[i][self.tiers[i]]
            while pieces[k][0] < hi:
                change = pieces[k + 1][1] - pieces[k][1]
                if change:
                    events.append((pieces[k][0], change))
                k += 1
        return choose(start, events, lo, hi, b[j], self.value)


def choose(
    start: float, events: list[tuple[float, float]], lo: float, hi: float, current: float, now: float
) -> tuple[float, float] | None:
    """The best interval of a step function on [lo, hi] (``start`` up to the first event, each
    event adding its change) and the roundest number inside it; None unless it beats ``now``.
    Of equally good intervals the widest wins: the farthest from every request's tier change."""
    events.sort()
    intervals = []
    value, left, k = start, lo, 0
    while k < len(events):
        x = events[k][0]
        if x > left:
            intervals.append((value, left, min(x, hi)))
        while k < len(events) and events[k][0] == x:
            value += events[k][1]
            k += 1
        left = max(left, x)
    intervals.append((value, left, hi))
    top = max(v for v, _, _ in intervals)
    if top <= now:
        return None
    wide = [(c - a, a, c) for v, a, c in intervals if v == top and c - a > MIN_WIDTH]
    if not wide:
        return None
    _, a, c = max(wide)
    if a < current < c:
        return top, current
    return top, roundest(a, c, lo, hi)


def roundest(a: float, c: float, lo: float, hi: float) -> float:
    """The number with the fewest decimals nearest the middle of (a, c), within its middle
    half (or up to ``lo``/``hi`` where the interval reaches an end of the range)."""
    width = c - a
    left = a if a <= lo else a + width / 4
    right = c if c >= hi else c - width / 4
    middle = (left + right) / 2
    for digits in range(12):
        for step in (10.0**-digits, 10.0**-digits / 2):
            k = round(middle / step)
            for m in sorted((k - 1, k, k + 1), key=lambda m: abs(m * step - middle)):
                x = round(m * step, digits + 1)
                if left <= x <= right:
                    return x
    return middle


class OutcomeModel(Model):
    """Objective: APGR of ranking by (routed tier, score), as ``slr eval`` ranks."""

    # One descent: each candidate costs a ranking of the requests it moves.
    restarts = 0

    def __init__(
        self, probed: Probed, rows: Sequence[int], fixed: Fixed, cheap: Sequence[float], strong: Sequence[float]
    ) -> None:
        super().__init__(probed, rows, fixed)
        self.gains = [strong[i] - cheap[i] for i in rows]
        # As evaluate.cost_quality_curve has it (a sum of gains may miss 0 by a rounding).
        self.span = sum(strong[i] for i in rows) / self.n - sum(cheap[i] for i in rows) / self.n

    def objective(self) -> float:
        keys = list(zip(self.tiers, self.scores))
        return apgr(keys, self.gains, self.span)

    def best(self, coordinate: Coordinate) -> tuple[float, float] | None:
        """Grid search. APGR is a sum over pairs of requests, so a candidate is scored by
        adding the requests it moves to the fixed ranking of the others."""
        what, d = coordinate
        tables, keys = self.tables, list(zip(self.tiers, self.scores))
        moves: list[tuple[float, dict[int, tuple[int, float]]]] = []
        for x in self.candidates(coordinate):
            rows, scores, flags, bands = self.moved_scores(coordinate, x)
            tiers = bands.tiers(scores)
            moved = {i: (tables[i][f + t], s) for i, s, f, t in zip(rows, scores, flags, tiers)}
            if what in ("boundary", "threshold"):  # only the requests whose tier changes move
                moved = {i: k for i, k in moved.items() if k != keys[i]}
            moves.append((x, moved))
        changing = set().union(*(m for _, m in moves)) if moves else set()
        ranking = Ranking(keys, self.gains, [i for i in range(self.n) if i not in changing])
        scale = self.n * self.n * self.span
        best = None
        for x, moved in moves:
            value = ranking.plus([moved.get(i, keys[i]) for i in changing], [self.gains[i] for i in changing]) / scale
            if value > self.value + 1e-12 and (best is None or value > best[0] + 1e-12):
                best = (value, x)
        return best


class Ranking:
    """Sum over requests of gain * (requests ranked below + half of those tied, itself
    included), for a fixed set of requests: APGR * n**2 * span once all are in. Requests added
    later are counted against this set by bisection."""

    def __init__(self, keys: Sequence[Any], gains: Sequence[float], members: Iterable[int]) -> None:
        order = sorted(members, key=keys.__getitem__)
        self.keys = [keys[i] for i in order]
        self.prefix = [0.0]
        for i in order:
            self.prefix.append(self.prefix[-1] + gains[i])
        self.total = _pairs(self.keys, [gains[i] for i in order])

    def plus(self, keys: Sequence[Any], gains: Sequence[float]) -> float:
        """The sum with these requests added."""
        mine, prefix, top = self.keys, self.prefix, self.prefix[-1]
        cross = 0.0
        for k, g in zip(keys, gains):
            lo = bisect_left(mine, k)
            hi = bisect_right(mine, k, lo)
            # Below it: its gain counts once per request; above it: theirs; tied: half of both.
            cross += g * lo + (top - prefix[hi]) + (g * (hi - lo) + prefix[hi] - prefix[lo]) / 2
        order = sorted(range(len(keys)), key=keys.__getitem__)
        return self.total + cross + _pairs([keys[i] for i in order], [gains[i] for i in order])


def _pairs(keys: Sequence[Any], gains: Sequence[float]) -> float:
    """The Ranking sum of requests sorted by ascending key."""
    total, below, i, n = 0.0, 0, 0, len(keys)
    while i < n:
        j, group = i, 0.0
        while j < n and keys[j] == keys[i]:
            group += gains[j]
            j += 1
        total += group * (below + (j - i) / 2)
        below, i = j, j
    return total


def apgr(keys: Sequence[Any], gains: Sequence[float], span: float) -> float:
    """Area under the performance-gap-recovered curve of routing by descending key, equal keys
    as random tie-breaks: what ``evaluate.cost_quality_curve`` draws. Each request adds its gain
    times the share of requests ranked below it (half of those tied, itself included)."""
    n = len(keys)
    if not span:
        return 0.0
    return Ranking(keys, gains, range(n)).total / (n * n * span)


def descend(model: Model, start: Params) -> Params:
    """Coordinate descent from ``start``: each number in turn moves to its best value, sweep
    after sweep, while a sweep improves the objective (recomputed exactly after each)."""
    best_value, best = model.set(start), start.copy()
    for _ in range(MAX_SWEEPS):
        for coordinate in model.coordinates():
            found = model.best(coordinate)
            if found is None:
                continue
            old, before = model.p.get(coordinate), model.value
            if model.apply(coordinate, found[1]) <= before:
                model.apply(coordinate, old)  # a request on an edge: the move did not pay
        value = model.set(model.p)
        if value <= best_value:
            break
        best_value, best = value, model.p.copy()
    model.set(best)
    return best


def perturbed(start: Params, rng: random.Random) -> Params:
    """A random restart near ``start``: weights scaled by 0.5..1.5, boundaries moved by up to
    0.05, saturations drawn from the grid."""
    p = start.copy()
    p.weights = [round(w * rng.uniform(0.5, 1.5), 3) for w in p.weights]
    p.saturation = [None if s is None else rng.choice(SATURATIONS) for s in p.saturation]
    b = sorted(round(x + rng.uniform(-0.05, 0.05), 3) for x in p.boundaries)
    for j in (1, 2):
        b[j] = max(b[j], round(b[j - 1] + 0.01, 3))
    p.boundaries = b
    return p


def fit(model: Model, start: Params, rng: random.Random, on_descent: Callable[[], None] | None = None) -> Params:
    """The best of a descent from ``start`` and of ``model.restarts`` more from random points
    near it; the start's wins ties (it changes the fewest numbers)."""
    starts = [start] + [perturbed(start, rng) for _ in range(model.restarts)]
    best: tuple[float, Params] | None = None
    for p0 in starts:
        p = descend(model, p0)
        if best is None or model.value > best[0]:
            best = (model.value, p)
        if on_descent is not None:
            on_descent()
    assert best is not None
    model.set(best[1])
    return best[1]
