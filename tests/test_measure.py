"""`slr eval`, `slr replay` and `slr bench` end to end on small files shipped in tests/measure/."""

from __future__ import annotations

import functools
import json
from pathlib import Path

import pytest
import yaml

import helpers
from smart_llm_router import Router, route
from smart_llm_router.config import bundled_config_path
from smart_llm_router.evaluate import cost_quality_curve
from smart_llm_router.tables import TIERS

HERE = Path(__file__).parent / "measure"
GOLDEN = Path(__file__).parent / "golden" / "routing.jsonl"


# eval, replay and bench over whole files: more time than a single CLI call needs.
slr = functools.partial(helpers.slr, timeout=300)


# --- APGR against hand-computed values ------------------------------------------------


def test_toy_prompts_rank_as_the_files_assume() -> None:
    prompts = [json.loads(line)["prompt"] for line in (HERE / "outcomes_perfect.jsonl").read_text().splitlines()]
    keys = [(TIERS.index(d.tier), d.score) for d in map(route, prompts)]
    assert keys == sorted(keys, reverse=True) and len(set(keys)) == 4


@pytest.mark.parametrize(
    ("name", "apgr"),
    [
        ("outcomes_tied", 0.5),  # one score for all: random tie-breaks, a straight line
        ("outcomes_perfect", 0.875),  # the only gain ranked first: 1 - 1/(2*4)
        ("outcomes_reversed", 0.125),  # the only gain ranked last: 1/(2*4)
        ("outcomes_mixed", 0.625),  # gains 1st and 3rd: (0+.5)/8 + (.5+.5)/8 + (.5+1)/8 + (1+1)/8
    ],
)
def test_apgr_hand_computed(name: str, apgr: float) -> None:
    done = slr("eval", str(HERE / f"{name}.jsonl"), "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["apgr"] == pytest.approx(apgr, abs=1e-12)
    assert data["curve"][0] == {"strong_share": 0.0, "pgr": 0.0}
    assert data["curve"][-1]["strong_share"] == 1.0


def test_random_ranking_is_one_half_for_any_size() -> None:
    for n in (1, 2, 7, 100):
        cheap = [i % 2 for i in range(n)]
        curve = cost_quality_curve([0.0] * n, cheap, [1.0] * n, [False] * n)
        assert curve.apgr == pytest.approx(0.5) if any(c == 0 for c in cheap) else curve.apgr == 0.0


def test_a_perfect_ranking_approaches_one() -> None:
    # One prompt of n is worth the strong model, and it is ranked first: 1 - 1/(2n).
    for n in (4, 1000):
        scores = [float(n - i) for i in range(n)]
        cheap = [0.0] + [1.0] * (n - 1)
        curve = cost_quality_curve(scores, cheap, [1.0] * n, [False] * n)
        assert curve.apgr == pytest.approx(1 - 1 / (2 * n))
    assert cost_quality_curve(scores, cheap, [1.0] * n, [False] * n).apgr > 0.999


def test_operating_point_of_the_tier_mapping() -> None:
    data = json.loads(slr("eval", str(HERE / "outcomes_mixed.jsonl"), "--json").stdout)
    point = data["operating_point"]
    # Only the proof is COMPLEX or above: 1 of 4 calls strong, half the gap recovered.
    assert point == {"strong_share": 0.25, "quality": 0.75, "pgr": 0.5, "strong_from": "COMPLEX"}


def test_plot(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    out = tmp_path / "curve.png"
    done = slr("eval", str(HERE / "outcomes_mixed.jsonl"), "--plot", str(out))
    assert done.returncode == 0 and out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# --- labelled prompts ----------------------------------------------------------------


def test_labelled_accuracy_and_confusion() -> None:
    data = json.loads(slr("eval", str(HERE / "labelled.jsonl"), "--json").stdout)
    assert (data["total"], data["correct"]) == (6, 5)
    assert data["confusion"]["REASONING"]["SIMPLE"] == 1
    assert data["misrouted"][0]["expected"] == "REASONING" and data["misrouted"][0]["got"] == "SIMPLE"
    assert data["per_tier"]["SIMPLE"]["precision"] == 0.5


def test_labelled_files_and_folders_add_up(tmp_path: Path) -> None:
    one = json.loads(slr("eval", str(HERE / "labelled.jsonl"), "--json").stdout)
    (tmp_path / "a").mkdir()
    for name in ("a/x.jsonl", "a/y.jsonl"):
        (tmp_path / name).write_bytes((HERE / "labelled.jsonl").read_bytes())
    done = slr("eval", str(tmp_path / "a"), str(HERE / "labelled.jsonl"), "--json")
    assert done.returncode == 0, done.stderr
    both = json.loads(done.stdout)
    assert (both["total"], both["correct"]) == (3 * one["total"], 3 * one["correct"])
    assert both["confusion"]["REASONING"]["SIMPLE"] == 3 * one["confusion"]["REASONING"]["SIMPLE"]
    assert {m["file"] for m in both["misrouted"]} == {
        str(tmp_path / "a" / "x.jsonl"),
        str(tmp_path / "a" / "y.jsonl"),
        str(HERE / "labelled.jsonl"),
    }
    text = slr("eval", str(tmp_path / "a")).stdout
    assert f"{tmp_path / 'a' / 'x.jsonl'} line" in text.replace("\n", "")


def test_outcome_files_make_one_curve(tmp_path: Path) -> None:
    name = "outcomes_mixed.jsonl"
    one = json.loads(slr("eval", str(HERE / name), "--json").stdout)
    (tmp_path / name).write_bytes((HERE / name).read_bytes())
    two = json.loads(slr("eval", str(HERE / name), str(tmp_path / name), "--json").stdout)
    assert two["prompts"] == 2 * one["prompts"]
    assert two["operating_point"] == one["operating_point"]  # the same prompts twice: the same shares


def test_one_kind_of_file_at_a_time() -> None:
    done = slr("eval", str(HERE / "labelled.jsonl"), str(HERE / "outcomes_mixed.jsonl"))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "outcomes_mixed.jsonl holds outcomes" in done.stderr.replace("\n", "")


def test_min_accuracy_gates_the_exit_code() -> None:
    assert slr("eval", str(HERE / "labelled.jsonl"), "--min-accuracy", "0.8").returncode == 0
    done = slr("eval", str(HERE / "labelled.jsonl"), "--min-accuracy", "0.9")
    assert done.returncode == 1 and "below --min-accuracy" in done.stderr


def test_our_golden_fixtures_through_slr_eval() -> None:
    done = slr("eval", str(GOLDEN), "--min-accuracy", "0.8", "--json")
    assert done.returncode == 0
    assert json.loads(done.stdout)["accuracy"] >= 0.8


@pytest.mark.parametrize(
    ("name", "needle"),
    [
        ("bad_json", "bad_json.jsonl line 2: not valid JSON"),
        ("bad_tier", "bad_tier.jsonl line 3: 'tier' must be one of"),
        ("latin1", "latin1.jsonl line 2: not UTF-8"),
        ("empty", "empty.jsonl: no records"),
        ("missing", "missing.jsonl: cannot read"),
        ("corpus", "corpus.txt line 1: not valid JSON"),
    ],
)
def test_bad_files_name_the_file_and_line(name: str, needle: str) -> None:
    path = next(HERE.glob(f"{name}.*"), HERE / f"{name}.jsonl")
    done = slr("eval", str(path))
    assert done.returncode == 2
    assert needle in done.stderr.replace("\n", " ") and "Traceback" not in done.stderr


# --- replay ------------------------------------------------------------------------------


def write_log(path: Path, prompts: list[str]) -> None:
    router = Router()
    with path.open("w", encoding="utf-8") as f:
        for p in prompts:
            d = router.route(p)
            f.write(
                json.dumps(
                    {
                        "profile": "auto",
                        "tier": d.tier,
                        "model": d.model,
                        "prompt": p,
                        "cost_estimate_usd": d.cost_estimate_usd,
                        "input_tokens": d.estimated_input_tokens,
                    }
                )
                + "\n"
            )


def test_replay_shows_what_a_config_change_does(tmp_path: Path) -> None:
    prompts = ["hi", "what is the capital of france", "Prove that sqrt(2) is irrational step by step", "thanks!"]
    log = tmp_path / "decisions.jsonl"
    write_log(log, prompts)
    data = yaml.safe_load(bundled_config_path().read_text("utf-8"))
    data["smart_router"]["profiles"]["auto"]["SIMPLE"] = ["openai/gpt-4o-mini"]
    new = tmp_path / "new.yaml"
    new.write_text(yaml.safe_dump(data), "utf-8")
    done = slr("replay", str(log), "--config", str(new), "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["requests"] == 4 and result["tier_changed"] == 0 and result["model_changed"] == 3
    assert result["cost_delta_per_1k_requests_usd"] > 0  # gpt-4o-mini costs more than flash-lite
    assert {m["to"] for m in result["top_moved"]} == {"SIMPLE openai/gpt-4o-mini"}
    same = json.loads(slr("replay", str(log), "--config", str(new), "--against", str(new), "--json").stdout)
    assert same["model_changed"] == 0 and same["cost_delta_per_1k_requests_usd"] == 0


def test_replay_needs_prompt_text(tmp_path: Path) -> None:
    log = tmp_path / "hashed.jsonl"
    log.write_text(json.dumps({"profile": "auto", "tier": "SIMPLE", "model": "x", "prompt_sha256": "ab"}) + "\n")
    done = slr("replay", str(log), "--config", str(bundled_config_path()))
    assert done.returncode == 2 and "hashed.jsonl line 1: no prompt text" in done.stderr.replace("\n", " ")


def test_replay_carries_sessions(tmp_path: Path) -> None:
    hard = "Design a distributed rate limiter for a multi-region API gateway with Redis and write the Go code."
    rows = [("s1", hard, False), ("s1", "yes, go ahead", False), ("s1", "", True), ("s2", "yes, go ahead", False)]
    log = tmp_path / "decisions.jsonl"
    with log.open("w", encoding="utf-8") as f:
        for session, prompt, tool_turn in rows:
            f.write(
                json.dumps(
                    {
                        "profile": "auto",
                        "tier": "SIMPLE",
                        "model": "google/gemini-2.5-flash-lite",
                        "prompt": prompt,
                        "session": session,
                        "session_source": "header",
                        "tool_turn": tool_turn,
                        "turn": "new",
                    }
                )
                + "\n"
            )
    done = slr("replay", str(log), "--config", str(bundled_config_path()), "--json", "--top", "10")
    assert done.returncode == 0, done.stderr
    moved = {m["line"]: m["to"].split()[0] for m in json.loads(done.stdout)["top_moved"]}
    # Session s1 holds COMPLEX through its follow-up and its tool turn; s2 has no history.
    assert moved == {1: "COMPLEX", 2: "COMPLEX", 3: "COMPLEX"}


def test_eval_reads_conversation_folders() -> None:
    folder = Path(__file__).parent / "golden" / "conversations"
    done = slr("eval", str(folder / "dev"), str(folder / "holdout" / "en.jsonl"), "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["kind"] == "conversations" and result["conversations"] >= 60
    assert set(result) >= {"accuracy", "accuracy_per_message", "mid_task_downgrades", "cost_usd", "by_language"}
    assert result["mid_task_downgrades"] < result["mid_task_downgrades_per_message"]
    strict = slr("eval", str(folder / "dev"), "--min-accuracy", "0.99")
    assert strict.returncode == 1 and "per-turn accuracy" in strict.stdout
    assert "below --min-accuracy" in strict.stderr


def test_eval_names_a_broken_conversation(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"messages": [{"role": "user", "content": "hi", "tier": "HUGE"}]}) + "\n")
    done = slr("eval", str(bad))
    assert done.returncode == 2 and "bad.jsonl line 1" in done.stderr and "tier" in done.stderr


# --- bench --------------------------------------------------------------------------------


def test_bench_on_a_user_corpus() -> None:
    done = slr("bench", "--corpus", str(HERE / "corpus.txt"), "--seconds", "0.01", "--json")
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert {r["backend"] for r in rows} >= {"python"}
    assert all(r["median_us"] > 0 and r["calls"] >= 3 and r["case"] == "corpus.txt" for r in rows)


class _Recorder:
    """A stand-in scorer that logs which backend was called, for the turn-taking test."""

    def __init__(self, backend: str, log: list[str]) -> None:
        self.backend, self.log = backend, log

    def score(self, prompt: str) -> None:
        self.log.append(self.backend)


def test_bench_interleaves_backends() -> None:
    from smart_llm_router.bench import time_scorers

    log: list[str] = []
    scorers = [_Recorder("native", log), _Recorder("python", log)]
    rows = time_scorers(scorers, ["a", "bb"], min_seconds=0.02, rounds=4)  # type: ignore[arg-type]
    turns = [b for i, b in enumerate(log) if i == 0 or log[i - 1] != b]
    assert turns == ["native", "python"] * 4
    assert [r.backend for r in rows] == ["native", "python"]
    assert [r.calls for r in rows] == [log.count("native"), log.count("python")]
    assert all(r.median_us > 0 and r.p99_us >= r.median_us for r in rows)


def test_bench_table() -> None:
    done = slr("bench", "--corpus", str(HERE / "corpus.txt"), "--seconds", "0.01")
    assert done.returncode == 0 and "corpus.txt" in done.stdout and "MB/s" in done.stdout


def test_bench_bad_corpus(tmp_path: Path) -> None:
    bad = tmp_path / "c.jsonl"
    bad.write_text('{"text": "no prompt field"}\n', "utf-8")
    done = slr("bench", "--corpus", str(bad))
    assert done.returncode == 2 and "c.jsonl line 1" in done.stderr
