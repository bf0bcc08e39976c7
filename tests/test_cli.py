"""The `slr` command line, run as a user runs it."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml
from rich.cells import cell_len

import smart_llm_router
from helpers import slr
from smart_llm_router import Router
from smart_llm_router.config import bundled_config_path
from smart_llm_router.tables import TIERS


def test_version_names_the_backend() -> None:
    done = slr("version")
    assert done.returncode == 0
    assert "smart-llm-router" in done.stdout
    assert f"scorer backend: {smart_llm_router.BACKEND}" in done.stdout


def test_test_json() -> None:
    done = slr("test", "Prove that sqrt(2) is irrational step by step", "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["tier"] == "REASONING"
    assert data["backend"] == smart_llm_router.BACKEND
    assert len(data["dimensions"]) == 15
    assert "step by step" in data["dimensions"][0]["matched"]


def test_test_table() -> None:
    done = slr("test", "what is the capital of france")
    assert done.returncode == 0
    assert "SIMPLE" in done.stdout
    assert "simpleIndicators" in done.stdout


def test_system_prompt_and_stdin() -> None:
    done = slr("test", "-", "--system", "Answer in JSON only", "--json", stdin="hi")
    data = json.loads(done.stdout)
    assert data["tier"] == "MEDIUM" and data["rule"] == "structured_output"


@pytest.mark.parametrize("args", [("test",), ("nope",)])
def test_usage_errors(args: tuple[str, ...]) -> None:
    done = slr(*args)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr


def test_bad_backend_is_reported_without_traceback() -> None:
    done = slr("version", env={"SMART_LLM_ROUTER_BACKEND": "gpu"})
    assert done.returncode == 2
    assert "SMART_LLM_ROUTER_BACKEND" in done.stderr and "Traceback" not in done.stderr


def test_test_routes_with_profile_and_flags() -> None:
    done = slr("test", "design a high-availability microservices architecture", "--profile", "premium", "--json")
    data = json.loads(done.stdout)
    assert (data["tier"], data["model"], data["profile"]) == ("COMPLEX", "anthropic/claude-opus-4.7", "premium")
    assert data["fallback_chain"][0] == data["model"]
    done = slr("test", "what is in this photo?", "--image", "--tools", "--max-tokens", "50", "--json")
    data = json.loads(done.stdout)
    assert data["estimated_input_tokens"] > 0 and data["cost_estimate_usd"] is not None


def test_test_page_line() -> None:
    done = slr("test", "what is the capital of france")
    assert "SIMPLE / google/gemini-2.5-flash-lite /" in done.stdout
    assert "savings vs anthropic/claude-sonnet-4.6" in done.stdout


def test_explain_shows_dimensions() -> None:
    done = slr("test", "Prove that sqrt(2) is irrational step by step", "--explain")
    assert "reasoningMarkers" in done.stdout and "step by step" in done.stdout


def test_unknown_profile_is_a_clear_error() -> None:
    done = slr("test", "hi", "--profile", "xyz")
    assert done.returncode == 2
    assert "valid profiles are auto, eco, premium, agentic, free" in done.stderr.replace("\n", " ")
    assert "Traceback" not in done.stderr


def test_models_lists_every_profile() -> None:
    done = slr("models")
    assert done.returncode == 0
    for profile in ("auto", "eco", "premium", "agentic", "free"):
        assert f"smart/{profile}" in done.stdout
    free = slr("models", "--profile", "free")
    assert "smart/free" in free.stdout and "smart/auto" not in free.stdout
    assert ":free" in free.stdout


def test_bad_config_file(tmp_path) -> None:
    bad = tmp_path / "c.yaml"
    bad.write_text("model_list: []\nsmart_router: {}\n", encoding="utf-8")
    done = slr("models", "--config", str(bad))
    assert done.returncode == 2 and "model_list" in done.stderr and "Traceback" not in done.stderr
    done = slr("models", "--config", str(tmp_path / "missing.yaml"))
    assert done.returncode == 2 and "cannot read config" in done.stderr


# --- user and config text is printed as it is ------------------------------------------------

ODD_MODEL = "lab/[bold]x[/bold]-[/]:free:"  # Rich markup and an emoji code, in a model name
ODD_PROFILE = "[red]p[/red]"
ODD_PROMPT = "[/] please [bold]x[/bold] :free: thanks"


@pytest.fixture
def odd_config(tmp_path: Path) -> Path:
    """The bundled config plus a model and a profile whose names look like Rich markup."""
    data = yaml.safe_load(bundled_config_path().read_text("utf-8"))
    data["model_list"].append(
        {
            "model_name": ODD_MODEL,
            "litellm_params": {"model": "openai/x", "api_key": "sk-x", "api_base": "http://127.0.0.1:9/v1"},
        }
    )
    data["smart_router"]["models"][ODD_MODEL] = {
        "input_cost_per_token": 1e-7,
        "output_cost_per_token": 4e-7,
        "max_input_tokens": 1_000_000,
        "supports_vision": True,
        "supports_function_calling": True,
    }
    data["smart_router"]["profiles"]["auto"]["SIMPLE"].insert(0, ODD_MODEL)
    data["smart_router"]["profiles"][ODD_PROFILE] = data["smart_router"]["profiles"]["auto"]
    path = tmp_path / "[bold]odd[red]:free:.yaml"  # (no "/": it would be a folder)
    path.write_text(yaml.safe_dump(data, sort_keys=False), "utf-8")
    return path


def literal(done: subprocess.CompletedProcess[str], code: int) -> str:
    """stdout + stderr of a run that must end with ``code`` without a traceback."""
    assert done.returncode == code, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr and "MarkupError" not in done.stderr
    assert "🆓" not in done.stdout + done.stderr  # ":free:" is not an emoji code here
    return done.stdout + done.stderr


def test_slr_test_prints_config_text_literally(odd_config: Path) -> None:
    text = literal(slr("test", "hi", "--config", str(odd_config), "--explain"), 0)
    assert f"SIMPLE / {ODD_MODEL} / " in text
    assert f"fallbacks: {ODD_MODEL} -> google/gemini-2.5-flash-lite" in text
    text = literal(slr("test", ODD_PROMPT, "--config", str(odd_config), "--profile", ODD_PROFILE), 0)
    assert f"profile {ODD_PROFILE.lower()} " in text and ODD_MODEL in text


def test_slr_test_json_keeps_markup(odd_config: Path) -> None:
    done = slr("test", ODD_PROMPT, "--config", str(odd_config), "--json")
    assert json.loads(literal(done, 0))["model"] == ODD_MODEL


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("test", "hi", "--profile", "[/]"), "unknown profile '[/]'"),
        (("test", "hi", "--profile", "[bold]x[/bold]"), "unknown profile '[bold]x[/bold]'"),
        (("test", "hi", "--profile", ":free:"), "unknown profile ':free:'"),
    ],
)
def test_unknown_odd_profile_is_a_clear_error(args: tuple[str, ...], needle: str) -> None:
    assert needle in literal(slr(*args), 2).replace("\n", " ")


def test_error_paths_print_file_names_literally(tmp_path: Path) -> None:
    missing = tmp_path / "[/]:free:[bold]x[/bold].yaml"
    assert str(missing) in literal(slr("models", "--config", str(missing)), 2).replace("\n", "")
    assert str(missing) in literal(slr("doctor", "--config", str(missing)), 1).replace("\n", "")
    log = tmp_path / "[bold]x[/bold].jsonl"
    assert f"{log}: cannot read" in literal(slr("eval", str(log)), 2).replace("\n", "")


def test_slr_models_prints_odd_names(odd_config: Path) -> None:
    text = literal(slr("models", "--config", str(odd_config)), 0)
    assert ODD_MODEL in text and f"smart/{ODD_PROFILE.lower()}" in text


def test_slr_doctor_prints_free_models_and_odd_names(odd_config: Path) -> None:
    env = {"OPENROUTER_API_KEY": "sk-or-fake"}
    text = literal(slr("doctor", env={"OPENROUTER_API_KEY": ""}), 1)  # an error per model, :free ones too
    assert "meta-llama/llama-3.3-70b-instruct:free: OPENROUTER_API_KEY is not set" in text
    text = literal(slr("doctor", "--config", str(odd_config), env=env), 0)
    assert f"ok: {odd_config} routes 6 profiles" in text.replace("\n", "")


def test_slr_eval_prints_prompts_literally(tmp_path: Path) -> None:
    labelled = tmp_path / "odd.jsonl"
    labelled.write_text(
        "".join(
            json.dumps({"prompt": p, "tier": "REASONING"}) + "\n" for p in (ODD_PROMPT, "[bold]hi[/bold]", "x [/]")
        ),
        "utf-8",
    )
    text = literal(slr("eval", str(labelled)), 0)
    for prompt in (ODD_PROMPT, "[bold]hi[/bold]", "x [/]"):
        assert repr(prompt) in text
    text = literal(slr("eval", str(labelled), "--min-accuracy", "0.5"), 1)
    assert "below --min-accuracy" in text


def test_slr_replay_prints_prompts_and_models_literally(tmp_path: Path, odd_config: Path) -> None:
    log = tmp_path / "decisions.jsonl"
    log.write_text(
        "".join(
            json.dumps({"profile": "auto", "tier": "SIMPLE", "model": "google/gemini-2.5-flash-lite", "prompt": p})
            + "\n"
            for p in (ODD_PROMPT, "[bold]hi[/bold]")
        ),
        "utf-8",
    )
    text = literal(slr("replay", str(log), "--config", str(odd_config)), 0)
    assert f"SIMPLE google/gemini-2.5-flash-lite -> SIMPLE {ODD_MODEL}  {ODD_PROMPT!r}" in text
    assert repr("[bold]hi[/bold]") in text


# --- slr models at 80 columns, piped, and as JSON ---------------------------------------------

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
BOX = set("│┃━─╇┼┡┩╭╮╰╯║═")


def test_models_fit_80_columns_on_a_terminal() -> None:
    """A terminal 80 columns wide (rich forced to terminal mode: no pty needed)."""
    done = slr("models", env={"COLUMNS": "80", "LINES": "50", "FORCE_COLOR": "1", "TERM": "xterm-256color"})
    text = ANSI.sub("", literal(done, 0))
    assert done.stdout != text  # it did render for a terminal
    lines = text.splitlines()
    assert max(cell_len(line) for line in lines) <= 80
    assert "…" not in text
    router = Router()
    for table in router.tables.values():
        for models in table.values():
            for m in models:
                assert any(m.name in line for line in lines), m.name
    row = next(line for line in lines if "google/gemini-2.5-flash-lite" in line)
    assert row.split()[-5:-3] == ["0.1", "0.4"]  # USD per 1M tokens in and out


def test_models_piped_is_plain_and_complete() -> None:
    done = slr("models", env={"COLUMNS": "80"})
    text = literal(done, 0)
    assert not ANSI.search(text) and not BOX & set(text) and "…" not in text
    router = Router()
    rows = {}
    for line in text.splitlines():
        parts = line.split()
        if parts and parts[0] in TIERS:
            parts = parts[1:]
        if len(parts) == 6:
            rows.setdefault(parts[0], parts[1:])
    for table in router.tables.values():
        for models in table.values():
            for m in models:
                assert m.name in rows, m.name
                cells = rows[m.name]
                assert cells[0] == ("?" if m.input_cost is None else f"{m.input_cost * 1e6:.4g}")
                assert cells[1] == ("?" if m.output_cost is None else f"{m.output_cost * 1e6:.4g}")
                assert cells[3:] == ["yes" if m.vision else "-", "yes" if m.tools else "-"]
    assert rows["google/gemini-2.5-flash-lite"][2] == "1.05M"


def test_models_piped_never_truncates_long_names(tmp_path: Path) -> None:
    data = yaml.safe_load(bundled_config_path().read_text("utf-8"))
    long = "some-provider/" + "a-very-long-model-name-" * 4 + "v1:free"
    data["model_list"].append({"model_name": long, "litellm_params": {"model": "openai/x", "api_key": "k"}})
    data["smart_router"]["profiles"]["auto"]["SIMPLE"].insert(0, long)
    config = tmp_path / "long.yaml"
    config.write_text(yaml.safe_dump(data), "utf-8")
    text = literal(slr("models", "--config", str(config), env={"COLUMNS": "80"}), 0)
    assert long in text and "…" not in text
    done = slr("models", "--config", str(config), env={"COLUMNS": "80", "FORCE_COLOR": "1"})
    text = ANSI.sub("", literal(done, 0))
    assert "…" not in text and max(cell_len(line) for line in text.splitlines()) <= 80


def test_models_json_has_every_field() -> None:
    done = slr("models", "--json")
    data = json.loads(literal(done, 0))
    router = Router()
    assert list(data) == router.profiles
    for profile, table in router.tables.items():
        assert list(data[profile]) == list(TIERS)
        for tier, models in table.items():
            rows = data[profile][tier]
            assert [r["name"] for r in rows] == [m.name for m in models]
            assert [r["role"] for r in rows] == ["primary"] + ["fallback"] * (len(models) - 1)
            for r, m in zip(rows, models):
                assert r["input_cost_per_token"] == m.input_cost and r["output_cost_per_token"] == m.output_cost
                assert (r["max_input_tokens"], r["max_output_tokens"]) == (m.max_input_tokens, m.max_output_tokens)
                assert (r["supports_vision"], r["supports_function_calling"]) == (m.vision, m.tools)
                assert (r["free"], r["price_source"]) == (m.free, m.source)
    one = json.loads(slr("models", "--profile", "free", "--json").stdout)
    assert list(one) == ["free"]


# --- flags ---------------------------------------------------------------------------------------


def test_each_short_flag_means_one_thing() -> None:
    import typer.main

    from smart_llm_router.cli import app

    meaning: dict[str, set[str]] = {}
    group = typer.main.get_command(app)
    for command in group.commands.values():  # type: ignore[attr-defined]
        for param in command.params:
            short = [o for o in param.opts if not o.startswith("--")]
            long = [o for o in param.opts if o.startswith("--")]
            for s in short:
                meaning.setdefault(s, set()).update(long)
    assert {k: v for k, v in meaning.items() if len(v) > 1} == {}
    assert meaning["-c"] == {"--config"} and meaning["-p"] == {"--profile"}
