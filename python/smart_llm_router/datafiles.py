"""YAML parsing, in one place, and the data files the package ships (``data/``).

Every YAML document the package reads (the bundled defaults, keyword files, user configs) is
parsed by ``load_yaml``, so each is read the same way and a syntax error reads the same
everywhere.
"""

from __future__ import annotations

from importlib.resources import files
from typing import Any

import yaml

from .errors import ConfigError

DATA = files("smart_llm_router") / "data"
# The bundled config: the default of every setting.
DEFAULT_CONFIG = "default_config.yaml"
# The C loader when PyYAML was built with libyaml (faster), else the Python one.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(text: str, source: str) -> Any:
    """The YAML document in ``text``; ``ConfigError`` naming ``source`` when it is not YAML."""
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - a safe loader
    except yaml.YAMLError as e:
        raise ConfigError(f"{source}: not valid YAML: {e}") from None


def read_bundled(name: str) -> Any:
    """The YAML document of the bundled data file ``name`` (e.g. "keywords.yaml")."""
    return load_yaml((DATA / name).read_text("utf-8"), name)
