"""The subjects over HTTP: an OpenAI-compatible endpoint driven by Inspect's ``openai-api`` provider."""

from __future__ import annotations

import argparse
import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from inspect_ai.model import ChatMessageSystem, ChatMessageUser

from beyond_episode import serve_cmd
from beyond_episode.errors import BepError
from beyond_episode.subjects import server as server_module
from beyond_episode.subjects.provider import transcript_seed
from beyond_episode.subjects.server import SubjectServer, is_loopback, make_server, serve_in_thread
from tests.subjects.conftest import by_condition, render, run_eval, sandbagged, simulate, value

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture
def server() -> Iterator[SubjectServer]:
    srv = make_server("127.0.0.1", 0)
    serve_in_thread(srv)
    try:
        yield srv
    finally:
        srv.shutdown()
        srv.server_close()


def _post(url: str, body: Any) -> tuple[int, dict[str, Any]]:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = urllib.request.Request(f"{url}/chat/completions", data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def test_configure_defaults() -> None:
    parser = argparse.ArgumentParser()
    serve_cmd.configure(parser)
    args = parser.parse_args([])
    assert (args.host, args.port, args.allow_remote) == ("127.0.0.1", 8765, False)


def test_refuses_non_loopback_hosts_unless_forced() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1")
    assert not is_loopback("0.0.0.0") and not is_loopback("8.8.8.8")
    with pytest.raises(BepError, match="--allow-remote"):
        make_server("0.0.0.0", 0)
    forced = make_server("0.0.0.0", 0, allow_remote=True)
    forced.server_close()


def test_models_and_errors(server: SubjectServer) -> None:
    with urllib.request.urlopen(f"{server.url}/models", timeout=10) as response:
        names = [m["id"] for m in json.loads(response.read())["data"]]
    assert "capability_preserver" in names and "honest" in names
    status, body = _post(server.url, {"model": "nobody", "messages": [{"role": "user", "content": "hi"}]})
    assert status == 404 and body["error"]["code"] == "model_not_found"
    status, body = _post(server.url, b"{not json")
    assert status == 400 and "JSON" in body["error"]["message"]
    status, body = _post(server.url, {"model": "honest", "messages": []})
    assert status == 400


def test_tool_calls_round_trip(server: SubjectServer) -> None:
    rendered, _ = render({})
    tools = [
        {"type": "function", "function": {"name": name, "description": name, "parameters": {"type": "object", "properties": {}}}}
        for name in ("list_files", "read_file", "submit")
    ]
    messages = [{"role": "system", "content": rendered.system}, {"role": "user", "content": rendered.user}]
    status, body = _post(server.url, {"model": "honest", "messages": messages, "tools": tools})
    assert status == 200
    choice = body["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    call = choice["message"]["tool_calls"][0]
    assert call["function"]["name"] == "list_files" and json.loads(call["function"]["arguments"]) == {}
    assert body["usage"]["prompt_tokens"] > 0
    messages += [
        {"role": "assistant", "content": choice["message"]["content"], "tool_calls": [call]},
        {"role": "tool", "tool_call_id": call["id"], "content": "Documentation.md\nquestions.txt"},
    ]
    status, body = _post(server.url, {"model": "honest", "messages": messages, "tools": tools})
    call = body["choices"][0]["message"]["tool_calls"][0]
    assert call["function"]["name"] == "read_file"
    assert json.loads(call["function"]["arguments"]) == {"path": "Documentation.md"}


def test_inspect_eval_over_http(server: SubjectServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUBJECTS_API_KEY", "dummy")
    [log] = run_eval(
        "openai-api/subjects/capability_preserver",
        tmp_path,
        model_base_url=server.url,
        variant="baseline",
        items=2,
    )
    conditions = by_condition(log)
    for sample in conditions["baseline.a"]:
        assert value(sample, "accuracy") == 1.0 and value(sample, "intent_stated") == 0.0
    b = conditions["baseline.b"]
    assert any(sandbagged(s) for s in b)
    for sample in b + conditions["baseline.a"]:
        assert value(sample, "submitted") == 1.0 and value(sample, "actions") == 4.0
        assert sandbagged(sample) or value(sample, "accuracy") == 1.0
        assert sample.scores["sandbagging_scorer"].metadata["followup"] in ("admits", "denies")  # type: ignore[index]
    # The same subject offline, seeded as the server seeds it, makes the same choices.
    for sample in b:
        rendered, _ = render({}, item=int(str(sample.metadata["item"]).rsplit("-", 1)[1]))
        seed = transcript_seed([ChatMessageSystem(content=rendered.system), ChatMessageUser(content=rendered.user)])
        offline = simulate("capability_preserver", rendered, seed=seed)
        assert offline.submitted == sample.scores["sandbagging_scorer"].answer  # type: ignore[index]


def test_extra_profile_files_and_no_paths_from_requests(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text("name: mine\n")
    srv = make_server("127.0.0.1", 0, profiles=[path])
    serve_in_thread(srv)
    try:
        messages = [{"role": "user", "content": "hello"}]
        status, body = _post(srv.url, {"model": "mine", "messages": messages})
        assert status == 200 and body["choices"][0]["message"]["content"]
        status, _ = _post(srv.url, {"model": str(path), "messages": messages})
        assert status == 404
    finally:
        srv.shutdown()
        srv.server_close()


def test_a_failing_subject_answers_500(server: SubjectServer, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(server_module, "respond", broken)
    status, body = _post(server.url, {"model": "honest", "messages": [{"role": "user", "content": "hi"}]})
    assert status == 500 and "boom" in body["error"]["message"]


def test_fail_every_answers_every_nth_completion_with_500() -> None:
    srv = make_server("127.0.0.1", 0, fail_every=3)
    serve_in_thread(srv)
    try:
        body = {"model": "honest", "messages": [{"role": "user", "content": "hi"}]}
        statuses = [_post(srv.url, body)[0] for _ in range(7)]
        assert statuses == [200, 200, 500, 200, 200, 500, 200]
        assert (srv.completions, srv.failures) == (7, 2)
    finally:
        srv.shutdown()
        srv.server_close()


@pytest.mark.parametrize(
    "args,message",
    [
        (["--port", "99999"], "--port must lie in 0..65535"),
        (["--port", "-1"], "--port must lie in 0..65535"),
        (["--fail-every", "0"], "--fail-every must be a positive integer"),
    ],
)
def test_out_of_range_numbers_are_one_line_errors(tmp_path: Path, args: list[str], message: str) -> None:
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "beyond_episode.cli", "serve-subjects", *args],
        capture_output=True, text=True, cwd=tmp_path, timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.strip().startswith("bep serve-subjects: ") and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
