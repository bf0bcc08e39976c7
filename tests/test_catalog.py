"""LiteLLM's model cost map: read from the installed LiteLLM, and an error (not an empty map)
when it cannot be, at the router's construction, in `slr doctor` and at the proxy's start.
Also: the supported LiteLLM range is written once (pyproject.toml) and `slr doctor` agrees."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from helpers import slr
from smart_llm_router import ConfigError, Router, catalog, configure
from smart_llm_router.catalog import COST_MAP_FILE, CostMapError, check_cost_map, cost_map, cost_map_path
from smart_llm_router.configure import LITELLM_REQUIREMENT, LITELLM_SUPPORTED, diagnose

ROOT = Path(__file__).resolve().parent.parent

# Each way the file can be broken: (name, how to make it at a path).
BROKEN = {
    "missing": None,
    "a directory": "dir",
    "not JSON": b'{"gpt-4o": {"input_cost_per_token": 2.5e-06,',
    "not UTF-8": b"\xff\xfe{}",
    "empty object": b"{}",
    "a list": b"[]",
    "only the sample entry": b'{"sample_spec": {"max_tokens": "LEGACY parameter"}}',
}


@pytest.fixture(autouse=True)
def fresh_map() -> Iterator[None]:
    """Every test reads the map anew, and leaves the real one cached for the other tests."""
    cost_map.cache_clear()
    yield
    cost_map.cache_clear()


def make_broken(tmp_path: Path, kind: str) -> Path:
    path = tmp_path / "litellm" / COST_MAP_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    content = BROKEN[kind]
    if content == "dir":
        path.mkdir()
    elif isinstance(content, bytes):
        path.write_bytes(content)
    return path


@pytest.fixture(params=list(BROKEN))
def broken_map(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """catalog.py pointed at a broken copy of the file: the path it will name."""
    path = make_broken(tmp_path, request.param)
    monkeypatch.setattr(catalog, "cost_map_path", lambda: path)
    return path


def test_the_map_is_litellms_bundled_file() -> None:
    path = cost_map_path()
    assert path.name == COST_MAP_FILE and path.is_file()
    spec = importlib.util.find_spec("litellm")  # where `import litellm` would load it from
    assert spec is not None and spec.origin is not None and path.parent == Path(spec.origin).parent
    assert check_cost_map() == len(cost_map()) > 1000


def test_a_broken_map_is_an_error_naming_the_file(broken_map: Path) -> None:
    with pytest.raises(CostMapError) as caught:
        cost_map()
    message = str(caught.value)
    assert str(broken_map) in message
    assert "reinstall LiteLLM: pip install --force-reinstall --no-deps 'litellm==" in message
    assert "vision" in message and "tools" in message
    assert isinstance(caught.value, ConfigError)  # the CLI prints it as one line, exit 2


def test_the_router_cannot_be_built_without_the_map(broken_map: Path) -> None:
    with pytest.raises(CostMapError, match=re.escape(str(broken_map))):
        Router()


def test_a_repaired_map_is_read_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = make_broken(tmp_path, "missing")
    monkeypatch.setattr(catalog, "cost_map_path", lambda: path)
    with pytest.raises(CostMapError, match="is missing"):
        cost_map()
    path.write_text('{"acme/x": {"input_cost_per_token": 1e-06, "supports_vision": true}}', "utf-8")
    assert cost_map() == {"acme/x": {"input_cost_per_token": 1e-06, "supports_vision": True}}


def test_litellm_not_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(catalog.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(CostMapError, match="LiteLLM is not installed"):
        cost_map()


def test_doctor_reports_a_broken_map_as_an_error(broken_map: Path) -> None:
    problems, config = diagnose(None, env={"OPENROUTER_API_KEY": "x", "LITELLM_MASTER_KEY": "sk-x"})
    errors = [p.message for p in problems if p.level == "error"]
    assert len(errors) == 1 and str(broken_map) in errors[0], problems
    assert config is not None  # the config itself is fine
    # No per-model noise: without the map every price would read "unknown".
    assert not [p for p in problems if "price unknown" in p.message]


@pytest.mark.parametrize(
    ("installed", "level"),
    [
        ("1.106.0", None),
        ("1.108.7", None),
        ("1.110.2", None),
        ("1.105.7", "error"),
        ("1.93.2", "error"),
        ("2.0.0", "warning"),
    ],
)
def test_doctor_checks_the_litellm_release(monkeypatch: pytest.MonkeyPatch, installed: str, level: str | None) -> None:
    monkeypatch.setattr(configure, "version", lambda name: installed)
    problems, _ = diagnose(None, env={"OPENROUTER_API_KEY": "x", "LITELLM_MASTER_KEY": "sk-x"})
    about = [p for p in problems if f"LiteLLM {installed}" in p.message]
    assert [p.level for p in about] == ([level] if level else []), problems
    if level == "error":
        assert "smart_llm_router.hook.handler" in about[0].message and LITELLM_REQUIREMENT in about[0].message


def test_the_supported_range_is_written_once() -> None:
    """pyproject.toml's requirement is the truth; `slr doctor` spells it out."""
    text = (ROOT / "pyproject.toml").read_text("utf-8")
    found = re.findall(r'"(litellm\[proxy\][^"]*)"', text)
    assert found == [LITELLM_REQUIREMENT]
    low, high = re.fullmatch(r"litellm\[proxy\]>=([\d.]+),<([\d.]+)", LITELLM_REQUIREMENT).groups()  # type: ignore[union-attr]
    assert LITELLM_SUPPORTED == (tuple(map(int, low.split("."))), tuple(map(int, high.split("."))))
    # .ci/run tests the lowest release claimed.
    assert f"LITELLM_LOW={low}" in (ROOT / ".ci" / "run").read_text("utf-8")


