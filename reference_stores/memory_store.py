"""A TokenStore that keeps tokens in an SQLite database in memory, for one process."""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import weakref
from collections.abc import Iterator
from typing import ClassVar

from .sqlite_store import SQLiteTokenStore


class InMemoryTokenStore(SQLiteTokenStore):
    """Tokens in an SQLite ``:memory:`` database that lives as long as the store.

    The SQL is that of ``SQLiteTokenStore``; only the connection differs. A
    database in memory exists only for the connection that made it, so the
    store keeps one connection and lets one call at a time use it, behind a lock.
    Nothing survives the store, and other processes cannot see it.
    """

    tokenstore_capabilities: ClassVar[frozenset[str]] = frozenset({"thread-safe"})

    def __init__(self) -> None:
        """Create an empty store."""
        # The file store's __init__ is all about its file, so it is not called.
        self._lock = threading.Lock()
        self._db = sqlite3.connect(
            ":memory:", check_same_thread=False, isolation_level=None
        )
        # Close the connection with the store; Python 3.13 warns about leaks.
        weakref.finalize(self, self._db.close)
        self._create_schema()

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        """Lend the one connection to one call at a time."""
        with self._lock:
            yield self._db
