"""Factories that give the SDK's own stores a place in the test's directory."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from zohocrmsdk.src.com.zoho.api.authenticator.store.file_store import FileStore


def sdk_file_store(directory: Path) -> FileStore:
    """The SDK's CSV FileStore over a file in the test's private directory."""
    return FileStore(str(directory / "tokens.csv"))


@contextlib.contextmanager
def _file_replaced_by_a_directory(store: Any, directory: Path) -> Iterator[None]:
    """Put a directory where the CSV file was, so every open fails, then undo it.

    Permissions cannot break a file for root, who runs CI here; a directory in its
    place can.
    """
    path = Path(store.file_path)
    aside = path.with_name(path.name + ".aside")
    os.replace(path, aside)
    path.mkdir()
    try:
        yield
    finally:
        path.rmdir()
        os.replace(aside, path)


sdk_file_store.tokenstore_breaker = _file_replaced_by_a_directory  # type: ignore[attr-defined]

# What a user of FileStore would declare: it is a file (file-backed), the SDK's
# default store across restarts (durable), shared by the threads of an application
# because the SDK keeps one store for all of them (thread-safe), and the file
# usually sits where every worker process of a web server opens it (multi-process).
sdk_file_store.tokenstore_capabilities = frozenset(  # type: ignore[attr-defined]
    {"thread-safe", "multi-process", "durable", "file-backed"}
)
