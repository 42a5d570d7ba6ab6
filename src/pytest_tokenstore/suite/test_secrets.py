"""SEC-1 and the repr half of FAIL-3: where secrets can leak from a working store.

FAIL-3's exception half is in ``test_failure.py``. SEC-1 runs only for stores that
declare ``file-backed``.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import pytest

from pytest_tokenstore.checks import call, clause, saved, violated
from pytest_tokenstore.concurrency import require
from pytest_tokenstore.fixtures import StoreFactory
from pytest_tokenstore.spec import StoreSpec
from pytest_tokenstore.tokens import SECRET_FIELDS, make_token, probe, sample

pytestmark = pytest.mark.tokenstore


def _leaked(text: str, secrets: set[str]) -> str | None:
    return next((s for s in sorted(secrets) if s in text), None)


@clause("FAIL-3")
def test_reprs_carry_no_secret(tokenstore: Any) -> None:
    """Neither the store's repr nor those of the tokens it returns show a secret."""
    records = saved("FAIL-3", tokenstore, sample(1), sample(2))
    secrets = {r[f] for r in records for f in SECRET_FIELDS if r[f]}
    shown = {
        "the store": tokenstore,
        "a token from find_token": call(
            "FAIL-3", tokenstore, "find_token", probe("user", records[0])
        ),
        "a token from find_token_by_id": call(
            "FAIL-3", tokenstore, "find_token_by_id", records[0]["id"]
        ),
        "the list from get_tokens": call("FAIL-3", tokenstore, "get_tokens"),
    }

    for what, value in shown.items():
        leaked = _leaked(f"{value!r}\n{value!s}", secrets)
        if leaked:
            violated(
                "FAIL-3",
                f"the repr or str of {what} shows the value {leaked[:12]}...",
                "reprs end up in logs and debuggers, and tokens there can be stolen",
            )


@clause("SEC-1")
def test_files_the_store_creates_are_for_the_owner_only(
    tokenstore_factory: StoreFactory,
    tokenstore_spec: StoreSpec,
    tokenstore_dir: Path,
    tokenstore_cwd: Path,
) -> None:
    """Under the common umask 022, every file the store writes is owner-only."""
    require(tokenstore_spec, "file-backed")
    previous = os.umask(0o022)
    try:
        store = tokenstore_factory()
        (record,) = saved("SEC-1", store, sample(1))
        call("SEC-1", store, "save_token", make_token(**sample(2)))
        call("SEC-1", store, "delete_token", record["id"])
        call("SEC-1", store, "get_tokens")
    finally:
        os.umask(previous)

    files = [
        path
        for root in (tokenstore_dir, tokenstore_cwd)
        for path in sorted(root.rglob("*"))
        if path.is_file()
    ]
    if not files:
        pytest.skip(
            "not checked: the store wrote no file in the test's directory or "
            "working directory (give the factory the directory argument)"
        )
    # Owner-only: no read, write or execute bit for group or others. A file
    # others can write lets them plant a token as surely as reading one steals it.
    shared = [
        f"{path.name} ({stat.filemode(path.stat().st_mode)})"
        for path in files
        if path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO)
    ]
    if shared:
        violated(
            "SEC-1",
            f"under umask 022 the store created {', '.join(shared[:3])}, "
            "open to other accounts",
            "the file holds client secrets and refresh tokens; create it with mode "
            "0600 whatever the umask",
        )
