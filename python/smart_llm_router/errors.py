"""Exceptions shared by both scorer backends and the rest of the package."""

from __future__ import annotations


class ConfigError(ValueError):
    """An invalid configuration: bad YAML, an unknown key, a duplicate keyword, ...

    Raised identically by the native and the pure-Python backend.
    """
