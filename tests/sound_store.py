"""A small, correct store built from hooks, so a broken store can change just one.

It is the base of the deliberately broken stores in ``broken_stores.py``; it is not
a reference store (those are in ``reference_stores/``) and it keeps no lock.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

from zohocrmsdk.src.com.zoho.api.authenticator.oauth_token import OAuthToken
from zohocrmsdk.src.com.zoho.api.authenticator.store.token_store import TokenStore
from zohocrmsdk.src.com.zoho.crm.api.exception.sdk_exception import SDKException
from zohocrmsdk.src.com.zoho.crm.api.user_signature import UserSignature

from pytest_tokenstore.tokens import FIELDS

Row = dict[str, Any]

COLUMNS = FIELDS
"""A row's columns: the token's fields, as the kit names them."""


class BackendDown(OSError):
    """What the sound store's backend raises while a breaker holds it."""


def values_of(token: OAuthToken) -> Row:
    """The token's fields as a row, the user as its name."""
    signature = token.get_user_signature()
    return {
        "id": token.get_id(),
        "user_name": signature.get_name() if signature is not None else None,
        "client_id": token.get_client_id(),
        "client_secret": token.get_client_secret(),
        "refresh_token": token.get_refresh_token(),
        "access_token": token.get_access_token(),
        "grant_token": token.get_grant_token(),
        "expires_in": token.get_expires_in(),
        "redirect_url": token.get_redirect_url(),
        "api_domain": token.get_api_domain(),
    }


def set_field(token: OAuthToken, name: str, value: Any) -> None:
    """Set one field on a token; the user name becomes a UserSignature."""
    if name == "user_name":
        token.set_user_signature(None if value is None else UserSignature(value))
    else:
        getattr(token, f"set_{name}")(value)