# --- in a real process: the CLI and the proxy ---------------------------------------------------


def break_in_subprocesses(tmp_path: Path, broken: Path) -> dict[str, str]:
    """An environment whose Python processes see ``broken`` as the cost map (a sitecustomize
    module patches catalog.py before anything runs)."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(
        "import pathlib\nimport smart_llm_router.catalog as c\n"
        f"c.cost_map_path = lambda: pathlib.Path({str(broken)!r})\n",
        "utf-8",
    )
    return {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")]))}


def test_slr_doctor_exits_1_on_a_missing_map(tmp_path: Path) -> None:
    broken = make_broken(tmp_path, "missing")
    env = {**break_in_subprocesses(tmp_path, broken), "OPENROUTER_API_KEY": "x", "COLUMNS": "400"}
    done = slr("doctor", env=env)
    assert done.returncode == 1, done.stdout + done.stderr
    assert str(broken) in done.stdout and "is missing" in done.stdout


@pytest.mark.e2e
def test_the_proxy_refuses_to_start_without_the_map(tmp_path: Path) -> None:
    """Plain `litellm --config` with the hook: startup fails, and the log says which file."""
    from smart_llm_router.config import bundled_config_path
    from smart_llm_router.proxy import PERMIT_NO_KEY, free_port, litellm_command, offline_env, proxy_config, read_yaml

    broken = make_broken(tmp_path, "not JSON")
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(proxy_config(read_yaml(bundled_config_path()))), "utf-8")
    env = offline_env({**break_in_subprocesses(tmp_path, broken), PERMIT_NO_KEY: "true"})
    with open(tmp_path / "proxy.log", "w") as log:
        process = subprocess.Popen(
            [*litellm_command(), "--config", str(config), "--host", "127.0.0.1", "--port", str(free_port())],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + 180
            while process.poll() is None and time.monotonic() < deadline:
                time.sleep(0.2)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(10)
    output = (tmp_path / "proxy.log").read_text()
    assert process.returncode not in (None, 0), output[-3000:]
    assert "CostMapError" in output and str(broken) in output and "is not valid JSON" in output, output[-3000:]
