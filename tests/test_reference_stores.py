"""What the kit cannot see of the reference stores: how they release what they hold."""

from __future__ import annotations

import gc
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from reference_stores.sqlite_store import SQLiteTokenStore


def test_a_store_dropped_while_another_thread_holds_a_connection_closes_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Dropping the store closes every thread's connection, without an error."""
    errors: list[Any] = []
    monkeypatch.setattr(sys, "unraisablehook", errors.append)
    store: SQLiteTokenStore | None = SQLiteTokenStore(tmp_path / "tokens.db")
    used, release = threading.Event(), threading.Event()

    def work() -> None:
        assert store is not None
        store.get_tokens()
        used.set()
        release.wait(10)

    worker = threading.Thread(target=work)
    worker.start()
    used.wait(10)
    store = None  # the worker thread is still alive, its connection with it
    gc.collect()
    release.set()
    worker.join(10)

    assert [str(e.exc_value) for e in errors] == []
