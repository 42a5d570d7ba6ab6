"""The plugin as a user meets it: options, errors, the guard, waivers and reports."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import GOOD_STORE, run_kit, run_report

USAGE_ERROR = pytest.ExitCode.USAGE_ERROR


def test_runs_without_the_option_are_unchanged(pytester: pytest.Pytester) -> None:
    """Installed but not asked for, the kit adds no tests, header or summary."""
    pytester.makepyfile(test_own="def test_own():\n    assert True\n")

    result = run_kit(pytester)

    result.assert_outcomes(passed=1)
    result.stdout.no_fnmatch_line("tokenstore:*")
    result.stdout.no_fnmatch_line("*tokenstore conformance*")


def test_a_value_without_a_colon_is_a_usage_error(pytester: pytest.Pytester) -> None:
    """A spec that is not MODULE:ATTR is refused with the form to use."""
    result = run_kit(pytester, "--tokenstore=mystore")

    assert result.ret == USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["ERROR: --tokenstore: 'mystore' is not of the form MODULE:ATTR; write *"]
    )
    assert "Traceback" not in result.stderr.str()


def test_a_missing_module_is_a_usage_error(pytester: pytest.Pytester) -> None:
    """A module that cannot be imported is named, with where the kit looked."""
    result = run_kit(pytester, "--tokenstore=no_such_module:Store")

    assert result.ret == USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["ERROR: --tokenstore: no_such_module:Store: no module named 'no_such_module'*"]
    )


def test_a_module_that_fails_to_import_is_a_usage_error(
    pytester: pytest.Pytester,
) -> None:
    """A module raising on import is reported as such, without a traceback."""
    pytester.makepyfile(badmod="raise RuntimeError('half-written module')\n")

    result = run_kit(pytester, "--tokenstore=badmod:Store")

    assert result.ret == USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["ERROR: --tokenstore: badmod:Store: importing 'badmod' raised RuntimeError:*"]
    )
    assert "Traceback" not in result.stderr.str()


def test_a_missing_attribute_is_a_usage_error(pytester: pytest.Pytester) -> None:
    """A name after the colon that the module lacks is reported as such."""
    pytester.makepyfile(mystore="VALUE = 1\n")

    result = run_kit(pytester, "--tokenstore=mystore:Store")

    assert result.ret == USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["ERROR: --tokenstore: mystore:Store: module 'mystore' has no attribute*"]
    )


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("Store = 42\n", "*is a int, neither a TokenStore subclass nor a factory*"),
        ("class Store:\n    pass\n", "*is a class but not a TokenStore*"),
        (
            "def Store(a, b):\n    pass\n",
            "*a factory takes no argument or one (the test's directory)*",
        ),
    ],
    ids=["int", "plain-class", "two-argument-factory"],
)
def test_an_attribute_that_is_no_store_is_a_usage_error(
    pytester: pytest.Pytester, source: str, expected: str
) -> None:
    """Something that cannot build a store is refused, saying what is accepted."""
    pytester.makepyfile(mystore=source)

    result = run_kit(pytester, "--tokenstore=mystore:Store")

    assert result.ret == USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: --tokenstore: {expected}"])


CONSTRUCTOR_RAISES = """
from reference_stores.list_store import ListTokenStore

class Store(ListTokenStore):
    def __init__(self):
        raise ConnectionError("database at db.internal refused the login")
"""


def test_a_constructor_that_raises_is_a_usage_error(pytester: pytest.Pytester) -> None:
    """A store whose constructor raises gets one message, not a traceback per test."""
    pytester.makepyfile(mystore=CONSTRUCTOR_RAISES)

    result = run_kit(pytester, "--tokenstore=mystore:Store")

    assert result.ret == USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "ERROR: --tokenstore=mystore:Store: building the store raised "
            "ConnectionError: database at db.internal refused the login. *"
        ]
    )
    assert "Traceback" not in result.stderr.str()


def test_a_class_needing_arguments_is_a_usage_error(pytester: pytest.Pytester) -> None:
    """A store class that needs arguments is pointed at the factory form."""
    result = run_kit(
        pytester,
        "--tokenstore=zohocrmsdk.src.com.zoho.api.authenticator.store:FileStore",
    )

    assert result.ret == USAGE_ERROR
    result.stderr.fnmatch_lines(["*its constructor needs arguments; name a factory*"])


SHARED_STORE = """
from reference_stores.sqlite_store import SQLiteTokenStore

