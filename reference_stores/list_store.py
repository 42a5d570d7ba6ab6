"""A TokenStore that keeps tokens in a plain Python list, for one process."""

from __future__ import annotations

import contextlib
import threading
import uuid
from collections.abc import Callable, Iterator, MutableSequence, Sequence
from pathlib import Path
from typing import ClassVar, NamedTuple, NoReturn

from zohocrmsdk.src.com.zoho.api.authenticator.oauth_token import OAuthToken
from zohocrmsdk.src.com.zoho.api.authenticator.store.token_store import TokenStore
from zohocrmsdk.src.com.zoho.crm.api.exception.sdk_exception import SDKException
from zohocrmsdk.src.com.zoho.crm.api.user_signature import UserSignature


class _StorageUnavailable(Exception):
    """The records cannot be reached; raised only while the breaker is active."""


# What a failing backend raises. A list cannot fail, so the only error is the
# breaker's; a store over a real backend names that backend's errors here.
_BACKEND_ERRORS = (_StorageUnavailable,)


class ListTokenStore(TokenStore):
    """Tokens as records in a list, kept as long as the store, in one process.

    A lock lets one call at a time at the list, so each call reads and changes
    it as a whole. A write changes the list once, after every check has passed,
    so a call that fails leaves the list as it was. Records are immutable
    tuples, and every token handed out is built anew from one.
    """

    tokenstore_capabilities: ClassVar[frozenset[str]] = frozenset({"thread-safe"})

    def __init__(self) -> None:
        """Create an empty store."""
        self._lock = threading.Lock()
        self._records: MutableSequence[_Record] = []

    def find_token(self, token: OAuthToken) -> OAuthToken | None:
        """Fill the unset fields of ``token`` from its record and return it.

        The record is the one named by the token's id (KEY-3), else the one the
        first applicable rule of KEY-1 picks. Without a match, return None and
        leave the token as it was.
        """
        _require_oauth_token(token, "find_token")
        with self._locked("could not look up the token") as records:
            stored = _match(records, token)
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
        with self._locked("could not save the token") as records:
            stored = _match(records, token)
            if stored is None:
                stored = _same_grant(records, token)
            if stored is None:
                record = _Record.for_insert(token)
                records.append(record)
            else:
                record = stored.updated_by(token)
                _refuse_taken_user_name(records, record)
                records[records.index(stored)] = record
        token.set_id(record.id)

    def delete_token(self, id: str) -> None:
        """Delete the record with exactly this id; an unknown id deletes nothing."""
        with self._locked("could not delete the token") as records:
            records[:] = [record for record in records if record.id != id]

    def get_tokens(self) -> list[OAuthToken]:
        """Return a new token for every record, oldest first."""
        with self._locked("could not read the tokens") as records:
            snapshot = list(records)
        return [record.to_token() for record in snapshot]

    def delete_tokens(self) -> None:
        """Delete every record."""
        with self._locked("could not delete the tokens") as records:
            records.clear()

    def find_token_by_id(self, id: str) -> OAuthToken | None:
        """Return a new token for the record with this id, or None if there is none."""
        with self._locked("could not look up the token") as records:
            stored = _find(records, lambda record: record.id == id)
        return None if stored is None else stored.to_token()

    @staticmethod
    @contextlib.contextmanager
    def tokenstore_breaker(store: ListTokenStore, directory: Path) -> Iterator[None]:
        """Break ``store`` inside the block by putting its records out of reach.

        The list is swapped for a stand-in that fails on every use, and swapped
        back, untouched, when the block ends. ``directory`` is unused.
        """
        with store._lock:
            records, store._records = store._records, _UnavailableRecords()
        try:
            yield
        finally:
            with store._lock:
                store._records = records

    @contextlib.contextmanager
    def _locked(self, what_failed: str) -> Iterator[MutableSequence[_Record]]:
        """Lend the records to one call at a time.

        A backend error in the block is raised as the SDK's TOKEN_STORE error.
        The SDK appends the cause's text to the message, hence the trailing colon.
        """
        with self._lock:
            try:
                yield self._records
            except _BACKEND_ERRORS as exc:
                raise SDKException(
                    code="TOKEN_STORE", message=f"{what_failed}: ", cause=exc
                ) from exc


class _Record(NamedTuple):
    """One stored token, field by field."""

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


class _UnavailableRecords(MutableSequence[_Record]):
    """Stands in for the list while the breaker is active; every use fails."""

    def _fail(self, *args: object) -> NoReturn:
        raise _StorageUnavailable("the token list is out of reach of the store")

    __getitem__ = __setitem__ = __delitem__ = __len__ = insert = _fail


def _find(
    records: Sequence[_Record], matches: Callable[[_Record], bool]
) -> _Record | None:
    """Return the oldest record that ``matches``, or None."""
    return next((record for record in records if matches(record)), None)


def _match(records: Sequence[_Record], token: OAuthToken) -> _Record | None:
    """Find the record named by the token's id, else the one KEY-1 picks."""
    token_id = token.get_id()
    if token_id:
        stored = _find(records, lambda record: record.id == token_id)
        if stored is not None:
            return stored
    key = _lookup_key(token)
    if key is None:
        return None
    field, value = key
    return _find(records, lambda record: getattr(record, field) == value)


def _same_grant(records: Sequence[_Record], token: OAuthToken) -> _Record | None:
    """Find the unnamed record a newly named token continues (SAVE-11).

    Called only when no record has the token's user name: a record without a
    user name, with the same client id and the same refresh or grant token.
    """
    client_id = token.get_client_id()
    refresh_token, grant_token = token.get_refresh_token(), token.get_grant_token()
    if _user_name(token) is None or not client_id:
        return None

    def continues(record: _Record) -> bool:
        if record.user_name or record.client_id != client_id:
            return False
        same_refresh = bool(refresh_token) and record.refresh_token == refresh_token
        same_grant = bool(grant_token) and record.grant_token == grant_token
        return same_refresh or same_grant

    return _find(records, continues)


def _refuse_taken_user_name(records: Sequence[_Record], record: _Record) -> None:
    """Refuse to give ``record`` a user name another record has (DUP-1).

    Only an update by id can get here: any other match has the name already.
    """
    if record.user_name and any(
        other.user_name == record.user_name and other.id != record.id
        for other in records
    ):
        raise SDKException(
            code="TOKEN_STORE",
            message="could not save the token: another stored token has its user name",
        )


def _user_name(token: OAuthToken) -> str | None:
    """Return the token's user name, or None if it has none or an empty one."""
    user = token.get_user_signature()
    return (user.get_name() or None) if user is not None else None


def _lookup_key(token: OAuthToken) -> tuple[str, str] | None:
    """Return the field and value KEY-1 looks ``token`` up by, or None.

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
    """Refuse anything but an OAuthToken before it reaches the records."""
    if not isinstance(token, OAuthToken):
        raise TypeError(f"{method}() expects an OAuthToken, not {type(token).__name__}")
