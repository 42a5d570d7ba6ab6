"""The pytest plugin: options, store loading, the data guard and the verdict report.

Loaded for every pytest run through the ``pytest11`` entry point, so it stays cheap:
it imports the SDK, Hypothesis and the stores only when ``--tokenstore`` is given.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field, replace
from fnmatch import fnmatch
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from .results import Ledger
    from .spec import StoreSpec

SUITE_DIR = Path(__file__).parent / "suite"
OPTION = "--tokenstore"
DEFAULT_TIMEOUT = 60.0
"""Seconds one store call may take before the kit calls it hung."""


@dataclass
class KitState:
    """The kit's settings for this run, kept in ``config.stash``."""

    specs: list[StoreSpec]
    source: str
    strict: bool
    waived: frozenset[str]
    allow_wipe: bool
    report_paths: list[Path]
    ledger: Ledger
    timeout: float
    hung: dict[str, str] = field(default_factory=dict)
    """Stores that hung in this process, with the failure; their later tests skip."""


STATE_KEY = pytest.StashKey[KitState]()


def pytest_addoption(parser: pytest.Parser) -> None:
    """Register the ``--tokenstore*`` options and their ini keys."""
    group = parser.getgroup("tokenstore", "TokenStore conformance (pytest-tokenstore)")
    group.addoption(
        OPTION,
        action="append",
        default=[],
        metavar="MODULE:ATTR",
        help="Check this token store against the contract: a TokenStore subclass "
        "or a factory returning a new store. Repeat to check several. "
        "Also ini key 'tokenstore' (one per line).",
    )
    group.addoption(
        "--tokenstore-strict",
        action="store_true",
        default=None,
        help="Fail the run on SHOULD clauses too (default: report them as "
        "advisories). Also ini key 'tokenstore_strict'.",
    )
    group.addoption(
        "--tokenstore-waive",
        action="append",
        default=[],
        metavar="ID[,ID...]",
        help="Waive clauses by id, such as BYID-2: they still run and are "
        "reported as waived but do not fail the run. Also ini key "
        "'tokenstore_waive'.",
    )
    group.addoption(
        "--tokenstore-report",
        action="append",
        default=[],
        metavar="PATH",
        help="Write the verdict per store and clause to PATH: a Markdown matrix "
        "if PATH ends in .md, JSON otherwise. Repeatable.",
    )
    group.addoption(
        "--tokenstore-thorough",
        action="store_true",
        default=False,
        help="Run the state machine with many more and longer sequences "
        "(minutes, not seconds), and each concurrency and crash check for ten "
        "seconds instead of half a second. Also ini key 'tokenstore_thorough'.",
    )
    group.addoption(
        "--tokenstore-no-shrink",
        action="store_true",
        default=False,
        help="Report the first failing sequence the state machine finds without "
        "shortening it: faster on a broken store, with a longer snippet.",
    )
    group.addoption(
        "--tokenstore-capabilities",
        action="append",
        default=[],
        metavar="MODULE:ATTR=CAP[,CAP...]",
        help="Declare what a store supports: thread-safe, multi-process, durable, "
        "file-backed (an empty list declares none). Replaces the store's own "
        "tokenstore_capabilities. Repeatable. Also ini key "
        "'tokenstore_capabilities' (one store per line).",
    )
    group.addoption(
        "--tokenstore-timeout",
        type=float,
        default=None,
        metavar="SECONDS",
        help="Fail a kit test when one call of a store method runs longer than "
        f"this (default {DEFAULT_TIMEOUT:g}; 0 turns the bound off). Also ini key "
        "'tokenstore_timeout'.",
    )
    group.addoption(
        "--tokenstore-allow-wipe",
        action="store_true",
        default=False,
        help="Run even if a fresh store already holds tokens. The kit calls "
        "delete_tokens, so those tokens are destroyed.",
    )
    parser.addini("tokenstore", "Token stores to check (MODULE:ATTR)", type="linelist")
    parser.addini(
        "tokenstore_strict", "Fail on SHOULD clauses too", type="bool", default=False
    )
    parser.addini("tokenstore_waive", "Clause ids to waive", type="linelist")
    parser.addini(
        "tokenstore_thorough",
        "Longer state machine and concurrency runs",
        type="bool",
        default=False,
    )
    parser.addini(
        "tokenstore_capabilities",
        "Capabilities per store, one MODULE:ATTR=CAP[,CAP...] per line",
        type="linelist",
    )
    parser.addini(
        "tokenstore_timeout",
        f"Seconds one store call may take (default {DEFAULT_TIMEOUT:g}; 0: no bound)",
        default="",
    )


