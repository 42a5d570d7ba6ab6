"""A TokenStore that keeps tokens in an SQLite file shared by threads and processes."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar, NamedTuple

from zohocrmsdk.src.com.zoho.api.authenticator.oauth_token import OAuthToken
from zohocrmsdk.src.com.zoho.api.authenticator.store.token_store import TokenStore
from zohocrmsdk.src.com.zoho.crm.api.exception.sdk_exception import SDKException
from zohocrmsdk.src.com.zoho.crm.api.user_signature import UserSignature

# How long a call waits for another thread or process to finish writing.
BUSY_TIMEOUT_SECONDS = 30.0

# Every column is TEXT, so SQLite hands back exactly the strings it was given,
# "00123" and all. One index per column a record is looked up by; the user name
# index is also what keeps two records from sharing a name (DUP-1).
_SCHEMA = (
    """
    CREATE TABLE IF NOT EXISTS oauth_tokens (
        id            TEXT PRIMARY KEY NOT NULL,
        user_name     TEXT,
        client_id     TEXT,
        client_secret TEXT,
        refresh_token TEXT,
        access_token  TEXT,
        grant_token   TEXT,
        expiry_time   TEXT,
        redirect_url  TEXT,
        api_domain    TEXT
    )
    """,
    "CREATE UNIQUE INDEX IF NOT EXISTS oauth_tokens_by_user_name"
    " ON oauth_tokens (user_name) WHERE user_name <> ''",
    "CREATE INDEX IF NOT EXISTS oauth_tokens_by_access_token"
    " ON oauth_tokens (access_token)",
    "CREATE INDEX IF NOT EXISTS oauth_tokens_by_grant_token"
    " ON oauth_tokens (grant_token)",
    "CREATE INDEX IF NOT EXISTS oauth_tokens_by_refresh_token"
    " ON oauth_tokens (refresh_token)",
)

# Columns in the order of the fields of _Record. Values are always bound as
# parameters, never written into the SQL text.
_SELECT = (
    "SELECT id, user_name, client_id, client_secret, refresh_token, access_token,"
    " grant_token, expiry_time, redirect_url, api_domain FROM oauth_tokens"
)
_SELECT_ALL = _SELECT + " ORDER BY rowid"
_SELECT_BY_ID = _SELECT + " WHERE id = ?"
_SELECT_BY_KEY = {
    # Repeating the index's condition lets SQLite use the partial index.
    "user_name": _SELECT + " WHERE user_name = ? AND user_name <> ''",
    "access_token": _SELECT + " WHERE access_token = ? ORDER BY rowid LIMIT 1",
    "grant_token": _SELECT + " WHERE grant_token = ? ORDER BY rowid LIMIT 1",
    "refresh_token": _SELECT + " WHERE refresh_token = ? ORDER BY rowid LIMIT 1",
}
_SELECT_SAME_GRANT = (
    _SELECT + " WHERE (user_name IS NULL OR user_name = '') AND client_id = ?"
    " AND (refresh_token = ? OR grant_token = ?) ORDER BY rowid LIMIT 1"
)
_INSERT = (
    "INSERT INTO oauth_tokens (id, user_name, client_id, client_secret,"
    " refresh_token, access_token, grant_token, expiry_time, redirect_url,"
    " api_domain) VALUES (:id, :user_name, :client_id, :client_secret,"
    " :refresh_token, :access_token, :grant_token, :expiry_time, :redirect_url,"
    " :api_domain)"
)
_UPDATE = (
    "UPDATE oauth_tokens SET user_name = :user_name, client_id = :client_id,"
    " client_secret = :client_secret, refresh_token = :refresh_token,"
    " access_token = :access_token, grant_token = :grant_token,"
    " expiry_time = :expiry_time, redirect_url = :redirect_url,"
    " api_domain = :api_domain WHERE id = :id"
)
_DELETE_BY_ID = "DELETE FROM oauth_tokens WHERE id = ?"
_DELETE_ALL = "DELETE FROM oauth_tokens"

# What a failing backend raises. A string with a lone surrogate cannot be
# encoded for SQLite, and the repr of that UnicodeEncodeError holds the whole
# string, which may be a secret; wrapped, only its str() is shown.
_BACKEND_ERRORS = (sqlite3.Error, OSError, UnicodeEncodeError)


class SQLiteTokenStore(TokenStore):
    """Tokens in one SQLite file, safe to share between threads and processes.

    Each thread uses a connection of its own, opened on its first call and kept
    for the next; a child process opens its own. Each write is one ``BEGIN
    IMMEDIATE`` transaction: SQLite lets one writer in at a time and makes the
    others wait up to ``BUSY_TIMEOUT_SECONDS``, which makes the read-merge-write
    of ``save_token`` atomic. The file is created readable and writable by its
    owner only, and kept in WAL mode so that readers never wait for writers.
    """

    tokenstore_capabilities: ClassVar[frozenset[str]] = frozenset(
        {"thread-safe", "multi-process", "durable", "file-backed"}
    )

    def __init__(self, path: str | os.PathLike[str] = "zohooauth.db") -> None:
        """Open the database at ``path``, creating the file and table if needed.

        A relative path is resolved against the current directory once, here.
        """
        self._path = os.path.abspath(path)
        if os.path.basename(self._path) == ":memory:":
            raise ValueError(
                "SQLiteTokenStore needs the path of a file, not ':memory:'; for a "
                "database in memory use InMemoryTokenStore"
            )
        # mode=rw: connections never create the file; only __init__ does, privately.
        self._uri = Path(self._path).as_uri() + "?mode=rw"
        self._connections = threading.local()
        with _sdk_errors("could not open the token database"):
            _create_private_file(self._path)
            with self._connect() as db:
                db.execute("PRAGMA journal_mode = WAL")
            self._create_schema()

    def find_token(self, token: OAuthToken) -> OAuthToken | None:
        """Fill the unset fields of ``token`` from its record and return it.

        The record is the one named by the token's id (KEY-3), else the one the
        first applicable rule of KEY-1 picks. Without a match, return None and
        leave the token as it was.
        """
        _require_oauth_token(token, "find_token")
        with _sdk_errors("could not look up the token"), self._transaction() as db:
            stored = self._match(db, token)
        if stored is None:
            return None
        stored.fill(token)
        return token

    def save_token(self, token: OAuthToken) -> None:
        """Insert ``token``, or merge it into the record it matches.

        The record is the one named by the token's id (KEY-2), else the one
        KEY-1 picks, else an unnamed record of the same grant (SAVE-11). Fields
        the token leaves unset keep their stored values. Afterwards the token
        carries the record's id. A token matching nothing must hold a refresh,
        grant or access token (SAVE-8).
        """
        _require_oauth_token(token, "save_token")
        with (
            _sdk_errors("could not save the token"),
            self._transaction(write=True) as db,
        ):
            stored = self._match(db, token)
            if stored is None:
                stored = self._same_grant(db, token)
            if stored is None:
                record = _Record.for_insert(token)
                db.execute(_INSERT, record._asdict())
            else:
                record = stored.updated_by(token)
                db.execute(_UPDATE, record._asdict())
        token.set_id(record.id)

    def delete_token(self, id: str) -> None:
        """Delete the record with exactly this id; an unknown id deletes nothing."""
        with (
            _sdk_errors("could not delete the token"),
            self._transaction(write=True) as db,
        ):
            db.execute(_DELETE_BY_ID, (id,))

    def get_tokens(self) -> list[OAuthToken]:
        """Return a new token for every record, oldest first."""
        with _sdk_errors("could not read the tokens"), self._transaction() as db:
            rows = db.execute(_SELECT_ALL).fetchall()
        return [_Record._make(row).to_token() for row in rows]

    def delete_tokens(self) -> None:
        """Delete every record."""
        with (
            _sdk_errors("could not delete the tokens"),
            self._transaction(write=True) as db,
        ):
            db.execute(_DELETE_ALL)

    def find_token_by_id(self, id: str) -> OAuthToken | None:
        """Return a new token for the record with this id, or None if there is none."""
        with _sdk_errors("could not look up the token"), self._transaction() as db:
            row = db.execute(_SELECT_BY_ID, (id,)).fetchone()
        return None if row is None else _Record._make(row).to_token()

    @staticmethod
    @contextlib.contextmanager
    def tokenstore_breaker(store: SQLiteTokenStore, directory: Path) -> Iterator[None]:
        """Break ``store`` inside the block by renaming its table away.

        Every method fails with "no such table" until the block ends and the
        table, with all its records, is renamed back. ``directory`` is unused.
        """
        with store._transaction(write=True) as db:
            db.execute("ALTER TABLE oauth_tokens RENAME TO oauth_tokens_unavailable")
        try:
            yield
        finally:
            with store._transaction(write=True) as db:
                db.execute(
                    "ALTER TABLE oauth_tokens_unavailable RENAME TO oauth_tokens"
                )

    def _connect(self) -> contextlib.AbstractContextManager[sqlite3.Connection]:
        """Lend the calling thread its own connection, opened on its first call.

        Opening a connection costs far more than a lookup by index, so each thread
        keeps one for as long as both it and the store live. A connection is never
        shared between threads, nor used after ``fork``: a child process opens its
        own. If the file has gone, opening fails rather than starting an empty
        database.
        """
        held = getattr(self._connections, "held", None)
        if held is None or held.pid != os.getpid():
            held = self._connections.held = _ThreadConnection(self._uri)
        return contextlib.nullcontext(held.db)

    @contextlib.contextmanager
    def _transaction(self, write: bool = False) -> Iterator[sqlite3.Connection]:
        """Run the block in one transaction: committed if it ends, else undone.

        A write takes SQLite's write lock at once, so that what the block reads
        cannot change before it writes.
        """
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                yield db
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    def _create_schema(self) -> None:
        with self._transaction(write=True) as db:
            for statement in _SCHEMA:
                db.execute(statement)

    @staticmethod
    def _match(db: sqlite3.Connection, token: OAuthToken) -> _Record | None:
        """Find the record named by the token's id, else the one KEY-1 picks."""
        if token.get_id():
            row = db.execute(_SELECT_BY_ID, (token.get_id(),)).fetchone()
            if row is not None:
                return _Record._make(row)
        key = _lookup_key(token)
        if key is None:
            return None
        column, value = key
        row = db.execute(_SELECT_BY_KEY[column], (value,)).fetchone()
        return None if row is None else _Record._make(row)

    @staticmethod
    def _same_grant(db: sqlite3.Connection, token: OAuthToken) -> _Record | None:
        """Find the unnamed record a newly named token continues (SAVE-11).

        Called only when no record has the token's user name: a record without
        a user name, with the same client id and the same refresh or grant token.
        """
        if _user_name(token) is None:
            return None
        parameters = (
            token.get_client_id() or None,
            token.get_refresh_token() or None,
            token.get_grant_token() or None,
        )
        row = db.execute(_SELECT_SAME_GRANT, parameters).fetchone()
        return None if row is None else _Record._make(row)


