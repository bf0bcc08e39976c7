"""Configuration loading and its errors."""

from __future__ import annotations

import copy
import itertools
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from smart_llm_router import AppConfig, ConfigError, Scorer, ScoringConfig, load_config
from smart_llm_router.config import DEFAULT_TIMEOUTS, bundled_config_path, parse_config
from smart_llm_router.tables import TIERS


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


# --- smart_router.timeouts -------------------------------------------------------------------

_ABSENT = object()


def _with_timeouts(value: object) -> AppConfig:
    """The bundled config with ``smart_router.timeouts`` set to ``value`` (or left out)."""
    data = copy.deepcopy(yaml.safe_load(bundled_config_path().read_text("utf-8")))
    if value is _ABSENT:
        del data["smart_router"]["timeouts"]
    else:
        data["smart_router"]["timeouts"] = value
    return parse_config(data, "c.yaml")


def test_timeouts_default_per_tier_and_grow_with_the_tier() -> None:
    for config in (_with_timeouts(_ABSENT), load_config()):  # left out, and the bundled file's
        timeouts = config.smart_router.timeouts
        assert timeouts is not None
        values = [(timeouts.tier(t).timeout, timeouts.tier(t).stream_timeout) for t in TIERS]
        assert values == [DEFAULT_TIMEOUTS[t] for t in TIERS]
    defaults = [DEFAULT_TIMEOUTS[t] for t in TIERS]
    assert all(a[0] < b[0] and a[1] < b[1] for a, b in itertools.pairwise(defaults))
    # A stream gives up on a silent model sooner than a whole non-streaming reply.
    assert all(stream < whole for whole, stream in defaults)


def test_timeouts_merge_key_by_key_and_turn_off() -> None:
    timeouts = _with_timeouts({"SIMPLE": {"timeout": 5}, "REASONING": {"stream_timeout": None}}).smart_router.timeouts
    assert timeouts is not None
    assert (timeouts.SIMPLE.timeout, timeouts.SIMPLE.stream_timeout) == (5, 10)
    assert (timeouts.REASONING.timeout, timeouts.REASONING.stream_timeout) == (300, None)
    assert timeouts.MEDIUM.get(stream=True) == 30 and timeouts.MEDIUM.get(stream=False) == 90
    for off in (False, "off", None):  # YAML reads an unquoted `off` as false
        assert _with_timeouts(off).smart_router.timeouts is None


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"SIMPLE": {"timeout": 0}}, r"timeouts\.SIMPLE\.timeout.*greater than 0"),
        ({"MEDIUM": {"stream_timeout": -1}}, r"timeouts\.MEDIUM\.stream_timeout"),
        ({"SIMPLE": {"timeout": True}}, r"timeouts\.SIMPLE\.timeout.*not a boolean"),
        ({"SIMPLE": {"timeout": "soon"}}, r"timeouts\.SIMPLE\.timeout"),
        ({"SIMPLE": {"tmeout": 5}}, r"timeouts\.SIMPLE\.tmeout"),
        ({"HUGE": {"timeout": 5}}, r"timeouts\.HUGE"),
        ({"SIMPLE": 5}, r"timeouts\.SIMPLE"),
        ([5], r"timeouts"),
    ],
)
def test_invalid_timeouts_name_the_key(value: object, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        _with_timeouts(value)


@pytest.mark.parametrize(
    "override, words",
    [
        ({"weights": {"codePresence": float("nan")}}, "weights.codePresence: Input should be a finite number"),
        ({"weights": {"codePresence": float("inf")}}, "finite number"),
        ({"boundaries": [0.0, float("nan"), 0.5]}, "finite number"),
        ({"saturation": {"hardAsks": 2}}, "saturation.hardAsks"),
        ({"saturation": {"tokenCount": 2}}, "tokenCount has no saturation"),
    ],
)
def test_scoring_numbers_are_validated_once_for_both_backends(override: dict, words: str) -> None:
    from smart_llm_router import ConfigError, Scorer
    from smart_llm_router._backend import native_available

    for backend in ("python", "native") if native_available() else ("python",):
        with pytest.raises(ConfigError, match=words.replace(".", r"\.")):
            Scorer(override, backend=backend)


def test_a_partial_saturation_is_a_validation_error_not_a_key_error() -> None:
    from pydantic import ValidationError

    from smart_llm_router import ScoringConfig

    data = {**ScoringConfig.load().model_dump(), "saturation": {"codePresence": 1.0}}
    with pytest.raises(ValidationError, match="saturation: missing reasoningMarkers"):
        ScoringConfig.model_validate(data)


def test_estimate_tokens_follows_the_selected_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    from smart_llm_router import _backend, scoring

    def no_native() -> None:
        raise AssertionError("the native module was used with the Python backend selected")

    monkeypatch.setattr(_backend, "backend", lambda: "python")
    monkeypatch.setattr(_backend, "native_module", no_native)
    assert scoring.estimate_tokens("hello world 你好") == 2.75 + 0.25 + 2
