"""Deliberately broken stores: each has one realistic defect the kit must catch.

``CAUGHT_BY`` maps each store to the clause whose check must flag it. Every store
derives from the sound store and changes one decision.
"""

from __future__ import annotations

import itertools
from typing import Any

from zohocrmsdk.src.com.zoho.api.authenticator.oauth_token import OAuthToken
from zohocrmsdk.src.com.zoho.crm.api.exception.sdk_exception import SDKException
from zohocrmsdk.src.com.zoho.crm.api.user_signature import UserSignature

from tests.sound_store import COLUMNS, BackendDown, Row, SoundStore, values_of


class FallsBackToRefresh(SoundStore):
    """When the first key rule misses, tries the refresh token anyway."""

    def find_row(self, token: OAuthToken) -> Row | None:
        row = super().find_row(token)
        if row is None and token.get_refresh_token():
            return next(
                (
                    r
                    for r in self.rows()
                    if r["refresh_token"] == token.get_refresh_token()
                ),
                None,
            )
        return row


class IgnoresIdOnSave(SoundStore):
    """Saves by key only, so a rotated refresh token with an id adds a row."""

    def save_row(self, token: OAuthToken) -> Row | None:
        return self.find_row(token) if self.key_of(token) else None

    def insert(self, token: OAuthToken) -> None:
        token.set_id(None)
        super().insert(token)


class NoLookupById(SoundStore):
    """find_token ignores a token that carries only an id."""

    def find_row(self, token: OAuthToken) -> Row | None:
        if self.key_of(token) is None:
            return None
        return super().find_row(token)


class NeverMisses(SoundStore):
    """A miss returns the first record instead of None."""

    def find_row(self, token: OAuthToken) -> Row | None:
        row = super().find_row(token)
        rows = self.rows()
        return rows[0] if row is None and rows else row


class FillsTooLittle(SoundStore):
    """find_token forgets to fill the api domain."""

    def find_token(self, token: Any) -> Any:
        found = super().find_token(token)
        if found is not None:
            found.set_api_domain(None)
        return found


class ReturnsACopy(SoundStore):
    """find_token returns a new token and leaves its argument empty."""

    def find_token(self, token: Any) -> Any:
        self.check_token(token)
        row = self.find_row(token)
        return None if row is None else self.to_token(row)


class OverwritesSetFields(SoundStore):
    """find_token overwrites fields the caller had set."""

    def fill(self, token: OAuthToken, row: Row) -> None:
        for column in COLUMNS:
            if column != "user_name" and row[column] is not None:
                getattr(token, f"set_{column}")(self.decode(column, row[column]))
        super().fill(token, row)


class MatchesWithoutCase(SoundStore):
    """Keys are compared case-insensitively."""

    def matches(self, row: Row, column: str, value: str) -> bool:
        stored = row[column]
        return stored is not None and stored.lower() == value.lower()


class MatchesByPrefix(SoundStore):
    """Keys are compared by prefix, like a LIKE 'value%' query."""

    def matches(self, row: Row, column: str, value: str) -> bool:
        stored = row[column]
        return stored is not None and stored.startswith(value)


class FindWritesBack(SoundStore):
    """find_token saves the merged token back, caller's fields and all."""

    def find_token(self, token: Any) -> Any:
        found = super().find_token(token)
        if found is not None:
            self.merge(self.find_row(token) or {}, found)
        return found


class MissChangesToken(SoundStore):
    """On a miss, find_token clears the caller's expiry."""

    def find_token(self, token: Any) -> Any:
        found = super().find_token(token)
        if found is None:
            token.set_expires_in("0")
        return found


class LosesUnnamedInserts(SoundStore):
    """Drops a new token silently unless it has a user name."""

    def insert(self, token: OAuthToken) -> None:
        if token.get_user_signature() is None:
            token.set_id(self.new_id())
            return
        super().insert(token)


class TextMaxPlusOne(SoundStore):
    """The next id is the largest stored id plus one, compared as text."""

    def new_id(self) -> str:
        ids = [r["id"] for r in self.rows()]
        return str(int(max(ids)) + 1) if ids else "1"


class ReplacesGivenIds(SoundStore):
    """Every insert gets a new id, even when the token brought its own."""

    def insert(self, token: OAuthToken) -> None:
        token.set_id(None)
        super().insert(token)


class AppendOnly(SoundStore):
    """Every save adds a row; nothing is ever updated."""

    def save_row(self, token: OAuthToken) -> Row | None:
        token.set_id(None)
        return None


