"""``python -m pytest_tokenstore``: the one command a newcomer runs first."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from pytest_tokenstore.__main__ import REFERENCE_STORES, split_arguments
from tests.helpers import REPO


def _run(directory: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest_tokenstore", *args],
        cwd=directory,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_help_explains_the_arguments(tmp_path: Path) -> None:
    """--help says what the arguments are and exits 0."""
    completed = _run(tmp_path, "--help")

    assert completed.returncode == 0
    assert completed.stdout.startswith("usage: python -m pytest_tokenstore")
    assert "--tokenstore-strict" in completed.stdout


def test_without_stores_it_checks_the_reference_stores(tmp_path: Path) -> None:
    """With no store named, the bundled stores are checked and the matrix printed."""
    (tmp_path / "test_unrelated.py").write_text("def test_x():\n    assert False\n")

    completed = _run(tmp_path, "-n", "2")

    assert completed.returncode == 0, completed.stdout[-2000:]
    header = next(line for line in completed.stdout.splitlines() if "| Clause" in line)
    assert all(f"`{store}`" in header for store in REFERENCE_STORES)
    assert "| SAVE-4 | MUST | pass | pass | pass |" in completed.stdout
    assert "test_unrelated" not in completed.stdout


def test_named_stores_replace_the_default(tmp_path: Path) -> None:
    """Naming a store checks that store alone, and its failures fail the command."""
    completed = _run(tmp_path, "tests.broken_stores:AppendOnly", "-q")

    assert completed.returncode == 1
    assert "| SAVE-4 | MUST | **FAIL** |" in completed.stdout


def test_specs_are_told_apart_from_pytest_options() -> None:
    """MODULE:ATTR arguments are stores; everything else goes to pytest."""
    specs, rest = split_arguments(
        ["a.b:C", "-k", "SAVE", "pkg:make_store", "--tokenstore-strict", "x.py::t"]
    )

    assert specs == ["a.b:C", "pkg:make_store"]
    assert rest == ["-k", "SAVE", "--tokenstore-strict", "x.py::t"]


def test_an_option_value_that_looks_like_a_store_stays_with_its_option() -> None:
    """``-p no:cacheprovider`` is pytest's, not a store named ``no:cacheprovider``."""
    specs, rest = split_arguments(["a.b:C", "-p", "no:cacheprovider", "-m", "x:y"])

    assert specs == ["a.b:C"]
    assert rest == ["-p", "no:cacheprovider", "-m", "x:y"]
