"""`slr calibrate` on 10,000 labelled prompts: 5-fold cross-validation and the final fit, both
backends (the search is pure Python either way; the backend routes the probes and the checks).

    pytest benches/test_bench_calibrate.py --benchmark-only --benchmark-columns=median,min,max,rounds

The prompts are the golden dev prompts and tests/golden/routing.jsonl (never the holdout),
varied cheaply with a fixed seed: a greeting or a request word before, a courtesy after, the
first letter lowered. Each keeps its label.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from smart_llm_router._backend import native_available
from smart_llm_router.calibrate import calibrate

BACKENDS = ["native", "python"] if native_available() else ["python"]
GOLDEN = Path(__file__).parent.parent / "tests" / "golden"
PREFIXES = ("", "", "Please ", "Hey, ", "Quick question: ", "Bitte: ", "Por favor, ", "请", "Kindly ")
SUFFIXES = ("", "", " Thanks!", " Be concise.", " (urgent)", " Answer in English.", " 谢谢", " Danke.")


def varied_prompts(count: int, seed: int = 0) -> list[dict[str, str]]:
    sources = sorted((GOLDEN / "prompts" / "dev").glob("*.jsonl")) + [GOLDEN / "routing.jsonl"]
    lines = [json.loads(line) for path in sources for line in path.read_text("utf-8").splitlines() if line.strip()]
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        line = rng.choice(lines)
        prompt = line["prompt"]
        if rng.random() < 0.3:
            prompt = prompt[:1].lower() + prompt[1:]
        out.append({"prompt": rng.choice(PREFIXES) + prompt + rng.choice(SUFFIXES), "tier": line["tier"]})
    return out


@pytest.fixture(scope="module")
def prompts_10k(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("calibrate") / "prompts-10k.jsonl"
    path.write_text("".join(json.dumps(p, ensure_ascii=False) + "\n" for p in varied_prompts(10_000)), "utf-8")
    return path


@pytest.mark.parametrize("backend", BACKENDS)
def test_calibrate_10k(benchmark, prompts_10k: Path, backend: str) -> None:
    benchmark.group = "calibrate 10,000 prompts, 5 folds"
    benchmark.extra_info["backend"] = backend
    result = benchmark.pedantic(
        lambda: calibrate([prompts_10k], folds=5, seed=0, backend=backend), rounds=3, iterations=1
    )
    assert len(result.inputs.items) == 10_000 and result.backend == backend
    benchmark.extra_info["held_out_accuracy_before"] = result.before.accuracy  # type: ignore[union-attr]
    benchmark.extra_info["held_out_accuracy_after"] = result.after.accuracy  # type: ignore[union-attr]
    assert result.improved
