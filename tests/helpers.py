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
