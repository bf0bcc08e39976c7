"""Running the LiteLLM proxy with the hook: the effective config, the offline environment,
the demo upstream and the child processes."""

from __future__ import annotations

import copy
import errno
import ipaddress
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from .catalog import check_cost_map
from .config import CONFIG_ENV, bundled_config_path, load_config
from .datafiles import load_yaml
from .errors import ConfigError

HOOK = "smart_llm_router.hook.handler"
# Keep LiteLLM offline: the local price map, no remote lookups of headers/blog/presets.
OFFLINE_ENV = {
    "LITELLM_LOCAL_MODEL_COST_MAP": "True",
    "LITELLM_LOCAL_ANTHROPIC_BETA_HEADERS": "True",
    "LITELLM_LOCAL_BLOG_POSTS": "True",
    "LITELLM_LOCAL_AUTOROUTER_PRESETS": "True",
    "LITELLM_LOCAL_POLICY_TEMPLATES": "True",
}
PERMIT_NO_KEY = "LITELLM_DANGEROUSLY_PERMIT_WEAK_OR_UNSET_MASTER_KEY"
# Providers whose OpenAI-compatible endpoints may lack /v1/responses: LiteLLM should turn
# Responses API calls into chat completions for them.
CHAT_ONLY_PROVIDERS = ("openrouter", "together_ai", "fireworks_ai", "groq", "deepinfra", "hosted_vllm")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# LiteLLM's run_server silently serves a random port instead when the port is 4000 and
# something accepts connections on localhost:4000 (proxy_cli.py, is_port_in_use).
LITELLM_MOVES_OFF = 4000


class PortInUseError(RuntimeError):
    """The proxy's port belongs to another process. Left to itself, LiteLLM would fail, or on
    4000 serve a random port while the other process answered in its place."""

    def __init__(self, host: str, port: int, moved_to: int | None = None) -> None:
        self.host, self.port, self.moved_to = host, port, moved_to
        message = f"port {port} on {host} is already in use by another process"
        if moved_to is not None:
            message += f" (it was taken while LiteLLM started, and LiteLLM moved to port {moved_to})"
        super().__init__(message)


