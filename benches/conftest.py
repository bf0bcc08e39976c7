"""Prompts for the benchmarks: varied texts at fixed sizes, so caches do not flatter."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator

SEEDS = [
    "Can you explain why my Kubernetes pods keep restarting after the last deploy? The logs show OOMKilled.",
    "Write a short poem about autumn rain in the city, four lines, no rhymes please.",
    "Prove that the sum of the first n odd numbers is n squared, step by step.",
    "def merge(a, b):\n    out = []\n    while a and b:\n        out.append(a.pop(0) if a[0] < b[0] else b.pop(0))\n    return out + a + b\n",
    "请解释一下分布式系统中的一致性哈希算法，并给出一个Python实现的例子。",
    "このコードのバグを見つけて修正してください。まずテストを実行し、次に原因を説明してください。",
    "Объясни, почему быстрая сортировка в среднем работает за O(n log n), и приведи пример.",
    "Bitte fasse den folgenden Artikel in drei Stichpunkten zusammen und nenne die wichtigsten Zahlen.",
    "¿Cuál es la diferencia entre un proceso y un hilo? Dame ejemplos en Linux.",
    "Quais são as vantagens de usar PostgreSQL em vez de MySQL para análise de dados?",
    "이 SQL 쿼리가 느린 이유를 설명하고 인덱스를 추가해서 최적화해 주세요.",
    "ما هو الفرق بين التعلم الآلي والتعلم العميق؟ اشرح بأمثلة بسيطة.",
    "hi! what's a good name for a golden retriever puppy?",
    "Summarize the meeting notes above into action items with owners and due dates, as a markdown table.",
]


EN_SEEDS = [s for s in SEEDS if s.isascii()] + [
    "Refactor the billing service so that invoices are generated asynchronously, and add tests.",
    "What are the trade-offs between optimistic and pessimistic locking in PostgreSQL?",
    "Translate the following paragraph into plain English for a non-technical manager.",
]


def make_prompts(size: int, count: int = 8, seeds: list[str] = SEEDS) -> list[str]:
    """`count` different prompts of about `size` characters, each mixing the seeds from a
    different starting point."""
    prompts = []
    for start in range(count):
        parts: list[str] = []
        length = 0
        for seed in itertools.islice(itertools.cycle(seeds[start:] + seeds[:start]), 10**7):
            parts.append(seed)
            length += len(seed) + 1
            if length >= size:
                break
        prompts.append(" ".join(parts)[:size])
    return prompts


SIZES = {"50": 50, "500": 500, "5K": 5_000, "500K": 500_000}
FIRST_400K = ["first " * (400_000 // 6)]


def rotating(prompts: list[str]) -> Callable[[], str]:
    it: Iterator[str] = itertools.cycle(prompts)
    return lambda: next(it)
