"""Factories that give the SDK's own stores a place in the test's directory."""

from __future__ import annotations

from pathlib import Path

from zohocrmsdk.src.com.zoho.api.authenticator.store.file_store import FileStore


def sdk_file_store(directory: Path) -> FileStore:
    """The SDK's CSV FileStore over a file in the test's private directory."""
    return FileStore(str(directory / "tokens.csv"))
