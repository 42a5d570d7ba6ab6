"""The SDK's FileStore run through the kit: its real deviations, clause by clause."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_tokenstore.clauses import CLAUSES
from tests.helpers import expected_verdict, run_kit_process
from tests.sdk_stores import sdk_file_store

FILESTORE = "tests.sdk_stores:sdk_file_store"

DEVIATIONS = {
    "KEY-1": "fail",  # an empty user name does not fall through; grant misses fall
    # back to the refresh token
    "SAVE-8": "fail",  # a token with client credentials only is stored
    "DUP-1": "fail",  # an unknown id with a known user name adds a second record;
    # an update by id takes another record's user name
    "TRIP-1": "fail",  # reads the CSV without newline='', so \r and \r\n change
    "BYID-2": "fail",  # raises SDKException for an unknown id
    "DEL-3": "fail",  # delete_token("id") deletes the CSV header, losing a record
    "SDK-5": "fail",  # the SDK's revoke finds nothing: an id-only find_token misses
    "KEY-3": "advisory",  # an id-only token is not looked up by id
    "SAVE-10": "advisory",  # the next id is max + 1, so a deleted last id returns
    "SAVE-11": "advisory",  # a named token does not adopt its grant's unnamed row
    "INPUT-1": "advisory",  # find_token returns a non-token argument as it is
    "CONC-1": "fail",  # no lock: concurrent saves of one user duplicate or lose it
    "CONC-2": "fail",  # reads see a truncated file; ids collide or fail to parse
    "CONC-3": "fail",  # the same across processes: no file lock either
    "DUR-2": "advisory",  # rewrites the file in place: a kill empties or cuts it
    "SEC-1": "advisory",  # creates its file with the umask's permissions (0644)
}
"""What the kit reports for FileStore in zohocrmsdk8_0 7.0.0, with the cause.

``tests/sdk_stores.py`` declares all four capabilities for it, as its users would.
"""


Verdicts = dict[str, dict[str, Any]]


@pytest.fixture(scope="module")
def filestore_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, Verdicts]:
    """The kit's exit code and verdicts for FileStore, from one run in a process."""
    code, _, verdicts = run_kit_process(
        tmp_path_factory.mktemp("filestore"), f"--tokenstore={FILESTORE}", "-n", "2"
    )
    return code, verdicts[FILESTORE]


def test_filestore_fails_the_run(filestore_run: tuple[int, Verdicts]) -> None:
    """FileStore breaks MUST clauses, so the run fails."""
    code, _ = filestore_run

    assert code == pytest.ExitCode.TESTS_FAILED


@pytest.mark.parametrize("clause_id", list(CLAUSES))
def test_each_clause_gets_its_real_verdict(
    filestore_run: tuple[int, Verdicts], clause_id: str
) -> None:
    """Flagged where FileStore really deviates, passed where it conforms."""
    _, clauses = filestore_run
    expected = expected_verdict(clause_id, DEVIATIONS, sdk_file_store)

    assert clauses[clause_id]["status"] == expected, clauses[clause_id]["detail"]
