"""yaml_edit.set_values: values set in a YAML text, the rest of the text kept as written."""

from __future__ import annotations

import pytest
import yaml

from smart_llm_router.config import bundled_config_path
from smart_llm_router.yaml_edit import set_values

SCORING = ("smart_router", "scoring")

DOC = """\
# a config written by hand
model_list: [{model_name: m, litellm_params: {model: x}}]   # one model
smart_router:
  profiles: {}   # none
  scoring:
    weights:
      codePresence: 0.15   # code matters
      reasoningMarkers: 0.18
    boundaries:   # three numbers
      - 0.0    # SIMPLE below
      - 0.3
      - 0.5
    # the band
    ambiguity_threshold: 0.6
"""


def test_replaced_and_inserted_values_keep_every_comment() -> None:
    updates = {
        (*SCORING, "weights", "codePresence"): 0.2,
        (*SCORING, "weights", "tokenCount"): 0.05,
        (*SCORING, "saturation", "technicalTerms"): 2,
        (*SCORING, "boundaries"): [0.01, 0.25, 0.55],
        (*SCORING, "ambiguity_threshold"): 0.7,
    }
    text, kept = set_values(DOC, updates)
    assert kept
    data = yaml.safe_load(text)
    scoring = data["smart_router"]["scoring"]
    assert scoring["weights"] == {"codePresence": 0.2, "tokenCount": 0.05, "reasoningMarkers": 0.18}
    assert scoring["saturation"] == {"technicalTerms": 2}
    assert scoring["boundaries"] == [0.01, 0.25, 0.55]
    assert scoring["ambiguity_threshold"] == 0.7
    assert data["model_list"] == yaml.safe_load(DOC)["model_list"]
    comments = [line.split("#", 1)[1] for line in DOC.splitlines() if "#" in line]
    assert [line.split("#", 1)[1] for line in text.splitlines() if "#" in line] == comments
    assert "      - 0.01    # SIMPLE below" in text  # a block list stays a block list


@pytest.mark.parametrize(
    "doc",
    [
        "model_list: []\nsmart_router:\n  profiles: {}\n",  # no scoring section
        "model_list: []\nsmart_router:\n  scoring:\n  profiles: {}\n",  # an empty one
        "model_list: []\nsmart_router: {profiles: {}, scoring: {weights: {codePresence: 0.1}}}\n",  # flow style
    ],
)
def test_missing_sections_are_added(doc: str) -> None:
    updates = {(*SCORING, "weights", "codePresence"): 0.25, (*SCORING, "boundaries"): [0.0, 0.2, 0.4]}
    text, kept = set_values(doc, updates)
    assert kept
    scoring = yaml.safe_load(text)["smart_router"]["scoring"]
    assert scoring["weights"]["codePresence"] == 0.25 and scoring["boundaries"] == [0.0, 0.2, 0.4]
    assert yaml.safe_load(text)["smart_router"]["profiles"] == {}


def test_a_layout_it_cannot_edit_is_dumped_and_said_so() -> None:
    # One anchored mapping serves two keys: editing its text would change both.
    doc = "base: &w {codePresence: 0.1}\nsmart_router:\n  scoring:\n    weights: *w\n"
    text, kept = set_values(doc, {(*SCORING, "weights", "codePresence"): 0.3})
    assert not kept
    data = yaml.safe_load(text)
    assert data["smart_router"]["scoring"]["weights"] == {"codePresence": 0.3}
    assert data["base"] == {"codePresence": 0.1}


def test_the_bundled_config_keeps_its_comments() -> None:
    doc = bundled_config_path().read_text("utf-8")
    text, kept = set_values(doc, {(*SCORING, "weights", "negationComplexity"): 0.5})
    assert kept
    changed = [(a, b) for a, b in zip(doc.splitlines(), text.splitlines()) if a != b]
    assert len(changed) == 1 and changed[0][1].strip() == "negationComplexity: 0.5"
    assert len(doc.splitlines()) == len(text.splitlines())


def test_floats_are_read_back_as_floats() -> None:
    text, kept = set_values("a: 1\n", {("a",): 1e-05, ("b",): 0.1})
    assert kept and yaml.safe_load(text) == {"a": 1e-05, "b": 0.1}