def shared():
    return SQLiteTokenStore({path!r})
"""


def _real_tokens(pytester: pytest.Pytester) -> Path:
    """A store file at a fixed path holding one real-looking token."""
    from pytest_tokenstore.tokens import make_token, sample
    from reference_stores.sqlite_store import SQLiteTokenStore

    path = pytester.path / "production-tokens.db"
    SQLiteTokenStore(path).save_token(make_token(**sample(1)))
    pytester.makepyfile(mystore=SHARED_STORE.format(path=str(path)))
    return path


def test_a_store_holding_tokens_is_refused_and_kept(pytester: pytest.Pytester) -> None:
    """A store that already holds tokens stops the run before any test touches it."""
    from reference_stores.sqlite_store import SQLiteTokenStore

    path = _real_tokens(pytester)

    result = run_kit(pytester, "--tokenstore=mystore:shared")

    assert result.ret == USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "ERROR: --tokenstore=mystore:shared: a freshly built store already holds "
            "1 token(s). The kit's tests call delete_tokens and would destroy them. "
            "*--tokenstore-allow-wipe*"
        ]
    )
    assert len(SQLiteTokenStore(path).get_tokens()) == 1


def test_allow_wipe_runs_against_a_store_holding_tokens(
    pytester: pytest.Pytester,
) -> None:
    """With --tokenstore-allow-wipe the kit empties the store and runs."""
    _real_tokens(pytester)

    result = run_kit(
        pytester,
        "--tokenstore=mystore:shared",
        "--tokenstore-allow-wipe",
        "-k",
        "test_an_empty_store_lists_nothing",
    )

    result.assert_outcomes(passed=1)


def test_an_unknown_waiver_is_a_usage_error(pytester: pytest.Pytester) -> None:
    """Waiving a clause id that does not exist is refused, naming the flag."""
    result = run_kit(
        pytester, f"--tokenstore={GOOD_STORE}", "--tokenstore-waive=NOPE-1"
    )

    assert result.ret == USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["ERROR: --tokenstore-waive: unknown clause id NOPE-1*"]
    )


def test_the_header_names_stores_and_settings(pytester: pytest.Pytester) -> None:
    """The run's header says what is checked, from where, and how strictly."""
    result = run_kit(
        pytester,
        f"--tokenstore={GOOD_STORE}",
        "--tokenstore-waive=SAVE-10,BYID-2",
        "-k",
        "test_an_empty_store_lists_nothing",
    )

    result.stdout.fnmatch_lines(
        [
            f"tokenstore: {GOOD_STORE} (from --tokenstore); strict: off; "
            "waived: BYID-2, SAVE-10; hang bound: 60 s per call",
            f"tokenstore capabilities of {GOOD_STORE}: thread-safe "
            "(tokenstore_capabilities of ListTokenStore)",
        ]
    )


def test_a_good_store_passes_in_an_empty_directory(pytester: pytest.Pytester) -> None:
    """From an empty directory, the full suite runs and a conforming store passes."""
    result, clauses = run_report(pytester, GOOD_STORE, "--tokenstore-strict")

    assert result.ret == pytest.ExitCode.OK
    assert {c["status"] for c in clauses.values()} <= {"pass", "unchecked"}
    assert clauses["SAVE-4"]["status"] == "pass"
    result.stdout.fnmatch_lines(
        [
            "*= tokenstore conformance =*",
            GOOD_STORE,
            "  pass         KEY-1    MUST   find and save pick the record by *",
        ]
    )


