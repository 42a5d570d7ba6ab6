"""The capability clauses, FAIL-3's reprs and the hang bound can fail, and say so.

Each deliberately broken store in ``broken_concurrent_stores.py`` is caught by its
clause; the sound file store they build on passes; declarations, the report and
the hang bound behave as documented.
"""

from __future__ import annotations

import json
import time

import pytest

from pytest_tokenstore.clauses import CLAUSES, MUST
from tests.broken_concurrent_stores import CAUGHT_BY, CAUGHT_WHEN_PAUSED
from tests.helpers import run_kit, run_report

MODULE = "tests.broken_concurrent_stores"
NEW_CHECKS = ("-k", "test_concurrency or test_durability or test_secrets")
USAGE_ERROR = pytest.ExitCode.USAGE_ERROR
CHECK_OF = {
    "CONC-1": "test_threads_saving_one_user_leave_one_record",
    "CONC-2": "test_threads_saving_distinct_users_leave_every_record",
    "CONC-3": "test_processes_sharing_the_storage_keep_every_record",
    "DUR-1": "test_a_new_instance_sees_every_saved_token",
    "DUR-2": "test_a_killed_process_leaves_every_returned_save",
    "SEC-1": "test_files_the_store_creates_are_for_the_owner_only",
    "FAIL-3": "test_reprs_carry_no_secret",
}
"""The kit test of each clause, selected alone to keep these runs short."""


def test_every_capability_clause_has_a_broken_store() -> None:
    """Every clause that needs a capability has a store proving its check can fail."""
    needing = {c.id for c in CLAUSES.values() if c.capability is not None}

    assert needing | {"FAIL-3"} <= set(CAUGHT_BY.values())


@pytest.mark.parametrize(("store", "clause_id"), list(CAUGHT_BY.items()))
def test_the_kit_catches_the_defect(
    pytester: pytest.Pytester, store: str, clause_id: str
) -> None:
    """The broken store's clause is flagged, and a MUST defect fails the run."""
    result, clauses = run_report(
        pytester, f"{MODULE}:{store}", "-k", CHECK_OF[clause_id]
    )

    verdict = clauses[clause_id]
    must = CLAUSES[clause_id].level == MUST
    assert verdict["status"] == ("fail" if must else "advisory"), verdict
    assert verdict["detail"].split("failed: ", 1)[1].startswith(f"{clause_id}:")
    assert result.ret == (pytest.ExitCode.TESTS_FAILED if must else pytest.ExitCode.OK)


@pytest.mark.parametrize(("store", "clause_id"), list(CAUGHT_WHEN_PAUSED.items()))
def test_the_paused_tests_catch_a_thread_race_alike_in_every_run(
    pytester: pytest.Pytester, store: str, clause_id: str
) -> None:
    """Pausing a save before each of its lines finds the race, at the same line."""
    details = []
    for _ in range(2):
        result, clauses = run_report(
            pytester, f"{MODULE}:{store}", "-k", "paused_anywhere"
        )
        verdict = clauses[clause_id]
        assert verdict["status"] == "fail", verdict
        assert "was paused before line" in verdict["detail"], verdict
        assert result.ret == pytest.ExitCode.TESTS_FAILED
        details.append(verdict["detail"])

    assert details[0] == details[1]


def test_a_store_that_polls_for_its_lock_passes_the_paused_tests(
    pytester: pytest.Pytester,
) -> None:
    """A waiting thread that keeps calling functions is not taken for a hang."""
    result, clauses = run_report(
        pytester,
        f"{MODULE}:PollsForItsLock",
        "-k",
        "paused_anywhere",
        "--tokenstore-timeout=5",
    )

    assert result.ret == pytest.ExitCode.OK
    for clause_id in ("CONC-1", "CONC-2"):
        assert clauses[clause_id]["status"] == "pass", clauses[clause_id]


def test_the_sound_file_store_passes_every_new_check(
    pytester: pytest.Pytester,
) -> None:
    """The store the broken ones build on declares all four and passes, strictly."""
    result, clauses = run_report(
        pytester, f"{MODULE}:sound_file_store", "--tokenstore-strict", *NEW_CHECKS
    )

    assert result.ret == pytest.ExitCode.OK
    for clause_id in ("CONC-1", "CONC-2", "CONC-3", "DUR-1", "DUR-2", "SEC-1"):
        assert clauses[clause_id]["status"] == "pass", clauses[clause_id]


def test_a_hanging_store_fails_its_test_and_the_run_ends(
    pytester: pytest.Pytester,
) -> None:
    """A lock never released fails the test that meets it, naming clause and method.

    The store's later tests are not run, so the run ends soon after the bound.
    """
    started = time.monotonic()

    result, clauses = run_report(
        pytester,
        f"{MODULE}:NeverReleasesOnDelete",
        "--tokenstore-timeout=1",
        "-k",
        "test_delete or test_an_empty_store_lists_nothing",
    )

    assert time.monotonic() - started < 120  # generous: CI machines are shared
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert clauses["DEL-1"]["status"] == "fail"
    assert "DEL-1: get_tokens() did not return within 1 s" in clauses["DEL-1"]["detail"]
    assert "the store hung in an earlier test" in clauses["DEL-3"]["detail"]


def test_a_deadlock_between_threads_names_the_stuck_call(
    pytester: pytest.Pytester,
) -> None:
    """Threads that deadlock fail CONC-1 with the call a thread is stuck in."""
    result, clauses = run_report(
        pytester,
        f"{MODULE}:DeadlocksUnderLoad",
        "--tokenstore-timeout=2",
        "-k",
        CHECK_OF["CONC-1"],
    )

    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert clauses["CONC-1"]["status"] == "fail"
    detail = clauses["CONC-1"]["detail"]
    assert "CONC-1: " in detail
    assert "() in thread " in detail
    assert "did not return within 2 s" in detail


