"""The worker pool: results of every item, a rerun when a worker dies, a one-line error when
workers die again, a checkpoint that resumes, and the caller's joblib backend honoured."""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

import joblib
import pytest

from beyond_episode.errors import BepError
from beyond_episode.pool import Checkpoint, imap, imap_resumable


def square(x: int) -> int:
    return x * x


class DiesOnce:
    """Kills its worker process at item 3 the first time (a marker file remembers it)."""

    def __init__(self, marker: Path, always: bool = False) -> None:
        self.marker, self.always = marker, always

    def __call__(self, x: int) -> int:
        if x == 3 and (self.always or not self.marker.exists()):
            self.marker.touch()
            os.kill(os.getpid(), signal.SIGKILL)
        return x * x


def test_every_item_once_in_workers() -> None:
    got = dict(imap(square, list(range(12)), jobs=2))
    assert got == {x: x * x for x in range(12)}


def test_a_dead_worker_has_its_unfinished_items_rerun(tmp_path: Path) -> None:
    reruns: list[int] = []
    got = dict(imap(DiesOnce(tmp_path / "died"), list(range(8)), jobs=2, on_rerun=reruns.append))
    assert got == {x: x * x for x in range(8)}
    assert (tmp_path / "died").exists() and len(reruns) == 1 and 1 <= reruns[0] <= 8


def test_workers_that_die_again_give_one_line(tmp_path: Path) -> None:
    with pytest.raises(BepError) as err:
        list(imap(DiesOnce(tmp_path / "died", always=True), list(range(8)), jobs=2, what="replications"))
    message = str(err.value)
    assert message.startswith("worker processes died 2 times;") and "replications unfinished" in message
    assert "\n" not in message


def test_the_callers_backend_is_used() -> None:
    """A caller's ``joblib.parallel_config`` (here the threading backend: every item in this
    process) replaces the local process pool."""
    with joblib.parallel_config(backend="threading"):
        pids = {pid for _, pid in imap(lambda _: os.getpid(), list(range(6)), jobs=2)}
    assert pids == {os.getpid()}


def test_a_backend_without_generators_gives_every_result() -> None:
    """joblib's multiprocessing backend (like Ray's) returns a list, not a generator."""
    with joblib.parallel_config(backend="multiprocessing"):
        got = dict(imap(square, list(range(6)), jobs=2))
    assert got == {x: x * x for x in range(6)}


def _key(record: dict[str, Any]) -> int:
    return int(record["x"])


def record_of(x: int) -> dict[str, Any]:
    return {"x": x, "square": x * x}


def test_a_rerun_skips_what_the_checkpoint_holds(tmp_path: Path) -> None:
    path = tmp_path / "partial.jsonl"
    first = Checkpoint(path, {"run": 1}, key=_key)
    for record in imap_resumable(record_of, [0, 1, 2, 3], first, lambda x: x, jobs=1):
        if record["x"] == 1:
            break  # interrupted after two items
    assert len(path.read_text().splitlines()) == 1 + 2
    again = Checkpoint(path, {"run": 1}, key=_key)
    new = list(imap_resumable(record_of, [0, 1, 2, 3], again, lambda x: x, jobs=2))
    assert sorted(r["x"] for r in new) == [2, 3]
    assert sorted(_key(r) for r in again.records) == [0, 1, 2, 3]
    other = Checkpoint(path, {"run": 2}, key=_key)  # other settings: nothing is reused
    assert other.records == [] and path.read_text().splitlines() == ['{"settings": {"run": 2}}']
