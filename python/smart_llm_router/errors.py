"""Exceptions shared by both scorer backends and the rest of the package, and how a pydantic
validation error is told to the user."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pydantic import ValidationError


class ConfigError(ValueError):
    """An invalid configuration: bad YAML, an unknown key, a duplicate keyword, ...

    Raised identically by the native and the pure-Python backend.
    """


def describe_validation_error(error: ValidationError, source: str) -> str:
    """One line per problem of ``error``, each naming the key under ``source`` and what is
    wrong with it (the text of the ``ConfigError`` raised for it)."""
    lines = []
    for item in error.errors():
        where = ".".join(str(p) for p in item["loc"])
        lines.append(f"{source}.{where}: {item['msg']}" if where else f"{source}: {item['msg']}")
    return "\n".join(lines)