class ReplacesOnUpdate(SoundStore):
    """An update replaces the row, erasing fields the token left unset."""

    def merge(self, row: Row, token: OAuthToken) -> None:
        for column, value in values_of(token).items():
            if column != "id":
                row[column] = self.encode(value)


class KeyedByClient(SoundStore):
    """Records are keyed by client id first, so two users of one app collide."""

    def save_row(self, token: OAuthToken) -> Row | None:
        by_client = next(
            (r for r in self.rows() if r["client_id"] == token.get_client_id()),
            None,
        )
        if token.get_client_id() is not None and by_client is not None:
            return by_client
        return super().save_row(token)


class SaveReturnsToken(SoundStore):
    """save_token returns the token."""

    def save_token(self, token: Any) -> Any:
        super().save_token(token)
        return token


class AcceptsEmptyTokens(SoundStore):
    """Stores a token with nothing to authenticate with."""

    def refuse(self, token: OAuthToken) -> bool:
        return False


class NoIdAfterUpdate(SoundStore):
    """After an update the token is left without the record's id."""

    def give_id(self, token: OAuthToken, row: Row) -> None:
        return None


class ReusesDeletedIds(SoundStore):
    """The next id is the smallest number not in use, so deleted ids come back."""

    def new_id(self) -> str:
        used = {r["id"] for r in self.rows()}
        return next(str(n) for n in itertools.count(1) if str(n) not in used)


class NoAdoption(SoundStore):
    """A named token never takes over the unnamed record of its grant."""

    def adoptable(self, token: OAuthToken) -> Row | None:
        return None


class RefreshBeforeName(SoundStore):
    """save matches on the grant or refresh token before the user name."""

    def save_row(self, token: OAuthToken) -> Row | None:
        for column in ("grant_token", "refresh_token"):
            value = values_of(token)[column]
            if value:
                return next((r for r in self.rows() if r[column] == value), None)
        return super().save_row(token)


class CutsAtNewline(SoundStore):
    """Values are cut at the first newline, as a naive line format would."""

    def encode(self, value: Any) -> Any:
        return value.split("\n")[0] if isinstance(value, str) else value


class NoneAsText(SoundStore):
    """Unset fields are stored, and returned, as the text "None"."""

    def encode(self, value: Any) -> Any:
        return str(value)


class ExpiryAsInt(SoundStore):
    """The expiry comes back as an int."""

    def decode(self, column: str, value: Any) -> Any:
        return int(value) if column == "expires_in" and value else value


class UserAsText(SoundStore):
    """The user comes back as a plain str, not a UserSignature."""

    def to_token(self, row: Row) -> OAuthToken:
        token = super().to_token(row)
        token.set_user_signature(row["user_name"])
        return token


class PartialById(SoundStore):
    """find_token_by_id leaves out the client secret."""

    def find_token_by_id(self, id: Any) -> Any:
        token = super().find_token_by_id(id)
        if token is not None:
            token.set_client_secret(None)
        return token


class RaisesForUnknownId(SoundStore):
    """find_token_by_id raises for an unknown id, as the SDK's FileStore does."""

    def find_token_by_id(self, id: Any) -> Any:
        token = super().find_token_by_id(id)
        if token is None:
            raise SDKException("TOKEN_STORE", "Given ID is invalid")
        return token


class ByIdConsumesGrant(SoundStore):
    """find_token_by_id clears the stored grant token, as if used up."""

    def find_token_by_id(self, id: Any) -> Any:
        token = super().find_token_by_id(id)
        if token is not None:
            row = self.row_by_id(id)
            if row is not None:
                row["grant_token"] = None
        return token


class DeletesTheNextRow(SoundStore):
    """delete_token removes the row after the one named, as if skipping a header."""

    def delete_token(self, id: Any) -> None:
        rows = self.rows()
        for index, row in enumerate(rows):
            if self.id_matches(row, id):
                rows.pop(min(index + 1, len(rows) - 1))
                return


class PopsLastOnMiss(SoundStore):
    """delete_token of an unknown id pops the last row (index -1)."""

    def delete_token(self, id: Any) -> None:
        rows = self.rows()
        index = next((i for i, r in enumerate(rows) if self.id_matches(r, id)), -1)
        if rows:
            rows.pop(index)


class IdAsExpression(SoundStore):
    """The id is spliced into a query: "1 OR 1=1" matches everything."""

    def id_matches(self, row: Row, wanted: Any) -> bool:
        text = str(wanted).upper()
        if " OR " in text or "," in text or text in ("%", "*"):
            return True
        return super().id_matches(row, wanted)