class _ThreadConnection:
    """One thread's connection to the database, closed when it is dropped.

    ``isolation_level=None`` leaves transactions to ``_transaction``. It is
    closed when its thread ends or the store is dropped, whichever comes first,
    but never by a child process that inherited it with ``fork``: closing it
    there could undo, in the log both processes share, a transaction the parent
    had open at the time.

    ``synchronous = NORMAL`` is SQLite's advice for WAL mode: a commit is written
    to the log but not flushed to the disk, which saves a flush of milliseconds
    on every save. A process that is killed loses nothing; a power cut may undo
    the last saves, never corrupt the file. Set ``FULL`` to survive that too.
    """

    def __init__(self, uri: str) -> None:
        self.pid = os.getpid()
        # Only its own thread uses it; check_same_thread=False lets whichever thread
        # drops the last reference (its own at exit, or the one dropping the store)
        # close it, instead of leaking it with an error.
        self.db = sqlite3.connect(
            uri,
            uri=True,
            timeout=BUSY_TIMEOUT_SECONDS,
            isolation_level=None,
            check_same_thread=False,
        )
        self.db.execute("PRAGMA synchronous = NORMAL")

    def __del__(self) -> None:
        if self.pid == os.getpid():
            self.db.close()
        else:
            _INHERITED.append(self.db)


