"""Fixtures of the kit, registered only when ``--tokenstore`` names a store.

Override ``tokenstore_factory`` or ``tokenstore_breaker`` in the ``conftest.py`` at
your rootdir when a store needs setup or teardown the factory alone cannot do.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from .spec import StoreSpec, spec_of

if TYPE_CHECKING:
    from pytest_httpserver import HTTPServer

    from .fakezoho import FakeZoho
    from .sdkloop import SDKLoop

StoreFactory = Callable[[], Any]
StoreBreaker = Callable[[Any], contextlib.AbstractContextManager[None]]


@pytest.fixture
def tokenstore_dir(tmp_path: Path) -> Path:
    """A fresh directory, private to this test, for the store's backing files.

    Function scope, costs one ``mkdir``. A factory that takes one argument gets it;
    building twice over it must reopen the same storage.
    """
    directory = tmp_path / "store"
    directory.mkdir(mode=0o700)
    return directory


@pytest.fixture
def tokenstore_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run the test in a fresh, empty working directory and yield its path.

    Function scope. A store that writes to a relative path (a default
    ``zohooauth.db``, say) writes there, never among the user's files.
    """
    workdir = tmp_path / "cwd"
    workdir.mkdir()
    monkeypatch.chdir(workdir)
    return workdir


@pytest.fixture
def tokenstore_factory(
    tokenstore_spec: StoreSpec, tokenstore_dir: Path
) -> StoreFactory:
    """A callable with no arguments that builds a new instance of the store under test.

    Function scope. Each call builds a new instance over this test's storage, so a
    second call reopens what the first saved. Override it in your rootdir
    ``conftest.py`` for stores that need setup or teardown (a database, a server).
    """

    def build() -> Any:
        return tokenstore_spec.build(tokenstore_dir)

    return build


@pytest.fixture
def tokenstore_breaker(
    tokenstore_spec: StoreSpec, tokenstore_dir: Path
) -> StoreBreaker | None:
    """A callable ``breaker(store)`` giving a context manager that breaks the backend.

    Function scope. None when the store declares no ``tokenstore_breaker``; the
    failure clauses (FAIL-1 to FAIL-4) are then reported as not checked.
    """
    declared = tokenstore_spec.breaker
    if declared is None:
        return None

    def breaker(store: Any) -> contextlib.AbstractContextManager[None]:
        return declared(store, tokenstore_dir)

    return breaker


@pytest.fixture
def tokenstore(
    tokenstore_factory: StoreFactory,
    tokenstore_cwd: Path,
    request: pytest.FixtureRequest,
) -> Iterator[Any]:
    """A new, empty instance of the store under test.

    Function scope. If the new store holds tokens, the test stops before touching
    them, unless ``--tokenstore-allow-wipe`` is given, which empties it first.
    """
    store = tokenstore_factory()
    held = store.get_tokens()
    if held:
        if not request.config.getoption("tokenstore_allow_wipe"):
            from .plugin import guard_message

            request.session.shouldstop = "a store under test held tokens"
            pytest.fail(
                guard_message(str(spec_of(request.node) or "?"), len(held)),
                pytrace=False,
            )
        store.delete_tokens()
    yield store


@pytest.fixture(scope="session")
def _tokenstore_zoho_server() -> Iterator[HTTPServer]:
    """The HTTP server behind the fake Zoho, on 127.0.0.1; one per session."""
    from .fakezoho import start_server

    server = start_server()
    yield server
    server.stop()


@pytest.fixture
def tokenstore_zoho(_tokenstore_zoho_server: HTTPServer) -> FakeZoho:
    """A fake Zoho on 127.0.0.1 with fresh state and an empty request log.

    Function scope; the server behind it starts once per session (pytest-httpserver,
    a few milliseconds). It serves the token endpoint (grant and refresh exchanges,
    revoke) and the calls the SDK makes to name a user, records every request, and
    answers with errors on demand (``fail_token_requests``).
    """
    from .fakezoho import FakeZoho

    return FakeZoho(_tokenstore_zoho_server)


@pytest.fixture
def tokenstore_sdk(
    tokenstore: Any,
    tokenstore_zoho: FakeZoho,
    tokenstore_cwd: Path,
    request: pytest.FixtureRequest,
) -> Iterator[SDKLoop]:
    """The SDK's own token flows wired to the store under test and the fake Zoho.

    Function scope. The SDK's global ``Initializer`` state is cleared before the
    test and put back after it. While the test runs, any connection or name lookup
    beyond 127.0.0.1 is refused and fails the test, naming the address.
    """
    from .sdkloop import LoopbackGuard, SDKLoop, fresh_sdk

    marker = request.node.get_closest_marker("tokenstore_clause")
    clause_id = str(marker.args[0]) if marker is not None and marker.args else "SDK"
    guard = LoopbackGuard()
    with fresh_sdk(), guard.active():
        loop = SDKLoop(tokenstore, tokenstore_zoho, guard, clause_id, tokenstore_cwd)
        yield loop
    if guard.refused and not loop.guard_reported:
        pytest.fail(guard.message(clause_id), pytrace=False)


__all__ = [
    "tokenstore",
    "tokenstore_breaker",
    "tokenstore_cwd",
    "tokenstore_dir",
    "tokenstore_factory",
    "tokenstore_sdk",
    "tokenstore_zoho",
]
