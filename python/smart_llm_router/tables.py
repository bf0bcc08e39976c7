"""The names both scorers number things by: dimensions, keyword sets, tiers, rules and the
structure's keyword sets.

The Rust core has the same tables (``rust/tables.rs``; exported by ``_native``), and
``tests/test_parity.py`` compares them entry by entry, so an index means the same on both
backends. Everything in the package takes these names from here.
"""

from __future__ import annotations

from typing import Final, Literal

Tier = Literal["SIMPLE", "MEDIUM", "COMPLEX", "REASONING"]

# The 15 weighted dimensions, in the order of a score's raw values.
DIMENSIONS: Final = (
    "reasoningMarkers",
    "codePresence",
    "multiStepPatterns",
    "technicalTerms",
    "tokenCount",
    "creativeMarkers",
    "questionComplexity",
    "constraintCount",
    "agenticTask",
    "imperativeVerbs",
    "outputFormat",
    "referenceComplexity",
    "domainSpecificity",
    "simpleIndicators",
    "negationComplexity",
)
# Keyword sets in keyword-id order: every dimension but tokenCount, then the sets that only feed
# rules and the conversation markers (which never change a score).
KEYWORD_SETS: Final = tuple(d for d in DIMENSIONS if d != "tokenCount") + (
    "structuredOutput",
    "hardAsks",
    "proofAsks",
    "continuations",
    "topicShifts",
)
TIERS: Final[tuple[Tier, ...]] = ("SIMPLE", "MEDIUM", "COMPLEX", "REASONING")
# The structural rules (python/smart_llm_router/_structure.py, rust/structure.rs), in the
# order they are tried.
STRUCTURE_RULES: Final = (
    "math",
    "word_problem",
    "puzzle",
    "ordering",
    "choice",
    "reasoning_ask",
    "argument",
    "rework",
    "requirements",
    "long_ask",
    "open_ask",
    "request",
    "numbers_question",
    "definition",
    "small_object",
)
# What decided a score's tier (a score's rule code indexes this).
RULES: Final = (
    "score",
    "ambiguous",
    "reasoning_markers",
    "long_context",
    "hard_ask",
    "structured_output",
    "proof_ask",
    "agentic_steps",
    *STRUCTURE_RULES,
)
# The keyword sets of the structural signals (data/structure.yaml), in the order a signal's
# per-set counts come in. They name grammatical roles, not topics, and never count toward a
# dimension.
STRUCTURE_SETS: Final = (
    "definition",
    "quantityAsks",
    "numberWords",
    "reworkVerbs",
    "largeObjects",
    "smallObjects",
    "scope",
    "pointers",
    "demonstratives",
    "requests",
    "planTerms",
    "scaleWords",
    "strongAsks",
    "reasoningAsks",
    "openAsks",
    "adviceAsks",
    "textOps",
    "justifyAsks",
    "generalClaims",
    "suppositions",
    "orderAsks",
    "briefAsks",
    "contrastAsks",
    "explainAsks",
    "riddleFrames",
    "leastAsks",
    "guarantees",
    "conditions",
    "puzzleFrames",
    "whyAsks",
)

# HTTP headers the hook reads and writes, the demo upstream reads and the CLI sends.
HEADER_PREFIX: Final = "x-smart-router-"
TIER_HEADER: Final = HEADER_PREFIX + "tier"  # on responses, and forwarded upstream
SESSION_HEADER: Final = HEADER_PREFIX + "session"
RESET_HEADER: Final = HEADER_PREFIX + "reset"
