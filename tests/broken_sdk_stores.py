"""Deliberately broken stores for the SDK clauses: each defect shows when the SDK's
own token flows run against the store.

``CAUGHT_BY`` maps each store to the SDK clause whose test must flag it. Every store
derives from the sound store and changes one decision.
"""

from __future__ import annotations

import time
from typing import Any

from zohocrmsdk.src.com.zoho.api.authenticator.oauth_token import OAuthToken

from tests.sound_store import Row, SoundStore, set_field, values_of


class InsertsWithoutUser(SoundStore):
    """The insert forgets the user name column; only updates write it."""

    def insert(self, token: OAuthToken) -> None:
        super().insert(token)
        self.rows()[-1]["user_name"] = None


class FindsByGrantOnly(SoundStore):
    """With client credentials it looks for the grant token and never the refresh."""

    def key_of(self, token: OAuthToken) -> tuple[str, str] | None:
        key = super().key_of(token)
        return None if key is not None and key[0] == "refresh_token" else key


class UpsertKeepsOldValues(SoundStore):
    """An update only fills empty columns, like an upsert that does nothing on
    conflict: a refreshed access token is never stored."""

    def merge(self, row: Row, token: OAuthToken) -> None:
        for column, value in values_of(token).items():
            if value is not None and row[column] is None:
                row[column] = self.encode(value)


class PrunesExpiredOnFind(SoundStore):
    """find_token drops a record whose access token has expired, after reading it.

    The SDK's refresh saves the token again, id and all, so the record comes
    back; when Zoho refuses the refresh it is gone with its refresh token.
    """

    def find_token(self, token: Any) -> Any:
        found = super().find_token(token)
        expiry = found.get_expires_in() if found is not None else None
        if expiry and int(expiry) < time.time() * 1000:
            self.delete_token(found.get_id())
        return found


class NoAccessTokenKey(SoundStore):
    """find_token knows users and client credentials, not a bare access token."""

    def key_of(self, token: OAuthToken) -> tuple[str, str] | None:
        key = super().key_of(token)
        return None if key is not None and key[0] == "access_token" else key


class DeleteTakesAToken(SoundStore):
    """delete_token expects a token, not an id, so the SDK's remove() fails."""

    def delete_token(self, id: Any) -> None:
        super().delete_token(id.get_id())


class FillsACopyForIdOnly(SoundStore):
    """An id-only find_token returns find_token_by_id's new token, leaving the
    given one empty, where the SDK's revoke reads the refresh token."""

    def find_token(self, token: Any) -> Any:
        if self.key_of(token) is None and token.get_id():
            return self.find_token_by_id(token.get_id())
        return super().find_token(token)


class DefaultsToZohoDomain(SoundStore):
    """Keeps no api domain and hands back Zoho's US domain, which sends the SDK to
    the real Zoho: the loopback guard must stop it."""

    def fill(self, token: OAuthToken, row: Row) -> None:
        unset = token.get_api_domain() is None
        super().fill(token, row)
        if unset:
            set_field(token, "api_domain", "https://www.zohoapis.com")


CAUGHT_BY = {
    InsertsWithoutUser: "SDK-1",
    FindsByGrantOnly: "SDK-2",
    UpsertKeepsOldValues: "SDK-3",
    PrunesExpiredOnFind: "SDK-3",
    DefaultsToZohoDomain: "SDK-3",
    NoAccessTokenKey: "SDK-4",
    DeleteTakesAToken: "SDK-5",
    FillsACopyForIdOnly: "SDK-5",
}
"""Each broken store and the SDK clause that must flag it."""