def pytest_configure(config: pytest.Config) -> None:
    """Register markers; when stores are named, load them and guard their data."""
    config.addinivalue_line(
        "markers", "tokenstore: a pytest-tokenstore contract test (select with -m)"
    )
    config.addinivalue_line(
        "markers",
        "tokenstore_clause(*ids, level=None): the contract clauses a kit test checks",
    )
    config.addinivalue_line(
        "markers", "tokenstore_stateful: the kit's Hypothesis state machine tests"
    )
    config.addinivalue_line(
        "markers",
        "tokenstore_sdk: the kit's tests that run the Zoho SDK's token flows "
        "against the store and a fake Zoho on 127.0.0.1",
    )
    from .collect import LONG_MARKER

    config.addinivalue_line(
        "markers",
        f"{LONG_MARKER}: the kit's longest tests (state machine, races, paused "
        "saves, crash check); spread over xdist's workers",
    )
    texts, source = _store_texts(config)
    if not texts:
        return
    state = _build_state(config, texts, source)
    config.stash[STATE_KEY] = state
    if not hasattr(config, "workerinput"):
        for spec in state.specs:
            _bounded_guard(spec, state)
    from . import fixtures

    config.pluginmanager.register(fixtures, "tokenstore-fixtures")
    config.pluginmanager.register(KitPlugin(state), "tokenstore-kit")
    suite = str(SUITE_DIR)
    if suite not in config.args:
        config.args.append(suite)


def _store_texts(config: pytest.Config) -> tuple[list[str], str]:
    given: list[str] = config.getoption("tokenstore") or []
    if given:
        return given, OPTION
    from_ini: list[str] = config.getini("tokenstore")
    return from_ini, "ini key 'tokenstore'"


def _build_state(config: pytest.Config, texts: list[str], source: str) -> KitState:
    from .results import Ledger
    from .spec import SpecError, load_spec

    search = (config.invocation_params.dir, config.rootpath)
    specs = []
    for text in texts:
        try:
            specs.append(load_spec(text, search))
        except SpecError as exc:
            raise pytest.UsageError(f"{OPTION}: {exc}") from None
    names = [spec.text for spec in specs]
    if len(set(names)) != len(names):
        raise pytest.UsageError(f"{OPTION}: a store is named twice in {names}")
    specs = _declared_capabilities(config, specs)
    strict = config.getoption("tokenstore_strict")
    if strict is None:
        strict = config.getini("tokenstore_strict")
    waived = _waivers(config)
    reports = config.getoption("tokenstore_report")
    return KitState(
        specs=specs,
        source=source,
        strict=bool(strict),
        waived=waived,
        allow_wipe=config.getoption("tokenstore_allow_wipe"),
        report_paths=[Path(report).resolve() for report in reports],
        ledger=Ledger(names, waived, {spec.text: spec.capabilities for spec in specs}),
        timeout=_timeout(config),
    )


def _declared_capabilities(
    config: pytest.Config, specs: list[StoreSpec]
) -> list[StoreSpec]:
    """Apply capabilities declared in the ini file, then on the command line."""
    from .spec import SpecError, checked_capabilities

    by_text = {spec.text: spec for spec in specs}
    sources = (
        ("ini key 'tokenstore_capabilities'", config.getini("tokenstore_capabilities")),
        ("--tokenstore-capabilities", config.getoption("tokenstore_capabilities")),
    )
    for source, values in sources:
        for value in values:
            text, sep, names = value.partition("=")
            text = text.strip()
            if not sep:
                raise pytest.UsageError(
                    f"{source}: {value!r} is not of the form MODULE:ATTR=CAP[,CAP]; "
                    "write for example "
                    "--tokenstore-capabilities=mypackage.stores:MyStore=thread-safe"
                )
            if text not in by_text:
                raise pytest.UsageError(
                    f"{source}: {text!r} is not among the stores checked "
                    f"({', '.join(by_text)}); name the store exactly as --tokenstore "
                    "does"
                )
            try:
                declared = checked_capabilities(f"{source}", names.split(","))
            except SpecError as exc:
                raise pytest.UsageError(str(exc)) from None
            by_text[text] = replace(
                by_text[text], capabilities=declared, capabilities_source=source
            )
    return [by_text[spec.text] for spec in specs]


