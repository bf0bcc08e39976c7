"""`slr calibrate`: the fitted config, as written and loaded the normal way, routes the data as
calibrate reported; bad input is refused with the file and line and nothing is written; the fast
model is the scorer, bit for bit."""

from __future__ import annotations

import asyncio
import functools
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

import helpers
from smart_llm_router import Router, Scorer, load_config
from smart_llm_router._backend import native_available
from smart_llm_router.calibrate import (
    PROBE_SATURATION,
    ModelMismatchError,
    calibrate,
    check_model,
    probe,
    read_inputs,
    with_scoring,
)
from smart_llm_router.config import bundled_config_path
from smart_llm_router.fitting import Fixed, LabelledModel, Params
from smart_llm_router.tables import DIMENSIONS, TIERS

GOLDEN = Path(__file__).parent / "golden"
DEV = GOLDEN / "prompts" / "dev"  # never the holdout: it is kept out of every tuning
CONVERSATIONS = GOLDEN / "conversations" / "dev"

# Whole-file fits and evals: more time than a single CLI call needs.
slr = functools.partial(helpers.slr, timeout=300)


def dev_lines() -> list[dict[str, Any]]:
    return [json.loads(line) for path in sorted(DEV.glob("*.jsonl")) for line in path.read_text("utf-8").splitlines()]


def skewed_config(folder: Path) -> Path:
    """The bundled config with its tier boundaries moved up, so it under-routes: a start that
    calibrate can beat on the golden data whatever rules the scorer has (the bundled config
    itself may already route them as well as its numbers allow)."""
    text = bundled_config_path().read_text("utf-8")
    assert "    boundaries: [0.0, 0.3, 0.5]" in text
    path = folder / "skewed.yaml"
    path.write_text(text.replace("    boundaries: [0.0, 0.3, 0.5]", "    boundaries: [0.25, 0.6, 0.9]", 1), "utf-8")
    return path


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return path


