"""A naive SQLite TokenStore, written only as a baseline for the benchmark.

It is what a first attempt often looks like: a new connection for every call, the
default rollback journal, and no index, so every lookup reads the whole table. It
follows the same lookup rules as the reference stores so that the two do the same
work per call; it is not meant to be copied.
"""

from __future__ import annotations

import contextlib
import sqlite3
import uuid
from collections.abc import Iterable, Iterator

from zohocrmsdk.src.com.zoho.api.authenticator.oauth_token import OAuthToken
from zohocrmsdk.src.com.zoho.api.authenticator.store.token_store import TokenStore
from zohocrmsdk.src.com.zoho.crm.api.user_signature import UserSignature

_COLUMNS = (
    "id",
    "user_name",
    "client_id",
    "client_secret",
    "refresh_token",
    "access_token",
    "grant_token",
    "expiry_time",
    "redirect_url",
    "api_domain",
)
_SELECT = f"SELECT {', '.join(_COLUMNS)} FROM tokens"
_INSERT = (
    f"INSERT INTO tokens ({', '.join(_COLUMNS)})"
    f" VALUES ({', '.join('?' for _ in _COLUMNS)})"
)
_UPDATE = (
    f"UPDATE tokens SET {', '.join(f'{name} = ?' for name in _COLUMNS[1:])}"
    " WHERE id = ?"
)

Row = tuple[str | None, ...]


class NaiveSQLiteStore(TokenStore):
    """Tokens in an SQLite file with no index, a new connection per call."""

    def __init__(self, path: str) -> None:
        """Create the table in the file at ``path`` if it is not there."""
        self._path = path
        with self._connect() as db:
            db.execute(f"CREATE TABLE IF NOT EXISTS tokens ({', '.join(_COLUMNS)})")

    def find_token(self, token: OAuthToken) -> OAuthToken | None:
        """Fill the unset fields of ``token`` from the record it matches."""
        with self._connect() as db:
            row = self._match(db, token)
        if row is None:
            return None
        _fill(token, row)
        return token

    def save_token(self, token: OAuthToken) -> None:
        """Insert ``token``, or merge its set fields into the record it matches."""
        with self._connect() as db:
            row = self._match(db, token)
            new = _row(token, token.get_id() or uuid.uuid4().hex)
            if row is None:
                db.execute(_INSERT, new)
            else:
                merged = tuple(
                    old if value is None else value
                    for old, value in zip(row, new, strict=True)
                )
                db.execute(_UPDATE, (*merged[1:], row[0]))
                new = (row[0], *merged[1:])
        token.set_id(new[0])

    def delete_token(self, id: str) -> None:
        """Delete the record with this id."""
        with self._connect() as db:
            db.execute("DELETE FROM tokens WHERE id = ?", (id,))

    def get_tokens(self) -> list[OAuthToken]:
        """Return a token for every record."""
        with self._connect() as db:
            rows = db.execute(_SELECT + " ORDER BY rowid").fetchall()
        return [_token(row) for row in rows]

    def delete_tokens(self) -> None:
        """Delete every record."""
        with self._connect() as db:
            db.execute("DELETE FROM tokens")

    def find_token_by_id(self, id: str) -> OAuthToken | None:
        """Return a token for the record with this id, or None."""
        with self._connect() as db:
            row = db.execute(_SELECT + " WHERE id = ?", (id,)).fetchone()
        return None if row is None else _token(row)

    def insert_many(self, tokens: Iterable[OAuthToken]) -> None:
        """Insert tokens that match nothing stored, in one transaction (bulk fill)."""
        with self._connect() as db:
            for token in tokens:
                token.set_id(token.get_id() or uuid.uuid4().hex)
                db.execute(_INSERT, _row(token, token.get_id()))

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        """Open a connection for one call: commit if the call ends, then close."""
        with contextlib.closing(sqlite3.connect(self._path)) as db, db:
            yield db

    @staticmethod
    def _match(db: sqlite3.Connection, token: OAuthToken) -> Row | None:
        if token.get_id():
            row = db.execute(_SELECT + " WHERE id = ?", (token.get_id(),)).fetchone()
            if row is not None:
                return row
        user = token.get_user_signature()
        if user is not None and user.get_name():
            query, value = " WHERE user_name = ?", user.get_name()
        elif token.get_client_id() is None and token.get_client_secret() is None:
            query, value = " WHERE access_token = ?", token.get_access_token()
        elif token.get_grant_token():
            query, value = " WHERE grant_token = ?", token.get_grant_token()
        else:
            query, value = " WHERE refresh_token = ?", token.get_refresh_token()
        if not value:
            return None
        result: Row | None = db.execute(_SELECT + query, (value,)).fetchone()
        return result


def _row(token: OAuthToken, id: str | None) -> Row:
    user = token.get_user_signature()
    return (
        id,
        None if user is None else user.get_name(),
        token.get_client_id(),
        token.get_client_secret(),
        token.get_refresh_token(),
        token.get_access_token(),
        token.get_grant_token(),
        token.get_expires_in(),
        token.get_redirect_url(),
        token.get_api_domain(),
    )


def _fill(token: OAuthToken, row: Row) -> None:
    stored = _token(row)
    for getter, setter in (
        ("get_id", "set_id"),
        ("get_user_signature", "set_user_signature"),
        ("get_client_id", "set_client_id"),
        ("get_client_secret", "set_client_secret"),
        ("get_refresh_token", "set_refresh_token"),
        ("get_access_token", "set_access_token"),
        ("get_grant_token", "set_grant_token"),
        ("get_expires_in", "set_expires_in"),
        ("get_redirect_url", "set_redirect_url"),
        ("get_api_domain", "set_api_domain"),
    ):
        if getattr(token, getter)() is None:
            getattr(token, setter)(getattr(stored, getter)())


def _token(row: Row) -> OAuthToken:
    token = OAuthToken(id=row[0])
    token.set_user_signature(None if row[1] is None else UserSignature(row[1]))
    token.set_client_id(row[2])
    token.set_client_secret(row[3])
    token.set_refresh_token(row[4])
    token.set_access_token(row[5])
    token.set_grant_token(row[6])
    token.set_expires_in(row[7])
    token.set_redirect_url(row[8])
    token.set_api_domain(row[9])
    return token
