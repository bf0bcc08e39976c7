"""Helpers several test files share: running the CLI, and building request bodies."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from typing import Any

import httpx


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


def proxy_client(url: str, key: str) -> httpx.Client:
    """An HTTP client for a test proxy that opens a new connection for every request. CI once
    saw the proxy reset a reused keep-alive connection under a quick POST ([Errno 104], which
    httpx does not retry); a test of what the proxy answers should not also depend on
    uvicorn's keep-alive timing."""
    return httpx.Client(
        base_url=url,
        headers={"Authorization": f"Bearer {key}"},
        timeout=60,
        limits=httpx.Limits(max_keepalive_connections=0),
    )
