"""Load a page in Debian's headless chromium through the DevTools protocol and report what a
reader's browser would see: the DOM, console errors, network requests and a screenshot."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

CHROMIUM = "/usr/bin/chromium"
FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0", "--window-size=1400,1000",
)
LOCAL_SCHEMES = ("file:", "data:", "about:")


@dataclass
class PageVisit:
    value: Any
    """The result of the script evaluated after the load (JSON)."""
    requests: list[str] = field(default_factory=list)
    """Every URL the page requested."""
    errors: list[str] = field(default_factory=list)
    """Console errors and uncaught exceptions."""
    screenshot: bytes = b""

    @property
    def network(self) -> list[str]:
        """Requests that leave the disk (anything but file:, data: and about: URLs)."""
        return [u for u in self.requests if not u.startswith(LOCAL_SCHEMES)]


def chromium() -> str:
    """The chromium binary; fails with what to install when it is missing."""
    found = shutil.which("chromium") or (CHROMIUM if Path(CHROMIUM).exists() else None)
    if not found:
        raise AssertionError("Debian's chromium is missing: apt-get install -y --no-install-recommends chromium")
    return found


async def _visit(ws_url: str, url: str, script: str, timeout: float) -> PageVisit:
    visit = PageVisit(None)
    async with aiohttp.ClientSession() as session, session.ws_connect(ws_url, max_msg_size=0) as ws:
        ids = iter(range(1, 10_000))
        pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        loaded = asyncio.get_running_loop().create_future()

        async def reader() -> None:
            async for msg in ws:
                data = json.loads(msg.data)
                if "id" in data and data["id"] in pending:
                    pending.pop(data["id"]).set_result(data)
                    continue
                method, params = data.get("method"), data.get("params", {})
                if method == "Network.requestWillBeSent":
                    visit.requests.append(params["request"]["url"])
                elif method == "Runtime.exceptionThrown":
                    details = params["exceptionDetails"]
                    visit.errors.append(details.get("exception", {}).get("description") or details.get("text", ""))
                elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                    visit.errors.append(" ".join(str(a.get("value", a.get("description", ""))) for a in params["args"]))
                elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
                    visit.errors.append(params["entry"].get("text", ""))
                elif method == "Page.loadEventFired" and not loaded.done():
                    loaded.set_result(True)

        async def call(method: str, **params: Any) -> dict[str, Any]:
            i = next(ids)
            future = asyncio.get_running_loop().create_future()
            pending[i] = future
            await ws.send_str(json.dumps({"id": i, "method": method, "params": params}))
            answer = await asyncio.wait_for(future, timeout)
            if "error" in answer:
                raise AssertionError(f"{method}: {answer['error']}")
            return answer.get("result", {})

        task = asyncio.create_task(reader())
        try:
            for domain in ("Network", "Runtime", "Log", "Page"):
                await call(f"{domain}.enable")
            await call("Page.navigate", url=url)
            await asyncio.wait_for(loaded, timeout)
            await asyncio.sleep(0.3)  # let late console messages arrive
            result = await call("Runtime.evaluate", expression=script, returnByValue=True)
            if "exceptionDetails" in result:
                raise AssertionError(f"the test script failed: {result['exceptionDetails']}")
            visit.value = result["result"].get("value")
            shot = await call("Page.captureScreenshot", format="png")
            visit.screenshot = base64.b64decode(shot["data"])
        finally:
            task.cancel()
    return visit


def visit(page: Path, script: str, timeout: float = 60.0) -> PageVisit:
    """Open ``page`` from disk in headless chromium, evaluate ``script`` after the load."""
    binary = chromium()
    # chromium's helper processes (renderer, crash handler) may still write to the profile after
    # the browser exits: they share its process group, which is ended as a whole
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as profile:
        proc = subprocess.Popen([binary, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            port_file = Path(profile) / "DevToolsActivePort"
            deadline = time.monotonic() + timeout
            while not (port_file.exists() and port_file.read_text().strip()):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"chromium did not start (exit code {proc.poll()})")
                time.sleep(0.1)
            port = int(port_file.read_text().split()[0])
            return asyncio.run(_page_visit(port, page.resolve().as_uri(), script, timeout))
        finally:
            _end_group(proc)


def _end_group(proc: subprocess.Popen[bytes]) -> None:
    """Terminate chromium and every process of its group, then reap it."""
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, None)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(wait)
            break
        except subprocess.TimeoutExpired:
            continue
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)  # helpers that outlived the browser


async def _page_visit(port: int, url: str, script: str, timeout: float) -> PageVisit:
    async with aiohttp.ClientSession() as session:
        async with session.get(f"http://127.0.0.1:{port}/json/list") as resp:
            targets = await resp.json()
    page = next(t for t in targets if t.get("type") == "page")
    return await _visit(page["webSocketDebuggerUrl"], url, script, timeout)
