"""Deliberately broken stores for the capability clauses, FAIL-3's reprs and hangs.

``CAUGHT_BY`` maps each store (a class, or a factory taking the test's directory)
to the clause whose check must flag it. Each builds on the sound store and has one
realistic defect; the sleeps stand in for a slow disk or network, so that the
defect shows within one short run.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, ClassVar

from zohocrmsdk.src.com.zoho.api.authenticator.oauth_token import OAuthToken

from tests.sound_store import COLUMNS, Row, SoundStore

ALL_FOUR = frozenset({"thread-safe", "multi-process", "durable", "file-backed"})


class LockedStore(SoundStore):
    """The sound store with one lock around every call: correct for threads."""

    tokenstore_capabilities: ClassVar[frozenset[str]] = frozenset({"thread-safe"})

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.RLock()

    def guarded(self, action: str, work: Any) -> Any:
        with self._lock:
            return super().guarded(action, work)


class JsonFileStore(LockedStore):
    """Rows in a JSON file: a thread lock, a file lock, atomic private rewrites.

    Correct for all four capabilities; the broken file stores change one step.
    """

    create_mode = 0o600

    def __init__(self, directory: Path) -> None:
        super().__init__()
        self.path = directory / "tokens.json"
        self.lock_path = directory / "tokens.lock"
        for path in (self.path, self.lock_path):
            if not path.exists():
                os.close(os.open(path, os.O_RDWR | os.O_CREAT, self.create_mode))
                if path == self.path:
                    path.write_text("[]")

    def new_id(self) -> str:
        return uuid.uuid4().hex

    @contextlib.contextmanager
    def across_processes(self) -> Iterator[None]:
        """Hold the file lock, so one process at a time reads and rewrites."""
        with open(self.lock_path, "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def load(self) -> list[Row]:
        """Read every row from the file."""
        return list(json.loads(self.path.read_text()))

    def write(self, rows: list[Row]) -> None:
        """Replace the file in one step: a private temporary file, then a rename."""
        temporary = self.path.with_suffix(".tmp")
        descriptor = os.open(
            temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, self.create_mode
        )
        with os.fdopen(descriptor, "w") as handle:
            handle.write(json.dumps(rows))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, self.path)

    def guarded(self, action: str, work: Any) -> Any:
        with self._lock, self.across_processes():
            self._data = self.load()
            before = json.dumps(self._data)
            result = SoundStore.guarded(self, action, work)
            if json.dumps(self._data) != before:
                self.write(self._data)
            return result


def _factory(
    cls: type[JsonFileStore], capabilities: frozenset[str]
) -> Callable[..., Any]:
    def build(directory: Path) -> JsonFileStore:
        return cls(directory)

    build.__name__ = cls.__name__.lower()
    build.tokenstore_capabilities = capabilities  # type: ignore[attr-defined]
    build.tokenstore_breaker = SoundStore.tokenstore_breaker  # type: ignore[attr-defined]
    return build


sound_file_store = _factory(JsonFileStore, ALL_FOUR)


class ChecksThenInserts(SoundStore):
    """No lock: looks the user up, then, a round trip later, inserts a new row."""

    tokenstore_capabilities: ClassVar[frozenset[str]] = frozenset({"thread-safe"})

    def save_row(self, token: OAuthToken) -> Row | None:
        row = super().save_row(token)
        time.sleep(0.001)
        return row


class UnlockedWithoutDelay(SoundStore):
    """No lock, but no slow disk either: the lookup and the insert of a save are a
    few lines apart, a window the thread rounds rarely hit and the paused tests
    stop in every run."""

    tokenstore_capabilities: ClassVar[frozenset[str]] = frozenset({"thread-safe"})


class PollsForItsLock(SoundStore):
    """Correct: takes its lock by polling and counts the waits, as some file-lock
    libraries do, so a waiting thread keeps calling functions."""

    tokenstore_capabilities: ClassVar[frozenset[str]] = frozenset({"thread-safe"})

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self.waits = 0

    def wait_a_little(self) -> None:
        self.waits += 1
        time.sleep(0.0005)

    def guarded(self, action: str, work: Any) -> Any:
        while not self._lock.acquire(blocking=False):
            self.wait_a_little()
        try:
            return super().guarded(action, work)
        finally:
            self._lock.release()


class UpdatesByRemoveAndAdd(LockedStore):
    """Lookups skip the lock, and an update takes the row out before it puts it
    back: a lookup in between misses a user who is stored."""

    def guarded(self, action: str, work: Any) -> Any:
        if action.startswith(("find", "list")):
            return SoundStore.guarded(self, action, work)
        return super().guarded(action, work)

    def merge(self, row: Row, token: OAuthToken) -> None:
        rows = self.rows()
        rows.remove(row)
        super().merge(row, token)
        rows.append(row)


class ListsAnIndexUnlocked(LockedStore):
    """Keeps the rows by id in a dict as well; get_tokens walks the dict without
    the lock, so a save that adds a user during the walk breaks the listing."""

    def __init__(self) -> None:
        super().__init__()
        self.by_id: dict[Any, Row] = {}

    def insert(self, token: OAuthToken) -> None:
        super().insert(token)
        row = self.rows()[-1]
        self.by_id[row["id"]] = row

    def delete_tokens(self) -> None:
        super().delete_tokens()
        self.by_id.clear()

    def get_tokens(self) -> Any:
        return [self.to_token(row) for row in self.by_id.values()]


class TornRecords(LockedStore):
    """Reads skip the lock, and an insert fills in its new row field by field."""

    def guarded(self, action: str, work: Any) -> Any:
        if action.startswith(("find", "list")):
            return SoundStore.guarded(self, action, work)
        return super().guarded(action, work)

    def insert(self, token: OAuthToken) -> None:
        if token.get_id() is None:
            token.set_id(self.new_id())
        values = {c: self.encode(v) for c, v in _values(token).items()}
        row: Row = {"id": values["id"], **{c: None for c in COLUMNS if c != "id"}}
        self.rows().append(row)
        for column in COLUMNS:
            row[column] = values[column]
            time.sleep(0.0001)


def _values(token: OAuthToken) -> Row:
    from tests.sound_store import values_of

    return values_of(token)


class ThreadLockOnly(JsonFileStore):
    """Locks out other threads but not other processes, over a slow disk."""

    @contextlib.contextmanager
    def across_processes(self) -> Iterator[None]:
        yield

    def load(self) -> list[Row]:
        rows = super().load()
        time.sleep(0.001)
        return rows


thread_lock_only = _factory(ThreadLockOnly, ALL_FOUR)


class ForgetsOnReopen(LockedStore):
    """Declares itself durable but keeps its rows in memory, per instance."""

    tokenstore_capabilities: ClassVar[frozenset[str]] = frozenset(
        {"thread-safe", "durable"}
    )


class RewritesInPlace(JsonFileStore):
    """Empties the file and writes it again row by row, where a crash can cut it."""

    def write(self, rows: list[Row]) -> None:
        with open(self.path, "w") as handle:
            handle.write("[")
            for n, row in enumerate(rows):
                handle.write(("," if n else "") + json.dumps(row))
                handle.flush()
            handle.write("]")


rewrites_in_place = _factory(RewritesInPlace, ALL_FOUR)


class WorldReadable(JsonFileStore):
    """Creates its files with the umask's permissions, 0644 under umask 022."""

    create_mode = 0o666