# Connections a child process inherited; kept open, and unused, until it exits.
_INHERITED: list[sqlite3.Connection] = []


class _Record(NamedTuple):
    """One stored token, field by field, in the table's column order."""

    id: str
    user_name: str | None
    client_id: str | None
    client_secret: str | None
    refresh_token: str | None
    access_token: str | None
    grant_token: str | None
    expiry_time: str | None
    redirect_url: str | None
    api_domain: str | None

    @classmethod
    def of(cls, token: OAuthToken, id: str) -> _Record:
        """Return the fields of ``token`` as a record with the given id."""
        user = token.get_user_signature()
        return cls(
            id=id,
            user_name=None if user is None else user.get_name(),
            client_id=token.get_client_id(),
            client_secret=token.get_client_secret(),
            refresh_token=token.get_refresh_token(),
            access_token=token.get_access_token(),
            grant_token=token.get_grant_token(),
            expiry_time=token.get_expires_in(),
            redirect_url=token.get_redirect_url(),
            api_domain=token.get_api_domain(),
        )

    @classmethod
    def for_insert(cls, token: OAuthToken) -> _Record:
        """Return the new record for a token that matches nothing.

        The token keeps its own id if it has one (SAVE-3); otherwise it gets a
        random 128-bit one, too unlikely to repeat for a deleted record's id ever
        to be handed out again, even by a later store (SAVE-10).
        A token without a refresh, grant or access token is refused (SAVE-8).
        """
        if not (
            token.get_refresh_token()
            or token.get_grant_token()
            or token.get_access_token()
        ):
            raise SDKException(
                code="TOKEN_STORE",
                message="could not save the token: it matches no stored token and "
                "has no refresh, grant or access token",
            )
        return cls.of(token, token.get_id() or uuid.uuid4().hex)

    def updated_by(self, token: OAuthToken) -> _Record:
        """Return this record with every field that ``token`` sets replaced."""
        new = _Record.of(token, self.id)
        return _Record._make(
            old if value is None else value
            for old, value in zip(self, new, strict=True)
        )

    def fill(self, token: OAuthToken) -> None:
        """Copy this record's values into the fields ``token`` leaves unset."""
        if token.get_id() is None:
            token.set_id(self.id)
        if token.get_user_signature() is None and self.user_name is not None:
            token.set_user_signature(UserSignature(self.user_name))
        if token.get_client_id() is None:
            token.set_client_id(self.client_id)
        if token.get_client_secret() is None:
            token.set_client_secret(self.client_secret)
        if token.get_refresh_token() is None:
            token.set_refresh_token(self.refresh_token)
        if token.get_access_token() is None:
            token.set_access_token(self.access_token)
        if token.get_grant_token() is None:
            token.set_grant_token(self.grant_token)
        if token.get_expires_in() is None:
            token.set_expires_in(self.expiry_time)
        if token.get_redirect_url() is None:
            token.set_redirect_url(self.redirect_url)
        if token.get_api_domain() is None:
            token.set_api_domain(self.api_domain)

    def to_token(self) -> OAuthToken:
        """Return a new token holding every field of this record."""
        token = OAuthToken(
            id=self.id,
            user_signature=None
            if self.user_name is None
            else UserSignature(self.user_name),
            client_id=self.client_id,
            client_secret=self.client_secret,
            refresh_token=self.refresh_token,
            access_token=self.access_token,
            grant_token=self.grant_token,
            redirect_url=self.redirect_url,
            api_domain=self.api_domain,
        )
        token.set_expires_in(self.expiry_time)
        return token