class ListsWithoutIds(SoundStore):
    """get_tokens leaves the id off every token."""

    def get_tokens(self) -> Any:
        tokens = super().get_tokens()
        for token in tokens:
            token.set_id(None)
        return tokens


class ListsLiveObjects(SoundStore):
    """get_tokens hands out the cached objects, so changing one changes the store."""

    def __init__(self) -> None:
        super().__init__()
        self.cache: dict[str, OAuthToken] = {}

    def get_tokens(self) -> Any:
        tokens = []
        for row in self.rows():
            if row["id"] not in self.cache:
                self.cache[row["id"]] = self.to_token(row)
            tokens.append(self.cache[row["id"]])
        return tokens

    def save_token(self, token: Any) -> Any:
        self.cache.clear()
        return super().save_token(token)

    def delete_token(self, id: Any) -> None:
        self.cache.clear()
        super().delete_token(id)

    def delete_tokens(self) -> None:
        self.cache.clear()
        super().delete_tokens()


class CacheOutlivesClear(SoundStore):
    """A lookup cache that delete_tokens forgets to empty."""

    def __init__(self) -> None:
        super().__init__()
        self.cache: dict[str, Row] = {}

    def row_by_id(self, wanted: Any) -> Row | None:
        row = super().row_by_id(wanted)
        if row is not None:
            self.cache[row["id"]] = row
        return row if row is not None else self.cache.get(wanted)

    def save_token(self, token: Any) -> Any:
        result = super().save_token(token)
        if isinstance(token, OAuthToken) and token.get_id() is not None:
            self.row_by_id(token.get_id())
        return result


class ClearRefusesEmpty(SoundStore):
    """delete_tokens raises when there is nothing to delete."""

    def delete_tokens(self) -> None:
        if not self.rows():
            raise SDKException("TOKEN_STORE", "no tokens to delete")
        super().delete_tokens()


class ClearClosesBackend(SoundStore):
    """delete_tokens drops the table, and later saves fail."""

    def delete_tokens(self) -> None:
        super().delete_tokens()
        self.closed = True

    def insert(self, token: OAuthToken) -> None:
        if getattr(self, "closed", False):
            raise SDKException("TOKEN_STORE", "no such table: tokens")
        super().insert(token)


class SwallowsErrors(SoundStore):
    """Backend errors are caught and the method returns as if it had worked."""

    def guarded(self, action: str, work: Any) -> Any:
        try:
            return work()
        except BackendDown:
            return [] if action == "list the tokens" else None


class RawErrors(SoundStore):
    """Backend errors escape as they are, not as SDKException."""

    def guarded(self, action: str, work: Any) -> Any:
        return work()


class LeaksSecrets(SoundStore):
    """The error message quotes the token it failed on."""

    def save_token(self, token: Any) -> Any:
        try:
            return super().save_token(token)
        except SDKException as exc:
            detail = values_of(token) if isinstance(token, OAuthToken) else token
            raise SDKException("TOKEN_STORE", f"could not save {detail}") from exc

    def find_token(self, token: Any) -> Any:
        try:
            return super().find_token(token)
        except SDKException as exc:
            raise SDKException("TOKEN_STORE", f"lookup of {values_of(token)}") from exc


class ClearsBeforeWriting(SoundStore):
    """delete_tokens empties its copy before the backend confirms."""

    def delete_tokens(self) -> None:
        self._data.clear()
        super().delete_tokens()


class StoresNonTokens(SoundStore):
    """save_token stores an empty row for anything it is given."""

    def check_token(self, token: Any) -> None:
        return None

    def save_token(self, token: Any) -> Any:
        if not isinstance(token, OAuthToken):
            self.rows().append(dict.fromkeys(COLUMNS) | {"id": self.new_id()})
            return None
        return super().save_token(token)


class CrashesOnNonTokens(SoundStore):
    """Anything but an OAuthToken fails deep inside with AttributeError."""

    def check_token(self, token: Any) -> None:
        return None


class CutsAtComma(SoundStore):
    """Values are cut at the first comma, as a naive CSV writer would."""

    def encode(self, value: Any) -> Any:
        return value.split(",")[0] if isinstance(value, str) else value


class FoldsUserCase(SoundStore):
    """User names are stored lower-cased, so they come back changed."""

    def encode(self, value: Any) -> Any:
        return value.lower() if isinstance(value, str) and "@" in value else value


