"""Prompts for the benchmarks: the same varied cases `slr bench` uses (package data)."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator

from smart_llm_router.bench import SIZES, make_prompts, seeds

SEEDS = seeds()["mixed"]
EN_SEEDS = seeds()["en"]
FIRST_400K = ["first " * (400_000 // 6)]

__all__ = ["EN_SEEDS", "FIRST_400K", "SEEDS", "SIZES", "make_prompts", "rotating"]


def rotating(prompts: list[str]) -> Callable[[], str]:
    it: Iterator[str] = itertools.cycle(prompts)
    return lambda: next(it)
