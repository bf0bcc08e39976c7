"""Backend selection, once at import: ``SMART_LLM_ROUTER_BACKEND=auto|native|python``.

``auto`` (the default) uses the native module when it imports and the pure-Python twin
otherwise; ``native`` fails loudly when the native module is missing. An invalid choice does
not break ``import smart_llm_router`` itself (so the CLI can report it cleanly): the error is
raised by ``backend()``, i.e. on the first use of ``BACKEND`` or of a scorer.
"""

from __future__ import annotations

import os
from types import ModuleType

from .errors import ConfigError

ENV_VAR = "SMART_LLM_ROUTER_BACKEND"
CHOICES = ("auto", "native", "python")

_native_module: ModuleType | None
try:
    from . import _native as _native_module
except ImportError as _error:  # pragma: no cover - exercised when the wheel has no native part
    _native_module = None
    _IMPORT_ERROR: ImportError | None = _error
else:
    _IMPORT_ERROR = None


def _select() -> str:
    raw = os.environ.get(ENV_VAR, "auto")
    choice = raw.strip().lower() or "auto"
    if choice not in CHOICES:
        raise ConfigError(f"{ENV_VAR}={raw!r} is not one of {', '.join(CHOICES)}")
    if choice == "python":
        return "python"
    if _native_module is None:
        if choice == "native":
            raise ImportError(
                f"{ENV_VAR}=native but smart_llm_router._native cannot be imported "
                f"({_IMPORT_ERROR}); reinstall with a Rust toolchain or use {ENV_VAR}=python"
            )
        return "python"
    return "native"


try:
    _CHOICE: str | None = _select()
    _CHOICE_ERROR: Exception | None = None
except (ConfigError, ImportError) as _e:
    _CHOICE, _CHOICE_ERROR = None, _e


def backend() -> str:
    """The selected backend, "native" or "python"; raises the selection error, if any."""
    if _CHOICE is None:
        assert _CHOICE_ERROR is not None
        raise type(_CHOICE_ERROR)(str(_CHOICE_ERROR))
    return _CHOICE


def native_module() -> ModuleType:
    """The native module; ImportError with the reason when it is not available."""
    if _native_module is None:
        raise ImportError(f"smart_llm_router._native is not available: {_IMPORT_ERROR}")
    return _native_module


def native_available() -> bool:
    return _native_module is not None
