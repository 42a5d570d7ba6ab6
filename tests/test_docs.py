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
        # CI=1 derandomizes the state machine, as in CI.
        env={**os.environ, "PYTHONPATH": str(REPO), "CI": "1"},
        capture_output=True,
        timeout=600,
        check=False,
    )

    assert _settled(fresh.read_text()) == _settled(current.read_text()), (
        "docs/conformance.md is out of date; regenerate it with the command at its top"
    )


RACES = tuple(f"- {c} (" for c in ("CONC-1", "CONC-2", "CONC-3", "DUR-2"))
"""Findings whose detail depends on how threads and a kill happen to interleave."""


def _settled(matrix: str) -> str:
    """The matrix with the details of race findings cut to clause and verdict."""
    return "\n".join(
        line.split(":", 1)[0] if line.startswith(RACES) else line
        for line in matrix.splitlines()
    )


@pytest.mark.parametrize("clause_id", list(CLAUSES))
def test_every_clause_is_documented(clause_id: str) -> None:
    """docs/contract.md has a section for every clause the kit reports."""
    contract = (REPO / "docs" / "contract.md").read_text()

    assert f"### {clause_id} " in contract