@pytest.fixture(scope="module")
def fitted(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Path, Path]:
    """`slr calibrate` on the dev prompts, written to a new file: (its JSON, the file, the
    dev prompts as one file for `slr eval`)."""
    folder = tmp_path_factory.mktemp("calibrate")
    out = folder / "fitted.yaml"
    done = slr("calibrate", str(DEV), "-c", str(skewed_config(folder)), "-o", str(out), "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout), out, write_jsonl(folder / "dev.jsonl", dev_lines())


def test_the_held_out_folds_improve_and_the_config_is_written(fitted: tuple[dict[str, Any], Path, Path]) -> None:
    data, out, _ = fitted
    before, after = data["held_out"]["before"], data["held_out"]["after"]
    assert data["improved"] and after["correct"] > before["correct"]
    assert before["total"] == after["total"] == len(dev_lines())
    assert sum(sum(row.values()) for row in after["confusion"].values()) == after["total"]
    assert data["written"] == str(out) and data["comments_kept"]
    assert data["changes"] and data["refused"] is None


def test_slr_eval_with_the_written_config_reproduces_the_reported_figures(
    fitted: tuple[dict[str, Any], Path, Path],
) -> None:
    data, out, dev = fitted
    done = slr("eval", str(dev), "-c", str(out), "--json")
    assert done.returncode == 0, done.stderr
    evaluated = json.loads(done.stdout)
    reported = data["fitted_on_all"]
    assert (evaluated["correct"], evaluated["total"]) == (reported["correct"], reported["total"])
    assert evaluated["confusion"] == reported["confusion"]


def test_the_loader_and_the_real_scorer_reproduce_the_reported_accuracy(
    fitted: tuple[dict[str, Any], Path, Path],
) -> None:
    data, out, _ = fitted
    scorer = Scorer(load_config(out).smart_router.scoring)
    lines = dev_lines()
    correct = sum(scorer.score(line["prompt"]).tier == line["tier"] for line in lines)
    assert correct == data["fitted_on_all"]["correct"]
    assert correct / len(lines) == data["fitted_on_all"]["accuracy"]


def test_only_the_changed_numbers_are_written_and_the_rest_of_the_file_is_kept(
    fitted: tuple[dict[str, Any], Path, Path],
) -> None:
    data, out, _ = fitted
    bundled = (out.parent / "skewed.yaml").read_text("utf-8")  # the config calibrate started from
    written = out.read_text("utf-8")
    assert len(written.splitlines()) == len(bundled.splitlines())  # comments and all
    changed = [(a, b) for a, b in zip(bundled.splitlines(), written.splitlines()) if a != b]
    # One line per changed weight or saturation; the boundaries are on one line.
    assert len(changed) == len(data["changes"])
    old, new = yaml.safe_load(bundled), yaml.safe_load(written)
    scoring_old, scoring_new = old["smart_router"].pop("scoring"), new["smart_router"].pop("scoring")
    assert old == new
    for change in data["changes"]:
        key, _, sub = change["key"].partition(".")
        assert (scoring_new[key][sub] if sub else scoring_new[key]) == change["to"]
        assert (scoring_old[key][sub] if sub else scoring_old[key]) == change["from"]


def _moved_prompt(out: Path) -> tuple[str, str, str]:
    """A dev prompt the fitted config routes to another tier: (prompt, old tier, new tier)."""
    old, new = Router(), Router(out)
    for line in dev_lines():
        a, b = old.route(line["prompt"]).tier, new.route(line["prompt"]).tier
        if a != b:
            return line["prompt"], a, b
    raise AssertionError("the fitted config routes every dev prompt as before")


def test_slr_test_and_the_proxy_hook_use_the_written_config(
    fitted: tuple[dict[str, Any], Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    from smart_llm_router.config import CONFIG_ENV
    from smart_llm_router.hook import METADATA_KEY, SmartRouterHook

    _, out, _ = fitted
    prompt, old_tier, new_tier = _moved_prompt(out)
    assert json.loads(slr("test", prompt, "--json").stdout)["tier"] == old_tier
    assert json.loads(slr("test", prompt, "-c", str(out), "--json").stdout)["tier"] == new_tier
    monkeypatch.setenv(CONFIG_ENV, str(out))
    hook = SmartRouterHook()
    body = {"model": "smart/auto", "messages": [{"role": "user", "content": prompt}]}
    data = asyncio.run(hook.async_pre_call_hook(None, None, body, "acompletion"))
    assert data["metadata"][METADATA_KEY]["tier"] == new_tier


def test_calibrating_into_the_given_config_updates_it_in_place(tmp_path: Path) -> None:
    config = tmp_path / "mine.yaml"
    text = skewed_config(tmp_path).read_text("utf-8").replace("smart_router:\n", "smart_router:   # my router\n", 1)
    config.write_text(text, "utf-8")
    done = slr("calibrate", str(DEV), "-c", str(config), "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["written"] == str(config)
    updated = config.read_text("utf-8")
    assert "smart_router:   # my router" in updated and updated != text
    again = slr("calibrate", str(DEV), "-c", str(config), "--json")  # from the fitted numbers now
    assert json.loads(again.stdout)["held_out"]["before"] == data["fitted_on_all"]
    assert not list(tmp_path.glob(".*tmp"))


def test_same_seed_same_result() -> None:
    def run() -> dict[str, Any]:
        data = calibrate([DEV / "en.jsonl", DEV / "de.jsonl"], folds=3, seed=7).to_dict()
        del data["seconds"]
        return data

    assert run() == run()


def test_refuses_to_write_what_does_not_beat_the_starting_config(tmp_path: Path) -> None:
    # Labels that are exactly what the starting config routes: nothing can beat 100%.
    router = Router()
    lines = [{"prompt": line["prompt"], "tier": router.route(line["prompt"]).tier} for line in dev_lines()[:90]]
    data = write_jsonl(tmp_path / "own.jsonl", lines)
    out = tmp_path / "out.yaml"
    done = slr("calibrate", str(data), "-o", str(out))
    assert done.returncode == 1
    assert "not written" in done.stderr and "held-out" in done.stderr
    assert not out.exists()
    done = slr("calibrate", str(data), "-o", str(out), "--json")
    assert done.returncode == 1 and json.loads(done.stdout)["refused"] and not out.exists()


BAD_INPUT = [
    ("empty", [""], "no records (empty file?)"),
    (
        "one tier",
        ['{"prompt": "hi", "tier": "SIMPLE"}'] * 6,
        "every label is SIMPLE; calibration needs at least two tiers",
    ),
    (
        "unknown tier",
        ['{"prompt": "hi", "tier": "SIMPLE"}', '{"prompt": "prove it", "tier": "HARD"}'],
        "line 2: 'tier' must be one of SIMPLE, MEDIUM, COMPLEX, REASONING, got 'HARD'",
    ),
    (
        "malformed line",
        ['{"prompt": "hi", "tier": "SIMPLE"}', '{"prompt": "a", "tier": "MEDIUM"}', '{"prompt": "b", "tier":'],
        "line 3: not valid JSON",
    ),
    ("no prompt", ['{"tier": "SIMPLE"}'], "line 1: field 'prompt' has the wrong type"),
    (
        "too few for the folds",
        ['{"prompt": "a", "tier": "SIMPLE"}', '{"prompt": "b", "tier": "MEDIUM"}'],
        "2 lines cannot be split into 5 folds",
    ),
]


@pytest.mark.parametrize(("case", "lines", "message"), BAD_INPUT, ids=[c[0] for c in BAD_INPUT])
def test_bad_input_is_named_and_nothing_is_written(tmp_path: Path, case: str, lines: list[str], message: str) -> None:
    data = tmp_path / "bad.jsonl"
    data.write_text("\n".join(lines), "utf-8")
    config = tmp_path / "config.yaml"
    shutil.copy(bundled_config_path(), config)
    before = config.read_bytes()
    for target in (["-o", str(tmp_path / "out.yaml")], []):
        done = slr("calibrate", str(data), "-c", str(config), *target)
        assert done.returncode == 2, (case, done.stderr)
        assert str(data) in done.stderr and message in done.stderr, done.stderr
        assert "Traceback" not in done.stderr
    assert config.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.jsonl", "config.yaml"]


def test_outcomes_and_labels_are_not_mixed(tmp_path: Path) -> None:
    labelled = write_jsonl(tmp_path / "a.jsonl", [{"prompt": "hi", "tier": "SIMPLE"}] * 3)
    outcomes = write_jsonl(tmp_path / "b.jsonl", [{"prompt": "hi", "cheap": 1, "strong": 1}] * 3)
    done = slr("calibrate", str(labelled), str(outcomes))
    assert done.returncode == 2 and "calibrate one kind at a time" in done.stderr


def test_an_existing_output_needs_force(tmp_path: Path) -> None:
    out = tmp_path / "out.yaml"
    out.write_text("keep me\n", "utf-8")
    done = slr("calibrate", str(DEV), "-o", str(out))
    assert done.returncode == 2 and "--force" in done.stderr
    assert out.read_text("utf-8") == "keep me\n"


def test_outcome_files_are_fitted_for_apgr_and_eval_reproduces_it(tmp_path: Path) -> None:
    # The cheap model answers the SIMPLE and MEDIUM asks, the strong one all of them.
    lines = [
        {"prompt": line["prompt"], "cheap": int(line["tier"] in ("SIMPLE", "MEDIUM")), "strong": 1}
        for line in dev_lines()
    ]
    data = write_jsonl(tmp_path / "outcomes.jsonl", lines)
    out = tmp_path / "out.yaml"
    done = slr("calibrate", str(data), "-o", str(out), "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    before, after = result["held_out"]["before"], result["held_out"]["after"]
    assert after["apgr"] > before["apgr"]
    assert 0 <= after["strong_share_at_starting_quality"] <= 1
    evaluated = json.loads(slr("eval", str(data), "-c", str(out), "--json").stdout)
    assert evaluated["apgr"] == result["fitted_on_all"]["apgr"]
    assert evaluated["operating_point"]["strong_share"] == result["fitted_on_all"]["strong_share"]


def test_conversations_are_fitted_and_eval_reproduces_the_per_turn_accuracy(tmp_path: Path) -> None:
    out = tmp_path / "out.yaml"
    done = slr("calibrate", str(CONVERSATIONS), "-c", str(skewed_config(tmp_path)), "-o", str(out), "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    turns = result["fitted_on_all"]["conversation_turns"]
    assert result["held_out"]["after"]["correct"] > result["held_out"]["before"]["correct"]
    evaluated = json.loads(slr("eval", str(CONVERSATIONS), "-c", str(out), "--json").stdout)
    assert evaluated["turns"] == turns["turns"] and evaluated["accuracy"] == turns["accuracy"]


@pytest.mark.skipif(not native_available(), reason="native module not built")
def test_both_backends_calibrate_alike() -> None:
    runs = [
        json.loads(
            slr(
                "calibrate", str(DEV / "ja.jsonl"), str(DEV / "ru.jsonl"), "--json", env={"SMART_LLM_ROUTER_BACKEND": b}
            ).stdout
        )
        for b in ("native", "python")
    ]
    for data in runs:
        del data["seconds"], data["backend"]
    assert runs[0] == runs[1]


# --- The fast model against the scorer ------------------------------------------------------


def test_probes_read_each_keyword_dimension_as_its_matched_keywords() -> None:
    # Dimensions whose count is their matched keywords alone (no question marks, numbers or
    # list items added): the probe must read back exactly how many matched.
    plain = [
        d for d in DIMENSIONS if d not in ("tokenCount", "reasoningMarkers", "questionComplexity", "multiStepPatterns")
    ]
    inputs = read_inputs([DEV])
    probed = probe(load_config(None), inputs.items)
    scorer = Scorer()
    for k, item in enumerate(inputs.items):
        assert item.request is not None
        dims = {d.name: d for d in scorer.score(item.request["prompt"]).dimensions}
        for d in plain:
            assert probed.columns[DIMENSIONS.index(d)][k] == len(dims[d].matched), (item.where, d)
    assert probed.signs[DIMENSIONS.index("simpleIndicators")] == -1.0
    assert all(c < PROBE_SATURATION for column in probed.columns for c in column)


def test_the_model_is_checked_against_the_router() -> None:
    app = load_config(None)
    inputs = read_inputs([DEV / "en.jsonl"])
    probed = probe(app, inputs.items)
    scoring = app.smart_router.scoring
    fixed = Fixed(scoring.confidence_steepness, TIERS.index(scoring.ambiguous_tier), app.smart_router.agentic_min_raw)
    model = LabelledModel(probed, range(len(inputs.items)), fixed, [i.label for i in inputs.items])
    start = Params.of(scoring)
    model.set(start)
    check_model(model, Router(app), inputs.items, "starting")  # agrees
    other = start.copy()
    other.boundaries = [-0.5, 0.1, 0.2]
    with pytest.raises(ModelMismatchError, match="en.jsonl line"):
        check_model(model, Router(with_scoring(app, other.config(scoring))), inputs.items, "other")
