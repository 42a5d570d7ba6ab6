"""Every clause can fail: each deliberately broken store is caught by its clause."""

from __future__ import annotations

import pytest

from pytest_tokenstore.clauses import CLAUSES, MUST
from pytest_tokenstore.results import VERDICT_PROPERTY
from tests import broken_sdk_stores
from tests.broken_stores import CAUGHT_BY, CAUGHT_ONLY_BY_THE_STATE_MACHINE
from tests.helpers import run_report

IN_SCOPE = {
    clause.id
    for clause in CLAUSES.values()
    if clause.checked_from is None and clause.capability is None
}


def test_every_clause_in_scope_has_a_broken_store() -> None:
    """No clause the kit checks is without a store proving the check can fail."""
    caught = {*CAUGHT_BY.values(), *broken_sdk_stores.CAUGHT_BY.values()}
    assert IN_SCOPE - caught == set()


ZOO = {**CAUGHT_BY, **CAUGHT_ONLY_BY_THE_STATE_MACHINE}


def flagged_by(result: pytest.RunResult, clause_id: str) -> set[str]:
    """Which part of the kit flagged ``clause_id``: "contract" and/or "machine"."""
    parts = set()
    for report in result.reprec.getreports("pytest_runtest_logreport"):  # type: ignore[attr-defined]
        for name, entry in report.user_properties:
            if (
                name == VERDICT_PROPERTY
                and entry["clause"] == clause_id
                and entry["status"] in ("fail", "advisory")
            ):
                stateful = "test_stateful.py" in report.nodeid
                parts.add("machine" if stateful else "contract")
    return parts


@pytest.mark.parametrize(
    ("store", "clause_id"),
    [(store.__name__, clause_id) for store, clause_id in ZOO.items()],
)
def test_the_kit_catches_the_defect(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    store: str,
    clause_id: str,
) -> None:
    """The broken store's clause is flagged, and a MUST defect fails the run.

    Run as in CI (derandomized), and without shrinking, which changes how long a
    failure takes to report, not whether it is found. The SDK tests are left out:
    their zoo is ``broken_sdk_stores.py``, and a store here may break an SDK
    clause too (NoLookupById breaks SDK-5, which needs KEY-3).
    """
    monkeypatch.setenv("CI", "1")
    result, clauses = run_report(
        pytester,
        f"tests.broken_stores:{store}",
        "--tokenstore-no-shrink",
        "-m",
        "not tokenstore_sdk",
    )

    verdict = clauses[clause_id]
    # CrashesOnNonTokens breaks only the SHOULD half of INPUT-1.
    must = CLAUSES[clause_id].level == MUST and store != "CrashesOnNonTokens"
    assert verdict["status"] == ("fail" if must else "advisory"), verdict
    assert verdict["detail"].split("failed: ", 1)[1].startswith(f"{clause_id}:")
    assert result.ret == (pytest.ExitCode.TESTS_FAILED if must else pytest.ExitCode.OK)
    parts = flagged_by(result, clause_id)
    if store in {s.__name__ for s in CAUGHT_ONLY_BY_THE_STATE_MACHINE}:
        assert parts == {"machine"}, "the contract tests alone now catch it"
    else:
        assert "contract" in parts


def test_strict_mode_fails_on_a_should_defect(pytester: pytest.Pytester) -> None:
    """--tokenstore-strict turns an advisory into a failed run."""
    result, clauses = run_report(
        pytester, "tests.broken_stores:ReusesDeletedIds", "--tokenstore-strict"
    )

    assert clauses["SAVE-10"]["status"] == "fail"
    assert result.ret == pytest.ExitCode.TESTS_FAILED


def test_a_waived_clause_runs_and_does_not_fail(pytester: pytest.Pytester) -> None:
    """A waived MUST failure is reported as waived and the run passes."""
    result, clauses = run_report(
        pytester, "tests.broken_stores:RaisesForUnknownId", "--tokenstore-waive=BYID-2"
    )

    assert clauses["BYID-2"]["status"] == "waived"
    assert "failed (waived)" in clauses["BYID-2"]["detail"]
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(["  waived  *BYID-2*"])


def test_a_waiver_on_a_passing_clause_says_so(pytester: pytest.Pytester) -> None:
    """A waived clause that passes anyway is reported as removable."""
    result, clauses = run_report(
        pytester, "tests.sound_store:SoundStore", "--tokenstore-waive=SAVE-4"
    )

    assert clauses["SAVE-4"]["status"] == "waived"
    assert (
        "every check passes: the waiver can be removed" in clauses["SAVE-4"]["detail"]
    )
    assert result.ret == pytest.ExitCode.OK


def test_the_ini_waiver_works_like_the_option(pytester: pytest.Pytester) -> None:
    """The ini key tokenstore_waive waives like --tokenstore-waive."""
    pytester.makeini("[pytest]\ntokenstore_waive = BYID-2\n")

    result, clauses = run_report(pytester, "tests.broken_stores:RaisesForUnknownId")

    assert clauses["BYID-2"]["status"] == "waived"
    assert result.ret == pytest.ExitCode.OK


def test_a_store_without_a_breaker_leaves_failure_unchecked(
    pytester: pytest.Pytester,
) -> None:
    """Without a breaker, FAIL-1, 2 and 4 and FAIL-3's exceptions are not checked."""
    pytester.makepyfile(
        nobreaker="""
        from tests.sound_store import SoundStore

        class Store(SoundStore):
            tokenstore_breaker = None
        """
    )

    result, clauses = run_report(pytester, "nobreaker:Store")

    for clause_id in ("FAIL-1", "FAIL-2", "FAIL-4"):
        assert clauses[clause_id]["status"] == "unchecked"
        assert "declares no tokenstore_breaker" in clauses[clause_id]["detail"]
    # FAIL-3's reprs need no breaker; its exception half is reported not checked.
    assert clauses["FAIL-3"]["status"] == "pass"
    assert "declares no tokenstore_breaker" in clauses["FAIL-3"]["detail"]
    assert result.ret == pytest.ExitCode.OK
