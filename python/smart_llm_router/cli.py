"""The `slr` / `smart-llm-router` command line."""

from __future__ import annotations

import json
import signal
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.cells import cell_len
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from . import __version__, _backend
from .asks import RequestError
from .catalog import ModelInfo
from .errors import ConfigError
from .evaluate import InputFileError
from .router import NoModelError, Router, RoutingDecision, get_router
from .scoring import ScoreResult
from .tables import TIERS

app = typer.Typer(
    name="slr",
    help="smart-llm-router: score prompts and route them to the cheapest capable model.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# Everything printed holds user or config text (prompts, model and profile names, paths, error
# messages): "[/]" in it would crash Rich markup, "[bold]" vanish and "x:free: ..." turn into
# an emoji. So the consoles parse neither; styling is explicit (Text spans, table styles).
out = Console(highlight=False, soft_wrap=True, markup=False, emoji=False)
err = Console(stderr=True, highlight=False, soft_wrap=True, markup=False, emoji=False)

TIER_STYLE = {"SIMPLE": "green", "MEDIUM": "cyan", "COMPLEX": "yellow", "REASONING": "magenta"}


@app.command()
def version() -> None:
    """Print the version and the scorer backend in use."""
    out.print(f"smart-llm-router {__version__} (scorer backend: {_backend.backend()})")


def _render(result: ScoreResult) -> None:
    style = TIER_STYLE[result.tier]
    flags = []
    if result.ambiguous:
        flags.append("ambiguous")
    if result.rule not in ("score", "ambiguous"):
        flags.append(f"rule: {result.rule}")
    extra = f"  ({', '.join(flags)})" if flags else ""
    out.print(
        Text.assemble(
            (result.tier, f"bold {style}"),
            f"  score {result.score:+.4f}  confidence {result.confidence:.2f}  ~{result.estimated_tokens} tokens{extra}",
        )
    )
    table = Table(show_edge=False, pad_edge=False)
    table.add_column("dimension")
    table.add_column("weight", justify="right")
    table.add_column("raw", justify="right")
    table.add_column("contribution", justify="right")
    table.add_column("matched")
    for d in result.dimensions:
        dim_style = "dim" if d.raw == 0 else ""
        table.add_row(
            d.name,
            f"{d.weight:.2f}",
            f"{d.raw:+.2f}",
            f"{d.contribution:+.4f}",
            ", ".join(d.matched),
            style=dim_style,
        )
    out.print(table)
    for name, words in result.rule_keywords.items():
        if words:
            out.print(f"{name}: {', '.join(words)}")


def _money(value: float | None) -> str:
    if value is None:
        return "unknown"
    return f"${value:.6f}" if value < 0.01 else f"${value:.4f}"


def _render_decision(d: RoutingDecision, router: Router, explain: bool) -> None:
    style = TIER_STYLE[d.tier]
    baseline = router.config.smart_router.baseline
    if d.savings is None:
        saving = f"savings vs {baseline} unknown (price missing)"
    else:
        saving = f"{d.savings:.0%} savings vs {baseline}"
    out.print(Text.assemble((d.tier, f"bold {style}"), " / ", (d.model, "bold"), f" / {saving}"))
    out.print(Text(d.reason, style="dim"))
    out.print(
        f"profile {d.profile}"
        + (f" ({d.table} table)" if d.table != d.profile else "")
        + f" · confidence {d.confidence:.2f}{' (ambiguous)' if d.ambiguous else ''}"
        + f" · ~{d.estimated_input_tokens:.0f} input tokens · est. cost {_money(d.cost_estimate_usd)}"
        + f" vs {_money(d.baseline_cost_usd)}"
    )
    out.print(f"fallbacks: {' -> '.join(d.fallback_chain)}")
    if explain:
        _render(d.result)


@app.command("test")
def test_prompt(
    prompt: Annotated[str, typer.Argument(help="The prompt to route ('-' reads stdin).")],
    profile: Annotated[str, typer.Option("--profile", "-p", help="Routing profile.")] = "auto",
    system: Annotated[
        str | None, typer.Option("--system", "-s", help="A system prompt (feeds only the structured-output rule).")
    ] = None,
    tools: Annotated[bool, typer.Option("--tools", help="The request carries tools.")] = False,
    image: Annotated[bool, typer.Option("--image", help="The request carries an image.")] = False,
    max_tokens: Annotated[int | None, typer.Option("--max-tokens", min=1, help="max_tokens of the request.")] = None,
    config: Annotated[Path | None, typer.Option("--config", "-c", help="Config YAML (default: bundled).")] = None,
    explain: Annotated[bool, typer.Option("--explain", help="Show every dimension.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the whole decision as JSON.")] = False,
) -> None:
    """Route a prompt without dispatching it: tier, model, savings and why."""
    if prompt == "-":
        prompt = sys.stdin.read()
    router = get_router(config)
    decision = router.route(
        prompt,
        system_prompt=system,
        profile=profile,
        has_tools=tools,
        has_vision=image,
        max_output_tokens=max_tokens,
    )
    if as_json:
        data = {"backend": _backend.backend(), **decision.to_dict()}
        out.print_json(json.dumps(data, ensure_ascii=False))
    else:
        _render_decision(decision, router, explain)


def _per_million(value: float | None) -> str:
    """A per-token price as USD per 1M tokens, short: 0.1, 2.5, 15, 0.075."""
    return "?" if value is None else f"{value * 1e6:.4g}"


def _short_count(n: int | None) -> str:
    """A context window in five characters or less: 1,048,576 -> 1.05M, 131,072 -> 131K."""
    if n is None:
        return "?"
    for unit, size in (("G", 1e9), ("M", 1e6), ("K", 1e3)):
        # (the 0.9995 keeps 999,999 from printing as "1e+03K")
        if n >= size * 0.9995:
            return f"{n / size:.3g}{unit}"
    return str(n)


MODEL_COLUMNS = ("tier", "model", "in", "out", "ctx", "img", "tools")
# Fields of ModelInfo under the names LiteLLM's cost map and smart_router.models use.
MODEL_JSON_NAMES = {
    "input_cost": "input_cost_per_token",
    "output_cost": "output_cost_per_token",
    "vision": "supports_vision",
    "tools": "supports_function_calling",
    "source": "price_source",
}


def _model_rows(models: list[ModelInfo]) -> list[list[str]]:
    """One row per model: the tier's primary first (the only row naming the tier), then its
    fallbacks in the order they are tried."""
    return [
        [
            "",
            m.name,
            _per_million(m.input_cost),
            _per_million(m.output_cost),
            _short_count(m.max_input_tokens),
            "yes" if m.vision else "-",
            "yes" if m.tools else "-",
        ]
        for m in models
    ]


def _plain_lines(rows: list[list[str]], right: set[int]) -> list[str]:
    """Columns aligned with spaces, nothing cut: for pipes and files."""
    widths = [max(cell_len(row[i]) for row in rows) for i in range(len(rows[0]))]

    def pad(i: int, cell: str) -> str:
        gap = " " * (widths[i] - cell_len(cell))
        return gap + cell if i in right else cell + gap

    return ["  ".join(pad(i, cell) for i, cell in enumerate(row)).rstrip() for row in rows]


@app.command("models")
def models(
    profile: Annotated[str | None, typer.Option("--profile", "-p", help="Only this profile.")] = None,
    config: Annotated[Path | None, typer.Option("--config", "-c", help="Config YAML (default: bundled).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print every field of every model as JSON.")] = False,
) -> None:
    """Show each profile's tier -> model table: prices (USD per 1M tokens in/out), context
    window, vision (img) and tool calling."""
    router = get_router(config)
    names = [router.profile_name(profile)] if profile else router.profiles
    if as_json:
        data = {
            name: {
                tier: [
                    {MODEL_JSON_NAMES.get(k, k): v for k, v in asdict(m).items()}
                    | {"role": "fallback" if i else "primary"}
                    for i, m in enumerate(router.tables[name][tier])
                ]
                for tier in TIERS
            }
            for name in names
        }
        out.print_json(json.dumps(data, ensure_ascii=False))
        return
    right = {2, 3, 4}
    for name in names:
        rows, styles = [], []
        for tier in TIERS:
            tier_rows = _model_rows(router.tables[name][tier])
            if tier_rows:
                tier_rows[0][0] = tier
            rows += tier_rows
            styles += [TIER_STYLE[tier]] * len(tier_rows)
        title = f"smart/{name}  (in/out: USD per 1M tokens; ctx: context window; img: vision)"
        if not out.is_terminal:
            # Piped or redirected: plain lines, every value whole, however long the names.
            out.print(title)
            for line in _plain_lines([list(MODEL_COLUMNS), *rows], right):
                out.print(line)
            out.print()
            continue
        # Fits 80 columns with the bundled names (at most ~40 characters); a longer name
        # wraps inside its column rather than being cut.
        table = Table(title=title, title_justify="left", box=None, pad_edge=False, header_style="bold")
        for i, column in enumerate(MODEL_COLUMNS):
            table.add_column(
                column,
                justify="right" if i in right else "center" if i > 4 else "left",
                overflow="fold",
                no_wrap=column != "model",
            )
        for row, style in zip(rows, styles):
            table.add_row(Text(row[0], style=style), *row[1:])
        out.print(table)
        out.print()


@app.command()
def start(
    config: Annotated[
        Path | None, typer.Option("--config", "-c", help="Config YAML (default: bundled, OpenRouter).")
    ] = None,
    port: Annotated[
        int, typer.Option("--port", min=1, max=65535, help="Listen port; a taken port is an error.")
    ] = 4000,
    host: Annotated[str, typer.Option("--host", help="Listen address; non-loopback needs a master key.")] = "127.0.0.1",
    workers: Annotated[int, typer.Option("--workers", "-w", min=1, help="Proxy worker processes.")] = 1,
    demo: Annotated[
        bool, typer.Option("--demo", help="Serve every model from a built-in demo upstream: no API key, no network.")
    ] = False,
) -> None:
    """Run the LiteLLM proxy with smart routing (Ctrl-C stops it)."""
    from .proxy import PortInUseError, running_proxy

    if demo and config is not None:
        raise typer.BadParameter("--demo brings its own config; drop --config", param_hint="--demo")
    # SIGTERM must unwind like Ctrl-C so the proxy and the demo upstream are stopped too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    out.print(f"starting the proxy on {host}:{port} (LiteLLM takes a few seconds) ...")
    try:
        with running_proxy(config, host=host, port=port, workers=workers, demo=demo) as info:
            url, key = info["url"], info["master_key"] or "sk-anything"
            router = get_router(info["config"])
            out.print(
                Text.assemble(("smart-llm-router proxy ready", "bold green"), f" at {url}  (config: {info['config']})")
            )
            out.print(
                "profiles: "
                + ", ".join(f"smart/{p}" for p in router.profiles)
                + "; any concrete model name bypasses routing"
            )
            if info["upstream"]:
                out.print(f"demo upstream at {info['upstream']}: replies name the model and tier that served them")
            if not info["master_key"]:
                out.print(Text("no master key set: on loopback the proxy accepts any key", style="yellow"))
            body = '{"model":"smart/auto","messages":[{"role":"user","content":"Prove that sqrt(2) is irrational step by step"}]}'
            out.print(
                f"try:  curl -si {url}/v1/chat/completions -H 'Authorization: Bearer {key}' "
                f"-H 'Content-Type: application/json' -d '{body}'"
            )
            out.print(f"      (Claude Code: ANTHROPIC_BASE_URL={url} ANTHROPIC_AUTH_TOKEN={key} claude)")
            try:
                info["process"].wait()
            except KeyboardInterrupt:
                out.print("stopping ...")
    except PortInUseError as e:
        err.print(
            Text.assemble(
                ("the proxy did not start:", "red"), f" {e}; stop that process or choose another port with --port"
            )
        )
        sys.exit(2)
    except RuntimeError as e:
        err.print(Text.assemble(("the proxy did not start:", "red"), f" {e}"))
        sys.exit(1)


@app.command()
def init(
    upstream: Annotated[
        str,
        typer.Option(
            "--upstream",
            "-u",
            help="openrouter, openai, anthropic, together, fireworks, groq, deepinfra, vllm or ollama.",
        ),
    ] = "openrouter",
    config: Annotated[Path, typer.Option("--config", "-c", help="Where to write the config.")] = Path(
        "smart-llm-router.yaml"
    ),
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write one working config (LiteLLM proxy + smart_router) for an upstream."""
    from .configure import write_init

    steps = write_init(upstream, config, force=force)
    router = get_router(config)
    out.print(
        Text.assemble(
            (f"wrote {config}", "green"),
            f" ({upstream}: {len(router.config.model_list)} models, profiles {', '.join(router.profiles)})",
        )
    )
    out.print("next:")
    for step in steps:
        out.print(f"  {step}")
    out.print(f"  slr doctor --config {config}")
    out.print(f"  slr start --config {config}")


@app.command()
def doctor(
    config: Annotated[Path | None, typer.Option("--config", "-c", help="Config YAML (default: bundled).")] = None,
) -> None:
    """Check a config: models routable, keys set, prices known, LiteLLM version. Exit 1 on errors."""
    from .configure import diagnose

    problems, loaded = diagnose(config)
    for p in problems:
        mark = ("error  ", "red") if p.level == "error" else ("warning", "yellow")
        out.print(Text.assemble(mark, f" {p.message}"))
    errors = sum(p.level == "error" for p in problems)
    if errors:
        out.print(Text.assemble((f"{errors} error(s)", "red"), ": requests would fail; fix them before `slr start`"))
        raise typer.Exit(1)
    name = loaded.source if loaded else config
    out.print(
        Text.assemble(
            ("ok", "green"),
            f": {name} routes {len(loaded.smart_router.profiles) if loaded else 0} profiles"
            + (f" ({len(problems)} warning(s))" if problems else ""),
        )
    )


def _duration(us: float) -> str:
    if us < 1000:
        return f"{us:.1f} µs"
    return f"{us / 1000:.2f} ms" if us < 1_000_000 else f"{us / 1e6:.2f} s"


@app.command()
def bench(
    proxy: Annotated[
        str | None, typer.Option("--proxy", help="Load-test a running proxy at this URL instead of timing the scorer.")
    ] = None,
    corpus: Annotated[
        Path | None,
        typer.Option("--corpus", help="Time your own prompts: one per line, or JSONL with a 'prompt' field."),
    ] = None,
    seconds: Annotated[
        float, typer.Option("--seconds", min=0.01, max=60, help="Minimum time per case and backend.")
    ] = 0.3,
    requests: Annotated[
        int, typer.Option("--requests", "-n", min=1, max=1_000_000, help="(--proxy) requests to send.")
    ] = 200,
    concurrency: Annotated[
        int, typer.Option("--concurrency", min=1, max=1024, help="(--proxy) requests in flight.")
    ] = 8,
    model: Annotated[
        str, typer.Option("--model", "-m", help="(--proxy) model or smart/<profile> to request.")
    ] = "smart/auto",
    api_key: Annotated[
        str, typer.Option("--api-key", envvar="LITELLM_MASTER_KEY", help="(--proxy) the proxy's key.")
    ] = "sk-anything",
    as_json: Annotated[bool, typer.Option("--json", help="Print the results as JSON.")] = False,
) -> None:
    """Time the scorer (both backends side by side, built-in corpus or --corpus), or with
    --proxy load a running proxy: p50/p95/p99 latency, throughput, errors."""
    from rich.progress import Progress

    from . import bench as benchmarks

    if proxy is None:
        cases = benchmarks.read_corpus(corpus) if corpus else benchmarks.builtin_corpus()
        backends = ["native", "python"] if _backend.native_available() else ["python"]
        with Progress(console=err, transient=True, disable=as_json) as progress:
            task = progress.add_task("timing the scorer", total=len(cases))
            rows = benchmarks.run_scorer_bench(cases, backends, seconds, on_case=lambda _: progress.advance(task))
        if as_json:
            out.print_json(json.dumps([vars(r) | {"chars": len(cases[r.case][0])} for r in rows]))
            return
        table = Table(title="score() per call: median and p99 over varied prompts", title_justify="left")
        table.add_column("case", no_wrap=True)
        for i, b in enumerate(backends):
            # p99 of the first backend only, so the table fits 80 columns (--json has all).
            for column in (b, "p99", "MB/s") if i == 0 else (b, "MB/s"):
                table.add_column(column, justify="right", no_wrap=True)
        if len(backends) == 2:
            table.add_column("speed-up", justify="right")
        for case in cases:
            by = {r.backend: r for r in rows if r.case == case}
            cells = [case]
            for i, b in enumerate(backends):
                cells += [_duration(by[b].median_us)] + ([_duration(by[b].p99_us)] if i == 0 else [])
                cells.append(f"{by[b].mb_per_s:,.1f}")
            if len(backends) == 2:
                cells.append(f"{by['python'].median_us / by['native'].median_us:,.0f}x")
            table.add_row(*cells)
        out.print(table)
        return
    import asyncio

    from .bench import run_load

    with Progress(console=err, transient=True, disable=as_json) as progress:
        # (Progress parses markup in task descriptions whatever the console says)
        task = progress.add_task(escape(f"{requests} requests to {proxy}"), total=requests)
        result = asyncio.run(
            run_load(
                proxy,
                requests=requests,
                concurrency=concurrency,
                model=model,
                api_key=api_key,
                on_done=lambda: progress.advance(task),
            )
        )
    summary = result.summary()
    if as_json:
        out.print_json(json.dumps(summary))
        return
    table = Table(title=f"{model} via {proxy} (concurrency {concurrency})", title_justify="left")
    for column in ("requests", "ok", "errors", "p50 ms", "p95 ms", "p99 ms", "req/s"):
        table.add_column(column, justify="right")
    errors = ", ".join(f"{k}: {v}" for k, v in summary["errors"].items()) or "0"
    table.add_row(
        *(str(summary[k]) for k in ("requests", "ok")),
        errors,
        *(str(summary[k]) for k in ("p50_ms", "p95_ms", "p99_ms", "throughput_rps")),
    )
    out.print(table)
    if summary["tiers"]:
        out.print("tiers: " + ", ".join(f"{k} {v}" for k, v in sorted(summary["tiers"].items())))
    if summary["errors"]:
        raise typer.Exit(1)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


@app.command("eval")
def eval_file(
    paths: Annotated[
        list[Path],
        typer.Argument(
            help="JSONL files, or folders of them, all of one kind: labelled prompts ({prompt, tier}), outcomes ({prompt, cheap, strong}) or labelled conversations ({messages})."
        ),
    ],
    config: Annotated[Path | None, typer.Option("--config", "-c", help="Config YAML (default: bundled).")] = None,
    min_accuracy: Annotated[
        float | None,
        typer.Option(
            "--min-accuracy",
            min=0,
            max=1,
            help="Exit 1 below this accuracy (labelled files; per turn for conversations).",
        ),
    ] = None,
    strong_from: Annotated[
        str, typer.Option("--strong-from", help="Tiers from this one up count as the strong model (outcome files).")
    ] = "COMPLEX",
    plot: Annotated[
        Path | None, typer.Option("--plot", help="Draw the cost/quality curve to this PNG (needs matplotlib).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the results as JSON.")] = False,
) -> None:
    """Accuracy on labelled prompts or conversations, or the cost/quality curve and APGR on
    outcome files."""
    from .evaluate import (
        InputFileError,
        evaluate_labelled,
        evaluate_outcomes,
        expand_paths,
        file_kind,
        is_conversation_file,
        plot_curve,
        read_jsonl,
    )

    if strong_from.upper() not in TIERS:
        raise typer.BadParameter(f"one of {', '.join(TIERS)}", param_hint="--strong-from")
    router = get_router(config)
    files = [(path, read_jsonl(path)) for path in expand_paths(paths)]
    if all(is_conversation_file(rows) for _, rows in files):
        _eval_conversations(files, router, min_accuracy, as_json)
        return
    kinds = {path: "conversations" if is_conversation_file(rows) else file_kind(rows, path) for path, rows in files}
    kind = kinds[files[0][0]]
    for path, other in kinds.items():
        if other != kind:
            named = {"labelled": "labelled prompts", "outcomes": "outcomes", "conversations": "conversations"}
            raise InputFileError(
                f"{path} holds {named[other]} but {files[0][0]} holds {named[kind]}: evaluate one kind at a time"
            )
    prompts = sum(len(rows) for _, rows in files)
    if kind == "outcomes":
        curve = evaluate_outcomes(files, router, strong_from.upper())
        share, quality, pgr = curve.operating_point
        data = {
            "kind": "outcomes",
            "prompts": prompts,
            "apgr": curve.apgr,
            "ideal_apgr": curve.ideal.apgr if curve.ideal else None,
            "quality_cheap": curve.quality_cheap,
            "quality_strong": curve.quality_strong,
            "operating_point": {
                "strong_share": share,
                "quality": quality,
                "pgr": pgr,
                "strong_from": strong_from.upper(),
            },
            "curve": [{"strong_share": c, "pgr": p} for c, p in curve.points],
        }
        if plot is not None:
            plot_curve(curve, plot)
        if as_json:
            out.print_json(json.dumps(data))
            return
        out.print(f"{prompts} prompts · quality cheap {curve.quality_cheap:.3f} · strong {curve.quality_strong:.3f}")
        out.print(f"APGR {curve.apgr:.3f} (random 0.500, ideal {data['ideal_apgr']:.3f})")
        out.print(
            f"current tier mapping ({strong_from.upper()}+ -> strong): {share:.1%} strong calls, "
            f"quality {quality:.3f}, {pgr:.1%} of the gap recovered"
        )
        if plot is not None:
            out.print(f"curve drawn to {plot}")
        return
    result = None
    for path, rows in files:
        result = evaluate_labelled(rows, path, router, into=result)
    assert result is not None  # expand_paths gives at least one file
    if as_json:
        out.print_json(json.dumps({"kind": "labelled", **result.to_dict()}, ensure_ascii=False))
    else:
        out.print(f"accuracy {result.accuracy:.1%} ({result.correct}/{result.total})")
        out.print(_confusion_table(result.confusion, result.recall, result.precision))
        for m in result.misrouted[:25]:
            out.print(
                Text.assemble(
                    f"{m['file']} line {m['line']}: " if len(files) > 1 else f"line {m['line']}: ",
                    f"{m['expected']} -> ",
                    (str(m["got"]), "bold"),
                    f" {m['prompt']!r}  ",
                    ("; ".join(m["signals"]), "dim"),
                )
            )
        if len(result.misrouted) > 25:
            out.print(f"... {len(result.misrouted) - 25} more misrouted (--json lists all)")
    if min_accuracy is not None and result.accuracy < min_accuracy:
        err.print(f"accuracy {result.accuracy:.1%} is below --min-accuracy {min_accuracy:.1%}")
        raise typer.Exit(1)


def _confusion_table(confusion: Any, recall: Any, precision: Any) -> Table:
    table = Table(title="expected (rows) x routed (columns)", title_justify="left")
    table.add_column("")
    for t in TIERS:
        table.add_column(t, justify="right")
    table.add_column("recall", justify="right")
    for e in TIERS:
        table.add_row(e, *(str(confusion[(e, g)]) for g in TIERS), _pct(recall(e)))
    table.add_row("precision", *(_pct(precision(g)) for g in TIERS), "")
    return table


def _eval_conversations(files: Any, router: Router, min_accuracy: float | None, as_json: bool) -> None:
    from .evaluate import evaluate_conversations

    result = evaluate_conversations(files, router)
    if as_json:
        out.print_json(json.dumps({"kind": "conversations", **result.to_dict()}, ensure_ascii=False))
    else:
        n = max(result.turns, 1)
        out.print(f"{result.conversations} conversations, {result.turns} turns")
        out.print(f"per-turn accuracy {result.accuracy:.1%} (per-message routing {result.accuracy_per_message:.1%})")
        out.print(
            f"mid-task downgrades {result.downgrades} (per-message routing {result.downgrades_per_message}); "
            f"under-routed turns {result.under} ({result.under / n:.1%})"
        )
        ratio = result.cost / result.cost_per_message if result.cost_per_message else None
        out.print(
            f"estimated cost {result.cost:.4f} USD vs {result.cost_per_message:.4f} per message"
            + (f" ({ratio:.2f}x)" if ratio is not None else "")
        )
        out.print(
            "by language: " + ", ".join(f"{k} {c / t:.0%} ({t})" for k, (c, t) in sorted(result.by_language.items()))
        )
        out.print(_confusion_table(result.confusion, result.recall, result.precision))
        for m in result.misrouted[:25]:
            out.print(
                f"{m['where']} turn {m['turn']}: {m['expected']} -> {m['got']} ({m['turn_kind']}, {m['rule']}) {m['text']!r}"
            )
        if len(result.misrouted) > 25:
            out.print(f"... {len(result.misrouted) - 25} more misrouted (--json lists all)")
    if min_accuracy is not None and result.accuracy < min_accuracy:
        err.print(f"per-turn accuracy {result.accuracy:.1%} is below --min-accuracy {min_accuracy:.1%}")
        raise typer.Exit(1)


@app.command("calibrate")
def calibrate_config(
    paths: Annotated[
        list[Path],
        typer.Argument(
            help="JSONL: labelled prompts ({prompt, tier}) and labelled conversations, or outcomes ({prompt, cheap, strong}); files or folders of them."
        ),
    ],
    config: Annotated[
        Path | None, typer.Option("--config", "-c", help="The config to start from and to update (default: bundled).")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the updated config here instead of into --config.")
    ] = None,
    folds: Annotated[int, typer.Option("--folds", min=2, max=100, help="Cross-validation folds.")] = 5,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the fold split and the random restarts.")] = 0,
    strong_from: Annotated[
        str, typer.Option("--strong-from", help="Tiers from this one up count as the strong model (outcome files).")
    ] = "COMPLEX",
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing --output file.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the results as JSON.")] = False,
) -> None:
    """Fit smart_router.scoring (weights, tier boundaries, saturations, ambiguity threshold)
    to labelled data with k-fold cross-validation; write the changed numbers only if the
    held-out folds do better (exit 1 otherwise)."""
    from rich.progress import Progress

    from .calibrate import ModelMismatchError, calibrate, write_config

    if strong_from.upper() not in TIERS:
        raise typer.BadParameter(f"one of {', '.join(TIERS)}", param_hint="--strong-from")
    target = output or config
    if output is not None and output.exists() and not force and output.resolve() != (config and config.resolve()):
        raise InputFileError(f"{output} exists: use --force to overwrite it, or -c {output} to update it")
    with Progress(console=err, transient=True) as progress:
        tasks: dict[str, Any] = {}

        def report(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = progress.add_task(stage, total=total)
            progress.update(tasks[stage], completed=done, total=total)

        try:
            result = calibrate(paths, config, folds=folds, seed=seed, strong_from=strong_from, progress=report)
        except ModelMismatchError as e:
            err.print(Text.assemble(("internal error:", "red"), f" {e}"))
            raise typer.Exit(1) from None
    written, refused = None, None
    if not result.improved:
        refused = "the fitted numbers do not do better than the starting config on the held-out folds"
    elif not result.overrides:
        refused = "no number changed"
    elif target is not None:
        try:
            written = write_config(result, config, target)
        except ModelMismatchError as e:
            err.print(Text.assemble(("internal error:", "red"), f" {e}"))
            raise typer.Exit(1) from None
    if as_json:
        data = result.to_dict() | {
            "written": str(written.path) if written else None,
            "comments_kept": written.comments_kept if written else None,
            "refused": refused,
        }
        out.print_json(json.dumps(data, ensure_ascii=False))
    else:
        _render_calibration(result)
        if refused:
            err.print(Text.assemble(("not written:", "yellow"), f" {refused}"))
        elif written:
            out.print(
                Text.assemble(
                    (f"wrote {written.path}", "green"), f" (smart_router.scoring: {len(result.changes)} numbers)"
                )
            )
            if not written.comments_kept:
                err.print(
                    Text.assemble(
                        ("note:", "yellow"),
                        f" {written.path} was rewritten as plain YAML: its layout could not be edited in place, so its comments are gone",
                    )
                )
        else:
            out.print(
                "nothing written: give -o FILE (a copy of the config with these numbers) or -c CONFIG to update it"
            )
    if not result.improved:
        raise typer.Exit(1)


def _render_calibration(result: Any) -> None:
    from .calibrate import Labelled

    data = result.to_dict()
    lines = data["lines"]
    head = f"{data['requests']} requests" + (f" ({lines} lines)" if lines != data["requests"] else "")
    out.print(
        f"{head} · {result.folds}-fold cross-validation, seed {result.seed} · {result.backend} backend · "
        f"{result.seconds:.1f} s"
    )
    before, after, fitted = result.before, result.after, result.fitted
    if isinstance(before, Labelled):
        out.print(
            f"held-out folds: accuracy {before.accuracy:.1%} -> {after.accuracy:.1%} "
            f"({before.correct} -> {after.correct} of {before.total}), under-routed {before.under_routed} -> {after.under_routed}"
        )
        if before.turns:
            out.print(
                f"  of which conversation turns: {before.turns_correct / before.turns:.1%} -> "
                f"{after.turns_correct / after.turns:.1%} ({before.turns} turns)"
            )
        for title, part in (("starting config", before), ("fitted per fold, on its held-out fold", after)):
            table = _confusion_table(part.confusion, *_rates(part.confusion))
            table.title = f"{title}: expected (rows) x routed (columns)"
            out.print(table)
        out.print(f"fitted on everything: accuracy {fitted.accuracy:.1%} on the same data (what slr eval will show)")
    else:
        out.print(
            f"held-out folds: APGR {before.apgr:.3f} -> {after.apgr:.3f}; the starting config's quality "
            f"(PGR {before.pgr:.1%}) with {before.strong_share:.1%} -> {after.share_at_start_quality:.1%} strong calls"
        )
        out.print(
            f"fitted tier mapping ({result.strong_from}+ -> strong): {after.strong_share:.1%} strong calls, PGR {after.pgr:.1%}"
        )
        out.print(f"fitted on everything: APGR {fitted.apgr:.3f} on the same data")
    for key, old, new in result.changes:
        out.print(f"  {key}: {old} -> {new}")


def _rates(confusion: Any) -> tuple[Any, Any]:
    def recall(tier: str) -> float | None:
        n = sum(confusion[(tier, g)] for g in TIERS)
        return confusion[(tier, tier)] / n if n else None

    def precision(tier: str) -> float | None:
        n = sum(confusion[(e, tier)] for e in TIERS)
        return confusion[(tier, tier)] / n if n else None

    return recall, precision


@app.command()
def replay(
    log: Annotated[Path, typer.Argument(help="The proxy's decision log (smart_router.decision_log, prompts: text).")],
    config: Annotated[Path, typer.Option("--config", "-c", help="The new config to replay under.")],
    against: Annotated[
        Path | None, typer.Option("--against", help="Compare with this config instead of what the log recorded.")
    ] = None,
    top: Annotated[int, typer.Option("--top", min=0, max=1000)] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Print the results as JSON.")] = False,
) -> None:
    """Re-route logged requests under another config: moved tiers/models and the cost delta."""
    from .replay import replay as run_replay

    result = run_replay(log, get_router(config), get_router(against) if against else None)
    data = result.to_dict(top)
    if as_json:
        out.print_json(json.dumps(data, ensure_ascii=False))
        return
    n = max(result.requests, 1)
    out.print(
        f"{result.requests} requests · tier changed {result.tier_changed} ({result.tier_changed / n:.1%}) · "
        f"model changed {result.model_changed} ({result.model_changed / n:.1%})"
    )
    delta = data["cost_delta_per_1k_requests_usd"]
    out.print(
        "estimated cost per 1k requests: "
        + ("unknown (no prices)" if delta is None else f"{delta:+.4f} USD")
        + (f" ({result.unpriced} requests without a price left out)" if result.unpriced else "")
    )
    for m in data["top_moved"]:
        out.print(Text.assemble(f"line {m['line']}: {m['from']} -> ", (str(m["to"]), "bold"), f"  {m['prompt']!r}"))


def main() -> None:
    """Console entry point: clear one-line errors, no tracebacks."""
    try:
        app()
    except ConfigError as e:
        _fail("configuration error:", e)
    except InputFileError as e:
        _fail("error:", e)
    except (NoModelError, RequestError) as e:
        _fail("cannot route:", e)
    except (OSError, ValueError, ImportError) as e:
        _fail("error:", e)


def _fail(what: str, e: Exception) -> NoReturn:
    err.print(Text.assemble((what, "red"), f" {e}"))
    sys.exit(2)


if __name__ == "__main__":  # pragma: no cover
    main()
