"""Shared pieces of the kit's self-tests: running the kit and reading its report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

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
