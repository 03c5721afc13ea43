"""One pool of worker processes for the runner's parts, the calibration's replications and the
report's figures, on joblib.

:func:`imap` runs a function over items with ``joblib.Parallel(return_as="generator_unordered")``
and yields ``(item, result)`` as each one finishes. Locally the backend is joblib's default,
loky (fresh worker processes, reused from one call to the next); a caller that set another
backend with ``joblib.parallel_config`` (Dask's, Ray's) gets that one, since no backend is named
here. A backend that cannot stream results (joblib's ``multiprocessing``, for one) hands them
all over at the end, so a checkpoint then fills only when the pool is done. A worker that dies
(loky's ``TerminatedWorkerError``: killed by the system under memory pressure, say) has its
unfinished items rerun once in new workers; a second death is a :class:`BepError`.

:class:`Checkpoint` keeps finished results (JSON objects, one a line) keyed by a stable key;
:func:`imap_resumable` skips the items whose key is already there, so an interrupted run
resumes where it stopped.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from joblib import Parallel, delayed
from joblib.externals.loky.process_executor import TerminatedWorkerError
from joblib.parallel import get_active_backend

from beyond_episode.errors import BepError

T = TypeVar("T")
R = TypeVar("R")
Record = dict[str, Any]

RERUNS = 1
"""Times the unfinished items of a pool whose worker died are run again."""


def default_jobs() -> int:
    """The ``n_jobs`` of the caller's ``joblib.parallel_config``, else the number of CPUs."""
    _, configured = get_active_backend()
    return int(configured) if configured else os.cpu_count() or 1


def _call(fn: Callable[[T], R], index: int, item: T) -> tuple[int, R]:
    return index, fn(item)


def imap(
    fn: Callable[[T], R],
    items: Sequence[T],
    *,
    jobs: int | None = None,
    what: str = "items",
    on_rerun: Callable[[int], None] | None = None,
) -> Iterator[tuple[T, R]]:
    """``(item, fn(item))`` for every item, in the order they finish, in ``jobs`` workers
    (default: :func:`default_jobs`); one item or one job runs here, without workers.

    ``fn`` must be picklable (a module-level function or an instance of a module-level class).
    ``on_rerun`` is told how many items are rerun after a worker died; ``what`` names the
    items in the error raised when workers die again.
    """
    n_jobs = default_jobs() if jobs is None else jobs
    if n_jobs < 1 and n_jobs != -1:
        raise BepError(f"--jobs must be a positive integer (got {n_jobs})")
    if n_jobs == 1 or len(items) <= 1:
        for item in items:
            yield item, fn(item)
        return
    pending = dict(enumerate(items))
    # a backend without generators (the multiprocessing one, Ray's) returns every result at the end
    backend, _ = get_active_backend()
    return_as = "generator_unordered" if backend.supports_return_generator else "list"
    for attempt in range(RERUNS + 1):
        tasks = [delayed(_call)(fn, i, item) for i, item in pending.items()]
        try:
            for index, result in Parallel(n_jobs=n_jobs, return_as=return_as)(tasks):
                yield pending.pop(index), result
            return
        except TerminatedWorkerError:
            if attempt == RERUNS:
                raise BepError(
                    f"worker processes died {RERUNS + 1} times; {len(pending)} {what} unfinished "
                    "(try fewer --jobs, or free some memory)"
                ) from None
            if on_rerun is not None:
                on_rerun(len(pending))


class Checkpoint:
    """Finished results in a JSON-lines file, so that an interrupted run can resume.

    The first line holds the run's settings; a file written with other settings (or unreadable)
    is started afresh. ``key`` gives each record's stable key, the same as the key of the item
    that made it.
    """

    def __init__(self, path: str | Path | None, settings: Mapping[str, Any], key: Callable[[Record], Hashable]) -> None:
        self.path = Path(path) if path else None
        self.settings = json.loads(json.dumps(dict(settings), default=str))
        self.key = key
        self.records: list[Record] = []
        if self.path is None:
            return
        if self.path.is_file():
            lines = self.path.read_text(encoding="utf-8").splitlines()
            try:
                head = json.loads(lines[0]) if lines else None
                if head == {"settings": self.settings}:
                    self.records = [json.loads(line) for line in lines[1:] if line.strip()]
            except json.JSONDecodeError:  # a line cut short by the interruption: start afresh
                self.records = []
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("w", encoding="utf-8") as f:
            f.write(json.dumps({"settings": self.settings}) + "\n")
            for record in self.records:
                f.write(json.dumps(record) + "\n")

    def done(self) -> set[Hashable]:
        """Keys of the finished records."""
        return {self.key(r) for r in self.records}

    def add(self, records: Iterable[Record]) -> None:
        new = list(records)
        self.records.extend(new)
        if self.path is not None:
            with self.path.open("a", encoding="utf-8") as f:
                for record in new:
                    f.write(json.dumps(record, default=float) + "\n")

    def remove(self) -> None:
        if self.path is not None:
            self.path.unlink(missing_ok=True)


def imap_resumable(
    fn: Callable[[T], Record],
    items: Sequence[T],
    checkpoint: Checkpoint,
    item_key: Callable[[T], Hashable],
    *,
    jobs: int | None = None,
    what: str = "items",
    on_rerun: Callable[[int], None] | None = None,
) -> Iterator[Record]:
    """The record of every item not yet in ``checkpoint``, each added to it as it finishes
    (``checkpoint.key`` of an item's record is ``item_key`` of the item)."""
    done = checkpoint.done()
    todo = [item for item in items if item_key(item) not in done]
    for _, record in imap(fn, todo, jobs=jobs, what=what, on_rerun=on_rerun):
        checkpoint.add([record])
        yield record