def test_a_hang_in_a_should_clause_still_fails_the_run(
    pytester: pytest.Pytester,
) -> None:
    """A hang is never an advisory: the application's request would never end."""
    result, clauses = run_report(
        pytester,
        f"{MODULE}:NeverReleasesOnDelete",
        "--tokenstore-timeout=1",
        "-k",
        "test_ids_of_deleted_records_are_not_reused",
    )

    assert clauses["SAVE-10"]["status"] == "fail", clauses["SAVE-10"]
    assert result.ret == pytest.ExitCode.TESTS_FAILED


def test_capabilities_given_on_the_command_line_replace_the_store_s(
    pytester: pytest.Pytester,
) -> None:
    """An empty declaration turns CONC-1 off; it is then shown as not declared."""
    store = f"{MODULE}:ChecksThenInserts"

    result, clauses = run_report(
        pytester, store, f"--tokenstore-capabilities={store}=", *NEW_CHECKS
    )

    assert result.ret == pytest.ExitCode.OK
    assert clauses["CONC-1"] == {
        "id": "CONC-1",
        "level": "MUST",
        "status": "unchecked",
        "detail": "not declared: thread-safe",
    }
    result.stdout.fnmatch_lines(
        [
            "  capabilities: none declared (--tokenstore-capabilities)",
            "  not checked  CONC-1 * (not declared: thread-safe)",
        ]
    )


def test_capabilities_in_the_ini_file_turn_clauses_on(
    pytester: pytest.Pytester,
) -> None:
    """Declared durable in the ini file, a store that forgets on reopen fails DUR-1."""
    store = "reference_stores.list_store:ListTokenStore"
    pytester.makeini(f"[pytest]\ntokenstore_capabilities =\n    {store}=durable\n")

    _, clauses = run_report(pytester, store, "-k", "test_durability")

    assert clauses["DUR-1"]["status"] == "fail"
    assert clauses["CONC-1"]["detail"] == "not declared: thread-safe"
    document = json.loads((pytester.path / "report.json").read_text())
    assert document["stores"][0]["capabilities"] == ["durable"]


def test_the_summary_and_report_list_what_the_store_declares(
    pytester: pytest.Pytester,
) -> None:
    """The reference SQLite store declares all four, and the outputs say so."""
    store = "reference_stores.sqlite_store:SQLiteTokenStore"

    result, _ = run_report(pytester, store, "-k", "test_an_empty_store_lists_nothing")

    document = json.loads((pytester.path / "report.json").read_text())
    assert document["stores"][0]["capabilities"] == [
        "thread-safe",
        "multi-process",
        "durable",
        "file-backed",
    ]
    result.stdout.fnmatch_lines(
        [
            f"tokenstore capabilities of {store}: thread-safe, multi-process, "
            "durable, file-backed (tokenstore_capabilities of SQLiteTokenStore)",
            "  capabilities: thread-safe, multi-process, durable, file-backed *",
        ]
    )


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ["--tokenstore-capabilities={store}=thread-safe,fast"],
            "ERROR: --tokenstore-capabilities: unknown capability 'fast'; the "
            "capabilities are thread-safe, multi-process, durable, file-backed *",
        ),
        (
            ["--tokenstore-capabilities=thread-safe"],
            "ERROR: --tokenstore-capabilities: 'thread-safe' is not of the form *",
        ),
        (
            ["--tokenstore-capabilities=other:Store=durable"],
            "ERROR: --tokenstore-capabilities: 'other:Store' is not among the "
            "stores checked*",
        ),
        (
            ["--tokenstore-timeout=-1"],
            "ERROR: --tokenstore-timeout: the bound must be a number of seconds*",
        ),
    ],
    ids=["unknown-name", "no-store", "other-store", "negative-timeout"],
)
def test_a_bad_declaration_is_a_usage_error(
    pytester: pytest.Pytester, args: list[str], expected: str
) -> None:
    """Unknown capabilities, malformed values and bad bounds get one clear line."""
    store = "reference_stores.list_store:ListTokenStore"

    result = run_kit(
        pytester, f"--tokenstore={store}", *(a.format(store=store) for a in args)
    )

    assert result.ret == USAGE_ERROR
    result.stderr.fnmatch_lines([expected])
    assert "Traceback" not in result.stderr.str()


def test_an_unknown_capability_on_the_store_is_a_usage_error(
    pytester: pytest.Pytester,
) -> None:
    """A misspelt capability on the class is refused, not silently ignored."""
    pytester.makepyfile(
        mystore="""
        from reference_stores.list_store import ListTokenStore

        class Store(ListTokenStore):
            tokenstore_capabilities = {"threadsafe"}
        """
    )

    result = run_kit(pytester, "--tokenstore=mystore:Store")

    assert result.ret == USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "ERROR: --tokenstore: mystore:Store: tokenstore_capabilities: unknown "
            "capability 'threadsafe'; *"
        ]
    )


def test_a_process_holding_many_descriptors_still_gets_a_verdict(
    pytester: pytest.Pytester,
) -> None:
    """DUR-2 reads its child through descriptors numbered past 1023 as well."""
    import os

    held = [os.open(os.devnull, os.O_RDONLY) for _ in range(1100)]
    try:
        result, clauses = run_report(
            pytester,
            "reference_stores.sqlite_store:SQLiteTokenStore",
            "-k",
            "durability",
        )
    finally:
        for descriptor in held:
            os.close(descriptor)

    assert clauses["DUR-2"]["status"] == "pass", clauses["DUR-2"]["detail"]
    assert result.ret == pytest.ExitCode.OK
