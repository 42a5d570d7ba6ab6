"""The documents that are generated or quoted stay true to the code."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pytest_tokenstore.clauses import CLAUSES
from tests.helpers import REPO

MATRIX_STORES = (
    "reference_stores.sqlite_store:SQLiteTokenStore",
    "reference_stores.memory_store:InMemoryTokenStore",
    "reference_stores.list_store:ListTokenStore",
    "tests.sdk_stores:sdk_file_store",
)


def test_the_conformance_matrix_is_current(tmp_path: Path) -> None:
    """docs/conformance.md is what its documented command writes today."""
    current = REPO / "docs" / "conformance.md"
    fresh = tmp_path / "conformance.md"
    shutil.copy(current, fresh)

    subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest_tokenstore",
            *MATRIX_STORES,
            "-n",
            "2",
            f"--tokenstore-report={fresh}",
        ],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO), "CI": "1"},
        capture_output=True,
        timeout=600,
        check=False,
    )

    assert fresh.read_text() == current.read_text(), (
        "docs/conformance.md is out of date; regenerate it with the command at its top"
    )


@pytest.mark.parametrize("clause_id", list(CLAUSES))
def test_every_clause_is_documented(clause_id: str) -> None:
    """docs/contract.md has a section for every clause the kit reports."""
    contract = (REPO / "docs" / "contract.md").read_text()

    assert f"### {clause_id} " in contract


def test_the_zoo_table_lists_every_broken_store() -> None:
    """docs/strength.md has a row for each broken store, with its clause."""
    from tests.broken_stores import CAUGHT_BY, CAUGHT_ONLY_BY_THE_STATE_MACHINE

    text = (REPO / "docs" / "strength.md").read_text(encoding="utf-8")
    for store, clause_id in {**CAUGHT_BY, **CAUGHT_ONLY_BY_THE_STATE_MACHINE}.items():
        who = (
            "state machine only"
            if store in CAUGHT_ONLY_BY_THE_STATE_MACHINE
            else "contract tests"
        )
        assert f"| `{store.__name__}` |" in text, store.__name__
        row = text.split(f"| `{store.__name__}` |", 1)[1].split("\n", 1)[0]
        assert row.endswith(f"| {clause_id} | {who} |"), row