class IntegerIds(SoundStore):
    """Ids are the backend's integers, handed out as int, not str."""

    def new_id(self) -> Any:
        return int(super().new_id()[1:])


class UpdateForgetsExpiry(SoundStore):
    """The update statement lists every column but the expiry."""

    def merge(self, row: Row, token: OAuthToken) -> None:
        kept = row["expires_in"]
        super().merge(row, token)
        row["expires_in"] = kept


class SkipsFirstRow(SoundStore):
    """get_tokens skips the first row, as if it were a header line."""

    def get_tokens(self) -> Any:
        return super().get_tokens()[1:]


class DeletesBySubstring(SoundStore):
    """delete_token removes every record whose id contains the one given."""

    def delete_token(self, id: Any) -> None:
        rows = self.rows()
        rows[:] = [r for r in rows if str(id) not in str(r["id"])]


class IdCounterRestartsOnClear(SoundStore):
    """delete_tokens also resets the id counter, so old ids come back."""

    def delete_tokens(self) -> None:
        super().delete_tokens()
        self._issued = 0


CAUGHT_BY = {
    FallsBackToRefresh: "KEY-1",
    IgnoresIdOnSave: "KEY-2",
    NoLookupById: "KEY-3",
    NeverMisses: "FIND-1",
    FillsTooLittle: "FIND-2",
    ReturnsACopy: "FIND-3",
    OverwritesSetFields: "FIND-4",
    MatchesWithoutCase: "FIND-5",
    MatchesByPrefix: "FIND-5",
    FindWritesBack: "FIND-6",
    MissChangesToken: "FIND-7",
    LosesUnnamedInserts: "SAVE-1",
    TextMaxPlusOne: "SAVE-2",
    ReplacesGivenIds: "SAVE-3",
    AppendOnly: "SAVE-4",
    ReplacesOnUpdate: "SAVE-5",
    KeyedByClient: "SAVE-6",
    SaveReturnsToken: "SAVE-7",
    AcceptsEmptyTokens: "SAVE-8",
    NoIdAfterUpdate: "SAVE-9",
    ReusesDeletedIds: "SAVE-10",
    NoAdoption: "SAVE-11",
    RefreshBeforeName: "DUP-1",
    CutsAtNewline: "TRIP-1",
    NoneAsText: "TRIP-2",
    ExpiryAsInt: "TRIP-3",
    UserAsText: "TRIP-4",
    PartialById: "BYID-1",
    RaisesForUnknownId: "BYID-2",
    ByIdConsumesGrant: "BYID-3",
    DeletesTheNextRow: "DEL-1",
    PopsLastOnMiss: "DEL-2",
    IdAsExpression: "DEL-3",
    ListsWithoutIds: "ALL-1",
    ListsLiveObjects: "ALL-2",
    CacheOutlivesClear: "CLEAR-1",
    ClearRefusesEmpty: "CLEAR-2",
    ClearClosesBackend: "CLEAR-3",
    SwallowsErrors: "FAIL-1",
    RawErrors: "FAIL-2",
    LeaksSecrets: "FAIL-3",
    ClearsBeforeWriting: "FAIL-4",
    StoresNonTokens: "INPUT-1",
    CrashesOnNonTokens: "INPUT-1",
    CutsAtComma: "TRIP-1",
    FoldsUserCase: "TRIP-4",
    IntegerIds: "SAVE-2",
    UpdateForgetsExpiry: "SAVE-5",
    SkipsFirstRow: "ALL-1",
    DeletesBySubstring: "DEL-3",
    IdCounterRestartsOnClear: "SAVE-10",
}
"""Each broken store and the clause that must flag it."""


class StaleKeyIndex(SoundStore):
    """Lookups go through an index that updates forget, so a rotated key is lost."""

    def __init__(self) -> None:
        super().__init__()
        self.index: dict[tuple[str, Any], Row] = {}

    def reindex(self) -> None:
        self.index = {
            (column, row[column]): row
            for row in self.rows()
            for column in ("user_name", "access_token", "grant_token", "refresh_token")
            if row[column]
        }

    def find_row(self, token: OAuthToken) -> Row | None:
        key = self.key_of(token)
        if key is None:
            return super().find_row(token)
        self.rows()  # the backend is asked, as a real store's query would
        return self.index.get(key)

    def insert(self, token: OAuthToken) -> None:
        super().insert(token)
        self.reindex()

    def delete_token(self, id: Any) -> None:
        super().delete_token(id)
        self.reindex()

    def delete_tokens(self) -> None:
        super().delete_tokens()
        self.index.clear()