world_readable = _factory(WorldReadable, ALL_FOUR)


class GroupWritable(JsonFileStore):
    """Makes its file group-writable, "so the deploy user can rotate tokens"."""

    def write(self, rows: list[Row]) -> None:
        super().write(rows)
        os.chmod(self.path, 0o620)


group_writable = _factory(GroupWritable, ALL_FOUR)


class ReprShowsRows(SoundStore):
    """Its repr, handy in a debugger, lists every row, secrets and all."""

    def __repr__(self) -> str:
        return f"ReprShowsRows(rows={self._data!r})"


class NeverReleasesOnDelete(LockedStore):
    """delete_token takes the lock and, on one path, never gives it back."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()  # type: ignore[assignment]

    def delete_token(self, id: Any) -> None:
        self._lock.acquire()
        rows = self.rows()
        rows[:] = [r for r in rows if not self.id_matches(r, id)]


class DeadlocksUnderLoad(SoundStore):
    """Saves take lock A then B, lookups B then A: two threads can wait forever."""

    tokenstore_capabilities: ClassVar[frozenset[str]] = frozenset({"thread-safe"})

    def __init__(self) -> None:
        super().__init__()
        self._a, self._b = threading.Lock(), threading.Lock()

    def save_token(self, token: Any) -> Any:
        with self._a:
            time.sleep(0.001)
            with self._b:
                return super().save_token(token)

    def find_token(self, token: Any) -> Any:
        with self._b:
            time.sleep(0.001)
            with self._a:
                return super().find_token(token)


CAUGHT_BY: dict[str, str] = {
    "ChecksThenInserts": "CONC-1",
    "TornRecords": "CONC-2",
    "thread_lock_only": "CONC-3",
    "ForgetsOnReopen": "DUR-1",
    "rewrites_in_place": "DUR-2",
    "world_readable": "SEC-1",
    "group_writable": "SEC-1",
    "ReprShowsRows": "FAIL-3",
}
"""Store (its name in this module) and the clause whose check must flag it."""

CAUGHT_WHEN_PAUSED: dict[str, str] = {
    "UnlockedWithoutDelay": "CONC-1",
    "ChecksThenInserts": "CONC-1",
    "UpdatesByRemoveAndAdd": "CONC-1",
    "TornRecords": "CONC-2",
    "ListsAnIndexUnlocked": "CONC-2",
}
"""Thread races the paused tests alone must flag, the same way in every run."""
