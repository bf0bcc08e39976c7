"""The bundled keyword data: every set in all 9 languages, and it builds on both backends."""

from __future__ import annotations

from importlib.resources import files

import yaml

from smart_llm_router.tables import KEYWORD_SETS

LANGUAGES = ["en", "zh", "ja", "ru", "de", "es", "pt", "ko", "ar"]
DATA = yaml.safe_load((files("smart_llm_router") / "data" / "keywords.yaml").read_text("utf-8"))


def test_every_set_is_there_in_every_language() -> None:
    assert list(DATA) == list(KEYWORD_SETS)
    for name, languages in DATA.items():
        assert list(languages) == LANGUAGES, name
        for lang, words in languages.items():
            assert words and all(isinstance(w, str) for w in words), f"{name}.{lang}"


def test_sequences_exist_in_every_language() -> None:
    for lang, words in DATA["multiStepPatterns"].items():
        assert any(" ... " in w for w in words), lang


def test_latin_stems_are_long_enough_to_be_specific() -> None:
    for name, languages in DATA.items():
        for words in languages.values():
            for w in words:
                core = w.strip("*")
                if core != w and core.isascii():
                    assert len(core) >= 3, (name, w)
