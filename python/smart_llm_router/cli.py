"""The `slr` / `smart-llm-router` command line."""

from __future__ import annotations

import json
import signal
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table

from . import __version__
from . import _backend
from .asks import RequestError
from .config import TIERS
from .errors import ConfigError
from .router import NoModelError, Router, RoutingDecision, get_router
from .scoring import ScoreResult

app = typer.Typer(
    name="slr",
    help="smart-llm-router: score prompts and route them to the cheapest capable model.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

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
        f"[bold {style}]{result.tier}[/]  score {result.score:+.4f}  "
        f"confidence {result.confidence:.2f}  ~{result.estimated_tokens} tokens{extra}"
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
            d.name, f"{d.weight:.2f}", f"{d.raw:+.2f}", f"{d.contribution:+.4f}",
            ", ".join(d.matched), style=dim_style,
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
    out.print(f"[bold {style}]{d.tier}[/] / [bold]{d.model}[/] / {saving}")
    out.print(f"[dim]{d.reason}[/]")
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
        Optional[str], typer.Option("--system", "-s", help="A system prompt (feeds only the structured-output rule).")
    ] = None,
    tools: Annotated[bool, typer.Option("--tools", help="The request carries tools.")] = False,
    image: Annotated[bool, typer.Option("--image", help="The request carries an image.")] = False,
    max_tokens: Annotated[Optional[int], typer.Option("--max-tokens", min=1, help="max_tokens of the request.")] = None,
    config: Annotated[Optional[Path], typer.Option("--config", "-c", help="Config YAML (default: bundled).")] = None,
    explain: Annotated[bool, typer.Option("--explain", help="Show every dimension.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the whole decision as JSON.")] = False,
) -> None:
    """Route a prompt without dispatching it: tier, model, savings and why."""
    if prompt == "-":
        prompt = sys.stdin.read()
    router = get_router(config)
    decision = router.route(
        prompt, system_prompt=system, profile=profile, has_tools=tools, has_vision=image,
        max_output_tokens=max_tokens,
    )
    if as_json:
        data = {"backend": _backend.backend(), **decision.to_dict()}
        out.print_json(json.dumps(data, ensure_ascii=False))
    else:
        _render_decision(decision, router, explain)


def _per_million(value: float | None) -> str:
    return "?" if value is None else f"{value * 1e6:.2f}"


@app.command("models")
def models(
    profile: Annotated[Optional[str], typer.Option("--profile", "-p", help="Only this profile.")] = None,
    config: Annotated[Optional[Path], typer.Option("--config", "-c", help="Config YAML (default: bundled).")] = None,
) -> None:
    """Show each profile's tier -> model table with prices and capabilities."""
    router = get_router(config)
    names = [router.profile_name(profile)] if profile else router.profiles
    for name in names:
        table = Table(title=f"smart/{name}", title_justify="left", show_edge=False)
        table.add_column("tier")
        table.add_column("")
        table.add_column("model", no_wrap=True)
        for column in ("$/M in", "$/M out", "context"):
            table.add_column(column, justify="right")
        table.add_column("vision", justify="center")
        table.add_column("tools", justify="center")
        for tier in TIERS:
            for i, m in enumerate(router.tables[name][tier]):
                table.add_row(
                    f"[{TIER_STYLE[tier]}]{tier}[/]" if i == 0 else "",
                    "primary" if i == 0 else "fallback",
                    m.name, _per_million(m.input_cost), _per_million(m.output_cost),
                    f"{m.max_input_tokens:,}" if m.max_input_tokens else "?",
                    "yes" if m.vision else "-", "yes" if m.tools else "-",
                )
        out.print(table)
        out.print()


@app.command()
def start(
    config: Annotated[Optional[Path], typer.Option("--config", "-c", help="Config YAML (default: bundled, OpenRouter).")] = None,
    port: Annotated[int, typer.Option("--port", "-p", min=1, max=65535)] = 4000,
    host: Annotated[str, typer.Option("--host", help="Listen address; non-loopback needs a master key.")] = "127.0.0.1",
    workers: Annotated[int, typer.Option("--workers", "-w", min=1, help="Proxy worker processes.")] = 1,
    demo: Annotated[bool, typer.Option("--demo", help="Serve every model from a built-in demo upstream: no API key, no network.")] = False,
) -> None:
    """Run the LiteLLM proxy with smart routing (Ctrl-C stops it)."""
    from .proxy import running_proxy

    if demo and config is not None:
        raise typer.BadParameter("--demo brings its own config; drop --config", param_hint="--demo")
    # SIGTERM must unwind like Ctrl-C so the proxy and the demo upstream are stopped too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    out.print(f"starting the proxy on {host}:{port} (LiteLLM takes a few seconds) ...")
    try:
        with running_proxy(config, host=host, port=port, workers=workers, demo=demo) as info:
            url, key = info["url"], info["master_key"] or "sk-anything"
            router = get_router(info["config"])
            out.print(f"[bold green]smart-llm-router proxy ready[/] at {url}  (config: {info['config']})")
            out.print("profiles: " + ", ".join(f"smart/{p}" for p in router.profiles) + "; any concrete model name bypasses routing")
            if info["upstream"]:
                out.print(f"demo upstream at {info['upstream']}: replies name the model and tier that served them")
            if not info["master_key"]:
                out.print("[yellow]no master key set: on loopback the proxy accepts any key[/]")
            body = '{"model":"smart/auto","messages":[{"role":"user","content":"Prove that sqrt(2) is irrational step by step"}]}'
            out.print(f"try:  curl -si {url}/v1/chat/completions -H 'Authorization: Bearer {key}' "
                      f"-H 'Content-Type: application/json' -d '{body}'")
            out.print(f"      (Claude Code: ANTHROPIC_BASE_URL={url} ANTHROPIC_AUTH_TOKEN={key} claude)")
            try:
                info["process"].wait()
            except KeyboardInterrupt:
                out.print("stopping ...")
    except RuntimeError as e:
        err.print(f"[red]the proxy did not start:[/] {e}")
        sys.exit(1)


