"""Type stub of the native core (rust/binding.rs)."""

from typing import Final

DIMENSIONS: Final[list[str]]
KEYWORD_SETS: Final[list[str]]
TIERS: Final[list[str]]
RULES: Final[list[str]]

class Detail:
    """What a score found besides its headline numbers (kept native until asked for)."""

    def unpack(self) -> tuple[list[float], list[int], tuple[int, int, int, int]]: ...
    def raw(self, index: int) -> float: ...

_Output = tuple[int, float, float, bool, float, int, Detail]

class Scorer:
    """A scorer built once from a compiled spec (JSON); immutable and thread-safe."""

    def __init__(self, spec_json: str) -> None: ...
    def score(self, text: str, system_prompt: str | None = None) -> _Output: ...
    @property
    def n_keywords(self) -> int: ...
    @property
    def n_patterns(self) -> int: ...

def char_classes(text: str) -> list[int]: ...
def fold(text: str) -> str: ...
def estimate_tokens(text: str) -> float: ...
