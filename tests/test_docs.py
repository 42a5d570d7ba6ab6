"""The documents that are generated or quoted stay true to the code."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass

import pytest

from pytest_tokenstore.clauses import CLAUSES
from pytest_tokenstore.results import MATRIX_END, MATRIX_START
from tests.db_stores import NoServer, db_required, reachable_server
from tests.helpers import REPO

DBSTORE = "tests.db_stores:sdk_db_store"

MATRIX_STORES = (
    "reference_stores.sqlite_store:SQLiteTokenStore",
    "reference_stores.memory_store:InMemoryTokenStore",
    "reference_stores.list_store:ListTokenStore",
    "tests.sdk_stores:sdk_file_store",
    DBSTORE,
)

CONFORMANCE = REPO / "docs" / "conformance.md"


@dataclass(frozen=True)
class Regenerated:
    """docs/conformance.md as its command writes it today, and what was left out."""

    text: str
    left_out: str | None
    """Why the DBStore column could not be regenerated, or None if it was."""


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory: pytest.TempPathFactory) -> Regenerated:
    """Run the documented command on a copy of the file, once for this module.

    Without a MariaDB server the DBStore column is left out, unless CI demands a
    server, where its absence fails.
    """
    stores: tuple[str, ...] = MATRIX_STORES
    left_out = None
    try:
        reachable_server()
    except NoServer as exc:
        if db_required():
            pytest.fail(
                f"DBStore's column needs the server CI starts: {exc}", pytrace=False
            )
        stores, left_out = MATRIX_STORES[:-1], str(exc)
    fresh = tmp_path_factory.mktemp("docs") / "conformance.md"
    shutil.copy(CONFORMANCE, fresh)

    subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest_tokenstore",
            *stores,
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
    return Regenerated(fresh.read_text(), left_out)


def test_the_conformance_matrix_is_current(regenerated: Regenerated) -> None:
    """docs/conformance.md is what its documented command writes today.

    Without a server, everything but the DBStore column and its notes is compared;
    the next test says that column went unchecked.
    """
    current = CONFORMANCE.read_text()
    if regenerated.left_out is not None:
        current = without_store(current, DBSTORE)

    assert _settled(regenerated.text) == _settled(current), (
        "docs/conformance.md is out of date; regenerate it with the command at its "
        "top (it needs the MariaDB server that .ci/mariadb starts)"
    )


def test_the_dbstore_column_was_checked(regenerated: Regenerated) -> None:
    """The DBStore column was regenerated too, or the run says why it was not."""
    if regenerated.left_out is not None:
        pytest.skip(
            f"docs/conformance.md: the {DBSTORE} column and its notes were not "
            f"checked (the rest was), because {regenerated.left_out}"
        )

    assert f"`{DBSTORE}`" in regenerated.text


def without_store(document: str, store: str) -> str:
    """The document with one store's matrix column and its notes taken out."""
    head, start, rest = document.partition(MATRIX_START)
    matrix, end, tail = rest.partition(MATRIX_END)
    lines = matrix.split("\n")
    header = next(line for line in lines if line.startswith("| Clause |"))
    column = _cells(header).index(f"`{store}`")
    lines = [
        _row(_cells(line)[:column] + _cells(line)[column + 1 :])
        if line.startswith("|")
        else line
        for line in lines
    ]
    title = f"**`{store}`**"
    if title in lines:
        first = lines.index(title) - 1  # the blank line before the title
        after = [n for n in range(first + 2, len(lines)) if lines[n].startswith("**`")]
        last = after[0] - 1 if after else len(lines) - 1  # keep the closing newline
        del lines[first:last]
    return head + start + "\n".join(lines) + end + tail


def _cells(row: str) -> list[str]:
    return [cell.strip() for cell in row.strip().strip("|").split("|")]


def _row(cells: list[str]) -> str:
    return "|" + "|".join(f" {cell} " if cell else " " for cell in cells) + "|"


@pytest.mark.parametrize("gone", ["b:B", "c:C"])
def test_leaving_a_store_out_matches_a_run_without_it(gone: str) -> None:
    """without_store() turns a matrix into the one a run without that store writes."""
    from pytest_tokenstore.results import Ledger

    both = Ledger(["a:A", "b:B", "c:C"], frozenset())
    two = Ledger([s for s in both.stores if s != gone], frozenset())
    for ledger in (both, two):
        for spec in ledger.stores:
            ledger.add(
                {
                    "store": spec,
                    "clause": "SAVE-4",
                    "status": "fail",
                    "detail": f"{spec} broke it",
                    "nodeid": "t",
                }
            )
    wrap = f"# Title\n\n{MATRIX_START}\n{{}}{MATRIX_END}\n\nProse.\n"

    assert without_store(wrap.format(both.markdown()), gone) == wrap.format(
        two.markdown()
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