@app.command()
def init(
    upstream: Annotated[str, typer.Option("--upstream", "-u", help="openrouter, openai, anthropic, together, fireworks, groq, deepinfra, vllm or ollama.")] = "openrouter",
    config: Annotated[Path, typer.Option("--config", "-c", help="Where to write the config.")] = Path("smart-llm-router.yaml"),
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write one working config (LiteLLM proxy + smart_router) for an upstream."""
    from .configure import write_init

    steps = write_init(upstream, config, force=force)
    router = get_router(config)
    out.print(f"[green]wrote {config}[/] ({upstream}: {len(router.config.model_list)} models, profiles {', '.join(router.profiles)})")
    out.print("next:")
    for step in steps:
        out.print(f"  {step}")
    out.print(f"  slr doctor --config {config}")
    out.print(f"  slr start --config {config}")


@app.command()
def doctor(
    config: Annotated[Optional[Path], typer.Option("--config", "-c", help="Config YAML (default: bundled).")] = None,
) -> None:
    """Check a config: models routable, keys set, prices known, LiteLLM version. Exit 1 on errors."""
    from .configure import diagnose

    problems, loaded = diagnose(config)
    for p in problems:
        mark = "[red]error[/]  " if p.level == "error" else "[yellow]warning[/]"
        out.print(f"{mark} {p.message}")
    errors = sum(p.level == "error" for p in problems)
    if errors:
        out.print(f"[red]{errors} error(s)[/]: requests would fail; fix them before `slr start`")
        raise typer.Exit(1)
    name = loaded.source if loaded else config
    out.print(f"[green]ok[/]: {name} routes {len(loaded.smart_router.profiles) if loaded else 0} profiles"
              + (f" ({len(problems)} warning(s))" if problems else ""))


@app.command()
def bench(
    proxy: Annotated[Optional[str], typer.Option("--proxy", help="URL of a running proxy, e.g. http://127.0.0.1:4000.")] = None,
    requests: Annotated[int, typer.Option("--requests", "-n", min=1, max=1_000_000)] = 200,
    concurrency: Annotated[int, typer.Option("--concurrency", "-c", min=1, max=1024)] = 8,
    model: Annotated[str, typer.Option("--model", "-m", help="Model or smart/<profile> to request.")] = "smart/auto",
    api_key: Annotated[str, typer.Option("--api-key", envvar="LITELLM_MASTER_KEY")] = "sk-anything",
    as_json: Annotated[bool, typer.Option("--json", help="Print the results as JSON.")] = False,
) -> None:
    """Load-test a running proxy: p50/p95/p99 latency, throughput, errors, tiers served."""
    import asyncio

    from rich.progress import Progress

    from .bench import run_load

    if proxy is None:
        raise typer.BadParameter("give the proxy to load with --proxy URL (start one with `slr start --demo`)", param_hint="--proxy")
    with Progress(console=err, transient=True, disable=as_json) as progress:
        task = progress.add_task(f"{requests} requests to {proxy}", total=requests)
        result = asyncio.run(run_load(proxy, requests=requests, concurrency=concurrency, model=model,
                                      api_key=api_key, on_done=lambda: progress.advance(task)))
    summary = result.summary()
    if as_json:
        out.print_json(json.dumps(summary))
        return
    table = Table(title=f"{model} via {proxy} (concurrency {concurrency})", title_justify="left")
    for column in ("requests", "ok", "errors", "p50 ms", "p95 ms", "p99 ms", "req/s"):
        table.add_column(column, justify="right")
    errors = ", ".join(f"{k}: {v}" for k, v in summary["errors"].items()) or "0"
    table.add_row(*(str(summary[k]) for k in ("requests", "ok")), errors,
                  *(str(summary[k]) for k in ("p50_ms", "p95_ms", "p99_ms", "throughput_rps")))
    out.print(table)
    if summary["tiers"]:
        out.print("tiers: " + ", ".join(f"{k} {v}" for k, v in sorted(summary["tiers"].items())))
    if summary["errors"]:
        raise typer.Exit(1)


def main() -> None:
    """Console entry point: clear one-line errors, no tracebacks."""
    try:
        app()
    except ConfigError as e:
        err.print(f"[red]configuration error:[/] {e}")
        sys.exit(2)
    except (NoModelError, RequestError) as e:
        err.print(f"[red]cannot route:[/] {e}")
        sys.exit(2)
    except (OSError, ValueError, ImportError) as e:
        err.print(f"[red]error:[/] {e}")
        sys.exit(2)


if __name__ == "__main__":  # pragma: no cover
    main()
