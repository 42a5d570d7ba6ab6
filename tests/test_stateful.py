"""The state machine as a user meets it: its settings, its snippet and its replay."""

from __future__ import annotations

import pytest
from hypothesis import Phase

from pytest_tokenstore.stateful import machine_settings
from tests.helpers import GOOD_STORE, run_kit

DEFECT = "tests.broken_stores:ForgetsDeletesInCache"


def test_the_default_budget_is_small_and_thorough_is_larger(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Fast by default, ten times the sequences and twice the length on request."""
    monkeypatch.delenv("CI", raising=False)
    fast, thorough = machine_settings(False, None), machine_settings(True, None)

    assert (fast.max_examples, fast.stateful_step_count) == (50, 30)
    assert (thorough.max_examples, thorough.stateful_step_count) == (500, 60)
    assert Phase.shrink in fast.phases
    assert Phase.shrink not in machine_settings(False, None, shrink=False).phases


def test_ci_runs_are_derandomized_and_keep_no_database(
    monkeypatch: pytest.MonkeyPatch, tmp_path: pytest.TempPathFactory
) -> None:
    """With CI set, every run draws the same sequences and stores nothing."""
    monkeypatch.setenv("CI", "true")

    chosen = machine_settings(False, tmp_path)  # type: ignore[arg-type]

    assert chosen.derandomize
    assert chosen.database is None


def test_a_failure_prints_a_snippet_that_fails_when_pasted(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The shrunk sequence is Python a user can paste, and it shows the defect."""
    monkeypatch.setenv("CI", "1")
    result = run_kit(pytester, f"--tokenstore={DEFECT}", "-m", "tokenstore_stateful")

    lines = result.stdout.lines
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    start = next(
        i for i, line in enumerate(lines) if "def test_tokenstore_sequence" in line
    )
    prefix = lines[start].split("def ")[0]
    end = next(i for i in range(start, len(lines)) if "Run the same pytest" in lines[i])
    assert "derandomized and draws the same sequences" in lines[end]
    snippet = "\n".join(line.removeprefix(prefix) for line in lines[start:end])
    assert "# DEL-1" in snippet
    pytester.makepyfile(test_pasted=snippet)

    pasted = pytester.runpytest_inprocess("-p", "no:cacheprovider", "test_pasted.py")

    pasted.assert_outcomes(failed=1)
    pasted.stdout.fnmatch_lines(["*assert store.find_token(*) is None*"])


def test_a_good_store_passes_both_machines(pytester: pytest.Pytester) -> None:
    """The reference list store passes the MUST and the SHOULD machine."""
    result = run_kit(
        pytester, f"--tokenstore={GOOD_STORE}", "-m", "tokenstore_stateful"
    )

    result.assert_outcomes(passed=2)
