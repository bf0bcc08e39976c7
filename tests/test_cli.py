"""The `slr` command line, run as a user runs it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

import smart_llm_router


def slr(*args: str, env: dict[str, str] | None = None, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("slr")
    cmd = [exe] if exe else [sys.executable, "-m", "smart_llm_router.cli"]
    return subprocess.run(
        [*cmd, *args], capture_output=True, text=True, timeout=60,
        env={**os.environ, **(env or {})}, input=stdin,
    )


def test_version_names_the_backend() -> None:
    done = slr("version")
    assert done.returncode == 0
    assert "smart-llm-router" in done.stdout
    assert f"scorer backend: {smart_llm_router.BACKEND}" in done.stdout


def test_test_json() -> None:
    done = slr("test", "Prove that sqrt(2) is irrational step by step", "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["tier"] == "REASONING"
    assert data["backend"] == smart_llm_router.BACKEND
    assert len(data["dimensions"]) == 15
    assert "step by step" in data["dimensions"][0]["matched"]


def test_test_table() -> None:
    done = slr("test", "what is the capital of france")
    assert done.returncode == 0
    assert "SIMPLE" in done.stdout
    assert "simpleIndicators" in done.stdout


def test_system_prompt_and_stdin() -> None:
    done = slr("test", "-", "--system", "Answer in JSON only", "--json", stdin="hi")
    data = json.loads(done.stdout)
    assert data["tier"] == "MEDIUM" and data["rule"] == "structured_output"


@pytest.mark.parametrize("args", [("test",), ("nope",)])
def test_usage_errors(args: tuple[str, ...]) -> None:
    done = slr(*args)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr


def test_bad_backend_is_reported_without_traceback() -> None:
    done = slr("version", env={"SMART_LLM_ROUTER_BACKEND": "gpu"})
    assert done.returncode == 2
    assert "SMART_LLM_ROUTER_BACKEND" in done.stderr and "Traceback" not in done.stderr


def test_test_routes_with_profile_and_flags() -> None:
    done = slr("test", "design a high-availability microservices architecture", "--profile", "premium", "--json")
    data = json.loads(done.stdout)
    assert (data["tier"], data["model"], data["profile"]) == ("COMPLEX", "anthropic/claude-opus-4.7", "premium")
    assert data["fallback_chain"][0] == data["model"]
    done = slr("test", "what is in this photo?", "--image", "--tools", "--max-tokens", "50", "--json")
    data = json.loads(done.stdout)
    assert data["estimated_input_tokens"] > 0 and data["cost_estimate_usd"] is not None


def test_test_page_line() -> None:
    done = slr("test", "what is the capital of france")
    assert "SIMPLE / google/gemini-2.5-flash-lite /" in done.stdout
    assert "savings vs anthropic/claude-sonnet-4.6" in done.stdout


def test_explain_shows_dimensions() -> None:
    done = slr("test", "Prove that sqrt(2) is irrational step by step", "--explain")
    assert "reasoningMarkers" in done.stdout and "step by step" in done.stdout


def test_unknown_profile_is_a_clear_error() -> None:
    done = slr("test", "hi", "--profile", "xyz")
    assert done.returncode == 2
    assert "valid profiles are auto, eco, premium, agentic, free" in done.stderr.replace("\n", " ")
    assert "Traceback" not in done.stderr


def test_models_lists_every_profile() -> None:
    done = slr("models")
    assert done.returncode == 0
    for profile in ("auto", "eco", "premium", "agentic", "free"):
        assert f"smart/{profile}" in done.stdout
    free = slr("models", "--profile", "free")
    assert "smart/free" in free.stdout and "smart/auto" not in free.stdout
    assert ":free" in free.stdout


def test_bad_config_file(tmp_path) -> None:
    bad = tmp_path / "c.yaml"
    bad.write_text("model_list: []\nsmart_router: {}\n", encoding="utf-8")
    done = slr("models", "--config", str(bad))
    assert done.returncode == 2 and "model_list" in done.stderr and "Traceback" not in done.stderr
    done = slr("models", "--config", str(tmp_path / "missing.yaml"))
    assert done.returncode == 2 and "cannot read config" in done.stderr
