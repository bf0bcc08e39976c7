"""Helpers several test files share: running the CLI, and building request bodies."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from typing import Any


def slr_command() -> list[str]:
    """The CLI as a user runs it: the installed `slr`, or else the module with this Python."""
    exe = shutil.which("slr")
    return [exe] if exe else [sys.executable, "-m", "smart_llm_router.cli"]


def slr(
    *args: str, env: dict[str, str] | None = None, stdin: str | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run `slr ARGS` to the end, output captured; ``env`` adds to (or overrides) this
    process's environment."""
    return subprocess.run(
        [*slr_command(), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        input=stdin,
    )


def chat(*messages: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """A chat-completions body for smart/auto."""
    return {"model": "smart/auto", "messages": list(messages), **extra}


def user(content: Any) -> dict[str, Any]:
    """A user message (``content``: a string or a list of parts)."""
    return {"role": "user", "content": content}
