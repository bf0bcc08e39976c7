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