def _timeout(config: pytest.Config) -> float:
    given = config.getoption("tokenstore_timeout")
    source = "--tokenstore-timeout"
    if given is None:
        raw = str(config.getini("tokenstore_timeout")).strip()
        source = "ini key 'tokenstore_timeout'"
        try:
            given = float(raw) if raw else DEFAULT_TIMEOUT
        except ValueError:
            given = -1.0
    if not given >= 0:
        raise pytest.UsageError(
            f"{source}: the bound must be a number of seconds, 0 or more (0 turns it "
            f"off); the default is {DEFAULT_TIMEOUT:g}"
        )
    return float(given)


def _waivers(config: pytest.Config) -> frozenset[str]:
    from .clauses import CLAUSES

    raw = [*config.getini("tokenstore_waive"), *config.getoption("tokenstore_waive")]
    ids = {part.strip().upper() for item in raw for part in item.split(",")}
    ids.discard("")
    unknown = sorted(ids - set(CLAUSES))
    if unknown:
        raise pytest.UsageError(
            f"--tokenstore-waive: unknown clause id {', '.join(unknown)}; "
            f"the ids are listed in docs/contract.md (e.g. BYID-2, SAVE-10)"
        )
    return frozenset(ids)


def _bounded_guard(spec: StoreSpec, state: KitState) -> None:
    """The guard, under the hang bound: a store that hangs here stops the run."""
    from .watchdog import StoreHung, Watchdog

    if not state.timeout:
        _guard(spec, state.allow_wipe)
        return
    try:
        with Watchdog(state.timeout, "guard").armed(backstop=True):
            _guard(spec, state.allow_wipe)
    except StoreHung as exc:
        method = str(exc).split(": ", 1)[1].split(" did not return", 1)[0]
        raise pytest.UsageError(
            f"{OPTION}={spec}: {method} did not return within {state.timeout:g} s "
            "when the kit first built the store and listed its tokens. Fix the "
            "store, or raise the bound with --tokenstore-timeout."
        ) from None


def _guard(spec: StoreSpec, allow_wipe: bool) -> None:
    """Open the store once, away from the user's files, and refuse a non-empty one."""
    from .spec import SpecError, describe_error

    previous = Path.cwd()
    with tempfile.TemporaryDirectory(prefix="tokenstore-guard-") as scratch:
        workdir = Path(scratch)
        os.chdir(workdir)
        try:
            try:
                store = spec.build(workdir)
            except SpecError as exc:
                raise pytest.UsageError(f"{OPTION}: {exc}") from None
            except Exception as exc:
                raise pytest.UsageError(
                    f"{OPTION}={spec}: building the store raised "
                    f"{describe_error(exc)}. "
                    "The kit builds a fresh store for every test, so construction "
                    "must succeed; fix the constructor, or name a factory function "
                    "that builds the store (it may take the test's directory)."
                ) from None
            try:
                held = len(store.get_tokens() or [])
            except Exception as exc:
                raise pytest.UsageError(
                    f"{OPTION}={spec}: get_tokens() on a fresh store raised "
                    f"{describe_error(exc)}. The kit calls it before any test to make "
                    "sure the store holds no real tokens, and will not run without it."
                ) from None
        finally:
            os.chdir(previous)
    if held and not allow_wipe:
        raise pytest.UsageError(guard_message(spec.text, held))


def guard_message(spec_text: str, held: int) -> str:
    """The refusal shown when a store the kit is about to test already holds tokens."""
    return (
        f"{OPTION}={spec_text}: a freshly built store already holds {held} "
        "token(s). The kit's tests call delete_tokens and would destroy them. "
        "Point the store at empty, throwaway storage (a factory that takes the "
        "test's directory), or pass --tokenstore-allow-wipe if they may be deleted."
    )


