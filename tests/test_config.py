"""Configuration loading and its errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from smart_llm_router import ConfigError, Scorer, ScoringConfig


def test_defaults_load() -> None:
    cfg = ScoringConfig.load()
    assert cfg.weights["reasoningMarkers"] == 0.18
    assert cfg.boundaries == (0.0, 0.3, 0.5)
    assert len(cfg.weights) == 15


def test_partial_weights_merge() -> None:
    cfg = ScoringConfig.load({"weights": {"codePresence": 0.3}})
    assert cfg.weights["codePresence"] == 0.3
    assert cfg.weights["reasoningMarkers"] == 0.18


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"weights": {"nonsense": 1.0}}, "weights.nonsense"),
        ({"boundaries": [0.5, 0.3, 0.0]}, "boundaries must be ascending"),
        ({"ambiguous_tier": "HUGE"}, "ambiguous_tier"),
        ({"ambiguity_threshold": 2}, "ambiguity_threshold"),
        ({"extra_keywords": {"unknownSet": ["x"]}}, "extra_keywords.unknownSet"),
        ({"typo_key": 1}, "typo_key"),
        ({"saturation": {"codePresence": 0}}, "saturation.codePresence"),
    ],
)
def test_invalid_values_name_the_key(overrides: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        ScoringConfig.load(overrides)


def test_not_a_mapping() -> None:
    with pytest.raises(ConfigError, match="expected a mapping"):
        ScoringConfig.load(["weights"])  # type: ignore[arg-type]


def test_keywords_file(tmp_path: Path) -> None:
    path = tmp_path / "kw.yaml"
    path.write_text("technicalTerms:\n  en: [zorblax]\n", encoding="utf-8")
    scorer = Scorer({"keywords_file": str(path)}, backend="python")
    r = scorer.score("zorblax theorem")
    assert next(d for d in r.dimensions if d.name == "technicalTerms").matched == ("zorblax",)
    assert next(d for d in r.dimensions if d.name == "reasoningMarkers").matched == ()
    with pytest.raises(ConfigError, match="cannot read"):
        Scorer({"keywords_file": str(tmp_path / "missing.yaml")}, backend="python")
    path.write_text("technicalTerms: [oops\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid YAML"):
        Scorer({"keywords_file": str(path)}, backend="python")
    path.write_text("bogus:\n  en: [x]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="unknown keyword set 'bogus'"):
        Scorer({"keywords_file": str(path)}, backend="python")


def _run(code: str, backend: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SMART_LLM_ROUTER_BACKEND": backend}
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)


def test_backend_choice_from_the_environment() -> None:
    done = _run("import smart_llm_router as s; print(s.BACKEND)", "python")
    assert done.returncode == 0 and done.stdout.strip() == "python"
    done = _run("import smart_llm_router as s; print(s.score('hi').tier)", " Python ")
    assert done.stdout.strip() == "SIMPLE"


def test_unknown_backend_value_is_a_clear_error() -> None:
    done = _run("import smart_llm_router as s; s.score('hi')", "rust")
    assert done.returncode != 0
    assert "SMART_LLM_ROUTER_BACKEND='rust' is not one of auto, native, python" in done.stderr
