"""The SDK's MySQL ``DBStore`` on a MariaDB server at 127.0.0.1: factory and breaker.

``eval "$(.ci/mariadb start)"`` starts a throwaway server and exports the
``TOKENSTORE_DB_*`` settings read here. Every test directory gets its own table, a
copy of the template ``tokenstore.oauthtoken``; every process (each xdist worker, and
the controller's guard) gets its own database, dropped when the process exits.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from zohocrmsdk.src.com.zoho.api.authenticator.store.db_store import DBStore

from pytest_tokenstore.sdkloop import is_loopback

TEMPLATE = "`tokenstore`.`oauthtoken`"
"""The table ``.ci/mariadb start`` creates, typed as the SDK's README documents it."""

REQUIRED = "TOKENSTORE_DB_REQUIRED"
"""Set (to anything but empty or 0) by ``.ci/run``: a missing server is a failure."""

START_HINT = (
    'start one with  eval "$(.ci/mariadb start)"  in this shell and run the tests '
    "again there; .ci/mariadb install puts MariaDB on the machine first (apt-get, "
    "as root), and .ci/mariadb stop ends the server"
)


class NoServer(Exception):
    """No MariaDB server to test against; the message says how to start one."""


@dataclass(frozen=True)
class Server:
    """Where the test server listens and how to log in, from ``TOKENSTORE_DB_*``."""

    host: str
    port: int
    user: str
    password: str = field(repr=False)

    def connect(self, database: str | None = None) -> Any:
        """A new connection, with autocommit, to ``database`` or to none."""
        import mysql.connector

        connection = mysql.connector.connect(
            host=self.host,
            port=self.port,
            user=self.user,
            password=self.password,
            database=database,
            connection_timeout=5,
            autocommit=True,
        )
        return connection

    def execute(self, *statements: str, database: str | None = None) -> None:
        """Run statements on one new connection, then close it."""
        connection = self.connect(database)
        try:
            cursor = connection.cursor()
            for statement in statements:
                cursor.execute(statement)
                if cursor.with_rows:
                    cursor.fetchall()
            cursor.close()
        finally:
            connection.close()


def db_required() -> bool:
    """Whether this run must have a server (CI), rather than skip without one."""
    return os.environ.get(REQUIRED, "") not in ("", "0")


def server_from_environment() -> Server:
    """The server named by ``TOKENSTORE_DB_*``; NoServer if none is named.

    Only a loopback host is accepted: nothing the project's tests run may connect
    beyond this machine.
    """
    port = os.environ.get("TOKENSTORE_DB_PORT", "")
    if not port:
        raise NoServer(
            "no MariaDB server is configured (TOKENSTORE_DB_PORT is unset); "
            + START_HINT
        )
    host = os.environ.get("TOKENSTORE_DB_HOST", "127.0.0.1")
    if not is_loopback(host):
        raise NoServer(
            f"TOKENSTORE_DB_HOST={host!r} is not on this machine; the project's "
            "tests connect only to 127.0.0.1, so point it at a local server"
        )
    if not port.isdigit():
        raise NoServer(f"TOKENSTORE_DB_PORT={port!r} is not a port number")
    return Server(
        host=host,
        port=int(port),
        user=os.environ.get("TOKENSTORE_DB_USER", "tokenstore"),
        password=os.environ.get("TOKENSTORE_DB_PASSWORD", ""),
    )


def reachable_server() -> Server:
    """The configured server, once it has answered; NoServer saying why not."""
    server = server_from_environment()
    try:
        server.execute(f"SELECT 1 FROM {TEMPLATE} LIMIT 0")
    except Exception as exc:
        raise NoServer(
            f"the MariaDB server at {server.host}:{server.port} (TOKENSTORE_DB_*) "
            f"did not answer as expected: {type(exc).__name__}: {exc}; "
            f"{START_HINT}"
        ) from None
    return server


_database: str | None = None


def worker_database() -> str:
    """This process's database: one per xdist worker, and one for the controller.

    Chosen once, so a child the kit forks for CONC-3 or DUR-2 inherits the name and
    shares its parent's storage, as processes sharing one store would.
    """
    global _database
    if _database is None:
        _database = database_name(os.environ.get("PYTEST_XDIST_WORKER"), os.getpid())
    return _database


def database_name(worker: str | None, pid: int) -> str:
    """The database of an xdist worker (None for the controller) in process ``pid``."""
    return f"tokenstore_{worker or 'main'}_{pid}"


def table_for(directory: Path) -> str:
    """The table of one test, named after its private directory.

    The kit builds a test's store several times over the same directory and expects
    the same storage back; a new directory is a new test and gets a new table.
    """
    digest = hashlib.sha256(str(directory.resolve()).encode()).hexdigest()
    return f"tokens_{digest[:24]}"


_made: set[tuple[str, str]] = set()
"""(database, table) pairs this process has created."""


def _ensure(server: Server, database: str, table: str) -> None:
    if (database, table) in _made:
        return
    if not any(made_db == database for made_db, _ in _made):
        server.execute(f"CREATE DATABASE IF NOT EXISTS `{database}`")
        atexit.register(_drop_database, server, database)
    server.execute(
        f"CREATE TABLE IF NOT EXISTS `{table}` LIKE {TEMPLATE}", database=database
    )
    _made.add((database, table))


def _drop_database(server: Server, database: str) -> None:
    with contextlib.suppress(Exception):
        server.execute(f"DROP DATABASE IF EXISTS `{database}`")


def sdk_db_store(directory: Path) -> DBStore:
    """The SDK's DBStore over a new table for this test, on the local test server."""
    server = server_from_environment()
    database = worker_database()
    table = table_for(directory)
    _ensure(server, database, table)
    return DBStore(
        host=server.host,
        database_name=database,
        user_name=server.user,
        password=server.password,
        port_number=str(server.port),
        table_name=table,
    )


@contextlib.contextmanager
def _table_renamed_away(store: Any, directory: Path) -> Iterator[None]:
    """Rename the store's table, so every statement meets a missing table; undo it.

    The rows stay in the renamed table and come back with its name.
    """
    server = server_from_environment()
    database, table = store.get_database_name(), store.get_table_name()
    away = f"{table}_away"
    server.execute(f"RENAME TABLE `{table}` TO `{away}`", database=database)
    try:
        yield
    finally:
        server.execute(f"RENAME TABLE `{away}` TO `{table}`", database=database)


sdk_db_store.tokenstore_breaker = _table_renamed_away  # type: ignore[attr-defined]
# Several worker processes on one database, and the database outliving them.
# Not thread-safe: its thread races (InnoDB deadlocks raised as SDKException) show
# in most runs but not all, and a verdict that changes from run to run cannot be
# asserted here; see docs/conformance.md.
sdk_db_store.tokenstore_capabilities = frozenset(  # type: ignore[attr-defined]
    {"multi-process", "durable"}
)


def server_for_tests() -> Server:
    """The reachable test server; skip without one, but fail where CI requires one."""
    import pytest

    try:
        return reachable_server()
    except NoServer as exc:
        if db_required():
            pytest.fail(
                f"{REQUIRED} is set, so DBStore must run on a real server: {exc}",
                pytrace=False,
            )
        pytest.skip(f"DBStore needs a MariaDB server: {exc}")