def test_the_ini_key_names_the_store(pytester: pytest.Pytester) -> None:
    """The ini key ``tokenstore`` works like the option."""
    pytester.makeini(f"[pytest]\ntokenstore =\n    {GOOD_STORE}\n")

    result = run_kit(pytester, "-k", "test_an_empty_store_lists_nothing")

    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([f"tokenstore: {GOOD_STORE} (from ini key *"])


def test_test_ids_carry_the_store(pytester: pytest.Pytester) -> None:
    """Each store is a parametrization visible in the test ids."""
    result = run_kit(
        pytester,
        f"--tokenstore={GOOD_STORE}",
        "--tokenstore=reference_stores.memory_store:InMemoryTokenStore",
        "--collect-only",
        "-q",
        "-k",
        "test_an_empty_store_lists_nothing",
    )

    result.stdout.fnmatch_lines(
        [
            f"*test_an_empty_store_lists_nothing[[]{GOOD_STORE}[]]",
            "*test_an_empty_store_lists_nothing[[]reference_stores.memory_store:"
            "InMemoryTokenStore[]]",
        ]
    )


RELATIVE_STORE = """
from pathlib import Path
from reference_stores.sqlite_store import SQLiteTokenStore

class Store(SQLiteTokenStore):
    def __init__(self):
        super().__init__("zohooauth.db")
"""


def test_relative_paths_land_in_a_scratch_directory(pytester: pytest.Pytester) -> None:
    """A store writing to a relative path never writes in the user's directory."""
    pytester.makepyfile(mystore=RELATIVE_STORE)

    result = run_kit(pytester, "--tokenstore=mystore:Store", "-k", "SAVE-1 or save")

    assert result.ret == pytest.ExitCode.OK
    assert not (pytester.path / "zohooauth.db").exists()


DIRECTORY_FACTORY = """
from reference_stores.sqlite_store import SQLiteTokenStore

def make(directory):
    with open({log!r}, "a") as log:
        log.write(str(directory) + "\\n")
    return SQLiteTokenStore(directory / "tokens.db")
"""


def test_a_factory_gets_a_private_directory(pytester: pytest.Pytester) -> None:
    """A one-argument factory is given a fresh directory for every test."""
    log = pytester.path / "directories.txt"
    pytester.makepyfile(mystore=DIRECTORY_FACTORY.format(log=str(log)))

    result = run_kit(pytester, "--tokenstore=mystore:make", "-k", "SAVE or FIND")

    assert result.ret == pytest.ExitCode.OK
    guard, *built = log.read_text().splitlines()
    assert not Path(guard).exists()
    assert len(built) == len(set(built)) > 50
    assert not any(Path(d).is_relative_to(pytester.path) for d in built)


CONFTEST_OVERRIDE = """
import pytest
from reference_stores.list_store import ListTokenStore

BUILT = []

@pytest.fixture
def tokenstore_factory():
    def build():
        BUILT.append(1)
        return ListTokenStore()
    yield build
"""


def test_the_factory_fixture_can_be_overridden(pytester: pytest.Pytester) -> None:
    """A rootdir conftest's tokenstore_factory replaces the kit's."""
    pytester.makeconftest(CONFTEST_OVERRIDE)

    result = run_kit(
        pytester,
        "--tokenstore=reference_stores.sqlite_store:SQLiteTokenStore",
        "-k",
        "test_an_empty_store_lists_nothing",
    )

    result.assert_outcomes(passed=1)
    conftest = pytester.path / "conftest.py"
    assert conftest.exists()


def test_the_report_is_written_as_json(pytester: pytest.Pytester) -> None:
    """--tokenstore-report writes every clause with id, level, status and detail."""
    result, clauses = run_report(pytester, GOOD_STORE)

    assert result.ret == pytest.ExitCode.OK
    save4 = clauses["SAVE-4"]
    assert save4 == {
        "id": "SAVE-4",
        "level": "MUST",
        "status": "pass",
        "detail": save4["detail"],
    }
    assert clauses["CONC-3"]["status"] == "unchecked"
    assert clauses["CONC-3"]["detail"] == "not declared: multi-process"
    document = json.loads((pytester.path / "report.json").read_text())
    assert document["stores"][0]["store"] == GOOD_STORE