class ForgetsDeletesInCache(SoundStore):
    """find_token answers from a cache that delete_token does not empty."""

    def __init__(self) -> None:
        super().__init__()
        self.cache: dict[tuple[str, Any], Row] = {}

    def find_row(self, token: OAuthToken) -> Row | None:
        key = self.key_of(token)
        self.rows()  # the backend is asked, as a real store's query would
        if key is not None and key in self.cache:
            return self.cache[key]
        row = super().find_row(token)
        if key is not None and row is not None:
            self.cache[key] = row
        return row

    def delete_tokens(self) -> None:
        super().delete_tokens()
        self.cache.clear()


CAUGHT_ONLY_BY_THE_STATE_MACHINE = {
    StaleKeyIndex: "FIND-2",
    ForgetsDeletesInCache: "DEL-1",
}
"""Defects that need a sequence: no fixed contract test sees them."""


# Found by mutation testing of the reference stores (docs/strength.md): each is a
# mutant that survived the kit until the check that now catches it was added.


class AdoptsAnyGrantOfTheClient(SoundStore):
    """A named token takes over any unnamed record of its client, whatever grant."""

    def adoptable(self, token: OAuthToken) -> Row | None:
        if token.get_user_signature() is None or token.get_client_id() is None:
            return None
        return next(
            (
                row
                for row in self.rows()
                if row["user_name"] is None
                and row["client_id"] == token.get_client_id()
            ),
            None,
        )


class FindsIdsByIdentity(SoundStore):
    """find_token_by_id compares ids with ``is``: only the very same str matches."""

    def find_token_by_id(self, id: Any) -> Any:
        row = next((r for r in self.rows() if r["id"] is id), None)
        return None if row is None else self.to_token(row)


class DeletesIdsByIdentity(SoundStore):
    """delete_token compares ids with ``is``: a copy of the id deletes nothing."""

    def delete_token(self, id: Any) -> None:
        rows = self.rows()
        rows[:] = [r for r in rows if r["id"] is not id]


class NamelessSignature(SoundStore):
    """find_token gives a token of an unnamed record a UserSignature(None)."""

    def fill(self, token: OAuthToken, row: Row) -> None:
        super().fill(token, row)
        if token.get_user_signature() is None:
            token.set_user_signature(UserSignature(None))


class AccessKeyForHalfAClient(SoundStore):
    """Looks a token up by its access token unless it has both client id and secret."""

    def key_of(self, token: OAuthToken) -> tuple[str, str] | None:
        key = super().key_of(token)
        half = (token.get_client_id() is None) != (token.get_client_secret() is None)
        if key is None and half and token.get_access_token():
            return "access_token", token.get_access_token()
        return key


class MatchesValuesByIdentity(SoundStore):
    """Compares looked-up values with ``is``: only the very same str matches."""

    def matches(self, row: Row, column: str, value: str) -> bool:
        return row[column] is value


class TakesAnotherUsersName(SoundStore):
    """An update by id may rename a record to a user another record has."""

    def name_taken(self, token: OAuthToken, row: Row) -> bool:
        return False


class AdoptsAnotherClientsGrant(SoundStore):
    """A named token takes over an unnamed record of its grant, whatever the client."""

    def adoptable(self, token: OAuthToken) -> Row | None:
        if token.get_user_signature() is None:
            return None
        return next(
            (
                row
                for row in self.rows()
                if row["user_name"] is None
                and row["refresh_token"] == token.get_refresh_token()
            ),
            None,
        )


class AdoptsWithoutAUser(SoundStore):
    """A token without a user takes over an unnamed record of its client and grant."""

    def adoptable(self, token: OAuthToken) -> Row | None:
        return next(
            (
                row
                for row in self.rows()
                if row["user_name"] is None
                and row["client_id"] == token.get_client_id()
                and row["refresh_token"] == token.get_refresh_token()
            ),
            None,
        )


CAUGHT_BY.update(
    {
        AccessKeyForHalfAClient: "KEY-1",
        MatchesValuesByIdentity: "FIND-2",
        AdoptsAnyGrantOfTheClient: "SAVE-1",
        AdoptsAnotherClientsGrant: "SAVE-1",
        AdoptsWithoutAUser: "SAVE-1",
        TakesAnotherUsersName: "DUP-1",
        FindsIdsByIdentity: "BYID-1",
        DeletesIdsByIdentity: "DEL-1",
        NamelessSignature: "TRIP-4",
    }
)