class SoundStore(TokenStore):
    """Rows in a list; every decision is a method a broken store can override."""

    tokenstore_capabilities: ClassVar[frozenset[str]] = frozenset()

    def __init__(self) -> None:
        self._data: list[Row] = []
        self._issued = 0
        self.broken = False

    @staticmethod
    @contextlib.contextmanager
    def tokenstore_breaker(store: SoundStore, directory: Path) -> Iterator[None]:
        """Make every backend access raise until the block ends."""
        store.broken = True
        try:
            yield
        finally:
            store.broken = False

    # --- the backend -------------------------------------------------------------

    def rows(self) -> list[Row]:
        """The stored rows; raises while the backend is broken."""
        if self.broken:
            raise BackendDown("token backend is unavailable")
        return self._data

    def guarded(self, action: str, work: Any) -> Any:
        """Run ``work``; a backend error becomes an SDKException with its cause."""
        try:
            return work()
        except BackendDown as exc:
            raise SDKException("TOKEN_STORE", f"could not {action}", cause=exc) from exc

    # --- decisions ---------------------------------------------------------------

    def new_id(self) -> str:
        """A fresh id, never handed out before."""
        self._issued += 1
        return f"t{self._issued}"

    def key_of(self, token: OAuthToken) -> tuple[str, str] | None:
        """The (column, value) KEY-1 picks, or None when no rule applies."""
        signature = token.get_user_signature()
        name = signature.get_name() if signature is not None else None
        if name:
            return "user_name", name
        client_id, secret = token.get_client_id(), token.get_client_secret()
        if client_id is None and secret is None:
            access = token.get_access_token()
            return ("access_token", access) if access else None
        if client_id is not None and secret is not None:
            if token.get_grant_token():
                return "grant_token", token.get_grant_token()
            if token.get_refresh_token():
                return "refresh_token", token.get_refresh_token()
        return None

    def matches(self, row: Row, column: str, value: str) -> bool:
        """Whether a row's column equals a looked-up value."""
        return bool(row[column] == value)

    def id_matches(self, row: Row, wanted: Any) -> bool:
        """Whether a row has this id."""
        return bool(row["id"] == wanted)

    def find_row(self, token: OAuthToken) -> Row | None:
        """The row a lookup of ``token`` names (KEY-1, then KEY-3 for id only)."""
        key = self.key_of(token)
        if key is None:
            return self.row_by_id(token.get_id()) if token.get_id() else None
        return next((r for r in self.rows() if self.matches(r, *key)), None)

    def save_row(self, token: OAuthToken) -> Row | None:
        """The row a save of ``token`` updates: by id, by KEY-1, else adoption."""
        if token.get_id() is not None:
            by_id = self.row_by_id(token.get_id())
            if by_id is not None:
                return by_id
        row = self.find_row(token) if self.key_of(token) else None
        return row if row is not None else self.adoptable(token)

    def adoptable(self, token: OAuthToken) -> Row | None:
        """An unnamed row of the same grant that a named token takes over (SAVE-11)."""
        if token.get_user_signature() is None or token.get_client_id() is None:
            return None
        for row in self.rows():
            same_grant = (
                token.get_refresh_token() is not None
                and row["refresh_token"] == token.get_refresh_token()
            ) or (
                token.get_grant_token() is not None
                and row["grant_token"] == token.get_grant_token()
            )
            if (
                row["user_name"] is None
                and row["client_id"] == token.get_client_id()
                and same_grant
            ):
                return row
        return None

    def row_by_id(self, wanted: Any) -> Row | None:
        """The row with this id, or None."""
        return next((r for r in self.rows() if self.id_matches(r, wanted)), None)

    def encode(self, value: Any) -> Any:
        """How a value is kept in a row."""
        return value

    def decode(self, column: str, value: Any) -> Any:
        """How a kept value is given back."""
        return value

    def fill(self, token: OAuthToken, row: Row) -> None:
        """Set every unset field of ``token`` from ``row``."""
        current = values_of(token)
        for column in COLUMNS:
            if current[column] is None:
                set_field(token, column, self.decode(column, row[column]))

    def merge(self, row: Row, token: OAuthToken) -> None:
        """Update a row from the set fields of ``token``."""
        for column, value in values_of(token).items():
            if value is not None and column != "id":
                row[column] = self.encode(value)

    def to_token(self, row: Row) -> OAuthToken:
        """A new token holding a row."""
        token = OAuthToken(id="placeholder")
        token.set_id(None)
        self.fill(token, row)
        return token

    def give_id(self, token: OAuthToken, row: Row) -> None:
        """After an update, the token carries the record's id (SAVE-9)."""
        token.set_id(row["id"])

    def refuse(self, token: OAuthToken) -> bool:
        """Whether a new token carries nothing to authenticate with (SAVE-8)."""
        return not (
            token.get_refresh_token()
            or token.get_grant_token()
            or token.get_access_token()
        )

    def name_taken(self, token: OAuthToken, row: Row) -> bool:
        """Whether updating ``row`` from ``token`` gives it another's user (DUP-1)."""
        name = values_of(token)["user_name"]
        return bool(name) and any(
            other is not row and other["user_name"] == name for other in self.rows()
        )

    def check_token(self, token: Any) -> None:
        """Reject what is not an OAuthToken."""
        if not isinstance(token, OAuthToken):
            raise TypeError(f"expected an OAuthToken, got {type(token).__name__}")

    # --- the six methods ---------------------------------------------------------

    def find_token(self, token: Any) -> Any:
        """Fill and return ``token`` from its record, or None."""
        self.check_token(token)

        def work() -> Any:
            row = self.find_row(token)
            if row is None:
                return None
            self.fill(token, row)
            return token

        return self.guarded("find the token", work)

    def save_token(self, token: Any) -> Any:
        """Insert or update the record of ``token``."""
        self.check_token(token)

        def work() -> None:
            row = self.save_row(token)
            if row is not None:
                if self.name_taken(token, row):
                    raise SDKException("TOKEN_STORE", "another token has that user")
                self.merge(row, token)
                self.give_id(token, row)
                return
            if self.refuse(token):
                raise SDKException("TOKEN_STORE", "a token needs a grant or a token")
            self.insert(token)

        return self.guarded("save the token", work)

    def insert(self, token: OAuthToken) -> None:
        """Add a new row for ``token`` and set its id."""
        rows = self.rows()
        if token.get_id() is None:
            token.set_id(self.new_id())
        rows.append({c: self.encode(v) for c, v in values_of(token).items()})

    def delete_token(self, id: Any) -> None:
        """Remove the record with this id."""

        def work() -> None:
            rows = self.rows()
            rows[:] = [r for r in rows if not self.id_matches(r, id)]

        self.guarded("delete the token", work)

    def get_tokens(self) -> Any:
        """Every record as a new token."""
        return self.guarded(
            "list the tokens", lambda: [self.to_token(r) for r in self.rows()]
        )

    def delete_tokens(self) -> None:
        """Remove every record."""
        self.guarded("delete the tokens", lambda: self.rows().clear())

    def find_token_by_id(self, id: Any) -> Any:
        """The record with this id as a new token, or None."""

        def work() -> Any:
            row = self.row_by_id(id)
            return None if row is None else self.to_token(row)

        return self.guarded("find the token by id", work)