def _user_name(token: OAuthToken) -> str | None:
    """Return the token's user name, or None if it has none or an empty one."""
    user = token.get_user_signature()
    return (user.get_name() or None) if user is not None else None


def _lookup_key(token: OAuthToken) -> tuple[str, str] | None:
    """Return the column and value KEY-1 looks ``token`` up by, or None.

    The first rule that applies decides, even if it then matches nothing:
    the user name; else, with neither client id nor secret, the access token;
    else, with both, the grant token or, failing that, the refresh token.
    """
    user_name = _user_name(token)
    if user_name is not None:
        return "user_name", user_name
    client_id, client_secret = token.get_client_id(), token.get_client_secret()
    if client_id is None and client_secret is None:
        access_token = token.get_access_token()
        return ("access_token", access_token) if access_token else None
    if client_id is not None and client_secret is not None:
        if token.get_grant_token():
            return "grant_token", token.get_grant_token()
        if token.get_refresh_token():
            return "refresh_token", token.get_refresh_token()
    return None


def _require_oauth_token(token: object, method: str) -> None:
    """Refuse anything but an OAuthToken before it reaches the database."""
    if not isinstance(token, OAuthToken):
        raise TypeError(f"{method}() expects an OAuthToken, not {type(token).__name__}")


@contextlib.contextmanager
def _sdk_errors(what_failed: str) -> Iterator[None]:
    """Raise a backend error from the block as the SDK's TOKEN_STORE error.

    The SDK appends the cause's text to the message, hence the trailing colon.
    Neither holds a token value: SQLite's messages never quote parameters.
    """
    try:
        yield
    except _BACKEND_ERRORS as exc:
        raise SDKException(
            code="TOKEN_STORE", message=f"{what_failed}: ", cause=exc
        ) from exc


def _create_private_file(path: str) -> None:
    """Create ``path`` readable and writable by its owner only, if it is missing.

    SQLite gives its -wal and -shm files the same permissions as the database.
    """
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    os.close(descriptor)