class KitPlugin:
    """The hooks of an active run: parametrize, judge, gather and report."""

    def __init__(self, state: KitState) -> None:
        self.state = state

    def pytest_report_header(self) -> list[str]:
        """One line saying which stores are checked, from where, and how strictly."""
        state = self.state
        stores = ", ".join(spec.text for spec in state.specs)
        waived = ", ".join(sorted(state.waived)) or "none"
        strict = "on" if state.strict else "off"
        bound = f"{state.timeout:g} s per call" if state.timeout else "off"
        return [
            f"tokenstore: {stores} (from {state.source}); strict: {strict}; "
            f"waived: {waived}; hang bound: {bound}",
            *(
                f"tokenstore capabilities of {spec.text}: "
                f"{capability_list(spec.capabilities)} ({spec.capabilities_source})"
                for spec in state.specs
            ),
        ]

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        """Run every kit test once per store, with the store's spec in the test id."""
        if "tokenstore_spec" not in metafunc.fixturenames:
            return
        specs = self.state.specs
        metafunc.parametrize(
            "tokenstore_spec", specs, ids=[spec.text for spec in specs]
        )

    @pytest.hookimpl(tryfirst=True)
    def pytest_pycollect_makemodule(self, module_path: Path, parent: Any) -> Any:
        """Collect the kit's modules with the default test-name patterns."""
        if not _in_suite(module_path):
            return None
        from .collect import SuiteModule

        return SuiteModule.from_parent(parent, path=module_path)

    def pytest_collect_file(self, file_path: Path, parent: Any) -> Any:
        """Collect the kit's modules even where ``python_files`` would skip them."""
        if not _in_suite(file_path) or file_path.suffix != ".py":
            return None
        patterns = parent.config.getini("python_files")
        if any(fnmatch(file_path.name, pattern) for pattern in patterns):
            return None
        from .collect import SuiteModule

        return SuiteModule.from_parent(parent, path=file_path)

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(
        self, config: pytest.Config, items: list[pytest.Item]
    ) -> None:
        """On an xdist worker, spread the kit's long tests through the run.

        Only workers reorder (every worker collects alike, and the controller
        schedules in their order); a serial run keeps the order of the files.
        """
        if not hasattr(config, "workerinput"):
            return
        from .collect import spread_long_tests

        items[:] = spread_long_tests(items, lambda item: _in_suite(item.path))

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> Any:
        """Skip the tests of a store that hung already; bound the fixtures' calls."""
        from .spec import spec_of

        spec = spec_of(item)
        if spec is not None and spec.text in self.state.hung:
            pytest.skip(
                "not checked: the store hung in an earlier test: "
                + self.state.hung[spec.text]
            )
        with self._watched(item):
            return (yield)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Any:
        """Run a kit test under the hang bound."""
        with self._watched(item):
            return (yield)

    def _watched(self, item: pytest.Item) -> Any:
        import contextlib

        from .spec import spec_of

        if spec_of(item) is None or not self.state.timeout:
            return contextlib.nullcontext()
        from .verdicts import clauses_of
        from .watchdog import Watchdog

        checked = clauses_of(item)
        clause_id = checked[0][0] if checked else "HANG"
        backstop = not float(item.config.getini("faulthandler_timeout") or 0)
        return Watchdog(self.state.timeout, clause_id).armed(backstop)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Any:
        """Attach the clause verdict to the report; let advisories and waivers pass."""
        report = yield
        from .spec import spec_of
        from .verdicts import judge
        from .watchdog import StoreHung

        spec = spec_of(item)
        excinfo = call.excinfo
        if spec is not None and excinfo and isinstance(excinfo.value, StoreHung):
            self.state.hung[spec.text] = str(excinfo.value)
        judge(item, call, report, self.state.strict, self.state.waived)
        return report

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Gather verdicts; on the controller xdist relays every worker's reports."""
        from .results import VERDICT_PROPERTY

        for name, value in report.user_properties:
            if name == VERDICT_PROPERTY:
                self.state.ledger.add(dict(value))  # type: ignore[call-overload]

    def pytest_terminal_summary(
        self, terminalreporter: Any, config: pytest.Config
    ) -> None:
        """Print one line per clause for every store, after the test summary."""
        if hasattr(config, "workerinput") or config.option.collectonly:
            return
        from .summary import write_summary

        write_summary(terminalreporter, self.state)

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        """Write the reports once, on the controller."""
        if hasattr(session.config, "workerinput"):
            return
        for path in self.state.report_paths:
            self.state.ledger.write(path)


def capability_list(capabilities: frozenset[str]) -> str:
    """The capabilities in their documented order, or 'none declared'."""
    from .clauses import CAPABILITIES

    return ", ".join(c for c in CAPABILITIES if c in capabilities) or "none declared"


def _in_suite(path: Path) -> bool:
    return path.parent == SUITE_DIR and path.name.startswith("test_")
