"""The reference subjects behind an OpenAI-compatible HTTP endpoint (served by ``bep serve-subjects``).

``POST /v1/chat/completions`` takes a Chat Completions request (messages and function tools;
``model`` names the profile), runs the same policy as the ``subject`` Inspect provider, and
answers with a Chat Completions response (text or tool calls, with usage). ``GET /v1/models``
lists the profiles. Any OpenAI-compatible client can drive the subjects, e.g. Inspect's
``openai-api`` provider::

    bep serve-subjects --port 8765
    SUBJECTS_API_KEY=none SUBJECTS_BASE_URL=http://127.0.0.1:8765/v1 \\
        inspect eval beyond_episode/sandbagging_qa --model openai-api/subjects/capability_preserver

Only the standard library's ``http.server`` is used. :func:`make_server` binds to loopback
addresses only, unless ``allow_remote`` is set. There is no authentication: any API key is accepted.

Fault injection: ``fail_every=N`` answers every Nth chat completion with HTTP 500, as a flaky
provider does, to check that a run retries its errored samples.

Seeding: a request carries no sample id, so an episode's seed is a hash of its first system and
user messages and of the request's ``seed`` (if any). Epochs of the same sample therefore make
the same choices over HTTP.
"""

from __future__ import annotations

import ipaddress
import json
import socket
import threading
import time
from collections.abc import Iterable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from beyond_episode.errors import BepError
from beyond_episode.subjects.chat_format import (
    RequestError,
    completion_chunk,
    completion_to_openai,
    messages_from_openai,
    tools_from_openai,
)
from beyond_episode.subjects.profile import Profile, load_profile, profile_names
from beyond_episode.subjects.provider import respond, transcript_seed

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
MAX_BODY = 16 * 1024 * 1024


# -- the server ------------------------------------------------------------------------------


class SubjectServer(ThreadingHTTPServer):
    """A threading HTTP server that knows the profiles it serves."""

    daemon_threads = True

    def __init__(
        self,
        address: tuple[str, int],
        extra_profiles: Mapping[str, Profile] | None = None,
        verbose: bool = False,
        fail_every: int | None = None,
    ) -> None:
        self.extra_profiles = dict(extra_profiles or {})
        self.verbose = verbose
        self.fail_every = fail_every
        self.completions = 0
        self.failures = 0
        self._count_lock = threading.Lock()
        family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.address_family = family
        super().__init__(address, SubjectHandler)

    def profile(self, name: Any) -> Profile:
        if not isinstance(name, str) or not name:
            raise RequestError(400, "'model' must name a subject profile")
        if name in self.extra_profiles:
            return self.extra_profiles[name]
        if "/" in name or name.endswith((".yaml", ".yml")):
            raise RequestError(404, f"unknown subject profile '{name}'", "model_not_found")
        try:
            return load_profile(name)
        except BepError as err:
            raise RequestError(404, str(err), "model_not_found") from None

    def injected_failure(self) -> bool:
        """Count a chat completion; True when it is one that ``fail_every`` makes fail."""
        with self._count_lock:
            self.completions += 1
            fail = self.fail_every is not None and self.completions % self.fail_every == 0
            self.failures += fail
            return fail

    def model_names(self) -> list[str]:
        return sorted({*profile_names(), *self.extra_profiles})

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        host = host.decode() if isinstance(host, bytes) else str(host)
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{port}/v1"


class SubjectHandler(BaseHTTPRequestHandler):
    """``/v1/chat/completions`` and ``/v1/models``."""

    server: SubjectServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.verbose:
            super().log_message(format, *args)

    def _send(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _send_error(self, err: RequestError) -> None:
        self._send(err.status, {"error": {"message": str(err), "type": "invalid_request_error", "code": err.code}})

    def _send_stream(self, completion: dict[str, Any]) -> None:
        data = f"data: {json.dumps(completion_chunk(completion))}\n\ndata: [DONE]\n\n".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _path(self) -> str:
        return self.path.split("?", 1)[0].rstrip("/")

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        path = self._path()
        if path in ("/v1/models", "/models"):
            created = int(time.time())
            models = [{"id": n, "object": "model", "created": created, "owned_by": "beyond-episode"} for n in self.server.model_names()]
            self._send(200, {"object": "list", "data": models})
        elif path in ("", "/health"):
            self._send(200, {"status": "ok"})
        else:
            self._send_error(RequestError(404, f"no route {self.path}", "not_found"))

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        try:
            if self._path() not in ("/v1/chat/completions", "/chat/completions"):
                raise RequestError(404, f"no route {self.path}", "not_found")
            length = int(self.headers.get("Content-Length") or 0)
            if length <= 0 or length > MAX_BODY:
                raise RequestError(400, "a JSON body is required")
            try:
                request = json.loads(self.rfile.read(length))
            except json.JSONDecodeError:
                raise RequestError(400, "the body is not valid JSON") from None
            if not isinstance(request, dict):
                raise RequestError(400, "the body must be a JSON object")
            if self.server.injected_failure():
                raise RequestError(500, "injected failure (--fail-every)", "server_error")
            completion = self.server_completion(request)
        except RequestError as err:
            self._send_error(err)
            return
        except BepError as err:
            self._send_error(RequestError(400, str(err)))
            return
        except Exception as err:  # a bug in a policy: answer, don't drop the connection
            self._send_error(RequestError(500, f"subject failed: {type(err).__name__}: {err}", "server_error"))
            return
        if request.get("stream"):
            self._send_stream(completion)
        else:
            self._send(200, completion)

    def server_completion(self, request: Mapping[str, Any]) -> dict[str, Any]:
        model = request.get("model")
        profile = self.server.profile(model)
        messages = messages_from_openai(request.get("messages"))
        tools = tools_from_openai(request.get("tools"))
        seed = transcript_seed(messages, request.get("seed"))
        output = respond(profile, messages, tools, seed, str(model))
        return completion_to_openai(output, str(model))


# -- binding ---------------------------------------------------------------------------------


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or an address) resolves only to loopback addresses."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError:
        return False
    return bool(infos) and all(ipaddress.ip_address(info[4][0]).is_loopback for info in infos)


def make_server(
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    *,
    allow_remote: bool = False,
    profiles: Iterable[str | Path] = (),
    verbose: bool = False,
    fail_every: int | None = None,
) -> SubjectServer:
    """A bound (not yet serving) subject server; ``port=0`` picks a free port.

    ``fail_every=N`` answers every Nth chat completion with HTTP 500 (fault injection).
    """
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
        raise BepError(f"--port must lie in 0..65535 (0 picks a free port), got {port}")
    if fail_every is not None and (isinstance(fail_every, bool) or fail_every < 1):
        raise BepError(f"--fail-every must be a positive integer, got {fail_every}")
    if not is_loopback(host) and not allow_remote:
        raise BepError(
            f"refusing to serve on non-loopback host '{host}' (no authentication); "
            "pass --allow-remote to do it anyway"
        )
    extra: dict[str, Profile] = {}
    for path in profiles:
        profile = load_profile(str(path))
        extra[Path(path).stem] = profile
    try:
        return SubjectServer((host, port), extra, verbose, fail_every)
    except (OSError, OverflowError, UnicodeError) as err:
        reason = getattr(err, "strerror", None) or err
        raise BepError(f"cannot serve on {host}:{port}: {reason}") from None


def serve_in_thread(server: SubjectServer) -> threading.Thread:
    """Serve in a daemon thread (stop with ``server.shutdown()``)."""
    thread = threading.Thread(target=server.serve_forever, name="subject-server", daemon=True)
    thread.start()
    return thread
