"""Shared pieces of the kit's self-tests: running the kit and reading its report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

# pytester's in-process runs roll back sys.modules after each run, but not the
# attributes a package keeps for its submodules: a requests imported inside one
# run and again in the next mixes two http.cookiejar modules and fails with "You
# can only merge into CookieJar". Imported once here, before any run, it is kept.
import requests  # noqa: F401

REPO = Path(__file__).resolve().parent.parent

GOOD_STORE = "reference_stores.list_store:ListTokenStore"


def run_kit(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    """Run pytest with the kit in-process, from an empty directory."""
    return pytester.runpytest_inprocess("-p", "no:cacheprovider", *args)


def run_report(
    pytester: pytest.Pytester, store: str, *args: str
) -> tuple[pytest.RunResult, dict[str, dict[str, Any]]]:
    """Run the kit against one store and return the result and its clause verdicts."""
    path = pytester.path / "report.json"
    result = run_kit(
        pytester, f"--tokenstore={store}", f"--tokenstore-report={path}", *args
    )
    document = json.loads(path.read_text(encoding="utf-8"))
    (entry,) = document["stores"]
    return result, {c["id"]: c for c in entry["clauses"]}


def run_kit_process(
    directory: Path, *args: str
) -> tuple[int, str, dict[str, dict[str, dict[str, Any]]]]:
    """Run the kit in a new process in ``directory``; return code, output, verdicts.

    The verdicts are keyed by store spec, then clause id.
    """
    import os
    import subprocess
    import sys

    report = directory / "report.json"
    # CI=1 derandomizes the state machine, so a verdict is the same on every run.
    env = {**os.environ, "PYTHONPATH": str(REPO), "CI": "1"}
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            *args,
            f"--tokenstore-report={report}",
        ],
        cwd=directory,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    document = json.loads(report.read_text(encoding="utf-8"))
    verdicts = {
        entry["store"]: {c["id"]: c for c in entry["clauses"]}
        for entry in document["stores"]
    }
    return completed.returncode, completed.stdout, verdicts


def expected_verdict(clause_id: str, deviations: dict[str, str], factory: Any) -> str:
    """What the kit must report for a clause of a store whose deviations are known.

    Not checked where the kit has no check yet or the factory does not declare the
    capability the clause needs; otherwise the known deviation, or a pass.
    """
    from pytest_tokenstore.clauses import CLAUSES

    clause = CLAUSES[clause_id]
    declared: frozenset[str] = getattr(factory, "tokenstore_capabilities", frozenset())
    if clause.checked_from is not None:
        return "unchecked"
    if clause.capability is not None and clause.capability not in declared:
        return "unchecked"
    return deviations.get(clause_id, "pass")
