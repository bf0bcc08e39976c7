"""The package's import graph, read from the sources with ``ast``:

* no module imports another module's private names (a leading underscore);
* a name is imported from the module that defines it, not from one that imports it too;
* the layers read top to bottom: a module imports from its own layer or the layers below it,
  never from a higher one (imports inside functions count).

Importing a private module (``_backend``, ``_text``, ...) by module is fine where the layers
allow it. Adding a module means placing it in LAYERS; the test fails until it is placed.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import smart_llm_router

PACKAGE = "smart_llm_router"
ROOT = Path(smart_llm_router.__file__).parent

# Bottom first. The CLI and the hook drive the router, the router drives the scorer facade,
# the facade drives the backends, and the backends stand on the text primitives and tables.
LAYERS: list[tuple[str, set[str]]] = [
    ("primitives", {"errors", "tables", "_text", "datafiles", "yaml_edit"}),
    ("backends", {"_native", "_structure", "_pyscorer", "_backend"}),
    ("scorer", {"scoring_config", "spec", "scoring"}),
    ("router", {"config", "asks", "topic", "catalog", "sessions", "router"}),
    (
        "front",
        {
            "__init__",
            "cli",
            "hook",
            "count_tokens",
            "proxy",
            "configure",
            "bench",
            "evaluate",
            "replay",
            "upstream",
            "calibrate",
            "fitting",
        },
    ),
]
LAYER_OF = {module: i for i, (_, modules) in enumerate(LAYERS) for module in modules}


def is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def package_modules() -> dict[str, ast.Module]:
    """Every module of the package, parsed (the native module by its stub)."""
    sources = [*ROOT.glob("*.py"), *ROOT.glob("*.pyi")]
    return {path.stem: ast.parse(path.read_text("utf-8"), str(path)) for path in sorted(sources)}


def imports(tree: ast.Module, modules: set[str]) -> list[tuple[int, str, str | None]]:
    """(line, module of the package, name taken from it or None for the module itself) for each
    import of the package in ``tree``, at any depth (imports inside functions count)."""
    out: list[tuple[int, str, str | None]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == PACKAGE:
                    out.append((node.lineno, parts[1] if len(parts) > 1 else "__init__", None))
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                parts = (node.module or "").split(".")
                if parts[0] != PACKAGE:
                    continue
                parts = parts[1:]
            else:
                parts = node.module.split(".") if node.module else []
            if parts:
                out.extend((node.lineno, parts[0], alias.name) for alias in node.names)
            else:
                # `from . import x`: the module x, or else a name of __init__.
                for alias in node.names:
                    if alias.name in modules:
                        out.append((node.lineno, alias.name, None))
                    else:
                        out.append((node.lineno, "__init__", alias.name))
    return out


def reexported(tree: ast.Module) -> set[str]:
    """Names a module only imports at its top level (and does not define itself)."""
    imported: set[str] = set()
    defined: set[str] = set()
    statements = list(tree.body)
    while statements:
        node = statements.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            imported.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            defined.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            defined.update(n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name))
        elif isinstance(node, (ast.If, ast.Try, ast.With)):
            for field in ("body", "orelse", "finalbody", "handlers"):
                statements.extend(getattr(node, field, []))
        elif isinstance(node, ast.ExceptHandler):
            statements.extend(node.body)
    return imported - defined


def violations(trees: dict[str, ast.Module]) -> list[str]:
    """What breaks the rules in ``trees`` (module name -> parsed source)."""
    found = []
    passed_on = {module: reexported(tree) for module, tree in trees.items()}
    for module, tree in trees.items():
        for line, target, name in imports(tree, set(trees)):
            where = f"{module}.py:{line}"
            if name is not None and name != "*" and is_private(name):
                found.append(f"{where}: imports the private name {name} from {target}")
            elif name is not None and name in passed_on.get(target, ()):
                found.append(f"{where}: imports {name} from {target}, which imports it: import it from its own module")
            if module in LAYER_OF and target in LAYER_OF and LAYER_OF[target] > LAYER_OF[module]:
                found.append(
                    f"{where}: {module} ({LAYERS[LAYER_OF[module]][0]}) imports {target} "
                    f"({LAYERS[LAYER_OF[target]][0]}), a higher layer"
                )
    return found


def test_every_module_has_a_layer() -> None:
    modules = set(package_modules())
    assert sorted(modules - set(LAYER_OF)) == [], "place these modules in LAYERS"
    assert sorted(set(LAYER_OF) - modules) == [], "LAYERS names modules that do not exist"


def test_no_private_imports_and_no_import_up() -> None:
    assert violations(package_modules()) == []


@pytest.mark.parametrize(
    ("module", "source", "problem"),
    [
        ("router", "from .scoring import _Labels", "imports the private name _Labels from scoring"),
        ("cli", "from . import _helper", "imports the private name _helper from __init__"),
        ("tables", "from .scoring import Scorer", "tables (primitives) imports scoring (scorer), a higher layer"),
        (
            "scoring",
            "def f():\n    from .router import Router",
            "scoring (scorer) imports router (router), a higher layer",
        ),
        ("_pyscorer", "import smart_llm_router.cli", "_pyscorer (backends) imports cli (front), a higher layer"),
        ("spec", "from smart_llm_router import Router", "spec (scorer) imports __init__ (front), a higher layer"),
    ],
)
def test_the_rules_catch(module: str, source: str, problem: str) -> None:
    trees = {name: ast.parse("") for name in LAYER_OF}
    trees[module] = ast.parse(source)
    found = violations(trees)
    assert len(found) == 1 and problem in found[0], found


def test_a_name_comes_from_its_own_module() -> None:
    trees = {name: ast.parse("") for name in LAYER_OF}
    trees["_pyscorer"] = ast.parse("from .tables import DIMENSIONS\nif True:\n    from .tables import TIERS\n")
    trees["router"] = ast.parse("from ._pyscorer import DIMENSIONS, TIERS\nfrom .tables import TIERS")
    assert violations(trees) == [
        "router.py:1: imports DIMENSIONS from _pyscorer, which imports it: import it from its own module",
        "router.py:1: imports TIERS from _pyscorer, which imports it: import it from its own module",
    ]


@pytest.mark.parametrize(
    "source",
    [
        "from . import _backend",  # a private module, by module, from above it
        "from ._text import fold",  # a public name of a private module
        "from .tables import TIERS",  # down the layers
        "from .scoring import estimate_tokens as _estimate",  # a private alias of a public name
        "from . import __version__",  # a dunder is no private name (and cli is at the top)
    ],
)
def test_the_rules_allow(source: str) -> None:
    trees = {name: ast.parse("") for name in LAYER_OF}
    trees["cli"] = ast.parse(source)
    assert violations(trees) == []


def test_the_scorer_facade_keeps_its_names() -> None:
    from smart_llm_router import scoring

    for name in (
        "DimensionScore",
        "ScoreResult",
        "Scorer",
        "ScoringConfig",
        "Tier",
        "compile_spec",
        "default_scorer",
        "estimate_tokens",
        "score",
    ):
        assert hasattr(scoring, name), name