def port_in_use(host: str, port: int) -> bool:
    """Whether LiteLLM could not serve ``host:port`` now: binding it the way uvicorn binds
    fails (SO_REUSEADDR, so connections in TIME_WAIT do not count), or, for 4000, something
    answers on localhost:4000 (LiteLLM's own test before it moves off 4000).

    Raises OSError for an address that cannot be listened on at all (not one of this host's
    addresses, a privileged port)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError as e:
            if e.errno == errno.EADDRINUSE:
                return True
            raise OSError(f"cannot listen on {host}:{port}: {e.strerror or e}") from None
    if port == LITELLM_MOVES_OFF:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.settimeout(2)
            return s.connect_ex(("localhost", port)) == 0
    return False


def listening_ports(leader: int) -> set[int] | None:
    """TCP ports on which process ``leader`` or any process of its process group listens
    (a child started with start_new_session=True leads the group its workers join). None
    where this system cannot tell: no /proc and no lsof."""
    if os.path.exists("/proc/net/tcp"):
        return _listening_ports_proc(leader)
    if shutil.which("lsof"):
        return _listening_ports_lsof(leader)
    return None


def _in_group(pid: int, leader: int) -> bool:
    try:
        return pid == leader or os.getpgid(pid) == leader
    except OSError:  # gone already
        return False


def _listening_ports_proc(leader: int) -> set[int]:
    """Linux: the LISTEN sockets of /proc/net/tcp{,6} whose inodes the group holds open."""
    sockets: dict[str, int] = {}  # "socket:[inode]" -> local port
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text("ascii").splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) > 9 and fields[3] == "0A":  # TCP_LISTEN
                sockets[f"socket:[{fields[9]}]"] = int(fields[1].rsplit(":", 1)[1], 16)
    ports = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or not _in_group(int(entry), leader):
            continue
        try:
            fds = os.listdir(f"/proc/{entry}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                link = os.readlink(f"/proc/{entry}/fd/{fd}")
            except OSError:
                continue
            if link in sockets:
                ports.add(sockets[link])
    return ports


def _listening_ports_lsof(leader: int) -> set[int] | None:
    """macOS and other systems without /proc: ``lsof -F`` prints p<pid>, g<pgid>, n<addr:port>."""
    try:
        done = subprocess.run(
            ["lsof", "-nP", "-a", "-iTCP", "-sTCP:LISTEN", "-Fpgn"],
            check=False,
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    ports, member = set(), False
    for line in done.stdout.splitlines():
        tag, value = line[:1], line[1:]
        if tag == "p":
            member = value == str(leader)
        elif tag == "g":
            member = member or value == str(leader)
        elif tag == "n" and member and value.rsplit(":", 1)[-1].isdigit():
            ports.add(int(value.rsplit(":", 1)[1]))
    return ports


def free_port(avoid: Collection[int] = ()) -> int:
    """A port of 127.0.0.1 that nothing listens on now, and not one of ``avoid`` (a port
    chosen for another process that has not bound it yet: the OS may hand it out again)."""
    for _ in range(100):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        if port not in avoid:
            return port
    raise OSError("no free port on 127.0.0.1")


def read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = load_yaml(path.read_text("utf-8"), str(path))
    except OSError as e:
        raise ConfigError(f"cannot read config {path}: {e}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    return data


def proxy_config(data: dict[str, Any]) -> dict[str, Any]:
    """The LiteLLM config to run: ``data`` plus what the router needs, where not already set
    (the hook, smart/* aliases for /v1/models, no cooldowns, no retries on the same model,
    local token counts for OpenAI-compatible servers)."""
    from urllib.parse import urlsplit

    data = copy.deepcopy(data)
    settings = data.setdefault("litellm_settings", {}) or {}
    data["litellm_settings"] = settings
    callbacks = settings.get("callbacks") or []
    callbacks = [callbacks] if isinstance(callbacks, str) else list(callbacks)
    if HOOK not in callbacks:
        callbacks.append(HOOK)
    settings["callbacks"] = callbacks
    settings.setdefault("use_chat_completions_url_for_anthropic_messages", True)
    settings.setdefault("drop_params", True)
    router = data.setdefault("router_settings", {}) or {}
    data["router_settings"] = router
    router.setdefault("disable_cooldowns", True)
    router.setdefault("num_retries", 0)
    aliases = dict(router.get("model_group_alias") or {})
    profiles = (data.get("smart_router") or {}).get("profiles") or {}
    for name, table in profiles.items():
        # Unrouted smart/* requests (and /v1/models) resolve to the profile's MEDIUM model.
        aliases.setdefault(f"smart/{name.lower()}", table["MEDIUM"][0])
    router["model_group_alias"] = aliases
    general = data.setdefault("general_settings", {}) or {}
    data["general_settings"] = general
    general.setdefault("disable_model_info_refresh", True)
    for entry in data.get("model_list") or []:
        params = entry.get("litellm_params") or {}
        provider = str(params.get("model", "")).split("/", 1)[0]
        if provider in CHAT_ONLY_PROVIDERS or (provider == "openai" and params.get("api_base")):
            params.setdefault("use_chat_completions_api", True)
        api_base = params.get("api_base")
        try:
            host = (urlsplit(api_base).hostname or "") if isinstance(api_base, str) else ""
        except ValueError:
            host = ""
        if provider == "openai" and api_base and not (host == "openai.com" or host.endswith(".openai.com")):
            # /v1/messages/count_tokens: LiteLLM asks an openai/ deployment's server for
            # {api_base}/responses/input_tokens, which OpenAI-compatible servers lack (404), and
            # answers with that 404. A token_count_framing (a non-negative int of tokens added
            # to the estimate) makes it fall back to its local estimate on a 400/404 instead.
            info = entry.get("model_info")
            info = dict(info) if isinstance(info, dict) else {}
            info.setdefault("token_count_framing", 0)
            entry["model_info"] = info
    return data


def demo_config(upstream_port: int) -> dict[str, Any]:
    """The bundled config with every model served by the demo upstream."""
    data = read_yaml(bundled_config_path())
    data["smart_router"]["forward_tier_header"] = True
    # Offline: count tokens of llama-named models with the built-in tokenizer instead of
    # downloading one from Hugging Face (/v1/messages/count_tokens for smart/free).
    data["litellm_settings"]["disable_hf_tokenizer_download"] = True
    for entry in data["model_list"]:
        entry["litellm_params"] = {
            "model": f"openai/{entry['model_name']}",
            "api_base": f"http://127.0.0.1:{upstream_port}/v1",
            "api_key": "demo-no-key-needed",
        }
    return data


def offline_env(base: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ if base is None else base)
    for key, value in OFFLINE_ENV.items():
        env.setdefault(key, value)
    return env


def master_key(data: dict[str, Any], env: dict[str, str]) -> str | None:
    value = (data.get("general_settings") or {}).get("master_key")
    if isinstance(value, str) and value.startswith("os.environ/"):
        value = env.get(value.split("/", 1)[1])
    return value or env.get("LITELLM_MASTER_KEY") or None


def litellm_command() -> list[str]:
    """The LiteLLM of this Python environment: its `litellm` script next to the interpreter,
    else the proxy's entry point run by the interpreter (never another environment's
    `litellm` found first on PATH)."""
    beside = Path(sys.executable).with_name("litellm")
    if beside.is_file() and os.access(beside, os.X_OK):
        return [str(beside)]
    return [sys.executable, "-c", "from litellm.proxy.proxy_cli import run_server; run_server()"]


def wait_ready(url: str, process: subprocess.Popen[bytes], timeout: float, port: int | None = None) -> None:
    """Poll ``url`` until it answers 200; raise if the process dies or time runs out.

    With ``port`` (the port of ``url``), an answer counts only once ``process`` or its process
    group (start it with start_new_session=True) listens on that port. A 200 alone proves
    nothing: another server on the port answers it too (a proxy left running answers
    /health/liveliness exactly like ours), and LiteLLM moves off a busy 4000 without a word.
    Once our process holds the listening socket no other process can accept on that address,
    so the answer is ours. If the group listens on other ports but not ``port``, the port was
    taken under it: PortInUseError. Where listening sockets cannot be read (neither /proc nor
    lsof), only the process being alive is checked.
    """
    from urllib.parse import urlsplit

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"process exited with code {process.returncode} before {url} answered")
        ports = None if port is None else listening_ports(process.pid)
        if port is not None and ports is not None and port not in ports:
            if ports:  # uvicorn binds one socket: listening elsewhere means it moved
                raise PortInUseError(urlsplit(url).hostname or "?", port, moved_to=min(ports))
            time.sleep(0.25)
            continue
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback only
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.25)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} s")


def stop(process: subprocess.Popen[bytes] | None, grace: float = 10) -> None:
    if process is None or process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except (ProcessLookupError, PermissionError):
        process.terminate()
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            process.kill()
        process.wait(grace)


@contextmanager
def running_proxy(
    config: Path | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 4000,
    workers: int = 1,
    demo: bool = False,
    env: dict[str, str] | None = None,
    startup_timeout: float = 180,
    log_file: Any = None,
) -> Iterator[dict[str, Any]]:
    """Start the demo upstream (if ``demo``) and the proxy; yield their URLs; stop both.

    Raises PortInUseError when another process holds ``host:port`` (checked before anything
    starts, and again through the readiness check: see wait_ready), ConfigError for an invalid
    config or a non-loopback host without a master key.
    """
    env = offline_env({**os.environ, **env} if env else None)
    # Before anything starts: a taken port is the user's to resolve, never LiteLLM's.
    if port_in_use(host, port):
        raise PortInUseError(host, port)
    workdir = Path(tempfile.mkdtemp(prefix="smart-llm-router-"))
    upstream = proxy = None
    try:
        upstream_url = None
        if demo:
            upstream_port = free_port(avoid={port})
            upstream = subprocess.Popen(
                [sys.executable, "-m", "smart_llm_router.upstream", "--port", str(upstream_port)],
                env=env,
                start_new_session=True,
                stdout=log_file,
                stderr=log_file,
            )
            upstream_url = f"http://127.0.0.1:{upstream_port}"
            data = demo_config(upstream_port)
            user_path = workdir / "demo.yaml"
            user_path.write_text(yaml.safe_dump(data, sort_keys=False), "utf-8")
        else:
            user_path = (config or bundled_config_path()).resolve()
            data = read_yaml(user_path)
        load_config(user_path)  # validate before anything starts: errors name the key
        check_cost_map()  # and the price file the router reads (one clear line, not a traceback)
        key = master_key(data, env)
        if not key:
            if not is_loopback(host):
                raise ConfigError(
                    f"refusing to listen on {host} without a master key: set LITELLM_MASTER_KEY "
                    "(or general_settings.master_key), or use a loopback host"
                )
            env[PERMIT_NO_KEY] = "true"
        effective = workdir / "litellm-config.yaml"
        effective.write_text(yaml.safe_dump(proxy_config(data), sort_keys=False), "utf-8")
        env[CONFIG_ENV] = str(user_path)
        cmd = [*litellm_command(), "--config", str(effective), "--host", host, "--port", str(port)]
        if workers > 1:
            cmd += ["--num_workers", str(workers), "--timeout_worker_healthcheck", "300"]
        if upstream is not None:
            wait_ready(f"{upstream_url}/v1/models", upstream, 30, port=upstream_port)
        proxy = subprocess.Popen(cmd, env=env, start_new_session=True, stdout=log_file, stderr=log_file)
        probe_host = "127.0.0.1" if host in ("0.0.0.0", "::") else host
        url = f"http://{probe_host}:{port}"
        try:
            wait_ready(f"{url}/health/liveliness", proxy, startup_timeout, port=port)
        except RuntimeError:
            if proxy.poll() is not None and port_in_use(host, port):
                raise PortInUseError(host, port) from None  # taken after the check: uvicorn failed
            raise
        yield {
            "url": url,
            "upstream": upstream_url,
            "process": proxy,
            "master_key": key,
            "config": str(user_path),
            "effective_config": str(effective),
        }
    finally:
        stop(proxy)
        stop(upstream)
        shutil.rmtree(workdir, ignore_errors=True)


@contextmanager
def running_upstream(avoid: Collection[int] = (), log_file: Any = None) -> Iterator[int]:
    """The demo/test upstream (``python -m smart_llm_router.upstream``) on a free loopback
    port, ready; yields the port and stops it after."""
    port = free_port(avoid)
    process = subprocess.Popen(
        [sys.executable, "-m", "smart_llm_router.upstream", "--port", str(port)],
        env=offline_env(),
        start_new_session=True,
        stdout=log_file,
        stderr=log_file,
    )
    try:
        wait_ready(f"http://127.0.0.1:{port}/v1/models", process, 30)
        yield port
    finally:
        stop(process)


def redis_ping(port: int) -> bool:
    """Whether a Redis server answers PING on 127.0.0.1:``port``."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@contextmanager
def running_redis(startup_timeout: float = 20) -> Iterator[subprocess.Popen[bytes]]:
    """A throwaway redis-server (Debian's package) on a free loopback port, nothing saved to
    disk; yields the process (its port in ``.args``' ``--port``: use ``redis_port``)."""
    exe = shutil.which("redis-server")
    if exe is None:
        raise RuntimeError("redis-server is not installed (Debian: apt-get install redis-server)")
    port = free_port()
    workdir = tempfile.mkdtemp(prefix="smart-llm-router-redis-")
    process = subprocess.Popen(
        [exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", workdir],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + startup_timeout
        while not redis_ping(port):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start on port {port}")
            time.sleep(0.05)
        yield process
    finally:
        stop(process, grace=5)
        shutil.rmtree(workdir, ignore_errors=True)


def redis_port(process: subprocess.Popen[bytes]) -> int:
    args = [str(a) for a in process.args]  # type: ignore[union-attr]
    return int(args[args.index("--port") + 1])
