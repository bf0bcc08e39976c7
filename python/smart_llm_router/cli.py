"""The `slr` / `smart-llm-router` command line."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table

from . import __version__
from . import _backend
from .errors import ConfigError
from .scoring import ScoreResult, score

app = typer.Typer(
    name="slr",
    help="smart-llm-router: score prompts and route them to the cheapest capable model.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console(highlight=False)
err = Console(stderr=True, highlight=False)

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


@app.command("test")
def test_prompt(
    prompt: Annotated[str, typer.Argument(help="The prompt to score ('-' reads stdin).")],
    system: Annotated[
        Optional[str], typer.Option("--system", "-s", help="A system prompt (feeds only the structured-output rule).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Score a prompt and show its tier and every dimension, without dispatching it."""
    if prompt == "-":
        prompt = sys.stdin.read()
    result = score(prompt, system_prompt=system)
    if as_json:
        data = {"backend": _backend.backend(), **result.to_dict()}
        out.print_json(json.dumps(data, ensure_ascii=False))
    else:
        _render(result)


def main() -> None:
    """Console entry point: clear one-line errors, no tracebacks."""
    try:
        app()
    except ConfigError as e:
        err.print(f"[red]configuration error:[/] {e}")
        sys.exit(2)
    except (OSError, ValueError, ImportError) as e:
        err.print(f"[red]error:[/] {e}")
        sys.exit(2)


if __name__ == "__main__":  # pragma: no cover
    main()
